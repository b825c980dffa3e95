"""Check the hand-derived gradients against central finite differences.

For each parameter theta_j the numeric derivative is

    (L(theta + h e_j) - L(theta - h e_j)) / (2 h),

whose truncation error is O(h^2). Since the MSE is quadratic in the parameters,
central differences are exact up to round-off; the relative error
|analytic - numeric| / max(|analytic|, |numeric|, noise / tolerance) is therefore
tiny when the derivation is right and O(1) when it is wrong. The noise term is an
estimate of the round-off both derivatives carry, so that a derivative that is
(nearly) zero, as at the optimum, is not failed for rounding.
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

    # Round-off bounds both derivatives can carry, per parameter. With A = [X 1] and
    # mag_i = |A_i| |theta| + |y_i| (the size of the terms that cancel in r_i):
    # - a loss value is off by ~eps (L + spread), spread = 2 mean(|r| mag), so the
    #   central difference is off by ~eps (L+ + L- + spread) / (2 h_j);
    # - the analytic (2/N) A_j^T r is off by ~eps size_j, size_j = (2/N) |A_j|^T mag.
    # A gap below 64x these is noise, not a wrong derivation.
    A = np.column_stack([X, np.ones(X.shape[0])])
    mag = np.abs(A) @ np.abs(theta) + np.abs(y)
    residual = A @ theta - y
    spread = 2.0 * float(np.mean(np.abs(residual) * mag))
    size = (2.0 / X.shape[0]) * (np.abs(A).T @ mag)
    eps = np.finfo(np.float64).eps
    noise = np.zeros_like(theta)
    try:
        for j in range(n_params):
            step = h if h is not None else np.cbrt(eps) * max(1.0, abs(theta[j]))
            e = np.zeros_like(theta)
            e[j] = step
            loss_plus, loss_minus = loss_at(theta + e), loss_at(theta - e)
            numeric[j] = (loss_plus - loss_minus) / (2 * step)
            noise[j] = 64 * eps * ((loss_plus + loss_minus + spread) / (2 * step) + size[j])
    finally:
        model.W, model.b = W0, b0

    scale = np.maximum(np.maximum(np.abs(analytic), np.abs(numeric)), noise / tolerance)
    scale = np.maximum(scale, np.finfo(np.float64).tiny)
    relative_error = np.abs(analytic - numeric) / scale
    names = [f"W[{j}]" for j in range(model.W.shape[0])] + ["b"]
    return GradCheckResult(
        names=names,
        analytic=analytic,
        numeric=numeric,
        relative_error=relative_error,
        tolerance=tolerance,
    )
