"""The Markdown dialogue format (the seed's conventions), parsed with markdown-it-py.

The source is first cut into blocks at blank lines by a cheap scan that also takes out what can
span blank lines and is never spoken: front matter, fenced code, HTML comments and bracketed author
notes. Each remaining block goes through markdown-it (block and inline rules, CommonMark), except
where markdown-it's reading is certain and cheaper to get another way:

- one-line paragraphs in the commonest forms (`direct_line`): a cue head with plain words, a lone
  direction, a heading, more of the speech; their inline markup goes to the small tokenizer in
  `inline.py`, and a cue of one paragraph is made at once (`said`);
- other plain paragraphs with no inline markup beyond a cue head (`_fast_paragraph`).

With `fast_paths=False` every block takes the general path; a property test checks that both give
the same Script."""

from __future__ import annotations

import bisect
import re
from itertools import accumulate
from dataclasses import dataclass

from markdown_it import MarkdownIt
from markdown_it.token import Token

from radioplay.model import Chapter, Cue, Script, Segment
from radioplay.parse.inline import InlineToken, is_md_space, md_trim, simple_inline
from radioplay.parse.speech import Findings, SpeechBuilder, direction_cue, make_line_cue, source_text, tidy

# A bracketed note longer than this is taken to be an unclosed bracket.
MAX_NOTE_LINES = 2000

_FENCE = re.compile(r" {0,3}(`{3,}|~{3,})")
_URL = re.compile(r"(?:https?|ftp)://[^\s<>]+|www\.[^\s<>]+\.[^\s<>]+", re.IGNORECASE)
_URL_TRAILING = ".,:;!?'\"’”"
_LIST_SEPARATOR = re.compile(r"\s*(?:,\s*and|,|and|&)\s*", re.IGNORECASE)
_HEAD_COLON = re.compile(r"\s*:")
# The fast path only takes paragraphs that markdown-it would read as one plain text run.
_INLINE_SPECIAL = re.compile(r"[*_`\[\]<>&\\~\t]")  # `!` only matters before `[`
# Cue heads the fast readings take (see _direct_head).
_DIRECT_NAME = re.compile(r"\*\*([^\W\d_](?:[^\W_]|[ .'’-])*?)(:?)\*\*")
# The same names as _DIRECT_NAME once the caller has turned down any with `_` (one class, no alternation).
_ONE_NAME_HEAD = re.compile(r" {0,3}\*\*([^\W\d_][\w .'’-]*)(?::\*\*|\*\*\s*:)")
_DIRECTION_INSIDE = r"([^*_`\[\]<>&\\~\t]*)"
_OPENING_DIRECTION = re.compile(r"([_*])\[" + _DIRECTION_INSIDE + r"\]\1(?=\s)")
_LONE_DIRECTION = re.compile(r"( {0,3})([_*])\[" + _DIRECTION_INSIDE + r"\]\2 *")
_BLOCK_START_CHARS = set("#>-+=|~`<[\t0123456789")
_THEMATIC_BREAK = re.compile(r"([-*_])(?:[ \t]*\1){2,}[ \t]*")
_ATX_HEADING = re.compile(r"#{1,6} +([^\t]*?) *")
_NOTE_CHAR = re.compile(r"[\\`\[\]]")
# Where the block scan must look: blank lines, and lines that may open a fence, comment or note.
_BLOCK_EVENT = re.compile(r"^(?:(?P<blank>[^\S\n]*$)| {0,3}(?:`{3}|~{3}|<!--|\[))", re.MULTILINE)
_ONE_LINE_PARAGRAPH = re.compile(r"(?! {0,3}(?:`{3}|~{3}|<!--|\[))[^\n]*\S[^\n]*\n[^\S\n]*(?:\n|\Z)")
_PLUS_ONE = (1).__add__
_CUE_LINE = re.compile(r" {0,3}(\*\*[^*\n]+\*\*|#)")


@dataclass(slots=True)
class _Block:
    kind: str
    """"chunk" (markdown to parse), or the reason of an unspoken block."""
    start: int
    """0-based first line."""
    end: int
    """0-based line after the last."""


@dataclass
class _Paragraph:
    kind: str
    """"para", "heading", or the reason of something unspoken ("code block", "html", "rule")."""
    line: int
    """0-based first line."""
    end: int
    children: list[Token] | None = None
    raw: str = ""


def _new_markdown() -> MarkdownIt:
    # Escapes stay separate tokens (no text_join), so an escaped `\[` never opens a note.
    return MarkdownIt("commonmark").enable("strikethrough").disable("text_join")


class MarkdownParser(Findings):
    """One parse of one Markdown script. Use `parse_markdown`."""

    def __init__(self, text: str, path: str, fast_paths: bool = True):
        text = source_text(text)
        self.text = text
        super().__init__(path)
        self.fast_paths = fast_paths
        self.lines = text.split("\n")
        self.line_offsets = list(accumulate(map(_PLUS_ONE, map(len, self.lines[:-1])), initial=0))
        self.md = _new_markdown()
        self.env: dict = {}
        self.cues: list[Cue] = []
        self.chapters: list[Chapter] = []
        self.title: str | None = None
        self.title_seen = False
        self.builder: SpeechBuilder | None = None
        self.last_cue_open = False
        """The last cue was made at once by said() and more speech may still join it."""
        self.last_speakers: tuple[str, ...] | None = None
        self.canonical_names: dict[str, str] = {}
        self.speakers_of_head: dict[str, tuple[str, ...]] = {}
        self.limit = len(text)
        """Searches for inline positions stop at the end of the paragraph being read."""

    # ------------------------------------------------------------------ positions and reports

    def position(self, offset: int) -> tuple[int, int]:
        """1-based (line, col) of a character offset in the source."""
        index = bisect.bisect_right(self.line_offsets, offset) - 1
        return index + 1, offset - self.line_offsets[index] + 1

    def find(self, needle: str, cursor: int) -> tuple[int, int, int]:
        """Where `needle` next occurs at or after `cursor`: (offset after it, line, col)."""
        at = self.text.find(needle, cursor, self.limit) if needle else -1
        if at < 0:
            line, col = self.position(cursor)
            return cursor, line, col
        line, col = self.position(at)
        return at + len(needle), line, col

    def find_text(self, content: str, cursor: int) -> tuple[int, int, int]:
        """find() for a text token, in one search: the (line, col) given is its first non-blank."""
        at = self.text.find(content, cursor, self.limit)
        if at < 0:
            _, line, col = self.find(content.strip() or content, cursor)
            return cursor, line, col
        line, col = self.position(at + len(content) - len(content.lstrip()))
        return at + len(content), line, col

    def block_text(self, start: int, end: int) -> str:
        return "\n".join(self.lines[start:end])

    # ------------------------------------------------------------------ pass 1: blocks

    def split_blocks(self) -> list[_Block]:
        lines = self.lines
        n = len(lines)
        blocks: list[_Block] = []
        i = 0
        if n and lines[0].strip() in ("---", "+++"):
            marker = lines[0].strip()
            for j in range(1, n):
                if lines[j].strip() == marker:
                    blocks.append(_Block("front matter", 0, j + 1))
                    i = j + 1
                    break
        chunk_start: int | None = None

        def flush(upto: int) -> None:
            nonlocal chunk_start
            if chunk_start is not None:
                blocks.append(_Block("chunk", chunk_start, upto))
                chunk_start = None

        # Only lines the regex picks out need a look; the lines between them are paragraph text.
        text, offsets, search, one_line = self.text, self.line_offsets, _BLOCK_EVENT.search, _ONE_LINE_PARAGRAPH.match
        while i < n:
            if chunk_start is None and one_line(text, offsets[i]) is not None:
                # The commonest block: one line and a blank one. Nothing between them to look at.
                blocks.append(_Block("chunk", i, i + 1))
                i += 2
                continue
            event = search(text, offsets[i])
            j = bisect.bisect_right(offsets, event.start(), i) - 1 if event is not None else n
            if j > i and chunk_start is None:
                chunk_start = i
            if j >= n:
                break
            if event.lastgroup == "blank":
                if chunk_start is not None:
                    blocks.append(_Block("chunk", chunk_start, j))
                    chunk_start = None
                i = j + 1
                continue
            line = lines[j]
            stripped = line.lstrip(" ")
            indent = len(line) - len(stripped)
            fence = _FENCE.match(line)
            if fence:
                flush(j)
                end = self._fence_end(j, fence.group(1))
                blocks.append(_Block("code block", j, end))
                i = end
                continue
            if stripped.startswith("<!--"):
                flush(j)
                end = j
                while end < n and "-->" not in lines[end][(indent + 4 if end == j else 0):]:
                    end += 1
                end = min(end + 1, n)
                blocks.append(_Block("comment", j, end))
                i = end
                continue
            end = self._note_end(j, indent)
            if end is not None:
                flush(j)
                blocks.append(_Block("author note", j, end))
                i = end
                continue
            if chunk_start is None:
                chunk_start = j
            i = j + 1
        flush(n)
        return blocks

    def _fence_end(self, start: int, opener: str) -> int:
        for j in range(start + 1, len(self.lines)):
            close = _FENCE.match(self.lines[j])
            if close and close.group(1)[0] == opener[0] and len(close.group(1)) >= len(opener) \
                    and not self.lines[j][close.end():].strip():
                return j + 1
        return len(self.lines)

    def _note_end(self, start: int, indent: int) -> int | None:
        """The line after a bracketed author note that starts at `start`, or None if it is a link."""
        depth = 0
        lines = self.lines
        last = min(len(lines), start + MAX_NOTE_LINES)
        for j in range(start, last):
            line = lines[j]
            k = indent if j == start else 0
            in_code = False
            while True:
                found = _NOTE_CHAR.search(line, k)
                if found is None:
                    break
                k = found.start()
                ch = line[k]
                if ch == "\\":
                    k += 2
                    continue
                if ch == "`":
                    in_code = not in_code
                elif not in_code and ch == "[":
                    depth += 1
                elif not in_code and ch == "]":
                    depth -= 1
                    if depth == 0:
                        rest = line[k + 1:]
                        if rest.strip():
                            # `[text](url)`, `[text][ref]`, `[ref]: url`, or words after the bracket:
                            # not a note block; the inline pass deals with it.
                            return None
                        return j + 1
                k += 1
        # Never closed: the note runs to the next cue or heading after a blank line.
        end = start + 1
        while end < len(lines):
            if not lines[end - 1].strip() and _CUE_LINE.match(lines[end]):
                break
            end += 1
        while end > start + 1 and not lines[end - 1].strip():
            end -= 1
        self.warn(f"unclosed '[' : lines {start + 1}-{end} are treated as an author note", start + 1, indent + 1)
        return end

    # ------------------------------------------------------------------ pass 2: paragraphs

    def paragraphs(self, block: _Block) -> list[_Paragraph]:
        if self.fast_paths:
            fast = self._fast_paragraph(block)
            if fast is not None:
                return [fast]
        source = self.block_text(block.start, block.end)
        tokens = self.md.parse(source, self.env)
        out: list[_Paragraph] = []
        covered = [False] * (block.end - block.start)
        for tok in tokens:
            if tok.level == 0 and tok.map is not None:
                for k in range(tok.map[0], min(tok.map[1], len(covered))):
                    covered[k] = True
        if not all(covered):
            # Only link reference definitions leave lines with no token: list them, never spoken.
            k = 0
            while k < len(covered):
                if covered[k] or not self.lines[block.start + k].strip():
                    k += 1
                    continue
                end = k
                while end < len(covered) and not covered[end]:
                    end += 1
                start = block.start + k
                out.append(_Paragraph("link definition", start, block.start + end,
                                      raw=self.block_text(start, block.start + end).strip()))
                k = end
        heading_level = 0
        for tok in tokens:
            if tok.type == "heading_open":
                heading_level = 1
            elif tok.type == "inline" and tok.map is not None:
                kind = "heading" if heading_level else "para"
                heading_level = 0
                out.append(_Paragraph(kind, block.start + tok.map[0], block.start + tok.map[1],
                                      _clean_children(tok.children or [])))
            elif tok.type in ("fence", "code_block", "html_block", "hr") and tok.map is not None:
                reason = {"fence": "code block", "code_block": "code block", "html_block": "html",
                          "hr": "rule"}[tok.type]
                start, end = block.start + tok.map[0], block.start + tok.map[1]
                out.append(_Paragraph(reason, start, end, raw=self.block_text(start, end).strip()))
        out.sort(key=lambda p: p.line)
        return out

    def _fast_paragraph(self, block: _Block) -> _Paragraph | None:
        lines = self.lines[block.start:block.end]
        first = lines[0]
        stripped_first = first.lstrip(" ")
        if len(first) - len(stripped_first) > 3:
            return None
        children: list[Token] = []
        body_first = stripped_first
        head = _direct_head(first)
        if head is not None and len(head[0]) == 1:
            # markdown-it's tokens for a one-name head: the name in strong, then the rest of the line.
            close = first.rindex("**", 0, head[1])
            children += [InlineToken("strong_open", "strong", 1, markup="**"),
                         InlineToken("text", "", 0, content=first[len(first) - len(stripped_first) + 2:close]),
                         InlineToken("strong_close", "strong", -1, markup="**")]
            body_first = first[close + 2:]
        elif _may_start_other_block(stripped_first):
            return None
        bodies = [body_first.rstrip(" ")]
        for line in lines[1:]:
            s = line.lstrip(" ")
            if len(line) - len(s) > 3 or _may_start_other_block(s):
                return None
            bodies.append(s.rstrip(" "))
        for body in bodies:
            if _INLINE_SPECIAL.search(body):
                # One paragraph for sure, but with inline markup: markdown-it's inline parser alone
                # reads it (the block parser would only hand it the same text).
                source = md_trim("\n".join(lines))
                return _Paragraph("para", block.start, block.end, self.inline_tokens(source))
        for index, body in enumerate(bodies):
            if index:
                children.append(InlineToken("softbreak", "br", 0))
            if body:
                children.append(InlineToken("text", "", 0, content=body))
        return _Paragraph("para", block.start, block.end, _clean_children(children))

    def inline_tokens(self, source: str) -> list[Token]:
        """Cleaned inline tokens of one paragraph's text: the small tokenizer when it can, else markdown-it."""
        tokens = simple_inline(source, self.md, bool(self.env.get("references")))
        if tokens is not None:
            return tokens
        return _clean_children(self.md.parseInline(source, self.env)[0].children or [])

    # ------------------------------------------------------------------ pass 3: cues

    def run(self) -> Script:
        blocks = self.split_blocks()
        # Link reference definitions apply to the whole document: read them first.
        for block in blocks:
            if block.kind == "chunk" and self.lines[block.start].lstrip(" ").startswith("["):
                self.md.parse(self.block_text(block.start, block.end), self.env)
        for block in blocks:
            if block.kind != "chunk":
                raw = self.block_text(block.start, block.end).strip()
                line = block.start + 1
                col = len(self.lines[block.start]) - len(self.lines[block.start].lstrip()) + 1
                self.leave_out(block.kind, raw, line, col)
                continue
            if self.fast_paths and block.end - block.start == 1 and self.direct_line(block.start):
                continue
            for para in self.paragraphs(block):
                self.handle(para)
        self.close_cue()
        self.chapters = self.chapters_with_cues(self.chapters, len(self.cues))
        self.unspoken.sort(key=lambda u: (u.line, u.col))
        self.diagnostics.sort(key=lambda d: (d.line, d.col))
        return Script(title=self.title, cues=self.cues, chapters=self.chapters, unspoken=self.unspoken,
                      diagnostics=self.diagnostics, path=self.path, format="markdown")

    def direct_line(self, index: int) -> bool:
        """Read a one-line paragraph without the block parser: a `**Name**:` or `**A** and **B**:`
        cue, a lone `_[direction]_`, a heading, or words going on with the speaker. Plain words make
        a cue at once; other inline markup goes through the small tokenizer. Returns False, having
        done nothing, for anything else; a property test checks that markdown-it reads the same."""
        line = self.lines[index]
        number = index + 1
        head = _direct_head(line)
        if head is not None:
            names, head_end = head
            # Only spaces and tabs: other blanks before a delimiter change how markdown-it reads it.
            body = line[head_end:].lstrip(" \t")
            if not body.strip():
                return False  # an empty cue: the general path lists and warns
            head_col = len(line) - len(line.lstrip(" ")) + 1
            if _plain_words(body):
                self.said(names, number, head_col, tidy(body), number, len(line) - len(body.lstrip()) + 1)
                return True
            opening = _OPENING_DIRECTION.match(body)
            rest = body[opening.end():].lstrip() if opening is not None else ""
            if opening is not None and rest and _plain_words(rest) and not self.env.get("references"):
                direction = tidy(opening.group(2))  # `[word]` could be a reference link, hence the check
                if direction:
                    self.said(names, number, head_col, tidy(rest), number, len(line) - len(rest) + 1, direction)
                    return True
            tokens = self.direct_tokens(body, index)
            if tokens is None:
                return False
            cursor = self.line_offsets[index] + len(line) - len(body)
            pieces = _emphasis_only(tokens) if "[" not in body and _no_bare_url(body) else None
            words = tidy("".join(pieces)) if pieces is not None else ""
            if not words:
                self.take_paragraph(names, tokens, cursor, number, head_col)
                return True
            # Emphasis and code spans only: the words are the tokens' text, and nothing is left out.
            _, words_line, words_col = self.find_text(next(p for p in pieces if p.strip()), cursor)
            self.said(names, number, head_col, words, words_line, words_col)
            return True
        lone = _LONE_DIRECTION.fullmatch(line)
        if lone is not None:
            direction = tidy(lone.group(3))
            if not direction or self.env.get("references"):
                return False
            self.close_cue()
            self.cues.append(direction_cue(direction, number, len(lone.group(1)) + 2))
            return True
        body = line.lstrip(" ")
        if len(line) - len(body) > 3:
            return False
        if body[:1] == "#":
            heading = _ATX_HEADING.fullmatch(body)
            content = heading.group(1) if heading is not None else ""
            if not content or content != md_trim(content) or content != content.strip() or "#" in content:
                return False
            self.limit = self.line_offsets[index + 1] if index + 1 < len(self.line_offsets) else len(self.text)
            self.heading(self.inline_tokens(content), number)
            return True
        if _may_start_other_block(body):
            return False
        if _plain_words(body):
            words = tidy(body)
            if not words or (self.builder is None and self.last_speakers is None):
                return False
            col = len(line) - len(body.lstrip()) + 1
            builder = self.more_speech()
            if builder is None:
                # Speech after a stage direction goes on with the speaker who was talking.
                builder = self.builder = SpeechBuilder(self.last_speakers, number, col)
            builder.add_paragraph(words, number, col)
            return True
        tokens = self.direct_tokens(md_trim(body), index)
        if tokens is None or _cue_head(tokens) is not None:
            return False  # a head the direct reading turned down is the general path's to read
        self.take_paragraph(None, tokens, self.line_offsets[index], number, len(line) - len(line.lstrip()) + 1)
        return True

    def direct_tokens(self, source: str, index: int) -> list[Token] | None:
        """The small tokenizer's reading of one line's inline text, or None where it gives up."""
        tokens = simple_inline(source, self.md, bool(self.env.get("references")))
        if tokens is not None:
            self.limit = self.line_offsets[index + 1] if index + 1 < len(self.line_offsets) else len(self.text)
        return tokens

    def handle(self, para: _Paragraph) -> None:
        line = para.line + 1
        raw_line = self.lines[para.line]
        col = len(raw_line) - len(raw_line.lstrip()) + 1
        if para.kind == "rule":
            self.close_cue()
            self.last_speakers = None
            self.leave_out("rule", para.raw, line, col)
            return
        if para.kind not in ("para", "heading"):
            self.leave_out(para.kind, para.raw, line, col)
            return
        cursor = self.line_offsets[para.line]
        self.limit = self.line_offsets[para.end] if para.end < len(self.line_offsets) else len(self.text)
        if para.kind == "heading":
            self.heading(para.children or [], line)
            return
        children = para.children or []
        head = _cue_head(children)
        if head is None:
            self.take_paragraph(None, children, cursor, line, col)
            return
        names, rest = head
        _, hline, hcol = self.find(children[0].markup, cursor)
        for tok in children[:len(children) - len(rest)]:
            # Past the head, so that the speech's positions are searched for after it.
            piece = tok.content.strip() if tok.type == "text" else tok.markup
            if piece:
                cursor, _, _ = self.find(piece, cursor)
        self.take_paragraph(names, rest, cursor, hline, hcol)

    def heading(self, children: list[Token], line: int) -> None:
        """The first heading titles the episode; the others start chapters."""
        self.close_cue()
        self.last_speakers = None
        title = tidy(self.plain(children))
        if not self.title_seen:
            self.title_seen = True
            self.title = title or None
        else:
            self.chapters.append(Chapter(title=title, cue=len(self.cues), line=line))

    def take_paragraph(self, names: list[str] | None, children: list[Token], cursor: int, line: int, col: int) -> None:
        """One paragraph's inline tokens: a cue's speech when `names` (its head at line, col) are
        given; otherwise a lone direction, more of the current speech, or text with no speaker."""
        if names is not None:
            events = list(self.inline_events(children, cursor))
            if self.fast_paths and all(event[0] == "text" for event in events):
                # Words only (links and emphasis read, notes taken out): the paragraph is one segment.
                words = tidy("".join([event[1] for event in events]))
                if words:
                    _, _, first_line, first_col = next(event for event in events if event[1].strip())
                    self.said(names, line, col, words, first_line, first_col)
                    return
            self.open_cue(names, line, col)
            self.speech(events)
            return
        events = list(self.inline_events(children, cursor))
        texts = [e for e in events if e[0] == "text" and e[1].strip()]
        directions = [e for e in events if e[0] == "direction"]
        if not texts and not directions:
            return  # only unspoken things (an image, a URL, a comment), already listed
        if not texts and len(directions) == 1:
            # A direction standing alone is a stage direction, even in the middle of a speech.
            self.close_cue()
            _, text, dline, dcol = directions[0]
            self.cues.append(direction_cue(text, dline, dcol))
            return
        if self.more_speech() is not None:
            self.speech(events)
            return
        if self.last_speakers is not None:
            # Speech after a stage direction goes on with the speaker who was talking.
            first_line, first_col = (texts or directions)[0][2:4]
            self.builder = SpeechBuilder(speakers=self.last_speakers, line=first_line, col=first_col)
            self.speech(events)
            return
        stray = tidy(" ".join(e[1] for e in events if e[0] in ("text", "direction")))
        self.leave_out("no speaker", stray, line, col)
        self.warn(f"text with no speaker is not spoken: {_preview(stray)!r}", line, col)

    def open_cue(self, names: list[str], line: int, col: int) -> SpeechBuilder:
        """Finish the cue before and start one for `names`, whose head is at line, col."""
        self.close_cue()
        self.builder = SpeechBuilder(self.speakers(names), line, col)
        return self.builder

    def said(self, names: list[str], line: int, col: int, words: str, words_line: int, words_col: int,
             direction: str | None = None) -> None:
        """A cue whose speech is one paragraph of words (tidy, not empty), made at once: what
        open_cue and the builder would make. more_speech() takes it back if the speech goes on."""
        self.close_cue()
        speakers = self.speakers(names)
        segments = (Segment(words, direction, words_line, words_col, False),)
        self.cues.append(make_line_cue(speakers, [segments] * len(speakers), line, col))
        self.last_speakers = speakers
        self.last_cue_open = True

    def more_speech(self) -> SpeechBuilder | None:
        """The builder of the speech in progress, if any: a cue that said() finished is taken back."""
        if self.last_cue_open:
            self.last_cue_open = False
            cue = self.cues.pop()
            self.builder = SpeechBuilder(cue.speakers, cue.line, cue.col)
            self.builder.segments = list(cue.parts[0].segments)
            self.builder.direction_in_force = self.builder.segments[-1].direction
        return self.builder

    def speakers(self, names: list[str]) -> tuple[str, ...]:
        key = names[0] if len(names) == 1 else "\n".join(names)
        try:  # the same few heads come back all through a script
            return self.speakers_of_head[key]
        except KeyError:
            speakers = self.speakers_of_head[key] = tuple([self.canonical(name) for name in names])
            return speakers

    def canonical(self, name: str) -> str:
        """The first spelling of a name stands for all its spellings (`ADA`, `Ada`)."""
        name = tidy(name)
        return self.canonical_names.setdefault(name.casefold(), name)

    def speech(self, events: list[tuple]) -> None:
        assert self.builder is not None
        self.builder.start_paragraph()
        for event in events:
            kind = event[0]
            if kind == "text":
                self.builder.add_text(event[1], event[2], event[3])
            elif kind == "break":
                self.builder.add_break()
            elif kind == "direction":
                self.builder.add_direction(event[1], event[2], event[3])
        self.builder.end_paragraph()

    def close_cue(self) -> None:
        self.last_cue_open = False
        builder, self.builder = self.builder, None
        if builder is None:
            return
        cue = builder.build()
        if cue is None:
            self.skip_empty_cue(builder, "[]", ", ")
            return
        self.cues.append(cue)
        self.last_speakers = cue.speakers
        if builder.unused_direction is not None:
            # A direction after the last words is a stage direction once the line is over.
            text, line, col = builder.unused_direction
            self.cues.append(direction_cue(text, line, col))

    # ------------------------------------------------------------------ inline

    @staticmethod
    def plain(children: list[Token]) -> str:
        """Text of inline tokens with all markup removed (for headings and notes)."""
        out = []
        for tok in children:
            if tok.type in ("text", "text_special", "code_inline"):
                out.append(tok.content)
            elif tok.type == "image":
                out.append(tok.content)
            elif tok.type in ("softbreak", "hardbreak"):
                out.append(" ")
        return "".join(out)

    def inline_events(self, children: list[Token], cursor: int):
        """Yield ("text", s, line, col), ("break",), ("direction", s, line, col) in order, and list
        everything unspoken (notes, URLs, link targets, images, comments) as it goes."""
        i = 0
        n = len(children)
        note: list[str] | None = None
        note_depth = 0
        note_pos = (1, 1)
        in_link = False
        while i < n:
            tok = children[i]
            t = tok.type
            if note is not None:
                if t == "text":
                    content = tok.content
                    for k, ch in enumerate(content):
                        if ch == "[":
                            note_depth += 1
                        elif ch == "]":
                            note_depth -= 1
                            if note_depth == 0:
                                note.append(content[:k + 1])
                                cursor, _, _ = self.find(content[:k + 1], cursor)
                                self.leave_out("author note", tidy("".join(note)), *note_pos)
                                note = None
                                rest = content[k + 1:]
                                if rest:
                                    children = children[:i + 1] + [InlineToken("text", "", 0, content=rest)] + children[i + 1:]
                                    n += 1
                                break
                    else:
                        note.append(content)
                        cursor, _, _ = self.find(content, cursor)
                elif t == "link_open":
                    note.append("[")
                elif t == "link_close":
                    opener = children[_matching_open(children, i, "link_open", "link_close")]
                    note.append(f"]({_link_target(opener)})")
                else:
                    note.append(_render(tok))
                i += 1
                continue
            if t == "text":
                content = tok.content
                if not in_link:
                    k = content.find("[")
                    if k >= 0:
                        before = content[:k]
                        if before:
                            yield from self.text_events(before, cursor)
                            cursor, _, _ = self.find(before, cursor)
                        cursor, nline, ncol = self.find("[", cursor)
                        note, note_depth, note_pos = [], 0, (nline, ncol)
                        children = children[:i + 1] + [InlineToken("text", "", 0, content=content[k:])] + children[i + 1:]
                        n += 1
                        i += 1
                        continue
                    if content and (_no_bare_url(content)
                                    or _URL.search(content) is None):
                        # No bare URL: what text_events would give, without its loop.
                        cursor, line, col = self.find_text(content, cursor)
                        yield ("text", content, line, col)
                    else:
                        yield from self.text_events(content, cursor)
                        cursor, _, _ = self.find(content, cursor)
                else:
                    cursor, line, col = self.find_text(content, cursor)
                    yield ("text", content, line, col)
            elif t == "text_special":
                _, line, col = self.find(tok.markup or tok.content, cursor)
                yield ("text", tok.content, line, col)
                cursor, _, _ = self.find(tok.markup or tok.content, cursor)
            elif t == "code_inline":
                _, line, col = self.find(tok.content, cursor)
                yield ("text", tok.content, line, col)
                cursor, _, _ = self.find(tok.content, cursor)
            elif t in ("softbreak", "hardbreak"):
                yield ("break",)
            elif t == "em_open":
                close = _matching_close(children, i, "em_open", "em_close")
                inner = children[i + 1:close]
                direction = _direction_text(inner)
                if direction is not None:
                    cursor, line, col = self.find("[", cursor)
                    for tok_inner in inner:
                        if tok_inner.type == "link_open":
                            self.leave_out("link target", _link_target(tok_inner), line, col)
                        elif tok_inner.type == "image":
                            self.leave_out("image", _render(tok_inner), line, col)
                    cursor, _, _ = self.find("]", cursor)
                    yield ("direction", direction, line, col)
                    i = close + 1
                    continue
            elif t == "link_open":
                close = _matching_close(children, i, "link_open", "link_close")
                inner = children[i + 1:close]
                href = tok.attrs.get("href", "")
                label = tidy("".join(x.content for x in inner if x.type in ("text", "text_special", "code_inline")))
                if tok.markup == "autolink" or tok.info == "auto" or (label and label == href):
                    cursor, line, col = self.find(label or str(href), cursor)
                    self.leave_out("url", str(href), line, col)
                    i = close + 1
                    continue
                in_link = True
            elif t == "link_close":
                in_link = False
                opener = children[_matching_open(children, i, "link_open", "link_close")]
                target = _link_target(opener)
                cursor, line, col = self.find(str(opener.attrs.get("href", "")) or "](", cursor)
                self.leave_out("link target", target, line, col)
            elif t == "image":
                cursor, line, col = self.find("![", cursor)
                self.leave_out("image", _render(tok), line, col)
            elif t == "html_inline":
                cursor, line, col = self.find(tok.content, cursor)
                reason = "comment" if tok.content.startswith("<!--") else "html"
                self.leave_out(reason, tok.content, line, col)
            elif t == "s_open":
                close = _matching_close(children, i, "s_open", "s_close")
                inner = children[i + 1:close]
                struck = "".join(_render(x) for x in inner)
                cursor, line, col = self.find("~~", cursor)
                self.leave_out("struck out", tidy(struck), line, col)
                i = close + 1
                continue
            i += 1
        if note is not None:
            self.leave_out("author note", tidy("".join(note)), *note_pos)
            self.warn("unclosed '[': the rest of the paragraph is treated as an author note", *note_pos)

    def text_events(self, content: str, cursor: int):
        """Plain text, with bare URLs taken out."""
        last = 0
        for m in _URL.finditer(content):
            url = m.group(0).rstrip(_URL_TRAILING)
            if url.endswith(")") and url.count("(") < url.count(")"):
                url = url[:-1]
            if m.start() > last:
                piece = content[last:m.start()]
                if content[m.start() + len(url):m.start() + len(url) + 1] in tuple(".,;:!?"):
                    piece = piece.rstrip()  # "see https://x.org." reads "see."
                _, line, col = self.find_text(piece, cursor)
                yield ("text", piece, line, col)
            cursor, line, col = self.find(url, cursor)
            self.leave_out("url", url, line, col)
            last = m.start() + len(url)
        if last < len(content):
            piece = content[last:]
            _, line, col = self.find_text(piece, cursor)
            yield ("text", piece, line, col)


def _may_start_other_block(line: str) -> bool:
    """Could this line (leading spaces removed) start or interrupt something other than a paragraph?
    Conservative: a False answer must be right; a True one only costs a full markdown-it parse."""
    first = line[:1]
    if first in "*_":
        return bool(_THEMATIC_BREAK.fullmatch(line)) or (first == "*" and line[1:2] in ("", " ", "\t"))
    return first in _BLOCK_START_CHARS


def _direct_head(line: str) -> tuple[list[str], int] | None:
    """The names of a one-line paragraph's `**Name**:`, `**Name:**` or `**A**, **B** and **C**:` head,
    and where the head ends; None unless markdown-it is sure to read the head that way too."""
    one = _ONE_NAME_HEAD.match(line)
    if one is not None:  # the commonest head, in one match
        name, end = one.group(1), one.end()
        if "_" in name:
            return None
        if name[-1].isalnum() and len(name) <= 80 and (end == len(line) or is_md_space(line[end])):
            return [name], end
    names: list[str] = []
    pos = len(line) - len(line.lstrip(" "))
    if pos > 3:
        return None
    while True:
        name = _DIRECT_NAME.match(line, pos)
        if name is None or not name.group(1)[-1].isalnum() or len(name.group(1)) > 80:
            return None  # a name ending in punctuation could change how the `**` around it pair up
        names.append(name.group(1))
        pos = name.end()
        if name.group(2):  # `**Name:**`: a space must follow, or the closing `**` would not close
            return (names, pos) if pos == len(line) or is_md_space(line[pos]) else None
        colon = _HEAD_COLON.match(line, pos)
        if colon is not None:
            pos = colon.end()
            return (names, pos) if pos == len(line) or is_md_space(line[pos]) else None
        separator = _LIST_SEPARATOR.match(line, pos)
        if separator is None or not line.startswith("**", separator.end()) \
                or separator.group(0)[0].isalpha() or separator.group(0)[-1].isalpha():
            return None  # `**A**and**B**`: stars between letters may both open and close
        pos = separator.end()


def _plain_words(text: str) -> bool:
    """No inline markup and no bare URL: markdown-it would give one text token, spoken as it is."""
    return _INLINE_SPECIAL.search(text) is None and _no_bare_url(text)


def _no_bare_url(text: str) -> bool:
    """No sign of a bare URL (the _URL search is only worth running when there is one)."""
    return "://" not in text and "www." not in text.lower()


_EMPHASIS_TYPES = frozenset(("text", "code_inline", "em_open", "em_close", "strong_open", "strong_close"))


def _emphasis_only(tokens: list[Token]) -> list[str] | None:
    """The spoken pieces of inline tokens that hold only text, code spans and emphasis, else None.
    (Emphasis with no brackets in it cannot be a direction.)"""
    pieces = []
    for tok in tokens:
        if tok.type not in _EMPHASIS_TYPES:
            return None
        if tok.nesting == 0:
            pieces.append(tok.content)
    return pieces


def _preview(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _clean_children(children: list[Token]) -> list[Token]:
    """Drop empty text tokens and join neighbouring text tokens (escapes stay separate)."""
    out: list[Token] = []
    for tok in children:
        if tok.type == "text":
            if not tok.content:
                continue
            if out and out[-1].type == "text":
                out[-1] = InlineToken("text", "", 0, content=out[-1].content + tok.content)
                continue
        out.append(tok)
    return out


def _cue_head(children: list[Token]) -> tuple[list[str], list[Token]] | None:
    """`**A**:`, `**A:**`, `**A** and **B**:`, `**A**, **B** and **C**:`, `**A** & **B**:`."""
    names: list[str] = []
    i = 0
    n = len(children)
    while True:
        if not (i + 2 < n and children[i].type == "strong_open" and children[i + 1].type == "text"
                and children[i + 2].type == "strong_close"):
            return None
        name = children[i + 1].content.strip()
        i += 3
        if name.endswith(":"):
            name = name[:-1].strip()
            if not _valid_name(name):
                return None
            names.append(name)
            return names, children[i:]
        if not _valid_name(name):
            return None
        names.append(name)
        if i >= n or children[i].type != "text":
            return None
        content = children[i].content
        colon = _HEAD_COLON.match(content)
        if colon:
            rest = content[colon.end():]
            return names, ([InlineToken("text", "", 0, content=rest)] if rest else []) + children[i + 1:]
        if not _LIST_SEPARATOR.fullmatch(content):
            return None
        i += 1


def _valid_name(name: str) -> bool:
    return 0 < len(name) <= 80 and "\n" not in name and ":" not in name \
        and (name[0].isalpha() or any(c.isalpha() for c in name))


def _matching_close(children: list[Token], i: int, open_type: str, close_type: str) -> int:
    depth = 0
    for j in range(i, len(children)):
        if children[j].type == open_type:
            depth += 1
        elif children[j].type == close_type:
            depth -= 1
            if depth == 0:
                return j
    return len(children)


def _matching_open(children: list[Token], i: int, open_type: str, close_type: str) -> int:
    depth = 0
    for j in range(i, -1, -1):
        if children[j].type == close_type:
            depth += 1
        elif children[j].type == open_type:
            depth -= 1
            if depth == 0:
                return j
    return i


def _direction_text(inner: list[Token]) -> str | None:
    """`_[resignedly]_`: emphasis whose whole content is one bracketed, balanced span."""
    if not inner or inner[0].type != "text" or inner[-1].type != "text":
        return None
    text = inner[0].content if len(inner) == 1 else "".join(_render(tok, urls=False) for tok in inner)
    stripped = text.strip()
    if not (stripped.startswith("[") and stripped.endswith("]")):
        return None
    depth = 0
    for k, ch in enumerate(stripped):
        depth += ch == "["
        depth -= ch == "]"
        if depth == 0 and k != len(stripped) - 1:
            return None
    return tidy(stripped[1:-1]) or None


def _link_target(tok: Token) -> str:
    href = str(tok.attrs.get("href", ""))
    title = tok.attrs.get("title")
    return f'{href} "{title}"' if title else href


def _render(tok: Token, urls: bool = True) -> str:
    """Source-like text of one inline token, for notes (nothing in them may be lost)."""
    t = tok.type
    if t in ("text", "text_special"):
        return tok.content
    if t == "code_inline":
        return tok.content
    if t in ("softbreak", "hardbreak"):
        return " "
    if t == "image":
        src = tok.attrs.get("src", "")
        return f"![{tok.content}]({src})" if urls else tok.content
    if t == "link_open":
        return ""
    if t == "link_close":
        return ""
    if t == "html_inline":
        return tok.content if urls else ""
    return ""


def parse_markdown(text: str, path: str = "<script>", *, fast_paths: bool = True) -> Script:
    """Parse a Markdown dialogue. Does not check for empty scripts; `parse_script` does."""
    return MarkdownParser(text, path, fast_paths).run()
