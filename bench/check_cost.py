"""What the recognizer check costs, and what packing takes into shared windows changes, in one run:

1. a cold render of the seed (fresh take store) with the check on: seconds.check / seconds.synthesize
   (goal <= 0.25; the check's time includes voicing the retried tries);
2. the kept takes of that render heard again by one tiny.en instance: one take per call as the
   check did before packing (beam 5, faster-whisper's temperature fallback), one take per call with
   the check's decoding (greedy, temperature 0), and the check's way (packed into shared windows, a
   take over the threshold there heard again alone): the time of each, and every take's WER (packing
   must not change what is heard, beyond a few takes by a word);
3. an unchanged re-render (--force, same store): transcriptions (goal 0).

Only ratios of timings taken in this run are meaningful (the machine may be shared).

    .venv/bin/python bench/check_cost.py [SCRIPT] [--threads N] [--hear-only WORKDIR]

`--hear-only` runs part 2 alone, on the take store of an earlier run's WORKDIR.
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
    parser.add_argument("--hear-only", type=Path, help="part 2 alone, on this earlier run's folder")
    args = parser.parse_args()
    work = args.hear_only or Path(tempfile.mkdtemp(prefix="radioplay-bench-check-cost-"))
    options = dict(output=work / "ep.mp3", cache=work / "takes", report=work / "report.json")

    prepared = prepare(args.script, RenderOptions(**options))
    if not args.hear_only:
        cold = execute(prepared).report
        s, check = cold["seconds"], cold["check"]
        print(f"1. cold render: synthesize {s['synthesize']:.1f} s, check {s['check']:.1f} s "
              f"({check['transcriptions']} takes heard, {check['retried']} retried tries voiced and heard)")
        print(f"   check / synthesis = {s['check'] / s['synthesize']:.3f}   (goal <= 0.25)", flush=True)
    threshold = prepared.options.check.threshold

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
    model = ears._load()
    from radioplay.check.recognizer import to_16k

    def before(audio):  # the check's recognizer before packing: beam 5, temperature fallback, one take per call
        segments, _ = model.transcribe(to_16k(audio), language="en", beam_size=5, condition_on_previous_text=False,
                                       word_timestamps=True, vad_filter=False)
        return " ".join(segment.text for segment in segments)

    t = time.perf_counter()
    old = [before(audio) for audio in audios]
    old_s = time.perf_counter() - t
    ears.windows = 0
    t = time.perf_counter()
    alone = [ears.transcribe(audio) for audio in audios]
    alone_s, alone_windows = time.perf_counter() - t, ears.windows
    ears.windows = 0
    t = time.perf_counter()
    packed, again = hear_and_score(ears, audios, texts, by_sound, threshold)
    packed_s, packed_windows = time.perf_counter() - t, ears.windows
    wer_old = [score(words(text), words(heard), by_sound) for text, heard in zip(texts, old)]
    wer_alone = [score(words(text), words(h.text), by_sound) for text, h in zip(texts, alone)]
    wer_packed = [scored for scored, _ in packed]
    print(f"2. {len(audios)} kept takes, tiny.en int8, {threads} threads:\n"
          f"   one per call, beam 5 + fallback (before) {old_s:6.1f} s  ({len(audios)} windows)\n"
          f"   one per call, greedy                     {alone_s:6.1f} s  ({alone_windows} windows)\n"
          f"   packed, greedy (the check now)           {packed_s:6.1f} s  ({packed_windows} windows, {again} "
          f"takes heard again alone)\n"
          f"   now / before = {packed_s / old_s:.3f}; packed / one per call (same decoding) = {packed_s / alone_s:.3f}")
    for name, scores in (("before", wer_old), ("one per call, greedy", wer_alone), ("packed, greedy", wer_packed)):
        print(f"   WER {name}: {total_wer(scores):.4f} over {sum(len(w.reference) for w in scores)} words; "
              f"takes over the threshold {threshold}: {sum(w.wer > threshold for w in scores)}")
    for name, base in (("before", wer_old), ("one per call, greedy", wer_alone)):
        differ = [(a.wer, b.wer, text, " ".join(b.heard)) for a, b, text in zip(base, wer_packed, texts)
                  if a.errors != b.errors]
        print(f"   takes heard differently packed than {name}: {len(differ)} of {len(texts)}")
        for a, b, text, heard in differ:
            print(f"     {a:.2f} -> {b:.2f}  {text[:56]!r}  packed heard {heard[:56]!r}")
    if args.hear_only:
        return

    t = time.perf_counter()
    again = execute(prepare(args.script, RenderOptions(**options, force=True))).report
    print(f"3. unchanged re-render (--force): {time.perf_counter() - t:.1f} s, "
          f"{again['check']['transcriptions']} transcriptions  (goal 0)")
    print(f"outputs in {work}")


if __name__ == "__main__":
    main()
