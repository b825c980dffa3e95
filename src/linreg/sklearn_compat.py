"""scikit-learn's estimator protocol, without importing scikit-learn.

linreg's estimators are used in scikit-learn's tools (``cross_val_score``,
``Pipeline``, ``GridSearchCV``, ``ColumnTransformer``, ``StackingRegressor``,
``check_estimator``...) from scikit-learn 1.3 to the newest release, while
scikit-learn stays optional: nothing here imports it until one of its tools asks.

What those tools ask of an estimator, and where :class:`RegressorProtocol` answers:

- *Is it a regressor, what data does it take?* ``__sklearn_tags__`` (scikit-learn
  >= 1.6: a ``sklearn.utils.Tags`` with ``estimator_type="regressor"`` and
  ``target_tags.required=True``), ``_get_tags`` / ``_more_tags`` (older releases:
  a dict) and the class attribute ``_estimator_type = "regressor"`` (what
  ``is_regressor`` read before 1.6).
- *Is it fitted?* ``__sklearn_is_fitted__``.
- *A fresh copy with the same hyperparameters:* ``__sklearn_clone__`` (which also
  keeps the metadata requests below).
- *Where does* ``sample_weight`` *go?* With ``sklearn.set_config(
  enable_metadata_routing=True)``, a tool passes ``sample_weight`` to ``fit`` (or
  ``score``) only if the estimator asked for it: ``set_fit_request(sample_weight=True)``
  and ``set_score_request(...)`` record the request, ``get_metadata_routing`` hands it
  to scikit-learn. Without routing, the tools pass it as before
  (``cross_validate(..., params={"sample_weight": w})``,
  ``pipeline.fit(X, y, linearregression__sample_weight=w)``).

Checks that an estimator declares expected to fail under ``check_estimator`` are
listed per class in ``_expected_failed_checks`` (name -> one-line reason) and given to
scikit-learn both ways: the ``_xfail_checks`` tag of old releases, and
:func:`expected_failed_checks` for the ``expected_failed_checks`` argument of new ones.
"""

from __future__ import annotations

import copy
import inspect
import sys
from functools import cache
from typing import Any, ClassVar, TypeVar

from linreg.errors import NotFittedError

__all__ = ["RegressorProtocol", "expected_failed_checks", "not_fitted_error", "sklearn_twin"]

_C = TypeVar("_C", bound=type)

_T = TypeVar("_T", bound="RegressorProtocol")

#: Request values scikit-learn accepts for a metadata parameter: pass it (True),
#: do not (False), raise if it is given (None, the default), or take it under
#: another name (a string).
_REQUEST_TYPES = (bool, str, type(None))


class RegressorProtocol:
    """The methods scikit-learn's tools look for on a regressor; scikit-learn imported lazily.

    A subclass defines ``get_params`` (:class:`linreg.base.ParamsMixin`), ``fit`` and
    ``predict``; ``sample_weight`` is routable to each of its methods whose signature
    has it (``fit`` and ``score`` of :class:`~linreg.LinearRegression`).
    """

    _estimator_type: ClassVar[str] = "regressor"
    #: check_estimator's checks this class fails on purpose: name -> one-line reason.
    _expected_failed_checks: ClassVar[dict[str, str]] = {}
    #: Methods whose ``sample_weight`` scikit-learn may route.
    _weighted_methods: ClassVar[tuple[str, ...]] = ("fit", "score")

    # -- tags --------------------------------------------------------------------------------
    def __sklearn_tags__(self) -> Any:
        """The tags of scikit-learn >= 1.6: a regressor of dense 2-D float data, y required."""
        from sklearn.utils import InputTags, RegressorTags, Tags, TargetTags

        return Tags(
            estimator_type="regressor",
            target_tags=TargetTags(required=True, one_d_labels=True),
            regressor_tags=RegressorTags(),
            input_tags=InputTags(two_d_array=True, sparse=False, allow_nan=False),
            requires_fit=True,
        )

    def _more_tags(self) -> dict[str, Any]:
        """The tags of scikit-learn < 1.6 that differ from its defaults."""
        return {
            "requires_y": True,
            "multioutput": False,
            "X_types": ["2darray"],
            "_xfail_checks": dict(self._expected_failed_checks),
        }

    def _get_tags(self) -> dict[str, Any]:
        """scikit-learn < 1.6's default tags updated by :meth:`_more_tags`."""
        try:
            from sklearn.utils._tags import _DEFAULT_TAGS
        except ImportError:  # releases that no longer have the dict tags
            defaults: dict[str, Any] = {}
        else:
            defaults = dict(_DEFAULT_TAGS)
        return {**defaults, **self._more_tags()}

    # -- fitted state and copies ------------------------------------------------------------
    def __sklearn_is_fitted__(self) -> bool:
        """Whether ``fit`` (or ``load``) has run: the coefficients are there."""
        return hasattr(self, "coef_")

    def _check_fitted(self) -> None:
        """Raise :func:`not_fitted_error` before ``fit``."""
        if not hasattr(self, "coef_"):
            raise not_fitted_error(f"this {type(self).__name__} is not fitted yet; call fit first")

    def __sklearn_clone__(self: _T) -> _T:
        """An unfitted copy with the same hyperparameters and metadata requests."""
        params = copy.deepcopy(self.get_params(deep=False))  # type: ignore[attr-defined]
        new = type(self)(**params)
        requests = vars(self).get("_metadata_requests")
        if requests is not None:
            vars(new)["_metadata_requests"] = copy.deepcopy(requests)
        return new

    # -- metadata routing -------------------------------------------------------------------
    def set_fit_request(self: _T, *, sample_weight: bool | str | None = None) -> _T:
        """Whether scikit-learn's routing passes ``sample_weight`` to ``fit``; returns self.

        Parameters
        ----------
        sample_weight : bool, str or None, default=None
            True: pass it; False: do not; None: raise if one is given; a string:
            pass the metadata of that name as ``sample_weight``.
        """
        return self._set_request("fit", sample_weight)

    def set_score_request(self: _T, *, sample_weight: bool | str | None = None) -> _T:
        """Whether scikit-learn's routing passes ``sample_weight`` to ``score``; returns self.

        See :meth:`set_fit_request`.
        """
        return self._set_request("score", sample_weight)

    def _set_request(self: _T, method: str, alias: bool | str | None) -> _T:
        if not isinstance(alias, _REQUEST_TYPES):
            raise TypeError(
                f"sample_weight's request must be True, False, None or a name; got {alias!r}"
            )
        if not self._takes_weights(method):
            raise TypeError(f"{type(self).__name__}.{method} takes no sample_weight")
        requests: dict[str, bool | str | None] = vars(self).setdefault("_metadata_requests", {})
        requests[method] = alias
        return self

    def _takes_weights(self, method: str) -> bool:
        function = getattr(self, method, None) if method in self._weighted_methods else None
        return function is not None and "sample_weight" in inspect.signature(function).parameters

    def get_metadata_routing(self) -> Any:
        """scikit-learn's ``MetadataRequest``: where ``sample_weight`` may be routed.

        Every method of :attr:`_weighted_methods` that takes ``sample_weight``
        consumes it, with the request set by ``set_{method}_request`` (None, the
        default: raise if a tool is given weights and no one said where they go).
        """
        from sklearn.utils.metadata_routing import MetadataRequest

        request = MetadataRequest(owner=type(self).__name__)
        requests = vars(self).get("_metadata_requests", {})
        for method in filter(self._takes_weights, self._weighted_methods):
            getattr(request, method).add_request(param="sample_weight", alias=requests.get(method))
        return request


def not_fitted_error(message: str) -> NotFittedError:
    """linreg's :class:`~linreg.errors.NotFittedError`, also scikit-learn's once it is loaded.

    See :func:`sklearn_twin`.
    """
    return sklearn_twin(NotFittedError, "exceptions", "NotFittedError")(message)


def sklearn_twin(ours: _C, module: str, name: str) -> _C:
    """``ours``, or once scikit-learn is loaded, a subclass of it and of ``sklearn.module.name``.

    scikit-learn's tools catch and filter their own classes
    (``sklearn.exceptions.NotFittedError``, ``DataConversionWarning``); while someone
    uses scikit-learn, linreg's errors and warnings of the same meaning are of a
    class deriving from both, so that either ``except`` clause or warning filter
    applies. scikit-learn is never imported for this: without it loaded, ``ours``.
    """
    if sys.modules.get("sklearn") is None:  # not loaded (or blocked)
        return ours
    return _twin(ours, module, name)


@cache
def _twin(ours: _C, module: str, name: str) -> _C:
    import importlib

    theirs = getattr(importlib.import_module(f"sklearn.{module}"), name)
    twin = type(ours.__name__, (ours, theirs), {"__module__": ours.__module__})
    twin.__doc__ = ours.__doc__
    twin.__qualname__ = ours.__qualname__
    return twin  # type: ignore[return-value]


def expected_failed_checks(estimator: object) -> dict[str, str]:
    """The checks ``estimator`` is known to fail, with a reason each.

    For scikit-learn >= 1.6's ``check_estimator(est, expected_failed_checks=...)``
    and ``parametrize_with_checks(..., expected_failed_checks=expected_failed_checks)``.
    """
    return dict(getattr(estimator, "_expected_failed_checks", {}))
