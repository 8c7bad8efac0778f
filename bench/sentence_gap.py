"""The engines' own pause between sentences, as the mixer's `sentence_gap` must stand in for it.

    .venv/bin/python bench/sentence_gap.py [--script PATH] [--cast PATH]

For every paragraph of the script with more than one sentence (first voice of each line), voice
the whole paragraph as one take (what radioplay did before takes by the sentence) and each of its
sentences alone, trim each take as the mixer does (keeping `take_margin`), and solve, per engine,

    whole = sum of its sentences + sentence_gap * sentence boundaries + clause_gap * clause cuts

by least squares. The result is the gap that keeps each paragraph as long as it was; the mean over
all boundaries is printed too. Slow: it voices the multi-sentence paragraphs twice.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def main() -> None:
    from radioplay.mix import Timing
    from radioplay.mix.dsp import trim_silence
    from radioplay.model import TakeRequest
    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.voice.lexicon import merge_lexicons
    from radioplay.voice.synthesize import voice_take
    from radioplay.voice.text import prepare_text, sentences

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", type=Path, default=SEED)
    parser.add_argument("--cast", type=Path, default=None)
    args = parser.parse_args()
    prepared = prepare(args.script, RenderOptions(cast=args.cast, jobs=1))
    margin = Timing().take_margin
    rows: dict[str, list[tuple[float, float, int, int]]] = {}
    for cue in prepared.script.lines:
        part = cue.parts[0]
        spec = prepared.casting.characters[part.speaker]
        lexicon = merge_lexicons(prepared.casting.lexicon, dict(spec.lexicon))

        def seconds(text: str) -> float:
            audio = voice_take(prepared.registry, TakeRequest(0, 0, 0, part.speaker, text, spec, spec.speed,
                                                              spec.pitch))
            return len(trim_silence(audio.samples, int(round(margin * audio.sample_rate)))) / audio.sample_rate

        for segment in part.segments:
            said = sentences(segment.text, lexicon)
            if len(said) < 2:
                continue
            whole = seconds(prepare_text(segment.text, lexicon))
            alone = sum(seconds(s.spoken) for s in said)
            clauses = sum(s.clause for s in said)
            rows.setdefault(spec.engine, []).append((whole, alone, len(said) - 1 - clauses, clauses))
            print(f"{spec.engine:8s} line {segment.line:3d}: whole {whole:6.2f} s, sentences {alone:6.2f} s, "
                  f"{len(said) - 1 - clauses} sentence and {clauses} clause boundaries", flush=True)
    print()
    for engine, found in rows.items():
        counts = np.array([[r[2], r[3]] for r in found], dtype=float)
        missing = np.array([r[0] - r[1] for r in found])
        sentence_gap, clause_gap = np.linalg.lstsq(counts, missing, rcond=None)[0]
        whole, alone = sum(r[0] for r in found), sum(r[1] for r in found)
        print(f"{engine}: sentence_gap {sentence_gap:.3f} s, clause_gap {clause_gap:.3f} s (least squares); "
              f"{(whole - alone) / counts.sum():.3f} s per boundary on average; "
              f"paragraphs {whole:.1f} s whole, {alone:.1f} s as sentences")


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
