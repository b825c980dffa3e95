"""Exact rational linear algebra for the tests' oracles."""

from __future__ import annotations

from fractions import Fraction


def gauss(G: list[list[Fraction]], h: list[Fraction]) -> list[Fraction]:
    """The solution of ``G x = h`` by Gaussian elimination in exact rational arithmetic."""
    p = len(h)
    M = [[*row, hi] for row, hi in zip(G, h, strict=True)]
    for k in range(p):
        piv = next(i for i in range(k, p) if M[i][k] != 0)
        M[k], M[piv] = M[piv], M[k]
        for i in range(k + 1, p):
            f = M[i][k] / M[k][k]
            M[i] = [a - f * c for a, c in zip(M[i], M[k], strict=True)]
    x = [Fraction(0)] * p
    for k in reversed(range(p)):
        x[k] = (M[k][p] - sum((M[k][j] * x[j] for j in range(k + 1, p)), Fraction(0))) / M[k][k]
    return x
