"""What the recognizer check costs, and what packing takes into shared windows changes, in one run:

1. a cold render of the seed (fresh take store) with the check on: seconds.check / seconds.synthesize
   (goal <= 0.25; the check's time includes voicing the retried tries);
2. the kept takes of that render heard again by one tiny.en instance, one take per call (each take
   pays a whole 30 s window) and the check's way (packed into shared windows, a take over the
   threshold there heard again alone): the time of each, and every take's WER both ways (packing
   must not change what is heard, beyond a few takes by a word);
3. an unchanged re-render (--force, same store): transcriptions (goal 0).

Only ratios of timings taken in this run are meaningful (the machine may be shared).

    .venv/bin/python bench/check_cost.py [SCRIPT] [--threads N]
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def main() -> None:
    from radioplay.check import WhisperRecognizer, names_to_score_by_sound
    from radioplay.check.score import score, total_wer, words
    from radioplay.check.stage import hear_and_score, reference_text
    from radioplay.pipeline import RenderOptions, execute, prepare
    from radioplay.voice.synthesize import usable_cores

    parser = argparse.ArgumentParser()
    parser.add_argument("script", nargs="?", type=Path, default=SEED)
    parser.add_argument("--threads", type=int, default=0, help="recognizer threads for part 2 (0: all usable cores)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="radioplay-bench-check-cost-"))
    options = dict(output=work / "ep.mp3", cache=work / "takes", report=work / "report.json")

    prepared = prepare(args.script, RenderOptions(**options))
    cold = execute(prepared).report
    s, check = cold["seconds"], cold["check"]
    print(f"1. cold render: synthesize {s['synthesize']:.1f} s, check {s['check']:.1f} s "
          f"({check['transcriptions']} takes heard, {check['retried']} retried tries voiced and heard)")
    print(f"   check / synthesis = {s['check'] / s['synthesize']:.3f}   (goal <= 0.25)", flush=True)

    by_sound = names_to_score_by_sound(prepared.casting)
    kept: dict[str, tuple] = {}
    for request, key in zip(prepared.plan.requests, prepared.plan.keys):
        audio = prepared.store.get(key)
        if audio is not None and key not in kept and getattr(prepared.registry.get(request.spec.engine), "speaks", True):
            kept[key] = (reference_text(request), audio)
    texts = [text for text, _ in kept.values()]
    audios = [audio for _, audio in kept.values()]
    threads = args.threads or usable_cores()
    ears = WhisperRecognizer(threads=threads)
    ears.transcribe_many(audios[:1])  # the model loads outside the timings
    ears.windows = 0
    t = time.perf_counter()
    alone = [ears.transcribe(audio) for audio in audios]
    alone_s, alone_windows = time.perf_counter() - t, ears.windows
    ears.windows = 0
    t = time.perf_counter()
    packed, again = hear_and_score(ears, audios, texts, by_sound, check["threshold"])
    packed_s, packed_windows = time.perf_counter() - t, ears.windows
    wer_alone = [score(words(text), words(h.text), by_sound) for text, h in zip(texts, alone)]
    wer_packed = [scored for scored, _ in packed]
    print(f"2. {len(audios)} kept takes, tiny.en int8, {threads} threads: one per call {alone_s:.1f} s "
          f"({alone_windows} windows), packed {packed_s:.1f} s ({packed_windows} windows, {again} takes heard "
          f"again alone): packed / one per call = {packed_s / alone_s:.3f}")
    print(f"   WER over all takes: one per call {total_wer(wer_alone):.4f}, packed {total_wer(wer_packed):.4f}; "
          f"takes over the threshold {check['threshold']}: {sum(w.wer > check['threshold'] for w in wer_alone)} / "
          f"{sum(w.wer > check['threshold'] for w in wer_packed)}")
    differ = [(a.wer, b.wer, text, " ".join(b.heard)) for a, b, text in zip(wer_alone, wer_packed, texts)
              if a.errors != b.errors]
    print(f"   takes heard differently: {len(differ)} of {len(texts)}")
    for a, b, text, heard in differ:
        print(f"     {a:.2f} -> {b:.2f}  {text[:56]!r}  packed heard {heard[:56]!r}")

    t = time.perf_counter()
    again = execute(prepare(args.script, RenderOptions(**options, force=True))).report
    print(f"3. unchanged re-render (--force): {time.perf_counter() - t:.1f} s, "
          f"{again['check']['transcriptions']} transcriptions  (goal 0)")
    print(f"outputs in {work}")


if __name__ == "__main__":
    main()
