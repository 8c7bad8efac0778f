"""Kokoro: the joined int8 model, espeak phonemes mapped to Kokoro's set, styles, blends, voices files."""

from __future__ import annotations

import numpy as np
import pytest

from radioplay.errors import EngineError
from radioplay.io import sha256_file
from radioplay.model import VoiceSpec
from radioplay.voice.engines import kokoro
from radioplay.voice.engines.kokoro import KokoroEngine, chunk_phonemes, espeak_to_kokoro, parse_blend

SENTENCE = "Hello there, how are you today?"
BUNDLED = ["jm_kumo", "jf_gongitsune", "jf_nezumi", "jf_tebukuro", "jf_alpha"]


@pytest.fixture(scope="module")
def engine():
    return KokoroEngine(device="cpu", threads=2)


@pytest.fixture
def voices_file(tmp_path):
    """A small voices file in the voices-v1.0.bin layout: npz of [510, 1, 256] float32 styles."""
    bundled = np.load(kokoro.bundled_voices_path())
    path = tmp_path / "voices-v1.0.bin"
    with open(path, "wb") as f:  # np.savez would append .npz to a str path
        np.savez(f, af_test=bundled["jf_nezumi"], am_test=bundled["jm_kumo"])
    return path


# ------------------------------------------------------------------ fast


def test_bundled_voices_with_genders(engine):
    infos = engine.voices()
    assert [v.name for v in infos] == BUNDLED
    assert {v.name: v.gender for v in infos}["jm_kumo"] == "male"
    assert all(v.gender == "female" for v in infos if v.name.startswith("jf_"))
    assert all(v.sample_rate == 24_000 for v in infos)


def test_blends_parse_and_normalize():
    assert parse_blend("jf_gongitsune*0.7 + jm_kumo*0.3") == [("jf_gongitsune", 0.7), ("jm_kumo", pytest.approx(0.3))]
    assert parse_blend("a*2+b*2") == [("a", 0.5), ("b", 0.5)]
    assert parse_blend("jm_kumo") == [("jm_kumo", 1.0)]
    for bad in ("a*0 + b", "a*-1", "a*x", "a + a", ""):
        with pytest.raises(EngineError):
            parse_blend(bad)


def test_unknown_voice_lists_valid_ones(engine):
    with pytest.raises(EngineError, match=r"kokoro has no voice 'zf_nobody' \(bundled: jf_alpha, jf_gongitsune"):
        engine.check_voice("zf_nobody")
    with pytest.raises(EngineError, match="'nobody'"):
        engine.check_voice("jm_kumo*0.5 + nobody*0.5")
    engine.check_voice("jf_gongitsune*0.7 + jm_kumo*0.3")


def test_voices_file_by_option_or_inline(engine, voices_file):
    engine.check_voice("af_test", {"voices_file": str(voices_file)})
    engine.check_voice(f"{voices_file}#af_test*0.5 + am_test*0.5")
    with pytest.raises(EngineError, match=r"in .*voices-v1.0.bin: af_test, am_test"):
        engine.check_voice(f"{voices_file}#jm_kumo")
    assert engine.model_files(f"{voices_file}#af_test")[-1] == voices_file
    with pytest.raises(EngineError, match="does not exist"):
        engine.check_voice("x#af_test")


def test_espeak_ipa_maps_onto_kokoro_symbols():
    assert espeak_to_kokoro("tʃˈɜːtʃ dʒˈʌdʒ") == "ʧˈɜɹʧ ʤˈʌʤ"
    assert espeak_to_kokoro("bˈɔɪ hˈaʊs nˈoʊz wˈaɪ pˈeɪpɚ") == "bˈY hˈWs nˈOz wˈI pˈApəɹ"
    assert espeak_to_kokoro("sˈɛpɚɹəbəl") == "sˈɛpəɹəbəl"


def test_phonemize_keeps_clauses_and_lexicon_ipa(engine):
    assert engine.phonemize("Why, Doomer?") == "wˈI, dˈuməɹ?"
    assert engine.phonemize("Hello [[dˈuːmoʊvɪtʃ]], friend.") == "həlˈO dˈumOvɪʧ, fɹˈɛnd."


def test_long_text_is_cut_under_the_token_limit_at_sentence_ends():
    vocab = {c: i for i, c in enumerate("abcdefghijklmnopqrstuvwxyz .,!?")}
    sentence = "abc def ghi."
    text = " ".join([sentence] * 10)  # 10 sentences of 12 tokens
    chunks = chunk_phonemes(text, vocab, limit=30)
    assert chunks == ["abc def ghi. abc def ghi."] * 5  # 25 tokens each: two whole sentences
    words = chunk_phonemes("abcdefghij klmnopqrst uvwxyz", vocab, limit=12)
    assert words == ["abcdefghij", "klmnopqrst", "uvwxyz"]
    assert chunk_phonemes("a" * 25, vocab, limit=10) == ["a" * 10, "a" * 10, "a" * 5]
    assert all(len(c) <= 510 for c in chunk_phonemes(" ".join(["ab, cd."] * 400), vocab))


def test_model_is_joined_once_verified_and_rebuilt_when_corrupt(tmp_path, monkeypatch):
    monkeypatch.setenv(kokoro.MODEL_DIR_ENV, str(tmp_path))
    path = kokoro.assemble_model()
    assert path.parent == tmp_path
    assert sha256_file(path) == kokoro._expected_sha256()
    assert path.stat().st_size == sum(p.stat().st_size for p in kokoro._model_parts())
    mtime = path.stat().st_mtime_ns
    assert kokoro.assemble_model() == path and path.stat().st_mtime_ns == mtime  # reused
    path.write_bytes(b"truncated")
    assert sha256_file(kokoro.assemble_model()) == kokoro._expected_sha256()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [path.name]  # no partial files


def test_unknown_option(engine):
    with pytest.raises(EngineError, match="unknown option.*noise_scale"):
        engine.synthesize("Hi.", VoiceSpec("kokoro", "jm_kumo", options=(("noise_scale", 1),)), 1.0, 0)


# ------------------------------------------------------------------ real synthesis


@pytest.mark.slow
def test_styles_blends_speed_and_determinism(engine):
    kumo = engine.synthesize(SENTENCE, VoiceSpec("kokoro", "jm_kumo"), 1.0, 0)
    assert kumo.sample_rate == 24_000 and kumo.samples.dtype == np.float32
    assert 1.0 < kumo.duration < 3.5
    assert np.max(np.abs(kumo.samples)) == pytest.approx(0.9, abs=1e-6)

    again = engine.synthesize(SENTENCE, VoiceSpec("kokoro", "jm_kumo"), 1.0, 99)
    assert np.array_equal(kumo.samples, again.samples)

    short = "Hello."
    kumo_short = engine.synthesize(short, VoiceSpec("kokoro", "jm_kumo"), 1.0, 0)
    gon = engine.synthesize(short, VoiceSpec("kokoro", "jf_gongitsune"), 1.0, 0)
    blend = engine.synthesize(short, VoiceSpec("kokoro", "jf_gongitsune*0.7 + jm_kumo*0.3"), 1.0, 0)
    for pure in (kumo_short, gon):
        assert len(pure.samples) != len(blend.samples) or not np.array_equal(pure.samples, blend.samples)

    fast = engine.synthesize(SENTENCE, VoiceSpec("kokoro", "jm_kumo"), 1.5, 0)
    assert fast.duration / kumo.duration == pytest.approx(1 / 1.5, abs=0.1)


@pytest.mark.slow
def test_voices_file_style_matches_the_same_bundled_style(engine, voices_file):
    from_file = engine.synthesize("Yes.", VoiceSpec("kokoro", "am_test", options=(("voices_file", str(voices_file)),)),
                                  1.0, 0)
    bundled = engine.synthesize("Yes.", VoiceSpec("kokoro", "jm_kumo"), 1.0, 0)
    assert np.array_equal(from_file.samples, bundled.samples)
