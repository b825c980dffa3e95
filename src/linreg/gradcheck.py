"""Check the hand-derived gradients against central finite differences.

For each parameter theta_j the numeric derivative is

    (L(theta + h e_j) - L(theta - h e_j)) / (2 h),

whose error is O(h^2). Since the MSE is quadratic in the parameters, central
differences are exact up to round-off; the relative error
|analytic - numeric| / max(|analytic|, |numeric|, floor) is therefore tiny
(~1e-8 or less) when the derivation is right and O(1) when it is wrong.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from linreg.model import LinearModel

__all__ = ["GradCheckResult", "gradcheck"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class GradCheckResult:
    """Per-parameter comparison of analytic and numeric gradients.

    Attributes
    ----------
    names : list of str
        ``W[0]``, ..., ``W[d-1]`` and ``b``.
    analytic, numeric, relative_error : ndarray of shape (d + 1,)
    tolerance : float
        Largest relative error that passes.
    """

    names: list[str]
    analytic: Array
    numeric: Array
    relative_error: Array
    tolerance: float

    @property
    def passed(self) -> bool:
        return bool(np.all(self.relative_error <= self.tolerance))

    @property
    def max_relative_error(self) -> float:
        return float(np.max(self.relative_error))

    def table(self) -> list[tuple[str, float, float, float]]:
        """Rows (name, analytic, numeric, relative error)."""
        return [
            (n, float(a), float(m), float(e))
            for n, a, m, e in zip(
                self.names, self.analytic, self.numeric, self.relative_error, strict=True
            )
        ]

    def __str__(self) -> str:
        lines = [f"{'parameter':<10} {'analytic':>14} {'numeric':>14} {'rel. error':>11}"]
        lines += [f"{n:<10} {a:>14.8g} {m:>14.8g} {e:>11.2e}" for n, a, m, e in self.table()]
        verdict = "PASS" if self.passed else "FAIL"
        lines.append(
            f"{verdict}: max relative error {self.max_relative_error:.2e} "
            f"(tolerance {self.tolerance:.0e})"
        )
        return "\n".join(lines)


def gradcheck(
    model: LinearModel,
    X: Array,
    y: Array,
    *,
    h: float | None = None,
    tolerance: float = 1e-6,
) -> GradCheckResult:
    """Compare ``model.backward`` with central differences of ``model.loss``.

    Parameters
    ----------
    model : LinearModel
        Checked at its current W and b; left unchanged.
    X : ndarray of shape (N, d)
    y : ndarray of shape (N,)
    h : float, optional
        Step; by default scaled to each parameter, eps^(1/3) * max(1, |theta_j|).
    tolerance : float, default=1e-6
        Largest relative error that passes.

    Returns
    -------
    GradCheckResult
    """
    grads = model.backward(X, y, model.forward(X))
    analytic = np.append(grads.dW, grads.db)
    theta = np.append(model.W, model.b)
    n_params = theta.shape[0] if model.fit_intercept else theta.shape[0] - 1
    numeric = np.zeros_like(theta)
    W0, b0 = model.W.copy(), model.b

    def loss_at(params: Array) -> float:
        model.W, model.b = params[:-1], float(params[-1])
        return model.loss(model.forward(X), y)

    try:
        for j in range(n_params):
            step = (
                h if h is not None else np.cbrt(np.finfo(np.float64).eps) * max(1.0, abs(theta[j]))
            )
            e = np.zeros_like(theta)
            e[j] = step
            numeric[j] = (loss_at(theta + e) - loss_at(theta - e)) / (2 * step)
    finally:
        model.W, model.b = W0, b0

    # The floor keeps a zero gradient (at the optimum) from dividing by ~0:
    # it is the size of round-off in a derivative of L.
    floor = np.sqrt(np.finfo(np.float64).eps) * max(1.0, model.loss(model.forward(X), y))
    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), floor)
    relative_error = np.abs(analytic - numeric) / scale
    names = [f"W[{j}]" for j in range(model.W.shape[0])] + ["b"]
    return GradCheckResult(
        names=names,
        analytic=analytic,
        numeric=numeric,
        relative_error=relative_error,
        tolerance=tolerance,
    )
