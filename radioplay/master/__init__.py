"""Mastering: DC removal, fades, loudness normalization (ITU-R BS.1770-4) and a true-peak limit.

    master(samples, sample_rate, target_lufs=-16.0, true_peak_db=-1.0) -> Mastered

Podcast delivery specs ask for -16 LUFS integrated for stereo (-19 for mono; the caller picks)
and at most -1 dBTP. The result is measured, not assumed: `Mastered.loudness` and
`Mastered.true_peak` are measurements of the returned samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from radioplay.master.loudness import integrated_loudness, true_peak_db
from radioplay.master.streaming import master_stream

__all__ = ["Mastered", "master", "master_stream", "integrated_loudness", "true_peak_db"]


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

    This is `master_stream` over the array, gathered: the whole-array result and the streamed one
    are the same samples (radioplay.master.streaming describes the passes).
    """
    from radioplay.master.streaming import settling_pass
    from radioplay.stream import ArraySource, gather

    x = np.asarray(samples)
    if x.ndim not in (1, 2):
        raise ValueError(f"samples must have shape (n,) or (n, channels), not {x.shape}")
    stream = master_stream(ArraySource(x), sample_rate, target_lufs, true_peak_db, measure, settle=False)
    gathered = settling_pass(stream, gather)  # its last measuring pass is the gathering one
    return Mastered(gathered, stream.loudness, stream.true_peak, stream.gain_db)
