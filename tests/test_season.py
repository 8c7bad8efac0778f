"""A season in one command: several scripts, one queue of takes, each episode written as it completes."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radioplay.cache import TakeStore
from radioplay.cli import app
from radioplay.errors import ClusterError, InputError
from radioplay.pipeline import RenderOptions, execute, prepare
from radioplay.season import execute_season, prepare_season, season_plan, season_scripts
from radioplay.voice.synthesize import LocalExecutor
from tests.conftest import DIALOGUE, tone_cast_text

THIRD = "# Three\n\n**Ada**: Something else entirely, this time around.\n\n**Marlow**: It always does.\n"


def season_folder(tmp_path: Path) -> tuple[Path, Path]:
    folder = tmp_path / "scripts"
    folder.mkdir()
    (folder / "ep1.md").write_text(DIALOGUE, encoding="utf-8")
    (folder / "ep2.md").write_text(DIALOGUE.replace("You are late.", "You are early, for once."), encoding="utf-8")
    (folder / "ep3.md").write_text(THIRD, encoding="utf-8")
    (folder / "notes.txt").write_text("not a script", encoding="utf-8")
    cast = tmp_path / "tone.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    return folder, cast


def test_a_folder_stands_for_its_scripts_in_name_order(tmp_path):
    folder, _ = season_folder(tmp_path)
    assert [p.name for p in season_scripts([folder])] == ["ep1.md", "ep2.md", "ep3.md"]
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "ep1.md").write_text(THIRD, encoding="utf-8")
    with pytest.raises(InputError, match="same name"):
        season_scripts([folder, tmp_path / "other" / "ep1.md"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(InputError, match="no scripts"):
        season_scripts([tmp_path / "empty"])


def test_a_season_is_written_into_a_folder_not_a_file(tmp_path, store_dir):
    folder, cast = season_folder(tmp_path)
    target = tmp_path / "taken.mp3"
    target.write_bytes(b"")
    with pytest.raises(InputError, match="folder"):
        prepare_season([folder], RenderOptions(output=target, cast=cast))


def test_season_plan_counts_shared_takes_once(tmp_path, store_dir):
    folder, cast = season_folder(tmp_path)
    episodes = prepare_season([folder], RenderOptions(output=tmp_path / "out", cast=cast))
    plan = season_plan(episodes)
    per_episode = [p["synthesize"] for p in plan["episodes"]]
    distinct = {k for e in episodes for k in e.plan.keys}
    assert plan["takes"] == sum(len(e.plan.requests) for e in episodes)
    assert plan["synthesize"] == len(distinct)
    assert plan["shared"] == sum(per_episode) - len(distinct) > 0
    assert [Path(p["output"]).name for p in plan["episodes"]] == ["ep1.mp3", "ep2.mp3", "ep3.mp3"]


def test_season_renders_each_episode_as_a_single_render_would_and_voices_shared_takes_once(tmp_path, store_dir):
    folder, cast = season_folder(tmp_path)
    options = RenderOptions(output=tmp_path / "season", cast=cast, jobs=1)
    episodes = prepare_season([folder], options)
    distinct = {k for e in episodes for k in e.plan.keys}
    stored_when_published = []
    written = []

    def on_episode(episode, result):
        written.append(episode.output.name)
        stored_when_published.append(TakeStore(store_dir).info().count)

    result = execute_season(episodes, on_episode=on_episode, report=tmp_path / "season.json")
    # Each episode is published as soon as its own takes exist, in turn, before the season is voiced.
    assert written == ["ep1.mp3", "ep2.mp3", "ep3.mp3"]
    assert stored_when_published[0] < stored_when_published[1] < len(distinct) == stored_when_published[2]
    assert TakeStore(store_dir).info().count == len(distinct)
    report = json.loads((tmp_path / "season.json").read_text())
    assert [Path(e["script"]).name for e in report["episodes"]] == ["ep1.md", "ep2.md", "ep3.md"]
    assert report["totals"]["synthesized"] == len(distinct)
    assert report["totals"]["takes"] == sum(len(e.plan.requests) for e in episodes)
    assert report["totals"]["episodes"] == 3
    assert report["totals"]["audio_seconds"] == pytest.approx(sum(r.report["audio_seconds"] for r in result.episodes))

    # The same script rendered alone (from a fresh store) gives the same bytes.
    single = prepare(folder / "ep2.md", RenderOptions(output=tmp_path / "alone.mp3", cast=cast, jobs=1,
                                                      cache=tmp_path / "fresh"))
    execute(single)
    assert (tmp_path / "alone.mp3").read_bytes() == (tmp_path / "season" / "ep2.mp3").read_bytes()

    # A second run finds every episode up to date.
    again = execute_season(prepare_season([folder], options))
    assert [r.report["up_to_date"] for r in again.episodes] == [True, True, True]
    assert again.report["totals"]["synthesized"] == 0


def test_season_and_single_render_share_one_executor_interface(tmp_path, store_dir):
    """An executor only voices; the driver stores. A counting executor sees each distinct take once."""
    folder, cast = season_folder(tmp_path)
    episodes = prepare_season([folder], RenderOptions(output=tmp_path / "out", cast=cast, jobs=1))
    seen: list[str] = []

    class Counting(LocalExecutor):
        def voice(self, work):
            seen.extend(key for key, _ in work)
            # Episode by episode (so they complete in turn), each episode's takes longest first.
            first_use = {}
            for n, episode in enumerate(episodes):
                for key in episode.plan.keys:
                    first_use.setdefault(key, n)
            order = [(first_use[key], -len(request.text)) for key, request in work]
            assert order == sorted(order)
            yield from super().voice(work)

    execute_season(episodes, executor=Counting(episodes[0].settings, 1))
    assert len(seen) == len(set(seen)) == len({k for e in episodes for k in e.plan.keys})
    assert TakeStore(store_dir).info().count == len(seen)


def test_cli_season_and_dry_run(tmp_path, store_dir):
    folder, cast = season_folder(tmp_path)
    runner = CliRunner()
    dry = runner.invoke(app, ["render", str(folder / "ep1.md"), str(folder / "ep3.md"), "--cast", str(cast),
                              "-o", str(tmp_path / "out"), "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "season: 2 episodes" in dry.stdout
    assert not (tmp_path / "out" / "ep1.mp3").exists()
    done = runner.invoke(app, ["render", str(folder), "--cast", str(cast), "-o", str(tmp_path / "out"),
                               "--report", str(tmp_path / "r.json"), "-j", "2"])
    assert done.exit_code == 0, done.output
    assert sorted(p.name for p in (tmp_path / "out").glob("*.mp3")) == ["ep1.mp3", "ep2.mp3", "ep3.mp3"]
    report = json.loads((tmp_path / "r.json").read_text())
    assert len(report["episodes"]) == 3 and report["totals"]["episodes"] == 3
    bad = runner.invoke(app, ["render", str(folder), "--cast", str(cast), "--executor", "spark"])
    assert bad.exit_code == 2 and "local or ray" in bad.stderr


def test_ray_executor_without_ray_installed_is_a_clear_error(tmp_path, store_dir, monkeypatch):
    from radioplay.voice.ray_executor import RayExecutor
    from radioplay.voice.synthesize import EngineSettings

    monkeypatch.setitem(sys.modules, "ray", None)  # import ray now raises ImportError
    with pytest.raises(ClusterError, match=r"pip install 'radioplay\[ray\]'"):
        with RayExecutor(EngineSettings()):
            pass
