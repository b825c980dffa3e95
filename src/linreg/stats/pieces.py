"""What nonrobust inference needs of the data, in O(p^2) numbers: no rows kept.

A model fitted from a file, a stream or a Dask collection never holds its rows, and
a model loaded from a file has none either. The ordinary least-squares table needs
only these sums of them (:class:`InferencePieces`), which the streamed solvers
compute anyway:

- the R factor of the centred design Z = [1, X - 1 m^T] (X alone without an
  intercept), R^T R = Z^T Z, and the shifts m: then, with A = [1 X] = Z T^{-1},
  T^{-1} = [[1, m^T], [0, I]],  (A^T A)^{-1} = (T R^{-1})(T R^{-1})^T;
- the least-squares solution theta* and its residual sum of squares RSS*;
- TSS = sum (y - ybar)^2 (with an intercept) or sum y^2 (without);
- N, the numerical rank and the condition number of the scaled Z.

The residual sum of squares at any other estimates theta (gradient descent's,
stopped early) is exact algebra, a sum of two non-negative terms:

    RSS(theta) = RSS* + ||A (theta - theta*)||^2 = RSS* + ||R u||^2,
    u = T^{-1} (theta - theta*) = (delta_0 + m . delta_w, delta_w)

(the cross term A^T (y - A theta*) is zero at the optimum), so nothing cancels:
its accuracy is RSS*'s. (A^T A)^{-1} from R alone is accurate to about
cond(Z)^2 eps, where an in-memory fit of up to 2,000,000 entries refines it in
extended precision: the standard errors of a streamed fit agree with the in-memory
ones to that accuracy (1e-12 on well-conditioned data). Robust covariances and
diagnostics need every residual, so a pass over the rows: pass X and y.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from linreg.data import default_feature_names
from linreg.errors import LinregError
from linreg.solvers.lstsq import solve
from linreg.solvers.result import LstsqResult
from linreg.stats.inference import Inference, inference_from_sums, ols_inference

__all__ = ["InferencePieces", "pieces_from_data", "pieces_inference"]

Array = NDArray[np.float64]


@dataclass(frozen=True)
class InferencePieces:
    """The O(p^2) sums of the training data that nonrobust inference needs (module docstring).

    Attributes
    ----------
    n_samples : int
        N, the rows.
    fit_intercept : bool
    r_factor : ndarray of shape (p, p)
        Upper triangular, R^T R = Z^T Z (intercept column first).
    column_means : ndarray of shape (d,)
        The shifts m of the centring (zeros without intercept).
    optimum : ndarray of shape (p,)
        The least-squares solution theta* (intercept first).
    rss : float
        RSS* = |y - A theta*|^2.
    tss : float
        Centred (intercept) or uncentred total sum of squares.
    rank : int
    condition_number : float
        Of Z with columns scaled to unit norm (as :func:`linreg.solvers.lstsq.lstsq`).
    refined_gram_inverse : ndarray of shape (p, p) or None
        (A^T A)^{-1} refined in extended precision, where the data were in memory
        (:func:`pieces_from_data`); None: it comes from R.
    """

    n_samples: int
    fit_intercept: bool
    r_factor: Array
    column_means: Array
    optimum: Array
    rss: float
    tss: float
    rank: int
    condition_number: float
    refined_gram_inverse: Array | None = None

    @property
    def n_params(self) -> int:
        """p = d + 1 with an intercept, d without."""
        return int(self.r_factor.shape[1])

    def gram_inverse(self) -> Array:
        """(A^T A)^{-1}, shape (p, p): the refined one, else from R (pseudo-inverse).

        The pseudo-inverse serves rank-deficient designs.
        """
        if self.refined_gram_inverse is not None:
            return self.refined_gram_inverse
        return self._as_lstsq().unscaled_covariance()

    def to_dict(self) -> dict[str, object]:
        """JSON-ready content (a model file's ``inference`` field); inf becomes None."""
        refined = self.refined_gram_inverse
        return {
            "n_samples": int(self.n_samples),
            "r_factor": [[float(v) for v in row] for row in self.r_factor],
            "column_means": [float(v) for v in self.column_means],
            "optimum": [float(v) for v in self.optimum],
            "rss": float(self.rss),
            "tss": float(self.tss),
            "rank": int(self.rank),
            "condition_number": float(self.condition_number)
            if math.isfinite(self.condition_number)
            else None,
            "gram_inverse": None if refined is None else [[float(v) for v in r] for r in refined],
        }

    def is_finite(self) -> bool:
        """Whether every number is finite (a model file holds no others); cond may be inf."""
        arrays = [self.r_factor, self.column_means, self.optimum, np.array([self.rss, self.tss])]
        if self.refined_gram_inverse is not None:
            arrays.append(self.refined_gram_inverse)
        return all(bool(np.all(np.isfinite(a))) for a in arrays)

    def rss_at(self, params: Array) -> float:
        """RSS(theta) = RSS* + ||R T^{-1} (theta - theta*)||^2 for ``params`` (p,)."""
        delta = np.asarray(params, dtype=np.float64) - self.optimum
        u = delta.copy()
        if self.fit_intercept:
            u[0] = delta[0] + float(self.column_means @ delta[1:])
        Ru = self.r_factor @ u
        return self.rss + float(Ru @ Ru)

    def _as_lstsq(self) -> LstsqResult:
        off = int(self.fit_intercept)
        return LstsqResult(
            coef=self.optimum[off:].copy(),
            intercept=float(self.optimum[0]) if off else 0.0,
            rank=self.rank,
            dependent_columns=(),
            n_refinements=0,
            converged=True,
            r_factor=self.r_factor,
            column_means=self.column_means,
            condition_number=self.condition_number,
            fit_intercept=self.fit_intercept,
            n_samples=self.n_samples,
        )

    @classmethod
    def from_moments(
        cls,
        *,
        n: int,
        mean: Array,
        y_mean: float,
        gram: Array,
        yty: float,
        fit_intercept: bool,
        optimum: Array,
        rss: float,
    ) -> InferencePieces:
        """The pieces from centred moments (:class:`linreg.solvers.fast.Moments`).

        Z^T Z = diag(N, Xc^T Xc) (the centred columns are orthogonal to the ones),
        so R = diag(sqrt N, R_c) with R_c the triangular factor of the centred Gram
        matrix; without intercept Z^T Z = Xc^T Xc + N m m^T. TSS = yc^T yc, or
        yc^T yc + N ybar^2 uncentred.
        """
        d = mean.shape[0]
        if fit_intercept:
            scatter = np.asarray(gram, dtype=np.float64)
            tss = float(yty)
        else:
            scatter = np.asarray(gram + n * np.outer(mean, mean), dtype=np.float64)
            tss = float(yty) + n * y_mean * y_mean
        R_c, rank_c, cond_c = _factor_of_gram(scatter, with_ones=fit_intercept)
        if fit_intercept:
            R = np.zeros((d + 1, d + 1))
            R[0, 0] = math.sqrt(n)
            R[1:, 1:] = R_c
            # The scaled ones column is orthogonal to the rest, singular value 1.
            rank, cond = rank_c + 1, cond_c
        else:
            R, rank, cond = R_c, rank_c, cond_c
        return cls(
            n_samples=int(n),
            fit_intercept=fit_intercept,
            r_factor=R,
            column_means=np.asarray(mean, dtype=np.float64) if fit_intercept else np.zeros(d),
            optimum=np.asarray(optimum, dtype=np.float64),
            rss=float(rss),
            tss=tss,
            rank=rank,
            condition_number=cond,
        )


def pieces_from_data(
    X: Array, y: Array, *, fit_intercept: bool, solution: LstsqResult | None = None
) -> InferencePieces:
    """The pieces of in-memory data (X (N, d), y (N,)): what a saved model keeps of them.

    ``solution`` is the exact fit of these data if there is one; else they are
    solved (without a second rank warning). (A^T A)^{-1} is the refined one of
    :func:`linreg.stats.inference.ols_inference`, RSS* and TSS its sums.
    """
    exact = solution if solution is not None else solve(X, y, fit_intercept=fit_intercept)
    inf = ols_inference(
        X, y, exact.coef, exact.intercept, fit_intercept=fit_intercept, solution=exact
    )
    return InferencePieces(
        n_samples=int(X.shape[0]),
        fit_intercept=fit_intercept,
        r_factor=np.triu(np.asarray(exact.r_factor, dtype=np.float64)),
        column_means=np.asarray(exact.column_means, dtype=np.float64),
        optimum=exact.params,
        rss=inf.rss,
        tss=inf.tss,
        rank=exact.rank,
        condition_number=exact.condition_number,
        refined_gram_inverse=0.5 * (inf.gram_inverse + inf.gram_inverse.T),
    )


def _factor_of_gram(G: Array, *, with_ones: bool) -> tuple[Array, int, float]:
    """An upper-triangular R with R^T R = G (G symmetric >= 0), its rank and condition.

    The condition number is that of the design with unit-norm columns (the square
    root of the scaled Gram matrix's); ``with_ones`` counts in the singular value 1
    of the scaled ones column, orthogonal to centred columns
    (``max(1, s_max) / min(1, s_min)``), as lstsq does for its centred design.
    """
    d = G.shape[0]
    if d == 0:
        return np.zeros((0, 0)), 0, 1.0
    lam, V = np.linalg.eigh(0.5 * (G + G.T))
    lam = np.clip(lam, 0.0, None)
    tol = d * np.finfo(np.float64).eps * float(lam.max()) if lam.size else 0.0
    rank = int(np.sum(lam > tol))
    R = np.linalg.qr(np.sqrt(lam)[:, None] * V.T, mode="r")
    signs = np.where(np.diag(R) < 0.0, -1.0, 1.0)
    R = signs[:, None] * R
    norms = np.sqrt(np.clip(np.diag(G), 0.0, None))
    norms[norms == 0.0] = 1.0
    scaled = np.linalg.eigvalsh(G / np.outer(norms, norms))
    top, bottom = float(scaled.max()), max(float(scaled.min()), 0.0)
    if with_ones:
        top, bottom = max(top, 1.0), min(bottom, 1.0)
    s_max, s_min = math.sqrt(top), math.sqrt(bottom)
    cond = s_max / s_min if s_min > 0.0 and rank == d else math.inf
    return np.asarray(R, dtype=np.float64), rank, cond


def pieces_inference(
    pieces: InferencePieces,
    coef: Array,
    intercept: float,
    *,
    names: list[str] | None = None,
    target_name: str = "y",
    method: str = "least squares (exact)",
    iterative: bool = False,
) -> Inference:
    """The nonrobust inference table of estimates ``coef``, ``intercept`` from ``pieces``.

    The same table as :func:`linreg.stats.inference.ols_inference` on the data the
    pieces summarise, with RSS at these estimates from :meth:`InferencePieces.rss_at`
    (module docstring).

    Raises
    ------
    LinregError
        No degrees of freedom left (N <= p), or estimates of another shape.
    """
    p = pieces.n_params
    off = int(pieces.fit_intercept)
    coef = np.asarray(coef, dtype=np.float64)
    if coef.shape != (p - off,):
        raise LinregError(
            f"the inference pieces are of {p - off} feature(s), the estimates of {coef.shape[0]}"
        )
    if p >= pieces.n_samples:
        raise LinregError(
            f"inference needs more rows than parameters: {pieces.n_samples} rows, {p} "
            "parameters (no degrees of freedom are left for the residual variance)"
        )
    params = np.concatenate([[intercept], coef]) if off else coef.copy()
    labels = list(names if names is not None else default_feature_names(p - off))
    return inference_from_sums(
        params=params,
        rss=pieces.rss_at(params),
        tss=pieces.tss,
        gram_inv=pieces.gram_inverse(),
        rank=pieces.rank,
        n_samples=pieces.n_samples,
        fit_intercept=pieces.fit_intercept,
        condition=pieces.condition_number,
        optimum=pieces.optimum if iterative else None,
        names=(["intercept"] if off else []) + labels,
        target_name=target_name,
        method=method,
    )
