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

from radioplay.master.limiter import GainCurve, cell_peaks, limit, limiter_gain_from_cells
from radioplay.master.loudness import (PowerProfile, integrated_loudness, interpolator_phases, k_weighted_power,
                                       loudness_of_channels, peak_envelope, peak_of_channels, true_peak_db)

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
_CHUNK = 1 << 18


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
           true_peak_db: float = -1.0) -> Mastered:
    """Remove DC, fade the ends, normalize to `target_lufs` and limit true peaks to `true_peak_db`.

    `samples` is (n,) or (n, channels). Loudness lost to the limiter is made up by raising the gain
    in front of it and limiting again (a few passes at most), so the result lands within
    +-0.1 LU of the target whenever the ceiling allows it.
    """
    ceiling_db = true_peak_db
    x = _remove_dc(samples, sample_rate)
    _fade_ends(x, sample_rate)

    power = k_weighted_power(x, sample_rate)
    profile = PowerProfile.from_power(power, sample_rate)
    measured = profile.integrated()
    if not np.isfinite(measured):
        # Silence (or everything below the -70 LUFS gate): nothing to normalize; only the ceiling applies.
        peak, _ = _meet_ceiling(x, sample_rate, ceiling_db)
        return Mastered(_interleaved(x), loudness_of_channels(x, sample_rate), peak, 0.0)

    gain_db = target_lufs - measured
    # The oversampled envelope scales with the gain, so it is computed once; blocks that stay 3 dB
    # under the ceiling at this gain are skipped (recomputed if the passes below raise the gain more).
    headroom_db = 3.0
    phases = interpolator_phases(4)
    envelope = cell_peaks(peak_envelope(x, phases, threshold=10.0 ** ((ceiling_db - gain_db - headroom_db) / 20.0)))
    envelope_gain_db = gain_db
    out = np.empty_like(x)
    aim = target_lufs
    for attempt in range(MAX_PASSES):
        # Find the gain whose limited result is predicted to reach the aim, without re-filtering...
        tried: list[tuple[float, float]] = []
        for _ in range(MAX_PREDICTIONS):
            if gain_db > envelope_gain_db + headroom_db:
                envelope = cell_peaks(peak_envelope(x, phases,
                                                    threshold=10.0 ** ((ceiling_db - gain_db - headroom_db) / 20.0)))
                envelope_gain_db = gain_db
            curve = limiter_gain_from_cells(envelope, x.shape[1], sample_rate,
                                            ceiling_db - LIMITER_MARGIN_DB - gain_db)
            predicted = _predicted_loudness(power, profile, gain_db, curve)
            tried.append((gain_db, predicted))
            if abs(aim - predicted) <= LOUDNESS_TOLERANCE_LU / 10:
                break
            gain_db += (aim - predicted) / _loudness_slope(tried)
        # ...then render it and measure exactly; a miss moves the aim by the prediction's error.
        np.multiply(x, np.float32(10.0 ** (gain_db / 20.0)), out=out)
        if curve is not None:
            curve.apply(out)
        loudness = loudness_of_channels(out, sample_rate)
        if abs(target_lufs - loudness) <= LOUDNESS_TOLERANCE_LU:
            break
        aim += target_lufs - loudness
    peak, changed = _meet_ceiling(out, sample_rate, ceiling_db)
    if changed:
        loudness = loudness_of_channels(out, sample_rate)
    return Mastered(_interleaved(out), float(loudness), peak, float(gain_db))


def _predicted_loudness(power: np.ndarray, profile: PowerProfile, gain_db: float, curve: GainCurve | None) -> float:
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


def _remove_dc(samples: np.ndarray, rate: int) -> np.ndarray:
    """Channel-major float32 copy with each channel's mean removed and a 20 Hz high-pass for drift."""
    x = np.asarray(samples)
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"samples must have shape (n,) or (n, channels), not {x.shape}")
    n, channels = x.shape
    out = np.empty((channels, n), dtype=np.float32)
    sos = signal.butter(2, DC_CUTOFF_HZ, btype="highpass", fs=rate, output="sos")
    for c in range(channels):
        column = x[:, c]
        mean = float(np.mean(column, dtype=np.float64)) if n else 0.0
        if not np.isfinite(mean):
            raise ValueError("master: samples contain NaN or infinity")
        state = np.zeros((sos.shape[0], 2))
        for start in range(0, n, _CHUNK):
            chunk = column[start:start + _CHUNK].astype(np.float64) - mean
            out[c, start:start + _CHUNK], state = signal.sosfilt(sos, chunk, zi=state)
    return out


def _fade_ends(x: np.ndarray, rate: int) -> None:
    """Raised-cosine fades in place at both ends, so playback starts and stops without a click."""
    length = min(int(round(FADE_SECONDS * rate)), x.shape[1] // 2)
    if length < 1:
        return
    ramp = (np.sin(0.5 * np.pi * (np.arange(length) + 0.5) / length) ** 2).astype(x.dtype)
    x[:, :length] *= ramp
    x[:, x.shape[1] - length:] *= ramp[::-1]


def _meet_ceiling(x: np.ndarray, rate: int, ceiling_db: float) -> tuple[float, bool]:
    """Guarantee the ceiling on channel-major float32 `x`, in place: limit again, then scale any excess.

    Returns the true peak in dBTP and whether `x` changed."""
    for attempt in range(2):
        peak = peak_of_channels(x)
        if peak <= ceiling_db:
            return peak, attempt > 0
        x[:] = limit(x, rate, ceiling_db - LIMITER_MARGIN_DB)
    peak = peak_of_channels(x)
    if peak > ceiling_db:
        # True peak scales linearly with gain, so this cannot miss (the tiny factor covers float32 rounding).
        x *= np.float32(10.0 ** ((ceiling_db - peak) / 20.0) * (1.0 - 1e-5))
        peak = peak_of_channels(x)
    return peak, True


def _interleaved(x: np.ndarray) -> np.ndarray:
    """Channel-major (ch, n) to the (n, ch) float32 layout of Mix and Episode."""
    out = np.empty((x.shape[1], x.shape[0]), dtype=np.float32)
    for c, row in enumerate(x):  # one strided column at a time: ~3x faster than a generic transpose
        out[:, c] = row
    return out
