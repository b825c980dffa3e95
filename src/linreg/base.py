"""scikit-learn's parameter protocol, shared by linreg's estimators.

Hyperparameters are the keyword arguments of ``__init__``, stored unchanged as
attributes of the same name; ``get_params``/``set_params`` read and write them,
and ``repr`` shows the ones that differ from their defaults.
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

__all__ = ["ParamsMixin"]

_T = TypeVar("_T", bound="ParamsMixin")


class ParamsMixin:
    """``get_params``, ``set_params`` and a ``repr`` of the non-default hyperparameters."""

    @classmethod
    def _param_names(cls) -> list[str]:
        signature = inspect.signature(cls.__init__)
        return [p for p in signature.parameters if p != "self"]

    def get_params(self, deep: bool = True) -> dict[str, Any]:
        """The hyperparameters as given to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self: _T, **params: Any) -> _T:
        """Set hyperparameters by name; returns self."""
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ValueError(f"unknown parameter {name!r}; valid ones are {valid}")
            setattr(self, name, value)
        return self

    def __repr__(self) -> str:
        defaults = type(self)().get_params()
        changed = {k: v for k, v in self.get_params().items() if defaults[k] != v}
        return f"{type(self).__name__}({', '.join(f'{k}={v!r}' for k, v in changed.items())})"
