"""The exact solver's preconditioner: ``R`` of the centred design, and its rank.

:class:`Centred` is what every factorisation gives the refinement: ``R`` of
``Z = [1, X - 1 m^T]`` (or ``X``) and the map ``T`` with ``Z = A T``.  In memory it
comes from the centred Gram matrix (:class:`GramR`, one pass, no copy) or from
Householder QR with ``Q`` kept (:class:`Factorization`); the streamed solver
builds its own from merged factors.  :func:`numerical_rank` decides the rank and
condition number from ``R``.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

import numpy as np
from numpy.typing import NDArray
from scipy.linalg import cholesky, lapack, solve_triangular

from linreg.errors import RankDeficiencyWarning
from linreg.solvers import extended as ext
from linreg.solvers.design import CHUNK_ELEMENTS
from linreg.solvers.fast import Moments
from linreg.solvers.tsqr import BlockQR, apply_q, block_rows
from linreg.validation import require_finite

__all__ = [
    "Centred",
    "Factorization",
    "GramR",
    "Rank",
    "geqrf",
    "geqrf_lwork",
    "numerical_rank",
    "safe_column_norms",
    "truncated_pinv_solve",
    "uncentred_norms",
    "vector_norm",
    "warn_rank",
]

Array = NDArray[np.float64]

#: Machine epsilon of float64, 2**-52.
_EPS: Final = 2.0**-52


class Centred:
    """What both factorisations share: ``R`` of ``Z = [1, X - 1 m^T]`` (or ``X``) and
    the map ``T = [[1, -m^T], [0, I]]`` with ``Z = A T``, which takes centred
    coefficients ``u`` to original ones ``x = T u`` (the shift ``m`` need not be the
    exact mean)."""

    n: int
    d: int
    p: int
    k: int
    fit_intercept: bool
    means: Array
    R: Array
    #: How much worse than Householder's ``R`` this one may precondition the
    #: seminormal corrections (a factor on their contraction bound).
    rate_factor: float = 1.0
    #: A first solve already made while factoring (original coordinates), if any.
    start: Array | None = None
    #: Upper bounds of the column norms of ``X``'s row blocks of ``block_rows`` rows,
    #: where the factorisation's pass recorded them (for the norm-sliced kernel).
    block_norms: Array | None = None
    block_rows: int = 0
    #: The rows' total weight ``sum(w)`` where they are weighted (None: ``n`` rows of
    #: weight 1); the weighted mean then stands for the mean in the norms.
    weight_total: float | None = None

    def _setup(self, X: Array, fit_intercept: bool) -> None:
        n, d = X.shape
        self.n, self.d, self.p = n, d, d + int(fit_intercept)
        self.k = min(n, self.p)
        self.fit_intercept = fit_intercept
        self.means = _shift(X) if fit_intercept else np.zeros(d)

    def _fill(self, X: Array, s: int, out: Array) -> None:
        """Rows ``s:s + m`` of ``Z`` into ``out`` of shape (p, m), i.e. transposed."""
        rows = X[s : s + out.shape[1]]
        if self.fit_intercept:
            out[0] = 1.0
            np.subtract(rows.T, self.means[:, None], out=out[1:])
        else:
            np.copyto(out, rows.T)

    def target_norm(self, y: Array) -> float:
        """``|y|`` in the norm of the factored rows (weighted factors: ``|sqrt(w) y|``)."""
        return vector_norm(y)

    def t_apply(self, u: Array) -> Array:
        """``x = T u``: centred coefficients to original ones."""
        if not self.fit_intercept:
            return u.copy()
        x = u.copy()
        x[0] = u[0] - float(self.means @ u[1:])
        return x

    def t_transpose(self, g: Array) -> Array:
        """``T^T g``: the gradient side of the correction equations."""
        if not self.fit_intercept:
            return g.copy()
        out = g.copy()
        out[1:] = g[1:] - self.means * g[0]
        return out


class GramR(Centred):
    """``R`` as the Cholesky factor of the centred Gram matrix, from one pass over ``X``.

    Notes
    -----
    :meth:`linreg.solvers.fast.Moments.from_data` accumulates ``Xc^T Xc`` and ``Xc^T yc``
    about the column means, in 1 MiB row blocks (one compiled sweep,
    :mod:`linreg.solvers.gram_pass`, or BLAS ``syrk``) with no copy of ``X``; with
    ``Z = [1, X - 1 m^T]`` and ``m`` those means, ``Z^T Z = [[n, 0], [0, Xc^T Xc]]``
    up to rounding, so ``R = [[sqrt(n), 0], [0,
    chol(Xc^T Xc)]]``.  As a preconditioner for the seminormal corrections this
    ``R`` is as good as Householder's while ``cond(Z)^2 * mu * eps`` is small:
    ``R^T R`` equals ``Z^T Z`` to a relative ``n eps`` at worst (``sqrt(n) eps``
    typically, which the refinement's contraction bound allows for), and the
    refinement removes that like any other error of the first solve.  It also gives
    that first solve from the centred moments, ``u = (Z^T Z)^{-1} Z^T y``, already
    accurate to ``cond(Z)^2 eps``, so the refinement starts one step ahead.  A
    Cholesky failure, a rank drop or too large a condition number sends the
    problem to Householder QR (:class:`Factorization`).
    """

    def __init__(self, X: Array, y: Array | None, fit_intercept: bool) -> None:
        n, d = X.shape
        self.n, self.d, self.p = n, d, d + int(fit_intercept)
        self.k = min(n, self.p)
        self.fit_intercept = fit_intercept
        # Squares of data near 1e300 overflow: checked below, not warned about.
        with np.errstate(over="ignore", invalid="ignore"):
            moments = Moments.from_data(X, np.zeros(n) if y is None else y)
            if fit_intercept:
                self.means = moments.mean
                gram = np.zeros((self.p, self.p))
                gram[0, 0] = n
                gram[1:, 1:] = moments.gram
                zty = np.concatenate([[n * moments.y_mean], moments.xty])
            else:
                self.means = np.zeros(d)
                gram = moments.gram + n * np.outer(moments.mean, moments.mean)
                zty = moments.xty + n * moments.mean * moments.y_mean
        if not (np.all(np.isfinite(gram)) and np.all(np.isfinite(zty))):
            require_finite(X, y)  # NaN and infinities reach the sums too
            # Squares beyond 2**1024: Householder QR never squares anything.
            raise np.linalg.LinAlgError("the Gram matrix overflows")
        self.R = cholesky(gram, lower=False, check_finite=False)
        # Rounding in the Gram's sums, up to n eps of it at worst: sqrt(n) is the
        # usual size, and with the 64-fold safety of the bound covers it.
        self.rate_factor = math.sqrt(n)
        u = solve_triangular(
            self.R, solve_triangular(self.R, zty, trans="T", check_finite=False), check_finite=False
        )
        self.start = None if y is None else self.t_apply(u)
        self.block_norms, self.block_rows = moments.block_norms, moments.block_rows


class Factorization(Centred):
    """Householder QR ``Z = Q R`` with ``Q`` kept (compact reflectors, ``dormqr``).

    Notes
    -----
    ``Z`` is one F-ordered copy, filled in row chunks on a thread pool and factored
    in place by one ``dgeqrf`` call (one big call: few OpenBLAS barriers); or, tall
    and narrow (:func:`linreg.solvers.tsqr.block_rows`), in row blocks that are
    filled and factored while in cache, on a thread per core
    (:class:`linreg.solvers.tsqr.BlockQR`).
    """

    #: The blocked factorisation, where ``Z`` was factored by blocks.
    blocked: BlockQR | None = None

    def __init__(self, X: Array, fit_intercept: bool) -> None:
        self._setup(X, fit_intercept)
        n, p = self.n, self.p
        rows = block_rows(n, p)
        if rows:
            self.blocked = BlockQR(n, p, rows, lambda s, out: self._fill(X, s, out))
            self.R = self.blocked.R
            return
        Z = np.empty((n, p), order="F")
        step = max(256, CHUNK_ELEMENTS // max(p, 1))
        ext.map_chunks(lambda s, _: self._fill(X, s, Z[s : s + step].T), n, step, lambda: None)
        self.qr, self.tau = geqrf(Z, geqrf_lwork(n, p))
        self.R = np.triu(self.qr[: self.k, :])

    def qt(self, v: Array) -> Array:
        """``Q^T v`` for an ``n``-vector: its first ``p`` entries are ``Q1^T v``."""
        if self.blocked is not None:
            return self.blocked.qt(v)
        return apply_q(self.qr, self.tau, v, "T")

    def q(self, v: Array) -> Array:
        """``Q v``, the inverse of :meth:`qt`."""
        if self.blocked is not None:
            return self.blocked.q(v)
        return apply_q(self.qr, self.tau, v, "N")

    def correction(self, f: Array, tg: Array, f_is_zero: bool = False) -> tuple[Array, Array]:
        """Solve the correction equations ``[I Z; Z^T 0][dr; du] = [f; T^T g]``.

        ``tg`` is ``T^T g``.  Returns ``dx = T du`` and the vector ``v`` with
        ``dr = Q v`` (Björck's ``v = [h; (Q^T f)_{p:}]``, ``h = R^{-T} T^T g``,
        ``du = R^{-1}((Q^T f)_{:p} - h)``).
        """
        p = self.p
        h = solve_triangular(self.R, tg, trans="T", check_finite=False)
        v = np.zeros(self.n) if f_is_zero else self.qt(f)
        du = solve_triangular(self.R, v[:p] - h, check_finite=False)
        v[:p] = h
        return self.t_apply(du), v


def _shift(X: Array) -> Array:
    """Centring shift: column means of at most 65,536 evenly spaced rows.

    The shift only conditions the preconditioner (the refinement works on the
    uncentred data), so a sample mean does as well as the exact one at a
    fraction of a pass over ``X``; even spacing keeps trends and sorted data in.
    """
    n = X.shape[0]
    stride = max(1, n // 65536)
    return np.asarray(np.mean(X[::stride], axis=0), dtype=np.float64)


def geqrf_lwork(m: int, k: int) -> int:
    """Optimal ``dgeqrf`` workspace for an ``m x k`` matrix."""
    return max(1, int(lapack.dgeqrf_lwork(m, k)[0])) if m and k else 1


def geqrf(a: Array, lwork: int) -> tuple[Array, Array]:
    """LAPACK ``dgeqrf`` (in place when ``a`` is F-ordered): ``(qr, tau)``."""
    qr, tau, _, info = lapack.dgeqrf(a, lwork=lwork, overwrite_a=1)
    if info != 0:  # pragma: no cover - LAPACK argument errors only
        raise RuntimeError(f"dgeqrf failed with info={info}")
    return qr, tau


# ---------------------------------------------------------------------------
# Rank
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Rank:
    rank: int
    dependent: tuple[int, ...]  # indices into Z's columns
    condition: float


def numerical_rank(fac: Centred, column_norms_uncentred: Array) -> Rank:
    """Numerical rank of ``Z`` from its ``R`` factor.

    A column is dependent when it is numerically constant (centring left less
    than ``tol`` of it), or when ``|R_jj|`` (its distance from the span of the
    previous columns) is at most ``tol_j`` of its norm, ``tol = max(n, p) eps``
    and ``tol_j = tol * max(1, |Z_j|_uncentred / |Z_j|)`` (a column centred from a
    large mean carries correspondingly more rounding).  The singular values of
    the column-normalised ``R`` back this up: if they reveal a smaller rank than
    the diagonal does, a pivoted QR of ``R`` names the columns.
    """
    n, p, k = fac.n, fac.p, fac.k
    R = fac.R
    tol = max(n, p) * _EPS
    norms = safe_column_norms(R)
    dependent: list[int] = []
    for j in range(p):
        full = column_norms_uncentred[j]
        if norms[j] == 0.0 or norms[j] <= tol * full or j >= k:
            dependent.append(j)
            continue
        tol_j = tol * max(1.0, full / norms[j])
        if abs(R[j, j]) <= tol_j * norms[j]:
            dependent.append(j)
    keep = [j for j in range(p) if j not in dependent]
    if not keep:
        return Rank(0, tuple(dependent), math.inf)
    Rn = R[:, keep] / norms[keep]
    sv = np.linalg.svd(Rn, compute_uv=False)
    condition = float(sv[0] / sv[-1]) if sv[-1] > 0 else math.inf
    rank = int(np.sum(sv > tol * sv[0]))
    if rank < len(keep):
        _, _, piv = _pivoted_qr(Rn)
        dependent.extend(keep[int(i)] for i in piv[rank:])
        keep = [j for j in range(p) if j not in dependent]
        sv = np.linalg.svd(R[:, keep] / norms[keep], compute_uv=False)
        condition = float(sv[0] / sv[-1])
    return Rank(len(keep), tuple(sorted(dependent)), condition)


def _pivoted_qr(A: Array) -> tuple[Array, Array, NDArray[np.int32]]:
    qr, jpvt, tau, _, info = lapack.dgeqp3(np.asfortranarray(A))
    if info != 0:  # pragma: no cover
        raise RuntimeError(f"dgeqp3 failed with info={info}")
    return qr, tau, np.asarray(jpvt) - 1


def uncentred_norms(fac: Centred) -> Array:
    col = safe_column_norms(fac.R)
    if not fac.fit_intercept:
        return col
    full = col.copy()
    # |X_j|^2 = |X_j - m_j|^2 + n m_j^2 (exactly so for the exact mean; weighted:
    # sum(w) for n and the weighted mean)
    mass = fac.n if fac.weight_total is None else fac.weight_total
    full[1:] = np.hypot(col[1:], math.sqrt(mass) * np.abs(fac.means))
    return full


def safe_column_norms(R: Array) -> Array:
    """Euclidean norms of the columns of ``R``, safe from overflow and underflow."""
    if R.shape[0] == 0:
        return np.zeros(R.shape[1])
    top = np.max(np.abs(R), axis=0)
    scale = np.where(top > 0.0, top, 1.0)
    return np.asarray(scale * np.sqrt(np.einsum("ij,ij->j", R / scale, R / scale)))


def warn_rank(dep: tuple[int, ...], n: int, p: int, names: Sequence[str] | None = None) -> None:
    """Warn that the columns ``dep`` (indices of X) are dependent: by name when ``names``."""
    extra = f" (only {n} rows for {p} parameters)" if n < p else ""
    which = [str(names[j]) for j in dep] if names is not None else list(dep)
    warnings.warn(
        f"columns {which} are linearly dependent on the others{extra}; "
        "returning the minimum-norm solution",
        RankDeficiencyWarning,
        stacklevel=3,
    )


def truncated_pinv_solve(B: Array, rhs: Array, keep: int) -> Array:
    if B.shape[1] == 0 or keep <= 0:
        return np.zeros(B.shape[1])
    U, s, Vt = np.linalg.svd(B, full_matrices=False)
    keep = min(keep, int(np.sum(s > 0)))
    coeffs = (U[:, :keep].T @ rhs) / s[:keep]
    return np.asarray(Vt[:keep].T @ coeffs)


def vector_norm(v: Array) -> float:
    """Euclidean norm of a vector: one BLAS dot, rescaled only if that over/underflows."""
    with np.errstate(over="ignore"):
        sq = float(np.dot(v, v))
    if math.isfinite(sq) and sq > 1e-280:
        return math.sqrt(sq)
    return float(safe_column_norms(v.reshape(-1, 1))[0])
