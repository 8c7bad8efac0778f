"""A deterministic, dependency-free test engine.

Each voice is a sine tone; the take's length follows the text exactly, so tests can assert the
mixer's timing to the sample (cast options: `sample_rate`, and `delay` seconds per take):

    samples = round(sample_rate * (BASE_SECONDS + SECONDS_PER_CHAR * len(text)) / speed)
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np

from radioplay.errors import EngineError
from radioplay.model import Audio, VoiceSpec
from radioplay.voice.engines.base import VoiceInfo

BASE_SECONDS = 0.1
SECONDS_PER_CHAR = 0.02
DEFAULT_RATE = 24_000
AMPLITUDE = 0.5
VOICE_HZ = {"low": 110.0, "mid": 220.0, "high": 440.0, "alto": 330.0}
VOICE_GENDER = {"low": "male", "mid": "male", "high": "female", "alto": "female"}


def tone_length(text: str, speed: float = 1.0, sample_rate: int = DEFAULT_RATE) -> int:
    """The exact number of samples the tone engine returns for `text`."""
    return int(round(sample_rate * (BASE_SECONDS + SECONDS_PER_CHAR * len(text)) / speed))


class ToneEngine:
    name = "tone"

    def __init__(self, device: str = "auto", threads: int | None = None):
        del device, threads  # pure numpy: nothing to place

    def version(self) -> str:
        return "1"

    def unavailable_reason(self) -> str | None:
        return None

    def voices(self) -> list[VoiceInfo]:
        return [VoiceInfo(self.name, v, gender=VOICE_GENDER[v], sample_rate=DEFAULT_RATE,
                          description=f"{hz:g} Hz sine (test engine)") for v, hz in VOICE_HZ.items()]

    def check_voice(self, voice: str) -> None:
        if voice not in VOICE_HZ:
            raise EngineError(f"tone engine has no voice {voice!r} (voices: {', '.join(VOICE_HZ)})")

    def model_files(self, voice: str) -> list[Path]:
        return []

    def device(self) -> str:
        return "cpu"

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        self.check_voice(spec.voice)
        # `delay` makes the engine as slow as a real one, so tests can kill a render mid-synthesis.
        time.sleep(float(spec.option("delay", 0.0)))
        rate = int(spec.option("sample_rate", DEFAULT_RATE))
        n = tone_length(text, speed, rate)
        hz = VOICE_HZ[spec.voice]  # pitch shifting is the synthesis stage's job, for every engine
        t = np.arange(n, dtype=np.float64) / rate
        samples = (AMPLITUDE * np.sin(2 * np.pi * hz * t)).astype(np.float32)
        return Audio(samples, rate)
