"""Render benchmark: every figure is a ratio of two timings taken in this one run.

    .venv/bin/python bench/render.py [--script PATH] [--cast PATH] [--whole-speech REV] [--overhead]

Each figure is printed beside its goal (issue 14):

1. edits anywhere   one word changed in every spoken line, one at a time, each against the same warm
                    store with MP3 output: the render's time / a cold render (worst <= 0.15, median
                    <= 0.10), and the audio synthesized / the edited sentence's length (<= 1.1)
2. naive pipeline   cold render with --no-check / the same engines called line by line, pydub `+`,
                    pyloudnorm (<= 0.85); with the check too (report). `--peer-only` runs this alone
3. unchanged        re-render with nothing changed / cold render (<= 0.05); with --force (the fixed
                    cost of any re-render: parse, plan, mix, master, export, decoded check) / cold
4. parallelism      cold --jobs 1 / cold --jobs 2, and --jobs 2 with 2 threads per worker / 1 thread
5. listening        the episode's duration with sentence takes / with whole-speech takes, rendered
                    by radioplay at git revision --whole-speech (within 3%); its cold time is shown too
6. mixer scaling    mix+master of 2,000 tone cues / 200 tone cues (<= 12)
7. --overhead       cold --jobs 1 / the same sentence takes voiced by the engines in a plain loop

Renders are in-process library calls (the CLI adds about 1 s of Python start-up), with the CLI's
allocator settings (`radioplay.cli.reuse_freed_blocks`); every cold render has its own empty take store.
"""

from __future__ import annotations

import argparse
import io
import json
import re
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"
WHOLE_SPEECH_REVISION = "bb17a21"
"""The last revision that voiced a whole speech (or segment) per take."""
EDIT_WORD = "particular"
"""The word each edit puts in place of one word of a line (it is not in the seed)."""


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def render(script: Path, out: Path, cache: Path, jobs: int | None = None, cast: Path | None = None,
           force: bool = False, threads: int | None = None, check: bool = True):
    from radioplay.check.stage import CheckOptions
    from radioplay.pipeline import RenderOptions, render as run

    return run(script, RenderOptions(output=out, cache=cache, jobs=jobs, cast=cast, force=force,
                                     threads=threads, check=CheckOptions(enabled=check)))


def peer_figures(script: Path, work: Path, cast: Path | None) -> list[tuple[str, float, str]]:
    """Figure 2 alone: cold renders with and without the check against the naive pipeline, which
    checks nothing (issue 14 compares it with --no-check). Both sides' stages are printed, so the
    synthesis can be compared apart from what each does around it."""
    unchecked, result = timed(render, script, work / "nocheck.mp3", work / "nocheck-cache", 2, cast, check=False)
    stages = result.report["seconds"]
    print(f"cold render --jobs 2 --no-check {unchecked:8.2f} s   stages {json.dumps(stages)}", flush=True)
    naive, naive_stages = naive_pipeline(script, work / "naive-cache", cast, work / "naive.wav")
    print(f"naive pipeline (line by line)   {naive:8.2f} s   stages {json.dumps(naive_stages)}", flush=True)
    checked, checked_result = timed(render, script, work / "checked.mp3", work / "checked-cache", 2, cast)
    print(f"cold render --jobs 2 (check)    {checked:8.2f} s   stages {json.dumps(checked_result.report['seconds'])}",
          flush=True)
    after = unchecked - stages["synthesize"]
    naive_after = naive - naive_stages["synthesize"]
    print(f"around the synthesis: radioplay {after:.2f} s (parse, plan, mix, master, MP3, its check), "
          f"naive {naive_after:.2f} s (plan, pydub, pyloudnorm, WAV)")
    return [("cold render --no-check / naive pipeline", unchecked / naive, "<= 0.85"),
            ("  synthesis alone: radioplay's pool / naive's loop", stages["synthesize"] / naive_stages["synthesize"],
             "report"),
            ("cold render with the check / naive pipeline", checked / naive, "report")]


def pure_engine_seconds(script: Path, cache: Path, cast: Path | None) -> float:
    """The same sentence takes, each engine called directly in a loop (models loaded before timing)."""
    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.voice.synthesize import voice_take

    prepared = prepare(script, RenderOptions(cache=cache, cast=cast, jobs=1))
    requests = [prepared.plan.requests[i] for i in prepared.plan.unique_missing]
    for engine in {r.spec.engine for r in requests}:  # load models outside the timed loop
        voice_take(prepared.registry, next(r for r in requests if r.spec.engine == engine))
    start = time.perf_counter()
    for request in requests:
        voice_take(prepared.registry, request)
    return time.perf_counter() - start


def naive_pipeline(script: Path, cache: Path, cast: Path | None, out: Path) -> tuple[float, dict[str, float]]:
    """What people write first: voice each line whole, join with pydub `+`, normalize with pyloudnorm.
    Returns its time and that time by stage."""
    import pyloudnorm
    import soundfile as sf
    from pydub import AudioSegment

    from radioplay.model import TakeRequest
    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.voice.lexicon import merge_lexicons
    from radioplay.voice.synthesize import voice_take
    from radioplay.voice.text import prepare_text

    stages = {"prepare": 0.0, "synthesize": 0.0, "join": 0.0}
    start = mark = time.perf_counter()

    def lap(stage: str) -> None:
        nonlocal mark
        now = time.perf_counter()
        stages[stage] = stages.get(stage, 0.0) + now - mark
        mark = now

    prepared = prepare(script, RenderOptions(cache=cache, cast=cast, jobs=1))
    episode = AudioSegment.silent(duration=500, frame_rate=44_100)
    lap("prepare")
    for cue in prepared.script.cues:
        for part in cue.parts:
            spec = prepared.casting.characters[part.speaker]
            lexicon = merge_lexicons(prepared.casting.lexicon, dict(spec.lexicon))
            text = " ".join(prepare_text(s.text, lexicon) for s in part.segments).strip()
            if not text:
                continue
            audio = voice_take(prepared.registry, TakeRequest(0, 0, 0, part.speaker, text, spec,
                                                              spec.speed, spec.pitch))
            lap("synthesize")
            pcm = (np.clip(audio.samples, -1, 1) * 32767).astype(np.int16)
            clip = AudioSegment(pcm.tobytes(), frame_rate=audio.sample_rate, sample_width=2, channels=1)
            episode = episode + clip.set_frame_rate(44_100) + AudioSegment.silent(duration=400, frame_rate=44_100)
            lap("join")
    samples = np.array(episode.get_array_of_samples(), dtype=np.float32) / 32768.0
    meter = pyloudnorm.Meter(44_100)
    normalized = pyloudnorm.normalize.loudness(samples, meter.integrated_loudness(samples), -16.0)
    lap("loudness")
    sf.write(out, np.clip(normalized, -1, 1), 44_100)
    lap("write")
    return time.perf_counter() - start, stages


def mixer_seconds(cues: int) -> float:
    from radioplay.master import master
    from radioplay.mix import Timing, mix
    from radioplay.model import Casting, Cue, Delivery, Part, Script, Segment, Take, VoiceSpec
    from radioplay.voice.engines.tone import ToneEngine

    engine = ToneEngine()
    specs = {"A": VoiceSpec("tone", "low", pan=-0.3), "B": VoiceSpec("tone", "high", pan=0.3)}
    script_cues, takes = [], []
    for i in range(cues):
        speaker = "AB"[i % 2]
        text = f"Line {i} of the scaling test, spoken plainly."
        seg = Segment(text, None, i + 1, 1)
        script_cues.append(Cue("line", (speaker,), text, None, i + 1, 1, parts=(Part(speaker, (seg,)),)))
        takes.append(Take(engine.synthesize(text, specs[speaker], 1.0, 0), i, 0, 0, speaker))
    script = Script("scaling", script_cues)
    casting = Casting(specs)
    start = time.perf_counter()
    mixed = mix(script, takes, casting, [Delivery()] * cues, Timing(), sample_rate=44_100, channels=2)
    master(mixed.samples, mixed.sample_rate, target_lufs=-16.0, true_peak_db=-1.0)
    return time.perf_counter() - start


# --------------------------------------------------------------------------- edits anywhere


def one_word_edits(script: Path) -> list[tuple[int, str]]:
    """For every spoken line: (its source line number, the script with one word of it replaced).

    The word changed is the plain word nearest the middle of the line's first paragraph, so the
    edit lands inside a sentence, often a long one."""
    from radioplay.parse import load_script

    source = script.read_text(encoding="utf-8")
    lines = source.splitlines(keepends=True)
    edits = []
    for cue in load_script(script).lines:
        row = lines[cue.line - 1]
        words = [m for m in re.finditer(r"(?<![\w*\[(/.'-])[A-Za-z]{3,}(?![\w*\])/'-]|\.\w)", row)
                 if m.start() > row.find(":")]
        if not words:
            continue
        middle = min(words, key=lambda m: abs((m.start() + m.end()) / 2 - len(row) / 2))
        lines[cue.line - 1] = row[:middle.start()] + EDIT_WORD + row[middle.end():]
        edits.append((cue.line, "".join(lines)))
        lines[cue.line - 1] = row
    return edits


def edit_figures(script: Path, episode: Path, cache: Path, cast: Path | None, cold: float, work: Path) -> list[dict]:
    rows = []
    for number, text in one_word_edits(script):
        edited = work / "edited.md"
        edited.write_text(text, encoding="utf-8")
        seconds, result = timed(render, edited, episode, cache, None, cast)
        new = [t for t in result.takes if not t.reused]
        synthesized = sum(t.audio.duration for t in {t.key: t for t in new}.values())
        sentence = sum(t.audio.duration for t in result.takes if EDIT_WORD in t.written)
        rows.append({"line": number, "seconds": seconds, "cost": seconds / cold, "takes": len({t.key for t in new}),
                     "synthesized": synthesized, "sentence": sentence,
                     "audio_ratio": synthesized / sentence if sentence else float("inf"),
                     "stages": result.report["seconds"]})
    return rows


# --------------------------------------------------------------------------- whole-speech reference

_CHILD = """
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
import radioplay
from radioplay.pipeline import RenderOptions, render
assert radioplay.__file__.startswith(sys.argv[1]), radioplay.__file__
cast = Path(sys.argv[5]) if sys.argv[5] else None
start = time.perf_counter()
report = render(Path(sys.argv[2]), RenderOptions(output=Path(sys.argv[3]), cache=Path(sys.argv[4]),
                                                 cast=cast)).report
print(json.dumps({"seconds": time.perf_counter() - start, "report": report}))
"""


def whole_speech_render(revision: str, script: Path, work: Path, cast: Path | None) -> dict:
    """A cold render by radioplay at `revision` (one take per segment), in a fresh process."""
    archive = subprocess.run(["git", "-C", str(REPO), "archive", revision, "radioplay"],
                             check=True, capture_output=True).stdout
    root = work / "whole-speech-code"
    root.mkdir()
    with tarfile.open(fileobj=io.BytesIO(archive)) as tar:
        tar.extractall(root)  # our own repository's files
    done = subprocess.run([sys.executable, "-c", _CHILD, str(root), str(script), str(work / "whole.mp3"),
                           str(work / "whole-cache"), str(cast or "")],
                          check=True, capture_output=True, text=True, cwd=work)
    return json.loads(done.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- main


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", type=Path, default=SEED)
    parser.add_argument("--cast", type=Path, default=None)
    parser.add_argument("--whole-speech", metavar="REV", default=WHOLE_SPEECH_REVISION,
                        help="git revision that voiced whole speeches (the listening reference)")
    parser.add_argument("--skip-peer", action="store_true", help="leave out the naive pipeline")
    parser.add_argument("--skip-edits", action="store_true", help="leave out the edits anywhere")
    parser.add_argument("--overhead", action="store_true", help="also time the engines in a plain loop")
    parser.add_argument("--peer-only", action="store_true",
                        help="only figure 2: cold renders with and without the check against the naive pipeline")
    args = parser.parse_args()
    from radioplay.cli import reuse_freed_blocks

    reuse_freed_blocks()  # the CLI's allocator settings, for both pipelines of this process
    if not args.script.exists():
        raise SystemExit(f"bench: no script at {args.script}")

    work = Path(tempfile.mkdtemp(prefix="radioplay-bench-"))
    figures: list[tuple[str, float, str]] = []  # (name, value, goal)
    try:
        script = work / "script.md"
        shutil.copy(args.script, script)
        if args.peer_only:
            for name, value, goal in peer_figures(script, work, args.cast):
                print(f"{value:7.3f}  {name:58s} goal {goal}")
            return

        whole = whole_speech_render(args.whole_speech, script, work, args.cast)
        print(f"whole-speech render @{args.whole_speech}  {whole['seconds']:8.2f} s   "
              f"{whole['report']['takes']} takes, {whole['report']['audio_seconds']:.2f} s of audio", flush=True)
        cold2, result2 = timed(render, script, work / "ep2.mp3", work / "cache2", 2, args.cast)
        report2 = result2.report
        print(f"cold render --jobs 2          {cold2:8.2f} s   {report2['takes']} takes, "
              f"{report2['audio_seconds']:.2f} s of audio   stages {json.dumps(report2['seconds'])}", flush=True)
        cold1, result1 = timed(render, script, work / "ep1.mp3", work / "cache1", 1, args.cast)
        print(f"cold render --jobs 1          {cold1:8.2f} s   stages {json.dumps(result1.report['seconds'])}",
              flush=True)
        cold22, result22 = timed(render, script, work / "ep22.mp3", work / "cache22", 2, args.cast, threads=2)
        print(f"cold --jobs 2 --threads 2     {cold22:8.2f} s   stages {json.dumps(result22.report['seconds'])}",
              flush=True)
        cold, episode, cache = cold2, work / "ep2.mp3", work / "cache2"  # the default: one job per core

        if not args.skip_peer:
            figures += peer_figures(script, work, args.cast)
        same, same_result = timed(render, script, episode, cache, None, args.cast)
        print(f"unchanged (up to date)        {same:8.2f} s   synthesized {same_result.report['synthesized']}")
        remix, remix_result = timed(render, script, episode, cache, None, args.cast, force=True)
        print(f"unchanged, --force            {remix:8.2f} s   synthesized {remix_result.report['synthesized']}   "
              f"stages {json.dumps(remix_result.report['seconds'])}", flush=True)
        figures.append(("unchanged re-render / cold", same / cold, "<= 0.05"))
        figures.append(("fixed cost (--force re-render) / cold", remix / cold, "<= 0.06 (fixedcost helper)"))

        if not args.skip_edits:
            rows = edit_figures(script, episode, cache, args.cast, cold, work)
            for row in rows:
                print(f"edit line {row['line']:3d}   {row['seconds']:6.2f} s  {row['cost']:.3f}x cold   "
                      f"{row['takes']} take(s), {row['synthesized']:.2f} s synthesized for a "
                      f"{row['sentence']:.2f} s sentence   stages {json.dumps(row['stages'])}", flush=True)
            costs = [r["cost"] for r in rows]
            figures.append((f"edits anywhere ({len(rows)} lines): worst / cold", max(costs), "<= 0.15"))
            figures.append(("edits anywhere: median / cold", statistics.median(costs), "<= 0.10"))
            figures.append(("edits anywhere: most audio synthesized / edited sentence",
                            max(r["audio_ratio"] for r in rows), "<= 1.10"))

        figures.append(("parallel speed-up: cold --jobs 1 / --jobs 2", cold1 / cold2, "report"))
        figures.append(("threads: cold --jobs 2 --threads 2 / --threads 1", cold22 / cold2, "report"))
        figures.append(("duration: sentence takes / whole-speech takes",
                        report2["audio_seconds"] / whole["report"]["audio_seconds"], "within 0.97-1.03"))
        figures.append(("cold render: sentence takes / whole-speech takes", cold / whole["seconds"], "report"))
        small, large = mixer_seconds(200), mixer_seconds(2000)
        figures.append(("mixer scaling (2000 / 200 tone cues)", large / small, "<= 12"))
        if args.overhead:
            pure = pure_engine_seconds(script, work / "pure-cache", args.cast)
            figures.append(("pipeline overhead (cold --jobs 1 / pure engine loop)", cold1 / pure, "<= 1.10"))
        print()
        for name, value, goal in figures:
            print(f"{value:7.3f}  {name:58s} goal {goal}")
        print("(timings are in-process library calls; the CLI adds about 1 s of Python start-up)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
