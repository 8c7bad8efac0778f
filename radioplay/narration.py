"""Audio description: a narrator who speaks the script's stage directions.

Off by default. `--narrate directions`, or a `[narrator]` table in the cast file, turns each
standalone stage direction (a `_[A gull cries.]_` paragraph between cues, a Fountain parenthetical
left after the last words of a speech) into a line the narrator speaks, at the same place in the
script. What is narrated, and what is not:

- narrated: stage directions between cues (`Cue.kind == "direction"`);
- not narrated: directions that colour a line (`**Ada**: _[softly]_ ...`, a mid-speech
  `_[turning]_`): they are heard in the delivery, and reading them out would break the line;
- not narrated: `_[SFX: door.wav]_`, which is heard as the sound itself, `_[room: hall]_`,
  which only picks the reverb (a `_[Scene: a stone stairwell]_` is read: it says where we are),
  and a direction that is only timing (`_[Pause.]_`, `_[A beat.]_`, `_[Long silence.]_`), which is
  heard as the pause it asks for;
- narrated in Fountain: action paragraphs (the parser lists them as unspoken; with a narrator they
  are the screenplay's stage directions), in script order;
- never spoken, narrator or not: everything the parser lists as unspoken (author notes, TODOs,
  comments, URLs, images, link targets, Fountain notes, boneyard, transitions and synopses). Those
  are never cues, so the narrator cannot reach them.

A narrated Markdown direction keeps its cue index, so chapters (which point at cue indices) are
unchanged; from then on it is an ordinary one-speaker line: voiced through the take store, checked, leveled,
placed with the turn gap, written to the transcript under the narrator's name.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass
from typing import Mapping, TypeVar

from radioplay.errors import InputError
from radioplay.mix.mixer import sfx_file
from radioplay.model import Cue, Part, Script, Segment, VoiceSpec

NARRATE_CHOICES = ("none", "directions")
"""What the narrator speaks: nothing, or the stage directions between cues."""
DEFAULT_NARRATOR = "Narrator"
"""The narrator's name in the transcript, the stems and the report (`name` in `[narrator]`)."""
NARRATOR_PANS = (0.0, -0.15, 0.15, -0.45, 0.45, -0.75, 0.75, -0.9, 0.9)
"""The narrator's default place: the first of these at least NARRATOR_PAN_CLEARANCE from every
character's pan (the centre unless a character stands there)."""
NARRATOR_PAN_CLEARANCE = 0.1
_ROOM_DIRECTION = re.compile(r"^\s*room\s*:", re.IGNORECASE)
_TIMING_ONLY = re.compile(
    r"^\W*(?:(?:a|an|another|long|longer|short|brief|small|slight|two|three|then|still)\W+)*"
    r"(?:pause|pauses|beat|beats|silence|moment)\W*$", re.IGNORECASE)
"""A direction that only asks for time (`Pause.`, `A beat.`, `Long silence.`): the mix's pause says it."""
T = TypeVar("T")


@dataclass(frozen=True)
class Narrator:
    """Who reads the stage directions, resolved from the cast (see voice.cast.load_config)."""

    name: str
    spec: VoiceSpec
    auto_cast: bool = False
    """Its voice came from the voice pool: the cast named none."""


def check_narrate(value: str | None) -> None:
    if value is not None and value not in NARRATE_CHOICES:
        raise InputError(f"narrate must be one of {', '.join(NARRATE_CHOICES)}, not {value!r}")


def narrated(cue: Cue) -> bool:
    """Whether the narrator reads this cue: a stage direction that is not a sound effect, not a
    `_[room: NAME]_`, which only picks the reverb (radioplay.mix.spaces), and not only a pause."""
    return (cue.kind == "direction" and sfx_file(cue) is None and bool(cue.text.strip())
            and _ROOM_DIRECTION.match(cue.text) is None and _TIMING_ONLY.match(cue.text) is None)


@dataclass(frozen=True)
class Narration:
    """A script as the narrator reads it (narrate_directions)."""

    script: Script
    narrated: tuple[int, ...]
    """The indices of the narrator's lines in `script.cues`."""
    moved: tuple[int, ...]
    """The new index of each cue of the script as parsed (the same index, except in Fountain,
    where action paragraphs are placed between the cues)."""

    def moved_keys(self, by_segment: Mapping[tuple[int, int, int], T]) -> dict[tuple[int, int, int], T]:
        """A mapping keyed by (cue, part, segment) of the parsed script, keyed by the new indices."""
        return {(self.moved[cue], part, segment): value for (cue, part, segment), value in by_segment.items()}


def narrate_directions(script: Script, name: str = DEFAULT_NARRATOR) -> Narration:
    """A copy of `script` in which every narrated stage direction is a line spoken by `name`. In
    Fountain, action paragraphs become such lines too, at their places (chapters and scene
    headings then start at an action that follows them); otherwise cue indices, chapters and the
    unspoken listing are kept as they are."""
    taken = {speaker.casefold() for speaker in script.speakers()}
    if name.casefold() in taken:
        raise InputError(f"the script already has a character named {name!r}; give the narrator another "
                         f"name with name = \"...\" in the cast file's [narrator] table")
    script, moved = _fountain_action_as_directions(script)
    cues = list(script.cues)
    indices = []
    for index, cue in enumerate(cues):
        if not narrated(cue):
            continue
        indices.append(index)
        cues[index] = _narrator_line(cue, name)
        previous = cues[index - 1] if index else None
        if previous is not None and previous.kind == "line" and previous.interrupted:
            # The narrator waits for a cut-off line to end, as the silent direction's pause did:
            # it never talks over a character.
            cues[index - 1] = dataclasses.replace(previous, interrupted=False)
    return Narration(dataclasses.replace(script, cues=cues), tuple(indices), moved)


def _fountain_action_as_directions(script: Script) -> tuple[Script, tuple[int, ...]]:
    """Fountain's action paragraphs (which the parser lists as unspoken) as stage-direction cues
    in script order, and each old cue's new index; chapters and scene headings re-pointed at the
    first cue after them."""
    actions = [u for u in script.unspoken if u.reason == "action" and u.text.strip()]
    if script.format != "fountain" or not actions:
        return script, tuple(range(len(script.cues)))
    placed = [((cue.line, cue.col, 0), index, cue) for index, cue in enumerate(script.cues)]
    placed += [((u.line, u.col, 1), None, Cue("direction", (), u.text, None, u.line, u.col)) for u in actions]
    placed.sort(key=lambda item: item[0])
    cues = [cue for _, _, cue in placed]
    moved = [0] * len(script.cues)
    for new, (_, old, _) in enumerate(placed):
        if old is not None:
            moved[old] = new

    def first_after(line: int) -> int:
        return next((i for i, cue in enumerate(cues) if cue.line > line), len(cues))

    chapters = [dataclasses.replace(c, cue=first_after(c.line)) for c in script.chapters]
    scenes = [dataclasses.replace(s, cue=first_after(s.line)) for s in script.scenes]
    unspoken = [u for u in script.unspoken if not (u.reason == "action" and u.text.strip())]
    return dataclasses.replace(script, cues=cues, chapters=chapters, scenes=scenes, unspoken=unspoken), tuple(moved)


def _narrator_line(cue: Cue, name: str) -> Cue:
    segment = Segment(cue.text, None, cue.line, cue.col)
    return Cue("line", (name,), cue.text, None, cue.line, cue.col, (Part(name, (segment,)),))


def narrated_report(script: Script, indices: tuple[int, ...]) -> list[dict]:
    """The report's `narrated`: each direction the narrator reads, where it was written."""
    return [{"cue": i, "line": script.cues[i].line, "col": script.cues[i].col, "text": script.cues[i].text}
            for i in indices]


def with_narrator(script: Script, config) -> Narration:
    """The script as heard with the cast's narrator (a voice.cast.CastConfig; its casting gains the
    narrator's voice and, when the pool chose it, its auto_cast the narrator's name). Without a
    narrator, the script as it is."""
    narrator = config.narrator
    if narrator is None:
        return Narration(script, (), tuple(range(len(script.cues))))
    config.casting.characters[narrator.name] = narrator.spec
    if narrator.auto_cast:
        config.auto_cast = (*config.auto_cast, narrator.name)
    return narrate_directions(script, narrator.name)


def default_narrator_pan(character_pans: list[float]) -> float:
    for pan in NARRATOR_PANS:
        if all(abs(pan - other) >= NARRATOR_PAN_CLEARANCE for other in character_pans):
            return pan
    return 0.0
