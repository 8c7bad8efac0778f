"""Bounds: script size, cue length, episode length and sound-file length, each a clear error with
the option that raises it, and nothing read past the bound."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from radioplay.cli import app
from radioplay.errors import InputError, ScriptError
from radioplay.io import read_text
from radioplay.limits import Limits, check_episode_length, check_sound_lengths
from radioplay.parse import load_script, parse_script

runner = CliRunner()


def one_error_line(result) -> str:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("radioplay: error: "), result.stderr
    return lines[0]


def test_a_script_over_the_size_limit_is_refused_and_the_limit_can_be_raised(tmp_path):
    path = tmp_path / "big.md"
    path.write_text("**Ada**: hello there.\n\n" * 50_000, encoding="utf-8")  # 1.15 MB
    with pytest.raises(InputError, match=r"big.md: larger than the script size limit of 1 MB \(1.1 MB\); "
                                         r"raise it with --max-script-mb"):
        load_script(path, limits=Limits(script_mb=1))
    assert len(load_script(path, limits=Limits(script_mb=2)).cues) == 50_000
    line = one_error_line(runner.invoke(app, ["inspect", str(path), "--max-script-mb", "1"]))
    assert "larger than the script size limit of 1 MB" in line
    assert runner.invoke(app, ["inspect", str(path), "--json", "--max-script-mb", "1.2"]).exit_code == 0


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero here")
def test_a_device_is_refused_without_reading_it():
    line = one_error_line(runner.invoke(app, ["inspect", "/dev/zero"]))
    assert line == "radioplay: error: /dev/zero: not a regular file (a device or socket); give a script file"


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_pipe_is_read_only_up_to_the_limit(tmp_path):
    fifo = tmp_path / "pipe.md"
    os.mkfifo(fifo)
    written = []

    def writer():
        with open(fifo, "wb") as f:
            try:
                for _ in range(100):  # 10 MB on offer; the reader stops after 1 MB
                    f.write(b"x" * 100_000)
                    written.append(1)
            except BrokenPipeError:
                pass

    thread = threading.Thread(target=writer)
    thread.start()
    with pytest.raises(InputError, match="larger than the script size limit of 1 MB"):
        read_text(fifo, max_bytes=1_000_000)
    thread.join(timeout=10)
    assert len(written) < 100


def test_a_cue_over_the_word_limit_is_refused_at_its_position():
    long_speech = " ".join(["word"] * 6_000)
    src = f"# T\n\n**Ada**: Hi.\n\n**Bob**: {long_speech}\n"
    with pytest.raises(ScriptError) as caught:
        parse_script(src, "long.md")
    assert str(caught.value) == ("long.md:5:1: error: a cue of 6,000 words is longer than the limit of 5,000; "
                                 "split it, or raise the limit with --max-cue-words")
    assert len(parse_script(src, "long.md", limits=Limits(cue_words=6_000)).cues) == 2
    with pytest.raises(ScriptError, match="6,000 words") as caught:
        parse_script(f"ADA\nHi.\n\nBOB\n{long_speech}\n", "long.fountain")
    assert (caught.value.line, caught.value.col) == (4, 1)


def test_a_cue_just_under_the_limit_in_few_characters_is_accepted():
    src = "**Ada**: " + " ".join(["a"] * 5_000) + "\n"
    assert parse_script(src, "ok.md").lines[0].text.count("a") == 5_000


def test_the_cli_raises_the_cue_limit(tmp_path):
    path = tmp_path / "long.md"
    path.write_text("**Ada**: " + " ".join(["word"] * 6_000) + "\n", encoding="utf-8")
    assert "longer than the limit of 5,000" in one_error_line(runner.invoke(app, ["inspect", str(path)]))
    assert runner.invoke(app, ["inspect", str(path), "--json", "--max-cue-words", "6000"]).exit_code == 0


def test_an_episode_estimated_past_the_limit_is_refused_at_the_cue_where_it_passes():
    script = parse_script("**Ada**: " + " ".join(["word"] * 150) + "\n\n**Bob**: " + " ".join(["word"] * 150) + "\n",
                          "two.md")
    check_episode_length(script, Limits(episode_hours=1))
    # 150 words at 150 words a minute: the second cue ends past 1.5 minutes.
    with pytest.raises(ScriptError) as caught:
        check_episode_length(script, Limits(episode_hours=1.5 / 60))
    assert (caught.value.line, caught.value.col) == (3, 1)
    assert "longer than the limit of 0.025 h" in str(caught.value) and "--max-episode-hours" in str(caught.value)


def test_render_checks_the_episode_limit_before_any_take(dialogue, tone_cast, tmp_path, store_dir):
    line = one_error_line(runner.invoke(app, ["render", str(dialogue), "--cast", str(tone_cast), "--dry-run",
                                              "-o", str(tmp_path / "o.wav"), "--max-episode-hours", "0.001"]))
    assert "--max-episode-hours" in line
    assert not store_dir.exists() or not any(store_dir.rglob("*.npz"))


def test_a_sound_file_over_the_length_limit_is_refused_from_its_header(tmp_path):
    door = tmp_path / "door.wav"
    sf.write(door, np.zeros(16_000 * 3, dtype=np.float32), 16_000)
    check_sound_lengths([door], Limits())
    with pytest.raises(InputError, match=r"door.wav: sound file is 0.1 min long, longer than the limit of "
                                         r"0.025 min; raise it with --max-sound-minutes"):
        check_sound_lengths([door], Limits(sound_minutes=1.5 / 60))


def test_render_checks_sfx_and_bed_lengths_before_any_take(tmp_path, tone_cast, store_dir):
    sf.write(tmp_path / "door.wav", np.zeros(16_000 * 3, dtype=np.float32), 16_000)
    script = tmp_path / "s.md"
    script.write_text("**Ada**: Hi.\n\n_[SFX: door.wav]_\n\n**Marlow**: Yes.\n", encoding="utf-8")
    args = ["render", str(script), "--cast", str(tone_cast), "--dry-run", "-o", str(tmp_path / "o.wav")]
    assert runner.invoke(app, args).exit_code == 0
    assert "door.wav: sound file is 0.1 min long" in one_error_line(
        runner.invoke(app, args + ["--max-sound-minutes", "0.02"]))
    sf.write(tmp_path / "intro.wav", np.zeros(16_000 * 6, dtype=np.float32), 16_000)
    tone_cast.write_text(tone_cast.read_text(encoding="utf-8") + '\n[production]\nintro = "intro.wav"\n',
                         encoding="utf-8")
    assert "intro.wav: sound file is 0.1 min long" in one_error_line(
        runner.invoke(app, args + ["--max-sound-minutes", "0.06"]))
    assert not any(store_dir.rglob("*.npz"))


@pytest.mark.parametrize("bad", [0, -1, float("nan"), float("inf")])
def test_a_limit_must_be_positive(bad):
    with pytest.raises(InputError, match="must be a positive number"):
        Limits(cue_words=bad)
