"""The level every engine hands back, so characters start equal and the mixer's gains mean dB."""

from __future__ import annotations

import numpy as np

PEAK = 0.9
"""Takes are peak-normalized to this (about -0.9 dBFS): per take, not per sentence as Piper does,
so sentences in one take keep their relative level."""


def peak_normalize(samples: np.ndarray, peak: float = PEAK) -> np.ndarray:
    """float32 samples scaled so the largest magnitude is `peak`; silence stays silence."""
    samples = np.asarray(samples, dtype=np.float32).reshape(-1)
    top = float(np.max(np.abs(samples))) if samples.size else 0.0
    if not np.isfinite(top):
        raise ValueError("engine returned non-finite samples")
    if top < 1e-8:
        return np.zeros_like(samples)
    return np.clip(samples * (peak / top), -1.0, 1.0).astype(np.float32)
