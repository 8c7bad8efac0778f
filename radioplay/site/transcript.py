"""The transcript an episode page shows, read back from the episode's WebVTT (radioplay.publish's
vtt_text): one line per cue, with the speaker, the cue's start and end, and the words or pieces its
inline timestamps time."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from radioplay.errors import InputError

_TIME = r"(?:(\d+):)?(\d{2}):(\d{2})\.(\d{3})"
_TIMING = re.compile(rf"^{_TIME}\s+-->\s+{_TIME}")
_VOICE = re.compile(r"^<v(?:\.[^ >]*)?\s+([^>]*)>")
_TAG = re.compile(r"<[^>]*>")
_STAMP = re.compile(rf"<{_TIME}>")


@dataclass(frozen=True)
class Word:
    """What one inline timestamp of a cue times: a word (or, in a cue without word timings, a
    caption piece), from its timestamp to the next one (or the cue's end). A line that has them
    gets them highlighted on the page as they are spoken."""

    text: str
    start: float
    end: float


@dataclass(frozen=True)
class TranscriptLine:
    speaker: str
    """The WebVTT voice: a name, or "Ada and Marlow" for a line spoken together; "" for none."""
    text: str
    start: float
    """Seconds."""
    end: float
    words: tuple[Word, ...] = ()


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis) / 1000


def read_vtt(text: str, path: str = "<vtt>") -> list[TranscriptLine]:
    """The cues of a WebVTT file, in order: voice tag taken as the speaker, inline timestamps and
    other tags dropped, wrapped lines joined. InputError when it is not WebVTT."""
    if not text.lstrip("\ufeff").startswith("WEBVTT"):
        raise InputError(f"{path}: not a WebVTT file (no WEBVTT header)")
    lines: list[TranscriptLine] = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        rows = block.strip("\n").split("\n")
        for i, row in enumerate(rows):
            timing = _TIMING.match(row.strip())
            if timing:
                break
        else:
            continue
        groups = timing.groups()
        start, end = _seconds(*groups[:4]), _seconds(*groups[4:])
        payload = " ".join(r.strip() for r in rows[i + 1:] if r.strip())
        voice = _VOICE.match(payload)
        speaker = html.unescape(voice.group(1).strip()) if voice else ""
        body = payload[voice.end():] if voice else payload
        lines.append(TranscriptLine(speaker, _plain(body), start, end, _timed(body, start, end)))
    return lines


def _plain(text: str) -> str:
    return " ".join(html.unescape(_TAG.sub("", text)).split())


def _timed(body: str, start: float, end: float) -> tuple[Word, ...]:
    """The runs of text between a cue's inline timestamps, each from the timestamp before it to
    the next one; a run with no text (a pause) is no word. None without timestamps."""
    stamps = list(_STAMP.finditer(body))
    if not stamps:
        return ()
    cuts = [(0, start)] + [(m.end(), _seconds(*m.groups())) for m in stamps]
    ends = [m.start() for m in stamps] + [len(body)]
    words = []
    for (at, since), upto, until in zip(cuts, ends, [t for _, t in cuts[1:]] + [end]):
        text = _plain(body[at:upto])
        if text:
            words.append(Word(text, since, until))
    return tuple(words)
