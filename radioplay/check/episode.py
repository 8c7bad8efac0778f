"""`radioplay check`: the same check over a finished episode, cut by the WebVTT beside it.

Each single-speaker cue of the .vtt is cut out of the decoded episode by its times, transcribed
(short lines packed into shared recognizer windows, as the render's check does) and scored against
its caption text (the script's line as written); the script gives the names and lexicon entries
scored by sound and the line numbers. Unison cues are left out, as in listening.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from radioplay.check.recognizer import Recognizer, hear_all
from radioplay.check.score import Score, score, total_wer, words
from radioplay.errors import InputError
from radioplay.model import Audio, Script
from radioplay.site.transcript import TranscriptLine
from radioplay.site.transcript import read_vtt as parse_vtt

def read_vtt(path: Path) -> list[TranscriptLine]:
    """The cues of the WebVTT beside an episode (the site's reader: speaker, text, start, end)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read the transcript ({getattr(exc, 'strerror', None) or exc}); "
                         "`radioplay check` cuts the episode by the .vtt written beside it") from exc
    return parse_vtt(text, str(path))


@dataclass(frozen=True)
class LineScore:
    line: int | None
    speaker: str
    start: float
    end: float
    text: str
    score: Score

    def to_dict(self) -> dict:
        return {"line": self.line, "speaker": self.speaker, "start": round(self.start, 3),
                "end": round(self.end, 3), "text": self.text, **self.score.to_dict()}


def script_lines(script: Script) -> list[tuple[int, str]]:
    """(line number, normalized words joined) of every single-speaker line, in order."""
    return [(cue.line, " ".join(words(cue.text))) for cue in script.lines if len(cue.speakers) == 1]


def check_episode(audio: Audio, cues: list[TranscriptLine], script: Script, recognizer: Recognizer,
                  by_sound: frozenset[str]) -> list[LineScore]:
    lines = script_lines(script)
    known = set(script.speakers())
    found, clips = [], []
    at = 0
    for cue in cues:
        if cue.speaker not in known:  # unison ("A and B") or not a character of this script
            continue
        said = " ".join(words(cue.text))
        number = None
        for k in range(at, len(lines)):
            if lines[k][1] == said:
                number, at = lines[k][0], k + 1
                break
        a = max(0, int(cue.start * audio.sample_rate))
        b = min(len(audio.samples), int(cue.end * audio.sample_rate))
        found.append((number, cue))
        clips.append(Audio(audio.samples[a:b], audio.sample_rate))
    return [LineScore(number, cue.speaker, cue.start, cue.end, cue.text,
                      score(words(cue.text), words(heard.text), by_sound))
            for (number, cue), heard in zip(found, hear_all(recognizer, clips))]


def summary(scores: list[LineScore]) -> dict:
    return {"wer": round(total_wer(s.score for s in scores), 4), "lines": len(scores),
            "worst": round(max((s.score.wer for s in scores), default=0.0), 4)}


def load_mono(path: Path) -> Audio:
    import soundfile as sf

    try:
        data, rate = sf.read(str(path), dtype="float32", always_2d=True)
    except (OSError, RuntimeError) as exc:  # soundfile raises LibsndfileError (a RuntimeError)
        raise InputError(f"{path}: cannot decode the episode ({exc})") from exc
    return Audio(data.mean(axis=1).astype("float32"), int(rate))
