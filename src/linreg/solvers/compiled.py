"""Where linreg's compiled kernels come from: the extension, the switch, a description.

Light on purpose (ctypes and importlib only, no NumPy), so that ``linreg --version`` can
say which kernels serve without importing them. The kernels and their NumPy statements
are in :mod:`linreg.solvers.kernels`: the exact solver's refinement pass and the
mini-batch SGD loop, from one C extension, ``linreg.solvers._kernels``, built at
install (optional: without a C compiler, both take their NumPy kernels).
"""

from __future__ import annotations

import ctypes
import functools
import importlib.util
import os
from typing import Final

__all__ = ["ENV", "describe", "library", "turned_off"]

#: Environment variable: ``numpy`` turns the compiled kernels off.
ENV: Final = "LINREG_KERNELS"


def turned_off() -> bool:
    """Whether ``LINREG_KERNELS=numpy`` asks for the NumPy kernels (read at each call)."""
    return os.environ.get(ENV, "").strip().lower() == "numpy"


@functools.cache
def library() -> ctypes.CDLL | None:
    """The built extension, loaded by ctypes; None if it was not built."""
    spec = importlib.util.find_spec("linreg.solvers._kernels")
    if spec is None or spec.origin is None:
        return None
    try:
        return ctypes.CDLL(spec.origin)
    except OSError:
        return None


def describe(built: bool | None = None) -> str:
    """Which kernels serve, in words (for ``--version`` and reports); ``built``: whether
    the extension was built (None: whether it loads)."""
    if turned_off():
        return f"NumPy ({ENV}=numpy)"
    if not (library() is not None if built is None else built):
        return "NumPy (the C kernel was not built: reinstall linreg with a C compiler)"
    return "C (linreg.solvers._kernels)"
