"""espeak-ng and flite through their programs (skipped where the programs are not installed)."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from radioplay.errors import EngineError
from radioplay.model import VoiceSpec
from radioplay.voice.engines.programs import EspeakEngine, FliteEngine, ipa_to_espeak

needs_espeak = pytest.mark.skipif(shutil.which("espeak-ng") is None, reason="espeak-ng is not installed (apt-get install espeak-ng)")
needs_flite = pytest.mark.skipif(shutil.which("flite") is None, reason="flite is not installed (apt-get install flite)")


def test_ipa_becomes_espeak_mnemonics():
    assert ipa_to_espeak("dˈuːmoʊvɪtʃ") == "d'u:moUvItS"
    assert ipa_to_espeak("ðə θˈɪŋ") == "D@ T'IN"


def test_missing_program_is_reported(monkeypatch):
    monkeypatch.setattr(shutil, "which", lambda name: None)
    assert EspeakEngine().unavailable_reason() == "the espeak-ng program is not installed (apt-get install espeak-ng)"
    assert FliteEngine().unavailable_reason() == "the flite program is not installed (apt-get install flite)"
    assert FliteEngine().voices() == []
    with pytest.raises(EngineError, match="flite: the flite program is not installed"):
        FliteEngine().synthesize("Hi.", VoiceSpec("flite", "slt"), 1.0, 0)


@needs_espeak
def test_espeak_voices_speed_and_phonemes():
    engine = EspeakEngine()
    assert engine.unavailable_reason() is None and engine.device() == "cpu"
    for info in engine.voices():
        engine.check_voice(info.name)
    with pytest.raises(EngineError, match="espeak-ng has no voice 'no-such-voice'"):
        engine.check_voice("no-such-voice")
    with pytest.raises(EngineError, match="no voice 'en-us\\+nobody'"):
        engine.check_voice("en-us+nobody")
    normal = engine.synthesize("Hello there, how are you today?", VoiceSpec("espeak", "en-us"), 1.0, 0)
    assert normal.sample_rate == 22_050 and 1.0 < normal.duration < 3.5
    again = engine.synthesize("Hello there, how are you today?", VoiceSpec("espeak", "en-us"), 1.0, 0)
    assert np.array_equal(normal.samples, again.samples)
    fast = engine.synthesize("Hello there, how are you today?", VoiceSpec("espeak", "en-us"), 2.0, 0)
    assert fast.duration < 0.7 * normal.duration
    # the IPA block is voiced as phonemes: longer than the sentence without it, and no bracket words
    plain = engine.synthesize("Hello.", VoiceSpec("espeak", "en-us"), 1.0, 0)
    with_name = engine.synthesize("Hello [[dˈuːmoʊvɪtʃ]].", VoiceSpec("espeak", "en-us"), 1.0, 0)
    assert 0.4 < with_name.duration - plain.duration < 1.2


@needs_flite
def test_flite_voices_speed_and_dropped_ipa():
    engine = FliteEngine()
    assert {"slt", "awb", "rms", "kal"} <= {v.name for v in engine.voices()}
    assert {v.name: v.gender for v in engine.voices()}["slt"] == "female"
    with pytest.raises(EngineError, match="flite has no voice 'nobody'"):
        engine.check_voice("nobody")
    normal = engine.synthesize("Hello there, how are you today?", VoiceSpec("flite", "slt"), 1.0, 0)
    assert normal.sample_rate == 16_000 and 1.0 < normal.duration < 3.5
    fast = engine.synthesize("Hello there, how are you today?", VoiceSpec("flite", "slt"), 2.0, 0)
    assert fast.duration / normal.duration == pytest.approx(0.5, abs=0.05)
    plain = engine.synthesize("Hello there.", VoiceSpec("flite", "slt"), 1.0, 0)
    dropped = engine.synthesize("Hello [[dˈuːmoʊvɪtʃ]] there.", VoiceSpec("flite", "slt"), 1.0, 0)
    assert np.array_equal(plain.samples, dropped.samples)  # the IPA is not spelled out
