"""Classic voices through installed programs: `espeak-ng` and `flite` (apt-get install espeak-ng flite).

Optional and never the default: a plain `pip install` cannot provide them. Each take runs the
program once, writing a WAV into a temporary folder that soundfile reads back. Both programs are
deterministic, so `seed` is not used.

Lexicon pronunciations arrive as `[[ipa]]`: espeak-ng gets them as its own phoneme mnemonics
(`[[h@'loU]]`, translated from the IPA); flite has no phoneme input, so the block is dropped
rather than read out as letters.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
import threading
from pathlib import Path
from typing import Mapping

from radioplay.errors import EngineError
from radioplay.model import Audio, VoiceSpec
from radioplay.voice.engines.base import EngineOption, VoiceInfo, refuse_unknown_options
from radioplay.voice.engines.levels import peak_normalize

TIMEOUT_S = 120
_PHONEME_BLOCK = re.compile(r"\[\[(.*?)\]\]", re.DOTALL)

# IPA -> espeak-ng phoneme mnemonics (English), longest first.
IPA_TO_ESPEAK = (
    ("ɜːɹ", "3:"), ("aɪ", "aI"), ("eɪ", "eI"), ("oʊ", "oU"), ("əʊ", "oU"), ("aʊ", "aU"), ("ɔɪ", "OI"),
    ("ɪə", "i@"), ("eə", "e@"), ("ʊə", "U@"), ("tʃ", "tS"), ("dʒ", "dZ"), ("iː", "i:"), ("uː", "u:"),
    ("ɑː", "A:"), ("ɔː", "O:"), ("ɜː", "3:"),
    ("ˈ", "'"), ("ˌ", ","), ("ə", "@"), ("ɚ", "3"), ("ɜ", "3"), ("ɪ", "I"), ("ᵻ", "I"), ("ʊ", "U"),
    ("ɛ", "E"), ("æ", "a"), ("ɑ", "A:"), ("ɒ", "0"), ("ɔ", "O:"), ("ʌ", "V"), ("ɐ", "a#"),
    ("θ", "T"), ("ð", "D"), ("ʃ", "S"), ("ʒ", "Z"), ("ŋ", "N"), ("ɹ", "r"), ("ɾ", "t"), ("ɡ", "g"),
    ("ʔ", "?"), ("ː", ":"), ("ʧ", "tS"), ("ʤ", "dZ"),
)


def ipa_to_espeak(ipa: str) -> str:
    for old, new in IPA_TO_ESPEAK:
        ipa = ipa.replace(old, new)
    return ipa


def _run(argv: list[str], what: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT_S, check=True)
    except FileNotFoundError as exc:
        raise EngineError(f"{what}: program {argv[0]} not found") from exc
    except subprocess.TimeoutExpired as exc:
        raise EngineError(f"{what}: {argv[0]} took more than {TIMEOUT_S} s") from exc
    except subprocess.CalledProcessError as exc:
        raise EngineError(f"{what}: {argv[0]} failed: {(exc.stderr or '').strip()[:300]}") from exc


def _read_wav(path: Path, what: str) -> Audio:
    import soundfile

    try:
        samples, rate = soundfile.read(path, dtype="float32", always_2d=True)
    except (RuntimeError, soundfile.LibsndfileError) as exc:
        raise EngineError(f"{what}: the program wrote no readable WAV ({exc})") from exc
    return Audio(peak_normalize(samples.mean(axis=1)), int(rate))


class _ProgramEngine:
    """Shared plumbing: the program must be on PATH; versions come from the program itself."""

    name = ""
    program = ""
    apt_package = ""
    options: tuple[EngineOption, ...] = ()

    def __init__(self, device: str = "auto", threads: int | None = None):
        del device, threads  # single-threaded CPU programs
        self._lock = threading.Lock()
        self._version: str | None = None
        self._voice_names: set[str] | None = None

    def _program_path(self) -> str:
        path = shutil.which(self.program)
        if path is None:
            raise EngineError(f"{self.name}: {self.unavailable_reason()}")
        return path

    def unavailable_reason(self) -> str | None:
        if shutil.which(self.program) is None:
            return f"the {self.program} program is not installed (apt-get install {self.apt_package})"
        return None

    def device(self) -> str:
        return "cpu"

    def model_files(self, voice: str) -> list[Path]:
        path = Path(voice)
        return [path] if path.suffix and path.is_file() else []


class EspeakEngine(_ProgramEngine):
    name = "espeak"
    program = "espeak-ng"
    apt_package = "espeak-ng"
    WORDS_PER_MINUTE = 175  # espeak-ng's default rate, our speed 1.0
    CURATED = (("en-us", "male", "US English"), ("en-gb", "male", "British English"),
               ("en-us+f3", "female", "US English, female variant"),
               ("en-gb-x-rp", "male", "Received Pronunciation"),
               ("en-gb+f4", "female", "British English, female variant"),
               ("en-gb-scotland", "male", "Scottish English"))

    def version(self) -> str:
        if self._version is None:
            self._version = _run([self._program_path(), "--version"], self.name).stdout.strip()
        return self._version

    def voices(self) -> list[VoiceInfo]:
        if self.unavailable_reason():
            return []
        return [VoiceInfo(self.name, v, language="en", gender=g, sample_rate=22_050, description=d)
                for v, g, d in self.CURATED]

    def _known(self) -> tuple[set[str], set[str]]:
        with self._lock:
            if self._voice_names is None:
                program = self._program_path()
                base = self._table_names(_run([program, "--voices"], self.name).stdout)
                variants = self._table_names(_run([program, "--voices=variant"], self.name).stdout)
                self._voice_names = base | {"+" + v for v in variants}
        return ({n for n in self._voice_names if not n.startswith("+")},
                {n[1:] for n in self._voice_names if n.startswith("+")})

    @staticmethod
    def _table_names(listing: str) -> set[str]:
        """Language codes, voice names and file names from `espeak-ng --voices` output."""
        names = set()
        for line in listing.splitlines()[1:]:
            cols = line.split()
            if len(cols) >= 5:
                names.update({cols[1], cols[3], cols[4].rsplit("/", 1)[-1], cols[4]})
        return {n.lower() for n in names}

    def check_voice(self, voice: str, options: Mapping[str, object] | None = None) -> None:
        base, _, variant = voice.lower().partition("+")
        voices, variants = self._known()
        if base not in voices or (variant and variant not in variants):
            examples = ", ".join(v for v, _, _ in self.CURATED)
            raise EngineError(f"espeak-ng has no voice {voice!r} (try: {examples}; "
                              "all: espeak-ng --voices, variants: espeak-ng --voices=variant)")

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        del seed  # deterministic program
        refuse_unknown_options(self, spec)
        self.check_voice(spec.voice)
        wpm = int(round(self.WORDS_PER_MINUTE * speed))
        if not 80 <= wpm <= 500:
            raise EngineError(f"espeak: speed {speed:g} is outside espeak-ng's 80..500 words per minute")
        text = _PHONEME_BLOCK.sub(lambda m: f"[[{ipa_to_espeak(m.group(1).strip())}]]", text)
        with tempfile.TemporaryDirectory(prefix="radioplay-espeak-") as tmp:
            text_file, wav = Path(tmp) / "text.txt", Path(tmp) / "take.wav"
            text_file.write_text(text, encoding="utf-8")
            _run([self._program_path(), "-v", spec.voice, "-s", str(wpm), "-f", str(text_file), "-w", str(wav)],
                 self.name)
            return _read_wav(wav, self.name)


class FliteEngine(_ProgramEngine):
    name = "flite"
    program = "flite"
    apt_package = "flite"
    GENDERS = {"slt": "female", "awb": "male", "rms": "male", "kal": "male", "kal16": "male"}
    DESCRIPTIONS = {"slt": "US English female (clearest)", "awb": "Scottish English male",
                    "rms": "US English male", "kal": "US English male, diphone (8 kHz)",
                    "kal16": "US English male, diphone"}

    def version(self) -> str:
        if self._version is None:
            # flite --version prints its banner and exits 1
            result = subprocess.run([self._program_path(), "--version"], capture_output=True, text=True,
                                    timeout=TIMEOUT_S)
            found = re.search(r"version:\s*(\S+)", result.stdout + result.stderr)
            self._version = found.group(1) if found else "flite ?"
        return self._version

    def _builtin(self) -> list[str]:
        with self._lock:
            if self._voice_names is None:
                listing = _run([self._program_path(), "-lv"], self.name).stdout
                names = listing.split(":", 1)[-1].split()
                self._voice_names = {n for n in names if n != "awb_time"}  # awb_time only says the time
        return sorted(self._voice_names)

    def voices(self) -> list[VoiceInfo]:
        if self.unavailable_reason():
            return []
        return [VoiceInfo(self.name, v, language="en", gender=self.GENDERS.get(v), sample_rate=0,
                          description=self.DESCRIPTIONS.get(v, "")) for v in self._builtin()]

    def check_voice(self, voice: str, options: Mapping[str, object] | None = None) -> None:
        if voice.endswith(".flitevox"):
            if not Path(voice).is_file():
                raise EngineError(f"flite voice file {voice} does not exist")
            return
        if voice not in self._builtin():
            raise EngineError(f"flite has no voice {voice!r} (voices: {', '.join(self._builtin())}, "
                              "or a path to a .flitevox file)")

    def synthesize(self, text: str, spec: VoiceSpec, speed: float, seed: int) -> Audio:
        del seed
        refuse_unknown_options(self, spec)
        if not speed > 0:
            raise EngineError(f"flite: speed must be positive, not {speed}")
        self.check_voice(spec.voice)
        # flite has no phoneme input: drop lexicon IPA rather than spell it out
        text = re.sub(r"\s{2,}", " ", _PHONEME_BLOCK.sub(" ", text)).strip()
        with tempfile.TemporaryDirectory(prefix="radioplay-flite-") as tmp:
            text_file, wav = Path(tmp) / "text.txt", Path(tmp) / "take.wav"
            text_file.write_text(text or " ", encoding="utf-8")
            _run([self._program_path(), "-voice", spec.voice, "--setf", f"duration_stretch={1.0 / speed:.6f}",
                  "-f", str(text_file), "-o", str(wav)], self.name)
            return _read_wav(wav, self.name)
