"""Scaling benchmark: every figure is a ratio of two timings taken in this one run.

    .venv/bin/python bench/scale.py [--delay 0.2] [--real] [--script PATH]

1. executor overhead  the seed rendered with the Ray executor (a local 2-CPU cluster, 2 actors) /
                      with the local process pool (--jobs 2), each from an empty take store: the
                      render on the running cluster (goal <= 1.15), and counting the cluster's
                      start and stop (`--repeat N` runs it N times)
2. season             four scripts (the seed cut into four episodes) in one `radioplay render`
                      command / the same four in four commands, each from an empty store
3. serial share       mix + master + export / the whole render, from the reports
4. driver per take    what the driver spends on each take that comes back (storing it: hash, write,
                      rename) / the take's audio length, for the seed's average take

The workload is the tone engine slowed to `--delay` seconds per take by RADIOPLAY_TONE_DELAY (a
fixed, repeatable cost on a shared machine); `--real` also runs figure 1 with the default cast (Piper and Kokoro).
Ray needs loopback-only addresses here, so the script re-runs itself under `unshare -n`.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"
VOICES = ["low", "high", "mid", "alto"]
DELAY_ENV = "RADIOPLAY_TONE_DELAY"


def tone_cast(script: Path, path: Path) -> Path:
    """Every speaker on the tone engine (slowed by RADIOPLAY_TONE_DELAY, which main sets)."""
    from radioplay.parse import load_script

    speakers = sorted({part.speaker for cue in load_script(script).cues for part in cue.parts})
    path.write_text("".join(f'[characters."{name}"]\nengine = "tone"\nvoice = "{VOICES[n % 4]}"\n\n'
                            for n, name in enumerate(speakers)), encoding="utf-8")
    return path


def split_script(script: Path, parts: int, folder: Path) -> list[Path]:
    """The script cut into `parts` consecutive episodes with as many speeches each (notes between
    speeches stay with the speech before them), each with its own title."""
    blocks = [b for b in script.read_text(encoding="utf-8").split("\n\n") if b.strip()]
    title, body = blocks[0], blocks[1:]
    speeches: list[list[str]] = []
    for block in body:
        if block.lstrip().startswith("**") or not speeches:
            speeches.append([block])
        else:
            speeches[-1].append(block)
    size = -(-len(speeches) // parts)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n in range(parts):
        path = folder / f"episode{n + 1}.md"
        chunk = [block for speech in speeches[n * size:(n + 1) * size] for block in speech]
        path.write_text(f"{title} ({n + 1})\n\n" + "\n\n".join(chunk) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def render_once(script: Path, cast: Path | None, cache: Path, out: Path, executor: str, jobs: int):
    from radioplay.pipeline import RenderOptions, execute, prepare
    from radioplay.voice.ray_executor import RayExecutor

    prepared = prepare(script, RenderOptions(output=out, cast=cast, cache=cache, jobs=jobs, executor=executor))
    start = time.perf_counter()
    if executor == "local":
        result = execute(prepared)
        return time.perf_counter() - start, 0.0, 0.0, result
    with RayExecutor(prepared.settings, workers=jobs) as ray_executor:
        opened = time.perf_counter()
        result = execute(prepared, executor=ray_executor)
        executed = time.perf_counter()
    closed = time.perf_counter()
    return closed - start, opened - start, closed - executed, result


def executor_overhead(script: Path, cast: Path | None, work: Path, label: str) -> dict:
    local_s, _, _, local = render_once(script, cast, work / f"{label}-local-takes", work / f"{label}-local.wav",
                                       "local", 2)
    ray_s, start_s, stop_s, remote = render_once(script, cast, work / f"{label}-ray-takes", work / f"{label}-ray.wav",
                                                 "ray", 2)
    render_s = ray_s - start_s - stop_s
    same = (work / f"{label}-local.wav").read_bytes() == (work / f"{label}-ray.wav").read_bytes()
    takes = local.report["synthesized"]
    print(f"1. executor overhead ({label}): {takes} takes, {local.report['audio_seconds']:.0f} s of audio")
    print(f"   local pool --jobs 2: {local_s:.1f} s   ray, 2 actors: {render_s:.1f} s with the cluster up "
          f"(+ cluster start {start_s:.1f} s, stop {stop_s:.1f} s)   episodes identical: {same}")
    print(f"   ray / local, the render on a running cluster: {render_s / local_s:.3f} (goal <= 1.15)   "
          f"counting the cluster's start and stop: {ray_s / local_s:.3f}")
    return {"local": local.report, "ray": remote.report, "local_s": local_s, "ray_s": ray_s, "start_s": start_s,
            "stop_s": stop_s, "render_s": render_s}


def cli(*args: str, cache: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "radioplay"), "render", *args, "-j", "2"], check=True,
                   env={**os.environ, "RADIOPLAY_CACHE": str(cache)}, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def season(script: Path, work: Path) -> None:
    episodes = split_script(script, 4, work / "season-scripts")
    cast = tone_cast(script, work / "season-cast.toml")
    separate = sum(cli(str(e), "--cast", str(cast), "-o", str(work / "separate" / f"{e.stem}.mp3"),
                       cache=work / "separate-takes") for e in episodes)
    together = cli(*map(str, episodes), "--cast", str(cast), "-o", str(work / "together"),
                   "--report", str(work / "season.json"), cache=work / "together-takes")
    same = all((work / "separate" / f"{e.stem}.mp3").read_bytes() == (work / "together" / f"{e.stem}.mp3").read_bytes()
               for e in episodes)
    totals = json.loads((work / "season.json").read_text())["totals"]
    print(f"2. season of four ({totals['distinct_takes']} takes, {totals['audio_seconds']:.0f} s of audio): "
          f"one command {together:.1f} s / four commands {separate:.1f} s = {together / separate:.3f}"
          f"   episodes identical: {same}")


def serial_share(report: dict, label: str) -> None:
    s = report["seconds"]
    serial = s["mix"] + s["master"] + s["export"]
    print(f"3. serial share ({label}): mix {s['mix']:.2f} + master {s['master']:.2f} + export {s['export']:.2f} "
          f"= {serial:.2f} s of {s['total']:.2f} s = {serial / s['total']:.3f}; per audio second "
          f"{serial / report['audio_seconds'] * 1000:.1f} ms")


def driver_cost(report: dict) -> None:
    import numpy as np

    from radioplay.cache import TakeStore
    from radioplay.model import Audio

    seconds_per_take = report["audio_seconds"] / max(1, report["takes"])
    rng = np.random.default_rng(0)
    samples = rng.uniform(-0.5, 0.5, int(24_000 * seconds_per_take)).astype(np.float32)
    with tempfile.TemporaryDirectory() as folder:
        store = TakeStore(folder)
        count = 200
        start = time.perf_counter()
        for n in range(count):
            store.put(f"{n:064x}", Audio(samples, 24_000), {"text": "bench"})
        per_take = (time.perf_counter() - start) / count
    print(f"4. driver per take: storing a {seconds_per_take:.2f} s take takes {per_take * 1000:.2f} ms = "
          f"{per_take / seconds_per_take * 1000:.2f} ms per audio second")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", type=Path, default=SEED)
    parser.add_argument("--delay", type=float, default=0.2, help="tone engine seconds per take")
    parser.add_argument("--real", action="store_true", help="also figure 1 with the default cast (Piper, Kokoro)")
    parser.add_argument("--repeat", type=int, default=1, help="figure 1 (tone engine) this many times")
    parser.add_argument("--no-season", action="store_true", help="skip figure 2")
    args = parser.parse_args()
    if os.environ.get("RADIOPLAY_RAY_NETNS") != "1":
        command = "ip link set lo up && exec " + " ".join(map(str, [sys.executable, *sys.argv]))
        os.execvpe("unshare", ["unshare", "-n", "sh", "-c", command], {**os.environ, "RADIOPLAY_RAY_NETNS": "1"})
    work = Path(tempfile.mkdtemp(prefix="radioplay-scale-"))
    try:
        script = work / "seed.md"
        shutil.copy(args.script, script)
        os.environ[DELAY_ENV] = str(args.delay)  # pool workers, Ray workers and CLI runs all inherit it
        for n in range(args.repeat):
            tone = executor_overhead(script, tone_cast(script, work / "tone.toml"), work,
                                     f"tone engine, {args.delay} s per take, run {n + 1}")
        serial_share(tone["local"], "tone engine, local")
        driver_cost(tone["local"])
        if not args.no_season:
            season(script, work)
        if args.real:
            real = executor_overhead(script, None, work, "default cast: Piper + Kokoro")
            serial_share(real["local"], "default cast, local")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
