"""The command-line contract: exact names, JSON shapes, and one clean error line for bad input."""

from __future__ import annotations

import json
import pytest
import soundfile as sf
from typer.testing import CliRunner

from radioplay.cli import app

runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, [str(a) for a in args])


def assert_clean_error(result, *fragments: str) -> None:
    assert result.exit_code == 2, (result.exit_code, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("radioplay: error: "), lines[0]
    assert "Traceback" not in result.stderr
    for fragment in fragments:
        assert fragment in lines[0], (fragment, lines[0])


@pytest.mark.parametrize("command", ["render", "inspect"])
def test_missing_file(tmp_path, command, store_dir):
    assert_clean_error(run(command, tmp_path / "nope.md"), "nope.md", "no such file")


def test_directory(tmp_path):
    assert_clean_error(run("inspect", tmp_path), "is a directory")


def test_not_utf8(tmp_path):
    path = tmp_path / "latin1.md"
    path.write_bytes("**Ada**: caf\xe9\n".encode("latin-1"))
    assert_clean_error(run("inspect", path), "not UTF-8", "byte offset 12")


def test_empty_script(tmp_path):
    path = tmp_path / "empty.md"
    path.write_text("  \n\n", encoding="utf-8")
    assert_clean_error(run("inspect", path), "empty.md")


def test_no_cues(tmp_path):
    path = tmp_path / "prose.md"
    path.write_text("# Title\n\nJust some prose, nobody speaks.\n", encoding="utf-8")
    assert_clean_error(run("inspect", path), "prose.md")


def test_unwritable_output(dialogue, tone_cast, tmp_path, store_dir):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    assert_clean_error(run("render", dialogue, "--cast", tone_cast, "-o", blocker / "out.mp3"), "out.mp3")


def test_unknown_engine_in_cast(dialogue, tmp_path, store_dir):
    cast = tmp_path / "bad.toml"
    cast.write_text('[characters.Ada]\nengine = "nosuch"\nvoice = "x"\n', encoding="utf-8")
    assert_clean_error(run("render", dialogue, "--cast", cast, "-o", tmp_path / "o.wav"), "nosuch")


def test_unknown_voice_in_cast(dialogue, tmp_path, store_dir):
    cast = tmp_path / "bad.toml"
    cast.write_text('[characters.Ada]\nengine = "tone"\nvoice = "falsetto"\n', encoding="utf-8")
    assert_clean_error(run("render", dialogue, "--cast", cast, "-o", tmp_path / "o.wav"), "falsetto")


def test_inspect_json_contract(dialogue):
    result = run("inspect", dialogue, "--json")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["title"] == "A Test Episode"
    assert {"title", "cues", "diagnostics"} <= set(data)
    lines = [c for c in data["cues"] if c["kind"] == "line"]
    assert [c["speakers"] for c in lines] == [["Ada"], ["Marlow"], ["Ada"], ["Marlow"], ["Ada", "Marlow"]]
    assert lines[1]["direction"] == "softly" and lines[1]["text"] == "Evening. You are late."
    assert {"kind", "speakers", "text", "direction", "line"} <= set(lines[0])
    assert lines[0]["line"] == 3
    assert [c["kind"] for c in data["cues"]].count("direction") == 1


def test_render_writes_episode_and_transcripts(dialogue, tone_cast, tmp_path, store_dir):
    out = tmp_path / "ep.wav"
    report = tmp_path / "report.json"
    result = run("render", dialogue, "--cast", tone_cast, "-o", out, "--report", report, "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    info = sf.info(out)
    assert info.channels == 2 and info.samplerate == 44_100
    vtt = out.with_suffix(".vtt").read_text()
    assert vtt.startswith("WEBVTT")
    assert vtt.count("<v ") == 5
    data = json.loads(report.read_text())
    assert data["cues"] == 5 and data["synthesized"] + data["reused"] == data["takes"]
    assert set(data["seconds"]) == {"parse", "plan", "synthesize", "check", "mix", "master", "export",
                                    "delivery_check", "total"}

    again = run("render", dialogue, "--cast", tone_cast, "-o", out, "--report", report, "--jobs", "1")
    assert again.exit_code == 0, again.stderr
    data = json.loads(report.read_text())
    assert data["synthesized"] == 0 and data["reused"] == data["takes"]


def test_dry_run_synthesizes_nothing(dialogue, tone_cast, tmp_path, store_dir):
    out = tmp_path / "ep.wav"
    result = run("render", dialogue, "--cast", tone_cast, "-o", out, "--dry-run")
    assert result.exit_code == 0, result.stderr
    assert "to synthesize" in result.stdout
    assert not out.exists()
    assert not any(store_dir.rglob("*.npz"))


def test_strict_turns_warnings_into_errors(tmp_path, tone_cast, store_dir):
    path = tmp_path / "warn.md"
    path.write_text("**Ada**: Hello.\n\n**Marlow**:\n\n**Marlow**: Hi.\n", encoding="utf-8")
    result = run("render", path, "--cast", tone_cast, "-o", tmp_path / "o.wav", "--strict")
    assert result.exit_code == 2
    assert "warn.md:3:" in result.stderr


def test_voices_json_lists_tone_engine():
    result = run("voices", "--json")
    assert result.exit_code == 0, result.stderr
    engines = {e["engine"]: e for e in json.loads(result.stdout)["engines"]}
    assert engines["tone"]["available"] and engines["tone"]["device"] == "cpu"
    assert {v["name"] for v in engines["tone"]["voices"]} >= {"low", "high"}


def test_production_beds_and_stems_reach_the_render(dialogue, tmp_path, store_dir):
    from tests.conftest import tone_cast_text

    cast = tmp_path / "beds.toml"
    cast.write_text(tone_cast_text() + '\n[production]\nroom_tone = "pink"\nroom_tone_db = -50.0\n',
                    encoding="utf-8")
    out, stems = tmp_path / "ep.wav", tmp_path / "stems"
    result = run("render", dialogue, "--cast", cast, "-o", out, "--stems", stems, "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    names = sorted(p.name for p in stems.iterdir() if not p.name.startswith("."))
    assert names == ["Ada.wav", "Marlow.wav", "_beds.wav"]
    assert sorted(json.loads((stems / ".radioplay-stems.json").read_text())["files"]) == names
    bed, _ = sf.read(stems / "_beds.wav", dtype="float32")
    assert abs(bed).max() > 0  # the room tone is really there, under the whole episode
    assert sf.info(stems / "Ada.wav").frames == sf.info(stems / "_beds.wav").frames


def test_unchanged_render_is_up_to_date_and_a_mix_change_remixes_without_revoicing(dialogue, tmp_path,
                                                                                   store_dir):
    from tests.conftest import tone_cast_text

    cast, out, report = tmp_path / "cast.toml", tmp_path / "ep.wav", tmp_path / "r.json"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    args = ("render", dialogue, "--cast", cast, "-o", out, "--report", report, "--jobs", "1")
    assert run(*args).exit_code == 0
    first = out.read_bytes()

    again = run(*args)
    assert again.exit_code == 0 and "up to date" in again.stderr
    data = json.loads(report.read_text())
    assert data["up_to_date"] and data["synthesized"] == 0 and data["seconds"]["mix"] == 0.0

    out.write_bytes(first[:-100])  # a damaged output is rendered again
    assert run(*args).exit_code == 0
    assert out.read_bytes() == first and not json.loads(report.read_text())["up_to_date"]

    cast.write_text(tone_cast_text() + "\n[timing]\nturn_gap = 0.9\n", encoding="utf-8")
    assert run(*args).exit_code == 0
    data = json.loads(report.read_text())
    assert not data["up_to_date"] and data["synthesized"] == 0
    assert sf.info(out).frames > len(first) // 4  # longer gaps, same takes

    forced = run(*args, "--force")
    assert forced.exit_code == 0 and not json.loads(report.read_text())["up_to_date"]


def test_published_files_follow_the_umask_not_mkstemps_0600(dialogue, tone_cast, tmp_path, store_dir):
    import os
    import stat

    old = os.umask(0o022)
    try:
        out = tmp_path / "ep.wav"
        assert run("render", dialogue, "--cast", tone_cast, "-o", out, "--jobs", "1").exit_code == 0
    finally:
        os.umask(old)
    for path in (out, out.with_suffix(".vtt"), out.with_suffix(".srt")):
        assert stat.S_IMODE(path.stat().st_mode) == 0o644, path


def test_a_damaged_take_is_reported_and_voiced_again(dialogue, tone_cast, tmp_path, store_dir):
    out, report = tmp_path / "ep.wav", tmp_path / "r.json"
    args = ("render", dialogue, "--cast", tone_cast, "-o", out, "--report", report, "--jobs", "1")
    assert run(*args).exit_code == 0
    first = out.read_bytes()
    victim = sorted(store_dir.rglob("*.npz"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    again = run(*args, "--force")
    assert again.exit_code == 0
    assert "radioplay: warning: damaged take" in again.stderr
    result = json.loads(report.read_text())
    assert result["synthesized"] == 1 and len(result["damaged_takes"]) == 1
    assert out.read_bytes() == first
