"""Issue 13's closing property: random small scripts and random option values, rendered through the
CLI on the tone engine, never end in a traceback and never write over an input.

Every run ends in exit 0 (and then the episode exists), 2 (bad input, one `radioplay: error:` line)
or 1 (a failure at run time, also one line). The script, the cast file and a sound file it plays are
byte-for-byte what they were before.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from radioplay.cli import app

settings.register_profile("fuzz-ci", max_examples=150, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
settings.register_profile("fuzz-dev", max_examples=int(os.environ.get("FUZZ_EXAMPLES", 30)), deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
PROFILE = settings.get_profile("fuzz-ci" if os.environ.get("HYPOTHESIS_PROFILE") == "ci" else "fuzz-dev")

SPEAKABLE = ["Good evening.", "It is 9 o'clock, Dr. Smith.", "Why not?", "GPT-4 costs $5.", "Yes. No. Maybe."]
UNSPEAKABLE = ["...", "—", "?", "🎭", "€", "_[softly]_ ...", "!!", "( )"]
DIRECTIONS = ["_[softly]_ ", "_[shouting]_ ", "_[resignedly]_ ", ""]

paragraph = st.one_of(
    st.builds(lambda who, d, text: f"**{who}**: {d}{text}", st.sampled_from(["Ada", "Bob"]),
              st.sampled_from(DIRECTIONS), st.sampled_from(SPEAKABLE + UNSPEAKABLE)),
    st.builds(lambda d, text: f"**Ada** and **Bob**: {d}{text}", st.sampled_from(DIRECTIONS),
              st.sampled_from(SPEAKABLE + UNSPEAKABLE)),
    st.sampled_from(SPEAKABLE + UNSPEAKABLE),  # a continuation paragraph
    st.sampled_from(["_[A door closes.]_", "_[SFX: door.wav]_", "[TODO: fix this]", "## Part two",
                     "**Ada**: I was going to say—", "**Bob**: —say it, then."]),
)
scripts = st.lists(paragraph, min_size=1, max_size=6).map(
    lambda ps: "# Fuzz\n\n**Ada**: Hello there.\n\n" + "\n\n".join(ps) + "\n")

NUMBERS = st.sampled_from(["0", "0.5", "-1", "1e9", "nan", "inf", "300", '"loud"'])
cast_extras = st.lists(st.tuples(
    st.sampled_from(["[timing] lead_in", "[timing] turn_gap", "[production] room_tone_db",
                     "[production] episode", "[characters.Ada] speed", "[characters.Bob] gain",
                     "[characters.Ada] pan"]),
    NUMBERS), max_size=1)

# valid values are repeated so that about half the examples render all the way
OUTPUT_NAMES = ["out.mp3", "out.wav", "out.flac", "out.opus", "out.m4a"] * 3 + ["out.xyz", "script.md", "cast.toml", "door.wav"]
SIDE_NAMES = [None] * 8 + ["side.json", "script.md", "cast.toml", "door.wav", "out.mp3", "out.vtt"]
options = st.fixed_dictionaries({
    "output": st.sampled_from(OUTPUT_NAMES),
    "report": st.sampled_from(SIDE_NAMES),
    "timeline": st.sampled_from([None] * 6 + ["t.png", "script.md", "out.mp3"]),
    "loudness": st.sampled_from([None] * 6 + ["-16", "-23", "nan", "inf", "50", "-200"]),
    "sample_rate": st.sampled_from([None] * 6 + ["8000", "22050", "44100", "48000", "96000"]),
    "bitrate": st.sampled_from([None] * 6 + ["8", "128", "999"]),
    "mono": st.booleans(),
})


def cast_text(extras: list[tuple[str, str]]) -> str:
    tables = {"[characters.Ada]": ['engine = "tone"', 'voice = "high"'],
              "[characters.Bob]": ['engine = "tone"', 'voice = "low"']}
    for where, value in extras:
        table, key = where.split(" ")
        tables.setdefault(table, []).append(f"{key} = {value}")
    return "\n".join(f"{table}\n" + "\n".join(lines) + "\n" for table, lines in tables.items())


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@settings(PROFILE)
@given(script=scripts, extras=cast_extras, opts=options)
def test_render_never_tracebacks_and_never_overwrites_an_input(tmp_path_factory, script, extras, opts):
    folder = tmp_path_factory.mktemp("fuzz")
    script_path = folder / "script.md"
    script_path.write_text(script, encoding="utf-8")
    cast_path = folder / "cast.toml"
    cast_path.write_text(cast_text(extras), encoding="utf-8")
    sf.write(folder / "door.wav", np.zeros(2205, dtype=np.float32), 22_050)
    # door.wav is an input only when the script plays it; otherwise it is just a file the user may name
    read = [script_path, cast_path] + ([folder / "door.wav"] if "SFX: door.wav" in script else [])
    inputs = {p: digest(p) for p in read}

    args = ["render", str(script_path), "--cast", str(cast_path), "-o", str(folder / opts["output"]),
            "--cache", str(folder / "takes"), "--jobs", "1"]
    for flag, key in (("--report", "report"), ("--timeline", "timeline"), ("--loudness", "loudness"),
                      ("--sample-rate", "sample_rate"), ("--bitrate", "bitrate")):
        if opts[key] is not None:
            args += [flag, opts[key] if key in ("loudness", "sample_rate", "bitrate") else str(folder / opts[key])]
    if opts["mono"]:
        args.append("--mono")

    result = CliRunner().invoke(app, args)
    event(f"exit {result.exit_code}")

    assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
    assert "Traceback" not in result.output + result.stderr, args
    assert result.exit_code in (0, 1, 2), (args, result.exit_code, result.stderr)
    if result.exit_code:
        errors = [line for line in result.stderr.splitlines() if line.startswith("radioplay: error:")]
        assert len(errors) == 1, (args, result.stderr)
    else:
        assert (folder / opts["output"]).is_file(), args
    for path, before in inputs.items():
        assert digest(path) == before, (args, f"{path.name} was overwritten")
