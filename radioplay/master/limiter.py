"""A look-ahead true-peak limiter, vectorized over the whole episode.

The gain comes from the 4x-oversampled peak envelope (BS.1770-4 Annex 2 interpolator), as dB of
gain reduction on a coarse grid of `GRID_FRAMES` frames (gain reduction is slow next to the audio):

1. needed reduction per grid cell, r[b] = max over its frames of envelope / ceiling, in dB (>= 0);
2. release: the reduction recovers at a constant rate in dB/s, r1[b] = max_{c<=b}(r[c] - rate*(b-c)),
   i.e. a running maximum of r[c] + rate*c (no per-sample Python loop);
3. look-ahead: a maximum filter of radius L+1 cells spreads each peak's reduction both ways;
4. two box filters of radius L/2 each turn the steps into S-shaped ramps of about 2L cells.

After step 3 every cell within L+1 of cell b holds at least r1[b], so after step 4 each cell and
its neighbours stay at or above the reduction that cell needs; the per-frame gain is a linear
interpolation between neighbouring cells, hence never above what any frame needs. Gain reduction
starts the look-ahead time before a peak and is complete at the peak.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import ndimage

from radioplay.master.loudness import _BLOCK_FRAMES, _interpolated_blocks, interpolator_phases

LOOKAHEAD_SECONDS = 0.005
RELEASE_DB_PER_SECOND = 40.0
GRID_FRAMES = 16
"""Frames per cell of the gain grid (0.36 ms at 44.1 kHz)."""


@dataclass(frozen=True)
class GainCurve:
    """A per-frame gain stored sparsely: 1.0 everywhere except the listed grid cells."""

    frames: int
    cells: np.ndarray
    """Indices of the cells (of GRID_FRAMES frames) where the gain dips below 1."""
    gain: np.ndarray
    """float32 (len(cells), GRID_FRAMES): the gain of each frame of those cells."""

    def apply(self, x: np.ndarray) -> None:
        """Multiply channel-major `x` (ch, frames) by the gain, in place."""
        whole = self.frames // GRID_FRAMES
        body = x[:, : whole * GRID_FRAMES].reshape(x.shape[0], whole, GRID_FRAMES)
        inside = self.cells < whole
        body[:, self.cells[inside]] *= self.gain[inside]
        if not inside.all():  # the last, partial cell
            tail = self.frames - whole * GRID_FRAMES
            x[:, whole * GRID_FRAMES:] *= self.gain[~inside][0, :tail]

    def sparse(self) -> tuple[np.ndarray, np.ndarray]:
        """(frame indices, gains) of every frame whose gain may differ from 1."""
        frames = (self.cells[:, None] * GRID_FRAMES + np.arange(GRID_FRAMES)).reshape(-1)
        keep = frames < self.frames
        return frames[keep], self.gain.reshape(-1)[keep]

    def to_frames(self) -> np.ndarray:
        """The gain of every frame, (frames,) float32."""
        gain = np.ones(-(-self.frames // GRID_FRAMES) * GRID_FRAMES, dtype=np.float32)
        gain.reshape(-1, GRID_FRAMES)[self.cells] = self.gain
        return gain[: self.frames]


def limit(x: np.ndarray, rate: int, ceiling_db: float, *, oversample: int = 4) -> np.ndarray:
    """Return channel-major `x` (ch, n) with its oversampled peaks brought down to `ceiling_db` dBTP.

    The ceiling is met up to the interpolator's response to the gain ramp (hundredths of a dB);
    `radioplay.master.master` measures the result and corrects for that.
    """
    curve = limiter_curve(x, rate, ceiling_db, oversample=oversample)
    if curve is None:
        return x
    out = x.copy()
    curve.apply(out)
    return out


def limiter_curve(x: np.ndarray, rate: int, ceiling_db: float, *, oversample: int = 4) -> GainCurve | None:
    """The gain `limit` applies to channel-major `x` (ch, n); None when nothing is over the ceiling."""
    ceiling = 10.0 ** (ceiling_db / 20.0)
    cells = envelope_cell_peaks(x, interpolator_phases(oversample), threshold=ceiling)
    return limiter_gain_from_cells(cells, x.shape[1], rate, ceiling_db)


def envelope_cell_peaks(x: np.ndarray, phases: np.ndarray, threshold: float = 0.0) -> np.ndarray:
    """`cell_peaks(peak_envelope(x, phases, threshold))` without the per-frame envelope: each
    interpolated block goes straight to the maxima of its grid cells."""
    n = x.shape[1]
    per_block = _BLOCK_FRAMES // GRID_FRAMES
    cells = -(-n // GRID_FRAMES)
    cell_peak = np.zeros(-(-n // _BLOCK_FRAMES) * per_block)
    by_block = cell_peak.reshape(-1, per_block)
    last = n // _BLOCK_FRAMES  # the partial block, if any: frames past the end do not count
    tail = n - last * _BLOCK_FRAMES
    for ids, peaks in _interpolated_blocks(x, phases, threshold):
        if tail and ids[-1] == last:
            peaks[-1, tail:] = 0.0
        by_block[ids] = peaks.reshape(ids.size, per_block, GRID_FRAMES).max(axis=2)
    return cell_peak[:cells]


def limiter_gain(envelope: np.ndarray, rate: int, ceiling_db: float, *, lookahead: float = LOOKAHEAD_SECONDS,
                 release_db_per_second: float = RELEASE_DB_PER_SECOND) -> GainCurve | None:
    """The gain that keeps `envelope` (linear true-peak envelope, (n,)) under the ceiling;
    None when no frame is over it."""
    return limiter_gain_from_cells(cell_peaks(envelope), envelope.size, rate, ceiling_db, lookahead=lookahead,
                                   release_db_per_second=release_db_per_second)


def cell_peaks(envelope: np.ndarray) -> np.ndarray:
    """The envelope's maximum over each grid cell of GRID_FRAMES frames."""
    n = envelope.size
    cells = -(-n // GRID_FRAMES)
    whole = n // GRID_FRAMES
    cell_peak = np.zeros(cells)
    cell_peak[:whole] = envelope[: whole * GRID_FRAMES].reshape(whole, GRID_FRAMES).max(axis=1)
    if whole < cells:
        cell_peak[whole] = envelope[whole * GRID_FRAMES:].max()
    return cell_peak


def limiter_gain_from_cells(cell_peak: np.ndarray, n: int, rate: int, ceiling_db: float, *,
                            lookahead: float = LOOKAHEAD_SECONDS,
                            release_db_per_second: float = RELEASE_DB_PER_SECOND) -> GainCurve | None:
    """`limiter_gain` from the envelope's `cell_peaks` (reusable across ceilings) and the frame count."""
    ceiling = 10.0 ** (ceiling_db / 20.0)
    if not (cell_peak > ceiling).any():
        return None
    with np.errstate(divide="ignore"):
        reduction = np.maximum(20.0 * np.log10(cell_peak / ceiling), 0.0)
    smoothed = smooth_reduction(reduction, rate / GRID_FRAMES, lookahead, release_db_per_second)
    cell_gain = (10.0 ** (-smoothed / 20.0)).astype(np.float32)
    # Frames are interpolated linearly between cell centres (edges held): only cells next to a dip matter.
    padded = np.concatenate([cell_gain[:1], cell_gain, cell_gain[-1:]])
    neighbourhood = np.minimum(np.minimum(padded[:-2], padded[1:-1]), padded[2:])
    active = np.flatnonzero(neighbourhood < 1.0)
    position = (np.arange(GRID_FRAMES, dtype=np.float32) + 0.5) / GRID_FRAMES - 0.5  # -0.47 .. 0.47
    left, right = np.maximum(-position, 0), np.maximum(position, 0)
    gain = (padded[active + 1, None] * (1 - left - right) + padded[active, None] * left
            + padded[active + 2, None] * right)
    return GainCurve(n, active, gain.astype(np.float32))


def smooth_reduction(reduction: np.ndarray, rate: float, lookahead: float,
                     release_db_per_second: float) -> np.ndarray:
    """Gain reduction in dB on a grid at `rate` cells/s, smoothed so that every cell and its two
    neighbours stay at or above the reduction the cell needs (see the module doc)."""
    n = reduction.size
    step = release_db_per_second / rate
    ramp = step * np.arange(n)
    released = np.maximum.accumulate(reduction + ramp) - ramp
    np.maximum(released, reduction, out=released)
    half = max(2, int(round(lookahead * rate / 2)))  # L: the S-ramp spans about 2L cells = the look-ahead
    # Radius L + 1: one cell more than the smoothing needs, for the interpolation between cells.
    held = ndimage.maximum_filter1d(released, size=2 * (half + 1) + 1, mode="nearest")
    box = half + 1 if half % 2 == 0 else half  # odd size, radius <= L/2; twice: total radius <= L
    smoothed = ndimage.uniform_filter1d(held, size=box, mode="nearest")
    smoothed = ndimage.uniform_filter1d(smoothed, size=box, mode="nearest")
    smoothed[smoothed < 1e-9] = 0.0  # running sums leave 1e-14 dB crumbs where nothing was reduced
    return smoothed
