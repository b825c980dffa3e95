"""The original design ``A = [1 X]`` and its residuals in extended precision.

:class:`Design` computes, in one pass over ``X``, the two residuals of the
augmented system the exact solver refines (``f = y - r - A x`` and
``g = c - A^T r``) and the corrections' right-hand side in centred coordinates,
with :mod:`linreg.solvers.extended`'s error-free kernels; or that right-hand side
alone by the norm-sliced kernel (:mod:`linreg.solvers.kernels`).
"""

from __future__ import annotations

import math
from typing import Final

import numpy as np
from numpy.typing import NDArray

from linreg.solvers import extended as ext
from linreg.solvers import general_kernel, kernels
from linreg.solvers.norm_sliced import BlockCuts

__all__ = ["CHUNK_ELEMENTS", "Design"]

Array = NDArray[np.float64]

#: Elements of X per chunk of the extended-precision kernels (2 MiB of float64;
#: smaller chunks pay per-call overhead, see ``benchmarks/README.md``).
CHUNK_ELEMENTS: Final = 1 << 18

#: A thread's scratch in :meth:`Design.evaluate`: the NumPy kernels' workspace, and the
#: C kernel's where it serves.
_State = tuple[ext.Workspace, "Array | None"]


class Design:
    """The original design ``A = [1 X]`` (or ``X``), ``X = X_hi + X_lo`` exactly.

    Computes the two residuals of the augmented system in extended precision.
    """

    def __init__(self, X: Array, X_lo: Array | None, fit_intercept: bool) -> None:
        self.X = X
        self.X_lo = X_lo
        self.fit_intercept = fit_intercept
        self.n, self.d = X.shape
        self.p = self.d + int(fit_intercept)
        self.chunk = max(256, CHUNK_ELEMENTS // max(self.d, 1))

    def _split_x(self, x: Array) -> tuple[float, Array]:
        if self.fit_intercept:
            return float(x[0]), x[1:]
        return 0.0, x

    def matvec(self, x: Array) -> Array:
        """``A x`` in float64 (one BLAS pass over ``X``; ``X_lo`` is left out)."""
        b, w = self._split_x(x)
        out = self.X @ w if self.d else np.zeros(self.n)
        return np.asarray(out + b if self.fit_intercept else out)

    def rmatvec(self, v: Array) -> Array:
        """``A^T v`` in float64 (one BLAS pass over ``X``)."""
        cols = v @ self.X if self.d else np.zeros(0)
        if self.fit_intercept:
            return np.concatenate([[float(np.sum(v))], cols])
        return np.asarray(cols)

    def evaluate(
        self,
        y: Array,
        r: Array,
        x: Array,
        c: Array,
        levels: tuple[int, int],
        *,
        fresh_residual: bool = False,
        with_rmatvec: bool = False,
        shift: Array | None = None,
    ) -> tuple[Array, Array, Array]:
        """Both residuals of the augmented system, in one pass (see :meth:`evaluate_rss`,
        which also returns ``|y - A x|^2``)."""
        f, g, rhs, _ = self.evaluate_rss(
            y,
            r,
            x,
            c,
            levels,
            fresh_residual=fresh_residual,
            with_rmatvec=with_rmatvec,
            shift=shift,
            with_rss=False,
        )
        return f, g, rhs

    def evaluate_rss(
        self,
        y: Array,
        r: Array,
        x: Array,
        c: Array,
        levels: tuple[int, int],
        *,
        fresh_residual: bool = False,
        with_rmatvec: bool = False,
        shift: Array | None = None,
        with_rss: bool = True,
    ) -> tuple[Array, Array, Array, float | None]:
        """Both residuals of the augmented system, in one pass over the design.

        Parameters
        ----------
        y : ndarray of shape (n,)
            Right-hand side of the first block row.
        r : ndarray of shape (n,)
            Current residual iterate; overwritten with ``fl(y - A x)`` first when
            ``fresh_residual`` is set (the float64 start of the refinement).
        x : ndarray of shape (p,)
            Current solution iterate.
        c : ndarray of shape (p,)
            Right-hand side of the second block row.
        levels : (int, int)
            Slicing levels of the row products and of the column sums.
        fresh_residual : bool, default False
            Recompute ``r`` from ``x`` in this same pass.
        with_rmatvec : bool, default False
            Also gather ``A^T f`` (for the seminormal corrections), formed while
            each chunk is in cache.
        shift : ndarray of shape (d,), optional
            The centring shift ``m`` of ``T = [[1, -m^T], [0, I]]`` (intercept
            models only); zero if not given.
        with_rss : bool, default True
            Also return ``|r + f|^2``, the squared norm of the residual ``y - A x``
            (``r + f`` rounded per row, summed in float64 chunk by chunk).

        Returns
        -------
        f : ndarray of shape (n,)
            ``y - r - A x``, as if computed in ``k``-fold precision and rounded
            (``k`` follows from the levels, see :func:`sum_k`).
        g : ndarray of shape (p,)
            ``c - A^T r`` likewise.
        rhs : ndarray of shape (p,)
            What the corrections solve for, in centred coordinates, summed in the
            same extended precision and rounded once: ``T^T g``, or with
            ``with_rmatvec`` ``T^T (A^T f - g)``.  Applying ``T^T`` after rounding
            would cancel: column ``j``'s sum is ``m_j`` times the intercept's plus
            a centred part up to ``|m_j| / std_j`` times smaller, and at 1e5 the
            intercept came out 45 ulps off.
        rss : float or None
            ``|r + f|^2`` with ``with_rss``, else None.

        Notes
        -----
        Chunks of rows are independent; on several cores they run in a thread
        pool (NumPy releases the GIL), and the results are combined in chunk
        order, so the answer does not depend on the number of threads.
        """
        b, w = self._split_x(x)
        n, step = self.n, self.chunk
        centre = shift if self.fit_intercept and shift is not None and np.any(shift) else None
        passes_f = ext.sum_passes(levels[0], ext.slice_bits(max(self.d, 1)))
        f = np.empty(n)
        compiled = (
            general_kernel.applies(self.X, self.X_lo)
            and r.flags.c_contiguous
            and general_kernel.carries(levels)
        )

        def work(s: int, state: _State) -> tuple[list[float], list[Array], Array, float]:
            # Beyond 2**900 the slicing overflows; the caller then sees non-finite
            # residuals and keeps its previous iterate.  (errstate is per thread.)
            with np.errstate(over="ignore", invalid="ignore"):
                ones_s, cols_s, atf_s = chunk(s, *state)
                if not with_rss:
                    return ones_s, cols_s, atf_s, 0.0
                e = r[s : s + step] + f[s : s + step]
                return ones_s, cols_s, atf_s, float(np.einsum("i,i->", e, e))

        def chunk(
            s: int, ws: ext.Workspace, scratch: Array | None
        ) -> tuple[list[float], list[Array], Array]:
            e = min(n, s + step)
            if compiled:
                # The same terms from the C kernel (linreg.solvers.general_kernel).
                ones_c, x_terms_c = general_kernel.chunk_terms(
                    self.X[s:e],
                    y[s:e],
                    r[s:e],
                    b,
                    w,
                    levels,
                    passes_f,
                    fresh_residual,
                    f[s:e],
                    scratch,
                )
                return (
                    ones_c if self.fit_intercept else [],
                    x_terms_c,
                    centred_atf(s, e, ws, None) if with_rmatvec else np.zeros(0),
                )
            T = ws.transposed(self.X[s:e]) if self.d else self.X[s:e].T
            if fresh_residual:
                r[s:e] = (y[s:e] - b) - (ext.dot_t(w, T) if self.d else 0.0)
            rs = r[s:e]
            terms = [y[s:e], -rs, np.full(e - s, -b)]
            ones_terms: list[float] = []
            x_terms: list[Array] = []
            if self.fit_intercept:
                ones_terms = ext.sum_terms(rs, levels[1])
            if self.d:
                prods = ext.matvec_terms(T, w, levels[0], ws)
                cols = ext.rmatvec_terms(T, rs, levels[1], ws)
                if self.X_lo is not None:
                    lo_t = self.X_lo[s:e].T
                    prods[-1] = prods[-1] + ext.dot_t(w, lo_t)
                    cols[-1] = cols[-1] + ext.dot(lo_t, rs)
                terms.extend(-t for t in prods)
                x_terms = cols
            f[s:e] = ext.sum_k(terms, passes_f)
            atf = centred_atf(s, e, ws, T) if with_rmatvec else np.zeros(0)
            return ones_terms, x_terms, atf

        def centred_atf(s: int, e: int, ws: ext.Workspace, T: Array | None) -> Array:
            # Z^T f on the centred chunk: A^T f would carry rounding errors m_j
            # times larger than the centred sums the corrections need.
            fs = f[s:e]
            if T is None:
                T = ws.transposed(self.X[s:e]) if self.d else self.X[s:e].T
            Z = T
            if self.d and centre is not None:
                Z = np.subtract(T, centre[:, None], out=ws.matrices(e - s)[0])
            cols_f = ext.dot(Z, fs) if self.d else np.zeros(0)
            return np.concatenate([[np.sum(fs)], cols_f]) if self.fit_intercept else cols_f

        features, most = max(self.d, 1), max(levels)

        def state() -> _State:
            rows = min(step, n)
            own = general_kernel.scratch(rows, features, levels) if compiled else None
            return ext.Workspace(features, rows, most), own

        parts = ext.map_chunks(work, n, step, state)
        off = int(self.fit_intercept)
        # g = c - A^T r as exact terms: the intercept's column, then the others.
        ones = [float(c[0])] + [-t for part in parts for t in part[0]] if off else []
        cols = [c[off:]] + [-t for part in parts for t in part[1]] if self.d else []
        g = np.empty(self.p)
        if off:
            g[0] = ext.fsum_columns(np.array([ones]).T)[0]
        if self.d:
            g[off:] = ext.fsum_columns(np.asarray(cols))
        rss = math.fsum(part[3] for part in parts) if with_rss else None
        if not with_rmatvec:
            return f, g, ext.centred_sum(ones, cols, centre), rss
        # rhs = Z^T f - T^T g: the rounding-level Z^T f joins the terms.
        return (
            f,
            g,
            ext.centred_sum(
                [-t for t in ones],
                [-t for t in cols],
                centre,
                centred_ones=[float(part[2][0]) for part in parts] if off else [],
                centred_cols=[part[2][off:] for part in parts] if self.d else [],
            ),
            rss,
        )

    def seminormal_rhs(
        self, y: Array, x: Array, shift: Array | None, norms: Array, rows: int, levels: int = 1
    ) -> tuple[Array, float]:
        """The seminormal corrections' right-hand side ``T^T A^T (y - A x)`` by the
        norm-sliced kernel (:func:`linreg.solvers.norm_sliced.seminormal_terms`), one pass.

        Parameters
        ----------
        y : ndarray of shape (n,)
        x : ndarray of shape (p,)
            Current solution.
        shift : ndarray of shape (d,) or None
            The centring shift ``m`` of ``T`` (intercept models).
        norms : ndarray of shape (n_blocks, d)
            Upper bounds of the column norms of each block of ``rows`` rows.
        rows : int
            Rows per block.
        levels : int, default 1
            Slicing levels of the kernel (1 or 2, see :func:`norm_sliced_bits`).

        Returns
        -------
        rhs : ndarray of shape (p,)
            In centred coordinates, the exact sum of the chunks' terms rounded once.
        rss : float
            ``|y - A x|^2`` (float64 sums; relative error about ``sqrt(n) eps``).
        """
        b, w = self._split_x(x)
        cuts = BlockCuts.of(norms, b, w, levels=levels, rows=rows)
        parts = kernels.seminormal_pass(self.X, y, cuts)
        cols = [t for part in parts for t in part[0]]
        ones = [t for part in parts for t in part[1]] if self.fit_intercept else []
        rhs = ext.centred_sum(ones, cols, shift if self.fit_intercept else None)
        return rhs, math.fsum(part[2] for part in parts)

    def residual(self, y: Array, coef: Array, intercept: float, levels: int) -> Array:
        """``y - intercept - X coef`` in extended precision (see :func:`residuals`)."""
        x = np.concatenate([[intercept], coef]) if self.fit_intercept else coef
        f, _, _ = self.evaluate(y, np.zeros(self.n), x, np.zeros(self.p), (levels, 1))
        return f
