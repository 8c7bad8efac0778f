"""Where a cold render's synthesis time goes, measured in ONE process (so every figure is a ratio of
timings taken side by side, whatever else loads the machine).

    .venv/bin/python bench/synthesis_costs.py [--threads N] [--lines N] [--script PATH]

Printed:

1. model load      each engine's first-use cost (model file, onnxruntime session, voices, espeak)
2. whole / split   for each engine, the seed's lines voiced whole (as the naive pipeline does) against
                   the same lines voiced sentence by sentence (as radioplay's takes are), interleaved
                   line by line; and inside a call, the share of phonemization and of session.run
3. per take        what radioplay adds around each engine call: clipping and checks (voice_take),
                   the loudness measurement, the write into the take store
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def clock(fn, *args, **kwargs):
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return time.perf_counter() - start, out


class Spy:
    """Wraps a callable and sums the seconds spent in it."""

    def __init__(self, fn):
        self.fn, self.seconds, self.calls = fn, 0.0, 0

    def __call__(self, *args, **kwargs):
        start = time.perf_counter()
        try:
            return self.fn(*args, **kwargs)
        finally:
            self.seconds += time.perf_counter() - start
            self.calls += 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", type=Path, default=SEED)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime intra-op threads (a worker has 1)")
    parser.add_argument("--lines", type=int, default=0, help="only the first N lines of each engine (0: all)")
    args = parser.parse_args()

    from radioplay.cache import TakeStore
    from radioplay.model import TakeRequest
    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.voice.synthesize import measure_level, take_meta, voice_take

    work = Path(tempfile.mkdtemp(prefix="radioplay-costs-"))
    prepared = prepare(args.script, RenderOptions(cache=work / "cache", jobs=1, threads=args.threads))
    registry = prepared.registry
    plan = prepared.plan

    # ---------------------------------------------------------------- 1. model load
    print(f"onnxruntime intra-op threads: {args.threads}")
    engines = sorted({r.spec.engine for r in plan.requests})
    for name in engines:
        engine = registry.get(name)
        if name == "kokoro":
            seconds, _ = clock(engine._load)
            styles, _ = clock(engine._style_table, next(r.spec.voice for r in plan.requests if r.spec.engine == name), None)
            espeak, _ = clock(engine.phonemize, "Hello.")
            print(f"load kokoro: session {seconds:6.2f} s, style table {styles:5.2f} s, espeak init+first {espeak:5.2f} s")
        elif name == "piper":
            voice = next(r.spec.voice for r in plan.requests if r.spec.engine == name)
            seconds, _ = clock(engine._load, voice)
            print(f"load piper: noise rewrite + session {seconds:6.2f} s")

    # ---------------------------------------------------------------- 2. whole line vs sentences
    lines: dict[tuple[int, int], list[TakeRequest]] = defaultdict(list)
    for request in plan.requests:
        lines[(request.cue, request.part)].append(request)
    by_engine: dict[str, list[list[TakeRequest]]] = defaultdict(list)
    for key in sorted(lines):
        by_engine[lines[key][0].spec.engine].append(lines[key])

    for name, groups in sorted(by_engine.items()):
        engine = registry.get(name)
        if args.lines:
            groups = groups[:args.lines]
        session = engine._load().session if name == "kokoro" else engine._load(groups[0][0].spec.voice).session
        run_spy = Spy(session.run)
        session_proxy = _SessionProxy(session, run_spy)
        if name == "kokoro":
            engine._model.session = session_proxy
            phon_spy = Spy(engine.phonemize)
            engine.phonemize = phon_spy
        else:
            loaded = engine._load(groups[0][0].spec.voice)
            loaded.session = session_proxy
            phon_spy = Spy(loaded.piper_voice.phonemize)
            loaded.piper_voice.phonemize = phon_spy
        totals = {"whole": [0.0, 0.0, 0.0, 0, 0.0], "split": [0.0, 0.0, 0.0, 0, 0.0]}  # s, run, phon, calls, audio s
        for group in groups:
            first = group[0]
            whole_text = " ".join(r.text for r in group)
            whole = TakeRequest(first.cue, first.part, 0, first.speaker, whole_text, first.spec, first.speed,
                                first.pitch, seed=first.seed)
            for mode, requests in (("whole", [whole]), ("split", group)):
                run_before, phon_before, calls_before = run_spy.seconds, phon_spy.seconds, run_spy.calls
                start = time.perf_counter()
                audio_seconds = 0.0
                for request in requests:
                    audio_seconds += voice_take(registry, request).duration
                row = totals[mode]
                row[0] += time.perf_counter() - start
                row[1] += run_spy.seconds - run_before
                row[2] += phon_spy.seconds - phon_before
                row[3] += run_spy.calls - calls_before
                row[4] += audio_seconds
        for mode in ("whole", "split"):
            s, run, phon, calls, audio = totals[mode]
            print(f"{name:6s} {mode:5s} {len(groups):3d} lines: {s:7.2f} s  session.run {run:7.2f} s in {calls:3d} calls, "
                  f"phonemize {phon:5.2f} s, other {s - run - phon:5.2f} s; audio {audio:7.2f} s "
                  f"({s / audio:.3f} s per audio s)")
        w, sp = totals["whole"], totals["split"]
        print(f"{name:6s} split / whole: time {sp[0] / w[0]:.3f}, session.run {sp[1] / w[1]:.3f}, "
              f"audio {sp[4] / w[4]:.3f}, time per audio s {(sp[0] / sp[4]) / (w[0] / w[4]):.3f}")

    # ---------------------------------------------------------------- 3. per take around the engine
    store = TakeStore(work / "store")
    level_s = put_s = 0.0
    audios = []
    for key, request in zip(plan.keys[:20], plan.requests[:20]):
        audio = voice_take(registry, request)
        seconds, level = clock(measure_level, audio)
        level_s += seconds
        seconds, _ = clock(store.put, key, audio, take_meta(request, level))
        put_s += seconds
        audios.append(audio)
    audio_s = sum(a.duration for a in audios)
    print(f"per take (20 takes, {audio_s:.1f} s of audio): loudness measurement {level_s:.3f} s, store.put {put_s:.3f} s")


class _SessionProxy:
    def __init__(self, session, run):
        self._session, self.run = session, run

    def __getattr__(self, name):
        return getattr(self._session, name)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
