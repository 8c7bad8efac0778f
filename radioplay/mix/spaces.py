"""The spaces table: which of the script's signals puts a line where, and which room each scene is in.

The built-in table ships inside the package (`radioplay/voice/spaces.toml`, copied to
`voices/spaces.toml` for reading); a cast file extends it with `[spaces.NAME]`, `[rooms.NAME]`
and `[scenes]` tables. `hear_script` walks a script once and says how each segment is heard
(radioplay.mix.space does the processing).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Mapping

from radioplay.errors import ScriptError
from radioplay.mix.space import NO_ROOM, SCENE_ROOM, Heard, Room, Space
from radioplay.model import Script
from radioplay.tomlsource import TomlSource
from radioplay.values import Rule, did_you_mean, unknown_key_message

ON_MIC = "on mic"
"""The space of a line no signal picks."""
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")
_CLAUSE = re.compile(r"[,;:()\[\]]")
_SCENE_DIRECTION = re.compile(r"^\s*(?P<kind>scene|room)\s*:\s*(?P<name>.+?)\s*[.]?\s*$", re.IGNORECASE)
_HEADING = re.compile(r"^\s*(?P<kind>INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)[. ]\s*(?P<rest>.*)$", re.IGNORECASE)
_TIME_OF_DAY = re.compile(r"\s+[-–—]\s+.*$")
_SPACE_RULES = {
    "gain": Rule((float,), -60.0, 24.0), "highpass": Rule((float,), 0.0, 20_000.0),
    "lowpass": Rule((float,), 0.0, 20_000.0), "slope": Rule((int,), 6, 96), "drive": Rule((float,), 0.0, 40.0),
    "room": Rule((str,)), "fallback_room": Rule((str,)), "wet": Rule((float,), -60.0, 40.0),
}
_ROOM_RULES = {
    "rt60": Rule((float,), 0.05, 10.0), "wet": Rule((float,), -60.0, 10.0),
    "predelay": Rule((float,), 0.0, 0.5), "damping": Rule((float,), 0.1, 1.0),
}
_TOP_KEYS = ("interior", "exterior", "spaces", "rooms", "inherit")


def words(text: str) -> tuple[str, ...]:
    """The casefolded words of `text` ("O.S." -> ("o", "s"))."""
    return tuple(w.casefold() for w in _WORD.findall(text))


def default_spaces_path() -> Path:
    return Path(str(resources.files("radioplay.voice").joinpath("spaces.toml")))


@dataclass(frozen=True)
class SpaceTable:
    spaces: Mapping[str, Space]
    rooms: Mapping[str, Room]
    signals: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    """A signal's words -> the space it picks."""
    room_words: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    """Words of a scene -> the room they pick (each room's name and `words`)."""
    interior: str = "room"
    exterior: str = "outdoors"
    scenes: Mapping[tuple[str, ...], str] = field(default_factory=dict)
    """A cast's [scenes]: a scene's words -> its room."""

    @classmethod
    def load(cls, path: Path | None = None) -> "SpaceTable":
        """The built-in table, extended by the spaces file `path`."""
        table = cls({}, {})._read(TomlSource.read(default_spaces_path()), _TOP_KEYS)
        if path is not None:
            table = table._read(TomlSource.read(Path(path)), _TOP_KEYS)
        return table

    def extended(self, source: TomlSource) -> "SpaceTable":
        """This table with a cast file's [spaces], [rooms] and [scenes] (its other tables are the cast's)."""
        return self._read(source, None)

    def _read(self, source: TomlSource, top_keys: tuple[str, ...] | None) -> "SpaceTable":
        data = source.data
        if top_keys is not None:
            for key in data:
                if key not in top_keys:
                    raise source.error(unknown_key_message(key, top_keys, "spaces table"), key)
            if not isinstance(data.get("inherit", True), bool):
                raise source.error("inherit must be true or false", "inherit")
        keep = data.get("inherit", True) if top_keys is not None else True
        spaces = dict(self.spaces) if keep else {}
        rooms = dict(self.rooms) if keep else {}
        signal_of = {name: list(_signals_of(self, name)) for name in spaces}
        words_of = {name: list(_words_of(self, name)) for name in rooms}
        for name, entry in _tables(source, data, "rooms").items():
            settings = _checked(source, entry, _ROOM_RULES, ("words",), "rooms", name)
            if "rt60" not in settings:
                raise source.error(f"[rooms.{name}] needs rt60 (seconds)", "rooms", name)
            rooms[name] = Room(name, **settings)
            words_of[name] = _phrases(source, entry.get("words", []), "rooms", name, "words")
        for name, entry in _tables(source, data, "spaces").items():
            settings = _checked(source, entry, _SPACE_RULES, ("signals",), "spaces", name)
            if settings.get("slope", 6) % 6:
                raise source.error(f"[spaces.{name}] slope must be a multiple of 6 dB per octave", "spaces", name, "slope")
            spaces[name] = Space(name, **settings)
            signal_of[name] = _phrases(source, entry.get("signals", []), "spaces", name, "signals")
        interior = self._room_key(source, data, "interior", rooms) if top_keys is not None else self.interior
        exterior = self._room_key(source, data, "exterior", rooms) if top_keys is not None else self.exterior
        scenes = dict(self.scenes)
        for scene, room in _table(source, data.get("scenes", {}), "scenes").items():
            if not isinstance(room, str):
                raise source.error(f"[scenes] {scene!r} must name a room, not {room!r}", "scenes", scene)
            _known_room(room, rooms, lambda message: source.error(message, "scenes", scene))
            scenes[words(scene)] = room
        for name, space in spaces.items():
            for key in ("room", "fallback_room"):
                value = getattr(space, key)
                if value and value not in (SCENE_ROOM, NO_ROOM):
                    _known_room(value, rooms, lambda message: source.error(message, "spaces", name, key))
        if ON_MIC not in spaces:
            spaces[ON_MIC] = Space(ON_MIC)
        return SpaceTable(spaces, rooms,
                          {w: name for name, phrases in signal_of.items() for w in phrases},
                          {w: name for name, phrases in words_of.items() for w in [words(name), *phrases]},
                          interior, exterior, scenes)

    def _room_key(self, source: TomlSource, data: Mapping, key: str, rooms: Mapping[str, Room]) -> str:
        value = data.get(key, getattr(self, key))
        if not isinstance(value, str):
            raise source.error(f"{key} must name a room, not {value!r}", key)
        _known_room(value, rooms, lambda message: source.error(message, key))
        return value

    # ------------------------------------------------------------------ signals

    def direction_space(self, direction: str | None) -> Space | None:
        """The space a direction picks: a signal of several words anywhere in it, a one-word
        signal only as a whole clause; the first in the text wins."""
        if not direction:
            return None
        tokens = words(direction)
        clauses = {words(clause) for clause in _CLAUSE.split(direction)}
        found: list[tuple[int, int, str]] = []
        for signal, name in self.signals.items():
            if len(signal) == 1 and signal not in clauses:
                continue
            at = _find(tokens, signal)
            if at >= 0:
                found.append((at, -len(signal), name))
        return self.spaces[min(found)[2]] if found else None

    def extension_space(self, extensions: tuple[str, ...]) -> Space | None:
        """The space a Fountain extension picks ("V.O.", "O.S."): the whole extension is the signal."""
        for extension in extensions:
            name = self.signals.get(words(extension))
            if name is not None:
                return self.spaces[name]
        return None

    def selects(self, direction: str | None) -> bool:
        """True when the direction picks a space or a scene's room (inspect counts it as voiced)."""
        return bool(direction) and (self.direction_space(direction) is not None
                                    or _SCENE_DIRECTION.match(direction) is not None)

    # ------------------------------------------------------------------ rooms

    def room_named(self, name: str, path: str, line: int, col: int) -> Room:
        """The room `_[room: NAME]_` names; ScriptError at the direction when there is none."""
        def error(message: str) -> ScriptError:
            return ScriptError(message, path, line, col)

        found = _known_room(name, self.rooms, error, exact=False)
        return self.rooms[found]

    def scene_room(self, description: str, exterior: bool = False) -> Room:
        """The room of a scene described in words: the cast's [scenes], else the longest of the
        rooms' words in it, else the interior or exterior room."""
        tokens = words(description)
        if tokens in self.scenes:
            return self.rooms[self.scenes[tokens]]
        best: tuple[int, int, str] | None = None
        for phrase, room in self.room_words.items():
            at = _find(tokens, phrase)
            if at >= 0 and (best is None or (-len(phrase), at) < best[:2]):
                best = (-len(phrase), at, room)
        if best is not None:
            return self.rooms[best[2]]
        return self.rooms[self.exterior if exterior else self.interior]

    def heading_room(self, heading: str) -> Room:
        """The room of a Fountain scene heading: the [scenes] entry for the heading or for its
        location, else the location's words, else INT. (or a forced heading) -> interior, EXT. -> exterior."""
        match = _HEADING.match(heading)
        location = _TIME_OF_DAY.sub("", match.group("rest") if match else heading.strip())
        exterior = match is not None and match.group("kind").upper() in ("EXT", "EST")
        if words(heading) in self.scenes:
            return self.rooms[self.scenes[words(heading)]]
        return self.scene_room(location, exterior)

    def heard(self, space: Space, room: Room | None) -> Heard:
        """How a line in `space` sounds in a scene in `room` (None: no scene yet)."""
        if space.room == NO_ROOM:
            return Heard(space)
        if space.room == SCENE_ROOM:
            if room is None and space.fallback_room:
                room = self.rooms[space.fallback_room]
            return Heard(space, room)
        return Heard(space, self.rooms[space.room])


SegmentKey = tuple[int, int, int]


def hear_script(script: Script, table: SpaceTable) -> dict[SegmentKey, Heard]:
    """How each segment of each line is heard, by (cue, part, segment); segments heard as they are
    (on mic, no room) are left out. Scene changes come from Fountain scene headings, chapter
    titles the cast's [scenes] names, and `_[Scene: ...]_` / `_[room: NAME]_` directions.
    Raises ScriptError for a `_[room: NAME]_` that names no room."""
    headings: dict[int, list] = {}
    for scene in script.scenes:
        headings.setdefault(scene.cue, []).append(scene)
    chapters: dict[int, list] = {}
    for chapter in script.chapters:
        chapters.setdefault(chapter.cue, []).append(chapter)
    on_mic = table.spaces[ON_MIC]
    room: Room | None = None
    heard: dict[SegmentKey, Heard] = {}
    for index, cue in enumerate(script.cues):
        for chapter in chapters.get(index, ()):
            if words(chapter.title) in table.scenes:
                room = table.rooms[table.scenes[words(chapter.title)]]
        for scene in headings.get(index, ()):
            room = table.heading_room(scene.heading)
        if cue.kind == "direction":
            match = _SCENE_DIRECTION.match(cue.text or "")
            if match and match.group("kind").casefold() == "room":
                room = table.room_named(match.group("name"), script.path, cue.line, cue.col)
            elif match:
                room = table.scene_room(match.group("name"))
            continue
        by_extension = table.extension_space(cue.extensions)
        for p, part in enumerate(cue.parts):
            for s, segment in enumerate(part.segments):
                space = table.direction_space(segment.direction) or by_extension or on_mic
                how = table.heard(space, room)
                if not how.neutral:
                    heard[(index, p, s)] = how
    return heard


def off_mic_cues(heard: Mapping[SegmentKey, Heard]) -> set[int]:
    """The cues with a segment heard in a space other than on mic (distant, on the phone, ...)."""
    return {cue for (cue, _, _), how in heard.items() if how.space.name != ON_MIC}


# --------------------------------------------------------------------------- reading


def _find(tokens: tuple[str, ...], phrase: tuple[str, ...]) -> int:
    """Where `phrase` starts in `tokens` as whole words, or -1."""
    n = len(phrase)
    for start in range(len(tokens) - n + 1):
        if tokens[start:start + n] == phrase:
            return start
    return -1


def _known_room(name: str, rooms: Mapping[str, Room], error, exact: bool = True) -> str:
    """`name` itself when it is a room (or, not `exact`, the room whose name has its words);
    else raises error(message) with the nearest name."""
    if name in rooms:
        return name
    if not exact:
        for room in rooms:
            if words(room) == words(name):
                return room
    raise error(f"unknown room {name!r}{did_you_mean(name, rooms)} (rooms: {', '.join(rooms)})")


def _table(source: TomlSource, value: object, *keys: str) -> dict:
    if not isinstance(value, dict):
        raise source.error(f"[{'.'.join(keys)}] must be a table", *keys)
    return value


def _tables(source: TomlSource, data: Mapping, key: str) -> dict[str, dict]:
    tables = _table(source, data.get(key, {}), key)
    for name, entry in tables.items():
        _table(source, entry, key, name)
        if not words(name):
            raise source.error(f"[{key}] name {name!r} has no words", key, name)
    return tables


def _checked(source: TomlSource, entry: Mapping, rules: Mapping[str, Rule], lists: tuple[str, ...],
             *keys: str) -> dict[str, object]:
    where = f"[{keys[0]}.{keys[1]}]"
    out: dict[str, object] = {}
    for key, value in entry.items():
        if key in lists:
            continue
        if key not in rules:
            raise source.error(unknown_key_message(key, [*rules, *lists], where), *keys, key)
        try:
            out[key] = rules[key].check(value)
        except ValueError as exc:
            raise source.error(f"{where} {key} {exc}", *keys, key) from None
    return out


def _phrases(source: TomlSource, value: object, *keys: str) -> list[tuple[str, ...]]:
    if not isinstance(value, list) or not all(isinstance(v, str) and words(v) for v in value):
        raise source.error(f"[{keys[0]}.{keys[1]}] {keys[2]} must be a list of words and phrases", *keys)
    return [words(v) for v in value]


def _signals_of(table: SpaceTable, name: str) -> list[tuple[str, ...]]:
    return [w for w, space in table.signals.items() if space == name]


def _words_of(table: SpaceTable, name: str) -> list[tuple[str, ...]]:
    return [w for w, room in table.room_words.items() if room == name and w != words(name)]


__all__ = ["ON_MIC", "SpaceTable", "default_spaces_path", "hear_script", "off_mic_cues", "words"]
