"""One BLAS thread while the exact solver's Householder route runs.

OpenBLAS keeps its worker threads spinning for a while after each call (up to about
a tenth of a second), waiting for the next one.  The Householder route of
:func:`linreg.solvers.lstsq.solve` alternates narrow LAPACK calls (``dgeqrf``,
``dormqr`` on a vector: memory-bound, no faster on more threads) with its own
extended-precision passes on a thread pool (:func:`linreg.solvers.extended.map_chunks`);
each LAPACK call woke workers that then spun on the cores those passes needed
(measured on 1,000,000 x 6: two fifths of the fit's CPU time went to spinning).
:func:`single_blas` runs such a stretch with BLAS on the calling thread alone, where
``threadpoolctl`` is installed (without it nothing changes but the speed).

The limit is process-wide: nested and concurrent users share one, set by the first
to enter and restored by the last to leave.  No result depends on it.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager, nullcontext
from typing import Any

__all__ = ["NARROW_FEATURES", "narrow_blas", "single_blas"]

#: Exact fits of designs of at most this many features run with one BLAS thread
#: (:func:`narrow_blas`).
NARROW_FEATURES = 128

_lock = threading.Lock()
_users = 0
_limiter: Any = None


@functools.cache
def _controller() -> Any:
    """threadpoolctl's controller of the BLAS libraries loaded now, or None."""
    try:  # by name: its typing (stubs or none) differs between releases
        threadpoolctl = importlib.import_module("threadpoolctl")
    except ImportError:  # pragma: no cover - not installed: only the speed differs
        return None
    try:
        return threadpoolctl.ThreadpoolController()
    except Exception:  # pragma: no cover - an unusual BLAS it cannot inspect
        return None


@contextmanager
def single_blas() -> Iterator[None]:
    """BLAS limited to one thread inside the block (restored after the last user)."""
    global _users, _limiter
    controller = _controller()
    if controller is None:  # pragma: no cover
        yield
        return
    with _lock:
        if _users == 0:
            _limiter = controller.limit(limits=1, user_api="blas")
        _users += 1
    try:
        yield
    finally:
        with _lock:
            _users -= 1
            if _users == 0 and _limiter is not None:
                _limiter.restore_original_limits()
                _limiter = None


def narrow_blas(n_features: int) -> Any:
    """:func:`single_blas` for a design of at most :data:`NARROW_FEATURES` columns, else
    nothing.

    :func:`linreg.solvers.lstsq.lstsq` holds it for the whole of an exact fit. The
    Gram pass runs its 1 MiB blocks on a thread per core; on narrow blocks each
    ``syrk`` is memory-bound, and BLAS threads of its own only contend with those
    (exact fits on 2 cores, alternating medians: weighted ridge at 2,000,000 x 16
    0.198 s -> 0.187 s, 250,000 x 128 0.31 s -> 0.27 s). Between the passes, a
    single BLAS call on a long vector (``|y|``, say) woke workers that then spun
    through the next pass: held for the whole fit, weighted ridge went 0.13 -> 0.075
    s. Wide blocks are compute-bound and want every BLAS thread (100,000 x 512: 0.87
    s -> 1.02 s with one).
    """
    return single_blas() if n_features <= NARROW_FEATURES else nullcontext()
