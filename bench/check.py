"""The recognizer check on the seed with the default cast, in one run:

1. a cold render (fresh take store) with the check on: the check's time against the synthesis time
   (goal <= 0.25x), and the first-try WER of every sentence take (the distribution the default
   --check-threshold is chosen from);
2. an unchanged re-render (--force, same store): how many takes were transcribed (goal 0);
3. the delivered file measured independently (bench/wer.py: each single-speaker line cut by the
   VTT, 16 kHz, Whisper base -- another model than the check's -- beam 5, plain edit distance over
   the written words): goal <= 0.06 overall, no line above 0.35; then the same with the check's
   tiny.en, for comparison.

    .venv/bin/python bench/check.py [SCRIPT] > bench-check.txt 2>&1
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from wer import measure, print_result  # bench/wer.py, beside this script

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def main() -> None:
    from radioplay.pipeline import RenderOptions, execute, prepare

    script = Path(sys.argv[1]) if len(sys.argv) > 1 else SEED
    work = Path(tempfile.mkdtemp(prefix="radioplay-bench-check-"))
    options = dict(output=work / "seed.mp3", cache=work / "takes", report=work / "report.json")

    t = time.perf_counter()
    cold = execute(prepare(script, RenderOptions(**options))).report
    wall = time.perf_counter() - t
    s = cold["seconds"]
    check = cold["check"]
    print(f"cold render: {wall:.1f} s wall; synthesize {s['synthesize']:.1f} s, check {s['check']:.1f} s "
          f"({check['transcriptions']} transcriptions, {check['retried']} retried tries, {check['flagged']} flagged)")
    print(f"check / synthesis = {s['check'] / s['synthesize']:.2f}  (goal <= 0.25)")

    first = np.array([row["tries"][0]["wer"] for row in check["takes"]])
    print(f"first-try WER over {len(first)} sentence takes: median {np.median(first):.3f}, "
          f"p90 {np.percentile(first, 90):.3f}, p95 {np.percentile(first, 95):.3f}, max {first.max():.3f}")
    for threshold in (0.15, 0.2, 0.25, 0.3, 0.34, 0.4, 0.5):
        print(f"  over {threshold:.2f}: {int((first > threshold).sum())} takes ({(first > threshold).mean():.1%})")
    for row in sorted(check["takes"], key=lambda r: -r["tries"][0]["wer"])[:12]:
        tries = ", ".join(f"{t['wer']:.2f}" for t in row["tries"])
        print(f"  line {row['line']}: tries [{tries}] kept {row['chosen']}  {row['text'][:60]!r} heard {row['heard'][:60]!r}")

    t = time.perf_counter()
    again = execute(prepare(script, RenderOptions(**options, force=True))).report
    print(f"unchanged re-render (--force): {time.perf_counter() - t:.1f} s, "
          f"{again['check']['transcriptions']} transcriptions, check {again['seconds']['check']:.2f} s  (goal 0)")

    for model in ("base", "tiny.en"):
        t = time.perf_counter()
        result = measure(work / "seed.mp3", model)
        print(f"delivered file, independent measure (bench/wer.py; goal <= 0.06 overall, no line above 0.35); "
              f"{time.perf_counter() - t:.1f} s")
        print_result(result, worst=8)
    print(f"outputs in {work}")


if __name__ == "__main__":
    main()
