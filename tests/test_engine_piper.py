"""Piper: the bundled joe voice, user voice files, options, and seeded (repeatable) noise."""

from __future__ import annotations

import shutil

import numpy as np
import onnxruntime
import pytest

from radioplay.errors import EngineError
from radioplay.model import VoiceSpec
from radioplay.voice.engines.piper import PiperEngine, piper_ipa, voice_paths
from radioplay.voice.engines.seeded_noise import externalize_noise, noise_feeds

SENTENCE = "Hello there, how are you today?"


@pytest.fixture(scope="module")
def engine():
    return PiperEngine(device="cpu", threads=1)


def joe(**options) -> VoiceSpec:
    return VoiceSpec("piper", "joe", options=tuple(sorted(options.items())))


# ------------------------------------------------------------------ fast


def test_bundled_voice_names_and_files(engine):
    [info] = engine.voices()
    assert (info.name, info.gender, info.sample_rate, info.language) == ("joe", "male", 22_050, "en")
    model, config = engine.model_files("joe")
    assert model.name == "en_US-joe-medium.onnx" and config.name == "en_US-joe-medium.onnx.json"
    assert engine.model_files("en_US-joe-medium") == [model, config]


def test_unknown_voice_lists_the_valid_ones(engine, tmp_path):
    with pytest.raises(EngineError, match=r"piper has no voice 'bob' \(voices: joe, en_US-joe-medium"):
        engine.check_voice("bob")
    with pytest.raises(EngineError, match="does not exist"):
        engine.check_voice(str(tmp_path / "missing.onnx"))
    lonely = tmp_path / "lonely.onnx"
    lonely.write_bytes(b"")
    with pytest.raises(EngineError, match="lonely.onnx.json is missing"):
        engine.check_voice(str(lonely))


def test_externalized_noise_is_a_pure_function_of_the_seed():
    """A tiny graph with RandomNormalLike: after the rewrite, the same seed gives the same noise."""
    from onnx import TensorProto, helper

    graph = helper.make_graph(
        [helper.make_node("RandomNormalLike", ["x"], ["noise"], dtype=TensorProto.FLOAT, scale=2.0, mean=1.0),
         helper.make_node("Add", ["x", "noise"], ["y"])],
        "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, "c", "t"])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, "c", "t"])])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 15)])
    rewritten, inputs = externalize_noise(model.SerializeToString())
    assert [(i.kind, i.a, i.b) for i in inputs] == [("normal", 1.0, 2.0)]
    session = onnxruntime.InferenceSession(rewritten, providers=["CPUExecutionProvider"])
    x = np.zeros((1, 3, 500), np.float32)

    def run(seed, bank):
        return session.run(None, {"x": x, **noise_feeds(inputs, seed, 0, bank)})[0]

    a, b, c = run(7, 4096), run(7, 4096), run(8, 4096)
    assert a.shape == (1, 3, 500)
    assert np.array_equal(a, b) and not np.array_equal(a, c)
    assert abs(a.mean() - 1.0) < 0.15 and abs(a.std() - 2.0) < 0.15
    tiled = run(7, 1024).reshape(-1)  # a bank shorter than the draw (1500) repeats instead of failing
    assert np.array_equal(tiled[:476], tiled[1024:])


def test_model_without_random_ops_is_unchanged():
    from onnx import TensorProto, helper

    graph = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2])])
    data = helper.make_model(graph).SerializeToString()
    assert externalize_noise(data) == (data, [])


def test_lexicon_ipa_is_respelled_for_piper_symbols():
    assert piper_ipa("say [[ʧˈɝʧ gˈʌʤ]] now, chug") == "say [[tʃˈɜːtʃ ɡˈʌdʒ]] now, chug"


@pytest.mark.parametrize("plain, with_block", [
    ("Why, Doomer, you are.", "Why, [[dˈuːmɚ]], you are."),
    ("As you say, Doomer.", "As you say, [[dˈuːmɚ]]."),
    ("Is it Doomer?", "Is it [[dˈuːmɚ]]?"),
    ("Say Doomer Doomer now; Doomer: go", "Say [[dˈuːmɚ]] [[dˈuːmɚ]] now; [[dˈuːmɚ]]: go"),
])
def test_a_phoneme_block_keeps_the_punctuation_and_spaces_around_it(engine, plain, with_block):
    # a block holding espeak's own reading of a word is phonemized as the word itself: Piper
    # dropped the comma after a block and glued the next word to it ("dˈuːmɚjuː")
    voice = engine._load("joe").piper_voice
    assert voice.phonemize(piper_ipa(with_block)) == voice.phonemize(plain)


def test_the_version_names_radioplays_phoneme_block_fix(engine):
    # takes voiced before punctuation after a [[block]] was kept are stored under another version
    assert engine.version().endswith("; radioplay-piper 2")


def test_unknown_option_and_bad_speed(engine):
    with pytest.raises(EngineError, match="unknown option.*volume"):
        engine.synthesize("Hi.", joe(volume=2), 1.0, 0)
    with pytest.raises(EngineError, match="speed must be positive"):
        engine.synthesize("Hi.", joe(), 0.0, 0)
    with pytest.raises(EngineError, match="only for multi-speaker"):
        engine.synthesize("Hi.", joe(speaker="p225"), 1.0, 0)


# ------------------------------------------------------------------ real synthesis


@pytest.mark.slow
def test_joe_says_a_sentence(engine):
    audio = engine.synthesize(SENTENCE, joe(), 1.0, 0)
    assert audio.sample_rate == 22_050
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert 1.0 < audio.duration < 3.5  # ~6 words at a natural rate
    assert np.max(np.abs(audio.samples)) == pytest.approx(0.9, abs=1e-6)  # takes are peak-normalized


@pytest.mark.slow
def test_same_inputs_same_samples_whatever_came_before(engine):
    first = engine.synthesize(SENTENCE, joe(), 1.0, 5)
    engine.synthesize("Something else in between.", joe(), 1.0, 5)
    again = engine.synthesize(SENTENCE, joe(), 1.0, 5)
    fresh = PiperEngine(device="cpu", threads=1).synthesize(SENTENCE, joe(), 1.0, 5)
    assert np.array_equal(first.samples, again.samples)
    assert np.array_equal(first.samples, fresh.samples)
    other_seed = engine.synthesize(SENTENCE, joe(), 1.0, 6)
    assert not np.array_equal(first.samples, other_seed.samples)


@pytest.mark.slow
def test_speed_and_length_scale(engine):
    normal = engine.synthesize(SENTENCE, joe(noise_w=0.0), 1.0, 0)
    fast = engine.synthesize(SENTENCE, joe(noise_w=0.0), 2.0, 0)
    drawn_out = engine.synthesize(SENTENCE, joe(noise_w=0.0, length_scale=1.5), 1.0, 0)
    # length_scale = base / speed scales the phoneme durations; the pauses scale less
    assert 0.45 < fast.duration / normal.duration < 0.7
    assert 1.3 < drawn_out.duration / normal.duration < 1.6


@pytest.mark.slow
def test_raw_ipa_in_double_brackets_is_spoken(engine):
    plain = engine.synthesize("Doomovitch.", joe(), 1.0, 0)
    ipa = engine.synthesize("[[dˈuːmoʊvɪtʃ]].", joe(), 1.0, 0)
    assert len(ipa.samples) > 0.3 * 22_050  # the phonemes are voiced, not skipped
    assert not np.array_equal(plain.samples, ipa.samples)


@pytest.mark.slow
def test_a_user_voice_file_by_path(engine, tmp_path):
    model, config = voice_paths("joe")
    shutil.copy(model, tmp_path / "my-voice.onnx")
    shutil.copy(config, tmp_path / "my-voice.onnx.json")
    path = str(tmp_path / "my-voice.onnx")
    engine.check_voice(path)
    assert engine.model_files(path) == [tmp_path / "my-voice.onnx", tmp_path / "my-voice.onnx.json"]
    mine = engine.synthesize("Yes.", VoiceSpec("piper", path), 1.0, 0)
    bundled = engine.synthesize("Yes.", joe(), 1.0, 0)
    assert np.array_equal(mine.samples, bundled.samples)  # same model bytes, same seed
