"""`radioplay say`: one line in one voice, or exactly the text its engine would get."""

from __future__ import annotations

import soundfile as sf
from typer.testing import CliRunner

from radioplay.cli import app
from radioplay.voice.engines.tone import DEFAULT_RATE, tone_length

runner = CliRunner()

CAST = """\
[lexicon]
Doomovitch = "DOOM-oh-vitch"

[characters.Ada]
engine = "tone"
voice = "high"
speed = 2.0
lexicon = { SGD = "stochastic gradient descent" }
"""


def run(*args: object):
    return runner.invoke(app, ["say", *(str(a) for a in args)])


def test_text_only_prints_exactly_the_engine_text():
    result = run("Dr. Smith paid $5.50 on 2024-03-05 at 9AM, v2.0.1!", "--text-only")
    assert result.exit_code == 0, result.output
    assert result.stdout == ("Doctor Smith paid five dollars and fifty cents on March fifth, twenty twenty-four "
                             "at nine A.M, version two point zero point one!\n")


def test_text_only_applies_the_cast_and_character_lexicons(tmp_path):
    cast = tmp_path / "cast.toml"
    cast.write_text(CAST, encoding="utf-8")
    result = run("Doomovitch runs SGD on H2O.", "--cast", cast, "--character", "ada", "--text-only")
    assert result.exit_code == 0, result.output
    assert result.stdout == "DOOM-oh-vitch runs stochastic gradient descent on H two O.\n"


def test_tone_voice_writes_a_wav_of_the_tone_engines_exact_length(tmp_path):
    out = tmp_path / "x.wav"
    result = run("H2O at 9AM", "--voice", "tone:mid", "-o", out)
    assert result.exit_code == 0, result.output
    info = sf.info(str(out))
    assert info.samplerate == DEFAULT_RATE
    assert info.frames == tone_length("H two O at nine A.M", 1.0, DEFAULT_RATE)
    samples, _ = sf.read(str(out))
    assert abs(samples).max() > 0.4  # the tone, not silence


def test_a_cast_character_speaks_at_its_speed(tmp_path):
    cast = tmp_path / "cast.toml"
    cast.write_text(CAST, encoding="utf-8")
    out = tmp_path / "ada.wav"
    result = run("Doomovitch", "--cast", cast, "--character", "Ada", "-o", out)
    assert result.exit_code == 0, result.output
    assert sf.info(str(out)).frames == tone_length("DOOM-oh-vitch", 2.0, DEFAULT_RATE)


def test_voice_overrides_the_characters_voice_and_keeps_its_speed(tmp_path):
    cast = tmp_path / "cast.toml"
    cast.write_text(CAST, encoding="utf-8")
    out = tmp_path / "low.wav"
    result = run("SGD", "--cast", cast, "--character", "Ada", "--voice", "tone:low", "-o", out)
    assert result.exit_code == 0, result.output
    assert sf.info(str(out)).frames == tone_length("stochastic gradient descent", 2.0, DEFAULT_RATE)


def one_line_error(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.output)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("radioplay: error: "), result.stderr
    return lines[0]


def test_errors_are_one_line(tmp_path):
    cast = tmp_path / "cast.toml"
    cast.write_text(CAST, encoding="utf-8")
    assert "ENGINE:VOICE" in one_line_error(run("hi", "--voice", "joe", "--text-only"))
    assert "no voice 'nope'" in one_line_error(run("hi", "--voice", "tone:nope", "--text-only"))
    assert "unknown engine 'zz'" in one_line_error(run("hi", "--voice", "zz:a", "--text-only"))
    assert "--character needs --cast" in one_line_error(run("hi", "--character", "Ada", "--text-only"))
    assert "no character 'Bob' (characters: Ada)" in one_line_error(
        run("hi", "--cast", cast, "--character", "Bob", "--text-only"))
    assert "nothing to say" in one_line_error(run("...", "--voice", "tone:mid", "--text-only"))
    assert not (tmp_path / "never.wav").exists()


def test_the_default_voice_is_the_first_auto_cast_voice():
    from radioplay.voice.engines.base import EngineRegistry
    from radioplay.voice.say import say_request

    spec = say_request("hello", EngineRegistry.from_entry_points()).spec
    assert (spec.engine, spec.voice, spec.speed) == ("kokoro", "jf_gongitsune", 0.8)  # voice/default.toml
