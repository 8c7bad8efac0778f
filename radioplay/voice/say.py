"""One line in one voice, outside any script: `radioplay say`, to hear a pronunciation and fix it
in the lexicon.

The line is cast the way `render` casts a script in which it is the only line: with no cast file
and no voice given, its speaker gets the voice auto-casting gives a lone character (the first
voice of the auto-cast pool); with a cast file and a character, that character's voice, speed,
pitch, engine options and lexicon. The text goes through `prepare_text` and the take through the
synthesis stage's `voice_take`, exactly as in a render.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from radioplay.errors import CastError, EngineError, RadioplayError
from radioplay.io import check_writable, read_text
from radioplay.model import Audio, Cue, Part, Script, Segment, TakeRequest, VoiceSpec
from radioplay.voice.cast import character_key, load_cast
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.lexicon import merge_lexicons
from radioplay.voice.synthesize import voice_take
from radioplay.voice.text import prepare_text

LONE_SPEAKER = "Speaker"
"""The speaker's name when no character is given (auto-casting does not look at names)."""


class SayError(RadioplayError):
    """A `say` request that cannot be voiced as given."""


def parse_voice(value: str) -> tuple[str, str]:
    """ "piper:joe" -> ("piper", "joe"); the voice may itself hold colons (a Kokoro blend, a path)."""
    engine, sep, voice = value.partition(":")
    if not sep or not engine or not voice:
        raise SayError(f"--voice {value!r}: give ENGINE:VOICE, such as piper:joe or kokoro:jf_gongitsune")
    return engine.strip(), voice.strip()


def usable_voice(registry: EngineRegistry, value: str) -> tuple[str, str]:
    """(engine, voice) for "ENGINE:VOICE" when that engine runs here and has that voice; else
    SayError or EngineError."""
    engine_name, voice_name = parse_voice(value)
    engine = registry.get(engine_name)
    reason = engine.unavailable_reason()
    if reason:
        raise EngineError(f"engine {engine_name!r} is not usable here: {reason}")
    engine.check_voice(voice_name)
    return engine_name, voice_name


def _one_line_script(speaker: str, text: str) -> Script:
    segment = Segment(text=text, direction=None, line=1, col=1)
    cue = Cue(kind="line", speakers=(speaker,), text=text, direction=None, line=1, col=1,
              parts=(Part(speaker, (segment,)),))
    return Script(title=None, cues=[cue], path="<say>")


def _cast_character(cast: Path, character: str) -> str:
    """The name `character` has in the cast file (names match case-insensitively)."""
    try:
        table = tomllib.loads(read_text(cast)).get("characters", {})
    except tomllib.TOMLDecodeError as exc:
        raise CastError(f"invalid TOML: {exc}", str(cast)) from None
    names = {character_key(name): name for name in table} if isinstance(table, dict) else {}
    if character_key(character) not in names:
        known = ", ".join(sorted(names.values())) or "none"
        raise SayError(f"{cast}: no character {character!r} (characters: {known})")
    return names[character_key(character)]


def say_request(text: str, registry: EngineRegistry, *, voice: str | None = None, cast: Path | None = None,
                character: str | None = None, seed: int = 0) -> TakeRequest:
    """The take that voices `text`: its speaker's VoiceSpec (the cast file's `character`, else the
    auto-cast one), and the prepared text after the cast's lexicon and normalization. `voice`
    ("ENGINE:VOICE") replaces the engine and voice: a character keeps its speed, pitch and lexicon;
    with no character the voice speaks at its natural speed and pitch. Raises SayError, CastError or EngineError for anything unusable."""
    if character is not None and cast is None:
        raise SayError("--character needs --cast FILE")
    speaker = _cast_character(cast, character) if character is not None else LONE_SPEAKER
    casting = load_cast(cast, _one_line_script(speaker, text), registry)
    spec = casting.characters[speaker]
    if voice is not None:
        engine_name, voice_name = usable_voice(registry, voice)
        if character is None:  # the auto-cast voice's speed and options were tuned for that voice
            spec = VoiceSpec(engine=engine_name, voice=voice_name)
        else:  # the character's speed, pitch and lexicon; its options only on its own engine
            options = spec.options if engine_name == spec.engine else ()
            spec = VoiceSpec(engine=engine_name, voice=voice_name, speed=spec.speed, pitch=spec.pitch,
                             gain=spec.gain, pan=spec.pan, lexicon=spec.lexicon, options=options)
    spoken = prepare_text(text, merge_lexicons(casting.lexicon, dict(spec.lexicon)))
    if not spoken:
        raise SayError(f"nothing to say in {text!r}: it has no speakable words")
    return TakeRequest(cue=0, part=0, segment=0, speaker=speaker, text=spoken, spec=spec, speed=spec.speed,
                       pitch=spec.pitch, seed=seed)


def say(request: TakeRequest, registry: EngineRegistry, output: Path) -> Audio:
    """Voice `request` and write it to `output` (format by suffix) at the engine's sample rate."""
    from radioplay.publish import write_audio

    check_writable(output)
    audio = voice_take(registry, request)
    write_audio(output, audio.samples, audio.sample_rate)
    return audio
