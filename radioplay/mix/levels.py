"""Dialogue levels: every speech brought to one loudness before the cast's and directions' gains.

Engines hand back peak-normalized takes, and their crest factors differ by several dB, so equal
peaks are not equal loudness. Each take is measured once (BS.1770-4 K-weighting, the project's
own meter), at synthesis, and the measurement is kept in the take's record in the store: it is a
pure function of the stored samples, so a re-render reads it instead of measuring again.

A take's measurement (`TakeLevel`) keeps the mean square of each of its 400 ms gating blocks, so
the loudness of several takes together (all the sentences of one speech) is the gated integrated
loudness of their pooled blocks: BS.1770-4 eq. 5-7, without blocks that straddle two takes.
Only the audible part of a take is measured (from the first to the last sample within 50 dB of
its peak, as the mixer trims it).
A speech with no whole block (a take under 400 ms, or a one-word sentence) is measured as the
ungated K-weighted mean square of its audible part (from the first to the last sample within
50 dB of its peak): gating needs blocks, and the silence an engine pads around a word must
not count.

A leveled speech's peaks are then limited to PEAK_OVER_DIALOGUE_DB over the dialogue level, and
the speech measured and leveled again, so the master's limiter does not take more off one voice
than another.

`LEVEL_BY_LINE`: all sentence takes of one speech get one gain, so the rise and fall between
its sentences stays as the engine spoke it; bench/levels.py measures this against per-sentence
leveling.
"""

from __future__ import annotations

import math
from typing import Collection, Iterable, Sequence

import numpy as np

from radioplay.master.loudness import (ABSOLUTE_GATE_LUFS, BLOCK_SECONDS, RELATIVE_GATE_LU, PowerProfile,
                                       k_weighted_power)
from radioplay.mix.dsp import audible_span
from radioplay.model import TakeLevel

DIALOGUE_LUFS = -23.0
"""Every speech is brought here before the gains of the cast and the directions; the master then
moves the whole episode to its delivery target."""
MAX_BOOST_DB = 24.0
"""A take this far under the dialogue level is not raised further (noise, a breath)."""
ACTIVE_BELOW_PEAK_DB = 50.0
"""The audible part of a short take, for its ungated level (the mixer trims takes the same way)."""
PEAK_OVER_DIALOGUE_DB = 13.0
"""A leveled speech's peaks are limited to this far over the dialogue level. Engines differ in crest
factor (Piper's joe peaks about 19 dB over its loudness, Kokoro about 16): left alone, the master's
limiter would take about 1 LU more off the peakier voice once the episode is raised to -16 LUFS,
undoing the leveling. -23 + 13 = -10 dBFS, about -2.7 after the master's gain: under its ceiling."""
LEVEL_BY_LINE = "line"
LEVEL_BY_SENTENCE = "sentence"
LEVELINGS = (LEVEL_BY_LINE, LEVEL_BY_SENTENCE, None)


def measure_take(samples: np.ndarray, rate: int) -> TakeLevel:
    """The loudness measurement of one mono take, kept in its record in the take store."""
    x = np.asarray(samples, dtype=np.float32).reshape(-1)
    if x.size == 0:
        return TakeLevel((), 0.0, 0.0)
    # only what is heard: the mixer trims the engine's silence, and blocks half in that silence
    # would pass the relative gate and pull a short take's loudness down
    first, end = audible_span(x, ACTIVE_BELOW_PEAK_DB)
    x = x[first:end]
    power = k_weighted_power(x[np.newaxis, :], rate)
    profile = PowerProfile.from_power(power, rate)
    per_block = int(round(BLOCK_SECONDS / (profile.edges[1] / rate))) if profile.edges.size > 1 else 0
    blocks: tuple[float, ...] = ()
    if per_block and profile.hop_energy.size >= per_block:
        energy = np.convolve(profile.hop_energy, np.ones(per_block), mode="valid")
        lengths = profile.edges[per_block:] - profile.edges[:-per_block]
        blocks = tuple(float(v) for v in np.maximum(energy, 0.0) / lengths)
    active = float(np.mean(power, dtype=np.float64)) if x.size else 0.0
    return TakeLevel(blocks, active, x.size / rate)


def loudness_of(levels: Iterable[TakeLevel]) -> float:
    """LUFS of takes heard together: gated over their pooled 400 ms blocks, or (no whole block
    anywhere) the duration-weighted ungated mean square of their audible parts; -inf for silence."""
    levels = list(levels)
    blocks = np.array([b for level in levels for b in level.blocks], dtype=np.float64)
    if blocks.size:
        with np.errstate(divide="ignore"):
            lufs = -0.691 + 10.0 * np.log10(blocks)
        kept = blocks[lufs >= ABSOLUTE_GATE_LUFS]
        if kept.size:
            gate = -0.691 + 10.0 * math.log10(kept.mean()) + RELATIVE_GATE_LU
            gated = kept[-0.691 + 10.0 * np.log10(kept) > gate]
            return -0.691 + 10.0 * math.log10(gated.mean())
    seconds = sum(level.active_seconds for level in levels)
    energy = sum(level.active_mean_square * level.active_seconds for level in levels)
    if seconds <= 0 or energy <= 0:
        return float("-inf")
    return -0.691 + 10.0 * math.log10(energy / seconds)


def limit_peaks(samples: np.ndarray, rate: int, ceiling_db: float) -> np.ndarray:
    """Mono `samples` with their true peaks brought down to `ceiling_db` (the master's look-ahead
    limiter); unchanged when they are under it."""
    from radioplay.master.limiter import limit

    return limit(np.asarray(samples, dtype=np.float32)[np.newaxis, :], rate, ceiling_db)[0]


def leveling_gain_db(levels: Sequence[TakeLevel], target_lufs: float = DIALOGUE_LUFS) -> float:
    """dB that brings takes heard together to `target_lufs` (0 for silence, at most MAX_BOOST_DB)."""
    loudness = loudness_of(levels)
    if not math.isfinite(loudness):
        return 0.0
    return min(target_lufs - loudness, MAX_BOOST_DB)


GOAL_WITHIN_LU = 1.0
"""Produced dialogue sits within about +-1 LU line to line, apart from what a direction asks."""
GOAL_SHARE_WITHIN = 0.9
GOAL_CHARACTER_SPREAD_LU = 1.0
MIN_LINE_SECONDS = 0.8
"""Shorter lines are left out of the line statistics: a gating block or two says little."""


class LevelsMeter:
    """The report's `levels` (see episode_levels), measured from the episode's blocks as they pass
    in order (`feed`): the encoder's own pass over the mastered episode measures them, and only the
    lines being heard are held. Blocks that skip or repeat frames leave it incomplete."""

    def __init__(self, script, cues: Sequence, rate: int, channels: int, frames: int,
                 spaced: Collection[int] | None = None):
        from radioplay.master.loudness import PowerMeter, StreamLoudness

        if spaced is None:
            from radioplay.mix.spaces import SpaceTable, hear_script, off_mic_cues

            spaced = off_mic_cues(hear_script(script, SpaceTable.load()))
        self.rate, self.channels, self.frames = rate, channels, frames
        # (start, stop, speaker, directed) of each single-speaker line, cut by its cue timing
        self._lines: list[tuple[int, int, str, bool]] = []
        for timing in cues:
            cue = script.cues[timing.cue]
            if cue.kind != "line" or len(cue.parts) != 1:
                continue
            start = min(int(round(timing.start * rate)), frames)
            stop = min(max(int(round(timing.end * rate)), start), frames)
            directed = (cue.direction is not None or any(s.direction for s in cue.parts[0].segments)
                        or timing.cue in spaced)
            short = timing.end - timing.start <= MIN_LINE_SECONDS
            self._lines.append((start, stop, cue.parts[0].speaker, directed or short))
        self._by_start = sorted(range(len(self._lines)), key=lambda n: self._lines[n][0])
        self._started = 0  # lines in _by_start[:_started] have begun (or ended) by the position
        self._heard: dict[int, list[np.ndarray]] = {}  # the lines being heard -> their blocks so far
        self._position: int | None = 0
        # one K-weighting of the episode serves the whole (its loudness range), each line and each
        # character's lines pooled: the lines' powers are cut from it
        self._meter = PowerMeter(channels, rate)
        self._whole = StreamLoudness(channels, rate)
        self._pooled: dict[str, StreamLoudness] = {}
        self._undirected: dict[str, list[float]] = {}

    @property
    def complete(self) -> bool:
        return self._position == self.frames

    def feed(self, start: int, block: np.ndarray) -> None:
        if start != self._position:
            self._position = None  # out of order: incomplete for good
            return
        block = block.reshape(len(block), self.channels)
        stop = start + len(block)
        power = np.empty(len(block), dtype=np.float32)
        if len(block):
            self._whole.feed_power(self._meter.power(block.T, power))
        while self._started < len(self._by_start) and self._lines[self._by_start[self._started]][0] <= stop:
            self._heard[self._by_start[self._started]] = []
            self._started += 1
        for n in sorted(self._heard):
            a, b = self._lines[n][:2]
            if a < stop and b > start:
                self._heard[n].append(power[max(a, start) - start:min(b, stop) - start].copy())
            if b <= stop:
                self._finish(n)
        self._position = stop

    def _finish(self, n: int) -> None:
        from radioplay.master.loudness import StreamLoudness

        _, _, speaker, left_out = self._lines[n]
        parts = self._heard.pop(n)
        power = np.concatenate(parts) if parts else np.zeros(0, dtype=np.float32)
        self._pooled.setdefault(speaker, StreamLoudness(self.channels, self.rate)).feed_power(power)
        if not left_out:
            loudness = PowerProfile.from_power(power, self.rate).integrated()
            if math.isfinite(loudness):
                self._undirected.setdefault(speaker, []).append(loudness)

    def result(self) -> dict:
        from radioplay.master.loudness import profile_loudness_range

        if not self.complete:
            raise ValueError("the levels meter has not been fed the whole episode in order")
        self.feed(self.frames, np.zeros((0, self.channels), dtype=np.float32))  # lines ending at the very end
        characters = {}
        for speaker, meter in self._pooled.items():
            lines = self._undirected.get(speaker, [])
            characters[speaker] = {
                "integrated": _rounded(meter.integrated()),
                "median_line": _rounded(float(np.median(lines))) if lines else None,
                "lines": len(lines),
            }
        every = np.array([v for values in self._undirected.values() for v in values])
        lines: dict = {"count": int(every.size)}
        if every.size:
            median = float(np.median(every))
            low, high = np.percentile(every, (10, 90))
            lines.update(median=_rounded(median),
                         within_1lu=round(float(np.mean(np.abs(every - median) <= GOAL_WITHIN_LU)), 3),
                         p10_p90_lu=_rounded(float(high - low)))
        medians = [c["median_line"] for c in characters.values() if c["median_line"] is not None]
        return {
            "characters": characters,
            "lines": lines,
            "character_spread_lu": _rounded(max(medians) - min(medians)) if medians else None,
            "lra": _rounded(profile_loudness_range(self._whole.profile())),
        }


def episode_levels(samples: np.ndarray, rate: int, script, cues: Sequence, spaced: Collection[int] | None = None) -> dict:
    """The report's `levels`, measured on the episode as delivered (`samples`, (n,) or (n, ch), or
    a radioplay.stream.Source), each single-speaker line cut by its cue timing (as the captions
    give it) from the episode's K-weighted power (the filter runs on through the episode, as a
    meter's would, instead of starting again from rest at each line):

    * `characters`: per character, the integrated loudness of all their single-speaker lines
      together, the median of their undirected lines and how many lines that is;
    * `lines`: undirected single-speaker lines longer than MIN_LINE_SECONDS: their median, the
      share within +-1 LU of it, the 10th and 90th percentile spread;
    * `character_spread_lu`: the largest difference between two characters' medians;
    * `lra`: the episode's loudness range (EBU Tech 3342).

    A line heard away from the mic (`spaced`: cue indexes; None: by the built-in spaces table) is
    quieter on purpose, like a directed one, so it stays out of the line statistics. A render
    measures them with a LevelsMeter riding along its encoder instead."""
    from radioplay.stream import as_source, positioned_blocks

    source = as_source(samples)
    meter = LevelsMeter(script, cues, rate, source.channels, source.frames, spaced)
    for position, block in positioned_blocks(source):
        meter.feed(position, block)
    return meter.result()


def _rounded(value: float) -> float | None:
    return round(value, 2) if math.isfinite(value) else None
