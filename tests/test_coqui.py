"""The Coqui engine on a tiny VITS the test builds itself: nothing is downloaded.

Runs in the coqui venv (ci/coqui.sh); skipped elsewhere because torch is not a default dependency.
"""

from __future__ import annotations

import importlib.util

import numpy as np
import pytest

from radioplay.errors import EngineError
from radioplay.model import VoiceSpec
from radioplay.voice.engines.coqui import CoquiEngine

pytestmark = [
    pytest.mark.coqui,
    pytest.mark.skipif(importlib.util.find_spec("TTS") is None,
                       reason="coqui-tts is not installed (pip install radioplay[coqui]; ci/coqui.sh runs this)"),
]


@pytest.fixture(scope="module")
def tiny_vits(tmp_path_factory):
    """A randomly initialized, very small VITS checkpoint and its config, saved the way Coqui saves them."""
    import torch
    from TTS.tts.configs.vits_config import VitsConfig
    from TTS.tts.models.vits import Vits, VitsArgs

    folder = tmp_path_factory.mktemp("tiny_vits")
    torch.manual_seed(0)
    args = VitsArgs(hidden_channels=16, hidden_channels_ffn_text_encoder=32, num_heads_text_encoder=2,
                    num_layers_text_encoder=1, resblock_kernel_sizes_decoder=[3],
                    resblock_dilation_sizes_decoder=[[1, 3, 5]], upsample_rates_decoder=[8, 8, 4],
                    upsample_initial_channel_decoder=32, upsample_kernel_sizes_decoder=[16, 16, 8],
                    num_layers_flow=1, num_layers_posterior_encoder=1)
    config = VitsConfig(model_args=args, use_phonemes=False, text_cleaner="basic_cleaners",
                        characters=None)
    config.audio.sample_rate = 16_000
    model = Vits.init_from_config(config)
    torch.save({"model": model.state_dict()}, folder / "model.pth")
    config.save_json(str(folder / "config.json"))
    return folder / "model.pth", folder / "config.json", config.audio.sample_rate


def test_local_checkpoint_through_cast_options(tiny_vits):
    model_path, config_path, rate = tiny_vits
    engine = CoquiEngine(device="cpu", threads=1)
    assert engine.unavailable_reason() is None
    spec = VoiceSpec("coqui", "local", options=(("config_path", str(config_path)), ("model_path", str(model_path))))
    audio = engine.synthesize("Hello there, how are you?", spec, 1.0, seed=3)
    assert audio.sample_rate == rate == 16_000
    assert audio.samples.dtype == np.float32 and audio.samples.ndim == 1
    assert len(audio.samples) > 0 and np.all(np.isfinite(audio.samples))
    assert np.max(np.abs(audio.samples)) <= 1.0

    # the take depends on its seed only, not on what was synthesized before
    again = engine.synthesize("Hello there, how are you?", spec, 1.0, seed=3)
    assert np.array_equal(audio.samples, again.samples)


def test_checkpoint_path_as_voice_and_speed(tiny_vits):
    model_path, config_path, rate = tiny_vits
    engine = CoquiEngine(device="cpu", threads=1)
    engine.check_voice(str(model_path))  # config.json sits beside it
    assert engine.model_files(str(model_path)) == [model_path, config_path]
    spec = VoiceSpec("coqui", str(model_path))
    slow = engine.synthesize("A slower sentence to say.", spec, 0.5, seed=1)
    fast = engine.synthesize("A slower sentence to say.", spec, 2.0, seed=1)
    assert slow.sample_rate == rate
    assert len(slow.samples) > len(fast.samples)


def test_missing_checkpoint_and_unknown_option(tmp_path):
    engine = CoquiEngine(device="cpu")
    with pytest.raises(EngineError, match="does not exist"):
        engine.check_voice(str(tmp_path / "nope.pth"))
    with pytest.raises(EngineError, match="unknown option"):
        engine.synthesize("hi", VoiceSpec("coqui", "local", options=(("colour", "blue"),)), 1.0, 0)


def test_download_without_network_is_a_clear_error(monkeypatch, tmp_path):
    """With no reachable network, a model name fails with advice, not a traceback."""
    monkeypatch.setenv("TTS_HOME", str(tmp_path))  # nothing cached there
    for var in ("HTTPS_PROXY", "https_proxy", "HTTP_PROXY", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")  # a closed port: every request fails fast
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    engine = CoquiEngine(device="cpu")
    with pytest.raises(EngineError, match="could not download .*model_path/config_path"):
        engine.synthesize("hi", VoiceSpec("coqui", "tts_models/en/ljspeech/vits"), 1.0, 0)
