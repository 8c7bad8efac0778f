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

Every problem is reported with the file and line (radioplay.tomlsource).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Iterable, Mapping

from radioplay.config import Production, read_production, read_timing
from radioplay.errors import EngineError, RadioplayError
from radioplay.mix.spaces import SpaceTable
from radioplay.mix.timing import Timing
from radioplay.model import Casting, Diagnostic, Script, VoiceSpec
from radioplay.tomlsource import TomlSource
from radioplay.narration import DEFAULT_NARRATOR, NARRATE_CHOICES, Narrator, default_narrator_pan
from radioplay.values import Rule, did_you_mean, unknown_key_message
from radioplay.voice.engines.base import Engine, EngineOption, EngineRegistry
from radioplay.voice.lexicon import entry_problem, merge_lexicons

TOP_LEVEL_TABLES = ("characters", "defaults", "lexicon", "timing", "production", "autocast", "spaces", "rooms",
                    "scenes", "narrator")
VOICE_KEYS = ("speed", "pitch", "gain")
CHARACTER_KEYS = ("engine", "voice", "speed", "pitch", "gain", "pan", "lexicon", "gender")
"""A character's own keys; any other key is an option of its engine (EngineOption)."""
NARRATOR_KEYS = ("engine", "voice", "speed", "pitch", "gain", "pan", "lexicon", "name", "narrate")
"""The [narrator] table's own keys; any other key is an option of its engine."""
POOL_KEYS = ("engine", "voice", "gender") + VOICE_KEYS
GENDERS = ("female", "male")
RANGES = {"speed": Rule((float,), 0.25, 4.0), "pitch": Rule((float,), -24.0, 24.0),
          "gain": Rule((float,), -60.0, 24.0), "pan": Rule((float,), -1.0, 1.0)}
"""speed: factor; pitch: semitones; gain: dB; pan: -1 (left) to 1 (right)."""
DEFAULT_PANS = (-0.3, 0.3, -0.6, 0.6, 0.0, -0.45, 0.45, -0.15, 0.15, -0.75, 0.75)
REUSE_PITCH_STEP = 2.0
"""Semitones between characters that have to share a voice once the pool runs out."""


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
    try:
        return float(RANGES[name].check(value))
    except ValueError as exc:
        raise source.error(f"{name} {exc}", *keys) from None


def _table(source: TomlSource, value: object, *keys: str) -> dict:
    if not isinstance(value, dict):
        raise source.error(f"[{'.'.join(keys)}] must be a table, not {type(value).__name__}", *keys)
    return value


def _unknown(source: TomlSource, table: Mapping, allowed: Iterable[str], where: str, *keys: str) -> None:
    allowed = tuple(allowed)
    for key in table:
        if key not in allowed:
            raise source.error(unknown_key_message(key, allowed, where), *keys, key)


def _resolve_path(source: TomlSource, value: str) -> str:
    path = Path(value).expanduser()
    if not path.is_absolute() and source.path:
        path = Path(source.path).resolve().parent / path
    return str(path)


def _looks_like_path(voice: str) -> bool:
    return "/" in voice or "\\" in voice or bool(re.search(r"\.(onnx|bin|npz|pt|pth|json|wav)$", voice, re.I))


@dataclass(frozen=True)
class _Given:
    """An engine option as a cast file wrote it, checked once its engine is known."""

    value: object
    source: TomlSource
    keys: tuple[str, ...]
    where: str


def _given_options(source: TomlSource, table: Mapping, own_keys: Iterable[str], where: str,
                   *keys: str) -> dict[str, _Given]:
    """The keys of `table` that are not `own_keys`: options for the engine, checked later."""
    own = set(own_keys)
    return {key: _Given(value, source, (*keys, key), where) for key, value in table.items() if key not in own}


def _check_option(engine: Engine, name: str, given: _Given, own_keys: Iterable[str] = ()) -> object:
    """The option's value checked against the engine's declaration (type, range, file);
    CastError at the key, with "did you mean", for an option the engine does not take."""
    declared: dict[str, EngineOption] = {option.name: option for option in engine.options}
    source = given.source
    option = declared.get(name)
    if option is None:
        names = list(declared)
        hint = did_you_mean(name, [*own_keys, *names])
        what = "a character key nor an option" if own_keys else "an option"
        raise source.error(f"{given.where}: unknown key {name!r}{hint}: not {what} of engine {engine.name!r} "
                           f"(its options: {', '.join(names) or 'none'})", *given.keys)
    try:
        value = option.rule.check(given.value)
    except ValueError as exc:
        raise source.error(f"{engine.name} option {name} {exc}", *given.keys) from None
    if option.path:
        value = _resolve_path(source, str(value))
        if not Path(value).exists():
            raise source.error(f"{name}: file {value} does not exist", *given.keys)
    return value


def _checked_options(engine: Engine, given: Mapping[str, _Given], own_keys: Iterable[str] = ()) -> dict[str, object]:
    return {name: _check_option(engine, name, g, own_keys) for name, g in given.items()}


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
    given: dict[str, _Given]
    source: TomlSource
    keys: tuple[str, ...]
    options: dict[str, object] = field(default_factory=dict)
    """`given`, checked against the engine (when it runs here)."""


@dataclass
class _CastFile:
    """One cast or defaults file, checked, with positions for later messages."""

    source: TomlSource
    characters: dict[str, dict]
    defaults: dict[str, float]
    engine_defaults: dict[str, dict[str, _Given]]
    lexicon: dict[str, str]
    timing: dict[str, float]
    production: Production
    pool: list[_PoolVoice] | None
    pans: tuple[float, ...] | None
    narrator: dict | None = None
    """The [narrator] table as written (checked when the cast is resolved)."""

    @classmethod
    def load(cls, source: TomlSource) -> "_CastFile":
        data = source.data
        _unknown(source, data, TOP_LEVEL_TABLES, "top level")
        characters = _table(source, data.get("characters", {}), "characters")
        for name, table in characters.items():
            _table(source, table, "characters", name)
        defaults_table = _table(source, data.get("defaults", {}), "defaults")
        defaults: dict[str, float] = {}
        engine_defaults: dict[str, dict[str, _Given]] = {}
        for key, value in defaults_table.items():
            if isinstance(value, dict):  # [defaults.piper]: options for every voice of that engine
                engine_defaults[key] = _given_options(source, value, (), f"[defaults.{key}]", "defaults", key)
            elif key in VOICE_KEYS:
                defaults[key] = _number(source, value, key, "defaults", key)
            else:
                raise source.error(unknown_key_message(key, VOICE_KEYS, "[defaults]")
                                   + " or an engine's table such as [defaults.piper]", "defaults", key)
        lexicon = _lexicon(source, data.get("lexicon", {}), "lexicon")
        timing = read_timing(source, _table(source, data.get("timing", {}), "timing"))
        production = read_production(source, _table(source, data.get("production", {}), "production"))
        pool, pans = cls._autocast(source, _table(source, data.get("autocast", {}), "autocast"))
        narrator = _table(source, data["narrator"], "narrator") if "narrator" in data else None
        return cls(source, characters, defaults, engine_defaults, lexicon, timing, production, pool, pans,
                   narrator)

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
            if not isinstance(entry.get("engine"), str) or not isinstance(entry.get("voice"), str):
                raise source.error("[[autocast.voices]] needs engine and voice strings", *keys)
            gender = entry.get("gender")
            if gender is not None and gender not in GENDERS:
                raise source.error(f"gender must be one of {', '.join(GENDERS)}, not {gender!r}", *keys, "gender")
            settings = {k: _number(source, entry[k], k, *keys, k) for k in VOICE_KEYS if k in entry}
            voice = entry["voice"]
            if _looks_like_path(voice):
                voice = _resolve_path(source, voice)
            given = _given_options(source, entry, POOL_KEYS, "[[autocast.voices]]", *keys)
            pool.append(_PoolVoice(entry["engine"], voice, gender, settings, given, source, keys))
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
                self._reasons[name] = str(exc) + did_you_mean(name, self.registry.names())
        return self._reasons[name]

    def voice_problem(self, engine: str, voice: str, options: Mapping[str, object] | None = None) -> str | None:
        problem = self.engine_problem(engine)
        if problem:
            return problem
        try:
            self.registry.get(engine).check_voice(voice, options or {})
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


@dataclass
class CastConfig:
    """Everything a cast file decides, checked: the voices, the mixer's timing and the production."""

    casting: Casting
    timing: Timing = field(default_factory=Timing)
    production: Production = field(default_factory=Production)
    auto_cast: tuple[str, ...] = ()
    """The characters whose voice came from the pool: the cast file named no voice for them."""
    spaces: SpaceTable | None = None
    """The spaces table (radioplay.mix.spaces) with the cast's [spaces], [rooms] and [scenes]; None: the built-in one."""
    narrator: Narrator | None = None
    """Who reads the stage directions; None: nobody (narration is off)."""


# --------------------------------------------------------------------------- load_cast


def load_cast(path: Path | None, script: Script, registry: EngineRegistry,
              defaults_path: Path | None = None) -> Casting:
    """Resolve every speaker of `script` to a VoiceSpec (see load_config)."""
    return load_config(path, script, registry, defaults_path).casting


def load_config(path: Path | None, script: Script, registry: EngineRegistry,
                defaults_path: Path | None = None, narrate: str | None = None) -> CastConfig:
    """Resolve every speaker of `script` to a VoiceSpec: the cast file's characters, the rest
    auto-cast from the pool; and read the cast's [timing] and [production]. Raises CastError
    (with file and line) for anything unusable: nothing is left to fail after the voicing.

    The narrator (radioplay.narration) is resolved when `narrate` is "directions", or when it is
    None and the cast has a [narrator] table (whose `narrate` key then decides); a [narrator]
    table is always checked. Its voice never changes anyone else's."""
    base = _CastFile.load(TomlSource.read(Path(defaults_path) if defaults_path else default_cast_path()))
    user = _CastFile.load(TomlSource.read(Path(path))) if path is not None else None
    files = [base] + ([user] if user else [])
    checks = _EngineCheck(registry)
    diagnostics: list[Diagnostic] = []

    defaults: dict[str, float] = {}
    engine_defaults: dict[str, dict[str, _Given]] = {}
    timing: dict[str, float] = {}
    for f in files:
        defaults.update(f.defaults)
        for engine, options in f.engine_defaults.items():
            engine_defaults.setdefault(engine, {}).update(options)
        timing.update(f.timing)
    for engine, given in engine_defaults.items():  # every [defaults.ENGINE] checked, used or not
        if engine not in registry.names():
            first = next(iter(given.values()), None)
            where = first.source if first else (user or base).source
            raise where.error(f"[defaults.{engine}]: unknown engine {engine!r}{did_you_mean(engine, registry.names())} "
                              f"(known: {', '.join(registry.names())})", "defaults", engine)
        if checks.engine_problem(engine) is None:
            _checked_options(registry.get(engine), given)
    lexicon = merge_lexicons(*(f.lexicon for f in files))
    pool_file = user if user and user.pool is not None else base
    pans = (user.pans if user and user.pans else None) or base.pans or DEFAULT_PANS

    # Match the cast's characters to the script's speakers.
    speakers = {character_key(name): name for name in script.speakers()}
    named: dict[str, tuple[str, dict, _CastFile]] = {}  # script name -> (cast name, table, file)
    silent: list[tuple[str, dict, _CastFile]] = []
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
                silent.append((cast_name, table, f))
                continue
            named[script_name] = (cast_name, table, f)  # a later file (the user's) wins

    ranking = rank_characters(script)
    specs: dict[str, VoiceSpec] = {}
    genders: dict[str, str | None] = {}
    used: set[tuple[str, str]] = set()

    def character_options(engine: str, table: dict, source: TomlSource | None, cast_name: str,
                          pool_voice: _PoolVoice | None = None,
                          keys: tuple[str, ...] | None = None, own_keys: tuple[str, ...] = CHARACTER_KEYS
                          ) -> dict[str, object]:
        """The engine's defaults, then the pool voice's options, then the character's own, all checked."""
        given = dict(engine_defaults.get(engine, {}))
        if pool_voice is not None:
            given.update(pool_voice.given)
        keys = keys or ("characters", cast_name)
        if source is not None:
            given.update(_given_options(source, table, own_keys, f"[{'.'.join(keys)}]", *keys))
        return _checked_options(registry.get(engine), given, own_keys)

    for cast_name, table, f in silent:  # still checked: the script may give them lines tomorrow
        engine = table.get("engine")
        if isinstance(engine, str) and checks.engine_problem(engine) is None:
            character_options(engine, table, f.source, cast_name)

    # Named characters with a voice first, so the pool skips the voices they took.
    explicit: dict[str, tuple[str, str, str | None, dict[str, object]]] = {}
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
        options = character_options(engine, table, f.source, cast_name)
        if voice is None:
            voice = _first_voice(engine, pool_file.pool or [], used, checks)
            if voice is None:
                raise f.source.error(f"engine {engine!r} lists no voices: give voice = ...", *keys, "engine")
        if not isinstance(voice, str):
            raise f.source.error(f"voice must be a string, not {voice!r}", *keys, "voice")
        if _looks_like_path(voice):
            voice = _resolve_path(f.source, voice)
        problem = checks.voice_problem(engine, voice, options)
        if problem:
            raise f.source.error(f"unknown voice {voice!r} for engine {engine!r}: {problem}", *keys, "voice")
        explicit[script_name] = (engine, voice, table.get("gender") or checks.gender(engine, voice), options)
        used.add((engine, voice))

    pool = []
    for p in pool_file.pool or []:
        if checks.engine_problem(p.engine) is None:
            p.options = _checked_options(registry.get(p.engine), p.given, POOL_KEYS)
            if checks.voice_problem(p.engine, p.voice, p.options) is None:
                pool.append(p)
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
            engine, voice, gender, options = explicit[script_name]
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
            options = character_options(engine, table, f.source if f else None, cast_name, pool_voice)
            used.add((engine, voice))
        genders[script_name] = gender

        settings: dict[str, float] = {"speed": 1.0, "pitch": 0.0, "gain": 0.0}
        settings.update(defaults)
        if pool_voice is not None:
            settings.update(pool_voice.settings)
        settings["pitch"] += reuse_pitch
        character_lexicon: dict[str, str] = {}
        pan = pans[rank % len(pans)]
        if f is not None:
            for key in VOICE_KEYS:
                if key in table:
                    settings[key] = _number(f.source, table[key], key, *keys, key)
            if "pan" in table:
                pan = _number(f.source, table["pan"], "pan", *keys, "pan")
            if "lexicon" in table:
                character_lexicon = _lexicon(f.source, table["lexicon"], *keys, "lexicon")
        specs[script_name] = VoiceSpec(engine=engine, voice=voice, speed=settings["speed"], pitch=settings["pitch"],
                                       gain=settings["gain"], pan=pan, lexicon=tuple(sorted(character_lexicon.items())),
                                       options=tuple(sorted(options.items())))

    characters = {name: specs[name] for name in script.speakers()}
    casting = Casting(characters=characters, lexicon=lexicon, diagnostics=diagnostics,
                      path=str(path) if path is not None else None)
    auto_cast = tuple(name for name in script.speakers() if name not in explicit)
    spaces = SpaceTable.load()
    if user is not None:
        spaces = spaces.extended(user.source)
    narrator = None
    table = user.narrator if user else None
    if table is not None or narrate == "directions":
        source = user.source if user else base.source
        narrator = _narrator(table or {}, source, script, specs, used, pool, checks, character_options, defaults)
        wanted = narrate or table.get("narrate", "directions")  # a [narrator] table turns it on
        if wanted != "directions":
            narrator = None
    return CastConfig(casting, Timing(**timing), user.production if user else Production(), auto_cast, spaces,
                      narrator)


def _narrator(table: dict, source: TomlSource, script: Script, specs: dict[str, VoiceSpec],
              used: set[tuple[str, str]], pool: list[_PoolVoice], checks: _EngineCheck, character_options,
              defaults: dict[str, float]) -> Narrator:
    """The [narrator] table (or nothing) checked and resolved. Without engine and voice the
    narrator gets the first voice no character has: the pool's, then any engine's that runs here."""
    keys = ("narrator",)
    narrate = table.get("narrate", "directions")
    if narrate not in NARRATE_CHOICES:
        raise source.error(f"narrate must be one of {', '.join(NARRATE_CHOICES)}, not {narrate!r}",
                           *keys, "narrate")
    name = table.get("name", DEFAULT_NARRATOR)
    if not isinstance(name, str) or not name.strip() or name != name.strip() or name.startswith("_"):
        raise source.error(f"name must be a non-empty name without leading or trailing spaces "
                           f"or a leading '_', not {name!r}", *keys, "name")
    clash = next((s for s in script.speakers() if character_key(s) == character_key(name)), None)
    if clash is not None:
        where = (*keys, "name") if "name" in table else keys
        raise source.error(f"the narrator's name {name!r} is a character of {script.path}; "
                           f"give the narrator another name (name = \"...\")", *where)
    engine, voice = table.get("engine"), table.get("voice")
    pool_voice: _PoolVoice | None = None
    auto_cast = engine is None and voice is None
    if voice is not None and engine is None:
        raise source.error("[narrator] gives a voice but no engine", *keys, "voice")
    if engine is not None:
        if not isinstance(engine, str):
            raise source.error(f"engine must be a string, not {engine!r}", *keys, "engine")
        problem = checks.engine_problem(engine)
        if problem:
            raise source.error(f"engine {engine!r}: {problem}", *keys, "engine")
        if voice is None:
            voice = _first_voice(engine, pool, used, checks)
            if voice is None:
                raise source.error(f"engine {engine!r} lists no voices: give voice = ...", *keys, "engine")
    else:
        pool_voice = _pick(pool, used, None, None)
        if pool_voice is not None:
            engine, voice = pool_voice.engine, pool_voice.voice
        else:
            engine, voice = _free_voice(checks, used)
            if engine is None:
                raise source.error("no voice is left for the narrator that no character has: "
                                   "give [narrator] engine and voice", *keys)
    if not isinstance(voice, str):
        raise source.error(f"voice must be a string, not {voice!r}", *keys, "voice")
    if _looks_like_path(voice):
        voice = _resolve_path(source, voice)
    options = character_options(engine, table, source, "", pool_voice, keys=keys, own_keys=NARRATOR_KEYS)
    problem = checks.voice_problem(engine, voice, options)
    if problem:
        raise source.error(f"unknown voice {voice!r} for engine {engine!r}: {problem}", *keys, "voice")
    settings: dict[str, float] = {"speed": 1.0, "pitch": 0.0, "gain": 0.0}
    settings.update(defaults)
    if pool_voice is not None:
        settings.update(pool_voice.settings)
    for key in VOICE_KEYS:
        if key in table:
            settings[key] = _number(source, table[key], key, *keys, key)
    pan = (_number(source, table["pan"], "pan", *keys, "pan") if "pan" in table
           else default_narrator_pan([spec.pan for spec in specs.values()]))
    lexicon = _lexicon(source, table["lexicon"], *keys, "lexicon") if "lexicon" in table else {}
    spec = VoiceSpec(engine=engine, voice=voice, speed=settings["speed"], pitch=settings["pitch"],
                     gain=settings["gain"], pan=pan, lexicon=tuple(sorted(lexicon.items())),
                     options=tuple(sorted(options.items())))
    return Narrator(name, spec, auto_cast=auto_cast)


def _free_voice(checks: _EngineCheck, used: set[tuple[str, str]]) -> tuple[str | None, str | None]:
    """The first voice of any engine that runs here (the test engine aside) that no one has."""
    for engine in checks.registry.names():
        if engine == "tone" or checks.engine_problem(engine) is not None:
            continue
        for v in checks.registry.get(engine).voices():
            if (engine, v.name) not in used:
                return engine, v.name
    return None, None


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
