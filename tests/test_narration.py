"""The narrator (audio description): stage directions read between the cues, in the narrator's voice
and place; notes, URLs, images and delivery directions never read; off by default."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from radioplay.cli import app
from radioplay.errors import CastError, InputError
from radioplay.narration import DEFAULT_NARRATOR, narrate_directions
from radioplay.parse import parse_script
from radioplay.pipeline import RenderOptions, plan_summary, prepare, render
from radioplay.voice.cast import load_config
from radioplay.voice.engines.base import EngineRegistry

SCRIPT = """\
# The Keepers

**Ada**: Good evening, Marlow.

[TODO: should Ada be angry here?]

_[A door closes somewhere below.]_

<!-- a comment for the author -->

**Marlow**: _[softly]_ Evening. You read the [tide tables](https://example.org/tides) again?

![a sketch of the lamp](lamp.png)

https://example.org/notes

## Night

_[The lamp flickers and goes out.]_

**Ada**: It always does.
"""

CHARACTERS = ('[characters.Ada]\nengine = "tone"\nvoice = "high"\npan = -0.4\n\n'
              '[characters.Marlow]\nengine = "tone"\nvoice = "low"\npan = 0.4\n')
NARRATOR_PAN = 0.8


def write(tmp_path: Path, narrator: str | None = None) -> tuple[Path, Path]:
    script = tmp_path / "keepers.md"
    script.write_text(SCRIPT, encoding="utf-8")
    cast = tmp_path / "keepers-cast.toml"
    cast.write_text(CHARACTERS + (f"\n[narrator]\n{narrator}" if narrator is not None else ""), encoding="utf-8")
    return script, cast


def tone_narrator(**extra) -> str:
    keys = {"engine": "tone", "voice": "mid", "pan": NARRATOR_PAN, **extra}
    return "".join(f"{k} = {json.dumps(v)}\n" for k, v in keys.items())


def test_only_stage_directions_between_cues_are_narrated():
    script = parse_script(SCRIPT, path="keepers.md")
    narration = narrate_directions(script)
    narrated, indices = narration.script, narration.narrated
    lines = [(c.speakers, c.text) for c in narrated.cues if c.kind == "line"]
    assert lines == [
        (("Ada",), "Good evening, Marlow."),
        ((DEFAULT_NARRATOR,), "A door closes somewhere below."),
        (("Marlow",), "Evening. You read the tide tables again?"),
        ((DEFAULT_NARRATOR,), "The lamp flickers and goes out."),
        (("Ada",), "It always does."),
    ]
    assert [c.kind for c in narrated.cues] == ["line"] * 5  # the delivery direction stays on Marlow's line
    assert narrated.cues[2].direction == "softly"
    # what the parser leaves unspoken stays so, and chapters point at the same cues
    assert narrated.unspoken == script.unspoken
    assert {u.reason for u in script.unspoken} >= {"author note", "comment", "image", "url", "link target"}
    assert [(c.title, c.cue) for c in narrated.chapters] == [(c.title, c.cue) for c in script.chapters] == [("Night", 3)]
    assert indices == (1, 3)


def test_sound_effects_are_heard_not_narrated():
    script = parse_script("**A**: One.\n\n_[SFX: door.wav]_\n\n_[A gull cries.]_\n\n**A**: Two.\n")
    narrated = narrate_directions(script).script
    assert [(c.kind, c.speakers) for c in narrated.cues] == [
        ("line", ("A",)), ("direction", ()), ("line", (DEFAULT_NARRATOR,)), ("line", ("A",))]


@pytest.mark.parametrize("timing", ["Pause.", "A beat.", "beat", "Long pause", "A long silence.", "Another beat",
                                    "(a moment)", "Two beats."])
def test_a_direction_that_only_asks_for_time_stays_a_pause(timing):
    script = parse_script(f"**A**: One.\n\n_[{timing}]_\n\n_[A pause in the rain.]_\n\n**A**: Two.\n")
    narrated = narrate_directions(script).script
    assert [(c.kind, c.speakers) for c in narrated.cues] == [
        ("line", ("A",)), ("direction", ()), ("line", (DEFAULT_NARRATOR,)), ("line", ("A",))]


def test_fountain_closing_parenthetical_is_narrated():
    script = parse_script("ADA\nGood evening.\n(she leaves)\n\nMARLOW\nGoodnight.\n", path="x.fountain")
    narrated = narrate_directions(script).script
    assert [(c.speakers, c.text) for c in narrated.cues] == [
        (("ADA",), "Good evening."), ((DEFAULT_NARRATOR,), "she leaves"), (("MARLOW",), "Goodnight.")]


def test_fountain_action_is_narrated_in_place_and_chapters_open_on_it():
    text = ("Title: Lamp\n\nINT. LAMP ROOM - NIGHT\n\nThe lens turns.\n\nADA\nStill burning.\n\n"
            "[[cut this?]]\n\nMARLOW\nIt listens.\n\nCUT TO:\n\nEXT. GALLERY - CONTINUOUS\n\n"
            "Wind at the glass.\n\nADA\nThere!\n")
    script = parse_script(text, path="lamp.fountain")
    assert [c.title for c in script.chapters] == ["INT. LAMP ROOM - NIGHT", "EXT. GALLERY - CONTINUOUS"]
    narration = narrate_directions(script)
    narrated, indices = narration.script, narration.narrated
    assert [(c.speakers, c.text) for c in narrated.cues] == [
        ((DEFAULT_NARRATOR,), "The lens turns."), (("ADA",), "Still burning."), (("MARLOW",), "It listens."),
        ((DEFAULT_NARRATOR,), "Wind at the glass."), (("ADA",), "There!")]
    assert indices == (0, 3)
    assert narration.moved == (1, 2, 4)  # the parsed cues' new places
    assert [(s.heading, s.cue) for s in narrated.scenes] == [("INT. LAMP ROOM - NIGHT", 0),
                                                             ("EXT. GALLERY - CONTINUOUS", 3)]
    assert [(c.title, c.cue) for c in narrated.chapters] == [("INT. LAMP ROOM - NIGHT", 0),
                                                             ("EXT. GALLERY - CONTINUOUS", 3)]
    # read now, so no longer unspoken; the note and the transition still are
    assert {u.reason for u in narrated.unspoken} == {u.reason for u in script.unspoken} - {"action"}
    assert {"note", "transition"} <= {u.reason for u in narrated.unspoken}


def test_the_narrator_waits_for_a_cut_off_line(tmp_path):
    text = "**Ada**: If it's from the board—\n\n_[A crash below.]_\n\n**Marlow**: —keeps failing.\n"
    script = tmp_path / "cut.md"
    script.write_text(text, encoding="utf-8")
    cast = tmp_path / "cut.toml"
    cast.write_text(CHARACTERS + "\n[narrator]\n" + tone_narrator(), encoding="utf-8")
    result = render(script, RenderOptions(output=tmp_path / "cut.wav", cast=cast, cache=tmp_path / "takes"))
    ada, narrator, marlow = result.episode.cues
    assert narrator.speakers == ("Narrator",)
    turn_gap = 0.35
    assert narrator.start - ada.end == pytest.approx(turn_gap, abs=0.002)  # after Ada, never over her


def test_a_character_named_like_the_narrator_is_an_error():
    script = parse_script("**Narrator**: Once.\n\n_[Rain.]_\n")
    with pytest.raises(InputError, match="already has a character named 'Narrator'"):
        narrate_directions(script)


def render_keepers(tmp_path: Path, name: str, narrator: str | None, **options):
    folder = tmp_path / name
    folder.mkdir()
    script, cast = write(folder, narrator)
    out = folder / "keepers.wav"
    result = render(script, RenderOptions(output=out, cast=cast, cache=tmp_path / "takes", jobs=1, **options))
    return result, out


def test_narrator_reads_between_the_cues_at_its_own_pan(tmp_path):
    result, out = render_keepers(tmp_path, "on", tone_narrator())
    cues = result.episode.cues
    assert [(c.speakers, c.text) for c in cues] == [
        (("Ada",), "Good evening, Marlow."),
        (("Narrator",), "A door closes somewhere below."),
        (("Marlow",), "Evening. You read the tide tables again?"),
        (("Narrator",), "The lamp flickers and goes out."),
        (("Ada",), "It always does."),
    ]
    assert all(a.end < b.start for a, b in zip(cues, cues[1:]))  # in order, one after another
    samples, rate = sf.read(out, dtype="float64")
    theta = (NARRATOR_PAN + 1) * math.pi / 4
    expected_db = 20 * math.log10(math.sin(theta) / math.cos(theta))  # constant-power pan law, right over left
    for cue in cues:
        a, b = int(cue.start * rate), int(cue.end * rate)
        energy = (samples[a:b] ** 2).sum(axis=0)
        right_over_left = 10 * math.log10(energy[1] / energy[0])
        if cue.speakers == ("Narrator",):
            assert right_over_left == pytest.approx(expected_db, abs=0.2)
        else:  # Ada at -0.4, Marlow at +0.4: never as far right as the narrator
            assert abs(right_over_left) < expected_db - 10
    # the transcripts name the narrator; notes, URLs, images and link targets are nowhere
    vtt = out.with_suffix(".vtt").read_text(encoding="utf-8")
    srt = out.with_suffix(".srt").read_text(encoding="utf-8")
    assert "<v Narrator>A door closes somewhere below." in vtt
    assert "<v Narrator>The lamp flickers and goes out." in vtt
    assert "A door closes somewhere below." in srt
    for never in ("TODO", "angry", "example.org", "sketch", "lamp.png", "comment", "softly"):
        assert never not in vtt and never not in srt
    chapters = json.loads(out.with_suffix(".chapters.json").read_text(encoding="utf-8"))["chapters"]
    assert [c["title"] for c in chapters][-1] == "Night"
    assert chapters[-1]["startTime"] == pytest.approx(cues[3].start, abs=0.01)  # the chapter opens on its direction
    assert result.report["narrated"] == [
        {"cue": 1, "line": 7, "col": 2, "text": "A door closes somewhere below."},
        {"cue": 3, "line": 19, "col": 2, "text": "The lamp flickers and goes out."}]
    assert result.report["levels"]["characters"].keys() >= {"Narrator"}


def test_narration_off_changes_nothing(tmp_path):
    plain, plain_out = render_keepers(tmp_path, "plain", None)
    off, off_out = render_keepers(tmp_path, "off", tone_narrator(narrate="none"))
    none, none_out = render_keepers(tmp_path, "none", tone_narrator(), narrate="none")
    for out in (off_out, none_out):
        assert out.read_bytes() == plain_out.read_bytes()
        for suffix in (".vtt", ".srt", ".chapters.json"):
            assert out.with_suffix(suffix).read_bytes() == plain_out.with_suffix(suffix).read_bytes()
    assert "narrated" not in plain.report and "narrated" not in off.report
    # a direction is still a pause, not a line
    assert [c.speakers for c in plain.episode.cues] == [("Ada",), ("Marlow",), ("Ada",)]


def test_narration_changes_no_one_elses_takes(tmp_path):
    script, cast = write(tmp_path, tone_narrator())
    on = prepare(script, RenderOptions(output=tmp_path / "on.wav", cast=cast, cache=tmp_path / "takes"))
    off = prepare(script, RenderOptions(output=tmp_path / "off.wav", cast=cast, cache=tmp_path / "takes",
                                        narrate="none"))
    keys = lambda p: [k for r, k in zip(p.plan.requests, p.plan.keys) if r.speaker != "Narrator"]  # noqa: E731
    assert keys(on) == keys(off) and len(keys(on)) == len(off.plan.keys)
    assert {n: s for n, s in on.casting.characters.items() if n != "Narrator"} == off.casting.characters
    summary = plan_summary(on)
    assert summary["narrated"] == 2
    assert [(r["speaker"], r["line"], r["voice"]) for r in summary["takes"] if r["speaker"] == "Narrator"] == [
        ("Narrator", 7, "mid"), ("Narrator", 19, "mid")]


def test_cli_narrate_dry_run_and_inspect(tmp_path):
    script, cast = write(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["render", str(script), "--cast", str(cast), "--dry-run", "--narrate", "directions",
                                 "--cache", str(tmp_path / "takes"), "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 0, result.output
    assert "2 stage direction(s) read by the narrator" in result.output
    assert result.output.count("│ Narrator │ kokoro:") == 2  # the cast has no [narrator]: a pool voice
    assert "auto-cast Narrator (kokoro:" in result.output
    result = runner.invoke(app, ["inspect", str(script), "--json", "--narrate", "directions"])
    assert result.exit_code == 0, result.output
    assert result.output.count('"Narrator"') >= 2
    plain = runner.invoke(app, ["inspect", str(script), "--json"])
    assert "Narrator" not in plain.output


def registry() -> EngineRegistry:
    return EngineRegistry.from_entry_points()


def test_default_narrator_voice_is_one_no_character_has(tmp_path):
    script = parse_script(SCRIPT, path="keepers.md")
    pool = "".join(f'[[autocast.voices]]\nengine = "tone"\nvoice = "{v}"\n' for v in ("high", "low", "mid", "alto"))
    cast = tmp_path / "pool.toml"
    cast.write_text(pool, encoding="utf-8")
    config = load_config(cast, script, registry(), narrate="directions")
    voices = {spec.voice for spec in config.casting.characters.values()}
    assert voices == {"high", "low"}
    assert config.narrator.spec.voice == "mid" and config.narrator.auto_cast
    assert config.narrator.spec.pan == 0.0  # the centre: the characters stand at -0.3 and +0.3


def test_default_narrator_voice_with_the_built_in_pool(seed_path):
    from radioplay.parse import load_script

    script = load_script(seed_path)
    config = load_config(None, script, registry(), narrate="directions")
    taken = {(s.engine, s.voice) for s in config.casting.characters.values()}
    assert (config.narrator.spec.engine, config.narrator.spec.voice) not in taken


def test_default_narrator_pan_avoids_a_character_in_the_centre(tmp_path):
    script, cast = write(tmp_path)
    cast.write_text(CHARACTERS.replace("pan = 0.4", "pan = 0.0") + '\n[narrator]\nengine = "tone"\nvoice = "mid"\n',
                    encoding="utf-8")
    config = load_config(cast, parse_script(SCRIPT), registry())
    assert config.narrator.spec.pan == -0.15


@pytest.mark.parametrize("table, message, where", [
    ('engine = "tone"\nvoice = "bass"\n', "unknown voice 'bass' for engine 'tone'", (13, 1)),
    ('engine = "tone"\nvoice = "mid"\npann = 0.5\n', "unknown key 'pann'", (14, 1)),
    ('engine = "tone"\nvoice = "mid"\nnarrate = "everything"\n', "narrate must be one of none, directions", (14, 1)),
    ('engine = "tone"\nvoice = "mid"\nname = "ada"\n', "the narrator's name 'ada' is a character", (14, 1)),
    ('engine = "tone"\nvoice = "mid"\npan = 3\n', "pan = 3 is outside [-1, 1]", (14, 1)),
    ('voice = "mid"\n', "[narrator] gives a voice but no engine", (12, 1)),
])
def test_narrator_table_errors_name_the_file_line_and_column(tmp_path, table, message, where):
    script, cast = write(tmp_path, table)
    with pytest.raises(CastError) as caught:
        load_config(cast, parse_script(SCRIPT), registry())
    assert message in str(caught.value)
    assert f"{cast}:{where[0]}:{where[1]}:" in str(caught.value)
    result = CliRunner().invoke(app, ["render", str(script), "--cast", str(cast), "--dry-run",
                                      "--cache", str(tmp_path / "takes"), "-o", str(tmp_path / "x.wav")])
    assert result.exit_code == 2
    assert f"radioplay: error: {cast}:{where[0]}:{where[1]}:" in result.output


def test_scene_directions_are_read_and_still_pick_the_room(tmp_path):
    text = ("**Ada**: Hello.\n\n_[Scene: a stone stairwell]_\n\n**Ada**: Down here.\n\n"
            "_[room: hall]_\n\n**Marlow**: Coming.\n")
    script = tmp_path / "rooms.md"
    script.write_text(text, encoding="utf-8")
    cast = tmp_path / "rooms.toml"
    cast.write_text(CHARACTERS + "\n[narrator]\n" + tone_narrator(), encoding="utf-8")
    on = prepare(script, RenderOptions(output=tmp_path / "on.wav", cast=cast, cache=tmp_path / "takes"))
    off = prepare(script, RenderOptions(output=tmp_path / "off.wav", cast=cast, cache=tmp_path / "takes",
                                        narrate="none"))
    assert [(c.kind, c.speakers, c.text) for c in on.script.cues] == [
        ("line", ("Ada",), "Hello."), ("line", ("Narrator",), "Scene: a stone stairwell"),
        ("line", ("Ada",), "Down here."), ("direction", (), "room: hall"), ("line", ("Marlow",), "Coming.")]
    assert off.spaces and on.spaces == off.spaces  # Ada below the scene direction is in the stairwell
    assert all(cue != 1 for cue, _, _ in on.spaces)  # the narrator is not in the room
