"""Several short takes heard in one recognizer window.

Whisper pads every call to a 30 s window, so a 2 s take alone pays a whole 30 s encoder pass. The
check therefore lays the takes it has to hear end to end, separated by a short silence, into
windows of at most WINDOW_SECONDS, transcribes each window once with word timestamps, and gives
every heard word back to the take its middle falls in (the nearest take when it falls in a gap),
in that take's own time. The windows follow the order the takes come in, so the same takes are
always heard in the same company (the check's choice stays deterministic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

TimedWord = tuple[str, float, float]
"""(word, start_s, end_s)."""

WINDOW_SECONDS = 30.0
"""Whisper's window: audio up to this long costs one encoder pass."""
GAP_SECONDS = 1.0
"""Silence between two takes in a window: a clear boundary for the word timestamps."""


@dataclass(frozen=True)
class Window:
    """Takes heard together: their indices and where each starts in the window (samples)."""

    takes: tuple[int, ...]
    starts: tuple[int, ...]
    length: int


def pack(lengths: Sequence[int], rate: int, window_s: float = WINDOW_SECONDS,
         gap_s: float = GAP_SECONDS) -> list[Window]:
    """Consecutive takes, in order, into windows of at most `window_s`; a take longer than a
    window is a window of its own (the recognizer then walks it window by window)."""
    limit, gap = int(window_s * rate), int(round(gap_s * rate))
    out: list[Window] = []
    takes: list[int] = []
    starts: list[int] = []
    at = 0
    for index, length in enumerate(lengths):
        start = at + gap if takes else 0
        if takes and start + length > limit:
            out.append(Window(tuple(takes), tuple(starts), at))
            takes, starts, start = [], [], 0
        takes.append(index)
        starts.append(start)
        at = start + length
    if takes:
        out.append(Window(tuple(takes), tuple(starts), at))
    return out


def window_audio(window: Window, takes: Sequence[np.ndarray]) -> np.ndarray:
    """The window's samples: its takes where they start, silence between them."""
    out = np.zeros(window.length, dtype=np.float32)
    for index, start in zip(window.takes, window.starts):
        out[start:start + len(takes[index])] = takes[index]
    return out


def assign(window: Window, lengths: Sequence[int], rate: int,
           heard: Sequence[TimedWord]) -> list[list[TimedWord]]:
    """The window's words per take (in the window's take order), timed in the take's own time:
    each word goes to the take its middle lies in, or to the nearest one when it lies in a gap."""
    spans = [(start / rate, (start + lengths[index]) / rate) for index, start in zip(window.takes, window.starts)]
    out: list[list[TimedWord]] = [[] for _ in spans]
    for word, start, end in heard:
        middle = (start + end) / 2
        distance = [max(a - middle, middle - b, 0.0) for a, b in spans]
        n = min(range(len(spans)), key=lambda k: (distance[k], k))
        a, b = spans[n]
        out[n].append((word, round(min(max(start - a, 0.0), b - a), 3), round(min(max(end - a, 0.0), b - a), 3)))
    return out


def hear_packed(takes: Sequence[np.ndarray], rate: int,
                hear_window: Callable[[np.ndarray], Sequence[TimedWord]],
                window_s: float = WINDOW_SECONDS, gap_s: float = GAP_SECONDS) -> list[list[TimedWord]]:
    """The timed words of every take, hearing the takes `window_s` at a time with `hear_window`
    (samples at `rate` -> timed words in the window's time)."""
    lengths = [len(t) for t in takes]
    out: list[list[TimedWord]] = [[] for _ in takes]
    for window in pack(lengths, rate, window_s, gap_s):
        for index, timed in zip(window.takes, assign(window, lengths, rate, hear_window(window_audio(window, takes)))):
            out[index] = timed
    return out
