"""`radioplay cast --init` writes a commented cast that loads back to the same casting; a cast file
beside the script is used when --cast is not given; render names the auto-cast characters once."""

from __future__ import annotations

import tomllib

import pytest
from typer.testing import CliRunner

from radioplay.cli import app
from radioplay.parse import load_script
from radioplay.pipeline import RenderOptions, prepare
from radioplay.voice.cast import load_config
from radioplay.voice.cast_file import cast_beside, cast_template
from radioplay.voice.engines.base import EngineRegistry
from tests.conftest import tone_cast_text

runner = CliRunner()
TONE_POOL = """\
[[autocast.voices]]
engine = "tone"
voice = "low"
gender = "male"
speed = 1.1

[[autocast.voices]]
engine = "tone"
voice = "high"
gender = "female"
pitch = -1.5
"""


@pytest.fixture
def registry():
    return EngineRegistry.from_entry_points()


def test_init_loads_back_to_the_same_casting(tmp_path, dialogue, registry):
    # A cast that names one character, with an odd lexicon; the other comes from its pool.
    cast = tmp_path / "given.toml"
    cast.write_text(TONE_POOL + '\n[characters.Ada]\nengine = "tone"\nvoice = "mid"\npan = -0.7\n'
                    'lexicon = { Marlow = "MAR-low \\"the\\" elder" }\n\n[lexicon]\narchive = "AR-kyve"\n',
                    encoding="utf-8")
    script = load_script(dialogue)
    config = load_config(cast, script, registry)
    assert config.auto_cast == ("Marlow",)
    result = runner.invoke(app, ["cast", str(dialogue), "--cast", str(cast), "--init", "-o", str(tmp_path / "init.toml")])
    assert result.exit_code == 0, result.output
    text = (tmp_path / "init.toml").read_text(encoding="utf-8")
    tomllib.loads(text)
    assert "# Marlow: 8 words; auto-cast." in text and "# Ada: 17 words; from the cast file." in text
    assert "# factor: 1.2 is 20% faster, 0.25 to 4" in text
    back = load_config(tmp_path / "init.toml", script, registry)
    assert back.casting.characters == config.casting.characters
    assert back.casting.characters["Marlow"].pitch == -1.5  # the pool voice's settings are written out
    assert back.casting.lexicon == config.casting.lexicon
    assert back.auto_cast == ()


def test_init_with_no_cast_holds_the_auto_cast_and_refuses_to_overwrite(tmp_path, dialogue, registry):
    script = load_script(dialogue)
    config = load_config(None, script, registry)
    assert set(config.auto_cast) == {"Ada", "Marlow"}
    result = runner.invoke(app, ["cast", str(dialogue), "--init"])
    assert result.exit_code == 0, result.output
    written = tmp_path / "cast.toml"
    assert load_config(written, script, registry).casting.characters == config.casting.characters
    again = runner.invoke(app, ["cast", str(dialogue), "--init"])
    assert again.exit_code == 2 and "cast.toml: already exists" in again.output
    written.rename(tmp_path / "dialogue.toml")  # the stem's cast file wins over a new cast.toml
    shadowed = runner.invoke(app, ["cast", str(dialogue), "--init"])
    assert shadowed.exit_code == 0
    assert f"note: {tmp_path / 'dialogue.toml'} is the cast used for {dialogue} without --cast" in shadowed.stderr


def test_template_quotes_names_and_strings(tmp_path, registry):
    path = tmp_path / "odd.md"
    path.write_text('# Odd\n\n**Dr. "Q" Ünal**: Hello there.\n', encoding="utf-8")
    script = load_script(path)
    config = load_config(None, script, registry)
    text = cast_template(script, config, registry, {})
    assert '[characters."Dr. \\"Q\\" Ünal"]' in text
    out = tmp_path / "c.toml"
    out.write_text(text, encoding="utf-8")
    assert load_config(out, script, registry).casting.characters == config.casting.characters


@pytest.mark.parametrize("name", ["dialogue.toml", "cast.toml"])
def test_cast_beside_the_script_is_used(tmp_path, dialogue, store_dir, name):
    assert cast_beside(dialogue) is None
    (tmp_path / name).write_text(tone_cast_text(), encoding="utf-8")
    assert cast_beside(dialogue) == tmp_path / name
    prepared = prepare(dialogue, RenderOptions(output=tmp_path / "ep.wav"))
    assert prepared.casting.characters["Ada"].voice == "high" and prepared.casting.path == str(tmp_path / name)
    assert prepared.auto_cast == ()
    shown = runner.invoke(app, ["cast", str(dialogue), "--json"])
    assert '"voice": "low"' in shown.stdout and '"engine": "tone"' in shown.stdout


def test_stem_toml_wins_over_cast_toml(tmp_path, dialogue):
    (tmp_path / "cast.toml").write_text("", encoding="utf-8")
    (tmp_path / "dialogue.toml").write_text("", encoding="utf-8")
    assert cast_beside(dialogue) == tmp_path / "dialogue.toml"


def test_render_names_the_auto_cast_characters_once(tmp_path, dialogue, store_dir):
    (tmp_path / "cast.toml").write_text(TONE_POOL + '\n[characters.Ada]\nengine = "tone"\nvoice = "mid"\n',
                                        encoding="utf-8")
    result = runner.invoke(app, ["render", str(dialogue), "-o", str(tmp_path / "ep.wav"), "--jobs", "1"])
    assert result.exit_code == 0, result.output
    notes = [line for line in result.stderr.splitlines() if "auto-cast" in line]
    assert notes == [f"radioplay: note: auto-cast Marlow (tone:high); `radioplay cast {dialogue} --init` writes "
                     f"them to a cast file to edit"]
    (tmp_path / "cast.toml").write_text(tone_cast_text(), encoding="utf-8")
    quiet = runner.invoke(app, ["render", str(dialogue), "-o", str(tmp_path / "ep.wav"), "--jobs", "1"])
    assert quiet.exit_code == 0 and "auto-cast" not in quiet.stderr
