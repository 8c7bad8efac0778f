"""The master as a stream: two passes over a Source, never the whole episode in memory.

1. Measure: each channel's mean (one pass), then the DC-removed, faded signal block by block,
   keeping only what the master needs of it: the K-weighted power summed per 100 ms hop (the
   BS.1770 gating works from those), the sample peak of every 256 frames (where the true-peak
   search must look), and the DC and K-weighting filter states at each block's start, so that
   any block can be rendered again on its own.
2. Decide: the loudness gain, and the look-ahead limiter's gain where the oversampled envelope at
   that gain nears the ceiling; only those blocks are rendered again to find it. The limiter is
   local: its gain is computed on windows around the cells it touches.
3. Render: `MasteredStream.render(a, b)` gives any range of the result (DC removed, gained,
   limited, faded), so the encoder pulls the episode block by block; measuring the result (its
   loudness when asked, always its true peak) is one more pass of the same kind.

`radioplay.master.master` is this over an array: the whole-array and streaming paths are one code.
"""

from __future__ import annotations

from collections import deque
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Callable, TypeVar

import numpy as np
from scipy import signal

from radioplay.errors import RuntimeFailure
from radioplay.master.limiter import (GRID_FRAMES, LOOKAHEAD_SECONDS, RELEASE_DB_PER_SECOND, GainCurve,
                                      smooth_reduction)
from radioplay.master.loudness import (_BLOCK_FRAMES, HOP_SECONDS, PowerMeter, PowerProfile, StreamLoudness,
                                       StreamPeak, _interpolated_blocks, add_block_slopes, channel_max,
                                       envelope_bounds, interpolator_phases)

DC_CUTOFF_HZ = 20.0
FADE_SECONDS = 0.010
LOUDNESS_TOLERANCE_LU = 0.1
"""Aim well inside the +-0.5 LU delivery tolerance."""
LIMITER_MARGIN_DB = 0.1
"""The limiter aims this far under the ceiling, so the first pass nearly always meets it."""
MAX_PASSES = 3
"""Exact loudness measurements of a rendered result (the first almost always lands)."""
MAX_PREDICTIONS = 8
CHUNK_FRAMES = 1 << 16
"""About this many frames per block (whole 100 ms hops): 0.5 MB of stereo float32."""
KEEP_BYTES = 2 << 30
"""The DC pass keeps its output on disk (in $TMPDIR, deleted with it) up to this size: the first 3.4
hours of 44.1 kHz stereo float32; later blocks are made again when asked for. Reading a block back
costs a tenth of mixing and filtering it again (keeping a 10-hour episode's 12.7 GB made its render
slower, not faster: 457.9 s against 416.7 s)."""
_WINDOW_BLOCKS = 1024
"""Candidate 256-frame blocks closer than this are interpolated from one rendered window."""
_POWER_CACHE = 64
"""Blocks of K-weighted power kept while the limiter's loudness is predicted (16 MB at most)."""
_WEIGHING_BLOCKS = 2
"""DC-filtered blocks waiting for the K-weighting worker at most (1 MB of stereo float32)."""
T = TypeVar("T")


class DCRemoved:
    """A Source with each channel's mean removed, a 20 Hz high-pass for drift and raised-cosine fades
    at both ends; measured on construction (two passes over `source`).

    The first KEEP_BYTES of filtered blocks are kept in a scratch file as they are made, and read back
    when asked for again (the same samples, without mixing and filtering them again); the blocks
    after them are made again from the saved filter states."""

    def __init__(self, source, rate: int):
        self.source, self.rate = source, rate
        n, channels = self.frames, self.channels = source.frames, source.channels
        self.kept: list | None = None  # per block, where its filtered samples are kept (None: not kept)
        self._keep_left = KEEP_BYTES
        if n > 0 and KEEP_BYTES > 0:
            from radioplay.mix.scratch import Scratch

            self._scratch, self.kept = Scratch(), []
        sums = np.zeros(channels)
        for a in range(0, n, CHUNK_FRAMES):
            block = source.render(a, min(n, a + CHUNK_FRAMES))
            # channel by channel (pairwise sums): numpy's sum over the frames of a (m, 2) block is 15x slower
            sums += [block[:, c].sum(dtype=np.float64) for c in range(channels)]
        self.means = sums / n if n else sums
        if not np.isfinite(self.means).all():
            raise ValueError("master: samples contain NaN or infinity")
        self.sos = signal.butter(2, DC_CUTOFF_HZ, btype="highpass", fs=rate, output="sos")
        fade = min(int(round(FADE_SECONDS * rate)), n // 2)
        self.ramp = (np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) ** 2).astype(np.float32) \
            if fade >= 1 else None
        hop = HOP_SECONDS * rate
        hops = int(n // hop)
        self.edges = (np.arange(hops + 1) * hop).astype(np.int64)
        per_block = max(1, int(CHUNK_FRAMES // hop))
        self.starts = np.array([int(e) for e in self.edges[:-1:per_block]] or [0], dtype=np.int64)
        self.bounds = np.append(self.starts[1:], n)
        self.dc_states: list[np.ndarray] = []
        self.k_states: list[np.ndarray] = []
        meter = PowerMeter(channels, rate)
        state = np.zeros((self.sos.shape[0], 2, channels))
        hop_energy = np.empty(hops)
        total = [0.0]
        measured = BlockBounds(n, channels)
        self.block_peak, self.block_slope = measured.peak, measured.slope

        def weigh(i: int, start: int, stop: int, out: np.ndarray | None) -> None:
            # on the worker, block after block in order: the K-weighting state runs on from one to the next
            self.k_states.append(meter.state.copy())
            if out is None:
                return
            power = meter.power(out.T, np.empty(stop - start, dtype=np.float32))
            first, last = i * per_block, min((i + 1) * per_block, hops)
            if last > first:
                hop_energy[first:last] = np.add.reduceat(power[: self.edges[last] - start],
                                                         self.edges[first:last] - start, dtype=np.float64)
            total[0] += float(power.sum(dtype=np.float64))
            measured.feed(start, out)

        # this thread renders and DC-filters the next block while the worker K-weighs the last one
        with ThreadPoolExecutor(1, thread_name_prefix="radioplay-kweight") as pool:
            weighing: deque = deque()
            for i, (start, stop) in enumerate(zip(self.starts.tolist(), self.bounds.tolist())):
                self.dc_states.append(state)
                out = None
                if stop > start:
                    out, state = self._filter(start, stop, state)
                self._keep(out)
                weighing.append(pool.submit(weigh, i, start, stop, out))
                while len(weighing) > _WEIGHING_BLOCKS or (weighing and weighing[0].done()):
                    weighing.popleft().result()
            for job in weighing:
                job.result()
        self.profile = PowerProfile(hop_energy, self.edges, total[0], n)

    def _filter(self, start: int, stop: int, state: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        chunk = self.source.render(start, stop).astype(np.float64) - self.means
        filtered, state = signal.sosfilt(self.sos, chunk, axis=0, zi=state)
        out = filtered.astype(np.float32)
        if self.ramp is not None:
            fade_block(out, start, self.frames, self.ramp)
        return out, state

    def _keep(self, out: np.ndarray | None) -> None:
        if self.kept is None:
            return
        if out is None or out.nbytes > self._keep_left:
            self.kept.append(None)
            return
        try:
            self.kept.append(self._scratch.put(out))
            self._keep_left -= out.nbytes
        except RuntimeFailure:  # no room for it: make the blocks again when asked
            self.kept = None
            self._scratch.close()

    def chunk(self, i: int, lo: int = 0, hi: int | None = None) -> np.ndarray:
        """Frames [lo, hi) of block i: read back when kept (only those frames), else made again."""
        if self.kept is not None and self.kept[i] is not None:
            return self.kept[i][lo:hi]
        return self._filter(int(self.starts[i]), int(self.bounds[i]), self.dc_states[i])[0][lo:hi]

    def render(self, start: int, stop: int) -> np.ndarray:
        if stop <= start:
            return np.zeros((0, self.channels), dtype=np.float32)
        first = int(np.searchsorted(self.starts, start, side="right")) - 1
        pieces, at = [], int(self.starts[first])
        while at < stop:
            pieces.append(self.chunk(first, max(0, start - at), stop - at))
            at, first = int(self.bounds[first]), first + 1
        return pieces[0] if len(pieces) == 1 else np.concatenate(pieces)

    def power(self, frames: np.ndarray, cache: dict[int, np.ndarray]) -> np.ndarray:
        """The K-weighted power of the given frames (any order), from the blocks they fall in."""
        frames = np.asarray(frames, dtype=np.int64)
        values = np.empty(frames.size, dtype=np.float32)
        which = np.searchsorted(self.starts, frames, side="right") - 1
        for i in np.unique(which).tolist():
            power = cache.get(i)
            if power is None:
                meter = PowerMeter(self.channels, self.rate)
                meter.state = self.k_states[i].copy()
                out = self.chunk(i)
                power = meter.power(out.T, np.empty(len(out), dtype=np.float32))
                if len(cache) >= _POWER_CACHE:
                    cache.clear()
                cache[i] = power
            here = which == i
            values[here] = power[frames[here] - self.starts[i]]
        return values


def fade_block(out: np.ndarray, start: int, n: int, ramp: np.ndarray) -> None:
    """The parts of the fade-in and fade-out of an n-frame signal that fall in block `out` at `start`."""
    stop, length = start + len(out), ramp.size
    lo, hi = start, min(stop, length)
    if hi > lo:
        out[lo - start:hi - start] *= ramp[lo:hi, None]
    lo, hi = max(start, n - length), stop
    if hi > lo:
        out[lo - start:hi - start] *= ramp[::-1][lo - (n - length):hi - (n - length), None]


def add_block_peaks(block_peak: np.ndarray, out: np.ndarray, start: int) -> None:
    """Raise `block_peak` (max |x| per 256 frames of the whole signal) by block `out` at frame `start`."""
    if not len(out):
        return
    frame_peak = channel_max(np.abs(out[:, 0]), (np.abs(column) for column in out.T[1:]))
    first = start // _BLOCK_FRAMES
    cuts = np.arange(first + 1, -(-(start + len(out)) // _BLOCK_FRAMES)) * _BLOCK_FRAMES - start
    peaks = np.maximum.reduceat(frame_peak, np.concatenate([[0], cuts]))
    np.maximum(block_peak[first:first + peaks.size], peaks, out=block_peak[first:first + peaks.size])


class BlockBounds:
    """Per _BLOCK_FRAMES frames of a signal fed in order, block by block: its sample peak (`peak`) and
    its largest step (`slope`), what `envelope_bounds` needs to leave blocks out of a true-peak search."""

    def __init__(self, frames: int, channels: int):
        self.frames = frames
        self.peak = np.zeros(-(-frames // _BLOCK_FRAMES))
        self.slope = np.zeros(self.peak.size)
        self._last = np.zeros(channels, dtype=np.float32)  # the frame before the next block

    def feed(self, start: int, block: np.ndarray) -> None:
        if not len(block):
            return
        add_block_peaks(self.peak, block, start)
        add_block_slopes(self.slope, block, start, self._last, start + len(block) == self.frames)
        self._last = np.array(block[-1], dtype=np.float32)


def envelope_cells(source, block_peak: np.ndarray, phases: np.ndarray, threshold: float,
                   block_slope: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(cell ids, cell peaks) of the oversampled envelope's maxima per GRID_FRAMES cell, for the
    blocks that may exceed `threshold` (every other cell is below it); only those are rendered."""
    found = list(_envelope_windows(source, block_peak, phases, threshold, block_slope))
    if not found:
        return np.empty(0, dtype=np.int64), np.empty(0)
    cell_ids, cell_peaks = np.concatenate([i for i, _ in found]), np.concatenate([p for _, p in found])
    keep = cell_ids < -(-source.frames // GRID_FRAMES)
    return cell_ids[keep], cell_peaks[keep]


def _envelope_windows(source, block_peak: np.ndarray, phases: np.ndarray, threshold: float,
                      block_slope: np.ndarray | None = None):
    """`envelope_cells` a window at a time: yields (cell ids, cell peaks)."""
    n = source.frames
    candidates = np.flatnonzero(envelope_bounds(block_peak, block_slope, phases) > threshold)
    per_block = _BLOCK_FRAMES // GRID_FRAMES
    # the candidates of each stretch of _WINDOW_BLOCKS blocks are interpolated from one rendered window
    cuts = np.flatnonzero(np.diff(candidates // _WINDOW_BLOCKS)) + 1
    for part in (np.split(candidates, cuts) if candidates.size else []):
        # one block of context each side: the interpolator reaches 6 frames past a block
        lo = max(int(part[0]) - 1, 0)
        hi = min(int(part[-1]) + 2, block_peak.size)
        window = source.render(lo * _BLOCK_FRAMES, min(hi * _BLOCK_FRAMES, n))
        local = block_peak[lo:hi].copy(), None if block_slope is None else block_slope[lo:hi].copy()
        wanted = part - lo
        for got, best in _interpolated_blocks(np.ascontiguousarray(window.T), phases, threshold, *local):
            keep = np.isin(got, wanted)
            if not keep.any():
                continue
            got, best = got[keep] + lo, best[keep]
            tail = n - int(got[-1]) * _BLOCK_FRAMES
            if tail < _BLOCK_FRAMES:
                best[-1, tail:] = 0.0  # frames past the end do not count
            cells = best.reshape(got.size, per_block, GRID_FRAMES).max(axis=2)
            yield (got[:, None] * per_block + np.arange(per_block)).reshape(-1), cells.reshape(-1).astype(np.float64)


def limiter_gain_sparse(cell_ids: np.ndarray, cell_peaks: np.ndarray, n: int, rate: int, ceiling_db: float, *,
                        lookahead: float = LOOKAHEAD_SECONDS,
                        release_db_per_second: float = RELEASE_DB_PER_SECOND) -> GainCurve | None:
    """`limiter_gain_from_cells` for a sparse envelope: the same smoothing, on windows around the
    cells over the ceiling, each wide enough for the release to come back to 0 dB; None when
    nothing is over the ceiling."""
    ceiling = 10.0 ** (ceiling_db / 20.0)
    over = cell_peaks > ceiling
    if not over.any():
        return None
    order = np.argsort(cell_ids[over], kind="stable")
    ids, peaks = cell_ids[over][order], cell_peaks[over][order]
    reduction = 20.0 * np.log10(peaks / ceiling)
    cells_per_second = rate / GRID_FRAMES
    half = max(2, int(round(lookahead * cells_per_second / 2)))
    release = int(np.ceil(float(reduction.max()) / (release_db_per_second / cells_per_second)))
    pad = release + 2 * (half + 2) + 4
    total = -(-n // GRID_FRAMES)
    cells_out, gains_out = [], []
    position = (np.arange(GRID_FRAMES, dtype=np.float32) + 0.5) / GRID_FRAMES - 0.5
    left, right = np.maximum(-position, 0), np.maximum(position, 0)
    for cluster in np.split(np.arange(ids.size), np.flatnonzero(np.diff(ids) > 2 * pad) + 1):
        lo, hi = max(int(ids[cluster[0]]) - pad, 0), min(int(ids[cluster[-1]]) + pad + 1, total)
        dense = np.zeros(hi - lo)
        np.maximum.at(dense, ids[cluster] - lo, reduction[cluster])
        smoothed = smooth_reduction(dense, cells_per_second, lookahead, release_db_per_second)
        cell_gain = (10.0 ** (-smoothed / 20.0)).astype(np.float32)
        padded = np.concatenate([cell_gain[:1], cell_gain, cell_gain[-1:]])
        neighbourhood = np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:])
        active = np.flatnonzero(neighbourhood < 1.0)
        gain = (padded[active + 1, None] * (1 - left - right) + padded[active, None] * left
                + padded[active + 2, None] * right)
        cells_out.append(active + lo)
        gains_out.append(gain.astype(np.float32))
    return GainCurve(n, np.concatenate(cells_out), np.concatenate(gains_out))


def apply_curve(curve: GainCurve, out: np.ndarray, start: int) -> None:
    """Multiply block `out` (m, ch), frames [start, start + m) of the signal, by the curve's gain, in place."""
    stop = start + len(out)
    lo = int(np.searchsorted(curve.cells, start // GRID_FRAMES, side="left"))
    hi = int(np.searchsorted(curve.cells, -(-stop // GRID_FRAMES), side="left"))
    if hi <= lo:
        return
    frames = (curve.cells[lo:hi, None] * GRID_FRAMES + np.arange(GRID_FRAMES)).reshape(-1) - start
    gains = curve.gain[lo:hi].reshape(-1)
    inside = (frames >= 0) & (frames < len(out))
    gain = np.ones(len(out), dtype=np.float32)
    gain[frames[inside]] = gains[inside]
    out *= gain[:, None]


class ResultMeter:
    """What a pass over a mastered result measures, fed its blocks in order (`feed(start, block)`,
    in any partition): the sample peak of every 256 frames, the true peak and, when asked, the
    integrated loudness. It keeps no block it is fed (the caller may change them afterwards)."""

    def __init__(self, frames: int, channels: int, rate: int, loudness: bool):
        self.frames = frames
        self._bounds = BlockBounds(frames, channels)
        self.block_peak, self.block_slope = self._bounds.peak, self._bounds.slope
        self.peak = StreamPeak(4)
        self.loudness = StreamLoudness(channels, rate) if loudness else None
        self._position = 0

    @property
    def complete(self) -> bool:
        """Whether it was fed every frame once, in order (else its figures are not the result's)."""
        return self._position == self.frames

    def feed(self, start: int, block: np.ndarray) -> None:
        if start != self._position:
            self._position = -1  # out of order: incomplete for good
            return
        if not len(block):
            return
        self._bounds.feed(start, block)
        self.peak.feed(block)
        if self.loudness is not None:
            self.loudness.feed(block)
        self._position = start + len(block)

    def result(self) -> tuple[float | None, np.ndarray, float]:
        """(integrated loudness when asked, else None; block peaks; true peak, dBTP)."""
        loudness = self.loudness.integrated() if self.loudness is not None else None
        return loudness, self.block_peak, self.peak.true_peak_db()


@dataclass
class MasteredStream:
    """The mastered episode as a Source: `render(a, b)` is frames [a, b) of the result.

    Until `settled`, the master still waits for one measuring pass over it (master_stream's
    `settle`): a caller that passes over it anyway (an encoder) feeds `meter()` on the way and
    hands it to `settle`."""

    dc: DCRemoved
    gain: np.float32
    curves: list[GainCurve] = field(default_factory=list)
    scale: np.float32 | None = None
    loudness: float = float("nan")
    """Integrated loudness, LUFS (measured, or the prediction the gain was chosen by)."""
    true_peak: float = float("nan")
    gain_db: float = 0.0
    sample_rate: int = 0
    mastering: "_Mastering | None" = field(default=None, repr=False)
    """The decisions still to make after the next pass; None once settled."""

    @property
    def frames(self) -> int:
        return self.dc.frames

    @property
    def channels(self) -> int:
        return self.dc.channels

    @property
    def settled(self) -> bool:
        return self.mastering is None

    def render(self, start: int, stop: int) -> np.ndarray:
        out = self.dc.render(start, stop)
        self._finish(out, start)
        return out

    def _finish(self, out: np.ndarray, start: int) -> None:
        out *= self.gain
        for curve in self.curves:
            apply_curve(curve, out, start)
        if self.scale is not None:
            out *= self.scale

    def blocks(self, start: int = 0, stop: int | None = None):
        """(position, block) over frames [start, stop) of the result, in the measuring pass's own
        blocks (each filtered once, from its saved state: the cheapest way through)."""
        stop = self.frames if stop is None else stop
        first = max(int(np.searchsorted(self.dc.starts, start, side="right")) - 1, 0)
        for i in range(first, self.dc.starts.size):
            a, b = int(self.dc.starts[i]), int(self.dc.bounds[i])
            if a >= stop:
                break
            if b <= max(a, start):
                continue
            out = self.dc.chunk(i)
            self._finish(out, a)
            lo, hi = max(start, a), min(stop, b)
            yield lo, out[lo - a:hi - a]

    def meter(self) -> ResultMeter:
        """A meter for the next pass over the result: what `settle` needs from that pass."""
        wants = self.mastering.wants_loudness if self.mastering is not None else False
        return ResultMeter(self.frames, self.channels, self.dc.rate, wants)

    def settle(self, meter: ResultMeter | None = None) -> bool:
        """Take what a pass over the result measured (`meter()`, fed every block in order; None, or
        an incomplete meter: the pass is made here) and decide. True: the result stands and its
        figures are set. False: the result changed; pass over it again and settle again."""
        if self.mastering is None:
            return True
        return self.mastering.settle(meter)

    def measure(self, loudness: bool) -> tuple[float | None, np.ndarray, float]:
        """One pass over the result: (its integrated loudness when asked, else None; its block peaks;
        its true peak, dBTP). The true peak is `true_peak`'s to the bit (the same interpolation of
        every frame that may hold it), without rendering any block again."""
        return self.measuring_pass(loudness).result()

    def measuring_pass(self, loudness: bool) -> ResultMeter:
        """A ResultMeter fed one pass over the result (its own blocks)."""
        meter = ResultMeter(self.frames, self.channels, self.dc.rate, loudness)
        for start, out in self.blocks():
            meter.feed(start, out)
        return meter


def true_peak(source, block_peak: np.ndarray, phases: np.ndarray, block_slope: np.ndarray | None = None) -> float:
    """dBTP of `source` from its block peaks (and steps, when known): only the blocks that could
    hold the peak are rendered."""
    if not block_peak.size or block_peak.max() == 0.0:
        return float("-inf")

    def largest(threshold: float) -> float:  # only the maximum is kept, window by window
        return max((float(p.max()) for _, p in _envelope_windows(source, block_peak, phases, threshold, block_slope)),
                   default=0.0)

    # the block that could be loudest first; every other block must then be able to beat its peak
    most = float(envelope_bounds(block_peak, block_slope, phases).max())
    loudest = max(largest(most * (1.0 - 1e-6)), float(block_peak.max()))
    peak = max(loudest, largest(loudest))
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(peak))


def master_stream(source, rate: int, target_lufs: float = -16.0, true_peak_db: float = -1.0,
                  measure: bool = True, settle: bool = True) -> MasteredStream:
    """Master `source` (a radioplay.stream.Source) as `radioplay.master.master` does, in bounded memory.

    Returns a MasteredStream whose figures are set: loudness (measured with `measure`, else the
    prediction), true peak (always measured) and the gain.

    With `settle` off, the last measuring pass is left to the caller, who passes over the result
    anyway (to encode it): it feeds `result.meter()` the blocks it pulls, then calls
    `result.settle(meter)`, and passes again while that returns False. The result and its figures
    are then those of `settle=True`, and the episode is rendered once less."""
    result = _Mastering(source, rate, target_lufs, true_peak_db, measure).result
    if settle:
        while not result.settle():
            pass
    return result


def settling_pass(result: MasteredStream, consume: Callable[[object], T]) -> T:
    """`consume(source)` (which pulls every block of it in order: an encoder, `gather`) over the
    result, with the master's last measuring pass riding along; again while the master changes
    the result (rarely: a ceiling the limiter missed, a loudness off target). Returns its last value."""
    from radioplay.stream import Tapped

    while True:
        meter = None if result.settled else result.meter()
        value = consume(result if meter is None else Tapped(result, meter.feed))
        if meter is None or result.settle(meter):
            return value


class _Mastering:
    """The master's decisions between passes over its result: the loudness gain (predicted, then
    corrected by the measured loudness when `measure`), then the true-peak ceiling. `settle` takes
    each pass's measurements; the steps are those of one loop, whoever makes the passes."""

    def __init__(self, source, rate: int, target_lufs: float, ceiling_db: float, measure: bool):
        self.target, self.ceiling_db, self.measure, self.rate = target_lufs, ceiling_db, measure, rate
        self.dc = dc = DCRemoved(source, rate)
        self.phases = interpolator_phases(4)
        self.result = MasteredStream(dc, np.float32(1.0), sample_rate=rate, mastering=self)
        self.gain_db = 0.0
        self.loudness: float | None = None
        measured = dc.profile.integrated()
        if not np.isfinite(measured):
            # Silence (or everything below the -70 LUFS gate): nothing to normalize; only the ceiling applies.
            _meet_ceiling(self.result, (dc.block_peak, dc.block_slope,
                                        true_peak(self.result, dc.block_peak, self.phases, dc.block_slope)),
                          self.phases, ceiling_db)
            self.stage, self.wants_loudness = "final", True
            return
        self.gain_db = target_lufs - measured
        self.headroom_db = 3.0
        self.envelope, self.envelope_gain_db = self._cells_at(self.gain_db), self.gain_db
        self.power_cache: dict[int, np.ndarray] = {}
        self.aim = target_lufs
        self.passes = 0
        self._predict()
        # "loudness": the next pass measures the result's loudness (and its peaks);
        # "peak": only its peaks; "final": the ceiling is met, only the loudness may be left to measure
        self.stage, self.wants_loudness = ("loudness", True) if measure else ("peak", False)

    def _cells_at(self, gain: float):
        return envelope_cells(self.dc, self.dc.block_peak, self.phases,
                              10.0 ** ((self.ceiling_db - gain - self.headroom_db) / 20.0), self.dc.block_slope)

    def _predict(self) -> None:
        """Choose the gain in front of the limiter by predicting the loudness it gives, and set the result to it."""
        dc, rate = self.dc, self.rate
        tried: list[tuple[float, float]] = []
        for _ in range(MAX_PREDICTIONS):
            if self.gain_db > self.envelope_gain_db + self.headroom_db:
                self.envelope, self.envelope_gain_db = self._cells_at(self.gain_db), self.gain_db
            curve = limiter_gain_sparse(*self.envelope, dc.frames, rate,
                                        self.ceiling_db - LIMITER_MARGIN_DB - self.gain_db)
            predicted = _predicted_loudness(dc, self.power_cache, self.gain_db, curve)
            tried.append((self.gain_db, predicted))
            if abs(self.aim - predicted) <= LOUDNESS_TOLERANCE_LU / 10:
                break
            self.gain_db += (self.aim - predicted) / _loudness_slope(tried)
        result = self.result
        result.gain, result.curves = np.float32(10.0 ** (self.gain_db / 20.0)), [curve] if curve is not None else []
        self.loudness = predicted

    def settle(self, meter: ResultMeter | None) -> bool:
        result = self.result
        if self.stage == "final" and not self.wants_loudness:
            return self._done()  # nothing left to measure
        if meter is None or not meter.complete:
            meter = result.measuring_pass(self.wants_loudness)
        loudness, block_peak, peak = meter.result()
        block_slope = meter.block_slope
        if self.stage == "final":
            self.loudness = loudness
            return self._done()
        if self.stage == "loudness":
            self.passes += 1
            self.loudness = loudness
            if abs(self.target - loudness) > LOUDNESS_TOLERANCE_LU and self.passes < MAX_PASSES:
                self.aim += self.target - loudness
                self._predict()
                return False
        self.power_cache.clear()
        if _meet_ceiling(result, (block_peak, block_slope, peak), self.phases, self.ceiling_db):
            # limited again: its loudness is measured again when asked, and any caller's pass was of the old result
            self.stage = "final"
            self.wants_loudness = self.measure
            return False
        return self._done()

    def _done(self) -> bool:
        result = self.result
        result.loudness, result.gain_db = float(self.loudness), float(self.gain_db)
        result.mastering = None
        return True


def _meet_ceiling(result: MasteredStream, measured, phases: np.ndarray, ceiling_db: float) -> bool:
    """Guarantee the ceiling: limit the result again, then scale any excess; sets `result.true_peak`.
    `measured` is the result's (block peaks, block steps, true peak). Returns whether the result changed."""
    rate = result.sample_rate
    block_peak, block_slope, peak = measured
    for attempt in range(2):
        if peak <= ceiling_db:
            result.true_peak = peak
            return attempt > 0
        limit = ceiling_db - LIMITER_MARGIN_DB
        cells = envelope_cells(result, block_peak, phases, 10.0 ** (limit / 20.0), block_slope)
        curve = limiter_gain_sparse(*cells, result.frames, rate, limit)
        if curve is not None:
            result.curves.append(curve)
        meter = result.measuring_pass(False)
        (_, block_peak, peak), block_slope = meter.result(), meter.block_slope
    if peak > ceiling_db:
        # True peak scales linearly with gain, so this cannot miss (the tiny factor covers float32 rounding).
        result.scale = np.float32(10.0 ** ((ceiling_db - peak) / 20.0) * (1.0 - 1e-5))
        _, block_peak, peak = result.measure(False)
    result.true_peak = peak
    return True


def _predicted_loudness(dc: DCRemoved, cache: dict[int, np.ndarray], gain_db: float,
                        curve: GainCurve | None) -> float:
    """Loudness after `gain_db` and the limiter's `curve`, from the unlimited signal's K-weighted power.

    Gain scales power exactly; the limiter's slow gain c is taken through the K-weighting filter as
    c^2 on the power of the frames it touches (close, since c changes over milliseconds)."""
    profile = dc.profile
    scale = 10.0 ** (gain_db / 10.0)
    if curve is None:
        return profile.integrated() + gain_db
    frames, gain = curve.sparse()
    loss = (1.0 - gain.astype(np.float64) ** 2) * dc.power(frames, cache)
    hops = profile.hop_energy.size
    hop = np.searchsorted(profile.edges, frames, side="right") - 1
    inside = hop < hops
    hop_energy = profile.hop_energy - np.bincount(hop[inside], weights=loss[inside], minlength=hops)[:hops]
    limited = PowerProfile(hop_energy * scale, profile.edges, (profile.total - float(loss.sum())) * scale,
                           profile.frames)
    return limited.integrated()


def _loudness_slope(tried: list[tuple[float, float]]) -> float:
    """LU gained per dB of gain, from the last two passes (1 before the limiter has bitten)."""
    if len(tried) < 2 or tried[-1][0] == tried[-2][0]:
        return 1.0
    (g0, l0), (g1, l1) = tried[-2], tried[-1]
    # The limiter eats part of each extra dB, never more than all of it; clamp against noise.
    return float(np.clip((l1 - l0) / (g1 - g0), 0.2, 1.0))
