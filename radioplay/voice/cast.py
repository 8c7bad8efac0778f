"""Cast files (TOML) and auto-casting: who sounds like what.

    [characters.Doomer]            # names match case-insensitively, "(V.O.)" and the like ignored
    engine = "piper"
    voice = "joe"
    speed = 1.0                    # factor; pitch in semitones, gain in dB, pan -1 (left) .. 1 (right)
    lexicon = { Doomovitch = "DOOM-oh-vitch" }

A character the cast does not name is auto-cast from the voice pool (`[autocast]` in the cast
file, else in the built-in `default.toml`). Auto-casting depends only on the script's text and
the cast: characters are ranked by how many words they speak (ties by name), the voice pool is
walked in its written order, every character gets a voice no one else has while voices last, and
each character's voice contrasts in gender with the one ranked just above where the pool allows,
so the two leads are clearly apart.

Every problem is reported with the file and line: tomllib gives no positions past a syntax
error, so `TomlSource` finds keys and tables in the source text itself.
"""

from __future__ import annotations

import inspect
import math
import re
import sys
import tomllib
from dataclasses import dataclass, fields
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

from radioplay.errors import CastError, EngineError, RadioplayError
from radioplay.io import read_text
from radioplay.model import Casting, Diagnostic, Script, VoiceSpec
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.lexicon import entry_problem, merge_lexicons

TOP_LEVEL_TABLES = ("characters", "defaults", "lexicon", "timing", "production", "autocast")
VOICE_KEYS = ("speed", "pitch", "gain")
CHARACTER_KEYS = ("engine", "voice", "speed", "pitch", "gain", "pan", "lexicon", "gender")
OPTION_KEYS = ("length_scale", "noise_scale", "noise_w", "sentence_silence", "speaker", "speaker_wav",
               "reference_wav", "model_path", "config_path", "voices_file", "language", "sample_rate",
               "temperature", "delay")
"""Engine settings a cast may give; the engine itself rejects the ones it does not take."""
PATH_OPTIONS = ("speaker_wav", "reference_wav", "model_path", "config_path", "voices_file")
PRODUCTION_TEXT_KEYS = ("title", "show", "episode", "artist", "album", "date", "comment", "genre")
PRODUCTION_PATH_KEYS = ("cover", "intro", "outro", "room_tone")
GENDERS = ("female", "male")
RANGES = {"speed": (0.25, 4.0), "pitch": (-24.0, 24.0), "gain": (-60.0, 24.0), "pan": (-1.0, 1.0)}
DEFAULT_PANS = (-0.3, 0.3, -0.6, 0.6, 0.0, -0.45, 0.45, -0.15, 0.15, -0.75, 0.75)
REUSE_PITCH_STEP = 2.0
"""Semitones between characters that have to share a voice once the pool runs out."""


# --------------------------------------------------------------------------- TOML with positions

_KEY_PART = r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+'
_DOTTED_KEY = rf"(?:{_KEY_PART})(?:\s*\.\s*(?:{_KEY_PART}))*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED_KEY})\s*\]\]?\s*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^(\s*)({_DOTTED_KEY})\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for m in re.finditer(_KEY_PART, dotted):
        part = m.group(0)
        if part[0] in "\"'":
            part = part[1:-1].encode().decode("unicode_escape") if part[0] == '"' else part[1:-1]
        parts.append(part)
    return tuple(parts)


class TomlSource:
    """A parsed TOML file that can say on which line a key or table was written."""

    def __init__(self, text: str, path: str | None):
        self.text, self.path = text, path
        self.data = self._parse()
        self._index = self._build_index()

    @classmethod
    def read(cls, path: Path) -> "TomlSource":
        return cls(read_text(path), str(path))

    def _parse(self) -> dict:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            where = re.search(r"\(at line (\d+), column (\d+)\)", message)
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
            line, col = (int(where.group(1)), int(where.group(2))) if where else (1, 1)
            raise CastError(f"invalid TOML: {reason}", self.path, line, col) from None

    def _build_index(self) -> dict[tuple[str, ...], tuple[int, int]]:
        index: dict[tuple[str, ...], tuple[int, int]] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.text.split("\n"), start=1):
            header = _HEADER.match(line)
            if header:
                table = _split_key(header.group(1))
                index.setdefault(table, (number, line.index("[") + 1))
                continue
            key = _KEY_LINE.match(line)
            if key:
                full = table + _split_key(key.group(2))
                index.setdefault(full, (number, len(key.group(1)) + 1))
                # keys of an inline table on the same line: `Ada = { engine = "tone", voice = "high" }`
                brace = line.find("{", key.end())
                if brace >= 0:
                    for inner in re.finditer(rf"[{{,]\s*({_DOTTED_KEY})\s*=", line[brace:]):
                        index.setdefault(full + _split_key(inner.group(1)), (number, brace + inner.start(1) + 1))
        return index

    def position(self, *keys: str) -> tuple[int, int]:
        """(line, col) of the key path, or of its nearest written parent; (1, 1) when unknown."""
        for n in range(len(keys), 0, -1):
            if keys[:n] in self._index:
                return self._index[keys[:n]]
        return 1, 1

    def error(self, message: str, *keys: str) -> CastError:
        line, col = self.position(*keys)
        return CastError(message, self.path, line, col)

    def warning(self, message: str, *keys: str) -> Diagnostic:
        line, col = self.position(*keys)
        return Diagnostic("warning", line, col, message, self.path or "<cast>")


# --------------------------------------------------------------------------- names


def character_key(name: str) -> str:
    """How cast names and script names are compared: case-insensitive, without Fountain
    extensions such as (V.O.) or (CONT'D), the `@` forced-character mark or the `^` dual mark."""
    name = re.sub(r"\([^)]*\)", " ", name)
    name = name.strip().lstrip("@").rstrip("^")
    return " ".join(name.split()).casefold()


def words_spoken(script: Script) -> dict[str, int]:
    """Words each speaker says in the script (a unison line counts for everyone in it)."""
    counts = {name: 0 for name in script.speakers()}
    for cue in script.cues:
        for part in cue.parts:
            counts[part.speaker] = counts.get(part.speaker, 0) + sum(len(s.text.split()) for s in part.segments)
        if not cue.parts:
            for name in cue.speakers:
                counts[name] = counts.get(name, 0) + len(cue.text.split())
    return counts


def rank_characters(script: Script) -> list[str]:
    """Leads first: most words spoken, ties broken by name, so cue order and dict order never matter."""
    counts = words_spoken(script)
    return sorted(counts, key=lambda name: (-counts[name], name.casefold(), name))


# --------------------------------------------------------------------------- value checks


def _number(source: TomlSource, value: object, name: str, *keys: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise source.error(f"{name} must be a number, not {value!r}", *keys)
    low, high = RANGES.get(name, (-math.inf, math.inf))
    if not low <= value <= high:
        raise source.error(f"{name} = {value!r} is outside [{low:g}, {high:g}]", *keys)
    if name == "speed" and value <= 0:
        raise source.error(f"speed must be positive, not {value!r}", *keys)
    return float(value)


def _table(source: TomlSource, value: object, *keys: str) -> dict:
    if not isinstance(value, dict):
        raise source.error(f"[{'.'.join(keys)}] must be a table, not {type(value).__name__}", *keys)
    return value


def _unknown(source: TomlSource, table: Mapping, allowed: Iterable[str], where: str, *keys: str) -> None:
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise source.error(f"{where}: unknown key {key!r} (allowed: {', '.join(allowed)})", *keys, key)


def _resolve_path(source: TomlSource, value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute() and source.path:
        path = Path(source.path).resolve().parent / path
    return str(path)


def _looks_like_path(voice: str) -> bool:
    return "/" in voice or "\\" in voice or bool(re.search(r"\.(onnx|bin|npz|pt|pth|json|wav)$", voice, re.I))


def _options(source: TomlSource, table: Mapping, *keys: str) -> dict[str, object]:
    options: dict[str, object] = {}
    for key, value in table.items():
        if key not in OPTION_KEYS:
            continue
        if isinstance(value, (dict, list)):
            raise source.error(f"{key} must be a single value, not a {type(value).__name__}", *keys, key)
        if key in PATH_OPTIONS:
            if not isinstance(value, str):
                raise source.error(f"{key} must be a file path string", *keys, key)
            value = _resolve_path(source, value)
            if not Path(value).exists():
                raise source.error(f"{key}: file {value} does not exist", *keys, key)
        options[key] = value
    return options


def _lexicon(source: TomlSource, value: object, *keys: str) -> dict[str, str]:
    table = _table(source, value, *keys)
    for word, respelling in table.items():
        problem = entry_problem(word, respelling)
        if problem:
            raise source.error(problem, *keys, word)
    return dict(table)


# --------------------------------------------------------------------------- the cast file


@dataclass
class _PoolVoice:
    engine: str
    voice: str
    gender: str | None
    settings: dict[str, float]
    options: dict[str, object]
    source: TomlSource
    keys: tuple[str, ...]


@dataclass
class _CastFile:
    """One cast or defaults file, checked, with positions for later messages."""

    source: TomlSource
    characters: dict[str, dict]
    defaults: dict[str, float]
    engine_defaults: dict[str, dict[str, object]]
    lexicon: dict[str, str]
    timing: dict[str, float]
    production: dict[str, object]
    pool: list[_PoolVoice] | None
    pans: tuple[float, ...] | None

    @classmethod
    def load(cls, source: TomlSource) -> "_CastFile":
        data = source.data
        _unknown(source, data, TOP_LEVEL_TABLES, "top level")
        characters = _table(source, data.get("characters", {}), "characters")
        for name, table in characters.items():
            _table(source, table, "characters", name)
            _unknown(source, table, CHARACTER_KEYS + OPTION_KEYS, f"[characters.{name}]", "characters", name)
        defaults_table = _table(source, data.get("defaults", {}), "defaults")
        defaults: dict[str, float] = {}
        engine_defaults: dict[str, dict[str, object]] = {}
        for key, value in defaults_table.items():
            if isinstance(value, dict):  # [defaults.piper]: options for every voice of that engine
                _unknown(source, value, OPTION_KEYS, f"[defaults.{key}]", "defaults", key)
                engine_defaults[key] = _options(source, value, "defaults", key)
            elif key in VOICE_KEYS:
                defaults[key] = _number(source, value, key, "defaults", key)
            else:
                raise source.error(f"[defaults]: unknown key {key!r} (allowed: {', '.join(VOICE_KEYS)}, "
                                   "or an engine's table such as [defaults.piper])", "defaults", key)
        lexicon = _lexicon(source, data.get("lexicon", {}), "lexicon")
        timing = cls._timing(source, _table(source, data.get("timing", {}), "timing"))
        production = cls._production(source, _table(source, data.get("production", {}), "production"))
        pool, pans = cls._autocast(source, _table(source, data.get("autocast", {}), "autocast"))
        return cls(source, characters, defaults, engine_defaults, lexicon, timing, production, pool, pans)

    @staticmethod
    def _timing(source: TomlSource, table: dict) -> dict[str, float]:
        from radioplay.mix.timing import Timing

        known = [f.name for f in fields(Timing)]
        _unknown(source, table, known, "[timing]", "timing")
        out = {}
        for key, value in table.items():
            seconds = _number(source, value, key, "timing", key)
            if seconds < 0:
                raise source.error(f"[timing] {key} must be >= 0 seconds, not {value!r}", "timing", key)
            out[key] = seconds
        return out

    @staticmethod
    def _production(source: TomlSource, table: dict) -> dict[str, object]:
        from radioplay.mix.beds import Beds

        beds = [f.name for f in fields(Beds)]
        allowed = list(dict.fromkeys(PRODUCTION_TEXT_KEYS + PRODUCTION_PATH_KEYS + tuple(beds)))
        _unknown(source, table, allowed, "[production]", "production")
        out: dict[str, object] = {}
        for key, value in table.items():
            if key in PRODUCTION_PATH_KEYS and isinstance(value, str) and not (key == "room_tone" and value == "pink"):
                value = _resolve_path(source, value)
                if not Path(value).is_file():
                    raise source.error(f"[production] {key}: file {value} does not exist", "production", key)
            out[key] = value
        return out

    @staticmethod
    def _autocast(source: TomlSource, table: dict) -> tuple[list[_PoolVoice] | None, tuple[float, ...] | None]:
        _unknown(source, table, ("voices", "pans"), "[autocast]", "autocast")
        pans = None
        if "pans" in table:
            if not isinstance(table["pans"], list) or not table["pans"]:
                raise source.error("[autocast] pans must be a non-empty list of numbers", "autocast", "pans")
            pans = tuple(_number(source, p, "pan", "autocast", "pans") for p in table["pans"])
        if "voices" not in table:
            return None, pans
        entries = table["voices"]
        if not isinstance(entries, list) or not entries or not all(isinstance(e, dict) for e in entries):
            raise source.error("[autocast] voices must be a non-empty array of tables ([[autocast.voices]])",
                               "autocast", "voices")
        pool = []
        for entry in entries:
            keys = ("autocast", "voices")
            _unknown(source, entry, ("engine", "voice", "gender") + VOICE_KEYS + OPTION_KEYS,
                     "[[autocast.voices]]", *keys)
            if not isinstance(entry.get("engine"), str) or not isinstance(entry.get("voice"), str):
                raise source.error("[[autocast.voices]] needs engine and voice strings", *keys)
            gender = entry.get("gender")
            if gender is not None and gender not in GENDERS:
                raise source.error(f"gender must be one of {', '.join(GENDERS)}, not {gender!r}", *keys, "gender")
            settings = {k: _number(source, entry[k], k, *keys, k) for k in VOICE_KEYS if k in entry}
            voice = entry["voice"]
            if _looks_like_path(voice):
                voice = _resolve_path(source, voice)
            pool.append(_PoolVoice(entry["engine"], voice, gender, settings, _options(source, entry, *keys),
                                   source, keys))
        return pool, pans


def default_cast_path() -> Path:
    """The built-in defaults (voice pool, pans, lexicon) shipped inside the package."""
    return Path(str(resources.files("radioplay.voice").joinpath("default.toml")))


# --------------------------------------------------------------------------- engines


class _EngineCheck:
    """Asks each engine once whether it runs here and knows a voice."""

    def __init__(self, registry: EngineRegistry):
        self.registry = registry
        self._reasons: dict[str, str | None] = {}
        self._genders: dict[str, dict[str, str | None]] = {}

    def engine_problem(self, name: str) -> str | None:
        if name not in self._reasons:
            try:
                self._reasons[name] = self.registry.get(name).unavailable_reason()
            except RadioplayError as exc:
                self._reasons[name] = str(exc)
        return self._reasons[name]

    def voice_problem(self, engine: str, voice: str, voices_file: str | None = None) -> str | None:
        problem = self.engine_problem(engine)
        if problem:
            return problem
        instance = self.registry.get(engine)
        try:
            # A voice may live in a user's voices file (kokoro's voices-v1.0.bin); engines that
            # take one accept it as a keyword.
            if voices_file and "voices_file" in inspect.signature(instance.check_voice).parameters:
                instance.check_voice(voice, voices_file=voices_file)
            else:
                instance.check_voice(voice)
        except EngineError as exc:
            return str(exc)
        return None

    def gender(self, engine: str, voice: str) -> str | None:
        if engine not in self._genders:
            try:
                self._genders[engine] = {v.name: v.gender for v in self.registry.get(engine).voices()}
            except RadioplayError:
                self._genders[engine] = {}
        return self._genders[engine].get(voice)

    def allowed_options(self, engine: str) -> tuple[str, ...] | None:
        """The engine's own option names when it publishes them (an OPTIONS tuple on the engine
        or in its module, as piper does)."""
        instance = self.registry.get(engine)
        names = getattr(instance, "OPTIONS", None) or getattr(sys.modules.get(type(instance).__module__), "OPTIONS", None)
        return tuple(names) if names else None


# --------------------------------------------------------------------------- load_cast


def load_cast(path: Path | None, script: Script, registry: EngineRegistry,
              defaults_path: Path | None = None) -> Casting:
    """Resolve every speaker of `script` to a VoiceSpec: the cast file's characters, the rest
    auto-cast from the pool. Raises CastError (with file and line) for anything unusable."""
    base = _CastFile.load(TomlSource.read(Path(defaults_path) if defaults_path else default_cast_path()))
    user = _CastFile.load(TomlSource.read(Path(path))) if path is not None else None
    files = [base] + ([user] if user else [])
    checks = _EngineCheck(registry)
    diagnostics: list[Diagnostic] = []

    defaults: dict[str, float] = {}
    engine_defaults: dict[str, dict[str, object]] = {}
    timing: dict[str, float] = {}
    for f in files:
        defaults.update(f.defaults)
        for engine, options in f.engine_defaults.items():
            engine_defaults.setdefault(engine, {}).update(options)
        timing.update(f.timing)
    lexicon = merge_lexicons(*(f.lexicon for f in files))
    pool_file = user if user and user.pool is not None else base
    pans = (user.pans if user and user.pans else None) or base.pans or DEFAULT_PANS

    # Match the cast's characters to the script's speakers.
    speakers = {character_key(name): name for name in script.speakers()}
    named: dict[str, tuple[str, dict, _CastFile]] = {}  # script name -> (cast name, table, file)
    for f in files:
        seen: dict[str, str] = {}
        for cast_name, table in f.characters.items():
            key = character_key(cast_name)
            if key in seen:
                raise f.source.error(f"character {cast_name!r} is cast twice (also as {seen[key]!r})",
                                     "characters", cast_name)
            seen[key] = cast_name
            script_name = speakers.get(key)
            if script_name is None:
                diagnostics.append(f.source.warning(
                    f"character {cast_name!r} never speaks in {script.path}", "characters", cast_name))
                continue
            named[script_name] = (cast_name, table, f)  # a later file (the user's) wins

    ranking = rank_characters(script)
    specs: dict[str, VoiceSpec] = {}
    genders: dict[str, str | None] = {}
    used: set[tuple[str, str]] = set()

    # Named characters with a voice first, so the pool skips the voices they took.
    explicit: dict[str, tuple[str, str, str | None]] = {}
    for script_name, (cast_name, table, f) in named.items():
        keys = ("characters", cast_name)
        engine = table.get("engine")
        voice = table.get("voice")
        if voice is not None and engine is None:
            raise f.source.error(f"[characters.{cast_name}] gives a voice but no engine", *keys, "voice")
        if engine is None:
            continue
        if not isinstance(engine, str):
            raise f.source.error(f"engine must be a string, not {engine!r}", *keys, "engine")
        problem = checks.engine_problem(engine)
        if problem:
            raise f.source.error(f"engine {engine!r}: {problem}", *keys, "engine")
        if voice is None:
            voice = _first_voice(engine, pool_file.pool or [], used, checks)
            if voice is None:
                raise f.source.error(f"engine {engine!r} lists no voices: give voice = ...", *keys, "engine")
        if not isinstance(voice, str):
            raise f.source.error(f"voice must be a string, not {voice!r}", *keys, "voice")
        if _looks_like_path(voice):
            voice = _resolve_path(f.source, voice)
        voices_file = table.get("voices_file", engine_defaults.get(engine, {}).get("voices_file"))
        if isinstance(voices_file, str) and f is not None and "voices_file" in table:
            voices_file = _resolve_path(f.source, voices_file)
        problem = checks.voice_problem(engine, voice, voices_file if isinstance(voices_file, str) else None)
        if problem:
            raise f.source.error(f"unknown voice {voice!r} for engine {engine!r}: {problem}", *keys, "voice")
        explicit[script_name] = (engine, voice, table.get("gender") or checks.gender(engine, voice))
        used.add((engine, voice))

    pool = [p for p in (pool_file.pool or [])
            if checks.voice_problem(p.engine, p.voice, p.options.get("voices_file")) is None]
    reuse_count = 0
    for rank, script_name in enumerate(ranking):
        cast_name, table, f = named.get(script_name, (script_name, {}, None))
        keys = ("characters", cast_name)
        wanted_gender = table.get("gender")
        if wanted_gender is not None and wanted_gender not in GENDERS:
            raise f.source.error(f"gender must be one of {', '.join(GENDERS)}, not {wanted_gender!r}", *keys, "gender")
        pool_voice: _PoolVoice | None = None
        reuse_pitch = 0.0
        if script_name in explicit:
            engine, voice, gender = explicit[script_name]
        else:
            previous = genders.get(ranking[rank - 1]) if rank else None
            pool_voice = _pick(pool, used, wanted_gender, previous)
            if pool_voice is None:
                if not pool:
                    where = f.source if f else pool_file.source
                    raise where.error(f"no voice available to auto-cast {script_name!r}: none of the voice pool's "
                                      f"engines runs here; name a voice in a cast file", *keys)
                # The pool ran out: share a voice, shifted in pitch so it still sounds different.
                reuse_count += 1
                pool_voice = pool[(reuse_count - 1) % len(pool)]
                reuse_pitch = REUSE_PITCH_STEP * ((reuse_count - 1) // len(pool) + 1)
                diagnostics.append(Diagnostic("warning", 1, 1, f"more characters than voices: {script_name!r} "
                                              f"shares {pool_voice.engine}:{pool_voice.voice} "
                                              f"(pitch {reuse_pitch:+g} semitones)", pool_file.source.path or "<cast>"))
            engine, voice, gender = pool_voice.engine, pool_voice.voice, pool_voice.gender
            used.add((engine, voice))
        genders[script_name] = gender

        settings: dict[str, float] = {"speed": 1.0, "pitch": 0.0, "gain": 0.0}
        settings.update(defaults)
        options: dict[str, object] = dict(engine_defaults.get(engine, {}))
        if pool_voice is not None:
            settings.update(pool_voice.settings)
            options.update(pool_voice.options)
        settings["pitch"] += reuse_pitch
        character_lexicon: dict[str, str] = {}
        pan = pans[rank % len(pans)]
        if f is not None:
            for key in VOICE_KEYS:
                if key in table:
                    settings[key] = _number(f.source, table[key], key, *keys, key)
            if "pan" in table:
                pan = _number(f.source, table["pan"], "pan", *keys, "pan")
            options.update(_options(f.source, table, *keys))
            if "lexicon" in table:
                character_lexicon = _lexicon(f.source, table["lexicon"], *keys, "lexicon")
        allowed = checks.allowed_options(engine)
        if allowed is not None:
            for key in options:
                if key not in allowed:
                    source, where = (f.source, keys) if f is not None and key in table else (pool_file.source, ("defaults",))
                    raise source.error(f"engine {engine!r} has no option {key!r} (options: {', '.join(allowed)})",
                                       *where, key)
        specs[script_name] = VoiceSpec(engine=engine, voice=voice, speed=settings["speed"], pitch=settings["pitch"],
                                       gain=settings["gain"], pan=pan, lexicon=tuple(sorted(character_lexicon.items())),
                                       options=tuple(sorted(options.items())))

    characters = {name: specs[name] for name in script.speakers()}
    production = user.production if user else {}
    return Casting(characters=characters, lexicon=lexicon, timing=timing, diagnostics=diagnostics,
                   path=str(path) if path is not None else None, production=dict(production))


def _first_voice(engine: str, pool: list[_PoolVoice], used: set[tuple[str, str]],
                 checks: _EngineCheck) -> str | None:
    for p in pool:
        if p.engine == engine and (engine, p.voice) not in used:
            return p.voice
    voices = checks.registry.get(engine).voices()
    for v in voices:
        if (engine, v.name) not in used:
            return v.name
    return voices[0].name if voices else None


def _pick(pool: list[_PoolVoice], used: set[tuple[str, str]], wanted: str | None,
          previous: str | None) -> _PoolVoice | None:
    """The first free pool voice of the wanted gender, else of the gender opposite the character
    ranked just above, else any free one."""
    free = [p for p in pool if (p.engine, p.voice) not in used]
    if wanted:
        preferred = [p for p in free if p.gender == wanted]
    elif previous:
        preferred = [p for p in free if p.gender and p.gender != previous]
    else:
        preferred = []
    return (preferred or free or [None])[0]


# --------------------------------------------------------------------------- output


def cast_json(casting: Casting) -> dict:
    """The resolved cast as `radioplay cast SCRIPT --json` prints it."""
    return {
        "characters": {
            name: {"engine": spec.engine, "voice": spec.voice, "speed": spec.speed, "pitch": spec.pitch,
                   "gain": spec.gain, "pan": spec.pan, "lexicon": dict(spec.lexicon),
                   "options": {k: v for k, v in spec.options}}
            for name, spec in casting.characters.items()
        },
        "lexicon": dict(casting.lexicon),
    }
