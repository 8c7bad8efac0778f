"""Coqui TTS (the maintained `coqui-tts` package, imported as `TTS`): an optional extra.

    pip install radioplay[coqui]

Voices:
- a model name such as `tts_models/en/vctk/vits` or `tts_models/multilingual/multi-dataset/xtts_v2`:
  Coqui downloads it on first use (needs a network once);
- a local checkpoint: `voice = "/path/model.pth"` (config.json beside it, or option `config_path`),
  or any voice name with the options `model_path` and `config_path`.

Options: `speaker` (multi-speaker models), `speaker_wav` (reference WAV for cloning, e.g. XTTS),
`language` (multilingual models), `model_path`, `config_path`. Torch is imported only when a take
is synthesized; the engine seeds torch's generator per take inside a forked RNG state, so a take
depends on its own seed only.
"""

from __future__ import annotations

import importlib.util
import os
import re
import threading
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path
from typing import Mapping

import numpy as np

from radioplay.errors import EngineError
from radioplay.model import Audio, VoiceSpec
from radioplay.values import Rule
from radioplay.voice.engines import devices
from radioplay.voice.engines.base import EngineOption, VoiceInfo, refuse_unknown_options
from radioplay.voice.engines.levels import peak_normalize

INSTALL_HINT = "pip install radioplay[coqui]"
OPTIONS = (
    EngineOption("speaker", Rule((str,)), "speaker of a multi-speaker model (e.g. p225 for VCTK)"),
    EngineOption("speaker_wav", Rule((str,)), "a recording of the voice to clone (XTTS)", path=True),
    EngineOption("language", Rule((str,)), "language code for multilingual models (e.g. en)"),
    EngineOption("model_path", Rule((str,)), "a local checkpoint (.pth) or its folder", path=True),
    EngineOption("config_path", Rule((str,)), "the checkpoint's config.json (default: beside it)", path=True),
)
MODEL_NAME = re.compile(r"^(tts_models|voice_conversion_models)/[^/\s]+/[^/\s]+/[^/\s]+$")
LOCAL = "local"
KNOWN_MODELS = {
    "tts_models/en/vctk/vits": "VITS, 109 English speakers (option speaker, e.g. p225); downloads on first use",
    "tts_models/en/ljspeech/vits": "VITS, one US English female voice; downloads on first use",
    "tts_models/multilingual/multi-dataset/xtts_v2":
        "XTTS-v2 voice cloning (options speaker_wav, language); downloads on first use, CPML licence",
}


def _local_paths(spec_voice: str, options: dict) -> tuple[Path, Path] | None:
    """(checkpoint, config) when the voice is a local checkpoint, else None (a model name)."""
    model_path = options.get("model_path")
    if model_path is None and spec_voice != LOCAL and not MODEL_NAME.match(spec_voice):
        model_path = spec_voice
    if model_path is None:
        if spec_voice == LOCAL:
            raise EngineError("coqui: voice 'local' needs the options model_path and config_path")
        return None
    model = Path(str(model_path)).expanduser()
    if model.is_dir():
        model = model / "model.pth"
    config = Path(str(options.get("config_path") or model.with_name("config.json"))).expanduser()
    if not model.is_file():
        raise EngineError(f"coqui: checkpoint {model} does not exist (voices: a Coqui model name such as "
                          f"{next(iter(KNOWN_MODELS))}, or a local checkpoint with model_path/config_path)")
    if not config.is_file():
        raise EngineError(f"coqui: config {config} does not exist (give config_path)")
    return model, config


def _coqui_data_dir() -> Path:
    """Where coqui-tts keeps downloaded models (its get_user_data_dir("tts"), without importing it)."""
    if os.environ.get("TTS_HOME"):
        return Path(os.environ["TTS_HOME"]) / "tts"
    if os.environ.get("XDG_DATA_HOME"):
        return Path(os.environ["XDG_DATA_HOME"]) / "tts"
    import platformdirs

    return Path(platformdirs.user_data_dir("tts", appauthor=False))


class CoquiEngine:
    name = "coqui"
    options = OPTIONS
    gpu_backend = "torch"  # what --device cuda runs on (devices.py)

    def __init__(self, device: str = "auto", threads: int | None = None):
        self._requested_device = devices.check_requested(device)
        self._threads = threads
        self._resolved_device: str | None = None
        self._models: dict[tuple, tuple[object, float | None]] = {}
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ protocol

    def version(self) -> str:
        parts = []
        for package in ("coqui-tts", "torch"):
            try:
                parts.append(f"{package} {package_version(package)}")
            except PackageNotFoundError:
                parts.append(f"{package} ?")
        return "; ".join(parts) + "; radioplay-coqui 1"

    def unavailable_reason(self) -> str | None:
        # find_spec only: importing TTS pulls in torch (seconds)
        if importlib.util.find_spec("TTS") is None:
            return f"coqui-tts is not installed ({INSTALL_HINT})"
        if importlib.util.find_spec("torch") is None:
            return f"torch is not installed ({INSTALL_HINT})"
        return None

    def voices(self) -> list[VoiceInfo]:
        if self.unavailable_reason():
            return []
        # listing Coqui's catalogue needs its model manager; these are the useful ones for drama
        return [VoiceInfo(self.name, name, language="en" if "/en/" in name else "multi", description=text)
                for name, text in KNOWN_MODELS.items()]

    def check_voice(self, voice: str, options: Mapping[str, object] | None = None) -> None:
        if (voice == LOCAL and not options) or MODEL_NAME.match(voice):
            return
        _local_paths(voice, dict(options or {}))

    def model_files(self, voice: str) -> list[Path]:
        if voice == LOCAL:
            return []  # the options name the files; their paths are in the take identity
        if MODEL_NAME.match(voice):
            folder = _coqui_data_dir() / voice.replace("/", "--")
            return sorted(p for p in folder.glob("*") if p.is_file() and p.suffix in (".pth", ".json", ".pt"))
        local = _local_paths(voice, {})
        return list(local) if local else []

    def device(self) -> str:
        if self._resolved_device is None:
            self._resolved_device = devices.resolve_device(self._requested_device, "torch")
        return self._resolved_device

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        options = dict(spec.options)
        refuse_unknown_options(self, spec)
        if not speed > 0:
            raise EngineError(f"coqui: speed must be positive, not {speed}")
        reason = self.unavailable_reason()
        if reason:
            raise EngineError(f"coqui: {reason}")
        import torch

        tts, base_length_scale = self._load(spec.voice, options)
        model = tts.synthesizer.tts_model
        kwargs = {}
        if options.get("speaker") is not None:
            kwargs["speaker"] = str(options["speaker"])
        if options.get("language") is not None:
            kwargs["language"] = str(options["language"])
        if options.get("speaker_wav") is not None:
            wav = Path(str(options["speaker_wav"])).expanduser()
            if not wav.is_file():
                raise EngineError(f"coqui: speaker_wav {wav} does not exist")
            kwargs["speaker_wav"] = str(wav)

        # speed: VITS-family models scale durations; XTTS takes a speed argument
        if base_length_scale is not None:
            model.length_scale = base_length_scale / speed
        elif type(model).__name__.lower().startswith("xtts"):
            kwargs["speed"] = speed
        elif abs(speed - 1.0) > 1e-6:
            raise EngineError(f"coqui: model {type(model).__name__} has no speed control; use speed = 1")

        device_index = [torch.cuda.current_device()] if self.device() == "cuda" else []
        try:
            with torch.random.fork_rng(devices=device_index):  # seed this take without touching the caller's RNG
                torch.manual_seed(seed % 2**63)
                with torch.inference_mode():
                    wav = tts.tts(text=text, split_sentences=True, **kwargs)
        except (ValueError, KeyError) as exc:  # coqui's messages for a wrong speaker/language
            raise EngineError(f"coqui: {exc}") from exc
        samples = np.asarray(wav, dtype=np.float32).reshape(-1)
        return Audio(peak_normalize(samples), int(tts.synthesizer.output_sample_rate))

    # ------------------------------------------------------------------ loading

    def _load(self, voice: str, options: dict):
        local = _local_paths(voice, options)
        key = local or (voice,)
        with self._lock:
            if key not in self._models:
                self._models[key] = self._build(voice, local)
            return self._models[key]

    def _build(self, voice: str, local: tuple[Path, Path] | None) -> tuple[object, float | None]:
        """The loaded TTS object and, for VITS-like models, the length_scale its config set."""
        import torch
        from TTS.api import TTS

        if self._threads is not None:
            torch.set_num_threads(self._threads)
        try:
            if local:
                tts = TTS(model_path=str(local[0]), config_path=str(local[1]), progress_bar=False)
            else:
                tts = TTS(model_name=voice, progress_bar=False)
        except EOFError as exc:  # coqui asked on stdin to accept a licence
            raise EngineError(f"coqui: {voice} needs its licence accepted: set COQUI_TOS_AGREED=1 "
                              "after reading https://coqui.ai/cpml") from exc
        except (OSError, ConnectionError) as exc:
            raise EngineError(f"coqui: could not download {voice!r} (no network?) — use a local checkpoint "
                              f"with model_path/config_path ({exc})") from exc
        except Exception as exc:
            if "requests" in type(exc).__module__ or "urllib" in type(exc).__module__:
                raise EngineError(f"coqui: could not download {voice!r} (no network?) — use a local "
                                  f"checkpoint with model_path/config_path ({exc})") from exc
            if not local and isinstance(exc, (ValueError, KeyError)):
                raise EngineError(f"coqui: unknown model {voice!r} ({exc})") from exc
            raise EngineError(f"coqui: cannot load {local[0] if local else voice}: {exc}") from exc
        tts.to(self.device())
        model = tts.synthesizer.tts_model
        base_length_scale = float(model.length_scale) if hasattr(model, "length_scale") else None
        return tts, base_length_scale

