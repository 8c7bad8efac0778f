"""Audio as a source of blocks: what the streaming back half (mix -> master -> encode) passes along.

A `Source` renders any frame range [start, stop) on demand, so no stage needs the whole episode
in memory; `ArraySource` wraps an array that is already there (tests, short clips).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterator, Protocol

import numpy as np

BLOCK_FRAMES = 1 << 16
"""Frames per block on the streaming path: 0.5 MB of stereo float32, 1.5 s at 44.1 kHz."""


class Source(Protocol):
    frames: int
    channels: int

    def render(self, start: int, stop: int) -> np.ndarray:
        """float32 (stop - start, channels) for 0 <= start <= stop <= frames; a new array the caller may change."""


@dataclass
class ArraySource:
    """An (n,) or (n, channels) array as a Source."""

    samples: np.ndarray

    def __post_init__(self) -> None:
        x = np.asarray(self.samples)
        self.samples = x[:, None] if x.ndim == 1 else x
        if self.samples.ndim != 2:
            raise ValueError(f"samples must have shape (n,) or (n, channels), not {x.shape}")

    @property
    def frames(self) -> int:
        return self.samples.shape[0]

    @property
    def channels(self) -> int:
        return self.samples.shape[1]

    def render(self, start: int, stop: int) -> np.ndarray:
        return np.array(self.samples[start:stop], dtype=np.float32)


def as_source(audio: "np.ndarray | Source") -> Source:
    return audio if hasattr(audio, "render") else ArraySource(audio)


def spans(frames: int, size: int = BLOCK_FRAMES, start: int = 0) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive blocks of at most `size` frames covering [start, frames)."""
    for a in range(start, frames, size):
        yield a, min(a + size, frames)


def blocks(source: Source, size: int = BLOCK_FRAMES, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """The source's frames [start, stop) as consecutive rendered blocks of at most `size` frames."""
    for a, b in spans(source.frames if stop is None else stop, size, start):
        yield source.render(a, b)


def gather(source: Source) -> np.ndarray:
    """The whole source as one (frames, channels) array: the reference path, and short outputs."""
    from radioplay.buffers import zeros

    out = zeros((source.frames, source.channels))
    for a, b in spans(source.frames):
        out[a:b] = source.render(a, b)
    return out
