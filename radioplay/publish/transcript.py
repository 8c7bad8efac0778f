"""Transcripts and chapters from the mix's actual timings: WebVTT, SRT, Podcasting 2.0 chapters JSON.

WebVTT follows Podcasting 2.0's transcript guidance: one cue per spoken line with a `<v Speaker>`
voice tag (a unison line names all its speakers: `<v Simplicia and Doomer>`) and lines of at most
65 characters. A long speech stays one cue, so the transcript keeps the script's lines, but it is
split into timed pieces with WebVTT's inline timestamp tags (`<00:01:02.500>`), which players use to
reveal it piece by piece. SRT, a caption format with no such tags, gets those pieces as cues.
A line whose takes have word timings (the check's recognizer, carried through the mix) gets an
inline timestamp at every word instead, and one where a pause follows a word, so a player can
follow it word by word.
Pieces are whole sentences where they fit two caption lines (several short ones together), timed
exactly by the sentence takes the mixer placed; a sentence too long for one piece is cut at clauses,
then words, and shares its own time by characters. A cue without sentence times (dual dialogue, or
timings built by hand) is split the same way and shares its line's time by characters.
"""

from __future__ import annotations

import json
import os
import re
import textwrap
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Sequence

from radioplay.io import write_text_atomic
from radioplay.model import ChapterTiming, CueTiming

MAX_LINE = 65
"""Characters per caption line (Podcasting 2.0 recommends 65 or fewer)."""
MAX_LINES = 2
"""Caption lines per cue before a speech is split into several cues."""
CHAPTERS_VERSION = "1.2.0"

_SENTENCE_END = re.compile(r"(?<=[.!?…])[\"'”’)\]]*\s+")
_CLAUSE_END = re.compile(r"[,;:—–]\s")


@dataclass(frozen=True)
class Caption:
    """One timed caption: who speaks, the text, and when (seconds)."""

    speakers: tuple[str, ...]
    text: str
    start: float
    end: float


def speaker_label(speakers: Sequence[str]) -> str:
    """"Simplicia", "Simplicia and Doomer", "A, B and C"."""
    names = list(speakers)
    if len(names) <= 1:
        return "".join(names)
    return ", ".join(names[:-1]) + " and " + names[-1]


def captions(cues: Sequence[CueTiming], marker: Callable[[tuple[str, ...]], str] = lambda speakers: "",
             escape: Callable[[str], str] = lambda text: text) -> list[Caption]:
    """Split the spoken cues into captions of at most MAX_LINES lines of MAX_LINE characters.

    `marker(speakers)` is what precedes the first line (a voice tag, "Name: "); `escape` is how the
    text will be written. Cues with no speakers or no words (standalone directions) are left out;
    captions are in order of start time.
    """
    out: list[Caption] = []
    for cue in cues:
        text = " ".join(cue.text.split())
        if not cue.speakers or not text:
            continue
        width = len(marker(tuple(cue.speakers)))
        fits = lambda piece: len(_wrap(escape(piece), width)) <= MAX_LINES  # noqa: E731
        speakers = tuple(cue.speakers)
        if not cue.sentences:
            out.extend(_share(speakers, _split(text, fits), cue.start, cue.end))
            continue
        mergeable = False
        for written, start, end in cue.sentences:
            sentence = " ".join(written.split())
            if not fits(sentence):
                out.extend(_share(speakers, _split_sentence(sentence, fits), start, end))
                mergeable = False
            elif mergeable and fits(joined := out[-1].text + " " + sentence):
                out[-1] = Caption(speakers, joined, out[-1].start, end)
            else:
                out.append(Caption(speakers, sentence, start, end))
                mergeable = True
    out.sort(key=lambda c: c.start)  # stable: simultaneous cues keep script order
    return out


def _share(speakers: tuple[str, ...], pieces: list[str], start: float, end: float) -> list[Caption]:
    """Captions for `pieces` spoken from `start` to `end`, each timed by its share of the characters."""
    total = sum(len(p) for p in pieces)
    out, done, at = [], 0, start
    for piece in pieces:
        done += len(piece)
        until = start + (end - start) * done / total
        out.append(Caption(speakers, piece, at, until))
        at = until
    return out


def _wrap(text: str, first_line_taken: int) -> list[str]:
    """Wrap to MAX_LINE, the first line shortened by the speaker marker in front of it."""
    return textwrap.wrap(text, width=MAX_LINE, initial_indent="x" * first_line_taken, break_long_words=True,
                         break_on_hyphens=False) or [""]


def _split(text: str, fits) -> list[str]:
    """As many whole sentences per piece as fit; a sentence too long alone is cut at words, preferably
    after a clause (comma, semicolon, colon, dash), and its pieces are not merged with the next one."""
    if fits(text):
        return [text]
    pieces: list[str] = []
    mergeable = False
    for sentence in _SENTENCE_END.split(text):
        if not sentence:
            continue
        if fits(sentence):
            if mergeable and fits(pieces[-1] + " " + sentence):
                pieces[-1] += " " + sentence
            else:
                pieces.append(sentence)
            mergeable = True
        else:
            pieces.extend(_split_sentence(sentence, fits))
            mergeable = False
    return pieces


def _split_sentence(sentence: str, fits) -> list[str]:
    """The fewest pieces that fit, then evened out so that no piece is a lone word or two."""
    greedy = _pack(sentence.split(), fits)
    if len(greedy) < 2:
        return greedy
    even = len(sentence) / len(greedy)
    for slack in (1.1, 1.25, 1.5):
        balanced = _pack(sentence.split(), lambda piece: fits(piece) and len(piece) <= even * slack)
        if len(balanced) == len(greedy):
            return balanced
    return greedy


def _pack(words: list[str], fits) -> list[str]:
    pieces: list[str] = []
    current: list[str] = []
    for word in words:
        if not current or fits(" ".join(current + [word])):
            current.append(word)
            continue
        # Break after the last clause end in the second half of the piece, if there is one.
        cut = len(current)
        for i in range(len(current) - 1, len(current) // 2 - 1, -1):
            if _CLAUSE_END.search(current[i] + " "):
                cut = i + 1
                break
        pieces.append(" ".join(current[:cut]))
        current = current[cut:] + [word]
    if current:
        pieces.append(" ".join(current))
    return pieces


def _vtt_time(seconds: float) -> str:
    ms = max(0, int(round(seconds * 1000)))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


def _srt_time(seconds: float) -> str:
    return _vtt_time(seconds).replace(".", ",")


def _vtt_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _voice_tag(speakers: tuple[str, ...]) -> str:
    return f"<v {_vtt_escape(speaker_label(speakers))}>"


def _name_prefix(speakers: tuple[str, ...]) -> str:
    return speaker_label(speakers) + ": "


WORD_PAUSE = 0.15
"""Seconds of silence after a word that get their own timestamp (nothing is said then)."""


def vtt_text(cues: Sequence[CueTiming]) -> str:
    """WebVTT: one cue per spoken line with a `<v Name>` tag; a line with word timings carries an
    inline timestamp at every word, a long speech without them where its caption pieces begin."""
    blocks = ["WEBVTT"]
    spoken = sorted((c for c in cues if c.speakers and c.text.strip()), key=lambda c: c.start)
    for cue in spoken:
        tag = _voice_tag(tuple(cue.speakers))
        if cue.words:
            lines = _word_lines(cue, len(tag))
        else:
            pieces = captions([cue], _voice_tag, _vtt_escape)
            payload = " ".join((f"<{_vtt_time(p.start)}>" if i else "") + _vtt_escape(p.text)
                               for i, p in enumerate(pieces))
            lines = _wrap(payload, len(tag))
            lines[0] = lines[0][len(tag):]
        lines[0] = tag + lines[0]
        blocks.append(f"{_vtt_time(cue.start)} --> {_vtt_time(cue.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def _word_lines(cue: CueTiming, first_line_taken: int) -> list[str]:
    """The cue's words, each after its start timestamp (and before a pause's), wrapped by the
    text a reader sees. WebVTT wants every timestamp inside the cue and later than the one before
    (to the millisecond): a word whose start is not is shown with the word before it."""
    ms = lambda seconds: max(0, int(round(seconds * 1000)))  # noqa: E731
    floor, ceiling = ms(cue.start), ms(cue.end)
    last = floor

    def stamp(seconds: float) -> str:
        nonlocal last
        at = ms(seconds)
        if not last < at < ceiling:
            return ""
        last = at
        return f"<{_vtt_time(at / 1000)}>"

    tokens: list[tuple[str, int]] = []  # (text with tags, characters a reader sees)
    for k, (word, start, end) in enumerate(cue.words):
        text = _vtt_escape(word)
        token = stamp(start) + text
        following = cue.words[k + 1][1] if k + 1 < len(cue.words) else cue.end
        if following - end >= WORD_PAUSE:
            token += stamp(end)
        tokens.append((token, len(text)))
    lines: list[str] = []
    line, width = "", first_line_taken
    for token, seen in tokens:
        if line and width + 1 + seen > MAX_LINE:
            lines.append(line)
            line, width = "", 0
        line, width = (line + " " + token, width + 1 + seen) if line else (token, width + seen)
    lines.append(line)
    return lines


def srt_text(cues: Sequence[CueTiming]) -> str:
    """SubRip: numbered cues, "Name: " in front of the text instead of a voice tag."""
    blocks = []
    for number, caption in enumerate(captions(cues, _name_prefix), start=1):
        prefix = _name_prefix(caption.speakers)
        lines = _wrap(caption.text, len(prefix))
        lines[0] = prefix + lines[0][len(prefix):]
        blocks.append(f"{number}\n{_srt_time(caption.start)} --> {_srt_time(caption.end)}\n" + "\n".join(lines))
    return "\n\n".join(blocks) + "\n"


def chapters_json_text(chapters: Sequence[ChapterTiming], title: str | None = None) -> str:
    """Podcasting 2.0 chapters (application/json+chapters), version 1.2.0."""
    doc: dict = {"version": CHAPTERS_VERSION}
    if title:
        doc["title"] = title
    doc["chapters"] = [{"startTime": round(c.start, 3), "endTime": round(c.end, 3), "title": c.title}
                       for c in chapters]
    return json.dumps(doc, indent=2, ensure_ascii=False) + "\n"


def write_vtt(path: str | os.PathLike, cues: Sequence[CueTiming]) -> Path:
    return write_text_atomic(path, vtt_text(cues))


def write_srt(path: str | os.PathLike, cues: Sequence[CueTiming]) -> Path:
    return write_text_atomic(path, srt_text(cues))


def write_chapters_json(path: str | os.PathLike, chapters: Sequence[ChapterTiming], title: str | None = None) -> Path:
    return write_text_atomic(path, chapters_json_text(chapters, title))
