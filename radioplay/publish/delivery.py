"""Lossy delivery: the encoded file, decoded as a listener's player decodes it, must meet the spec.

Encoders move loudness and true peak a little (LAME -V2 overshoots the true peak by 0.2-0.3 dB on
the seed), so the master aims `CODEC_HEADROOM_DB` under the ceiling and the encoded file is measured;
if the codec moved it out of spec anyway, the gain is corrected once and the file encoded again.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Callable

import numpy as np

from radioplay.model import Episode

LOSSY_SUFFIXES = (".mp3", ".ogg", ".opus", ".m4a", ".m4b")
CODEC_HEADROOM_DB = 0.5
"""Lossy encoders overshoot the true peak (LAME -V2 by 0.2-0.3 dB on the seed): master this much lower."""
DELIVERY_TOLERANCE_LU = 0.2


def is_lossy(path: str | Path) -> bool:
    return Path(path).suffix.lower() in LOSSY_SUFFIXES


def deliver_lossy(out: Path, episode: Episode, target_lufs: float, ceiling_db: float,
                  write: Callable[[np.ndarray], None]) -> None:
    """Measure the encoded file `out` as a listener's player decodes it; if the codec moved its
    loudness or true peak out of spec, correct the gain once and encode again with `write`. The
    episode then reports the delivered file's figures."""
    loudness, peak = measure_file(out)
    error = target_lufs - loudness
    if peak > ceiling_db or abs(error) > DELIVERY_TOLERANCE_LU:
        gain_db = min(error, ceiling_db - 0.05 - peak)
        episode.samples *= np.float32(10.0 ** (gain_db / 20.0))  # the episode's own buffer: no copy
        write(episode.samples)
        loudness, peak = measure_file(out)
    episode.loudness, episode.true_peak = loudness, peak


def measure_file(path: Path) -> tuple[float, float]:
    """(integrated loudness LUFS, true peak dBTP) of an audio file as a player decodes it.

    The file is decoded in one read: libsndfile's MP3 decoder gives slightly different samples
    when read in blocks (measured: shifted or zeroed frames at block edges). The loudness is then
    measured on a worker thread while this one takes the true peak (its filters release the GIL)."""
    from radioplay.master import integrated_loudness, true_peak_db
    from radioplay.publish.audio import read_audio

    data, rate = read_audio(path)  # libsndfile, or PyAV for AAC (.m4a, .m4b)
    with ThreadPoolExecutor(1, thread_name_prefix="radioplay-measure") as pool:
        loudness = pool.submit(integrated_loudness, data, rate)
        peak = true_peak_db(data, rate)
        return loudness.result(), peak
