"""Outputs never destroy inputs or each other; the published set is one set (issue 13)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radioplay.cache import TakeStore
from radioplay.errors import ExportError
from tests.conftest import DIALOGUE, tone_cast_text
from tests.test_cli import assert_clean_error, run

SFX_SCRIPT = DIALOGUE + "\n_[SFX: door.wav]_\n\n**Ada**: Who was that?\n"


@pytest.fixture
def folder(tmp_path: Path, store_dir: Path) -> Path:
    """A script folder: c.md (with an SFX), cast.toml (tone engine), door.wav."""
    (tmp_path / "c.md").write_text(SFX_SCRIPT, encoding="utf-8")
    (tmp_path / "cast.toml").write_text(tone_cast_text(), encoding="utf-8")
    sf.write(tmp_path / "door.wav", np.full(2205, 0.1, dtype=np.float32), 22_050)
    return tmp_path


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir() if p.is_file()}


def no_takes(store_dir: Path) -> bool:
    return not store_dir.exists() or TakeStore(store_dir).info().count == 0


def render(folder: Path, *args) -> object:
    return run("render", *args, "--cast", folder / "cast.toml", "--jobs", "1")


# ---------------------------------------------------------------- the cases, refused up front


@pytest.mark.parametrize("args, fragments", [
    (("c.md", "-o", "c.mp3", "--report", "c.md"), ("c.md", "--report", "the script")),
    (("c.md", "-o", "c.mp3", "--timeline", "c.md"), ("c.md", "--timeline", "the script")),
    (("c.md", "-o", "out.wav", "--report", "cast.toml"), ("cast.toml", "--report", "the cast file")),
    (("c.md", "-o", "door.wav"), ("door.wav", "the episode (-o)", "the sound file door.wav")),
    (("c.md", "-o", "x.mp3", "--report", "x.mp3"), ("x.mp3", "--report", "the episode (-o)", "same file")),
    (("c.md", "-o", "ep.wav", "--timeline", "ep.vtt"), ("ep.vtt", "--timeline", "the transcript (.vtt)")),
    (("c.md", "-o", "ep.wav", "--report", ".ep.wav.radioplay.json"), ("up-to-date manifest",)),
])
def test_an_output_that_is_an_input_or_another_output_is_refused_before_any_work(
        folder, store_dir, monkeypatch, args, fragments):
    monkeypatch.chdir(folder)
    before = snapshot(folder)
    assert_clean_error(render(folder, *args), *fragments)
    assert snapshot(folder) == before  # nothing written, nothing destroyed
    assert no_takes(store_dir)


def test_a_script_that_is_its_own_srt_sidecar_is_refused(folder, store_dir):
    script = folder / "e.srt"
    script.write_text(DIALOGUE, encoding="utf-8")
    assert_clean_error(render(folder, script, "-o", folder / "e.mp3"), "e.srt", "the captions (.srt)", "the script")
    assert script.read_text(encoding="utf-8") == DIALOGUE and not (folder / "e.mp3").exists()
    assert no_takes(store_dir)


def test_the_same_file_by_another_name_is_refused(folder, store_dir, monkeypatch):
    monkeypatch.chdir(folder)
    (folder / "link.json").symlink_to(folder / "c.md")
    os.link(folder / "cast.toml", folder / "hard.json")
    assert_clean_error(render(folder, "c.md", "-o", "a.wav", "--report", "link.json"), "the script")
    assert_clean_error(render(folder, "./c.md", "-o", "a.wav", "--report", "hard.json"), "the cast file")
    assert_clean_error(render(folder, "c.md", "-o", "a.wav", "--report", "./sub/../c.md"), "the script")
    assert_clean_error(render(folder, "c.md", "-o", "./a.wav", "--timeline", "a.srt"), "the captions (.srt)")
    assert (folder / "c.md").read_text(encoding="utf-8") == SFX_SCRIPT
    assert no_takes(store_dir)


def test_the_cover_and_the_directions_file_are_inputs(folder, store_dir):
    from PIL import Image

    Image.new("RGB", (300, 300), "red").save(folder / "cover.png")
    cast = folder / "cast.toml"
    cast.write_text(tone_cast_text() + '\n[production]\ncover = "cover.png"\n', encoding="utf-8")
    assert_clean_error(render(folder, folder / "c.md", "-o", folder / "a.mp3", "--timeline", folder / "cover.png"),
                       "cover.png", "the [production] cover file")
    directions = folder / "directions.toml"
    directions.write_text("", encoding="utf-8")
    assert_clean_error(render(folder, folder / "c.md", "-o", folder / "a.wav", "--directions", directions,
                              "--report", directions), "the directions file")
    assert no_takes(store_dir)


def test_a_stem_that_would_overwrite_the_episode_is_refused(folder, store_dir):
    assert_clean_error(render(folder, folder / "c.md", "-o", folder / "Ada.wav", "--stems", folder),
                       "Ada.wav", "the stem Ada.wav (--stems)", "the episode (-o)")
    assert_clean_error(render(folder, folder / "c.md", "-o", folder / "x.flac", "--stems", folder / "x.flac"),
                       "x.flac", "the --stems folder", "the episode (-o)")
    assert_clean_error(render(folder, folder / "c.md", "-o", folder / "x.flac", "--stems", folder / "c.md"),
                       "c.md", "the --stems folder", "the script")
    assert no_takes(store_dir)


# ---------------------------------------------------------------- the stems folder


def test_stems_never_overwrite_a_file_radioplay_did_not_write(folder, store_dir):
    stems = folder / "stems"
    stems.mkdir()
    (stems / "Ada.wav").write_bytes(b"my own edit")
    (stems / "notes.txt").write_bytes(b"mine")
    args = (folder / "c.md", "-o", folder / "ep.wav", "--stems", stems)
    assert_clean_error(render(folder, *args), "Ada.wav", "radioplay did not write")
    assert (stems / "Ada.wav").read_bytes() == b"my own edit" and no_takes(store_dir)

    (stems / "Ada.wav").unlink()
    assert render(folder, *args).exit_code == 0
    owned = json.loads((stems / ".radioplay-stems.json").read_text())["files"]
    assert sorted(owned) == ["Ada.wav", "Marlow.wav", "_sfx.wav"]
    assert (stems / "notes.txt").read_bytes() == b"mine"
    assert render(folder, *args, "--force").exit_code == 0  # its own files: rewritten freely

    # a copy of the folder (new mtimes, same bytes) is still radioplay's
    copy = folder / "copy"
    copy.mkdir()
    for p in stems.iterdir():
        (copy / p.name).write_bytes(p.read_bytes())
    assert render(folder, folder / "c.md", "-o", folder / "ep2.wav", "--stems", copy).exit_code == 0

    data, rate = sf.read(stems / "Marlow.wav", dtype="float32")
    sf.write(stems / "Marlow.wav", data * 0.5, rate, subtype="FLOAT")  # the user edits a stem
    edited = (stems / "Marlow.wav").read_bytes()
    assert_clean_error(render(folder, *args, "--force"), "Marlow.wav", "radioplay did not write")
    assert (stems / "Marlow.wav").read_bytes() == edited


def test_a_stems_manifest_of_the_wrong_shape_owns_nothing(folder, store_dir):
    stems = folder / "stems"
    stems.mkdir()
    (stems / "Ada.wav").write_bytes(b"x")
    for text in ("[]", '{"files": []}', '{"files": {"Ada.wav": 3}}', '{"files": {"Ada.wav": [1, {"size": 1}]}}'):
        (stems / ".radioplay-stems.json").write_text(text)
        assert_clean_error(render(folder, folder / "c.md", "-o", folder / "ep.wav", "--stems", stems),
                           "radioplay did not write")


# ---------------------------------------------------------------- stale partials


def test_stale_partials_of_its_own_outputs_are_removed_and_nothing_else(folder, store_dir):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            f".ep.partial-{dead.pid}-abcdefgh.wav": False,  # a killed render's episode: removed
            f".ep.partial-{dead.pid}-abcd_fgh.vtt": False,  # its transcript: removed
            f".ep.chapters.partial-{dead.pid}-abcdefgh.json": False,
            f".r.partial-{dead.pid}-abcdefgh.json": False,  # its report
            f".ep.partial-{live.pid}-abcdefgh.wav": True,  # a live writer's: kept
            f".other.partial-{dead.pid}-abcdefgh.wav": True,  # another output's: kept
            f".ep.partial-{dead.pid}-abcdefgh.mp3": True,  # ep.mp3 is not this render's output
            f".ep.partial-{dead.pid}-abcdefgh.wav.bak": True,
            ".ep.partial-abcdefgh.wav": True,  # no pid: not a name radioplay gives
            "ep.partial-1-abcdefgh.wav": True,
        }
        for name in names:
            (folder / name).write_bytes(b"half an episode")
        result = render(folder, folder / "c.md", "-o", folder / "ep.wav", "--report", folder / "r.json")
        assert result.exit_code == 0, result.stderr
        for name, kept in names.items():
            assert (folder / name).exists() == kept, name
    finally:
        live.kill()
        live.wait()


def test_a_killed_publish_leaves_a_partial_that_the_next_render_removes(folder, store_dir):
    from radioplay.io import new_partial

    code = ("import os, sys; from pathlib import Path; from radioplay.io import new_partial;"
            "new_partial(Path(sys.argv[1])).write_bytes(b'half'); os.kill(os.getpid(), 9)")
    subprocess.run([sys.executable, "-c", code, str(folder / "ep.wav")], cwd=Path(__file__).parents[1])
    left = [p.name for p in folder.iterdir() if p.name.startswith(".ep.partial-")]
    assert len(left) == 1
    mine = new_partial(folder / "ep.wav")  # this process is alive: its partial stays
    assert f"-{os.getpid()}-" in mine.name
    assert render(folder, folder / "c.md", "-o", folder / "ep.wav").exit_code == 0
    assert [p.name for p in folder.iterdir() if p.name.startswith(".ep.partial-")] == [mine.name]


# ---------------------------------------------------------------- the published set is one set


def test_a_failing_sidecar_leaves_the_previous_set_whole(folder, store_dir):
    import radioplay.publish.transcript as transcript

    args = (folder / "c.md", "-o", folder / "ep.wav", "--report", folder / "r.json")
    assert render(folder, *args).exit_code == 0
    before = snapshot(folder)

    (folder / "cast.toml").write_text(tone_cast_text() + "\n[timing]\nturn_gap = 0.9\n", encoding="utf-8")

    def broken(*_a, **_k):
        raise ExportError("ep.srt: disk full")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(transcript, "srt_text", broken)
        failed = render(folder, *args)
    assert failed.exit_code == 2 and failed.stderr.strip().splitlines()[-1] == "radioplay: error: ep.srt: disk full"
    after = snapshot(folder)
    after.pop("cast.toml"), before.pop("cast.toml")
    assert after == before  # no new episode beside the old transcript, no temporaries left

    assert render(folder, *args).exit_code == 0
    new = snapshot(folder)
    assert all(new[name] != before[name] for name in ("ep.wav", "ep.vtt", "ep.srt", "ep.chapters.json"))


def _slow_hash_in_first_thread(patch: pytest.MonkeyPatch, episode_stem: str, first_started: threading.Event,
                               second_done: threading.Event, first: list) -> None:
    """Hashing the first render's episode waits until the second render has finished (or 3 s):
    the window in which a manifest could pair one render's key with the other's files."""
    import radioplay.io

    real = radioplay.io.sha256_file

    def slow(path):
        if threading.current_thread() is first[0] and Path(path).name.startswith(
                (episode_stem, f".{episode_stem}.partial")) and Path(path).suffix == ".wav":
            first_started.set()
            second_done.wait(3.0)
        return real(path)

    for module in list(sys.modules.values()):
        if getattr(module, "__name__", "").startswith("radioplay") and getattr(module, "sha256_file", None) is real:
            patch.setattr(module, "sha256_file", slow)


def test_two_renders_of_different_scripts_to_one_output_never_pair_a_key_with_the_wrong_files(
        tmp_path, store_dir):
    from radioplay.pipeline import RenderOptions, execute, prepare, render_key

    cast = tmp_path / "cast.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    scripts = []
    for name, line in (("a", "Good evening."), ("b", "A much longer line, said slowly, with care.")):
        path = tmp_path / f"{name}.md"
        path.write_text(f"# {name}\n\n**Ada**: {line}\n\n**Marlow**: {line}\n", encoding="utf-8")
        scripts.append(path)
    out = tmp_path / "ep.wav"
    options = lambda: RenderOptions(output=out, cast=cast, jobs=1)  # noqa: E731
    solo = {}
    for script in scripts:  # each script's own episode, alone
        execute(prepare(script, RenderOptions(output=tmp_path / f"solo-{script.stem}.wav", cast=cast, jobs=1)))
        solo[script.stem] = (tmp_path / f"solo-{script.stem}.wav").read_bytes()

    first_started, second_done = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def render_a():
        try:
            execute(prepare(scripts[0], options()))
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    def render_b():
        try:
            first_started.wait(30)
            execute(prepare(scripts[1], options()))
        except BaseException as exc:  # noqa: BLE001
            errors.append(exc)
        finally:
            second_done.set()

    threads = [threading.Thread(target=render_a), threading.Thread(target=render_b)]
    with pytest.MonkeyPatch.context() as patch:
        _slow_hash_in_first_thread(patch, "ep", first_started, second_done, threads)
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert not errors, errors

    on_disk = out.read_bytes()
    winner = next(stem for stem, data in solo.items() if data == on_disk)
    manifest = json.loads((tmp_path / ".ep.wav.radioplay.json").read_text())
    script = tmp_path / f"{winner}.md"
    assert manifest["key"] == render_key(prepare(script, options()))  # the key of the files there
    loser = scripts[1] if winner == "a" else scripts[0]
    result = execute(prepare(loser, options()))
    assert not result.report["up_to_date"] and out.read_bytes() == solo[loser.stem]


# ---------------------------------------------------------------- the up-to-date manifest


def test_the_up_to_date_manifest_sits_beside_the_episode_not_in_the_take_store(folder, store_dir):
    assert render(folder, folder / "c.md", "-o", folder / "ep.wav").exit_code == 0
    manifest = json.loads((folder / ".ep.wav.radioplay.json").read_text())
    assert manifest["schema"] == 1
    assert sorted(Path(p).name for p in manifest["outputs"]) == ["ep.chapters.json", "ep.srt", "ep.vtt", "ep.wav"]
    assert not (store_dir / "renders").exists()
    again = render(folder, folder / "c.md", "-o", folder / "ep.wav", "--cache", folder / "other-store")
    assert again.exit_code == 0 and "up to date" in again.stderr  # the record is the output's, not a store's


@pytest.mark.parametrize("text", [
    "[]", '"up to date"', "{}", '{"key": 5}', '{"key": "K", "outputs": ["ep.wav"], "report": {}}',
    '{"key": "K", "outputs": {"ep.wav": 5}, "report": {}}', '{"key": "K", "outputs": {}, "report": []}',
    '{"key": "K", "outputs": {}, "report": {"audio_seconds": 1, "loudness": -16, "true_peak": -1}}',
    '{"key": "K", "outputs": OUTPUTS, "report": {"audio_seconds": "x", "loudness": -16, "true_peak": -1}}',
])
def test_a_manifest_of_the_wrong_shape_is_not_up_to_date_and_never_a_traceback(folder, store_dir, text):
    args = (folder / "c.md", "-o", folder / "ep.wav", "--report", folder / "r.json")
    assert render(folder, *args).exit_code == 0
    path = folder / ".ep.wav.radioplay.json"
    good = json.loads(path.read_text())
    path.write_text(text.replace('"K"', json.dumps(good["key"])).replace("OUTPUTS", json.dumps(good["outputs"])))
    result = render(folder, *args)
    assert result.exit_code == 0, result.stderr
    assert "Traceback" not in result.stderr and not json.loads((folder / "r.json").read_text())["up_to_date"]
    assert json.loads(path.read_text()) == {**good, "report": json.loads(path.read_text())["report"]}


# ---------------------------------------------------------------- property: never an input overwritten


NAMES = ["c.md", "cast.toml", "door.wav", "ep.wav", "ep.vtt", "ep.srt", "ep.chapters.json", "r.json",
         "t.png", "x.flac", "stems", ".", "sub/ep.wav", "sub/../c.md", "Ada.wav"]


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(output=st.sampled_from([n for n in NAMES if n.endswith((".wav", ".flac"))]),
       report=st.none() | st.sampled_from(NAMES), timeline=st.none() | st.sampled_from(NAMES),
       stems=st.none() | st.sampled_from(NAMES))
def test_no_choice_of_output_names_overwrites_an_input(tmp_path_factory, output, report, timeline, stems):
    folder = tmp_path_factory.mktemp("prop")
    (folder / "c.md").write_text(SFX_SCRIPT, encoding="utf-8")
    (folder / "cast.toml").write_text(tone_cast_text(), encoding="utf-8")
    sf.write(folder / "door.wav", np.full(2205, 0.1, dtype=np.float32), 22_050)
    inputs = snapshot(folder)
    args = [folder / "c.md", "-o", folder / output, "--cache", folder / "takes"]
    for flag, value in (("--report", report), ("--timeline", timeline), ("--stems", stems)):
        if value is not None:
            args += [flag, folder / value]
    result = render(folder, *args)
    assert result.exit_code in (0, 2), result.stderr
    assert "Traceback" not in result.stderr
    if result.exit_code == 2:
        assert result.stderr.startswith("radioplay: error: ") and len(result.stderr.strip().splitlines()) == 1
    for name, data in inputs.items():
        assert (folder / name).read_bytes() == data, (name, result.stderr)


def test_two_publications_to_one_output_take_turns(tmp_path):
    from radioplay.publish.outputs import OutputSet
    from radioplay.publish.publication import Publication

    outputs = OutputSet(tmp_path / "ep.wav")
    inside, events = threading.Event(), []

    def publish(name: str, hold: threading.Event | None) -> None:
        with Publication(outputs) as publication:
            events.append(f"{name} in")
            inside.set()
            for suffix in (".vtt", ".srt", ".chapters.json"):
                publication.write_text(outputs.episode.with_suffix(suffix), name)
            publication.path(outputs.episode).write_bytes(name.encode())
            if hold:
                hold.wait(5)
            events.append(f"{name} out")
            publication.commit(name, {"audio_seconds": 1, "loudness": -16, "true_peak": -1})

    release = threading.Event()
    first = threading.Thread(target=publish, args=("first", release))
    first.start()
    inside.wait(5)
    second = threading.Thread(target=publish, args=("second", None))
    second.start()
    second.join(0.3)
    assert events == ["first in"]  # the second waits on the lock however long the first takes
    release.set()
    first.join(10), second.join(10)
    assert events == ["first in", "first out", "second in", "second out"]
    assert {p.read_text() for p in (tmp_path / "ep.vtt", tmp_path / "ep.srt", tmp_path / "ep.wav")} == {"second"}
    assert json.loads((tmp_path / ".ep.wav.radioplay.json").read_text())["key"] == "second"
    assert sorted(p.name for p in tmp_path.iterdir() if "partial" in p.name) == []


def test_stems_in_the_episodes_own_folder_own_only_the_stems(folder, store_dir):
    result = render(folder, folder / "c.md", "-o", folder / "ep.wav", "--report", folder / "r.json",
                    "--stems", folder)
    assert result.exit_code == 0, result.stderr
    owned = json.loads((folder / ".radioplay-stems.json").read_text())["files"]
    assert sorted(owned) == ["Ada.wav", "Marlow.wav", "_sfx.wav"]
    assert json.loads((folder / "r.json").read_text())["up_to_date"] is False


def test_a_foreign_beds_stem_is_refused_only_when_the_production_has_beds(folder, store_dir):
    stems = folder / "stems"
    stems.mkdir()
    (stems / "_beds.wav").write_bytes(b"someone's ambience")
    args = (folder / "c.md", "-o", folder / "ep.wav", "--stems", stems)
    assert render(folder, *args).exit_code == 0  # no beds: _beds.wav is not radioplay's to write
    assert (stems / "_beds.wav").read_bytes() == b"someone's ambience"
    (folder / "cast.toml").write_text(tone_cast_text() + '\n[production]\nroom_tone = "pink"\n', encoding="utf-8")
    assert_clean_error(render(folder, *args), "_beds.wav", "radioplay did not write")
    assert (stems / "_beds.wav").read_bytes() == b"someone's ambience"
