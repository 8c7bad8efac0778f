"""The spaces table: each script signal (Fountain extension, direction, scene heading, Markdown scene
or room direction, a cast's [scenes]) picks the right space and room; unknown rooms are clear errors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radioplay.cli import app
from radioplay.errors import CastError, ScriptError
from radioplay.mix.spaces import SpaceTable, hear_script
from radioplay.parse import load_script, parse_script
from radioplay.voice.cast import load_config
from radioplay.voice.engines.base import EngineRegistry

FIXTURES = Path(__file__).resolve().parent / "fixtures"
TONE_CAST = "".join(f'[characters.{name}]\nengine = "tone"\nvoice = "mid"\n' for name in ("Ada", "Marlow", "Quill"))


@pytest.fixture(scope="module")
def table() -> SpaceTable:
    return SpaceTable.load()


def heard_by_text(script, heard) -> dict[str, tuple[str, str | None]]:
    """Each line's text -> (space, room) of its first segment; ("on mic", None) when left out (dry)."""
    out = {}
    for index, cue in enumerate(script.cues):
        if cue.kind == "line":
            how = heard.get((index, 0, 0))
            out[cue.text] = (how.space.name, how.room.name if how.room else None) if how else ("on mic", None)
    return out


@pytest.mark.parametrize("extension, space", [
    ("V.O.", "close"), ("O.S.", "distant"), ("O.C.", "distant"), ("FILTERED", "phone"), ("v.o.", "close"),
    ("CONT'D", None),
])
def test_fountain_extensions_pick_spaces(table, extension, space):
    found = table.extension_space((extension,))
    assert (found.name if found else None) == space


@pytest.mark.parametrize("direction, space", [
    ("off", "distant"), ("from the next room", "distant"), ("shouting from the next room", "distant"),
    ("over the radio", "phone"), ("on the phone", "phone"), ("on the phone, angrily", "phone"),
    ("FILTERED", "phone"), ("angrily; off", "distant"),
    ("takes off his coat", None),  # a one-word signal counts only as a whole clause
    ("softly", None), (None, None),
])
def test_directions_pick_spaces(table, direction, space):
    found = table.direction_space(direction)
    assert (found.name if found else None) == space


@pytest.mark.parametrize("heading, room", [
    ("INT. STONE STAIRWELL - NIGHT", "stone stairwell"),
    ("INT. LIGHTHOUSE KITCHEN - CONTINUOUS", "kitchen"),
    ("INT. LIGHTHOUSE LAMP ROOM - NIGHT", "room"),
    ("EXT. BEACH - DAY", "outdoors"),
    ("EXT. LIGHTHOUSE GALLERY - CONTINUOUS", "outdoors"),  # no word matches: EXT. is outdoors
    ("INT. SOMEWHERE ODD - DAY", "room"),  # no word matches: INT. is the interior room
    ("THE CATHEDRAL", "hall"),  # a forced heading (its dot is gone) is matched by its words
])
def test_scene_headings_pick_rooms(table, heading, room):
    assert table.heading_room(heading).name == room


def test_fountain_script_is_heard_in_its_scenes(table):
    script = load_script(FIXTURES / "spaces.fountain")
    assert [s.heading for s in script.scenes] == ["INT. STONE STAIRWELL - NIGHT", "INT. LIGHTHOUSE KITCHEN - CONTINUOUS"]
    heard = heard_by_text(script, hear_script(script, table))
    assert heard["Marlow? The lamp is out again, and the stairs are dark."] == ("on mic", "stone stairwell")
    assert heard["Down in the cellar, next to the oil drums by the door."] == ("distant", "stone stairwell")
    assert heard["I'll put the kettle on while you two argue about wicks."] == ("on mic", "kitchen")
    assert heard["Harbour board here. We need to know why the light keeps failing."] == ("phone", None)
    assert heard["We never did tell them the truth about the lamp."] == ("on mic", None)  # V.O.: close and dry
    assert table.extension_space(("V.O.",)).name == "close"


def test_markdown_scene_and_room_directions(table):
    script = load_script(FIXTURES / "spaces.md")
    heard = heard_by_text(script, hear_script(script, table))
    assert heard["Marlow? The lamp is out again, and the stairs are dark."] == ("on mic", "stone stairwell")
    assert heard["Down in the cellar, next to the oil drums by the door."] == ("distant", "stone stairwell")
    assert heard["Harbour board here. We need to know why the light keeps failing."] == ("phone", None)
    assert heard["Tell them we don't know yet."] == ("distant", "hall")  # after _[room: hall]_


def test_lines_before_any_scene_are_dry_and_off_stage_uses_the_next_room(table):
    script = parse_script("**Ada**: Hello.\n\n**Bob**: _[off]_ Over here.\n")
    heard = heard_by_text(script, hear_script(script, table))
    assert heard == {"Hello.": ("on mic", None), "Over here.": ("distant", "next room")}


def test_an_unknown_room_is_an_error_at_its_direction(table):
    text = "# T\n\n**Ada**: Hi.\n\n_[room: hal]_\n\n**Ada**: Echo.\n"
    with pytest.raises(ScriptError) as caught:
        hear_script(parse_script(text, path="play.md"), table)
    message = str(caught.value)
    assert message.startswith("play.md:5:")
    assert "unknown room 'hal'" in message and "did you mean 'hall'" in message


def cast_config(tmp_path, text: str, script):
    path = tmp_path / "cast.toml"
    path.write_text(TONE_CAST + text, encoding="utf-8")
    return load_config(path, script, EngineRegistry.from_entry_points())


def test_cast_scenes_table_picks_rooms(tmp_path):
    script = load_script(FIXTURES / "spaces.fountain")
    config = cast_config(tmp_path, '[scenes]\n"INT. LIGHTHOUSE KITCHEN - CONTINUOUS" = "hall"\n'
                                   '"stone stairwell" = "small room"\n', script)
    heard = heard_by_text(script, hear_script(script, config.spaces))
    assert heard["I'll put the kettle on while you two argue about wicks."] == ("on mic", "hall")
    # a heading's location alone names the scene too
    assert heard["Marlow? The lamp is out again, and the stairs are dark."] == ("on mic", "small room")


def test_cast_scenes_name_a_markdown_chapter(tmp_path):
    script = parse_script("# Play\n\n## The Stairwell\n\n**Ada**: Mind the step.\n\n## Outside\n\n**Ada**: Cold.\n")
    assert [c.title for c in script.chapters] == ["The Stairwell", "Outside"]
    config = cast_config(tmp_path, '[scenes]\n"The Stairwell" = "kitchen"\n', script)
    heard = heard_by_text(script, hear_script(script, config.spaces))
    # a chapter [scenes] does not name leaves the room as it was
    assert heard == {"Mind the step.": ("on mic", "kitchen"), "Cold.": ("on mic", "kitchen")}


def test_cast_adds_rooms_and_spaces(tmp_path):
    script = parse_script("_[Scene: the attic]_\n\n**Ada**: Up here.\n\n**Ada**: _[through a megaphone]_ Down there!\n")
    config = cast_config(tmp_path, '[rooms.attic]\nrt60 = 0.9\nwords = ["attic", "loft"]\n\n'
                                   '[spaces.megaphone]\nsignals = ["through a megaphone"]\nhighpass = 500.0\n'
                                   'lowpass = 4000.0\nslope = 24\ndrive = 12.0\n', script)
    heard = heard_by_text(script, hear_script(script, config.spaces))
    assert heard == {"Up here.": ("on mic", "attic"), "Down there!": ("megaphone", "attic")}
    assert config.spaces.rooms["attic"].rt60 == 0.9


@pytest.mark.parametrize("text, line, message", [
    ('[scenes]\n"INT. KITCHEN" = "kitchn"\n', 2, "did you mean 'kitchen'"),
    ('[spaces.far]\nsignals = ["far away"]\nroom = "hal"\n', 3, "did you mean 'hall'"),
    ('[rooms.attic]\nrt60 = 0.0\n', 2, "rt60"),
    ('[spaces.far]\nslope = 10\n', 2, "multiple of 6"),
    ('[spaces.far]\nlowpas = 3000.0\n', 2, "did you mean 'lowpass'"),
])
def test_bad_cast_spaces_are_errors_at_their_line(tmp_path, text, line, message):
    with pytest.raises(CastError) as caught:
        cast_config(tmp_path, text, parse_script("**Ada**: Hi.\n"))
    assert caught.value.line == TONE_CAST.count("\n") + line
    assert message in str(caught.value) and str(tmp_path / "cast.toml") in str(caught.value)


def test_inspect_counts_space_and_scene_directions_as_voiced():
    result = CliRunner().invoke(app, ["inspect", "--json", str(FIXTURES / "spaces.md")])
    assert result.exit_code == 0, result.output
    cues = json.loads(result.output)["cues"]
    directed = {c["direction"]: c["direction_voiced"] for c in cues if c["direction"]}
    assert directed == {"off": True, "over the radio": True, "from the next room": True}


def test_the_prepared_render_errors_on_an_unknown_room_before_any_take(tmp_path):
    from radioplay.pipeline import RenderOptions, prepare

    script = tmp_path / "play.md"
    script.write_text("**Ada**: Hi.\n\n_[room: stairwel]_\n\n**Ada**: Echo.\n", encoding="utf-8")
    cast = tmp_path / "cast.toml"
    cast.write_text(TONE_CAST, encoding="utf-8")
    with pytest.raises(ScriptError, match=r"play.md:3:\d+: error: unknown room 'stairwel'"):
        prepare(script, RenderOptions(output=tmp_path / "out.wav", cast=cast, cache=tmp_path / "takes"))
