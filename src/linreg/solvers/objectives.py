"""The loss and gradient of full-batch gradient descent, two ways, and which to take.

:class:`QuadraticObjective` computes them from the moments (:mod:`linreg.solvers.moments`)
in O(d^2) an epoch. ``S L = theta^T G theta - 2 theta^T c + y^T y`` subtracts numbers
of the size of ``|y|^2`` to get the residual sum of squares: near the optimum of a
good fit it is wrong in the 5th digit. The objective is therefore expanded around
the least-squares solution, using the residual there; no term cancels. Its sum of
squares comes from the moments while it is at least :data:`ANCHOR_FROM_MOMENTS` of
``|y - mean(y)|^2`` (at most four digits lost, of sixteen), and from a second pass
over the data (:func:`anchor_pass`) for better fits. The recorded loss then equals
the readable loop's to about 1e-14 relative, and to 2e-10 when the residuals are
1e-6 of y, where the readable loop's own loss carries that much rounding error.

:class:`StreamingObjective` computes them the textbook way, block by block
(:data:`~linreg.solvers.moments.CHUNK_BYTES` blocks): the residual of a block, then
``Z_k^T r_k`` while the block is still in cache, so X is read once an epoch, not
twice. :func:`prefer_streaming` chooses between them by a cost model: the moments
pass is needed anyway (for eta_max), so the quadratic model costs one more pass, a
Cholesky solve and O(d^2) an epoch, against O(N d) an epoch for the fused pass. The
fused pass is taken for short runs on wide data and for a validation loss over a few
epochs.

Both take row weights and the ridge penalty of :mod:`linreg.problem`; without them
they run exactly the unweighted code. Timings: ``benchmarks/README.md``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final, Protocol

import numpy as np
from numpy.typing import NDArray

from linreg.problem import mean_one_weights
from linreg.solvers.extended import map_chunks
from linreg.solvers.moments import Moments, Standardized, chunk_rows
from linreg.solvers.threads import narrow_blas

__all__ = [
    "ANCHOR_FROM_MOMENTS",
    "Objective",
    "QuadraticObjective",
    "StreamingObjective",
    "anchor_from_moments",
    "anchor_pass",
    "expected_evaluations",
    "least_squares_from_moments",
    "make_objective",
    "prefer_streaming",
    "quadratic_objective",
    "sgd_needs_moments",
]

Array = NDArray[np.float64]

#: The residual sum of squares at the anchor comes from the moments unless it is
#: below this fraction of y_c^T y_c (then it would lose more than four digits).
ANCHOR_FROM_MOMENTS: Final = 1e-4


# -- the loss and its gradient: two ways -----------------------------------------------------
class Objective(Protocol):
    """The objective of one dataset as a function of (W, b) in training units.

    The MSE ``(1/N) |Z W + b - y|^2``; with row weights and a penalty, the objective
    of :mod:`linreg.problem`, ``(1/S) r^T diag(w) r + sum(ridge W^2)``.
    """

    n: float

    def loss(self, W: Array, b: float) -> float:
        """L = (1/N) |Z W + b - y|^2 (weighted and penalized when so built)."""

    def loss_and_gradient(self, W: Array, b: float) -> tuple[float, Array, float]:
        """L, dL/dW = (2/N) Z^T r and dL/db = (2/N) 1^T r at (W, b) (idem)."""


class QuadraticObjective:
    """The MSE as the exact quadratic it is, expanded around an anchor point.

    With ``r_a = Z W_a + b_a - y`` the residual at an anchor (W_a, b_a), and
    ``e = W - W_a``, ``e_b = b - b_a``, ``t = e_b + zbar^T e``, the residual is
    ``r = r_a + Zc e + t 1``, and since ``1^T Zc = 0``:

    .. math::

        N L = |r_a|^2 + 2 (e^\\top g_a + e_b h_a) + e^\\top C e + N t^2, \\\\
        Z^\\top r = g_a + C e + N t \\bar z, \\qquad 1^\\top r = h_a + N t,

    with ``g_a = Z^T r_a``, ``h_a = 1^T r_a`` and ``C = Zc^T Zc``. Every term costs
    O(d^2): an epoch no longer touches the data.

    Why an anchor: the textbook expansion around zero,
    ``N L = W^T Z^T Z W - 2 W^T Z^T y + y^T y``, subtracts numbers of the size of
    ``|y|^2`` to get the residual sum of squares, losing ``log10(var(y) / L)``
    digits near the optimum. Around an anchor at the least-squares solution,
    the terms are the residual sum of squares at the anchor, a cross term that
    is (nearly) zero there, and a non-negative quadratic: nothing cancels, and
    the loss is as accurate as the direct ``mean(r^2)``. The identity is exact
    for any anchor, so a rough one (a singular C) costs accuracy, never validity.

    With row weights every product carries ``diag(w)`` and ``N`` reads ``S = sum(w)``
    (the :class:`~linreg.solvers.moments.Standardized` moments are weighted); the
    penalty ``sum(ridge W^2)`` and its gradient ``2 ridge W`` are added as they are,
    positive terms that need no anchor.
    """

    def __init__(
        self,
        standardized: Standardized,
        anchor_W: Array,
        anchor_b: float,
        sse: float,
        g: Array,
        h: float,
    ) -> None:
        self.n = standardized.n
        self._ridge = standardized.ridge
        self._zbar = standardized.zbar
        self._C = standardized.C
        self._W_a, self._b_a = anchor_W, anchor_b
        self._sse, self._g, self._h = sse, g, h

    @property
    def anchor(self) -> tuple[Array, float]:
        """The anchor (W_a, b_a)."""
        return self._W_a, self._b_a

    def _terms(self, W: Array, b: float) -> tuple[Array, Array, float]:
        e = W - self._W_a
        return e, self._C @ e, (b - self._b_a) + float(self._zbar @ e)

    def _sse_at(self, e: Array, Ce: Array, t: float, b: float) -> float:
        cross = float(e @ self._g) + (b - self._b_a) * self._h
        return self._sse + 2.0 * cross + float(e @ Ce) + self.n * t * t

    def loss(self, W: Array, b: float) -> float:
        e, Ce, t = self._terms(W, b)
        loss = self._sse_at(e, Ce, t, b) / self.n
        if self._ridge is not None:
            loss += float(self._ridge @ (W * W))
        return loss

    def loss_and_gradient(self, W: Array, b: float) -> tuple[float, Array, float]:
        e, Ce, t = self._terms(W, b)
        loss = self._sse_at(e, Ce, t, b) / self.n
        ZTr = self._g + Ce + (self.n * t) * self._zbar
        dW = (2.0 / self.n) * ZTr
        if self._ridge is not None:
            loss += float(self._ridge @ (W * W))
            dW += 2.0 * self._ridge * W
        return loss, dW, (2.0 / self.n) * (self._h + self.n * t)


def least_squares_from_moments(
    standardized: Standardized, fit_intercept: bool
) -> tuple[Array, float]:
    """The least-squares (W, b) in training units, from the moments: the anchor.

    Solves the Jacobi-scaled normal equations by Cholesky, or, when they are
    singular or nearly so (condition above 1e10 from the factor's diagonal), by an
    SVD for the minimum-norm solution, which keeps the anchor bounded. It only
    needs to be close to the optimum, see :class:`QuadraticObjective`. With a
    penalty, the ridge solution: ``S diag(ridge)`` is added to the normal matrix of W.
    """
    # Imported here: scipy.linalg costs 27 MB and 0.1 s at ``import linreg``.
    from scipy.linalg import cho_factor, cho_solve

    s = standardized
    n = s.n
    if fit_intercept:
        A, rhs = s.C, s.zty
    else:
        A = s.C + n * np.outer(s.zbar, s.zbar)
        rhs = s.zty + n * s.y_mean * s.zbar
    if s.ridge is not None:
        A = A + np.diag(n * s.ridge)
    D = np.sqrt(np.diag(A))
    D[D == 0.0] = 1.0
    A, rhs = A / np.outer(D, D), rhs / D
    try:
        factor = cho_factor(A, check_finite=False)
        diagonal = np.abs(np.diag(factor[0]))
        if diagonal.min() ** 2 < 1e-10 * diagonal.max() ** 2:
            raise np.linalg.LinAlgError("nearly singular")
        u = cho_solve(factor, rhs, check_finite=False)
    except np.linalg.LinAlgError:
        u = np.linalg.lstsq(A, rhs, rcond=None)[0]
    W = u / D
    b = s.y_mean - float(s.zbar @ W) if fit_intercept else 0.0
    return W, b


def anchor_from_moments(
    s: Standardized, yty: float, W: Array, b: float
) -> tuple[float, Array, float]:
    """``|r_a|^2``, ``Z^T r_a`` and ``1^T r_a`` at ``(W, b)`` from the standardized moments.

    ``s`` holds ``n``, ``zbar``, ``C = Zc^T Zc``, ``zty = Zc^T yc`` and ``y_mean``;
    ``yty = yc^T yc``. No pass over the data, but ``|r_a|^2`` comes from a
    difference of terms of the size of ``yc^T yc``: :func:`make_objective` takes it
    only while it is at least :data:`ANCHOR_FROM_MOMENTS` of that (at most four
    digits lost to cancellation), and makes the anchor pass otherwise.

    With ``r_a = Zc W + t 1 - yc`` and ``t = b + zbar^T W - y_mean``:
    ``|r_a|^2 = W^T C W - 2 W^T Zc^T yc + yc^T yc + N t^2``,
    ``Z^T r_a = C W - Zc^T yc + N t zbar`` and ``1^T r_a = N t``.
    """
    n = s.n
    t = b + float(s.zbar @ W) - s.y_mean
    CW = s.C @ W
    sse = max(float(W @ CW) - 2.0 * float(W @ s.zty) + yty + n * t * t, 0.0)
    return sse, CW - s.zty + (n * t) * s.zbar, n * t


def anchor_pass(
    X: Array,
    y: Array,
    moments: Moments,
    scale: Array,
    zbar: Array,
    W: Array,
    b: float,
    sample_weight: Array | None = None,
) -> tuple[float, Array, float]:
    """One pass for ``|r_a|^2``, ``g_a = Z^T r_a`` and ``h_a = 1^T r_a`` at (W, b).

    With row weights, ``r_a^T diag(w) r_a``, ``Z^T (w r_a)`` and ``w^T r_a``.

    Computed on rows centred by the column means m when any mean exceeds its
    standard deviation, ``r_a = (X - 1 m^T)(W / scale) + (b + zbar^T W) - y``, so that
    the products carry no offset to cancel, then
    ``Z^T r = (X - 1 m^T)^T r / scale + zbar 1^T r``.
    """
    N, d = X.shape
    shift = moments.mean if np.any(moments.mean**2 > moments.variance) else np.zeros(d)
    rows = min(N, chunk_rows(d))
    block = np.empty((rows, d)) if np.any(shift != 0.0) else None
    u = W / scale
    # Z W + b = (X - shift) u + (b + zbar^T W - (m - shift)^T u)
    offset = b + float(zbar @ W) - float((moments.mean - shift) @ u)
    sse, BTr, rsum = 0.0, np.zeros(d), 0.0
    for start in range(0, N, rows):
        stop = min(start + rows, N)
        B = X[start:stop]
        if block is not None:
            B = np.subtract(B, shift, out=block[: stop - start])
        r = B @ u
        r += offset
        r -= y[start:stop]
        wr = r if sample_weight is None else sample_weight[start:stop] * r
        sse += float(r @ wr)
        BTr += wr @ B
        rsum += float(np.add.reduce(wr))
    # (X - 1 m^T)^T r = (X - 1 shift^T)^T r - (m - shift) 1^T r
    XcTr = BTr - (moments.mean - shift) * rsum
    return sse, XcTr / scale + zbar * rsum, rsum


class StreamingObjective:
    """The MSE by a fused pass over row blocks: the textbook sums, X read once.

    Each block ``Z_k = (X_k - center) / scale`` (standardized on the fly into a
    block-sized buffer, never a copy of X) gives ``r_k = Z_k W + b - y_k`` and, while
    it is still in cache, ``Z_k^T r_k``; the loss and gradient are their sums.
    The textbook loop reads X twice per epoch (X W, then X^T r); this reads it once.

    With row weights, those of mean one ``w~ = w N / S`` as in the readable loop:
    ``(1/N) r^T diag(w~) r`` and ``(2/N) Z^T (w~ r)``; with the penalty ``ridge``
    (d,), ``sum(ridge W^2)`` and ``2 ridge W`` are added.
    """

    def __init__(
        self,
        X: Array,
        y: Array,
        center: Array,
        scale: Array,
        sample_weight: Array | None = None,
        ridge: Array | None = None,
    ) -> None:
        self.n = X.shape[0]
        self._X, self._y = X, y
        self._w = mean_one_weights(sample_weight, self.n)
        self._ridge = ridge
        self._center, self._scale = center, scale
        self._transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
        self._rows = min(self.n, chunk_rows(X.shape[1]))
        #: Passes made over X so far (the loss at W = 0, b = 0 needs none).
        self.passes = 0

    def _pass(self, W: Array, b: float, gradient: bool) -> tuple[float, Array, float]:
        """The sums over the blocks, each block's on a thread per core (one BLAS thread
        each for a narrow design), added in block order: the same bits on any number
        of threads."""
        self.passes += 1
        X, y, d, rows = self._X, self._y, self._X.shape[1], self._rows

        def block(start: int, buffer: Array | None) -> tuple[float, Array | None, float]:
            stop = min(start + rows, self.n)
            Z = X[start:stop]
            if buffer is not None:
                Z = buffer[: stop - start]
                np.subtract(X[start:stop], self._center, out=Z)
                Z /= self._scale
            r = Z @ W
            r += b
            r -= y[start:stop]
            wr = r if self._w is None else self._w[start:stop] * r
            if not gradient:
                return float(r @ wr), None, 0.0
            return float(r @ wr), Z.T @ wr, float(np.add.reduce(wr))

        def buffer() -> Array | None:
            return np.empty((rows, d)) if self._transform else None

        with narrow_blas(d):
            parts = map_chunks(block, self.n, rows, buffer)
        sse, ZTr, rsum = 0.0, np.zeros(d), 0.0
        for part_sse, part_ZTr, part_rsum in parts:
            sse += part_sse
            if part_ZTr is not None:
                ZTr += part_ZTr
                rsum += part_rsum
        return sse, ZTr, rsum

    def loss(self, W: Array, b: float) -> float:
        if b == 0.0 and not W.any():
            # The residual is -y whatever X holds (a NaN in X is then found by the
            # next pass, or by the caller when there is none: see train).
            if self._w is None:
                return float(np.mean(self._y**2))
            return float(np.mean(self._w * self._y**2))
        loss = self._pass(W, b, gradient=False)[0] / self.n
        if self._ridge is not None:
            loss += float(self._ridge @ (W * W))
        return loss

    def loss_and_gradient(self, W: Array, b: float) -> tuple[float, Array, float]:
        sse, ZTr, rsum = self._pass(W, b, gradient=True)
        loss, dW = sse / self.n, (2.0 / self.n) * ZTr
        if self._ridge is not None:
            loss += float(self._ridge @ (W * W))
            dW += 2.0 * self._ridge * W
        return loss, dW, (2.0 / self.n) * rsum


#: Seconds per unit of work of each step, measured on the reference machine
#: (2-core AMD EPYC, OpenBLAS): per matrix entry N * d of a pass, per d^2 of an
#: epoch of the quadratic model (plus a fixed cost), per d^3 of the Cholesky
#: solve and per N * d^2 of the moments pass. Only their ratios matter.
_COST: Final = {
    "anchor_pass": 0.7e-9,
    "fused_pass": 0.65e-9,
    "loss_pass": 0.45e-9,
    "standardize": 1.6e-9,
    "quadratic_epoch": 10e-6,
    "quadratic_epoch_d2": 0.12e-9,
    "solve_d3": 0.01e-9,
    "moments_d2": 0.05e-9,
}


def prefer_streaming(
    n_samples: int,
    n_features: int,
    evaluations: int,
    *,
    gradient: bool = True,
    transform: bool = False,
    have_moments: bool = True,
) -> bool:
    """Whether ``evaluations`` fused passes cost less than the quadratic model.

    The quadratic model costs one anchor pass, an O(d^3) solve and O(d^2) per
    evaluation (plus a moments pass when the estimator has not made one); the
    fused pass costs O(N d) per evaluation, more when it standardizes on the fly.
    With N >= d (which the estimator requires) the model wins after a handful of
    epochs whatever d: the fused pass is chosen for short runs on wide data, or
    for the validation loss of a few epochs, where it saves the moments pass.
    """
    n, d = n_samples, n_features
    nd = float(n) * d
    quadratic = _COST["anchor_pass"] * nd + _COST["solve_d3"] * d**3
    quadratic += evaluations * (_COST["quadratic_epoch"] + _COST["quadratic_epoch_d2"] * d * d)
    if not have_moments:
        quadratic += _COST["moments_d2"] * nd * d + _COST["anchor_pass"] * nd
    per_pass = _COST["fused_pass"] if gradient else _COST["loss_pass"]
    if transform:
        per_pass += _COST["standardize"]
    return evaluations * per_pass * nd < quadratic


def expected_evaluations(solver: str, epochs: int, tol: float | None) -> int:
    """How many losses a fit is planned to evaluate, for :func:`prefer_streaming`.

    ``epochs + 1``, except for mini-batch SGD with ``tol``, which usually stops
    within its first epoch (:class:`~linreg.training.Plateau`): two. Should it run
    on, each further loss costs a pass, about a tenth of an SGD epoch's own cost.
    """
    return 2 if solver == "sgd" and tol is not None else epochs + 1


def sgd_needs_moments(shape: tuple[int, int], epochs: int, tol: float | None) -> bool:
    """Whether mini-batch SGD on data of ``shape`` should make the moments pass.

    SGD needs the moments only for its recorded losses (and a standardization);
    they cost about three passes over X, a loss without them one pass.
    """
    n, d = shape
    evaluations = expected_evaluations("sgd", epochs, tol)
    return not prefer_streaming(n, d, evaluations, gradient=False, have_moments=False)


def make_objective(
    X: Array,
    y: Array,
    center: Array,
    scale: Array,
    *,
    fit_intercept: bool,
    passes: int,
    gradient: bool = True,
    moments: Moments | None = None,
    anchor: tuple[Array, float] | None = None,
    kind: str = "auto",
    sample_weight: Array | None = None,
    alpha: float = 0.0,
) -> QuadraticObjective | StreamingObjective:
    """The cheaper objective for ``passes`` evaluations on (X, y).

    Parameters
    ----------
    X : ndarray of shape (N, d), in original units
    y : ndarray of shape (N,)
    center, scale : ndarrays of shape (d,)
        Training units ``Z = (X - center) / scale``.
    fit_intercept : bool
    passes : int
        How many times the loss (and gradient) will be evaluated, at most.
    gradient : bool, default=True
        Whether the gradient is needed too (full-batch GD) or only the loss.
    moments : Moments, optional
        The moments of (X, y), if already computed.
    anchor : (W, b), optional
        Anchor of the quadratic expansion (default: the least-squares solution of
        these data). A validation set is anchored at the training solution.
    kind : {"auto", "quadratic", "streaming"}, default="auto"
        ``"auto"`` picks the cheaper by :func:`prefer_streaming`.
    sample_weight : ndarray of shape (N,), optional
        Row weights; ``moments`` must then be the weighted ones.
    alpha : float, default=0.0
        The penalty ``alpha |V|^2`` on the weights of the units trained on (the
        standardized penalty of :mod:`linreg.problem`; with scale 1, on W).
    """
    if kind not in ("auto", "quadratic", "streaming"):
        raise ValueError(f"kind must be 'auto', 'quadratic' or 'streaming', got {kind!r}")
    n, d = X.shape
    transform = bool(np.any(center != 0.0) or np.any(scale != 1.0))
    if kind == "streaming" or (
        kind == "auto"
        and prefer_streaming(
            n, d, passes, gradient=gradient, transform=transform, have_moments=moments is not None
        )
    ):
        ridge = np.full_like(scale, alpha) if alpha else None
        return StreamingObjective(X, y, center, scale, sample_weight, ridge)
    if moments is None:
        moments = Moments.from_data(X, y, sample_weight)
    m = moments

    def residuals(zbar: Array, W: Array, b: float) -> tuple[float, Array, float]:
        return anchor_pass(X, y, m, scale, zbar, W, b, sample_weight)

    return quadratic_objective(
        moments,
        center,
        scale,
        fit_intercept=fit_intercept,
        residuals=residuals,
        anchor=anchor,
        alpha=alpha,
    )


#: ``(zbar, W, b) -> (|r|^2, Z^T r, 1^T r)`` at (W, b), weighted where the data are:
#: one pass over the data (:func:`anchor_pass`, or a stream's ``Passes.anchor``).
AnchorResiduals = Callable[[Array, Array, float], tuple[float, Array, float]]


def quadratic_objective(
    moments: Moments,
    center: Array,
    scale: Array,
    *,
    fit_intercept: bool,
    residuals: AnchorResiduals,
    anchor: tuple[Array, float] | None = None,
    alpha: float = 0.0,
) -> QuadraticObjective:
    """The :class:`QuadraticObjective` of data with these ``moments``, wherever they are.

    Anchored at ``anchor`` (default: the (ridge) least-squares solution of the
    moments); the residual sum of squares there comes from the moments unless that
    loses more than four digits, when ``residuals`` makes one pass for it. In memory
    :func:`make_objective` passes :func:`anchor_pass`; a stream passes its own.

    Parameters
    ----------
    moments : Moments
        Of (X, y), weighted if the data are.
    center, scale : ndarrays of shape (d,)
    fit_intercept : bool
    residuals : callable
        ``(zbar, W, b) -> (|r|^2, Z^T r, 1^T r)``, see :data:`AnchorResiduals`.
    anchor : (W, b), optional
    alpha : float, default=0.0
        The penalty ``alpha |V|^2`` on the weights of the units trained on.
    """
    standardized = Standardized.of(moments, center, scale, alpha)
    if anchor is None:
        anchor = least_squares_from_moments(standardized, fit_intercept)
    W_a, b_a = anchor
    sse, g, h = anchor_from_moments(standardized, moments.yty, W_a, b_a)
    if not sse >= ANCHOR_FROM_MOMENTS * moments.yty:
        # A near-perfect fit: the moments' sse has lost more than four digits.
        sse, g, h = residuals(standardized.zbar, W_a, b_a)
    return QuadraticObjective(standardized, W_a, b_a, sse, g, h)
