"""Synthetic speech for checking the recognizer check without a model: the burst engine says each
word as a short tone whose pitch names the word, and the burst ears hear packed windows by finding
the bursts and their pitch. What a take says and when is known exactly, so packing several takes
into one window and giving the words back can be checked word by word."""

from __future__ import annotations

import numpy as np

from radioplay.check.recognizer import RATE, hear_many
from radioplay.model import Audio
from radioplay.voice.engines.tone import ToneEngine

LEAD = 0.05
WORD = 0.15
GAP = 0.1
FIRST_HZ = 300.0
STEP_HZ = 40.0
SEGMENT_BREAK = 0.5
"""A silence this long ends the ears' segment (as Whisper's segments break at silences)."""


class Vocabulary:
    """Words <-> pitches, in the order first seen."""

    def __init__(self, text: str = ""):
        self.words: list[str] = []
        for word in text.split():
            self.add(word)

    def add(self, word: str) -> float:
        word = word.strip(".,!?").lower()
        if word not in self.words:
            self.words.append(word)
        return FIRST_HZ + STEP_HZ * self.words.index(word)

    def nearest(self, hz: float) -> str:
        k = int(round((hz - FIRST_HZ) / STEP_HZ))
        return self.words[k] if 0 <= k < len(self.words) else "?"


def burst_times(n_words: int) -> list[tuple[float, float]]:
    """(start, end) of each word of a burst take, in seconds."""
    return [(LEAD + k * (WORD + GAP), LEAD + k * (WORD + GAP) + WORD) for k in range(n_words)]


def say(vocabulary: Vocabulary, text: str, rate: int = 24_000) -> Audio:
    words = text.split()
    times = burst_times(len(words))
    end = (times[-1][1] if times else 0.0) + LEAD
    samples = np.zeros(int(round(end * rate)), dtype=np.float32)
    for word, (start, stop) in zip(words, times):
        a, b = int(round(start * rate)), int(round(stop * rate))
        t = np.arange(b - a) / rate
        samples[a:b] = 0.5 * np.sin(2 * np.pi * vocabulary.add(word) * t)
    return Audio(samples, rate)


class BurstEngine(ToneEngine):
    """Speech as bursts (counted as speech, with sampling noise). `faults(text, seed)` says what a
    take really says (default: its text)."""

    speaks = True
    seeded = True

    def __init__(self, vocabulary: Vocabulary, faults=lambda text, seed: text, **kw):
        super().__init__(**kw)
        self.vocabulary, self.faults = vocabulary, faults
        self.calls: list[tuple[str, int]] = []

    def synthesize(self, text, spec, speed, seed):
        self.calls.append((text, seed))
        return say(self.vocabulary, self.faults(text, seed), int(spec.option("sample_rate", 24_000)))


class BurstEars:
    """Hears bursts: a run of loud samples is a word, its strongest frequency names it."""

    name = "bursts"

    def __init__(self, vocabulary: Vocabulary):
        self.vocabulary = vocabulary
        self.windows: list[float] = []
        """The length of each window heard, seconds."""
        self.transcriptions = 0

    def hear_window(self, samples: np.ndarray) -> list[list[tuple[str, float, float]]]:
        self.windows.append(len(samples) / RATE)
        loud = np.abs(samples) > 0.05
        edges = np.flatnonzero(np.diff(np.concatenate([[0], loud.astype(np.int8), [0]])))
        runs = []
        for a, b in zip(edges[::2], edges[1::2]):
            if runs and a - runs[-1][1] < 0.01 * RATE:  # the dips at a sine's zero crossings
                runs[-1][1] = b
            else:
                runs.append([a, b])
        segments: list[list[tuple[str, float, float]]] = []
        for a, b in runs:
            if b - a < 0.05 * RATE:
                continue
            spectrum = np.abs(np.fft.rfft(samples[a:b], n=RATE))  # 1 Hz bins
            word = (self.vocabulary.nearest(float(np.argmax(spectrum))), a / RATE, b / RATE)
            if segments and a / RATE - segments[-1][-1][2] < SEGMENT_BREAK:
                segments[-1].append(word)
            else:
                segments.append([word])
        return segments

    def transcribe_many(self, audios):
        self.transcriptions += len(audios)
        return hear_many(audios, self.hear_window)

    def transcribe(self, audio):
        return self.transcribe_many([audio])[0]
