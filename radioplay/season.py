"""A season: several scripts rendered with one plan.

    episodes = prepare_season(["ep1.md", "ep2.md"], RenderOptions(output=Path("season/")))
    result = execute_season(episodes)

All the episodes' takes go into one queue (longest first; a take two episodes share is voiced once),
and each episode is mixed, mastered and published as soon as its own takes exist, while the rest of
the season is still being voiced.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from radioplay.errors import InputError
from radioplay.io import write_text_atomic
from radioplay.pipeline import (Prepared, RenderOptions, RenderResult, estimated_synthesis_seconds, finish,
                                open_executor, plan_summary, prepare, render_key, up_to_date_result)
from radioplay.publish.manifest import up_to_date_report
from radioplay.voice.synthesize import ProgressCallback, TakeExecutor, synthesize_plans

SCRIPT_SUFFIXES = (".md", ".markdown", ".fountain", ".spmd")
DEFAULT_SEASON_DIR = Path("output")


@dataclass
class SeasonResult:
    episodes: list[RenderResult]
    """One per script, in the order given."""
    report: dict


def season_scripts(paths: Sequence[str | Path]) -> list[Path]:
    """The scripts named, a folder standing for the scripts directly inside it (sorted by name)."""
    scripts: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found = sorted(p for p in path.iterdir() if p.is_file() and p.suffix.lower() in SCRIPT_SUFFIXES)
            if not found:
                raise InputError(f"{path}: no scripts ({', '.join(SCRIPT_SUFFIXES)}) in this folder")
            scripts.extend(found)
        else:
            scripts.append(path)
    stems: dict[str, Path] = {}
    for script in scripts:
        if script.stem in stems:
            raise InputError(f"{script}: same name as {stems[script.stem]}; both would be written to "
                             f"{script.stem}.*, so rename one")
        stems[script.stem] = script
    return scripts


def prepare_season(paths: Sequence[str | Path], options: RenderOptions | None = None,
                   suffix: str = ".mp3") -> list[Prepared]:
    """Prepare every script of the season; `options.output` is the folder the episodes go into
    (DIR/<script stem><suffix>, with their transcripts and chapters), and `options.report` is the
    season's report. Nothing is voiced."""
    options = options or RenderOptions()
    folder = Path(options.output) if options.output else DEFAULT_SEASON_DIR
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: a season is written into a folder, and this is a file")
    if options.stems or options.timeline:
        raise InputError("--stems and --timeline name one file or folder, so they render one script at a time")
    folder.mkdir(parents=True, exist_ok=True)
    return [prepare(script, dataclasses.replace(options, output=folder / f"{script.stem}{suffix}", report=None))
            for script in season_scripts(paths)]


def season_plan(episodes: Sequence[Prepared]) -> dict:
    """The --dry-run plan of a season: each episode's plan, and the season's distinct takes to voice
    (a take two episodes share counts once) with the estimated time for all of them."""
    plans = [{"script": str(e.script.path), "output": str(e.output), **plan_summary(e)} for e in episodes]
    missing = {}
    for e in episodes:
        for i in e.plan.unique_missing:
            missing.setdefault(e.plan.keys[i], e.plan.requests[i])
    jobs = episodes[0].jobs if episodes else 1
    return {"episodes": plans, "takes": sum(len(e.plan.requests) for e in episodes),
            "synthesize": len(missing), "reuse": sum(p["reuse"] for p in plans),
            "shared": sum(p["synthesize"] for p in plans) - len(missing),
            "estimated_seconds": round(estimated_synthesis_seconds(list(missing.values()), jobs), 1)}


def execute_season(episodes: Sequence[Prepared], on_take: ProgressCallback | None = None,
                   on_episode: Callable[[Prepared, RenderResult], None] | None = None,
                   executor: TakeExecutor | None = None, report: Path | None = None) -> SeasonResult:
    """Voice the season's missing takes as one queue and publish each episode as soon as its takes
    exist (`on_episode` hears of each). Episodes already up to date are not redone."""
    started = time.perf_counter()
    results: list[RenderResult | None] = [None] * len(episodes)
    keys = [render_key(e) for e in episodes]
    to_render = []
    for n, episode in enumerate(episodes):
        previous = None if episode.options.force else up_to_date_report(episode.outputs, keys[n])
        if previous is None:
            to_render.append(n)
            continue
        results[n] = up_to_date_result(episode, previous, on_take)
        if on_episode:
            on_episode(episode, results[n])

    def publish(i: int, takes) -> None:
        n = to_render[i]
        episode = episodes[n]
        episode.seconds["synthesize"] = time.perf_counter() - voicing_started
        started = voicing_started - episode.seconds.get("parse", 0.0) - episode.seconds.get("plan", 0.0)
        results[n] = finish(episode, takes, keys[n], started)
        if on_episode:
            on_episode(episode, results[n])

    voicing_started = time.perf_counter()
    if to_render:
        first = episodes[to_render[0]]
        with open_executor(first, executor) as voicing:
            synthesize_plans([episodes[n].plan for n in to_render], first.store, voicing, on_take, publish)
    done = [r for r in results if r is not None]
    season = season_report(episodes, done, time.perf_counter() - started)
    if report:
        write_text_atomic(report, json.dumps(season, indent=2) + "\n")
    return SeasonResult(done, season)


def season_report(episodes: Sequence[Prepared], results: Sequence[RenderResult], seconds: float) -> dict:
    entries = [{"script": str(e.script.path), **r.report} for e, r in zip(episodes, results)]
    distinct = set()
    for e in episodes:
        distinct.update(e.plan.keys)
    totals = {
        "episodes": len(entries),
        "takes": sum(len(e.plan.requests) for e in episodes),
        "distinct_takes": len(distinct),
        "synthesized": len({t.key for r in results for t in r.takes if not t.reused}),
        "audio_seconds": round(sum(x.get("audio_seconds", 0.0) for x in entries), 3),
        "up_to_date": sum(1 for x in entries if x.get("up_to_date")),
        "seconds": round(seconds, 3),
    }
    return {"episodes": entries, "totals": totals}
