"""Audio as a source of blocks: what the streaming back half (mix -> master -> encode) passes along.

A `Source` renders any frame range [start, stop) on demand, so no stage needs the whole episode
in memory; `ArraySource` wraps an array that is already there (tests, short clips).
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from typing import Callable, Iterator, Protocol

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


def gather(source: Source) -> np.ndarray:
    """The whole source as one (frames, channels) array: the reference path, and short outputs."""
    from radioplay.buffers import zeros

    out = zeros((source.frames, source.channels))
    for a, block in positioned_blocks(source):  # in the source's own blocks, when it has them
        out[a:a + len(block)] = block
    return out


def frames_of(audio: "np.ndarray | Source") -> int:
    return audio.frames if hasattr(audio, "render") else len(audio)


def channels_of(audio: "np.ndarray | Source") -> int:
    if hasattr(audio, "render"):
        return audio.channels
    return 1 if np.ndim(audio) == 1 else np.shape(audio)[1]


def pull(source: Source, start: int = 0, stop: int | None = None, size: int = BLOCK_FRAMES) -> Iterator[np.ndarray]:
    """Frames [start, stop) of `source` as consecutive blocks, in the source's own blocks when it
    has them (`blocks(start, stop)` yielding (position, block): the master's), else rendered by `size`."""
    for _, block in positioned_blocks(source, start, stop, size):
        yield block


@dataclass
class _Wrapped:
    """A Source made from another one, of the same length and channels."""

    source: Source

    @property
    def frames(self) -> int:
        return self.source.frames

    @property
    def channels(self) -> int:
        return self.source.channels


@dataclass
class Tapped(_Wrapped):
    """`source`, each block handed to `observe(start, block)` on its way, in place: a meter riding
    along the encoder's own pass, so nothing renders the episode twice (it must copy what it keeps:
    the caller may change the block afterwards), or a change made to every block (`gained`)."""

    observe: Callable[[int, np.ndarray], None]

    def render(self, start: int, stop: int) -> np.ndarray:
        block = self.source.render(start, stop)
        self.observe(start, block)
        return block

    def blocks(self, start: int = 0, stop: int | None = None):
        for position, block in positioned_blocks(self.source, start, stop):
            self.observe(position, block)
            yield position, block


def gained(source: Source, gain: np.float32) -> Tapped:
    """`source` times a constant gain (the delivery check's correction)."""

    def scale(_: int, block: np.ndarray) -> None:
        block *= gain

    return Tapped(source, scale)


def positioned_blocks(source: Source, start: int = 0, stop: int | None = None, size: int = BLOCK_FRAMES):
    """(position, block) over frames [start, stop) of `source`, in its own blocks when it has them."""
    own = getattr(source, "blocks", None)
    if own is not None:
        yield from own(start, stop)
        return
    for a, b in spans(source.frames if stop is None else stop, size, start):
        yield a, source.render(a, b)


AHEAD_BLOCKS = 2
"""Blocks an `Ahead` source makes before its caller asks for them (1 MB of stereo float32)."""


@dataclass
class Ahead(_Wrapped):
    """`source` whose blocks are made on a worker thread, a few ahead of the caller: making them (the
    mix, the master, the meters riding along) and consuming them (an encoder) then use two cores.
    The caller gets the same blocks in the same order; a failure while making one is raised to it."""

    depth: int = AHEAD_BLOCKS

    def render(self, start: int, stop: int) -> np.ndarray:
        return self.source.render(start, stop)

    def blocks(self, start: int = 0, stop: int | None = None):
        made: queue.Queue = queue.Queue(self.depth)
        stopped = threading.Event()

        def hand(item) -> bool:
            while not stopped.is_set():
                try:
                    made.put(item, timeout=0.1)
                    return True
                except queue.Full:
                    continue
            return False

        def make() -> None:
            try:
                for item in positioned_blocks(self.source, start, stop):
                    if not hand(item):
                        return
                hand(None)
            except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
                hand(_Failure(exc))

        worker = threading.Thread(target=make, name="radioplay-blocks", daemon=True)
        worker.start()
        try:
            while True:
                item = made.get()
                if item is None:
                    return
                if isinstance(item, _Failure):
                    raise item.error
                yield item
        finally:
            stopped.set()
            worker.join()


@dataclass
class _Failure:
    error: BaseException
