"""Where a line is heard from: the space of a voice (close, distant, on the phone) and the room
of its scene, as signal processing on each voice clip.

A space is a short chain: band limits, light saturation, a gain, then the room. A room is a
reverb made here, never downloaded: exponentially decaying noise whose mid band (500 Hz-1 kHz,
where ISO 3382 quotes a room's reverberation time) falls 60 dB in `rt60` and whose highs die
sooner (`damping`). The noise is seeded from the room's settings, so every render is
bit-identical. Convolution is linear, so each clip reverberated alone sums to the stem
reverberated whole; a clip grows by its tail, which rings on under whatever follows.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass
from typing import Iterable, Mapping

import numpy as np

from radioplay.mix.dsp import db_to_gain, pan_gains

SCENE_ROOM = "scene"
"""A space's `room` that means: the room of the scene the line is in."""
NO_ROOM = "none"
"""A space's `room` that means: dry, whatever the scene."""
MID_BAND_HZ = (500.0, 1000.0)
"""The octave bands whose mean reverberation time is a room's `rt60`."""
_CROSSOVER_HZ = 3000.0
"""Above this the reverb decays in `rt60 * damping`: air and soft surfaces absorb the highs."""
_DECAY_DB = 80.0
"""The impulse response is cut where its mid band has fallen this far."""
_ONSET_SECONDS = 0.004
_END_FADE_SECONDS = 0.02


@dataclass(frozen=True)
class Room:
    """A room's reverb (a `[rooms.NAME]` entry of the spaces table)."""

    name: str
    rt60: float
    """Seconds for the mid band to fall 60 dB."""
    wet: float = -14.0
    """dB: the reverb's energy against the direct sound's, for a voice on mic."""
    predelay: float = 0.01
    """Seconds from the direct sound to the first of the reverb."""
    damping: float = 0.5
    """The highs' reverberation time as a share of `rt60`."""

    def impulse_response(self, rate: int, channel: int = 0) -> np.ndarray:
        """The reverb alone (no direct sound), float32, its energy `wet` dB; each channel is its
        own noise, so a stereo room is wide. The same settings give the same samples."""
        from scipy.signal import butter, sosfilt

        delay, n = self._lengths(rate)
        digest = hashlib.sha256(repr((self.rt60, self.damping, rate, channel)).encode()).digest()
        noise = np.random.default_rng(int.from_bytes(digest[:8], "little")).standard_normal(n)
        low = sosfilt(butter(4, min(_CROSSOVER_HZ, 0.45 * rate), "lowpass", output="sos", fs=rate), noise)
        t = np.arange(n) / rate
        decay = math.log(10.0 ** 3)  # 60 dB of amplitude
        response = (low * np.exp(-decay * t / self.rt60)
                    + (noise - low) * np.exp(-decay * t / (self.rt60 * self.damping)))
        onset = min(n, max(1, int(round(_ONSET_SECONDS * rate))))
        response[:onset] *= np.linspace(0.0, 1.0, onset, endpoint=False)
        fade = min(n, max(1, int(round(_END_FADE_SECONDS * rate))))
        response[n - fade:] *= np.linspace(1.0, 0.0, fade)
        response *= math.sqrt(10.0 ** (self.wet / 10.0) / float(np.sum(response ** 2)))
        return np.concatenate([np.zeros(delay), response]).astype(np.float32)

    def _lengths(self, rate: int) -> tuple[int, int]:
        """(predelay, decay) in samples."""
        return int(round(self.predelay * rate)), max(1, int(round(self.rt60 * _DECAY_DB / 60.0 * rate)))

    def tail(self, rate: int) -> int:
        """Samples a clip grows by in this room: its impulse response's length less one."""
        return sum(self._lengths(rate)) - 1


@dataclass(frozen=True)
class Space:
    """How a voice is heard (a `[spaces.NAME]` entry of the spaces table)."""

    name: str
    gain: float = 0.0
    """dB, on the direct sound and the room alike (distance)."""
    highpass: float = 0.0
    """Hz; 0: none."""
    lowpass: float = 0.0
    """Hz; 0: none."""
    slope: int = 12
    """dB per octave of the high- and lowpass (Butterworth, slope / 6 poles)."""
    drive: float = 0.0
    """dB of soft clipping (tanh) at the clip's peak; 0: none. Quiet parts pass unchanged."""
    room: str = SCENE_ROOM
    """SCENE_ROOM, NO_ROOM or a room's name."""
    fallback_room: str = ""
    """With SCENE_ROOM: the room when the scene has none ("" : dry)."""
    wet: float = 0.0
    """dB added to the room's `wet`: more room for a distant voice."""

    @property
    def shapes(self) -> bool:
        """True when the space changes the direct sound."""
        return bool(self.gain or self.highpass or self.lowpass or self.drive)


@dataclass(frozen=True)
class Heard:
    """How one segment of a line is heard: its space, and the room it sounds in (None: dry)."""

    space: Space
    room: Room | None = None

    @property
    def neutral(self) -> bool:
        return self.room is None and not self.space.shapes


class SpaceRenderer:
    """Puts voice clips in their spaces at one rate and channel count, making each room's impulse
    responses once."""

    def __init__(self, rate: int, channels: int):
        self.rate, self.channels = rate, channels
        self._responses: dict[Room, list[np.ndarray]] = {}

    def responses(self, room: Room) -> list[np.ndarray]:
        if room not in self._responses:
            self._responses[room] = [room.impulse_response(self.rate, c) for c in range(self.channels)]
        return self._responses[room]

    def shape(self, samples: np.ndarray, space: Space) -> np.ndarray:
        """The direct sound: band limits and saturation (band-limited again after it), which keep
        the clip's K-weighted energy (a phone line is as loud as the voice), then the gain."""
        dry = np.asarray(samples, dtype=np.float64)
        out = self._band(dry, space)
        peak = float(np.abs(out).max()) if out.size else 0.0
        if space.drive and peak > 0:
            drive = db_to_gain(space.drive)
            out = self._band(peak / drive * np.tanh(out * (drive / peak)), space)  # its harmonics stay in band
        if out is not dry:
            before, after = self._energy(dry), self._energy(out)
            if after > 0:
                out = out * math.sqrt(before / after)
        return out * db_to_gain(space.gain)

    def _energy(self, samples: np.ndarray) -> float:
        from radioplay.master.loudness import k_weighted_power

        return float(k_weighted_power(samples[np.newaxis, :], self.rate).sum(dtype=np.float64))

    def _band(self, samples: np.ndarray, space: Space) -> np.ndarray:
        from scipy.signal import butter, sosfilt

        order = max(1, space.slope // 6)
        nyquist = self.rate / 2
        if space.highpass and space.highpass < nyquist:
            samples = sosfilt(butter(order, space.highpass, "highpass", output="sos", fs=self.rate), samples)
        if space.lowpass and space.lowpass < nyquist:
            samples = sosfilt(butter(order, space.lowpass, "lowpass", output="sos", fs=self.rate), samples)
        return samples

    def hear(self, samples: np.ndarray, heard: Heard, pan: float) -> np.ndarray:
        """A mono clip as heard: mono (n,) when dry (the mixer pans it), else (n + tail, channels),
        the direct sound panned at `pan` and the room around it."""
        direct = self.shape(samples, heard.space)
        if heard.room is None:
            return direct.astype(np.float32)
        from scipy.signal import oaconvolve

        responses = self.responses(heard.room)
        # each channel carries 1/channels of the reverb's energy, so wet/dry holds in stereo too
        wet = db_to_gain(heard.space.wet) / math.sqrt(self.channels)
        out = np.zeros((len(direct) + len(responses[0]) - 1, self.channels), dtype=np.float64)
        out[:len(direct)] = direct[:, np.newaxis] * pan_gains(pan, self.channels)
        for channel, response in enumerate(responses):
            out[:, channel] += oaconvolve(direct, response.astype(np.float64)) * wet
        return out.astype(np.float32)


def place_in_space(clips: Iterable, heard: Mapping[tuple[int, int, int], Heard], rate: int, channels: int) -> None:
    """Put each voice clip (the mixer's _Clip: cue, part, segment, stem, samples, pan, silent, tail)
    in the space its segment is heard in; a clip with a room grows by the room's tail, kept in
    `clip.tail` (its words end that much before its samples do)."""
    renderer = SpaceRenderer(rate, channels)
    for clip in clips:
        how = heard.get((clip.cue, clip.part, clip.segment))
        if how is None or how.neutral or clip.silent or clip.stem.startswith("_") or clip.samples.ndim != 1:
            continue
        length = len(clip.samples)
        clip.samples = renderer.hear(clip.samples, how, clip.pan)
        clip.tail = len(clip.samples) - length


# --------------------------------------------------------------------------- measuring


def octave_band(samples: np.ndarray, rate: int, centre: float) -> np.ndarray:
    """`samples` through an octave-band filter (4-pole Butterworth band-pass) at `centre` Hz."""
    from scipy.signal import butter, sosfilt

    sos = butter(4, (centre / math.sqrt(2), centre * math.sqrt(2)), "bandpass", output="sos", fs=rate)
    return sosfilt(sos, np.asarray(samples, dtype=np.float64))


def decay_time(response: np.ndarray, rate: int, fall_db: float = 30.0) -> float:
    """Reverberation time of an impulse response by Schroeder's backward integration (ISO 3382):
    the least-squares slope of the energy decay curve from -5 dB to -(5 + fall_db) dB, extrapolated
    to 60 dB (T20 with fall_db=20, T30 with 30)."""
    energy = np.cumsum(np.asarray(response, dtype=np.float64)[::-1] ** 2)[::-1]
    if energy[0] <= 0:
        raise ValueError("the response is silent")
    curve = 10.0 * np.log10(np.maximum(energy / energy[0], 1e-30))
    first = int(np.argmax(curve <= -5.0))
    last = int(np.argmax(curve <= -5.0 - fall_db))
    if last <= first:
        raise ValueError(f"the response does not fall {5 + fall_db:g} dB")
    t = np.arange(first, last) / rate
    slope = np.polyfit(t, curve[first:last], 1)[0]
    return -60.0 / slope


def mid_band_rt60(response: np.ndarray, rate: int, fall_db: float = 30.0) -> float:
    """The mean decay time of the 500 Hz and 1 kHz octave bands (what a Room's rt60 sets)."""
    return float(np.mean([decay_time(octave_band(response, rate, f), rate, fall_db) for f in MID_BAND_HZ]))


def energy_above_db(samples: np.ndarray, rate: int, hz: float) -> float:
    """dB of the energy above `hz` against the whole energy, of the channels' mean."""
    power = _power_spectrum(samples)
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    return float(10.0 * np.log10(max(power[freqs > hz].sum(), 1e-30) / max(power.sum(), 1e-30)))


def spectral_centroid(samples: np.ndarray, rate: int) -> float:
    """Hz: the magnitude-weighted mean frequency (as librosa's), of the channels' mean."""
    magnitude = np.sqrt(_power_spectrum(samples))
    freqs = np.fft.rfftfreq(len(samples), 1.0 / rate)
    return float((freqs * magnitude).sum() / max(magnitude.sum(), 1e-30))


def _power_spectrum(samples: np.ndarray) -> np.ndarray:
    samples = np.asarray(samples, dtype=np.float64)
    if samples.ndim == 2:
        samples = samples.mean(axis=1)
    return np.abs(np.fft.rfft(samples * np.hanning(len(samples)))) ** 2
