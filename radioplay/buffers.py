"""Episode-sized sample buffers, shared by the mixer and the master."""

from __future__ import annotations

import math
import mmap

import numpy as np

_MAPPED_BYTES = 32 << 20
"""Buffers at least this large come straight from the kernel (see `zeros`)."""


def zeros(shape: int | tuple[int, ...], dtype=np.float32) -> np.ndarray:
    """A zero-filled array, like np.zeros; episode-sized ones are mapped straight from the kernel.

    numpy asks for transparent huge pages on large arrays; once a long episode's buffers run into
    gigabytes, the kernel must compact memory to find them, and first touching a fresh buffer
    costs several times more per byte than for a short episode (measured: 2-4x per byte at 1 GB
    against 100 MB). An anonymous mapping in ordinary pages costs the same per byte at any size,
    so mixing and mastering stay linear in the episode's length; its pages are zero until
    written, and pages never written (the gaps in a stem) are never touched at all."""
    dtype = np.dtype(dtype)
    shape = (shape,) if isinstance(shape, (int, np.integer)) else tuple(shape)
    size = math.prod(shape) * dtype.itemsize
    if size < _MAPPED_BYTES:
        return np.zeros(shape, dtype=dtype)
    return np.frombuffer(mmap.mmap(-1, size), dtype=dtype).reshape(shape)
