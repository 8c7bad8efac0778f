"""Mastering: DC removal, fades, loudness normalization (ITU-R BS.1770-4) and a true-peak limit.

    master(samples, sample_rate, target_lufs=-16.0, true_peak_db=-1.0) -> Mastered

Podcast delivery specs ask for -16 LUFS integrated for stereo (-19 for mono; the caller picks)
and at most -1 dBTP. The result is measured, not assumed: `Mastered.loudness` and
`Mastered.true_peak` are measurements of the returned samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import signal

from radioplay.master.limiter import (GRID_FRAMES, GainCurve, envelope_cell_peaks, limiter_curve,
                                      limiter_gain_from_cells)
from radioplay.master.loudness import (HOP_SECONDS, PowerMeter, PowerProfile, integrated_loudness,
                                       interpolator_phases, loudness_of_channels, peak_of_channels, true_peak_db)
from radioplay.buffers import zeros

__all__ = ["Mastered", "master", "integrated_loudness", "true_peak_db"]

DC_CUTOFF_HZ = 20.0
FADE_SECONDS = 0.010
LOUDNESS_TOLERANCE_LU = 0.1
"""Aim well inside the +-0.5 LU delivery tolerance."""
LIMITER_MARGIN_DB = 0.1
"""The limiter aims this far under the ceiling, so the first pass nearly always meets it."""
MAX_PASSES = 3
"""Exact loudness measurements of a rendered result (the first almost always lands)."""
MAX_PREDICTIONS = 8
_CHUNK = 1 << 16
"""Frames per block: a few hundred kB, so each block stays in the CPU cache between steps."""


@dataclass
class Mastered:
    samples: np.ndarray
    """float32, shape (n, channels), within [-1, 1]."""
    loudness: float
    """Integrated loudness of `samples`, LUFS (ITU-R BS.1770-4); -inf for silence."""
    true_peak: float
    """dBTP of `samples`, 4x oversampled; -inf for silence."""
    gain_db: float
    """Gain applied before the limiter to reach the loudness target, dB (0 for silence)."""


def master(samples: np.ndarray, sample_rate: int, target_lufs: float = -16.0,
           true_peak_db: float = -1.0, measure: bool = True) -> Mastered:
    """Remove DC, fade the ends, normalize to `target_lufs` and limit true peaks to `true_peak_db`.

    `samples` is (n,) or (n, channels). Loudness lost to the limiter is made up by raising the gain
    in front of it and limiting again (a few passes at most), so the result lands within
    +-0.1 LU of the target whenever the ceiling allows it.

    With `measure` off, the result's loudness is not measured again: `Mastered.loudness` is the
    prediction the gain was chosen by (within hundredths of a LU), and no correcting pass is made.
    For a caller that measures what it delivers anyway (the lossy delivery check decodes and
    measures the encoded file); the true-peak ceiling is still met and measured.

    Long episodes are memory-bound: every stage works in place on the one (n, channels) buffer
    that is returned, in cache-sized blocks; no other per-frame array is kept (the K-weighted power
    of the frames the limiter touches is recomputed from filter states saved per block).
    """
    ceiling_db = true_peak_db
    source = _frames(samples)
    out = zeros(source.shape)  # every frame is written below; big ones are mapped in small pages
    x = out.T  # channel-major view, as the loudness and limiter functions take it
    profile, power = _remove_dc(source, sample_rate, out)
    measured = profile.integrated()
    if not np.isfinite(measured):
        # Silence (or everything below the -70 LUFS gate): nothing to normalize; only the ceiling applies.
        peak, _ = _meet_ceiling(x, sample_rate, ceiling_db)
        return Mastered(out, loudness_of_channels(x, sample_rate), peak, 0.0)

    gain_db = target_lufs - measured
    # The oversampled envelope scales with the gain, so it is computed once; blocks that stay 3 dB
    # under the ceiling at this gain are skipped (recomputed if the passes below raise the gain more).
    headroom_db = 3.0
    phases = interpolator_phases(4)
    envelope = envelope_cell_peaks(x, phases, threshold=10.0 ** ((ceiling_db - gain_db - headroom_db) / 20.0))
    envelope_gain_db = gain_db
    aim = target_lufs
    for attempt in range(MAX_PASSES):
        if attempt:
            _remove_dc(source, sample_rate, out, measure=False)  # the unscaled signal again, in place
        # Find the gain whose limited result is predicted to reach the aim, without re-filtering...
        tried: list[tuple[float, float]] = []
        for _ in range(MAX_PREDICTIONS):
            if gain_db > envelope_gain_db + headroom_db:
                envelope = envelope_cell_peaks(x, phases,
                                               threshold=10.0 ** ((ceiling_db - gain_db - headroom_db) / 20.0))
                envelope_gain_db = gain_db
            curve = limiter_gain_from_cells(envelope, x.shape[1], sample_rate,
                                            ceiling_db - LIMITER_MARGIN_DB - gain_db)
            predicted = _predicted_loudness(power, profile, gain_db, curve)
            tried.append((gain_db, predicted))
            if abs(aim - predicted) <= LOUDNESS_TOLERANCE_LU / 10:
                break
            gain_db += (aim - predicted) / _loudness_slope(tried)
        # ...then render it in place and measure exactly; a miss moves the aim by the prediction's error.
        loudness = _render(out, np.float32(10.0 ** (gain_db / 20.0)), curve, sample_rate, measure)
        if loudness is None:
            loudness = predicted
            break
        if abs(target_lufs - loudness) <= LOUDNESS_TOLERANCE_LU:
            break
        aim += target_lufs - loudness
    del power
    peak, changed = _meet_ceiling(x, sample_rate, ceiling_db)
    if changed and measure:
        loudness = loudness_of_channels(x, sample_rate)
    return Mastered(out, float(loudness), peak, float(gain_db))


def _render(out: np.ndarray, gain: np.float32, curve: GainCurve | None, rate: int,
            measure: bool = True) -> float | None:
    """Scale (n, ch) `out` by `gain`, apply the limiter's `curve`, both in place, and return the
    integrated loudness of the result (None without `measure`); one cache-sized block at a time."""
    n = out.shape[0]
    x = out.T
    if curve is None:
        for start in range(0, n, _CHUNK):
            out[start:start + _CHUNK] *= gain
    else:
        # Block edges on whole grid cells, so each cell's gain is applied within one block.
        step = _CHUNK - _CHUNK % GRID_FRAMES
        cells = curve.cells
        bounds = np.searchsorted(cells, np.arange(0, n + step, step) // GRID_FRAMES)
        for i, start in enumerate(range(0, n, step)):
            out[start:start + step] *= gain
            lo, hi = bounds[i], bounds[i + 1]
            if hi > lo:
                GainCurve(min(n, start + step) - start, cells[lo:hi] - start // GRID_FRAMES,
                          curve.gain[lo:hi]).apply(x[:, start:start + step])
    return loudness_of_channels(x, rate) if measure else None


def _predicted_loudness(power: "np.ndarray | _FramePower", profile: PowerProfile, gain_db: float,
                        curve: GainCurve | None) -> float:
    """Loudness after `gain_db` and the limiter's `curve`, from the unlimited signal's K-weighted power.

    Gain scales power exactly; the limiter's slow gain c is taken through the K-weighting filter as
    c^2 on the power of the frames it touches (close, since c changes over milliseconds)."""
    scale = 10.0 ** (gain_db / 10.0)
    if curve is None:
        return profile.integrated() + gain_db
    frames, gain = curve.sparse()
    loss = (1.0 - gain.astype(np.float64) ** 2) * power[frames]
    hops = profile.hop_energy.size
    hop_frames = profile.edges[1] if profile.edges.size > 1 else 0
    if hops and np.array_equal(profile.edges, np.arange(hops + 1) * hop_frames):
        hop = frames // hop_frames  # whole-sample hops (44.1 and 48 kHz): no search needed
    else:
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


def _frames(samples: np.ndarray) -> np.ndarray:
    """`samples` as (n, channels), checked."""
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (n,) or (n, channels), not {x.shape}")
    return x


def _remove_dc(x: np.ndarray, rate: int, out: np.ndarray,
               measure: bool = True) -> tuple[PowerProfile, "_FramePower"] | None:
    """Write `x` (n, ch) into float32 `out` (n, ch) with each channel's mean removed, a 20 Hz
    high-pass for drift and raised-cosine fades at both ends (so playback starts and stops
    without a click); with `measure`, also return the K-weighted power profile of the result and
    its per-frame power (recomputed on demand from the filter states kept at each block).

    One pass over memory in cache-sized blocks of whole 100 ms hops, filter states carried across."""
    n, channels = x.shape
    means = np.zeros(channels)
    for c in range(channels):
        means[c] = float(np.mean(x[:, c], dtype=np.float64)) if n else 0.0
    if not np.isfinite(means).all():
        raise ValueError("master: samples contain NaN or infinity")
    sos = signal.butter(2, DC_CUTOFF_HZ, btype="highpass", fs=rate, output="sos")
    state = np.zeros((sos.shape[0], 2, channels))
    fade = min(int(round(FADE_SECONDS * rate)), n // 2)
    ramp = (np.sin(0.5 * np.pi * (np.arange(fade) + 0.5) / fade) ** 2).astype(np.float32) if fade >= 1 else None
    hop = HOP_SECONDS * rate
    hops = int(n // hop)
    edges = (np.arange(hops + 1) * hop).astype(np.int64)
    per_block = max(1, int(_CHUNK // hop))
    starts = [int(e) for e in edges[:-1:per_block]] or [0]
    bounds = starts[1:] + [n]
    meter = PowerMeter(channels, rate) if measure else None
    states: list[np.ndarray] = []
    hop_energy = np.empty(hops)
    total = 0.0
    scratch = np.empty(max((stop - start for start, stop in zip(starts, bounds)), default=0), dtype=np.float32)
    for i, (start, stop) in enumerate(zip(starts, bounds)):
        if stop == start:
            continue
        chunk = x[start:stop].astype(np.float64) - means
        out[start:stop], state = signal.sosfilt(sos, chunk, axis=0, zi=state)
        if ramp is not None:
            _fade_block(out, start, stop, ramp)
        if meter is not None:
            states.append(meter.state.copy())
            power = meter.power(out[start:stop].T, scratch[: stop - start])
            first, last = i * per_block, min((i + 1) * per_block, hops)
            if last > first:
                hop_energy[first:last] = np.add.reduceat(power[: edges[last] - start], edges[first:last] - start,
                                                         dtype=np.float64)
            total += float(power.sum(dtype=np.float64))
    if meter is None:
        return None
    return PowerProfile(hop_energy, edges, total, n), _FramePower(out.T, rate, starts, bounds, states)


class _FramePower:
    """The per-frame K-weighted power of channel-major `x`, indexable like the array
    `k_weighted_power(x, rate)` but computed only for the blocks asked for (the limiter touches
    few), by re-filtering each block from its saved filter state; `x` must not change meanwhile."""

    def __init__(self, x: np.ndarray, rate: int, starts: list[int], bounds: list[int], states: list[np.ndarray]):
        self.x, self.rate, self.states = x, rate, states
        self.starts, self.bounds = np.asarray(starts, dtype=np.int64), bounds
        self.blocks: dict[int, np.ndarray] = {}

    def block(self, i: int) -> np.ndarray:
        power = self.blocks.get(i)
        if power is None:
            meter = PowerMeter(self.x.shape[0], self.rate)
            meter.state = self.states[i].copy()
            start, stop = int(self.starts[i]), self.bounds[i]
            power = self.blocks[i] = meter.power(self.x[:, start:stop], np.empty(stop - start, dtype=np.float32))
        return power

    def __getitem__(self, frames: np.ndarray) -> np.ndarray:
        frames = np.asarray(frames, dtype=np.int64)
        order = np.argsort(frames, kind="stable")
        ordered = frames[order]
        values = np.empty(frames.size, dtype=np.float32)
        cuts = np.searchsorted(ordered, self.starts[1:])
        lo = 0
        for i, hi in enumerate(list(cuts) + [ordered.size]):
            if hi > lo:
                values[order[lo:hi]] = self.block(i)[ordered[lo:hi] - self.starts[i]]
            lo = hi
        return values.reshape(frames.shape)


def _fade_block(out: np.ndarray, start: int, stop: int, ramp: np.ndarray) -> None:
    """The parts of the fade-in and fade-out that fall in frames [start, stop) of (n, ch) `out`."""
    n, length = out.shape[0], ramp.size
    lo, hi = start, min(stop, length)
    if hi > lo:
        out[lo:hi] *= ramp[lo:hi, None]
    lo, hi = max(start, n - length), stop
    if hi > lo:
        out[lo:hi] *= ramp[::-1][lo - (n - length):hi - (n - length), None]


def _meet_ceiling(x: np.ndarray, rate: int, ceiling_db: float) -> tuple[float, bool]:
    """Guarantee the ceiling on channel-major float32 `x`, in place: limit again, then scale any excess.

    Returns the true peak in dBTP and whether `x` changed."""
    for attempt in range(2):
        peak = peak_of_channels(x)
        if peak <= ceiling_db:
            return peak, attempt > 0
        curve = limiter_curve(x, rate, ceiling_db - LIMITER_MARGIN_DB)
        if curve is not None:
            curve.apply(x)
    peak = peak_of_channels(x)
    if peak > ceiling_db:
        # True peak scales linearly with gain, so this cannot miss (the tiny factor covers float32 rounding).
        x *= np.float32(10.0 ** ((ceiling_db - peak) / 20.0) * (1.0 - 1e-5))
        peak = peak_of_channels(x)
    return peak, True
