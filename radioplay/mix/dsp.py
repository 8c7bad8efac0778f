"""Small signal helpers shared by the mixer and the synthesis stage.

soxr and pedalboard are imported inside the functions that need them, so importing radioplay.mix
stays cheap for commands that never mix.
"""

from __future__ import annotations

import math

import numpy as np


def db_to_gain(db: float) -> float:
    """Linear amplitude factor for a level change in dB."""
    return 10.0 ** (db / 20.0)


def rms(samples: np.ndarray) -> float:
    """Root mean square of all samples (0.0 for an empty array)."""
    if samples.size == 0:
        return 0.0
    return float(np.sqrt(np.mean(np.square(samples, dtype=np.float64))))


def as_mono(samples: np.ndarray) -> np.ndarray:
    """A take as a contiguous float32 1-D array (an (n, 1) array is accepted)."""
    samples = np.asarray(samples, dtype=np.float32)
    if samples.ndim == 2 and samples.shape[1] == 1:
        samples = samples[:, 0]
    if samples.ndim != 1:
        raise ValueError(f"expected mono samples of shape (n,), got {samples.shape}")
    return np.ascontiguousarray(samples)


def resample(samples: np.ndarray, from_rate: int, to_rate: int) -> np.ndarray:
    """Resample with soxr's high-quality filter; (n,) or (n, channels) in, same layout out.

    The output has round(n * to_rate / from_rate) samples (exactly 2n for 22,050 -> 44,100 Hz).
    """
    samples = np.asarray(samples, dtype=np.float32)
    if from_rate == to_rate:
        return samples
    if from_rate <= 0 or to_rate <= 0:
        raise ValueError(f"sample rates must be positive, got {from_rate} -> {to_rate}")
    if len(samples) == 0:
        return samples.copy()
    import soxr

    return np.asarray(soxr.resample(samples, from_rate, to_rate, quality="HQ"), dtype=np.float32)


def _fit_length(samples: np.ndarray, length: int) -> np.ndarray:
    """Trim or zero-pad to exactly `length` samples (Rubber Band may be off by a few)."""
    if len(samples) >= length:
        return samples[:length]
    return np.concatenate([samples, np.zeros(length - len(samples), dtype=np.float32)])


def pitch_shift(samples: np.ndarray, rate: int, semitones: float) -> np.ndarray:
    """Shift the pitch of mono `samples` by `semitones`, keeping the length and the formants.

    Uses Rubber Band (through pedalboard) in its offline, high-quality mode.
    """
    samples = as_mono(samples)
    if semitones == 0 or len(samples) == 0:
        return samples.copy()
    from pedalboard import time_stretch

    shifted = time_stretch(samples[np.newaxis, :], float(rate), stretch_factor=1.0,
                           pitch_shift_in_semitones=float(semitones), high_quality=True,
                           preserve_formants=True)
    return _fit_length(np.asarray(shifted[0], dtype=np.float32), len(samples))


def stretch_to_length(samples: np.ndarray, rate: int, length: int) -> np.ndarray:
    """Time-stretch mono `samples` to exactly `length` samples, keeping the pitch (Rubber Band)."""
    samples = as_mono(samples)
    if length < 0:
        raise ValueError(f"length must be >= 0, got {length}")
    if len(samples) == length:
        return samples.copy()
    if len(samples) == 0 or length == 0:
        return np.zeros(length, dtype=np.float32)
    from pedalboard import time_stretch

    # stretch_factor is a speed: above 1 makes the audio shorter
    stretched = time_stretch(samples[np.newaxis, :], float(rate), stretch_factor=len(samples) / length,
                             high_quality=True)
    return _fit_length(np.asarray(stretched[0], dtype=np.float32), length)


def pan_gains(pan: float, channels: int) -> np.ndarray:
    """Per-channel gains for a mono source at `pan` (-1 left .. 1 right), constant power.

    theta = (pan + 1) * pi / 4; left = cos(theta), right = sin(theta). Centre gives
    cos(pi/4) = 0.7071 on both sides, so left^2 + right^2 = 1 everywhere. Mono: no panning.
    """
    if channels == 1:
        return np.ones(1, dtype=np.float64)
    if channels != 2:
        raise ValueError(f"channels must be 1 or 2, got {channels}")
    if not -1.0 <= pan <= 1.0:
        raise ValueError(f"pan must be between -1 and 1, got {pan}")
    theta = (pan + 1.0) * math.pi / 4.0
    return np.array([math.cos(theta), math.sin(theta)])


def audible_span(samples: np.ndarray, below_peak_db: float = 50.0) -> tuple[int, int]:
    """(first, end) of the samples louder than `below_peak_db` under the peak: the part of a take
    that is heard. A silent take spans all of itself."""
    magnitude = np.abs(samples)
    peak = float(magnitude.max()) if len(samples) else 0.0
    if peak == 0.0:
        return 0, len(samples)
    loud = np.flatnonzero(magnitude > peak * db_to_gain(-below_peak_db))
    return int(loud[0]), int(loud[-1]) + 1


def kept_span(samples: np.ndarray, margin: int, below_peak_db: float = 50.0) -> tuple[int, int]:
    """(first, end) of what `trim_silence` keeps."""
    first, end = audible_span(samples, below_peak_db)
    return max(0, first - margin), min(len(samples), end + margin)


def trim_silence(samples: np.ndarray, margin: int, below_peak_db: float = 50.0) -> np.ndarray:
    """`samples` without leading and trailing silence, keeping `margin` samples of it at each end."""
    first, end = kept_span(samples, margin, below_peak_db)
    return samples[first:end]


def fade_out(samples: np.ndarray, start: int, length: int) -> np.ndarray:
    """A copy with a linear fade from full level at `start` to silence `length` samples later,
    cut off there (so the result has min(len, start + length) samples)."""
    start = max(0, min(start, len(samples)))
    end = min(len(samples), start + max(0, length))
    out = np.array(samples[:end], dtype=np.float32, copy=True)
    if length > 0 and end > start:
        # the ramp reaches zero at start + length, even when the take ends earlier
        out[start:end] *= (1.0 - np.arange(end - start, dtype=np.float32) / np.float32(length))
    return out
