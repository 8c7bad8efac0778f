"""Recognized word onsets of unison voices, kept by content so a re-render does not recognize again.

The unison aligner (radioplay.mix.unison) uses them to keep its DTW path between two voices near
the path through their matched word onsets: two different voices' cepstra alone can take one
short word for its neighbour. The recognizer is the check's (faster-whisper, tiny.en, word
timestamps); where it cannot run, the aligner does without.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import numpy as np

from radioplay.check.recognizer import CheckUnavailable, Recognizer, WhisperRecognizer
from radioplay.check.score import words as normalized
from radioplay.model import Audio

FOLDER = "unison-words"
"""Beside the takes in the take store (its pruning leaves other folders alone)."""
FORMAT = 1

WordOnsets = list[tuple[str, float]]
"""(word, normalized as the check scores words; onset in seconds) in the order heard."""


class CachedWordOnsets:
    """Callable (samples, rate) -> WordOnsets, or None where no recognizer can run. Each clip is
    recognized once: the result is stored under the SHA-256 of its samples, rate and recognizer."""

    def __init__(self, folder: str | os.PathLike | None, recognizer: Recognizer | None = None,
                 model: Path | None = None):
        self.folder = Path(folder) if folder is not None else None
        self.recognizer = recognizer
        self.model = model
        # the recognizer's own name changes once it has found its model folder
        self.identity = recognizer.name if recognizer is not None else f"faster-whisper:{model or 'tiny.en'}"
        self.available = True
        self.recognized = 0
        """How many clips were recognized now (0 when every one was stored already)."""

    def _recognizer(self) -> Recognizer:
        if self.recognizer is None:
            self.recognizer = WhisperRecognizer(self.model)
        return self.recognizer

    def key(self, samples: np.ndarray, rate: int) -> str:
        digest = hashlib.sha256(np.ascontiguousarray(samples, dtype="<f4").tobytes())
        digest.update(f"|{int(rate)}|{self.identity}|{FORMAT}".encode())
        return digest.hexdigest()

    def __call__(self, samples: np.ndarray, rate: int) -> WordOnsets | None:
        if not self.available:
            return None
        key = self.key(samples, rate)
        path = self.folder / key[:2] / f"{key}.json" if self.folder is not None else None
        if path is not None:
            try:
                return [(str(w), float(t)) for w, t in json.loads(path.read_text(encoding="utf-8"))["words"]]
            except (OSError, ValueError, KeyError, TypeError):
                pass
        try:
            heard = self._recognizer().transcribe(Audio(np.asarray(samples, dtype=np.float32), rate))
        except CheckUnavailable:
            self.available = False
            return None
        self.recognized += 1
        words = [(token, float(start)) for word, start, _ in heard.words for token in normalized(word)]
        if path is not None:
            _write_atomic(path, json.dumps({"format": FORMAT, "words": words}))
        return words


def _write_atomic(path: Path, text: str) -> None:
    """Best effort: a store that cannot be written only means recognizing again next time."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(text)
        os.replace(tmp, path)
    except OSError:
        pass
