"""Voices benchmark: are the leads distinct, and can a recognizer understand them?

Renders every spoken line of a script (the seed by default) with the default cast, or with
`--cast FILE`, through the same planning and synthesis code as `radioplay render` (prepared
text, lexicon, directions, take store), then prints:

  (a) distinctness: each speaker's median pitch (Praat, via praat-parselmouth) and the relative
      difference of the two leads, |a - b| / max(a, b) (goal >= 30 %);
  (b) intelligibility: PocketSphinx's word error rate on each spoken line (its bundled US English
      model; audio resampled to 16 kHz mono int16) against the script text, averaged over the
      lines (goal <= 0.40). Both sides are normalized the same way: lowercase, no punctuation,
      numbers as words, acronyms as letters.

    .venv/bin/python bench/voices.py [SCRIPT] [--cast FILE] [--cache DIR] [--lines N] [--jobs N]

Needs the bench extra: praat-parselmouth and pocketsphinx.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

SEED = Path(__file__).resolve().parents[2] / "shared" / "seeds" / "000_bce81a884f985e50.txt"
GOAL_PITCH_DIFFERENCE = 0.30
GOAL_WER = 0.40
RECOGNIZER_RATE = 16_000
SEGMENT_GAP_SECONDS = 0.3


def words_for_scoring(text: str) -> list[str]:
    """Lowercase words with numbers said as words and acronyms as letters, no punctuation."""
    from radioplay.voice.text import normalize

    spoken = normalize(text).lower()
    spoken = re.sub(r"(?<=\b[a-z])\.(?=[a-z]\b)", " ", spoken)  # g.p.t -> g p t
    spoken = re.sub(r"\[\[.*?\]\]", " ", spoken)
    spoken = re.sub(r"[^a-z0-9' ]+", " ", spoken.replace("-", " "))
    return _join_letters([w.strip("'") for w in spoken.split() if w.strip("'")])


def _join_letters(words: list[str]) -> list[str]:
    """Runs of single letters become one token on both sides ("a i" and "ai" both -> "ai"), so
    the recognizer is not scored on whether its dictionary spells an acronym or joins it."""
    out: list[str] = []
    run: list[str] = []
    for word in words + [""]:
        if len(word) == 1 and word.isalpha():
            run.append(word)
            continue
        out.extend(["".join(run)] if len(run) > 1 else run)
        run = []
        if word:
            out.append(word)
    return out


def recognized_words(hypothesis: str) -> list[str]:
    """PocketSphinx output in the same form: "g." -> "g", alternates such as "the(2)" -> "the"."""
    words = re.sub(r"\(\d+\)", "", hypothesis.lower()).replace("-", " ").split()
    return _join_letters([w.strip(".'") for w in words if w.strip(".'") and not w.startswith("<") and w != "[noise]"])


def word_error_rate(reference: list[str], hypothesis: list[str]) -> float:
    """Levenshtein distance over words, divided by the reference length."""
    if not reference:
        return 0.0 if not hypothesis else 1.0
    previous = list(range(len(hypothesis) + 1))
    for i, ref in enumerate(reference, start=1):
        current = [i] + [0] * len(hypothesis)
        for j, hyp in enumerate(hypothesis, start=1):
            current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ref != hyp))
        previous = current
    return previous[-1] / len(reference)


def transcribe(samples: np.ndarray, rate: int) -> str:
    """PocketSphinx with its bundled US English acoustic model, language model and dictionary.

    A fresh decoder per line: its live cepstral mean normalization carries over from one
    utterance to the next, which would make a line's score depend on the lines before it."""
    import soxr
    from pocketsphinx import Decoder

    audio = soxr.resample(samples.astype(np.float32), rate, RECOGNIZER_RATE) if rate != RECOGNIZER_RATE else samples
    pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
    decoder = Decoder(samprate=RECOGNIZER_RATE, loglevel="FATAL")
    decoder.start_utt()
    decoder.process_raw(pcm, full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp else ""


def pitch_frames(samples: np.ndarray, rate: int) -> np.ndarray:
    """Voiced F0 values (Hz) from Praat's autocorrelation pitch tracker, 75-600 Hz."""
    import parselmouth

    pitch = parselmouth.Sound(samples.astype(np.float64), sampling_frequency=rate).to_pitch(
        pitch_floor=75.0, pitch_ceiling=600.0)
    f0 = pitch.selected_array["frequency"]
    return f0[f0 > 0]


def render_lines(script, casting, directions, registry, cache: Path, jobs: int, limit: int | None):
    """[(speaker, reference text, samples, rate)] for each part of each spoken cue."""
    from radioplay.cache import TakeStore
    from radioplay.voice.synthesize import EngineSettings, plan_takes, synthesize_takes

    store = TakeStore(cache)
    plan = plan_takes(script, casting, directions, registry, store)
    if limit is not None:
        keep = sorted({r.cue for r in plan.requests})[:limit]
        picked = [i for i, r in enumerate(plan.requests) if r.cue in keep]
        plan.requests = [plan.requests[i] for i in picked]
        plan.keys = [plan.keys[i] for i in picked]
        plan.cached = [plan.cached[i] for i in picked]
    takes = synthesize_takes(plan, store, registry, EngineSettings(threads=1 if jobs > 1 else None), jobs=jobs)
    lines: dict[tuple[int, int], list] = {}
    for take in takes:
        lines.setdefault((take.cue, take.part), []).append(take)
    out = []
    for (cue_index, part_index), line_takes in sorted(lines.items()):
        part = script.cues[cue_index].parts[part_index]
        rate = line_takes[0].audio.sample_rate
        gap = np.zeros(int(SEGMENT_GAP_SECONDS * rate), np.float32)
        pieces = []
        for take in sorted(line_takes, key=lambda t: t.segment):
            pieces += [take.audio.samples, gap]
        reference = " ".join(s.text for s in part.segments)
        out.append((part.speaker, reference, np.concatenate(pieces[:-1]), rate))
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("script", nargs="?", type=Path, default=SEED)
    parser.add_argument("--cast", type=Path, default=None, help="cast file (default: the built-in defaults)")
    parser.add_argument("--cache", type=Path, default=None, help="take store to reuse between runs")
    parser.add_argument("--lines", type=int, default=None, help="only the first N spoken cues")
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--verbose", action="store_true", help="print each line's reference and hypothesis")
    args = parser.parse_args(argv)

    from radioplay.parse import load_script
    from radioplay.voice.cast import cast_json, load_cast
    from radioplay.voice.directions import DirectionTable
    from radioplay.voice.engines.base import EngineRegistry

    started = time.perf_counter()
    script = load_script(args.script)
    registry = EngineRegistry.from_entry_points()
    casting = load_cast(args.cast, script, registry)
    directions = DirectionTable.load()
    for name, spec in cast_json(casting)["characters"].items():
        print(f"cast  {name:<12} {spec['engine']}:{spec['voice']} speed {spec['speed']:g} pitch {spec['pitch']:+g} "
              f"options {spec['options']}")
    with tempfile.TemporaryDirectory(prefix="radioplay-bench-") as scratch:
        cache = args.cache or Path(scratch)
        t0 = time.perf_counter()
        lines = render_lines(script, casting, directions, registry, cache, args.jobs, args.lines)
        synth_seconds = time.perf_counter() - t0
    audio_seconds = sum(len(s) / r for _, _, s, r in lines)
    print(f"rendered {len(lines)} lines, {audio_seconds:.1f} s of speech in {synth_seconds:.1f} s")

    f0: dict[str, list[np.ndarray]] = {}
    rates: list[float] = []
    per_speaker: dict[str, list[float]] = {}
    for speaker, reference, samples, rate in lines:
        f0.setdefault(speaker, []).append(pitch_frames(samples, rate))
        ref_words = words_for_scoring(reference)
        hyp_words = recognized_words(transcribe(samples, rate))
        wer = word_error_rate(ref_words, hyp_words)
        rates.append(wer)
        per_speaker.setdefault(speaker, []).append(wer)
        print(f"  WER {wer:4.2f}  {speaker:<10} {reference[:60]!r}")
        if args.verbose:
            print(f"        ref: {' '.join(ref_words)}\n        hyp: {' '.join(hyp_words)}")

    from radioplay.voice.cast import rank_characters

    leads = rank_characters(script)[:2]
    medians = {name: float(np.median(np.concatenate(frames))) for name, frames in f0.items() if frames}
    print("\n(a) distinctness: median pitch (Praat)")
    for name, hz in medians.items():
        print(f"  {name:<12} {hz:6.1f} Hz")
    difference = float("nan")
    if len(leads) == 2 and all(name in medians for name in leads):
        a, b = (medians[name] for name in leads)
        difference = abs(a - b) / max(a, b)
        verdict = "ok" if difference >= GOAL_PITCH_DIFFERENCE else "BELOW GOAL"
        print(f"  leads {leads[0]} / {leads[1]}: difference {difference:.0%} (goal >= {GOAL_PITCH_DIFFERENCE:.0%}) {verdict}")
    mean_wer = statistics.fmean(rates) if rates else float("nan")
    print("\n(b) intelligibility: PocketSphinx word error rate, mean over lines")
    for name, values in per_speaker.items():
        print(f"  {name:<12} {statistics.fmean(values):.3f} over {len(values)} lines")
    verdict = "ok" if mean_wer <= GOAL_WER else "ABOVE GOAL"
    print(f"  all          {mean_wer:.3f} over {len(rates)} lines (goal <= {GOAL_WER}) {verdict}")
    print(f"\ntotal {time.perf_counter() - started:.0f} s")
    return 0 if difference >= GOAL_PITCH_DIFFERENCE and mean_wer <= GOAL_WER else 1


if __name__ == "__main__":
    sys.exit(main())
