"""Data for the tests of the norm-sliced kernels: NumPy's (``test_extended``) and C's
(``test_kernels``). Blocks whose residual ``y - b - C w`` cancels, and that residual
in exact rational arithmetic, the oracle."""

from __future__ import annotations

from fractions import Fraction

import numpy as np
from numpy.typing import NDArray

Array = NDArray[np.float64]


def cancelling_block(
    rng: np.random.Generator, rows: int, k: int, scale: float, offset: float, noise: float
) -> tuple[Array, Array, float, Array]:
    """``(C, y, b, w)``: ``k`` columns of scale ``10**scale`` (give or take three
    decades), some ``10**offset`` standard deviations from zero, sometimes a zero
    column; ``y`` the fitted values ``C w + b`` plus residuals ``10**noise`` of them."""
    col_scale = 10.0 ** (scale + rng.uniform(-3, 3, k))
    C = (rng.standard_normal((rows, k)) + 10.0**offset * rng.choice([-1, 0, 1], k)) * col_scale
    if k > 1 and rng.random() < 0.3:
        C[:, 0] = 0.0  # a zero column
    w = rng.standard_normal(k) / col_scale
    b = float(rng.standard_normal() * 10.0**offset)
    fitted = C @ w + b
    y = fitted + 10.0**noise * np.abs(fitted).mean() * rng.standard_normal(rows)
    return C, y, b, w


def exact_residual(C: Array, y: Array, b: float, w: Array) -> list[Fraction]:
    """``y - b - C w``, row by row, with no rounding at all."""
    return [
        Fraction(yi)
        - Fraction(b)
        - sum((Fraction(c) * Fraction(wj) for c, wj in zip(row, w, strict=True)), Fraction(0))
        for yi, row in zip(y.tolist(), C.tolist(), strict=True)
    ]
