"""Render benchmark: every figure is a ratio of two timings taken in this one run.

    python bench/render.py [--script PATH] [--quick]

1. pipeline overhead  cold render (--jobs 1) / the same takes voiced by the engines in a plain loop
2. one-line edit      re-render after changing one word in one line / cold render
3. unchanged          re-render with nothing changed / cold render (also with --force: full re-mix)
4. peer               naive pipeline (engines in a loop, pydub `+`, pyloudnorm) / radioplay cold render
5. mixer scaling      mix+master of 2,000 tone cues / 200 tone cues
6. parallelism        cold render --jobs 1 / cold render --jobs 2
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def timed(fn, *args, **kwargs):
    start = time.perf_counter()
    result = fn(*args, **kwargs)
    return time.perf_counter() - start, result


def render(script: Path, out: Path, cache: Path, jobs: int | None = None, cast: Path | None = None,
           force: bool = False):
    from radioplay.pipeline import RenderOptions, render as run

    return run(script, RenderOptions(output=out, cache=cache, jobs=jobs, cast=cast, force=force)).report


def pure_engine_seconds(script: Path, cache: Path, cast: Path | None) -> tuple[float, list]:
    """The same takes, each engine called directly in a loop (models loaded before timing)."""
    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.voice.synthesize import voice_take

    prepared = prepare(script, RenderOptions(cache=cache, cast=cast, jobs=1))
    requests = [prepared.plan.requests[i] for i in prepared.plan.unique_missing]
    for engine in {r.spec.engine for r in requests}:  # load models outside the timed loop
        first = next(r for r in requests if r.spec.engine == engine)
        voice_take(prepared.registry, first)
    start = time.perf_counter()
    audios = [voice_take(prepared.registry, r) for r in requests]
    return time.perf_counter() - start, audios


def naive_pipeline(script: Path, cache: Path, cast: Path | None, out: Path) -> float:
    """What people write first: voice each line, join with pydub `+`, normalize with pyloudnorm."""
    import pyloudnorm
    import soundfile as sf
    from pydub import AudioSegment

    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.voice.synthesize import voice_take

    start = time.perf_counter()
    prepared = prepare(script, RenderOptions(cache=cache, cast=cast, jobs=1))
    episode = AudioSegment.silent(duration=500, frame_rate=44_100)
    for request in prepared.plan.requests:
        audio = voice_take(prepared.registry, request)
        pcm = (np.clip(audio.samples, -1, 1) * 32767).astype(np.int16)
        clip = AudioSegment(pcm.tobytes(), frame_rate=audio.sample_rate, sample_width=2, channels=1)
        episode = episode + clip.set_frame_rate(44_100) + AudioSegment.silent(duration=400, frame_rate=44_100)
    samples = np.array(episode.get_array_of_samples(), dtype=np.float32) / 32768.0
    meter = pyloudnorm.Meter(44_100)
    normalized = pyloudnorm.normalize.loudness(samples, meter.integrated_loudness(samples), -16.0)
    sf.write(out, np.clip(normalized, -1, 1), 44_100)
    return time.perf_counter() - start


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


def edit_one_word(source: Path, dest: Path) -> None:
    lines = source.read_text(encoding="utf-8").splitlines(keepends=True)
    for i, line in enumerate(lines):
        if line.startswith("**Simplicia**: Why not?"):
            lines[i] = line.replace("Why not?", "Why ever not?")
            break
    else:
        raise SystemExit("bench: could not find the line to edit")
    dest.write_text("".join(lines), encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", type=Path, default=SEED)
    parser.add_argument("--cast", type=Path, default=None)
    parser.add_argument("--skip-peer", action="store_true")
    args = parser.parse_args()
    if not args.script.exists():
        raise SystemExit(f"bench: no script at {args.script}")

    work = Path(tempfile.mkdtemp(prefix="radioplay-bench-"))
    figures: dict[str, float] = {}
    try:
        script = work / "script.md"
        shutil.copy(args.script, script)

        pure, _ = pure_engine_seconds(script, work / "unused-cache", args.cast)
        cold1, report1 = timed(render, script, work / "ep1.mp3", work / "cache1", 1, args.cast)
        cold2, report2 = timed(render, script, work / "ep2.mp3", work / "cache2", 2, args.cast)
        best = 2 if cold2 < cold1 else 1
        cold, episode, cache = min(cold1, cold2), work / f"ep{best}.mp3", work / f"cache{best}"

        same, same_report = timed(render, script, episode, cache, best, args.cast)
        remix, remix_report = timed(render, script, episode, cache, best, args.cast, force=True)
        edited = work / "edited.md"
        edit_one_word(script, edited)
        edit, edit_report = timed(render, edited, episode, cache, best, args.cast)

        print(f"seed: {report1['cues']} cues, {report1['takes']} takes, {report1['audio_seconds']:.1f} s of audio")
        print(f"pure engine loop          {pure:8.2f} s")
        print(f"cold render --jobs 1      {cold1:8.2f} s   stages {json.dumps(report1['seconds'])}")
        print(f"cold render --jobs 2      {cold2:8.2f} s   stages {json.dumps(report2['seconds'])}")
        print(f"unchanged (up to date)    {same:8.2f} s   synthesized {same_report['synthesized']}")
        print(f"unchanged, --force        {remix:8.2f} s   synthesized {remix_report['synthesized']}   "
              f"stages {json.dumps(remix_report['seconds'])}")
        print(f"one-line edit             {edit:8.2f} s   synthesized {edit_report['synthesized']}   "
              f"stages {json.dumps(edit_report['seconds'])}")
        figures["1 pipeline overhead (cold --jobs 1 / pure engine loop), goal <= 1.10"] = cold1 / pure
        figures["2 one-line edit / cold, goal <= 0.10"] = edit / cold
        figures["3 unchanged / cold, goal <= 0.05"] = same / cold
        figures["3b unchanged with --force (full re-mix, master, export) / cold"] = remix / cold
        if not args.skip_peer:
            naive = naive_pipeline(script, work / "unused-cache", args.cast, work / "naive.wav")
            print(f"naive pydub pipeline    {naive:8.2f} s")
            figures["4 peer speedup (naive / radioplay cold), goal >= 1.0"] = naive / cold
        small, large = mixer_seconds(200), mixer_seconds(2000)
        print(f"mix+master 200 cues     {small:8.2f} s")
        print(f"mix+master 2000 cues    {large:8.2f} s")
        figures["5 mixer scaling (2000 / 200 cues), goal <= 12"] = large / small
        figures["6 parallel speedup (--jobs 1 / --jobs 2)"] = cold1 / cold2
        print()
        for name, value in figures.items():
            print(f"{value:7.3f}  {name}")
        print(f"edit report: synthesized={edit_report['synthesized']} (goal 1); "
              f"unchanged report: synthesized={same_report['synthesized']} (goal 0)")
        print("(timings are in-process library calls; the CLI adds about 1 s of Python start-up)")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
