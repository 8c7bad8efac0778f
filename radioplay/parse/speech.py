"""Building cues out of speech, shared by the Markdown and Fountain parsers.

A parser feeds a `SpeechBuilder` paragraphs, text, line breaks and directions in source order;
the builder decides where segments start and end, which direction is in force, and turns the
whole into one `Cue` (or reports that the cue turned out empty).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from radioplay.model import Chapter, Cue, Diagnostic, Part, Segment, Unspoken

# Closing quotes and brackets may follow the dash that cuts a line off: `"I was—"`.
_TRAILING_CLOSERS = "\"'”’»)]"
_LEADING_OPENERS = "\"'“‘«(["


def source_text(text: str) -> str:
    """One form of line break for every caller (read_text already does this for files); NUL is not text."""
    return text.removeprefix("\ufeff").replace("\r\n", "\n").replace("\r", "\n").replace("\x00", "\ufffd")


def tidy(text: str) -> str:
    """Collapse runs of whitespace (line breaks, gaps left by removed notes) to one space."""
    return " ".join(text.split())


# The last (first) character of a line that may be cut off (picks up): anything else rules it out.
_MAY_END_CUT = frozenset("—-" + _TRAILING_CLOSERS)
_MAY_START_PICKING_UP = frozenset("—-" + _LEADING_OPENERS)


def is_interrupted(text: str) -> bool:
    """True when the speech ends in an em dash or `--` (the next speaker cuts in)."""
    last = text[-1:]
    if last not in _MAY_END_CUT and not last.isspace():
        return False
    end = text.rstrip().rstrip(_TRAILING_CLOSERS).rstrip()
    return end.endswith("—") or end.endswith("--")


def picks_up(text: str) -> bool:
    """True when the speech starts with an em dash or `--` (it continues a cut-off line)."""
    first = text[:1]
    if first not in _MAY_START_PICKING_UP and not first.isspace():
        return False
    start = text.lstrip().lstrip(_LEADING_OPENERS).lstrip()
    return start.startswith("—") or start.startswith("--")


@dataclass(slots=True)
class _Draft:
    pieces: list[str]
    direction: str | None
    line: int
    col: int
    paragraph_break: bool


@dataclass(slots=True)
class SpeechBuilder:
    """Collects one cue's speech. Directions apply from where they appear onwards."""

    speakers: tuple[str, ...]
    line: int
    col: int
    extensions: tuple[str, ...] = ()
    segments: list[Segment] = field(default_factory=list)
    direction_in_force: str | None = None
    unused_direction: tuple[str, int, int] | None = None
    """A direction that no words have followed yet (text, line, col)."""
    _current: _Draft | None = None
    _next_is_paragraph: bool = False

    def add_paragraph(self, text: str, line: int, col: int) -> None:
        """A whole paragraph of words, already tidy and not empty: what start_paragraph, add_text
        and end_paragraph would make of it, for the parsers' fast lanes."""
        if self._current is not None:
            self._finish_segment()
        self.segments.append(Segment(text, self.direction_in_force, line, col, bool(self.segments)))
        self.unused_direction = None
        self._next_is_paragraph = False

    def start_paragraph(self) -> None:
        self._finish_segment()
        self._next_is_paragraph = bool(self.segments)

    def add_text(self, text: str, line: int, col: int) -> None:
        if self._current is None:
            if not text.strip():
                return
            self._current = _Draft([], self.direction_in_force, line, col, self._next_is_paragraph)
            self.unused_direction = None
        self._current.pieces.append(text)

    def add_break(self) -> None:
        if self._current is not None:
            self._current.pieces.append(" ")

    def add_direction(self, direction: str, line: int, col: int) -> None:
        """A direction splits the speech: the words after it are a new segment that carries it."""
        if self._current is not None and tidy("".join(self._current.pieces)):
            self._finish_segment()
        elif self._current is not None:
            self._current = None
        if self.unused_direction is not None:
            # Two directions with no words between them direct the same words.
            text, line, col = self.unused_direction
            direction = f"{text}; {direction}"
        self.direction_in_force = direction
        self.unused_direction = (direction, line, col)

    def end_paragraph(self) -> None:
        self._finish_segment()

    def _finish_segment(self) -> None:
        draft, self._current = self._current, None
        if draft is None:
            return
        text = tidy("".join(draft.pieces))
        if not text:
            return
        self.segments.append(Segment(text, draft.direction, draft.line, draft.col, draft.paragraph_break))
        self._next_is_paragraph = False

    def build(self) -> Cue | None:
        """The finished cue, or None when nothing was said."""
        if self._current is not None:
            self._finish_segment()
        if not self.segments:
            return None
        segments = tuple(self.segments)
        return make_line_cue(self.speakers, [segments] * len(self.speakers), self.line, self.col, self.extensions)


def join_segments(segments: tuple[Segment, ...] | list[Segment]) -> str:
    out: list[str] = []
    for i, seg in enumerate(segments):
        if i:
            out.append("\n\n" if seg.paragraph_break else " ")
        out.append(seg.text)
    return "".join(out)


def make_line_cue(speakers: tuple[str, ...], segments_per_part: list[tuple[Segment, ...]], line: int, col: int,
                  extensions: tuple[str, ...] = ()) -> Cue:
    """A line cue; parts with the same segments are unison, different ones are dual dialogue."""
    if len(speakers) == 1:
        # One speaker (nearly every cue): the general case below, with each join done once.
        segments = segments_per_part[0]
        first_segment = segments[0]
        text = first_segment.text if len(segments) == 1 else join_segments(segments)
        # Positional: keyword arguments make a Cue take twice as long, and a big script makes 100,000s.
        return Cue("line", speakers, text, first_segment.direction, line, col, (Part(speakers[0], segments),),
                   is_interrupted(text), picks_up(first_segment.text), extensions)
    parts = tuple([Part(name, segs) for name, segs in zip(speakers, segments_per_part)])
    first = segments_per_part[0]
    if all(segs is first for segs in segments_per_part):  # unison: one speech, joined once
        text = last_text = join_segments(first)
    else:
        texts = [join_segments(segs) for segs in segments_per_part]
        text, last_text = "\n".join(dict.fromkeys(texts)), texts[-1]
    return Cue("line", speakers, text, first[0].direction, line, col, parts, is_interrupted(last_text),
               picks_up(first[0].text), extensions)


def direction_cue(text: str, line: int, col: int) -> Cue:
    return Cue("direction", (), text, None, line, col)


class Findings:
    """What a parser reports besides cues: the unspoken listing and the warnings."""

    def __init__(self, path: str):
        self.path = path
        self.unspoken: list[Unspoken] = []
        self.diagnostics: list[Diagnostic] = []

    def leave_out(self, reason: str, text: str, line: int, col: int) -> None:
        self.unspoken.append(Unspoken(line=line, col=col, reason=reason, text=text))

    def warn(self, message: str, line: int, col: int) -> None:
        self.diagnostics.append(Diagnostic("warning", line, col, message, self.path))

    def chapters_with_cues(self, chapters: list[Chapter], cue_count: int) -> list[Chapter]:
        """Chapters that start at a cue; a heading with nothing after it is listed and dropped."""
        kept = []
        for chapter in chapters:
            if chapter.cue >= cue_count:
                self.leave_out("empty chapter", chapter.title, chapter.line, 1)
                self.warn(f"chapter {chapter.title!r} has no cues after it; dropped", chapter.line, 1)
            else:
                kept.append(chapter)
        return kept

    def skip_empty_cue(self, builder: "SpeechBuilder", brackets: str = "[]", joiner: str = ", ") -> None:
        """An empty cue is never voiced; list it and warn, in the script's own notation."""
        text = joiner.join(builder.speakers)
        if builder.unused_direction is not None:
            text += f" {brackets[0]}{builder.unused_direction[0]}{brackets[1]}"
        self.leave_out("empty cue", text, builder.line, builder.col)
        self.warn(f"empty cue: {' and '.join(builder.speakers)} says nothing; skipped", builder.line, builder.col)
