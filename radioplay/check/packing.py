"""Several short takes heard in one recognizer window.

Whisper pads every call to a 30 s window, so a 2 s take alone pays a whole 30 s encoder pass. The
check therefore lays the takes it has to hear end to end, separated by a short silence, into
windows of at most WINDOW_SECONDS, transcribes each window once with word timestamps, and gives
every heard word back to its take, in that take's own time. The recognizer's segments break at
the silences between takes, and its segment times are steadier than its word times (a word before
a silence often stretches into it): a segment that overlaps one take goes to it whole; the words
of a segment over several takes go each to the take its middle falls in, or the nearest. The
windows follow the order the takes come in, so the same takes are always heard in the same company
(the check's choice stays deterministic).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

TimedWord = tuple[str, float, float]
"""(word, start_s, end_s)."""
Segment = Sequence[TimedWord]
"""The words of one recognizer segment, in order."""

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
           heard: Sequence[Segment]) -> list[list[TimedWord]]:
    """The window's words per take (in the window's take order), timed in the take's own time
    (clipped to it). A segment that overlaps one take (or none: the nearest) goes to it whole;
    each word of a segment over several takes goes to the one of those its middle lies in, or
    the nearest."""
    spans = [(start / rate, (start + lengths[index]) / rate) for index, start in zip(window.takes, window.starts)]
    out: list[list[TimedWord]] = [[] for _ in spans]

    def nearest(t: float, among: Sequence[int]) -> int:
        return min(among, key=lambda k: (max(spans[k][0] - t, t - spans[k][1], 0.0), k))

    for segment in heard:
        if not segment:
            continue
        first, last = segment[0][1], max(end for _, _, end in segment)
        over = [k for k, (a, b) in enumerate(spans) if a < last and first < b]
        if len(over) <= 1:
            over = over or [nearest((first + last) / 2, range(len(spans)))]
        for word, start, end in segment:
            n = nearest((start + end) / 2, over)
            a, b = spans[n]
            out[n].append((word, round(min(max(start - a, 0.0), b - a), 3), round(min(max(end - a, 0.0), b - a), 3)))
    return out


def hear_packed(takes: Sequence[np.ndarray], rate: int,
                hear_window: Callable[[np.ndarray], Sequence[Segment]],
                window_s: float = WINDOW_SECONDS, gap_s: float = GAP_SECONDS) -> list[list[TimedWord]]:
    """The timed words of every take, hearing the takes `window_s` at a time with `hear_window`
    (samples at `rate` -> the segments heard, their words timed in the window's time)."""
    lengths = [len(t) for t in takes]
    out: list[list[TimedWord]] = [[] for _ in takes]
    for window in pack(lengths, rate, window_s, gap_s):
        for index, timed in zip(window.takes, assign(window, lengths, rate, hear_window(window_audio(window, takes)))):
            out[index] = timed
    return out
