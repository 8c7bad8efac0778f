"""Cast files as a producer starts them: the one beside the script, and `cast --init`'s template.

`cast_beside(script)` finds `<script-stem>.toml`, else `cast.toml`, in the script's folder: the cast
used when none is given. `cast_template(...)` writes every character's resolved voice (auto-cast
ones too) as an editable TOML file, with a comment on each key, that loads back to the same cast.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from radioplay.model import Script, VoiceSpec
from radioplay.voice.cast import RANGES, CastConfig, words_spoken
from radioplay.voice.engines.base import EngineRegistry

KEY_NOTES = {
    "speed": "factor: 1.2 is 20% faster",
    "pitch": "semitones",
    "gain": "dB in the mix",
    "pan": "-1 left, 0 centre, 1 right",
}


def cast_beside(script_path: str | Path) -> Path | None:
    """`<stem>.toml`, else `cast.toml`, beside the script, when it is a file."""
    script_path = Path(script_path)
    for name in (f"{script_path.stem}.toml", "cast.toml"):
        candidate = script_path.parent / name
        if candidate.is_file() and candidate.resolve() != script_path.resolve():
            return candidate
    return None


def toml_value(value: object) -> str:
    """A TOML literal for a cast value: string, bool, int or finite float."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{value!r} has no TOML form in a cast file")
        return repr(value)
    return json.dumps(str(value), ensure_ascii=False)  # a JSON string is a TOML basic string


def toml_key(name: str) -> str:
    return json.dumps(name, ensure_ascii=False)


def character_toml(name: str, spec: VoiceSpec, notes: dict[str, str] | None = None) -> str:
    """`[characters.NAME]` giving every setting of `spec`, each with its note when `notes` has one."""
    notes = notes or {}
    rows = [("engine", spec.engine), ("voice", spec.voice), ("speed", spec.speed), ("pitch", spec.pitch),
            ("gain", spec.gain), ("pan", spec.pan), *spec.options]
    lines = [f"[characters.{toml_key(name)}]"]
    for key, value in rows:
        line = f"{key} = {toml_value(value)}"
        lines.append(f"{line:<32}# {notes[key]}" if key in notes else line)
    if spec.lexicon:
        entries = ", ".join(f"{toml_key(word)} = {toml_value(say)}" for word, say in spec.lexicon)
        lines.append(f"lexicon = {{ {entries} }}")
    return "\n".join(lines) + "\n"


def cast_template(script: Script, config: CastConfig, registry: EngineRegistry,
                  base_lexicon: dict[str, str]) -> str:
    """The cast file `radioplay cast --init` writes (see the module docstring). `base_lexicon` is the
    built-in lexicon, left out since it applies anyway."""
    words = words_spoken(script)
    engines = [name for name in registry.names() if registry.get(name).unavailable_reason() is None]
    out = [f"# Cast for {Path(script.path).name}, written by `radioplay cast --init`: edit freely.\n"
           f"# `radioplay voices` lists every voice; `radioplay audition {Path(script.path).name}` lets you hear them.\n"
           f"# Engines that run here: {', '.join(engines)}.\n"]
    for name, spec in config.casting.characters.items():
        how = "auto-cast" if name in config.auto_cast else "from the cast file"
        engine = registry.get(spec.engine)
        others = [v for v in engine.voices() if v.name != spec.voice]
        notes = dict(KEY_NOTES)
        for key in ("speed", "pitch", "gain"):
            notes[key] += f", {RANGES[key].low:g} to {RANGES[key].high:g}"
        notes["engine"] = " or ".join(engines)
        notes["voice"] = ("also: " + ", ".join(v.name + (f" ({v.gender})" if v.gender else "") for v in others[:8])
                          if others else "the only voice of this engine")
        for option in engine.options:
            notes[option.name] = option.doc
        out.append(f"\n# {name}: {words.get(name, 0)} words; {how}.\n")
        out.append(character_toml(name, spec, notes))
    extra = {w: s for w, s in config.casting.lexicon.items() if base_lexicon.get(w) != s}
    out.append("\n# Pronunciations for every character: word = \"respelling\" or \"/IPA/\".\n[lexicon]\n")
    out.extend(f"{toml_key(word)} = {toml_value(say)}\n" for word, say in sorted(extra.items()))
    return "".join(out)


def write_cast_template(script: Script, config: CastConfig, registry: EngineRegistry, path: Path) -> Path:
    """Write `cast_template` to `path`, refusing to replace a file that is already there."""
    from radioplay.errors import InputError
    from radioplay.io import write_text_atomic
    from radioplay.voice.cast import load_config

    path = Path(path)
    if path.exists():
        raise InputError(f"{path}: already exists; give another -o, or move it away")
    base_lexicon = load_config(None, script, registry).casting.lexicon
    write_text_atomic(path, cast_template(script, config, registry, base_lexicon))
    return path
