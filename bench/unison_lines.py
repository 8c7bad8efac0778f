"""Unison word by word beyond the scripts' own lines: each line voiced straight from the engines by
three voices (Piper joe at 0.95, Kokoro jf_gongitsune at 0.8, Kokoro jm_kumo at 1.0), warped
together (radioplay.mix.unison.warp_together) and measured as bench/levels.py measures a unison
cue: word onsets of every voice against the first's by faster-whisper tiny.en as is ("whisper")
and, for a word after a pause in both voices, where each resumes ("whisper+pauses", the goal's reading:
median <= 60 ms, max <= 150 ms), and each voice's word error rate as voiced -> as warped (may rise
by <= 0.05). No mixing, rooms or leveling: the warp alone.

    .venv/bin/python bench/unison_lines.py ["A line." ...]
"""

from __future__ import annotations

import sys

import numpy as np
from levels import GOAL_UNISON_MAX_S, GOAL_UNISON_MEDIAN_S, Recognizer, verdict, word_error_rate, words_of

LINES = [
    "The broader AI community figuring out which one of us is right?",
    "Then we'll write them a better one.",
    "Then we'll keep counting.",
    "As ready as we will ever be, I suppose.",
    "Then say it with me, slowly and clearly.",
    "Nobody knows exactly what happens next, and that is the point.",
]
VOICES = [("piper", "joe", 0.95), ("kokoro", "jf_gongitsune", 0.8), ("kokoro", "jm_kumo", 1.0)]
RATE = 24_000


def main() -> None:
    from radioplay.mix.dsp import resample
    from radioplay.mix.unison import onset_gaps, warp_together, word_resumes
    from radioplay.model import VoiceSpec
    from radioplay.voice.engines.kokoro import KokoroEngine
    from radioplay.voice.engines.piper import PiperEngine

    engines = {"piper": PiperEngine(), "kokoro": KokoroEngine(device="cpu", threads=2)}
    recognizer = Recognizer()
    worst = {"whisper": [], "whisper+pauses": []}
    for line in sys.argv[1:] or LINES:
        takes = []
        for engine, voice, speed in VOICES:
            audio = engines[engine].synthesize(line, VoiceSpec(engine, voice), speed, 0)
            takes.append(resample(audio.samples, audio.sample_rate, RATE))
        warped = warp_together(takes, RATE)
        heard = [recognizer.words(w, RATE) for w in warped]
        resumes = [word_resumes(h, w, RATE) for h, w in zip(heard, warped)]
        print(f"\n{line}")
        for method in worst:
            for n in range(1, len(warped)):
                gaps = (onset_gaps(heard[0], heard[n]) if method == "whisper"
                        else onset_gaps(heard[0], heard[n], resumes[0], resumes[n]))
                median, most = float(np.median(gaps)), float(gaps.max())
                worst[method].append(most)
                ok = median <= GOAL_UNISON_MEDIAN_S and most <= GOAL_UNISON_MAX_S
                print(f"  {VOICES[0][1]}/{VOICES[n][1]} ({method}, {gaps.size} words): median {median * 1000:.0f} ms, "
                      f"max {most * 1000:.0f} ms {verdict(ok)}")
        said = words_of(line)
        for (_, voice, _), take, aligned in zip(VOICES, takes, heard):
            before = word_error_rate(said, [w for w, _ in recognizer.words(take, RATE)])
            after = word_error_rate(said, [w for w, _ in aligned])
            print(f"  {voice} word error rate {before:.3f} as voiced, {after:.3f} warped {verdict(after - before <= 0.05)}")
        sys.stdout.flush()
    for method, maxima in worst.items():
        within = sum(m <= GOAL_UNISON_MAX_S for m in maxima)
        print(f"\n{method}: {within} of {len(maxima)} voice pairs within the {GOAL_UNISON_MAX_S * 1000:.0f} ms maximum")


if __name__ == "__main__":
    main()
