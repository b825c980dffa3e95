"""Checks for the exercises notebook: the student's code against the package.

``notebooks/exercises.ipynb`` leaves seven functions for the student to write; each
is followed by one of the checks below, which calls it on a seeded set of random
problems (one sample and many, one feature and several, ``y`` given as (N,) and as
(N, 1)) and compares what it returns with :class:`linreg.LinearModel` and
:func:`linreg.stability`. The functions to write, with the shapes of the rest of
linreg (``X`` (N, d), ``W`` (d,), ``b`` a float, ``y`` (N,) or (N, 1)):

==================  ======================================  ==========================
function            returns                                  check
==================  ======================================  ==========================
``forward``         ``y_pred = X W + b``, shape (N,)         :func:`check_forward`
``loss``            ``L = mean((y_pred - y)^2)``             :func:`check_loss`
``backward``        ``(dW, db) = (2/N) (X^T r, sum r)``      :func:`check_backward`
``step``            ``(W - lr dW, b - lr db)``               :func:`check_step`
``train``           ``(W, b, losses)`` after the epochs      :func:`check_train`
``eta_max``         ``2 / lambda_max(H)``                    :func:`check_eta_max`
``standardize``     ``(Z, mean, std)``, ``Z = (X - m) / s``  :func:`check_standardize`
==================  ======================================  ==========================

A wrong answer raises :class:`ExerciseError` (an ``AssertionError``) whose message
names the case and, for the usual mistakes, the mistake: a missing factor 2 or
1/N, the (N,) - (N, 1) broadcasting bug, the wrong sign, or an update of ``b``
computed from the already updated ``W``. A blank that still raises
``NotImplementedError`` lets it through unchanged; any other exception is
reported as an :class:`ExerciseError` naming the case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from linreg.model import Gradients, LinearModel
from linreg.stability import hessian, stability

__all__ = [
    "ExerciseError",
    "Passed",
    "check_backward",
    "check_eta_max",
    "check_forward",
    "check_loss",
    "check_standardize",
    "check_step",
    "check_train",
]

Array = NDArray[np.float64]

#: The (N, d) shapes every check tries first: one sample, one feature, both, and more.
FIXED_SHAPES = ((1, 1), (1, 3), (6, 1), (5, 3), (30, 2), (3, 2))
RTOL = 1e-8
ATOL = 1e-10


class ExerciseError(AssertionError):
    """The student's function gave a wrong answer; the message says where and, if it
    can tell, which mistake."""


@dataclass(frozen=True)
class Passed:
    """What a check returns when every case is right: it shows as one line."""

    name: str
    cases: int
    shapes: str

    def __repr__(self) -> str:
        return f"✓ {self.name} is right on {self.cases} random cases ({self.shapes})"


@dataclass(frozen=True)
class Case:
    """One random problem: data, parameters, and how ``y`` is shaped."""

    index: int
    X: Array
    y: Array  # always (N,); ``target`` gives it in the shape handed to the student
    W: Array
    b: float
    column: bool

    @property
    def N(self) -> int:
        return int(self.X.shape[0])

    @property
    def d(self) -> int:
        return int(self.X.shape[1])

    @property
    def target(self) -> Array:
        return self.y.reshape(-1, 1) if self.column else self.y.copy()

    def describe(self, total: int) -> str:
        shape = f"({self.N}, 1)" if self.column else f"({self.N},)"
        return f"case {self.index + 1} of {total} (N={self.N}, d={self.d}, y of shape {shape})"


def cases(seed: int = 0, n_cases: int = 12) -> list[Case]:
    """The seeded random problems: the fixed shapes first, then random ones.

    ``y`` alternates between shapes (N,) and (N, 1); features have offsets and
    scales that differ, as real data do, and no column is constant.
    """
    rng = np.random.default_rng(seed)
    shapes = list(FIXED_SHAPES[:n_cases])
    while len(shapes) < n_cases:
        shapes.append((int(rng.integers(1, 41)), int(rng.integers(1, 6))))
    out = []
    for index, (N, d) in enumerate(shapes):
        scale = rng.uniform(0.5, 4.0, size=d)
        offset = rng.uniform(-5.0, 5.0, size=d)
        X = offset + scale * rng.standard_normal((N, d))
        W = rng.standard_normal(d)
        b = float(rng.standard_normal())
        y = X @ rng.standard_normal(d) + rng.standard_normal() + 0.5 * rng.standard_normal(N)
        out.append(Case(index, X, y, W, b, column=index % 2 == 1))
    return out


def _shapes(all_cases: list[Case]) -> str:
    Ns = [c.N for c in all_cases]
    ds = [c.d for c in all_cases]
    return f"N from {min(Ns)} to {max(Ns)}, d from {min(ds)} to {max(ds)}, y as (N,) and (N, 1)"


def _call(name: str, function: Callable[..., Any], where: str, *args: Any) -> Any:
    """Call the student's function; a blank's NotImplementedError passes through."""
    try:
        return function(*args)
    except NotImplementedError:
        raise
    except Exception as exc:
        raise ExerciseError(f"{name} raised {type(exc).__name__} on {where}: {exc}") from exc


def _quietly(function: Callable[..., Any], *args: Any) -> Any:
    """Call the student's function for a diagnosis: None if it raises anything."""
    try:
        return function(*args)
    except Exception:
        return None


def _array(name: str, value: Any, shape: tuple[int, ...], where: str) -> Array:
    """``value`` as a float array of ``shape``, or an error naming the shape it has."""
    try:
        got = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ExerciseError(f"{name} is not an array of numbers on {where}: {value!r}") from exc
    if got.shape != shape:
        hint = ""
        if got.ndim == 2 and shape and got.shape[0] == shape[0] and got.shape[1] > 1:
            hint = (
                ": y of shape (N, 1) minus y_pred of shape (N,) broadcasts to an (N, N) "
                "matrix; flatten y first (y.reshape(-1))"
            )
        elif got.size == int(np.prod(shape)):
            hint = f": reshape it to {shape}"
        raise ExerciseError(f"{name} has shape {got.shape}, expected {shape}, on {where}{hint}")
    return got


def _scalar(name: str, value: Any, where: str) -> float:
    got = np.asarray(value, dtype=np.float64)
    if got.size != 1:
        hint = ""
        if got.ndim == 2 and got.shape[0] == got.shape[1]:
            hint = (
                ": y of shape (N, 1) minus y_pred of shape (N,) broadcasts to an (N, N) "
                "matrix; flatten y first (y.reshape(-1))"
            )
        raise ExerciseError(f"{name} should be one number, got shape {got.shape} on {where}{hint}")
    return float(got.reshape(()))


def _close(got: Array | float, expected: Array | float) -> bool:
    return bool(np.allclose(got, expected, rtol=RTOL, atol=ATOL))


def _ratio_hint(name: str, got: Array, expected: Array, N: int, sign_hint: str) -> str:
    """Which usual mistake turns ``expected`` into ``got``, as a sentence, or ''."""
    if not np.any(expected):
        return ""
    hints = [
        (
            0.5,
            f"{name} is half the right value: "
            "did you drop the 2 from the derivative of the square?",
        ),
        (
            2.0,
            f"{name} is twice the right value: the loss has no 1/2 in front, so the 2 appears once",
        ),
        (-1.0, f"{name} has the wrong sign: {sign_hint}"),
        (
            -0.5,
            f"{name} has the wrong sign and is half the right value: {sign_hint}, and keep the 2",
        ),
    ]
    if N > 1:
        hints += [
            (
                float(N),
                f"{name} is N times the right value: did you forget to divide by N (the mean)?",
            ),
            (N / 2, f"{name} is N/2 times the right value: both the 2 and the 1/N are missing"),
            (
                -float(N),
                f"{name} has the wrong sign and is N times too large: {sign_hint}, and divide by N",
            ),
        ]
    for factor, hint in hints:
        if _close(got, factor * expected):
            return hint
    return ""


def _mismatch(name: str, where: str, got: Any, expected: Any, hint: str = "") -> ExerciseError:
    message = (
        f"{name} is wrong on {where}: expected {np.round(expected, 6)}, got {np.round(got, 6)}"
    )
    return ExerciseError(f"{hint} ({message})" if hint else message)


def _broadcast_hint(name: str) -> str:
    return (
        f"{name} is wrong when y has shape (N, 1) and right when y has shape (N,): y_pred - y "
        "broadcasts (N,) against (N, 1) into an (N, N) matrix; flatten y first (y.reshape(-1))"
    )


def _reference_model(W: Array, b: float) -> LinearModel:
    model = LinearModel(n_features=W.shape[0])
    model.W, model.b = W.copy(), float(b)
    return model


# -- the checks -----------------------------------------------------------------------------------
def check_forward(
    forward: Callable[[Array, Array, float], Any], *, seed: int = 0, n_cases: int = 12
) -> Passed:
    """Check ``forward(X, W, b)``, which returns ``y_pred = X W + b`` of shape (N,).

    The reference is :meth:`linreg.LinearModel.forward`.
    """
    all_cases = cases(seed, n_cases)
    for case in all_cases:
        where = case.describe(n_cases)
        expected = _reference_model(case.W, case.b).forward(case.X)
        value = _call("forward", forward, where, case.X.copy(), case.W.copy(), case.b)
        got = _array("forward(X, W, b)", value, (case.N,), where)
        if not _close(got, expected):
            hint = ""
            if _close(got, case.X @ case.W):
                hint = "forward leaves out the bias: y_pred = X W + b"
            elif _close(got, expected - 2 * case.b):
                hint = "forward subtracts the bias: y_pred = X W + b"
            raise _mismatch("forward(X, W, b)", where, got, expected, hint)
    return Passed("forward", n_cases, _shapes(all_cases))


def check_loss(loss: Callable[[Array, Array], Any], *, seed: int = 0, n_cases: int = 12) -> Passed:
    """Check ``loss(y_pred, y)``, the mean squared error, with ``y`` of shape (N,) or (N, 1).

    The reference is :meth:`linreg.LinearModel.loss` on the flattened ``y``.
    """
    all_cases = cases(seed, n_cases)
    for case in all_cases:
        where = case.describe(n_cases)
        y_pred = _reference_model(case.W, case.b).forward(case.X)
        expected = _reference_model(case.W, case.b).loss(y_pred, case.y)
        got = _scalar(
            "loss(y_pred, y)", _call("loss", loss, where, y_pred.copy(), case.target), where
        )
        if _close(got, expected):
            continue
        flat = _quietly(loss, y_pred.copy(), case.y.copy()) if case.column else None
        if flat is not None and np.size(flat) == 1 and _close(float(np.asarray(flat)), expected):
            raise ExerciseError(f"{_broadcast_hint('loss')} (on {where})")
        hint = ""
        if case.N > 1 and _close(got, case.N * expected):
            hint = "loss is N times the right value: did you forget to divide by N (the mean)?"
        elif _close(got, expected / 2):
            hint = "loss is half the right value: linreg's MSE has no 1/2 in front"
        elif _close(got, np.sqrt(expected)):
            hint = "loss is the square root of the right value: that is the RMSE, not the MSE"
        raise _mismatch("loss(y_pred, y)", where, got, expected, hint)
    return Passed("loss", n_cases, _shapes(all_cases))


def check_backward(
    backward: Callable[[Array, Array, Array], Any], *, seed: int = 0, n_cases: int = 12
) -> Passed:
    """Check ``backward(X, y, y_pred)``, which returns ``(dW, db)`` of the MSE.

    ``dW = (2/N) X^T r`` of shape (d,) and ``db = (2/N) sum(r)``, with ``r = y_pred - y``;
    the reference is :meth:`linreg.LinearModel.backward`.
    """
    all_cases = cases(seed, n_cases)
    sign = "the residual is r = y_pred - y, not y - y_pred"
    for case in all_cases:
        where = case.describe(n_cases)
        model = _reference_model(case.W, case.b)
        y_pred = model.forward(case.X)
        expected = model.backward(case.X, case.y, y_pred)
        value = _call("backward", backward, where, case.X.copy(), case.target, y_pred.copy())
        try:
            dW_value, db_value = value
        except (TypeError, ValueError) as exc:
            raise ExerciseError(
                f"backward should return a pair (dW, db), got {value!r} on {where}"
            ) from exc
        try:
            dW = _array("dW", dW_value, (case.d,), where)
            db = _scalar("db", db_value, where)
        except ExerciseError:
            if case.column:
                _flat_is_right(backward, case, y_pred, expected, where)
            raise
        if _close(dW, expected.dW) and _close(db, expected.db):
            continue
        if case.column:
            _flat_is_right(backward, case, y_pred, expected, where)
        got_all = np.append(dW, db)
        want_all = np.append(expected.dW, expected.db)
        hint = _ratio_hint("the gradient (dW and db)", got_all, want_all, case.N, sign)
        if not hint and not _close(dW, expected.dW):
            hint = _ratio_hint("dW", dW, expected.dW, case.N, sign)
            if not hint and _close(dW, expected.dW * case.d):
                hint = "dW is d times too large"
            name, got, want = "dW", dW, expected.dW
        elif not hint:
            hint = _ratio_hint("db", np.array([db]), np.array([expected.db]), case.N, sign)
            name, got, want = "db", np.array(db), np.array(expected.db)
        else:
            name, got, want = "(dW, db)", got_all, want_all
        raise _mismatch(name, where, got, want, hint)
    return Passed("backward", n_cases, _shapes(all_cases))


def _flat_is_right(
    backward: Callable[[Array, Array, Array], Any],
    case: Case,
    y_pred: Array,
    expected: Gradients,
    where: str,
) -> None:
    """Raise the broadcasting message if ``backward`` is right once ``y`` is flat."""
    try:
        dW, db = backward(case.X.copy(), case.y.copy(), y_pred.copy())
        right = _close(np.asarray(dW, dtype=float), expected.dW) and _close(
            np.asarray(db, dtype=float), expected.db
        )
    except Exception:
        return
    if right:
        raise ExerciseError(f"{_broadcast_hint('backward')} (on {where})")


def check_step(step: Callable[..., Any], *, seed: int = 0, n_cases: int = 12) -> Passed:
    """Check ``step(W, b, dW, db, learning_rate)``, which returns the new ``(W, b)``.

    The update is ``W - learning_rate dW`` and ``b - learning_rate db``; the reference
    is :meth:`linreg.LinearModel.step`. The arrays given must not be changed in place.
    """
    all_cases = cases(seed, n_cases)
    rng = np.random.default_rng(seed + 1)
    for case in all_cases:
        where = case.describe(n_cases)
        model = _reference_model(case.W, case.b)
        grads = model.backward(case.X, case.y, model.forward(case.X))
        rate = float(rng.uniform(0.001, 0.5))
        model.step(grads, rate)
        W_in, dW_in = case.W.copy(), grads.dW.copy()
        value = _call("step", step, where, W_in, case.b, dW_in, grads.db, rate)
        try:
            W_value, b_value = value
        except (TypeError, ValueError) as exc:
            raise ExerciseError(
                f"step should return the pair (W, b), got {value!r} on {where}"
            ) from exc
        W = _array("the new W", W_value, (case.d,), where)
        b = _scalar("the new b", b_value, where)
        if _close(W, model.W) and _close(b, model.b):
            if not np.array_equal(dW_in, grads.dW):
                raise ExerciseError(
                    f"step changed dW in place on {where}: leave its arguments as they are"
                )
            continue
        if _close(W, case.W + rate * grads.dW) or _close(b, case.b + rate * grads.db):
            hint = "step moves up the gradient: subtract learning_rate * gradient, do not add it"
        elif _close(W, case.W - grads.dW) or _close(b, case.b - grads.db):
            hint = "step leaves out the learning rate: W - learning_rate * dW"
        elif _close(W, model.W) and _close(b, case.b):
            hint = "step does not update b"
        elif _close(W, case.W):
            hint = "step does not update W"
        else:
            hint = ""
        raise _mismatch("(W, b)", where, np.append(W, b), np.append(model.W, model.b), hint)
    return Passed("step", n_cases, _shapes(all_cases))


def reference_train(
    X: Array,
    y: Array,
    W: Array,
    b: float,
    learning_rate: float,
    epochs: int,
    *,
    b_from_new_W: bool = False,
    and_last: bool = False,
) -> tuple[Array, float, Array]:
    """Full-batch gradient descent with :class:`linreg.LinearModel`: ``(W, b, losses)``.

    ``losses[k]`` is the loss of the model after ``k`` updates, before update ``k + 1``
    (``epochs`` values; with ``and_last`` one more, the loss after the last update).
    ``b_from_new_W`` reproduces the classic mistake of computing
    ``db`` after ``W`` has been updated, so that the checks can recognise it.
    """
    model = _reference_model(W, b)
    losses = []
    for _ in range(epochs + 1):
        y_pred = model.forward(X)
        losses.append(model.loss(y_pred, y))
        if len(losses) > epochs:
            break
        grads = model.backward(X, y, y_pred)
        if b_from_new_W:
            model.W = model.W - learning_rate * grads.dW
            late = model.backward(X, y, model.forward(X))
            model.b = model.b - learning_rate * late.db
        else:
            model.step(grads, learning_rate)
    return model.W, model.b, np.array(losses if and_last else losses[:epochs])


def check_train(train: Callable[..., Any], *, seed: int = 0, n_cases: int = 8) -> Passed:
    """Check ``train(X, y, W, b, learning_rate, epochs)`` -> ``(W, b, losses)``.

    Full-batch gradient descent from ``(W, b)``; ``losses`` holds one loss per epoch,
    each computed before that epoch's update. Rates are kept below eta_max.
    """
    all_cases = cases(seed, n_cases)
    for case in all_cases:
        where = case.describe(n_cases)
        rate = 0.5 * stability(case.X).max_stable_learning_rate
        epochs = 1 + case.index % 4 * 5
        W_ref, b_ref, loss_ref = reference_train(case.X, case.y, case.W, case.b, rate, epochs)
        where = f"{where}, learning_rate={rate:.4g}, epochs={epochs}"
        value = _call(
            "train", train, where, case.X.copy(), case.target, case.W.copy(), case.b, rate, epochs
        )
        try:
            W_value, b_value, losses_value = value
        except (TypeError, ValueError) as exc:
            raise ExerciseError(
                f"train should return (W, b, losses), got {type(value).__name__} on {where}"
            ) from exc
        W = _array("the trained W", W_value, (case.d,), where)
        b = _scalar("the trained b", b_value, where)
        losses = np.asarray(losses_value, dtype=float).reshape(-1)
        if _close(W, W_ref) and _close(b, b_ref):
            if losses.shape != loss_ref.shape:
                raise ExerciseError(
                    f"train returned {losses.size} losses for {epochs} epochs on {where}: "
                    "record one per epoch"
                )
            if not _close(losses, loss_ref):
                hint = ""
                _, _, after = reference_train(
                    case.X, case.y, case.W, case.b, rate, epochs, and_last=True
                )
                if _close(losses, after[1:]):
                    hint = "losses are recorded after each update: record the loss before it"
                raise _mismatch("losses", where, losses, loss_ref, hint)
            continue
        W_late, b_late, _ = reference_train(
            case.X, case.y, case.W, case.b, rate, epochs, b_from_new_W=True
        )
        if _close(W, W_late) and _close(b, b_late):
            hint = (
                "b's update uses the new W: compute both gradients from the same prediction, "
                "then update W and b together"
            )
        elif case.column and _right_when_flat(train, case, rate, epochs, W_ref, b_ref):
            hint = _broadcast_hint("train")
        else:
            hint = ""
        raise _mismatch("(W, b)", where, np.append(W, b), np.append(W_ref, b_ref), hint)
    return Passed("train", n_cases, _shapes(all_cases))


def _right_when_flat(
    train: Callable[..., Any], case: Case, rate: float, epochs: int, W_ref: Array, b_ref: float
) -> bool:
    """Whether ``train`` gets the right (W, b) once ``y`` is given flat, shape (N,)."""
    value = _quietly(train, case.X.copy(), case.y.copy(), case.W.copy(), case.b, rate, epochs)
    try:
        W, b, _ = value
        return _close(np.asarray(W, dtype=float), W_ref) and _close(float(b), b_ref)
    except (TypeError, ValueError):
        return False


def check_eta_max(eta_max: Callable[[Array], Any], *, seed: int = 0, n_cases: int = 12) -> Passed:
    """Check ``eta_max(X)``: the largest stable learning rate ``2 / lambda_max`` of the
    Hessian ``H = (2/N) A^T A`` with ``A = [X 1]``; the reference is :func:`linreg.stability`.
    """
    all_cases = cases(seed, n_cases)
    for case in all_cases:
        where = case.describe(n_cases)
        expected = stability(case.X).max_stable_learning_rate
        got = _scalar("eta_max(X)", _call("eta_max", eta_max, where, case.X.copy()), where)
        if _close(got, expected):
            continue
        H = hessian(case.X)
        N = case.N
        eigenvalues = np.linalg.eigvalsh(H)
        no_bias = np.linalg.eigvalsh(hessian(case.X, fit_intercept=False))
        candidates = [
            (
                1 / eigenvalues[-1],
                "eta_max is half the right value: the limit is 2 / lambda_max, not 1 / lambda_max",
            ),
            (
                2 / no_bias[-1],
                "eta_max leaves out the bias: its Hessian has a column of ones appended to X",
            ),
            (
                4 / (N * eigenvalues[-1]),
                "eta_max uses A^T A: the Hessian of the MSE is (2/N) A^T A",
            ),
            (
                2 / eigenvalues[0],
                "eta_max uses the smallest eigenvalue: the steepest direction sets the limit",
            ),
        ]
        hint = next((text for value, text in candidates if _close(got, value)), "")
        raise _mismatch("eta_max(X)", where, got, expected, hint)
    return Passed("eta_max", n_cases, _shapes(all_cases))


def check_standardize(
    standardize: Callable[[Array], Any], *, seed: int = 0, n_cases: int = 12
) -> Passed:
    """Check ``standardize(X)`` -> ``(Z, mean, std)`` with ``Z = (X - mean) / std``.

    ``mean`` and ``std`` are the columns' means and population standard deviations
    (``ddof=0``), both of shape (d,), as ``LinearRegression(standardize=True)`` uses.
    """
    all_cases = [case for case in cases(seed, n_cases + 2) if case.N > 1][:n_cases]
    total = len(all_cases)
    for case in all_cases:
        where = case.describe(total)
        mean, std = case.X.mean(axis=0), case.X.std(axis=0)
        value = _call("standardize", standardize, where, case.X.copy())
        try:
            Z_value, mean_value, std_value = value
        except (TypeError, ValueError) as exc:
            raise ExerciseError(f"standardize should return (Z, mean, std) on {where}") from exc
        Z = _array("Z", Z_value, case.X.shape, where)
        got_mean = _array("mean", mean_value, (case.d,), where)
        got_std = _array("std", std_value, (case.d,), where)
        if _close(Z, (case.X - mean) / std) and _close(got_mean, mean) and _close(got_std, std):
            continue
        hint = ""
        if _close(got_std, case.X.std(axis=0, ddof=1)):
            hint = "std uses ddof=1: standardize with the population deviation (np.std's default)"
        elif _close(Z, (case.X - mean) / std**2):
            hint = "Z divides by the variance: divide by the standard deviation"
        elif _close(Z, case.X / std):
            hint = "Z is not centred: subtract the mean first"
        elif not _close(got_mean, mean) and _close(got_mean, np.full(case.d, case.X.mean())):
            hint = "mean is over the whole array: take each column's own, X.mean(axis=0)"
        elif not _close(got_std, std) and _close(got_std, np.full(case.d, case.X.std())):
            hint = "std is over the whole array: take each column's own, X.std(axis=0)"
        raise _mismatch(
            "standardize(X)", where, np.round(Z, 4), np.round((case.X - mean) / std, 4), hint
        )
    return Passed("standardize", total, _shapes(all_cases))
