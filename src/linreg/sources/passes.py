"""The passes a solver asks for (moments, R factors, refinement sums, batches), from a source.

A :class:`Passes` serves the solvers of :mod:`linreg.out_of_memory` one pass over
the data at a time; :class:`SourcePasses` reads them from a
:class:`~linreg.sources.batches.BatchSource` (a file's record batches, arrays),
:class:`linreg.sources.distributed.DaskPasses` from Dask partitions.

``"exact"``: one pass for the R factor (:func:`~linreg.solvers.streamed_exact.qr_piece`
of every batch, merged), then refinement passes
(:func:`~linreg.solvers.streamed_exact.gradient_piece`).

``"gd"``: one pass for the moments (:func:`moments_piece`, merged by :func:`merge_moments`),
    after which every epoch costs O(d^2) (:class:`linreg.solvers.objectives.QuadraticObjective`):
    the iterates are those of gradient descent in memory (measured: the whole
    recorded path within 1e-14 relative without standardization, 5e-12 with it on
    features whose means are 1,000 standard deviations). ``standardize`` centres
    by ``X.mean(axis=0)`` as the in-memory path does, bit for bit: NumPy sums the
    rows one after the other, and the pass continues that sum batch by batch. The
    quadratic is
    anchored at the least-squares solution of the moments; its residual sum of
    squares there comes from the moments too unless that loses more than four
    digits (``sse < 1e-4 y_c^T y_c``, a near-perfect fit), when one more pass
    computes it directly, as the in-memory fast path always does.

``"sgd"``: epochs over the stream (:mod:`linreg.solvers.streamed_sgd`).

Weights: a batch's row weights (``Batch.w``, None for equal weights) go to every
piece function as ``sample_weight`` (only when there are some, so unweighted passes
call the pieces exactly as before), and each pass keeps their exact sum
(:class:`WeightSum`, :attr:`Passes.weight_sum`) for the exact solver's ``1/sum(w)``.
Weights that are all zero fail the pass with one error.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from numpy.typing import NDArray

from linreg.errors import LinregError
from linreg.solvers.moments import Moments
from linreg.solvers.objectives import anchor_pass
from linreg.solvers.streamed_exact import (
    ExactSum,
    GradientPiece,
    Levels,
    QRPiece,
    QRTree,
    gradient_piece,
    qr_piece,
)

if TYPE_CHECKING:
    from linreg.sources.batches import Batch, BatchSource, Reservoir

Array = NDArray[np.float64]


@dataclass(frozen=True)
class PassProgress:
    """Where a pass over the data stands: its label, rows and bytes read so far."""

    label: str
    rows: int
    bytes: int
    total_bytes: int | None


#: Called after every batch of every pass.
ProgressCallback = Callable[[PassProgress], None]


class WeightSum:
    """The exact sum of the row weights met in one pass, batch by batch.

    :meth:`parts` are floats whose exact sum is the sum of every weight added (an
    :class:`~linreg.solvers.streamed_exact.ExactSum` expansion), so ``math.fsum``
    of them is that sum correctly rounded, whatever the batches.
    """

    def __init__(self) -> None:
        self._sum = ExactSum(1)
        self._added = False

    def add(self, w: Array) -> None:
        """Add the weights of one batch (shape (m,))."""
        if w.shape[0]:
            self._sum.add(w[:, None])
            self._added = True

    def parts(self) -> list[float]:
        """Floats summing exactly to the weights added (``[0.0]`` for none)."""
        if not self._added:
            return [0.0]
        return [float(v) for v in self._sum.expansion()[:, 0] if v != 0.0] or [0.0]


def weight_keywords(w: Array | None) -> dict[str, Any]:
    """``{"sample_weight": w}`` for weighted rows, else nothing.

    The piece functions get the keyword only when there are weights: the
    unweighted passes call them exactly as before.
    """
    return {} if w is None else {"sample_weight": w}


# ---------------------------------------------------------------------------
# Gradient descent from the moments
# ---------------------------------------------------------------------------


def merge_moments(a: Moments, b: Moments) -> Moments:
    """The :class:`~linreg.solvers.moments.Moments` of the rows of ``a`` and ``b`` together.

    Chan, Golub & LeVeque's update: with ``delta = m_b - m_a`` and
    ``w = n_a n_b / (n_a + n_b)``, ``G = G_a + G_b + w delta delta^T`` and likewise
    for ``X_c^T y_c`` and ``y_c^T y_c``; nothing cancels, whatever the offsets.
    Weighted moments merge alike with the weight sums ``S_a``, ``S_b`` in place of
    the counts (a piece whose weights are all zero adds only its rows).
    """
    if a.weight_sum is not None or b.weight_sum is not None:
        return _merge_weighted(a, b)
    n = a.n + b.n
    share = b.n / n
    dm = b.mean - a.mean
    dy = b.y_mean - a.y_mean
    weight = a.n * b.n / n
    return Moments(
        n=n,
        mean=a.mean + share * dm,
        y_mean=a.y_mean + share * dy,
        gram=a.gram + b.gram + weight * np.outer(dm, dm),
        xty=a.xty + b.xty + (weight * dy) * dm,
        yty=a.yty + b.yty + weight * dy * dy,
    )


def _merge_weighted(a: Moments, b: Moments) -> Moments:
    """:func:`merge_moments` of weighted moments: weight sums in place of counts."""
    n, sa, sb = a.n + b.n, a.total, b.total
    if sb == 0.0:
        return replace(a, n=n, weight_sum=sa, block_norms=None, block_rows=0)
    if sa == 0.0:
        return replace(b, n=n, weight_sum=sb, block_norms=None, block_rows=0)
    total = sa + sb
    share = sb / total
    dm = b.mean - a.mean
    dy = b.y_mean - a.y_mean
    weight = sa * sb / total
    return Moments(
        n=n,
        mean=a.mean + share * dm,
        y_mean=a.y_mean + share * dy,
        gram=a.gram + b.gram + weight * np.outer(dm, dm),
        xty=a.xty + b.xty + (weight * dy) * dm,
        yty=a.yty + b.yty + weight * dy * dy,
        weight_sum=total,
    )


def moments_piece(X: Array, y: Array, sample_weight: Array | None = None) -> Moments:
    """The moments of one batch (:meth:`linreg.solvers.moments.Moments.from_data`)."""
    return Moments.from_data(X, y, sample_weight)


def anchor_piece(
    X: Array,
    y: Array,
    moments: Moments,
    scale: Array,
    zbar: Array,
    W: Array,
    b: float,
    sample_weight: Array | None = None,
) -> tuple[float, Array, float]:
    """``|r|^2``, ``Z^T r`` and ``1^T r`` of one batch at the anchor (sums over batches add).

    With ``sample_weight``, ``r^T diag(w) r``, ``Z^T (w r)`` and ``w^T r``.
    """
    return anchor_pass(X, y, moments, scale, zbar, W, b, sample_weight)


class Passes(Protocol):
    """The passes over the data the solvers need; files and Dask provide them.

    ``weighted`` says whether the rows carry weights (a weight column, a Dask
    weight collection); ``weight_sum``, after the first pass over weighted rows, is
    their exact sum as floats to ``math.fsum`` (:class:`WeightSum`), else None.
    """

    count: int
    weighted: bool
    weight_sum: list[float] | None

    def qr(self, fit_intercept: bool) -> QRPiece:
        """One pass: the factor of all rows."""
        ...

    def gradient(
        self, x: Array, fit_intercept: bool, levels: Levels, shift: Array | None
    ) -> GradientPiece:
        """One pass: ``T^T A^T (y - A x)`` of all rows, unrounded (see :func:`gradient_piece`)."""
        ...

    def moments(self) -> tuple[Moments, Array | None]:
        """One pass: the moments of all rows, and ``X.mean(axis=0)`` if it can be reproduced.

        The second value is the column means as NumPy's ``X.mean(axis=0)`` computes
        them in memory (a sequential sum over the rows, divided by N), bit for bit,
        where the passes can reproduce that order (a file read in order), else None.
        """
        ...

    def anchor(
        self, moments: Moments, scale: Array, zbar: Array, W: Array, b: float
    ) -> tuple[float, Array, float]:
        """One pass: :func:`anchor_piece` summed over all rows."""
        ...

    def batches(self, label: str) -> Iterator[tuple[Array, Array, Array | None]]:
        """One pass delivering the rows, in order, in batches (for SGD): ``(X, y, w)``.

        ``w`` holds the rows' weights, None for equal weights.
        """
        ...


class SourcePasses:
    """:class:`Passes` over a :class:`~linreg.sources.batches.BatchSource`, reporting progress.

    The first pass also checks that there are rows and feeds ``sample``, if given.
    Every batch's weights (``Batch.w``) go to the piece functions, and their exact
    sum to :attr:`weight_sum`; weights that are all zero fail the pass.
    """

    def __init__(
        self,
        source: BatchSource,
        *,
        progress: ProgressCallback | None = None,
        sample: Reservoir | None = None,
    ) -> None:
        self.source = source
        self.progress = progress
        self.sample = sample
        self.count = 0
        self.weighted = getattr(source, "weight_name", None) is not None
        self.weight_sum: list[float] | None = None

    def _batches(self, label: str) -> Iterator[Batch]:
        self.count += 1
        first = self.count == 1
        rows = 0
        total = WeightSum() if self.weighted else None
        for batch in self.source.batches():
            if first and self.sample is not None:
                self.sample.add(batch.X, batch.y)
            if total is None and rows == 0 and batch.w is not None:
                # A source that does not name its weights, but serves them.
                self.weighted, total = True, WeightSum()
            if total is not None:
                if batch.w is None:
                    raise LinregError(f"{self.source.name}: a batch came without its weights")
                total.add(batch.w)
            rows += batch.X.shape[0]
            yield batch
            if self.progress is not None:
                self.progress(PassProgress(label, rows, batch.position, self.source.total_bytes))
        if rows == 0:
            raise LinregError(f"{self.source.name}: has a header but no data rows")
        if total is not None:
            parts = total.parts()
            if parts == [0.0]:
                column = getattr(self.source, "weight_name", None)
                where = "" if column is None else f" in column {column!r}"
                raise LinregError(
                    f"{self.source.name}: the weights{where} are all zero; "
                    "at least one row needs a weight > 0"
                )
            self.weight_sum = parts

    def qr(self, fit_intercept: bool) -> QRPiece:
        tree = QRTree()
        for batch in self._batches("reading: R factor"):
            tree.add(
                qr_piece(batch.X, batch.y, fit_intercept=fit_intercept, **weight_keywords(batch.w))
            )
        return tree.result()

    def gradient(
        self, x: Array, fit_intercept: bool, levels: Levels, shift: Array | None
    ) -> GradientPiece:
        total: ExactSum | None = None
        n, sse = 0, 0.0
        for batch in self._batches(f"refinement {self.count}"):
            piece = gradient_piece(
                batch.X,
                batch.y,
                x,
                fit_intercept=fit_intercept,
                levels=levels,
                shift=shift,
                **weight_keywords(batch.w),
            )
            total = total or ExactSum(piece.terms.shape[1])
            total.add(piece.terms)
            n, sse = n + piece.n, sse + piece.sse
        assert total is not None  # _batches raises on no rows
        return GradientPiece(n, total.expansion(), sse)

    def moments(self) -> tuple[Moments, Array | None]:
        total: Moments | None = None
        row_sum: Array | None = None
        for batch in self._batches("reading: moments"):
            piece = moments_piece(batch.X, batch.y, batch.w)
            total = piece if total is None else merge_moments(total, piece)
            if self.weighted:
                continue  # weighted means come from the moments
            # NumPy sums axis 0 of a C-ordered array row after row: continuing that
            # sum batch by batch gives its rounding exactly.
            rows = batch.X if row_sum is None else np.vstack([row_sum, batch.X])
            row_sum = np.add.reduce(rows, axis=0)
        assert total is not None
        # Weighted: the centre is the weighted mean of the moments.
        return total, None if row_sum is None else row_sum / total.n

    def anchor(
        self, moments: Moments, scale: Array, zbar: Array, W: Array, b: float
    ) -> tuple[float, Array, float]:
        sse, ZTr, rsum = 0.0, np.zeros(W.shape[0]), 0.0
        for batch in self._batches("residuals at the anchor"):
            s, g, h = anchor_piece(batch.X, batch.y, moments, scale, zbar, W, b, batch.w)
            sse, ZTr, rsum = sse + s, ZTr + g, rsum + h
        return sse, ZTr, rsum

    def batches(self, label: str) -> Iterator[tuple[Array, Array, Array | None]]:
        for batch in self._batches(label):
            yield batch.X, batch.y, batch.w


def standardization(
    moments: Moments, row_mean: Array | None, *, standardize: bool, fit_intercept: bool
) -> tuple[Array, Array]:
    """Centre and scale trained on, ``Z = (X - center) / scale``, from the moments.

    :func:`linreg.solvers.moments.standardization`'s rule. The centre is ``row_mean``, the
    in-memory path's own ``X.mean(axis=0)`` reproduced bit for bit, where the
    passes give it (files): its rounding differs from the accurate mean by up to
    1e-11 standard deviations on offset data, and gradient descent amplifies a
    different centre by up to ``|b| / |W|`` before it converges (1e-7 relative
    measured, mean/std = 1000). Elsewhere (Dask) the accurate mean of the moments.
    """
    d = moments.mean.shape[0]
    if not standardize:
        return np.zeros(d), np.ones(d)
    scale = np.sqrt(moments.variance)
    scale[scale == 0.0] = 1.0
    if not fit_intercept:
        return np.zeros(d), scale
    return (moments.mean.copy() if row_mean is None else row_mean), scale
