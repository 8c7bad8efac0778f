"""Beds: a room-tone bed under the whole episode, intro and outro music ducked under speech.

All of it is off by default: `mix(..., beds=None)` adds nothing. A cast file's `[production]`
table sets these fields (radioplay.config.read_production checks them against their rules).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from radioplay.mix.dsp import db_to_gain
from radioplay.values import Rule

PINK = "pink"
"""`room_tone = "pink"` generates pink noise instead of looping a file."""

# Paul Kellett's "economy" pink filter (poles/zeros fitted to 1/f within +-0.05 dB, 9 Hz - Nyquist)
_PINK_B = (0.049922035, -0.095993537, 0.050612699, -0.004408786)
_PINK_A = (1.0, -2.494956002, 2.017265875, -0.522189400)

_DUCK_BLOCK_SECONDS = 0.01


@dataclass(frozen=True)
class Beds:
    """What plays under and around the dialogue. Sound file names are relative to `sounds_dir`."""

    room_tone: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """A sound file looped under the whole episode, or "pink" for generated pink noise."""
    room_tone_db: float = field(default=-55.0, metadata={"rule": Rule((float,), -100.0, 0.0)})
    """Room-tone level, dBFS RMS (a file is scaled to it too)."""
    intro: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """Music file that opens the episode."""
    outro: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """Music file that closes the episode."""
    music_db: float = field(default=0.0, metadata={"rule": Rule((float,), -60.0, 24.0)})
    """Gain applied to the intro and outro files, dB."""
    intro_overlap: float = field(default=2.0, metadata={"rule": Rule((float,), 0.0, 60.0)})
    """Seconds before the intro's end at which the first line starts (over the ducked music)."""
    outro_overlap: float = field(default=2.0, metadata={"rule": Rule((float,), 0.0, 60.0)})
    """Seconds before the last line's end at which the outro starts."""
    duck_db: float = field(default=12.0, metadata={"rule": Rule((float,), 0.0, 60.0)})
    """How far music is turned down under speech, dB (0 turns ducking off)."""
    duck_attack: float = field(default=0.08, metadata={"rule": Rule((float,), 0.0, 10.0)})
    """Seconds for the music to go down; it starts that long before the speech (look-ahead)."""
    duck_release: float = field(default=0.6, metadata={"rule": Rule((float,), 0.0, 10.0)})
    """Seconds for the music to come back up after the speech."""
    duck_hold: float = field(default=0.4, metadata={"rule": Rule((float,), 0.0, 10.0)})
    """Seconds the music stays down after speech stops, so short gaps between lines do not pump."""
    duck_threshold_db: float = field(default=-45.0, metadata={"rule": Rule((float,), -100.0, 0.0)})
    """Speech level (dBFS RMS over 10 ms) above which music ducks."""
    seed: int = field(default=0, metadata={"rule": Rule((int,), 0, 2**32 - 1)})
    """Seed of the generated pink noise (the same seed gives the same bed)."""
    sounds_dir: str | None = None
    """Folder the bed files are found in (the cast file's); None: the script's folder. Not a cast key."""

    @property
    def enabled(self) -> bool:
        """True when there is something to play: a room tone, an intro or an outro."""
        return bool(self.room_tone or self.intro or self.outro)


def pink_noise(length: int, channels: int, rms_db: float, seed: int) -> np.ndarray:
    """Deterministic pink noise, (length, channels) float32 at `rms_db` dBFS RMS per channel.

    Channels are independent, so the bed sounds wide rather than like a centred hiss.
    """
    from scipy.signal import lfilter

    rng = np.random.default_rng(seed)
    white = rng.standard_normal((length, channels), dtype=np.float32)
    pink = lfilter(np.float32(_PINK_B), np.float32(_PINK_A), white, axis=0).astype(np.float32, copy=False)
    level = np.sqrt(np.mean(np.square(pink), axis=0, dtype=np.float64))
    level[level == 0] = 1.0
    pink *= (db_to_gain(rms_db) / level).astype(np.float32)
    return pink


def loop_to_length(sound: np.ndarray, length: int, crossfade: int,
                   out: np.ndarray | None = None) -> np.ndarray:
    """Repeat `sound` (n, channels) to `length` samples with equal-power crossfades at the seams,
    added into `out` (length, channels) when given, else into a new array."""
    if out is None:
        out = np.zeros((length, sound.shape[1]), dtype=np.float32)
    return loop_range(sound, length, crossfade, 0, out)


def loop_range(sound, length: int, crossfade: int, start: int, out: np.ndarray) -> np.ndarray:
    """Frames [start, start + len(out)) of `loop_to_length(sound, length, crossfade)`, added into `out`:
    only the frames of the repeats that overlap the range are read (`sound` may be a Spilled file),
    each faded exactly as the whole loop fades it."""
    n = sound.shape[0]
    stop = min(length, start + len(out))
    if n == 0 or stop <= start:
        return out
    crossfade = max(0, min(crossfade, n // 2))
    ramp = np.sqrt(np.linspace(0.0, 1.0, crossfade, dtype=np.float32))[:, np.newaxis]
    step = n - crossfade
    position = max(0, (start - n) // step + 1) * step if step else 0  # the first repeat that reaches `start`
    while position < stop:
        size = min(n, length - position)
        last = position + n >= length
        lo, hi = max(start, position) - position, min(stop, position + size) - position
        if hi > lo:
            piece = np.array(sound[lo:hi], dtype=np.float32)
            if crossfade and position > 0:  # fade in over the first min(crossfade, size) frames
                k = min(crossfade, size)
                if lo < k:
                    piece[:k - lo] *= ramp[lo:min(k, hi)]
            if crossfade and not last and hi > step:  # fade out over the last crossfade frames
                a = max(lo, step)
                piece[a - lo:] *= ramp[::-1][a - step:hi - step]
            out[position + lo - start:position + hi - start] += piece
        if last:
            break
        position += step
    return out


def duck_block(sample_rate: int) -> int:
    """Frames per block of the ducking's speech detection (10 ms)."""
    return max(1, int(round(_DUCK_BLOCK_SECONDS * sample_rate)))


def block_power(mono: np.ndarray, block: int) -> np.ndarray:
    """Mean square of each `block` frames of `mono` (the last block may be partial), float64."""
    length = len(mono)
    full = length // block
    power = np.mean(np.square(mono[:full * block].reshape(full, block)), axis=1, dtype=np.float64)
    if full * block < length:
        power = np.append(power, np.mean(np.square(mono[full * block:]), dtype=np.float64))
    return power


def duck_gain(speech: np.ndarray, sample_rate: int, beds: Beds) -> np.ndarray:
    """Per-sample gain (length,) float32 for music under `speech`, (length,) or (length, channels).

    Speech is detected in 10 ms blocks above `duck_threshold_db`; the detection is held for
    `duck_hold` and starts `duck_attack` early (look-ahead), then the gain moves towards its
    target in dB with one-pole smoothing: `duck_attack` going down, `duck_release` coming up.
    The block gains are interpolated linearly to the samples.
    """
    length = len(speech)
    if beds.duck_db <= 0 or length == 0:
        return np.ones(length, dtype=np.float32)
    mono = speech if speech.ndim == 1 else np.asarray(speech.mean(axis=1), dtype=np.float32)
    block = duck_block(sample_rate)
    return duck_range(duck_levels(block_power(mono, block), sample_rate, beds), block, 0, length)


def duck_levels(power: np.ndarray, sample_rate: int, beds: Beds) -> np.ndarray:
    """The ducking gain reached at the end of each 10 ms block, float32, from the speech's block `power`."""
    blocks = len(power)
    active = power > db_to_gain(beds.duck_threshold_db) ** 2
    early = int(math.ceil(beds.duck_attack / _DUCK_BLOCK_SECONDS))
    late = int(math.ceil(beds.duck_hold / _DUCK_BLOCK_SECONDS))
    # widen every run of speech: `early` blocks before it, `late` after it
    counts = np.concatenate([[0], np.cumsum(active, dtype=np.int64)])
    index = np.arange(blocks)
    widened = counts[np.minimum(index + early + 1, blocks)] - counts[np.maximum(index - late, 0)] > 0
    target = np.where(widened, -beds.duck_db, 0.0)
    down = math.exp(-_DUCK_BLOCK_SECONDS / beds.duck_attack) if beds.duck_attack > 0 else 0.0
    up = math.exp(-_DUCK_BLOCK_SECONDS / beds.duck_release) if beds.duck_release > 0 else 0.0
    level_db = np.empty(blocks)
    current = 0.0
    for i, goal in enumerate(target.tolist()):  # a recursive filter: one pass over 10 ms blocks
        coefficient = down if goal < current else up
        current = goal + (current - goal) * coefficient
        level_db[i] = current
    return np.power(10.0, level_db / 20.0).astype(np.float32)


def duck_range(gains: np.ndarray, block: int, start: int, stop: int) -> np.ndarray:
    """Per-sample ducking gain for frames [start, stop): each block's gain is reached at its end,
    ramping linearly from the previous block's."""
    first, last = start // block, -(-stop // block)
    here = gains[first:last]
    before = np.concatenate([gains[max(first - 1, 0):max(first, 1)], here[:-1]])
    ramp = np.arange(1, block + 1, dtype=np.float32) / np.float32(block)
    per_sample = before[:, np.newaxis] + (here - before)[:, np.newaxis] * ramp
    return per_sample.reshape(-1)[start - first * block:stop - first * block]
