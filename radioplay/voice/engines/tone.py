"""A deterministic, dependency-free test engine.

Each voice is a sine tone; the take's length follows the text exactly, so tests can assert the
mixer's timing to the sample (cast options: `sample_rate`; `amplitude`, the peak, default 0.5; and
`wave`, "sine" or "buzz": a band-limited sawtooth, whose harmonics reach 10 kHz, for tests of filters):

    samples = round(sample_rate * (BASE_SECONDS + SECONDS_PER_CHAR * len(text)) / speed)

Tests that must kill a render mid-synthesis make the engine as slow as a real one with
RADIOPLAY_TONE_DELAY (seconds per take) in the environment, which worker processes inherit;
it is not a cast option, so it changes neither the take keys nor the samples.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Mapping

import numpy as np

from radioplay.errors import EngineError
from radioplay.model import Audio, VoiceSpec
from radioplay.values import Rule
from radioplay.voice.engines.base import EngineOption, VoiceInfo, refuse_unknown_options

BASE_SECONDS = 0.1
SECONDS_PER_CHAR = 0.02
DEFAULT_RATE = 24_000
AMPLITUDE = 0.5
VOICE_HZ = {"low": 110.0, "mid": 220.0, "high": 440.0, "alto": 330.0}
VOICE_GENDER = {"low": "male", "mid": "male", "high": "female", "alto": "female"}
DELAY_ENV = "RADIOPLAY_TONE_DELAY"
OPTIONS = (EngineOption("sample_rate", Rule((int,), 8_000, 192_000), "Hz of the tones it returns"),
           EngineOption("amplitude", Rule((float,), 0.0, 1.0), "peak of the sine (tests of levels)"),
           EngineOption("wave", Rule((str,)), "sine (default) or buzz: a sawtooth with harmonics up to 10 kHz "
                        "(tests of filters)"))
WAVES = ("sine", "buzz")
BUZZ_TOP_HZ = 10_000.0


def tone_length(text: str, speed: float = 1.0, sample_rate: int = DEFAULT_RATE) -> int:
    """The exact number of samples the tone engine returns for `text`."""
    return int(round(sample_rate * (BASE_SECONDS + SECONDS_PER_CHAR * len(text)) / speed))


class ToneEngine:
    name = "tone"
    options = OPTIONS
    speaks = False
    """Beeps, not speech: the recognizer check leaves its takes alone."""

    def __init__(self, device: str = "auto", threads: int | None = None, delay: float | None = None):
        del device, threads  # pure numpy: nothing to place
        self.delay = float(os.environ.get(DELAY_ENV) or 0.0) if delay is None else delay
        """Seconds to sleep per take (tests only)."""

    def version(self) -> str:
        return "1"

    def unavailable_reason(self) -> str | None:
        return None

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(self.name, v, gender=VOICE_GENDER[v], sample_rate=DEFAULT_RATE,
                          description=f"{hz:g} Hz sine (test engine)") for v, hz in VOICE_HZ.items()]

    def check_voice(self, voice: str, options: Mapping[str, object] | None = None) -> None:
        if voice not in VOICE_HZ:
            raise EngineError(f"tone engine has no voice {voice!r} (voices: {', '.join(VOICE_HZ)})")
        wave = (options or {}).get("wave", "sine")
        if wave not in WAVES:
            raise EngineError(f"tone engine has no wave {wave!r} (waves: {', '.join(WAVES)})")

    def model_files(self, voice: str) -> list[Path]:
        return []

    def device(self) -> str:
        return "cpu"

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        refuse_unknown_options(self, spec)
        self.check_voice(spec.voice, dict(spec.options))
        time.sleep(self.delay)
        rate = int(spec.option("sample_rate", DEFAULT_RATE))
        n = tone_length(text, speed, rate)
        hz = VOICE_HZ[spec.voice]  # pitch shifting is the synthesis stage's job, for every engine
        t = np.arange(n, dtype=np.float64) / rate
        amplitude = float(spec.option("amplitude", AMPLITUDE))
        if spec.option("wave", "sine") == "buzz":
            # 1/k harmonics up to BUZZ_TOP_HZ (and below Nyquist): a sawtooth without aliasing
            top = int(min(BUZZ_TOP_HZ, 0.45 * rate) // hz)
            wave = sum(np.sin(2 * np.pi * k * hz * t) / k for k in range(1, top + 1))
            peak = float(np.abs(wave).max()) if n else 0.0
            samples = (amplitude * wave / (peak or 1.0)).astype(np.float32)
        else:
            samples = (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        return Audio(samples, rate)
