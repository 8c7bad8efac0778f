"""Loudness and true peak as ITU-R BS.1770-4 defines them.

* Integrated loudness: K-weighting (BS.1770-4 Annex 1, the two biquads of Tables 1 and 2, re-derived
  for any sample rate the way pyloudnorm's "DeMan" filter class does), mean square per channel over
  400 ms blocks with 75 % overlap (eq. 1-3), channel weights of Table 3, then the absolute gate at
  -70 LKFS and the relative gate 10 LU below the absolute-gated loudness (eq. 4-7).
  pyloudnorm's `Meter.integrated_loudness` does the same with a Python loop per block (3 s for a
  10-minute stereo episode on 2 cores); this vectorized version takes about 0.5 s and
  tests/test_master_loudness.py checks it against the Meter.
* True peak: 4x oversampling with the 48-tap, 4-phase interpolating FIR of BS.1770-4 Annex 2, the
  peak taken over the interpolated points and the samples themselves, reported in dBTP.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pyloudnorm.iirfilter import IIRfilter
from scipy import signal

BLOCK_SECONDS = 0.4
"""Gating block, T_g (BS.1770-4 Annex 1)."""
HOP_SECONDS = 0.1
"""75 % overlap between gating blocks."""
ABSOLUTE_GATE_LUFS = -70.0
RELATIVE_GATE_LU = -10.0
CHANNEL_WEIGHTS = (1.0, 1.0, 1.0, 1.41, 1.41)
"""G_i for L, R, C, Ls, Rs (BS.1770-4 Table 3)."""

# BS.1770-4 Annex 2, Table 1: the 4x interpolator, one row per phase (12 taps each).
ANNEX2_PHASES = np.array([
    [0.0017089843750, 0.0109863281250, -0.0196533203125, 0.0332031250000, -0.0594482421875, 0.1373291015625,
     0.9721679687500, -0.1022949218750, 0.0476074218750, -0.0266113281250, 0.0148925781250, -0.0083007812500],
    [-0.0291748046875, 0.0292968750000, -0.0517578125000, 0.0891113281250, -0.1665039062500, 0.4650878906250,
     0.7797851562500, -0.2003173828125, 0.1015625000000, -0.0582275390625, 0.0330810546875, -0.0189208984375],
    [-0.0189208984375, 0.0330810546875, -0.0582275390625, 0.1015625000000, -0.2003173828125, 0.7797851562500,
     0.4650878906250, -0.1665039062500, 0.0891113281250, -0.0517578125000, 0.0292968750000, -0.0291748046875],
    [-0.0083007812500, 0.0148925781250, -0.0266113281250, 0.0476074218750, -0.1022949218750, 0.9721679687500,
     0.1373291015625, -0.0594482421875, 0.0332031250000, -0.0196533203125, 0.0109863281250, 0.0017089843750],
])

_POWER_CHUNK = 1 << 18
_PROFILE_FRAMES = 1 << 16
"""Frames per block when only the per-hop sums of the power are kept."""
_BLOCK_FRAMES = 256
"""Frames per block in the true-peak search; blocks that cannot reach the threshold are skipped."""
_BLOCKS_PER_BATCH = 128
_PEAK_CHUNK = 1 << 17
"""Samples read per step of the block-peak search."""
"""Blocks interpolated together: small enough to stay in the CPU cache."""


def channel_major(samples: np.ndarray) -> np.ndarray:
    """(n,) or (n, ch) samples as a C-contiguous (ch, n) array (one row per channel).

    float32 stays float32 (half the memory traffic on a long episode); anything else becomes float64."""
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (n,) or (n, channels), not {x.shape}")
    dtype = np.float32 if x.dtype == np.float32 else np.float64
    return np.ascontiguousarray(x.T, dtype=dtype)


def _channels_view(samples: np.ndarray) -> np.ndarray:
    """`channel_major(samples)` without the copy where the values would not change: float32 and
    float64 (n, ch) samples are read through a transposed view, block by block."""
    x = np.asarray(samples)
    if x.dtype in (np.float32, np.float64) and x.ndim in (1, 2):
        return (x[:, None] if x.ndim == 1 else x).T
    return channel_major(x)


def _k_weighting_sos(rate: int) -> np.ndarray:
    """The two K-weighting stages as second-order sections (exactly Table 1 and 2 at 48 kHz)."""
    shelf = IIRfilter(3.99984385397, 0.7071752369554193, 1681.9744509555319, rate, "high_shelf_DeMan")
    high_pass = IIRfilter(0.0, 0.5003270373253953, 38.13547087613982, rate, "high_pass_DeMan")
    return np.array([np.r_[f.b, f.a] / f.a[0] for f in (shelf, high_pass)])


class PowerMeter:
    """K-weighted power of consecutive blocks of one signal, the filter state carried between them.

    Blocks are channel-major (ch, m) of any float dtype; the power of each frame is
    sum over channels of G_i * (K-weighted sample)^2 in float32 (sums are taken in float64)."""

    def __init__(self, channels: int, rate: int):
        if channels > len(CHANNEL_WEIGHTS):
            raise ValueError(f"BS.1770-4 defines weights for at most {len(CHANNEL_WEIGHTS)} channels, "
                             f"not {channels}")
        self.sos = _k_weighting_sos(rate)
        self.state = np.zeros((self.sos.shape[0], channels, 2))
        self.weights = CHANNEL_WEIGHTS[:channels]

    def power(self, block: np.ndarray, out: np.ndarray) -> np.ndarray:
        """Write the per-frame power of the next `block` (ch, m) into `out` (m,) float32."""
        filtered, self.state = signal.sosfilt(self.sos, block.astype(np.float64), axis=1, zi=self.state)
        np.multiply(filtered[0], filtered[0], out=out)
        if self.weights[0] != 1.0:
            out *= self.weights[0]
        for weight, row in zip(self.weights[1:], filtered[1:]):
            out += weight * row * row
        return out


def k_weighted_power(x: np.ndarray, rate: int) -> np.ndarray:
    """Sum over channels of G_i * (K-weighted sample)^2, per frame (the integrand of eq. 1 and 4).

    `x` is channel-major (ch, n) (a transposed (n, ch) view will do)."""
    channels, n = x.shape
    meter = PowerMeter(channels, rate)
    # float32 per frame (sums are taken in float64): half the memory traffic on long episodes.
    power = np.empty(n, dtype=np.float32)
    # Chunks that stay in the CPU cache: one pass over memory instead of one per operation.
    for start in range(0, n, _POWER_CHUNK):
        stop = min(start + _POWER_CHUNK, n)
        meter.power(x[:, start:stop], power[start:stop])
    return power


def power_profile(x: np.ndarray, rate: int) -> "PowerProfile":
    """`PowerProfile.from_power(k_weighted_power(x, rate), rate)` without a per-frame array:
    the power is computed into a cache-sized scratch, block by block, each block whole hops."""
    channels, n = x.shape
    hop = HOP_SECONDS * rate
    hops = int(n // hop)
    edges = (np.arange(hops + 1) * hop).astype(np.int64)
    per_block = max(1, int(_PROFILE_FRAMES // hop))
    if hops <= per_block:
        return PowerProfile.from_power(k_weighted_power(x, rate), rate)
    meter = PowerMeter(channels, rate)
    scratch = np.empty(int(edges[per_block]) + int(np.ceil(hop)) + 2, dtype=np.float32)
    hop_energy = np.empty(hops)
    total = 0.0
    for first in range(0, hops, per_block):
        last = min(first + per_block, hops)
        start, stop = int(edges[first]), int(edges[last]) if last < hops else n
        power = meter.power(x[:, start:stop], scratch[: stop - start])
        hop_energy[first:last] = np.add.reduceat(power[: edges[last] - start], edges[first:last] - start,
                                                 dtype=np.float64)
        total += float(power.sum(dtype=np.float64))
    return PowerProfile(hop_energy, edges, total, n)


@dataclass(frozen=True)
class PowerProfile:
    """A signal's K-weighted power summed per 100 ms hop: all that gating needs (BS.1770-4 eq. 1-7)."""

    hop_energy: np.ndarray
    """(hops,) sum of the per-frame power over each whole 100 ms hop."""
    edges: np.ndarray
    """(hops + 1,) first frame of each hop, and one past the last whole hop."""
    total: float
    """Sum of the per-frame power over the whole signal (used when it is shorter than one block)."""
    frames: int

    @classmethod
    def from_power(cls, power: np.ndarray, rate: int) -> "PowerProfile":
        n = power.size
        hops = int(n // (HOP_SECONDS * rate))
        edges = (np.arange(hops + 1) * (HOP_SECONDS * rate)).astype(np.int64)
        hop_energy = np.empty(hops)
        # A few hundred hops at a time: reduceat casts its whole input to float64 first.
        step = max(1, _PROFILE_FRAMES * 4 // max(1, int(edges[1]) if hops else 1))
        for first in range(0, hops, step):
            last = min(first + step, hops)
            segment = power[edges[first]:edges[last]]
            hop_energy[first:last] = np.add.reduceat(segment, edges[first:last] - edges[first], dtype=np.float64)
        return cls(hop_energy, edges, float(power.sum(dtype=np.float64)), n)

    def block_loudness(self) -> np.ndarray:
        """Loudness of each 400 ms block (75 % overlap), LUFS, before gating (eq. 4)."""
        per_block = int(round(BLOCK_SECONDS / HOP_SECONDS))
        if self.frames == 0:
            return np.empty(0)
        if self.hop_energy.size < per_block:
            # Shorter than one gating block: the whole signal is the only block (the standard is silent here).
            mean_square = np.array([self.total / self.frames])
        else:
            energy = np.convolve(self.hop_energy, np.ones(per_block), mode="valid")
            lengths = self.edges[per_block:] - self.edges[:-per_block]
            mean_square = np.maximum(energy, 0.0) / lengths
        with np.errstate(divide="ignore"):
            return -0.691 + 10.0 * np.log10(mean_square)

    def integrated(self) -> float:
        """Gated integrated loudness, LUFS: absolute gate -70 LUFS, relative gate -10 LU (eq. 5-7)."""
        blocks = self.block_loudness()
        above_absolute = blocks[blocks >= ABSOLUTE_GATE_LUFS]
        if above_absolute.size == 0:
            return float("-inf")
        # Averaging loudness means averaging mean squares (eq. 5-7), not dB values.
        relative_gate = _mean_loudness(above_absolute) + RELATIVE_GATE_LU
        gated = above_absolute[above_absolute > relative_gate]
        return _mean_loudness(gated) if gated.size else float("-inf")


def block_loudness(samples: np.ndarray, rate: int) -> np.ndarray:
    """Loudness of each 400 ms gating block (75 % overlap), LUFS, before gating (BS.1770-4 eq. 4)."""
    return power_profile(_channels_view(samples), rate).block_loudness()


def integrated_loudness(samples: np.ndarray, rate: int) -> float:
    """Integrated, gated loudness in LUFS (ITU-R BS.1770-4); -inf for silence.

    `samples` is (n,) or (n, channels) float in [-1, 1]; channels are L, R, C, Ls, Rs in that order.
    """
    return loudness_of_channels(_channels_view(samples), rate)


def loudness_of_channels(x: np.ndarray, rate: int) -> float:
    """`integrated_loudness` of a channel-major (ch, n) array."""
    return power_profile(x, rate).integrated()


SHORT_TERM_SECONDS = 3.0
"""Short-term loudness window for the loudness range (EBU Tech 3342)."""
LRA_RELATIVE_GATE_LU = -20.0
LRA_PERCENTILES = (10.0, 95.0)


def loudness_range(samples: np.ndarray, rate: int) -> float:
    """Loudness range, LU (EBU Tech 3342): short-term loudness of 3 s windows every 0.1 s, the
    absolute gate at -70 LUFS, a relative gate 20 LU below their power mean, then the difference
    between the 95th and the 10th percentile of what remains (linear interpolation). 0 when the
    signal is shorter than one window or silent."""
    return profile_loudness_range(power_profile(_channels_view(samples), rate))


def profile_loudness_range(profile: "PowerProfile") -> float:
    """`loudness_range` from a signal's 100 ms hop energies (a stream's, see StreamLoudness.profile)."""
    per_window = int(round(SHORT_TERM_SECONDS / HOP_SECONDS))
    if profile.hop_energy.size < per_window:
        return 0.0
    energy = np.convolve(profile.hop_energy, np.ones(per_window), mode="valid")
    lengths = profile.edges[per_window:] - profile.edges[:-per_window]
    with np.errstate(divide="ignore"):
        short_term = -0.691 + 10.0 * np.log10(np.maximum(energy, 0.0) / lengths)
    above_absolute = short_term[short_term >= ABSOLUTE_GATE_LUFS]
    if above_absolute.size == 0:
        return 0.0
    gated = above_absolute[above_absolute >= _mean_loudness(above_absolute) + LRA_RELATIVE_GATE_LU]
    low, high = np.percentile(gated, LRA_PERCENTILES)
    return float(high - low)


def _mean_loudness(block_lufs: np.ndarray) -> float:
    return float(-0.691 + 10.0 * np.log10(np.mean(10.0 ** ((block_lufs + 0.691) / 10.0))))


def interpolator_phases(oversample: int) -> np.ndarray:
    """(oversample, taps) polyphase interpolator: Annex 2's table for 4x, a Kaiser-windowed sinc otherwise."""
    if oversample < 1:
        raise ValueError(f"oversample must be at least 1, not {oversample}")
    if oversample == 4:
        return ANNEX2_PHASES
    if oversample == 1:
        return np.array([[1.0]])
    taps_per_phase = 12
    h = signal.firwin(taps_per_phase * oversample, 1.0 / oversample, window=("kaiser", 5.0)) * oversample
    return h.reshape(taps_per_phase, oversample).T.copy()


def peak_envelope(x: np.ndarray, phases: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """Per frame, the largest |value| over channels, the sample and its interpolated neighbours.

    `x` is channel-major (ch, n). Frames in blocks whose peak provably stays at or below `threshold`
    (the nearby sample peak times the interpolator's gain bound) are left at 0, which makes the
    search cheap for speech: only the loud blocks are interpolated.
    """
    n = x.shape[1]
    envelope = np.zeros(-(-n // _BLOCK_FRAMES) * _BLOCK_FRAMES, dtype=np.float32)
    by_block = envelope.reshape(-1, _BLOCK_FRAMES)
    for ids, peaks in _interpolated_blocks(x, phases, threshold):
        by_block[ids] = peaks
    return envelope[:n]


def _block_peaks(x: np.ndarray) -> np.ndarray:
    """max |x| over channels per block of _BLOCK_FRAMES frames, a cache-sized run of blocks at a time
    (no full-size temporary; a transposed (n, ch) view is read in its own memory order)."""
    channels, n = x.shape
    size = _BLOCK_FRAMES
    whole = n // size
    peaks = np.zeros(-(-n // size))
    step = max(1, _PEAK_CHUNK // (size * max(channels, 1)))
    if channels > 1 and x.T.flags.c_contiguous:
        body = x.T[: whole * size].reshape(whole, size * channels)  # frame-major: all channels of a block
        for start in range(0, whole, step):
            rows = body[start:start + step]
            np.maximum(rows.max(axis=1), -rows.min(axis=1), out=peaks[start:start + rows.shape[0]])
    else:
        for channel in x:
            body = channel[: whole * size].reshape(whole, size)
            for start in range(0, whole, step):
                rows = body[start:start + step]
                dest = peaks[start:start + rows.shape[0]]
                np.maximum(dest, np.maximum(rows.max(axis=1), -rows.min(axis=1)), out=dest)
    if whole * size < n:
        peaks[whole] = max(0.0, float(np.abs(x[:, whole * size:]).max()))
    return peaks


def add_block_slopes(block_slope: np.ndarray, block: np.ndarray, start: int, before: np.ndarray, end: bool) -> None:
    """Raise `block_slope` (per _BLOCK_FRAMES frames of a signal: the largest step |x[j] - x[j-1]|
    over channels into each frame j of the block, the signal being silent before its first frame
    and after its last) by frame-major `block` (m, ch), frames [start, start + m); `before` is the
    frame before it (zeros at the start), `end` whether the signal ends with it."""
    if not len(block):
        return
    before = np.asarray(before, dtype=block.dtype)
    steps = channel_max(_steps(block[:, 0], before[0]), (_steps(column, b) for column, b in zip(block.T[1:], before[1:])))
    if end:  # the step back to silence after the last frame
        steps[-1] = max(float(steps[-1]), float(np.abs(block[-1]).max()))
    first = start // _BLOCK_FRAMES
    cuts = np.arange(first + 1, -(-(start + len(block)) // _BLOCK_FRAMES)) * _BLOCK_FRAMES - start
    most = np.maximum.reduceat(steps, np.concatenate([[0], cuts]))
    np.maximum(block_slope[first:first + most.size], most, out=block_slope[first:first + most.size])


def _steps(column: np.ndarray, before) -> np.ndarray:
    """|x[j] - x[j-1]| for each frame of one channel, `before` the frame before the first."""
    steps = np.empty(len(column), dtype=column.dtype)
    steps[0] = column[0] - before
    np.subtract(column[1:], column[:-1], out=steps[1:])
    return np.abs(steps, out=steps)


def channel_max(first: np.ndarray, others) -> np.ndarray:
    """The largest of per-frame arrays, one per channel, in place in `first` (numpy's max over a
    2-wide axis costs 80x an elementwise maximum)."""
    for other in others:
        np.maximum(first, other, out=first)
    return first


def _block_slopes(x: np.ndarray) -> np.ndarray:
    """`add_block_slopes` over a whole channel-major (ch, n) signal, a cache-sized run at a time."""
    channels, n = x.shape
    slopes = np.zeros(-(-n // _BLOCK_FRAMES))
    step = max(1, _PEAK_CHUNK // (_BLOCK_FRAMES * max(channels, 1))) * _BLOCK_FRAMES
    for start in range(0, n, step):
        stop = min(n, start + step)
        before = x[:, start - 1] if start else np.zeros(channels, dtype=x.dtype)
        add_block_slopes(slopes, x[:, start:stop].T, start, before, stop == n)
    return slopes


def interpolator_bounds(phases: np.ndarray) -> tuple[float, float, float]:
    """(G, C, D) of a polyphase interpolator h: every interpolated point y = sum_k h[k] x[k] is at most
    G * P and at most C * P + D * S in magnitude, where P is the largest |x| and S the largest step
    |x[j] - x[j-1]| among the samples it is made of.

    G = max sum|h|. The second: y = c x[r] + sum_k h[k] (x[k] - x[r]) with c = sum h, and
    |x[k] - x[r]| <= |k - r| S, so C = max |sum h| and D = max over phases of the least over r of
    sum_k |h[k]| |k - r|. A slowly changing signal (speech, music at 44.1 kHz) is bound tightly by
    the second (S is small), where G doubles the peak."""
    taps = np.arange(phases.shape[1])
    gain = max(float(np.abs(phases).sum(axis=1).max()), 1.0)
    dc = float(np.abs(phases.sum(axis=1)).max())
    slope = max(min(float((np.abs(h) * np.abs(taps - r)).sum()) for r in taps) for h in phases)
    return gain, dc, slope


ROUNDING_MARGIN = 1e-5
"""Added to C (relative to the peak): the float32 interpolation may round a point up by ~1e-6 of it."""


def envelope_bounds(block_peak: np.ndarray, block_slope: np.ndarray | None, phases: np.ndarray) -> np.ndarray:
    """Per block of _BLOCK_FRAMES frames, a bound on the interpolated envelope over its frames: from
    the block's and its neighbours' sample peaks and, when known, steps (`interpolator_bounds`)."""
    gain, dc, slope = interpolator_bounds(phases)
    near_peak = _with_neighbours(block_peak)
    bound = gain * near_peak
    if block_slope is not None:
        np.minimum(bound, (dc + ROUNDING_MARGIN) * near_peak + slope * _with_neighbours(block_slope), out=bound)
    return bound


def _with_neighbours(per_block: np.ndarray) -> np.ndarray:
    """Each block's value or either neighbour's, the largest (an interpolated point reaches 6 frames past its block)."""
    near = per_block.copy()
    near[1:] = np.maximum(near[1:], per_block[:-1])
    near[:-1] = np.maximum(near[:-1], per_block[1:])
    return near


def _interpolated_blocks(x: np.ndarray, phases: np.ndarray, threshold: float,
                         block_peak: np.ndarray | None = None, block_slope: np.ndarray | None = None):
    """Yield (block ids, (k, _BLOCK_FRAMES) per-frame peaks) for every block that may exceed `threshold`.

    `block_peak` is `_block_peaks(x)` when the caller has it already, `block_slope` `_block_slopes(x)`
    (computed with the peaks when neither is given; without slopes, the looser bound G alone)."""
    channels, n = x.shape
    if n == 0:
        return
    taps = phases.shape[1]
    before = taps // 2
    size = _BLOCK_FRAMES
    if block_peak is None:
        block_peak, block_slope = _block_peaks(x), _block_slopes(x)
    candidates = np.flatnonzero(envelope_bounds(block_peak, block_slope, phases) > threshold)
    phases32 = phases.astype(np.float32)
    offsets = np.arange(size + taps - 1) - before
    scratch = np.empty((_BLOCKS_PER_BATCH, size), dtype=np.float32)
    for start in range(0, candidates.size, _BLOCKS_PER_BATCH):
        ids = candidates[start:start + _BLOCKS_PER_BATCH]
        frames = ids[:, None] * size + offsets  # (k, size + taps - 1), may run past either end
        outside = (frames < 0) | (frames >= n)
        np.clip(frames, 0, n - 1, out=frames)
        tmp = scratch[: ids.size]
        best = np.zeros((ids.size, size), dtype=np.float32)
        for channel in x:
            window = channel[frames].astype(np.float32, copy=False)
            window[outside] = 0.0  # zeros beyond the ends, as a player would see silence
            np.maximum(best, np.abs(window[:, before:before + size]), out=best)
            for phase in phases32:
                acc = window[:, 0:size] * phase[0]
                for k in range(1, taps):
                    np.multiply(window[:, k:k + size], phase[k], out=tmp)
                    acc += tmp
                np.abs(acc, out=acc)
                np.maximum(best, acc, out=best)
        yield ids, best


def true_peak_db(samples: np.ndarray, rate: int, oversample: int = 4) -> float:
    """True peak in dBTP: 4x oversampled with the BS.1770-4 Annex 2 interpolator; -inf for silence.

    `rate` is part of the measurement's identity (the interpolator is defined relative to it).
    """
    del rate  # the Annex 2 filter is specified in units of the sample period
    return peak_of_channels(_channels_view(samples), oversample)


def peak_of_channels(x: np.ndarray, oversample: int = 4) -> float:
    """`true_peak_db` of a channel-major (ch, n) array."""
    if x.size == 0:
        return float("-inf")
    phases = interpolator_phases(oversample)
    block_peak, block_slope = _block_peaks(x), _block_slopes(x)
    most = float(envelope_bounds(block_peak, block_slope, phases).max())
    # Interpolate the block that could be loudest first; every other block must then be able to beat its peak.
    loudest = _largest(_interpolated_blocks(x, phases, most * (1.0 - 1e-6), block_peak, block_slope))
    peak = max(loudest, _largest(_interpolated_blocks(x, phases, loudest, block_peak, block_slope)))
    with np.errstate(divide="ignore"):
        return float(20.0 * np.log10(peak))


def _largest(batches) -> float:
    return max((float(peaks.max()) for _, peaks in batches), default=0.0)


class StreamLoudness:
    """`integrated_loudness` of a signal fed as consecutive (m, ch) blocks of any size: the
    K-weighting state is carried across blocks and only the power of the unfinished 100 ms hop waits."""

    def __init__(self, channels: int, rate: int):
        self.meter, self.hop = PowerMeter(channels, rate), HOP_SECONDS * rate
        self.frames, self.hops, self.total = 0, 0, 0.0
        self.pending = np.empty(0, dtype=np.float32)
        self.hop_energy: list[np.ndarray] = []

    def feed(self, block: np.ndarray) -> None:
        self.feed_power(self.meter.power(np.asarray(block).T, np.empty(len(block), dtype=np.float32)))

    def feed_power(self, power: np.ndarray) -> None:
        """Feed the next frames' K-weighted power (per frame, as PowerMeter.power gives it) instead of their samples."""
        self.total += float(power.sum(dtype=np.float64))
        start = self.frames - self.pending.size  # the first frame of the unfinished hop
        self.frames += len(power)
        power = np.concatenate([self.pending, power])
        last = int(self.frames // self.hop)
        edges = (np.arange(self.hops, last + 1) * self.hop).astype(np.int64) - start
        if last > self.hops:
            self.hop_energy.append(np.add.reduceat(power[: edges[-1]], edges[:-1], dtype=np.float64))
            self.hops = last
        self.pending = power[edges[-1]:].copy()

    def profile(self) -> "PowerProfile":
        energy = np.concatenate(self.hop_energy) if self.hop_energy else np.empty(0)
        edges = (np.arange(self.hops + 1) * self.hop).astype(np.int64)
        return PowerProfile(energy, edges, self.total, self.frames)

    def integrated(self) -> float:
        return self.profile().integrated()


class StreamPeak:
    """`true_peak_db` of a signal fed as consecutive (m, ch) blocks: frames are interpolated once the
    frames after them have come, and only the parts that may beat the peak so far."""

    def __init__(self, oversample: int = 4):
        self.phases = interpolator_phases(oversample)
        self.context = self.phases.shape[1]  # frames either side that an interpolated point depends on
        self.peak = 0.0
        self.before: np.ndarray | None = None  # the last `context` frames already measured
        self.waiting: np.ndarray | None = None  # frames not yet measured

    def feed(self, block: np.ndarray) -> None:
        block = np.asarray(block, dtype=np.float32)
        self.waiting = block if self.waiting is None else np.concatenate([self.waiting, block])
        if len(self.waiting) > self.context:
            self._measure(len(self.waiting) - self.context)
        elif self.waiting is block:
            self.waiting = block.copy()  # the caller may change its block afterwards

    def _measure(self, count: int) -> None:
        """Measure the first `count` waiting frames (the rest are the frames after them)."""
        wait = self.waiting
        before = self.before if self.before is not None else np.zeros((0, wait.shape[1]), dtype=np.float32)
        window = np.concatenate([before, wait]).T  # channel-major view: the search reads either layout
        envelope = peak_envelope(window, self.phases, threshold=self.peak)
        inside = envelope[len(before):len(before) + count]
        if inside.size:
            self.peak = max(self.peak, float(inside.max()))
        self.before = np.concatenate([before, wait[:count]])[-self.context:]
        self.waiting = wait[count:].copy()

    def true_peak_db(self) -> float:
        if self.waiting is not None and len(self.waiting):
            self._measure(len(self.waiting))
        with np.errstate(divide="ignore"):
            return float(20.0 * np.log10(self.peak)) if self.peak > 0 else float("-inf")
