"""Long episodes in bounded memory (issue 15): peak RSS and wall time of whole renders, tone engine, MP3.

    .venv/bin/python bench/long.py [--against REV] [--stems] [--hours H] [--cues N]

Writes a three-character script of N cues (default 2,000, about 45 minutes with the `tone` engine)
and renders it to MP3 in a child process, whose peak RSS and CPU time come from its own rusage
(os.wait4; the takes are voiced beforehand, so only the render from the take store is measured);
with `--against REV` the same script is rendered in the same run by radioplay as it was at REV (a
`git worktree` of it, with this tree's venv), so the wall-time ratio is taken in one run; `--stems`
renders it again with --stems (the stems must add no more than the block buffers); `--hours H`
also renders an H-hour episode (2,000 cues per 45 minutes), then the 45-minute one again, and
compares its time with the mean of the two 45-minute times. Each figure is printed beside its goal.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CUES_45_MIN = 2_000
RSS_GOAL_MB = 1_000
"""45 minutes: at most 1.0 GB peak RSS (4.76 GB before issue 15)."""
LONG_RSS_GOAL_MB = 1_500
LONG_TIME_GOAL = 15.0
"""An episode of hours: at most 1.5 GB, in at most 15x the 45-minute time."""
MAX_HOURS = 48
"""The episode-length limit for these renders: the estimate (14 characters a second) puts these short
tone lines at about twice their length, over the 12-hour default."""
CHARACTERS = (("Ada", "high", -0.4), ("Marlow", "low", 0.4), ("Quill", "mid", 0.0))
# Each line is a phrase and the cue's number as five digit words: 45 characters that the normalizer
# leaves as they are, so every line is 0.1 + 0.02 * 45 = 1.0 s of tone (1.35 s with the gap and the
# take margins: 2,000 cues make 45 minutes) and an episode's length is proportional to its cues. (Numbers in the text were spelled
# out, so later lines were longer: the "10-hour" script of 26,667 cues made 17.8x the 45-minute tone.)
DIGIT_WORDS = ("ammo", "bell", "cord", "dusk", "echo", "fern", "gust", "hill", "iris", "jade")


def line(i: int) -> str:
    return "The tide is turning, " + " ".join(DIGIT_WORDS[int(d)] for d in f"{i:05d}")


# Run radioplay's CLI with the package found first in argv[1].
_CLI = "import sys; sys.path.insert(0, sys.argv.pop(1)); from radioplay.cli import main; sys.argv[0] = 'radioplay'; main()"
# Voice a script's missing takes into a take store, and nothing else (argv: tree, script, cast, cache).
_VOICE = ("import sys; sys.path.insert(0, sys.argv[1]); from pathlib import Path; "
          "from radioplay.limits import Limits; from radioplay.pipeline import RenderOptions, prepare; "
          "from radioplay.voice.synthesize import synthesize_takes; "
          "p = prepare(sys.argv[2], RenderOptions(output=Path(sys.argv[5]), cast=Path(sys.argv[3]), cache=Path(sys.argv[4]), "
          "limits=Limits(episode_hours=float(sys.argv[6])))); "
          "synthesize_takes(p.plan, p.store, p.registry, p.settings, jobs=p.jobs)")


def write_inputs(folder: Path, cues: int) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    lines = ["# A long one", ""]
    for i in range(cues):
        name = CHARACTERS[i % len(CHARACTERS)][0]
        lines += [f"**{name}:** {line(i)}", ""]
    script = folder / "long.md"
    script.write_text("\n".join(lines), encoding="utf-8")
    cast = folder / "long.toml"
    cast.write_text("".join(f'[characters.{n}]\nengine = "tone"\nvoice = "{v}"\npan = {p}\n\n'
                            for n, v, p in CHARACTERS), encoding="utf-8")
    return script, cast


def voice(script: Path, cast: Path, cache: Path) -> None:
    """Fill the take store with the script's takes (synthesis only: no mix, no master)."""
    subprocess.run([sys.executable, "-c", _VOICE, str(REPO), str(script), str(cast), str(cache),
                    str(script.with_suffix(".mp3")), str(MAX_HOURS)], check=True)


def run(tree: Path, script: Path, cast: Path, out: Path, cache: Path, *extra: str) -> tuple[float, float, float]:
    """(wall seconds, peak RSS MB, CPU seconds) of `radioplay render` from `tree` in a child process;
    its report goes to OUT.json."""
    args = [sys.executable, "-c", _CLI, str(tree), "render", str(script), "--cast", str(cast), "-o", str(out),
            "--cache", str(cache), "--force", "--max-episode-hours", str(MAX_HOURS),
            "--report", str(out.with_suffix(".json")), *extra]
    start = time.perf_counter()
    child = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(child.pid, 0)
    wall = time.perf_counter() - start
    if os.waitstatus_to_exitcode(status):
        raise SystemExit(f"{' '.join(args)} failed: {child.stderr.read().decode(errors='replace')}")
    child.stderr.close()
    return wall, usage.ru_maxrss / 1024, usage.ru_utime + usage.ru_stime


def audio_hours(out: Path) -> float:
    return json.loads(out.with_suffix(".json").read_text())["audio_seconds"] / 3600


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--against", metavar="REV", help="also render with radioplay at this git revision")
    parser.add_argument("--stems", action="store_true", help="also render the 45-minute episode with --stems")
    parser.add_argument("--hours", type=float, default=None, help="also render an episode this many hours long")
    parser.add_argument("--cues", type=int, default=CUES_45_MIN, help="cues of the 'short' episode")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="radioplay-long-"))
    script, cast = write_inputs(work / "short", args.cues)
    cache = work / "takes"
    # Synthesis is not what is measured: fill the take store once, then every render reuses it.
    voice(script, cast, cache)
    wall, rss, cpu = run(REPO, script, cast, work / "now.mp3", cache)
    print(f"{args.cues} cues ({audio_hours(work / 'now.mp3'):.2f} h), this tree: wall {wall:6.1f} s "
          f"(CPU {cpu:6.1f} s), peak RSS {rss:6.0f} MB "
          f"(goal <= {RSS_GOAL_MB} MB: {verdict(rss <= RSS_GOAL_MB)})", flush=True)
    if args.against:
        tree = work / "against"
        subprocess.run(["git", "-C", str(REPO), "worktree", "add", "--detach", str(tree), args.against],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            run(tree, script, cast, work / "then-warm.mp3", cache)  # its takes, should its keys differ
            old_wall, old_rss, old_cpu = run(tree, script, cast, work / "then.mp3", cache)
            wall, rss, cpu = run(REPO, script, cast, work / "now.mp3", cache)  # again, right after it
        finally:
            subprocess.run(["git", "-C", str(REPO), "worktree", "remove", "--force", str(tree)], check=False)
        print(f"{args.cues} cues, {args.against}: wall {old_wall:6.1f} s (CPU {old_cpu:6.1f} s), "
              f"peak RSS {old_rss:6.0f} MB; this tree again: wall {wall:6.1f} s (CPU {cpu:6.1f} s)", flush=True)
        print(f"  wall ratio this/{args.against}: {wall / old_wall:.2f} (goal <= 1.00: "
              f"{verdict(wall <= old_wall)}); CPU ratio {cpu / old_cpu:.2f}; memory {old_rss / rss:.1f}x less",
              flush=True)
    if args.stems:
        stems_wall, stems_rss, _ = run(REPO, script, cast, work / "stems.mp3", cache, "--stems", str(work / "stems"))
        print(f"{args.cues} cues, --stems:     wall {stems_wall:6.1f} s, peak RSS {stems_rss:6.0f} MB "
              f"(+{stems_rss - rss:.0f} MB over no stems; goal: the block buffers, a few MB)", flush=True)
    if args.hours:
        cues = int(round(args.cues * args.hours * 60 / 45))
        long_script, long_cast = write_inputs(work / "long", cues)
        voice(long_script, long_cast, cache)
        long_wall, long_rss, long_cpu = run(REPO, long_script, long_cast, work / "long.mp3", cache)
        # the short one again right after: the long one is compared with both, so a load that
        # changes over its minutes weighs on both sides alike
        again_wall, _, again_cpu = run(REPO, script, cast, work / "now.mp3", cache)
        print(f"{args.cues} cues again after it: wall {again_wall:6.1f} s (CPU {again_cpu:6.1f} s)", flush=True)
        wall, cpu = (wall + again_wall) / 2, (cpu + again_cpu) / 2
        hours, short_hours = audio_hours(work / "long.mp3"), audio_hours(work / "now.mp3")
        print(f"{cues} cues ({hours:.2f} h, {hours / short_hours:.2f}x the audio): wall {long_wall:6.1f} s "
              f"(CPU {long_cpu:6.1f} s), "
              f"peak RSS {long_rss:6.0f} MB (goal <= {LONG_RSS_GOAL_MB} MB: {verdict(long_rss <= LONG_RSS_GOAL_MB)}); "
              f"{long_wall / wall:.1f}x the {args.cues}-cue time, the mean of both (goal <= {LONG_TIME_GOAL:g}x: "
              f"{verdict(long_wall <= LONG_TIME_GOAL * wall)}; CPU {long_cpu / cpu:.1f}x)", flush=True)


if __name__ == "__main__":
    main()
