"""`radioplay check`: the same check over a finished episode, cut by the WebVTT beside it.

Each single-speaker cue of the .vtt is cut out of the decoded episode by its times, transcribed
and scored against its caption text (the script's line as written); the script gives the names and
lexicon entries scored by sound and the line numbers. Unison cues are left out, as in listening.md.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass
from pathlib import Path

from radioplay.check.recognizer import Recognizer
from radioplay.check.score import Score, score, total_wer, words
from radioplay.errors import InputError
from radioplay.model import Audio, Script

_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_CUE_TIMES = re.compile(rf"^{_TIME}\s+-->\s+{_TIME}")
_VOICE = re.compile(r"<v\s+([^>]*)>")
_TAG = re.compile(r"<[^>]*>")


@dataclass(frozen=True)
class VttCue:
    start: float
    end: float
    speaker: str
    text: str


def _seconds(h, m, s, ms) -> float:
    return int(h or 0) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000


def read_vtt(path: Path) -> list[VttCue]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{path}: cannot read the transcript ({exc.strerror or exc}); "
                         "`radioplay check` cuts the episode by the .vtt written beside it") from exc
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError(f"{path}:1:1: not a WebVTT file (no WEBVTT header)")
    cues = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        lines = block.strip().split("\n")
        for n, line in enumerate(lines):
            match = _CUE_TIMES.match(line.strip())
            if match:
                payload = " ".join(lines[n + 1:])
                voice = _VOICE.search(payload)
                cues.append(VttCue(_seconds(*match.groups()[:4]), _seconds(*match.groups()[4:]),
                                   html.unescape(voice.group(1).strip()) if voice else "",
                                   html.unescape(" ".join(_TAG.sub(" ", payload).split()))))
                break
    return cues


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


def check_episode(audio: Audio, cues: list[VttCue], script: Script, recognizer: Recognizer,
                  by_sound: frozenset[str]) -> list[LineScore]:
    lines = script_lines(script)
    known = set(script.speakers())
    out = []
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
        heard = recognizer.transcribe(Audio(audio.samples[a:b], audio.sample_rate))
        out.append(LineScore(number, cue.speaker, cue.start, cue.end, cue.text,
                             score(words(cue.text), words(heard.text), by_sound)))
    return out


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
