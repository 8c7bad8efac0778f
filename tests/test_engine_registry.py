"""Every engine is found through the radioplay.engines entry points and is cheap to construct."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from radioplay.errors import EngineError
from radioplay.voice.engines.base import Engine, EngineRegistry

BUILT_IN = {"tone", "piper", "kokoro", "coqui", "espeak", "flite"}


def test_entry_points_list_every_built_in_engine():
    registry = EngineRegistry.from_entry_points(device="cpu", threads=1)
    assert BUILT_IN <= set(registry.names())


@pytest.mark.parametrize("name", sorted(BUILT_IN))
def test_each_engine_follows_the_protocol(name):
    engine = EngineRegistry.from_entry_points(device="cpu", threads=1).get(name)
    assert isinstance(engine, Engine)
    assert engine.name == name
    assert engine.device() == "cpu"
    reason = engine.unavailable_reason()
    assert reason is None or isinstance(reason, str) and reason
    for info in engine.voices():  # empty when the engine cannot run here
        assert info.engine == name and info.gender in (None, "female", "male")
    if reason is not None:
        assert engine.voices() == []
        pytest.skip(f"{name} is not usable here, so it has no version to report: {reason}")
    assert isinstance(engine.version(), str) and engine.version()


def test_constructing_and_listing_loads_no_model():
    """In a fresh interpreter: get every engine, list voices, check a voice, ask for model files
    and the device. onnxruntime must not even be imported, let alone a session created."""
    code = r"""
import json, sys
from radioplay.voice.engines.base import EngineRegistry
registry = EngineRegistry.from_entry_points(device="cpu", threads=1)
for name in ("piper", "kokoro", "coqui", "espeak", "flite", "tone"):
    engine = registry.get(name)
    engine.voices(); engine.device()
    if engine.unavailable_reason() is None:  # a missing program has no version to ask for
        engine.version()
registry.get("piper").check_voice("joe"); registry.get("piper").model_files("joe")
registry.get("kokoro").check_voice("jf_gongitsune*0.7 + jm_kumo*0.3"); registry.get("kokoro").model_files("jm_kumo")
print(json.dumps(sorted(m for m in ("onnxruntime", "torch", "TTS", "piper.voice") if m in sys.modules)))
"""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert json.loads(result.stdout.strip().splitlines()[-1]) == []


@pytest.mark.slow
def test_onnx_session_is_created_on_first_synthesis_only(monkeypatch):
    import onnxruntime

    from radioplay.model import VoiceSpec
    from radioplay.voice.engines.piper import PiperEngine

    created = []
    real = onnxruntime.InferenceSession

    def counting_session(*args, **kwargs):
        created.append(args[0] if isinstance(args[0], str) else "<bytes>")
        return real(*args, **kwargs)

    monkeypatch.setattr(onnxruntime, "InferenceSession", counting_session)
    engine = PiperEngine(device="cpu", threads=1)
    engine.voices(), engine.check_voice("joe"), engine.model_files("joe"), engine.device()
    assert created == []
    engine.synthesize("One.", VoiceSpec("piper", "joe"), 1.0, 0)
    engine.synthesize("Two.", VoiceSpec("piper", "joe"), 1.0, 0)
    assert len(created) == 1  # loaded once per engine instance
    PiperEngine(device="cpu", threads=1).synthesize("Three.", VoiceSpec("piper", "joe"), 1.0, 0)
    assert len(created) == 2  # no module-level cache shared between instances


def test_a_plugin_missing_part_of_the_protocol_is_a_clear_error():
    class OldPlugin:  # written before engines declared their options
        name = "old"

        def __init__(self, device="auto", threads=None):
            pass

    registry = EngineRegistry({"old": OldPlugin})
    with pytest.raises(EngineError, match=r"engine 'old' does not follow .* no options, version"):
        registry.get("old")
