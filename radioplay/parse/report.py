"""What `radioplay inspect` shows: the parsed script as JSON or as a readable report."""

from __future__ import annotations

import json
import re
from typing import Callable, Iterator, Sequence, TextIO

from rich.console import Console
from rich.table import Table

from radioplay.model import Cue, Script

WORDS_PER_MINUTE = 150.0
"""A measured conversational pace for TTS voices at speed 1.0."""
# Rough pauses for the estimate; the mixer's Timing decides the real ones.
TURN_GAP_S = 0.35
PARAGRAPH_GAP_S = 0.5
DIRECTION_SPLIT_GAP_S = 0.25
DIRECTION_PAUSE_S = 1.0

_WORD = re.compile(r"\w+")


def word_count(text: str) -> int:
    return len(_WORD.findall(text))


def cue_seconds(cue: Cue) -> float:
    """Estimated seconds one cue lasts, without the gap before it."""
    if cue.kind == "direction":
        return DIRECTION_PAUSE_S
    longest = 0.0
    for part in cue.parts:
        seconds = sum(word_count(s.text) for s in part.segments) * 60.0 / WORDS_PER_MINUTE
        for seg in part.segments[1:]:
            seconds += PARAGRAPH_GAP_S if seg.paragraph_break else DIRECTION_SPLIT_GAP_S
        longest = max(longest, seconds)
    return longest


def estimate_seconds(script: Script) -> float:
    """Running time at ~150 words per minute plus turn gaps, paragraph gaps and direction pauses."""
    lines = sum(1 for c in script.cues if c.kind == "line")
    return sum(cue_seconds(c) for c in script.cues) + TURN_GAP_S * max(lines - 1, 0)


def speaker_stats(script: Script) -> dict[str, tuple[int, int]]:
    """Speaker -> (line count, word count); a unison line counts for each of its speakers."""
    stats: dict[str, list[int]] = {name: [0, 0] for name in script.speakers()}
    for cue in script.lines:
        for part in cue.parts:
            entry = stats[part.speaker]
            entry[0] += 1
            entry[1] += sum(word_count(s.text) for s in part.segments)
    return {name: (lines, words) for name, (lines, words) in stats.items()}


def directions(script: Script) -> list[tuple[int, int, str, bool]]:
    """Every direction as (line, col, text, standalone), in script order, each place once."""
    out: list[tuple[int, int, str, bool]] = []
    for cue in script.cues:
        if cue.kind == "direction":
            out.append((cue.line, cue.col, cue.text, True))
            continue
        seen: set[tuple[int, str]] = set()
        for part in cue.parts:
            previous = None
            for seg in part.segments:
                if seg.direction and seg.direction != previous and (seg.line, seg.direction) not in seen:
                    seen.add((seg.line, seg.direction))
                    out.append((seg.line, seg.col, seg.direction, False))
                previous = seg.direction
    return out


def format_diagnostics(script: Script) -> list[str]:
    """Each diagnostic as `path:line:col: severity: message`."""
    return [d.format() for d in script.diagnostics]


def inspect_json(script: Script, not_voiced: Callable[[str], bool] | None = None) -> dict:
    """The `radioplay inspect --json` object (the contract of issues 2 and 3, plus extra fields)."""
    return _inspect_object(script, not_voiced, list)


def write_inspect_json(script: Script, out: TextIO, not_voiced: Callable[[str], bool] | None = None,
                       **extra: object) -> None:
    """Write inspect_json's object (after `extra` keys) as JSON: indented, with each cue and each
    unspoken item on a line of its own. Each item's dict is made as it is written, so a 50 MB
    script's whole object and its JSON text are never in memory at once (and the items go through
    json's C encoder, which indenting would turn off)."""
    data = {**extra, **_inspect_object(script, not_voiced, _Streamed)}
    out.write("{")
    for index, (key, value) in enumerate(data.items()):
        out.write(f'{"," if index else ""}\n  {json.dumps(key)}: ')
        if isinstance(value, _Streamed):
            out.write("[" if len(value) else "[]")
            for number, item in enumerate(value):
                out.write(f'{"," if number else ""}\n    {json.dumps(item, ensure_ascii=False)}')
            if len(value):
                out.write("\n  ]")
        else:
            out.write(json.dumps(value, ensure_ascii=False, indent=2).replace("\n", "\n  "))
    out.write("\n}\n")


class _Streamed:
    """A list to write item by item: its items are made only as they are iterated."""

    def __init__(self, items: "_Mapped"):
        self.items = items

    def __iter__(self) -> Iterator[object]:
        return iter(self.items)

    def __len__(self) -> int:
        return len(self.items)


class _Mapped:
    """`items` mapped through `make`, lazily, with the length of `items`."""

    def __init__(self, make: Callable[[object], object], items: Sequence[object]):
        self.make, self.items = make, items

    def __iter__(self) -> Iterator[object]:
        return map(self.make, self.items)

    def __len__(self) -> int:
        return len(self.items)


def _inspect_object(script: Script, not_voiced: Callable[[str], bool] | None, collect: Callable) -> dict:
    def cue_item(cue: Cue) -> dict:
        item = {
            "kind": cue.kind,
            "speakers": list(cue.speakers),
            "text": cue.text,
            "direction": cue.direction,
            "line": cue.line,
            "col": cue.col,
            "interrupted": cue.interrupted,
            "picks_up": cue.picks_up,
            "unison": cue.unison,
            "simultaneous": cue.simultaneous,
            "extensions": list(cue.extensions),
            "parts": [{"speaker": p.speaker,
                       "segments": [{"text": s.text, "direction": s.direction, "line": s.line, "col": s.col,
                                     "paragraph_break": s.paragraph_break} for s in p.segments]}
                      for p in cue.parts],
        }
        if not_voiced is not None and cue.direction:
            item["direction_voiced"] = not not_voiced(cue.direction)
        return item

    def unspoken_item(u) -> dict:
        return {"line": u.line, "col": u.col, "reason": u.reason, "text": u.text}

    return {
        "title": script.title,
        "path": script.path,
        "format": script.format,
        "cues": collect(_Mapped(cue_item, script.cues)),
        "diagnostics": [{"severity": d.severity, "line": d.line, "col": d.col, "message": d.message}
                        for d in script.diagnostics],
        "chapters": [{"title": c.title, "cue": c.cue, "line": c.line} for c in script.chapters],
        "unspoken": collect(_Mapped(unspoken_item, script.unspoken)),
        "speakers": [{"name": name, "lines": lines, "words": words}
                     for name, (lines, words) in speaker_stats(script).items()],
        "estimated_seconds": round(estimate_seconds(script), 1),
    }


def _clock(seconds: float) -> str:
    minutes, secs = divmod(int(round(seconds)), 60)
    return f"{minutes}:{secs:02d}"


def _short(text: str, limit: int = 90) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


TABLE_ROWS = 200
"""Rows each table of the readable report shows unless asked for all: a table of a big script's
100,000s of cues takes minutes to lay out and is no use on a screen (--json has everything)."""


def print_inspect(script: Script, console: Console, not_voiced: Callable[[str], bool] | None = None,
                  max_rows: int | None = TABLE_ROWS) -> None:
    """A readable view of everything the parser found, and everything it will not speak; each table
    shows its first `max_rows` rows (None: all) and says how many more there are."""
    lines = script.lines
    console.print(f"[bold]{script.title or '(untitled)'}[/bold]  {script.path} ({script.format})")
    console.print(f"{len(lines)} spoken lines, {len(script.cues) - len(lines)} stage directions, "
                  f"about {_clock(estimate_seconds(script))} at {WORDS_PER_MINUTE:.0f} words per minute")

    chapter_at = {c.cue: c for c in script.chapters}
    cues = Table(title="Cues", show_lines=False, expand=False)
    for column in ("#", "line", "who", "direction", "text"):
        cues.add_column(column, overflow="fold")
    for index, cue in enumerate(_first(script.cues, max_rows)):
        if index in chapter_at:
            cues.add_row("", "", f"[bold]§ {chapter_at[index].title}[/bold]", "", "")
        who = " + ".join(cue.speakers) if cue.speakers else "[dim](stage)[/dim]"
        flags = (" [dim](cut off)[/dim]" if cue.interrupted else "") + (" [dim](unison)[/dim]" if cue.unison else
                                                                       " [dim](dual)[/dim]" if cue.simultaneous else "")
        direction = cue.direction or ""
        if direction and not_voiced is not None and not_voiced(direction):
            direction += " [dim](not voiced)[/dim]"
        text = cue.text if cue.kind == "line" else f"[italic]{cue.text}[/italic]"
        cues.add_row(str(index), str(cue.line), who + flags, direction, _short(text))
    _more(cues, len(script.cues), max_rows, "cues")
    console.print(cues)

    speakers = Table(title="Speakers")
    for column in ("speaker", "lines", "words"):
        speakers.add_column(column)
    for name, (count, words) in speaker_stats(script).items():
        speakers.add_row(name, str(count), str(words))
    console.print(speakers)

    found = directions(script)
    if found:
        table = Table(title="Directions")
        for column in ("where", "direction", "kind", "voiced"):
            table.add_column(column)
        for line, col, text, standalone in _first(found, max_rows):
            voiced = "—" if not_voiced is None else ("no" if not_voiced(text) else "yes")
            table.add_row(f"{line}:{col}", text, "stage" if standalone else "delivery", voiced)
        _more(table, len(found), max_rows, "directions")
        console.print(table)

    unspoken = Table(title="Unspoken (never heard)")
    for column in ("where", "reason", "text"):
        unspoken.add_column(column, overflow="fold")
    for item in _first(script.unspoken, max_rows):
        unspoken.add_row(f"{item.line}:{item.col}", item.reason, _short(item.text, 70))
    _more(unspoken, len(script.unspoken), max_rows, "unspoken items")
    if not script.unspoken:
        unspoken.add_row("", "", "(nothing: every word is spoken)")
    console.print(unspoken)

    for message in format_diagnostics(script):
        console.print(message, markup=False, highlight=False)


def _first(items: list, max_rows: int | None) -> list:
    return items if max_rows is None else items[:max_rows]


def _more(table: Table, total: int, max_rows: int | None, what: str) -> None:
    if max_rows is not None and total > max_rows:
        table.add_row(*([""] * (len(table.columns) - 1)),
                      f"[dim]… and {total - max_rows:,} more {what} (--all shows them all; --json has everything)[/dim]")
