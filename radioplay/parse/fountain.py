"""Fountain (https://fountain.io/syntax), the screenwriters' plain-text format.

Spoken: dialogue under a character cue (and lyrics). Directions: parentheticals. Chapters: scene
headings and `#` sections. Never spoken, each listed in Script.unspoken: the title page (other than
its title), action, transitions, centered text, `[[notes]]`, `/* boneyard */`, page breaks and
`= synopses`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Iterator

from radioplay.model import Chapter, Cue, Scene, Script, Segment
from radioplay.parse.speech import Findings, SpeechBuilder, direction_cue, make_line_cue, source_text, tidy

_TITLE_KEY = re.compile(r"([A-Za-z][A-Za-z0-9 _-]*):(.*)")
_SCENE = re.compile(r"(?:INT\.?/EXT|INT/EXT|I/E|INT|EXT|EST)[. ]", re.IGNORECASE)
_SCENE_NUMBER = re.compile(r"\s*#[\w.-]+#\s*$")
_PAGE_BREAK = re.compile(r"={3,}")
_EXTENSION = re.compile(r"\s*\(([^()]*)\)\s*$")
_EMPHASIS = re.compile(r"(?<!\\)(\*{1,3}|_)(?=\S)(.+?)(?<=\S)(?<!\\)\1")
_ESCAPE = re.compile(r"\\([*_\\])")
_NOT_NEWLINE = re.compile(r"[^\n]")
_NOT_DIALOGUE_LEADS = frozenset("=#.>")
_SPEECH_MARKUP = re.compile(r"[*_\\]")
# A truly blank line: whitespace only, but not the two spaces that connect an element ("Line Breaks").
_BLANK_LINE = re.compile(r"\n(?!  \n)[^\S\n]*\n")
CONNECTING_LINE = "  "
"""fountain.io "Line Breaks": a line of two spaces keeps dialogue or action together."""


def strip_emphasis(text: str) -> str:
    """`*italic*`, `**bold**`, `***both***` and `_underline_` lose their markers; `\\*` is a star."""
    if "*" not in text and "_" not in text and "\\" not in text:
        return text
    while True:  # `***x***` and nested markers take more than one pass
        text, replaced = _EMPHASIS.subn(r"\2", text)
        if not replaced or ("*" not in text and "_" not in text):
            break
    return _ESCAPE.sub(r"\1", text) if "\\" in text else text


@dataclass(slots=True)
class _Line:
    number: int
    """1-based."""
    text: str
    """With notes and boneyard blanked out."""
    col: int
    """1-based column of the first character."""


class FountainParser(Findings):
    def __init__(self, text: str, path: str, fast_paths: bool = True):
        self.text = source_text(text)
        super().__init__(path)
        self.fast_paths = fast_paths
        self.cues: list[Cue] = []
        self.chapters: list[Chapter] = []
        self.scenes: list[Scene] = []
        self.title: str | None = None
        self.last_speakers: tuple[str, ...] | None = None
        self.last_extensions: tuple[str, ...] = ()
        self.character_cues: dict[str, tuple[str, tuple[str, ...], bool] | None] = {}
        self.previous: str | None = None
        """The element before the current one ("speech", "action", "a scene heading", ...): a `^` cue
        pairs only with a speech right before it."""

    # ------------------------------------------------------------------ masking

    def mask(self) -> list[str | None]:
        """Blank out boneyard and notes (listing them); lines left holding nothing become None,
        so they neither break a dialogue block nor join it."""
        text = self.text
        original = text.split("\n")
        if "/*" not in text and "[[" not in text:
            return original
        kept: list[str] = []
        kept_until = 0
        touched: list[int] = []
        """Lines that had something blanked out: only these can be left holding nothing."""
        covered: list[int] = []
        """Lines wholly inside a note or boneyard, blank ones too: they are not there at all."""
        counted_until, line_number = 0, 1

        def where(offset: int) -> tuple[int, int]:
            # Marks come in order: count the line breaks since the last one (str.count runs at C speed).
            nonlocal counted_until, line_number
            line_number += text.count("\n", counted_until, offset)
            counted_until = offset
            return line_number, offset - text.rfind("\n", 0, offset)

        def blank(start: int, end: int, line: int) -> None:
            nonlocal kept_until
            region = text[start:end]
            newlines = region.count("\n")
            kept.append(text[kept_until:start])
            kept.append(_NOT_NEWLINE.sub(" ", region) if newlines else " " * len(region))
            kept_until = end
            touched.extend(range(line - 1, line + newlines))
            covered.extend(range(line, line + newlines - 1))

        k = 0
        n = len(text)
        next_boneyard, next_note = text.find("/*"), text.find("[[")
        next_close = next_blank = -2  # found when a note first needs them
        while k < n:
            # Two plain finds (memchr fast) rather than one regex that steps through every character.
            if next_boneyard != -1 and next_boneyard < k:
                next_boneyard = text.find("/*", k)
            if next_note != -1 and next_note < k:
                next_note = text.find("[[", k)
            if next_boneyard == -1 and next_note == -1:
                break
            k = next_note if next_boneyard == -1 or (next_note != -1 and next_note < next_boneyard) else next_boneyard
            line, col = where(k)
            if text.startswith("/*", k):
                close = text.find("*/", k + 2)
                if close < 0:
                    self.warn("unclosed '/*': the rest of the script is boneyard (never spoken)", line, col)
                    body, end = text[k + 2:], n
                else:
                    body, end = text[k + 2:close], close + 2
                self.leave_out("boneyard", tidy(body), line, col)
            else:
                # A note ends at the next `]]`, but cannot hold a truly blank line: a stray `[[` is text.
                if next_close != -1 and next_close < k + 2:
                    next_close = text.find("]]", k + 2)
                if next_blank != -1 and next_blank < k:
                    found = _BLANK_LINE.search(text, k)
                    next_blank = found.start() if found else -1
                if next_close == -1 or next_blank != -1 and next_blank < next_close:
                    self.warn("unclosed '[[' (no ']]' before the next blank line): read as text, not as a note",
                              line, col)
                    k += 2
                    continue
                end = next_close + 2
                self.leave_out("note", tidy(text[k + 2:next_close]), line, col)
            blank(k, end, line)
            k = end
        kept.append(text[kept_until:])
        masked: list[str | None] = "".join(kept).split("\n")
        for index in touched:  # a line holding two notes is here twice
            if masked[index] is not None and not masked[index].strip() and original[index].strip():
                masked[index] = None
        for index in covered:
            masked[index] = None
        return masked

    # ------------------------------------------------------------------ blocks

    def blocks(self, lines: list[str | None], first: int) -> Iterator[list[_Line]]:
        """The blank-line separated blocks, one at a time: a block's lines are garbage as soon as
        it is read, so a big script never holds a line object per line."""
        current: list[_Line] = []
        for index in range(first, len(lines)):
            line = lines[index]
            if line is None:
                continue
            stripped = line.strip()
            if not stripped:
                if line == CONNECTING_LINE and current:
                    current.append(_Line(index + 1, "", 1))  # kept as an empty line inside the element
                elif current:
                    yield _without_trailing_empty(current)
                    current = []
                continue
            current.append(_Line(index + 1, stripped, len(line) - len(line.lstrip()) + 1))
        if current:
            yield _without_trailing_empty(current)

    def title_page(self, lines: list[str | None]) -> int:
        """Read the title page if the script starts with one; return the first line after it."""
        index = 0
        while index < len(lines) and (lines[index] is None or not lines[index].strip()):
            index += 1
        if index >= len(lines) or not _TITLE_KEY.fullmatch(lines[index].strip()) \
                or lines[index].strip().startswith(("!", "@", ".", "#", "~", ">")):
            return 0
        entries: list[tuple[str, list[str], int, int]] = []
        while index < len(lines) and lines[index] is not None and lines[index].strip():
            raw = lines[index]
            match = _TITLE_KEY.fullmatch(raw.strip())
            if match and not raw[:1].isspace():
                entries.append((match.group(1).strip(), [match.group(2).strip()] if match.group(2).strip() else [],
                                index + 1, len(raw) - len(raw.lstrip()) + 1))
            elif entries:
                entries[-1][1].append(raw.strip())
            else:
                return 0
            index += 1
        for key, values, line, col in entries:
            value = tidy(" ".join(values))
            if key.lower() == "title" and self.title is None:
                self.title = strip_emphasis(value) or None
            else:
                self.leave_out("title page", f"{key}: {value}".strip(), line, col)
        return index

    # ------------------------------------------------------------------ elements

    def run(self) -> Script:
        lines = self.mask()
        start = self.title_page(lines)
        for block in self.blocks(lines, start):
            self.block(block)
        kept = self.chapters_with_cues(self.chapters, len(self.cues))
        self.unspoken.sort(key=lambda u: (u.line, u.col))
        self.diagnostics.sort(key=lambda d: (d.line, d.col))
        return Script(title=self.title, cues=self.cues, chapters=kept, unspoken=self.unspoken,
                      diagnostics=self.diagnostics, path=self.path, format="fountain", scenes=self.scenes)

    def block(self, block: list[_Line]) -> None:
        text = block[0].text
        if len(block) > 1 and text[0] not in _NOT_DIALOGUE_LEADS and not self.is_scene_heading(text):
            # Dialogue (most blocks): none of the elements tested before it below can start this way.
            cue = self.character_cue(text)
            if cue is not None:
                self.dialogue(block, *cue)
                return
        while block:
            first = block[0]
            text = first.text
            lead = text[0]
            if lead == "=" and _PAGE_BREAK.fullmatch(text):
                self.element("page break", text, first)
            elif lead == "#":
                title = strip_emphasis(text.lstrip("#").strip())
                self.chapter(title, first, "a section")
            elif lead == "=" and not text.startswith("=="):
                self.element("synopsis", text[1:].strip(), first)
            elif self.is_scene_heading(text):
                title = _SCENE_NUMBER.sub("", text[1:] if text.startswith(".") else text).strip()
                self.chapter(strip_emphasis(title), first, "a scene heading")
                self.scenes.append(Scene(strip_emphasis(title), len(self.cues), first.number, first.col))
            elif text.startswith(">") and text.endswith("<") and len(text) > 1:
                self.element("centered", text[1:-1].strip(), first)
            elif text.startswith(">"):
                self.element("transition", text[1:].strip(), first)
            elif text.isupper() and text.endswith("TO:"):
                # Even with no blank line after it (a boneyard line may have stood there): never a speaker.
                self.element("transition", text, first)
            elif len(block) > 1 and (cue := self.character_cue(text)) is not None:
                self.dialogue(block, *cue)
                return
            elif text.startswith("~"):
                self.lyrics(block)
                return
            else:
                body = [line.text[1:] if k == 0 and line.text.startswith("!") else line.text
                        for k, line in enumerate(block)]
                self.element("action", strip_emphasis(tidy(" ".join(body))), first)
                return
            block = block[1:]
            while block and not block[0].text:  # a connecting line after a one-line element
                block = block[1:]

    def element(self, reason: str, text: str, line: _Line) -> None:
        """A block element that is never spoken: listed, and remembered as what came last."""
        self.leave_out(reason, text, line.number, line.col)
        self.previous = reason

    @staticmethod
    def is_scene_heading(text: str) -> bool:
        if text.startswith(".") and not text.startswith(".."):
            return len(text) > 1 and (text[1].isalnum() or text[1] in "'\"")
        return text[0] in "IiEe" and _SCENE.match(text) is not None

    def character_cue(self, text: str) -> tuple[str, tuple[str, ...], bool] | None:
        """(name, extensions, dual) when `text` is a character cue, else None; remembered per text,
        since the same few cue lines come back all through a script."""
        try:
            return self.character_cues[text]
        except KeyError:
            cue = self.character_cues[text] = _character_cue(text)
            return cue

    def chapter(self, title: str, line: _Line, kind: str) -> None:
        self.last_speakers = None
        self.previous = kind
        if title:
            self.chapters.append(Chapter(title=title, cue=len(self.cues), line=line.number))

    def dialogue(self, block: list[_Line], name: str, extensions: tuple[str, ...], dual: bool) -> None:
        head, lines = block[0], block[1:]
        for line in lines:
            if line.text[:1] == "(" and line.text[-1] != ")":
                lines = _join_wrapped_parentheticals(lines)
                break
        # Most speech is plain lines, perhaps after parentheticals: one segment, made at once
        # (what the builder would make of it; a property test checks the two ways agree).
        first = 0
        while first < len(lines) - 1 and _is_parenthetical(lines[first].text):
            first += 1
        speech = [line.text for line in lines[first:]]
        joined = speech[0] if len(speech) == 1 else " ".join(speech)
        # An empty text is a connecting line (a paragraph break) and a "(" or "~" line needs the builder.
        if self.fast_paths and _SPEECH_MARKUP.search(joined) is None and all(text[:1] not in "(~" for text in speech):
            direction = "; ".join([d for d in map(_parenthetical_direction, lines[:first]) if d]) if first else ""
            segment = Segment(tidy(joined), direction or None, lines[first].number, lines[first].col)
            self.add_cue(make_line_cue((name,), [(segment,)], head.number, head.col, extensions), dual)
            return
        builder = SpeechBuilder(speakers=(name,), line=head.number, col=head.col, extensions=extensions)
        self.speak(builder, lines)
        self.finish(builder, dual)

    def lyrics(self, block: list[_Line]) -> None:
        first = block[0]
        if self.last_speakers is None:
            text = strip_emphasis(tidy(" ".join(line.text.lstrip("~") for line in block)))
            self.element("lyrics with no singer", text, first)
            self.warn("lyrics with no character before them are not sung", first.number, first.col)
            return
        builder = SpeechBuilder(speakers=self.last_speakers, line=first.number, col=first.col,
                                extensions=self.last_extensions)
        self.speak(builder, block)
        self.finish(builder, dual=False)

    def speak(self, builder: SpeechBuilder, lines: list[_Line]) -> None:
        builder.start_paragraph()
        for line in lines:
            text = line.text
            if not text:  # a connecting line: a new paragraph of the same speech
                builder.start_paragraph()
                continue
            if _is_parenthetical(text):
                self.direct(builder, line)
                continue
            col = line.col
            if text.startswith("~"):
                text = text[1:].lstrip()
                col += len(line.text) - len(text)
            builder.add_text(strip_emphasis(text), line.number, col)
            builder.add_break()
        builder.end_paragraph()

    @staticmethod
    def direct(builder: SpeechBuilder, line: _Line) -> None:
        """A parenthetical directs the speech after it."""
        direction = _parenthetical_direction(line)
        if direction:
            builder.add_direction(direction, line.number, line.col)

    def finish(self, builder: SpeechBuilder, dual: bool) -> None:
        cue = builder.build()
        if cue is None:
            self.skip_empty_cue(builder, "()", " ")
            self.previous = "an empty cue"
            return
        self.add_cue(cue, dual)
        if builder.unused_direction is not None:
            text, line, col = builder.unused_direction
            self.cues.append(direction_cue(text, line, col))
            self.previous = "a closing parenthetical"

    def add_cue(self, cue: Cue, dual: bool) -> None:
        """Append a line cue; a dual-dialogue one (`^`) joins the single cue before it."""
        previous = self.cues[-1] if dual and self.cues and self.previous == "speech" else None
        if previous is not None and previous.kind == "line" and not previous.simultaneous:
            segments = [previous.parts[0].segments, cue.parts[0].segments]
            self.cues[-1] = make_line_cue(previous.speakers + cue.speakers, segments, previous.line, previous.col,
                                          previous.extensions + cue.extensions)
        else:
            if dual and self.previous not in (None, "speech"):
                self.warn(f"dual dialogue '^' after {self.previous}, not after a speech: spoken on its own",
                          cue.line, cue.col)
            elif dual:
                self.warn("dual dialogue '^' with no single line cue before it; spoken on its own",
                          cue.line, cue.col)
            self.cues.append(cue)
        self.previous = "speech"
        self.last_speakers = cue.speakers
        self.last_extensions = cue.extensions


def _is_parenthetical(text: str) -> bool:
    return text[:1] == "(" and text[-1] == ")"


def _without_trailing_empty(block: list[_Line]) -> list[_Line]:
    while not block[-1].text:
        block.pop()
    return block


def _join_wrapped_parentheticals(lines: list[_Line]) -> list[_Line]:
    """A parenthetical wrapped over several lines, `(looking out at the` / `water)`, as one line:
    only when the bracket the first line opens is the one that closes the last line."""
    out: list[_Line] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        last = _wrapped_parenthetical_end(lines, index) if line.text[:1] == "(" and line.text[-1] != ")" else None
        if last is None:
            out.append(line)
            index += 1
        else:
            out.append(_Line(line.number, " ".join(item.text for item in lines[index:last + 1]), line.col))
            index = last + 1
    return out


def _wrapped_parenthetical_end(lines: list[_Line], first: int) -> int | None:
    depth = 0
    for index in range(first, len(lines)):
        text = lines[index].text
        if not text:
            return None
        for position, char in enumerate(text):
            if char == "(":
                depth += 1
            elif char == ")":
                depth -= 1
                if depth == 0:
                    return index if index > first and position == len(text) - 1 else None
    return None


def _parenthetical_direction(line: _Line) -> str:
    return tidy(strip_emphasis(line.text[1:-1]))


def _character_cue(text: str) -> tuple[str, tuple[str, ...], bool] | None:
    """A character cue line's (name, extensions such as "V.O.", dual `^`), or None if it is not one."""
    if text.startswith("@"):
        if not text.strip("@^ "):
            return None
        raw = text[1:]
    elif text.startswith(("!", "~", "(", ">", "[", "=", "#", ".")):
        return None
    else:
        raw = text
        name = text.rstrip("^").strip()
        while True:
            # `name` has no trailing space, so an extension can only be there if it ends in ")".
            match = _EXTENSION.search(name) if name.endswith(")") else None
            if not match:
                break
            name = name[:match.start()].rstrip()
        # A cue needs capital letters and no small ones: a script without letter case (Chinese,
        # Japanese, Arabic) names its characters with `@`, so a line of it is never read as one.
        if name != name.upper() or not any(c.isupper() for c in name) or name.endswith("TO:"):
            return None
    dual = raw.endswith("^")
    raw = raw.rstrip("^").strip()
    extensions: list[str] = []
    while True:
        match = _EXTENSION.search(raw) if raw.endswith(")") else None
        if not match or not raw[:match.start()].strip():
            break
        extensions.insert(0, match.group(1).strip())
        raw = raw[:match.start()].rstrip()
    return tidy(strip_emphasis(raw)), tuple(extensions), dual


def parse_fountain(text: str, path: str = "<script>", *, fast_paths: bool = True) -> Script:
    """Parse a Fountain screenplay. Does not check for empty scripts; `parse_script` does."""
    return FountainParser(text, path, fast_paths).run()
