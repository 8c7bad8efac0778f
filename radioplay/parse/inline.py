"""A small inline tokenizer for the markup scripts use most, giving exactly markdown-it's tokens.

It reads `*em*`, `_em_`, `**strong**`, `__strong__`, `` `code` ``, `[text](url)`, literal brackets
(`_[direction]_`, `[note]`) and line breaks, and gives up (returns None) on anything else or anything
ambiguous: escapes, entities, HTML and autolinks, images, strikethrough, tabs, nested or unmatched
emphasis, delimiter runs that could both open and close, brackets inside link text, reference links.
The caller then asks markdown-it. A property test (tests/test_parse_properties.py) checks that every
token list this returns equals markdown-it's `parseInline` output after `_clean_children`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType

from markdown_it import MarkdownIt
from markdown_it.common import utils as markdown_it_utils
from markdown_it.common.utils import isMdAsciiPunct, isPunctChar, isWhiteSpace

md_trim = getattr(markdown_it_utils, "mdTrim", str.strip)
"""How markdown-it trims a paragraph's or heading's text. Not str.strip in recent markdown-it-py, which
keeps U+001C-U+001F and U+0085 (not CommonMark whitespace); the fast paths must trim the same way."""

# Anything here sends the paragraph to markdown-it.
_GIVE_UP = re.compile(r"[\\<>&~\t\x0b\x0c\r\x00]")
_SPECIAL = re.compile(r"[*_`\[\n]")
_LABEL_BAD = re.compile(r"[\[`\n]")
_LINK_TEXT_BAD = re.compile(r"[*_\[`\n]")
_URL_BAD = re.compile(r"[\s()\x00-\x20\x7f]")


# Links markdown-it's normalizeLink leaves as they are (a property test checks it): skip its URL parser.
PLAIN_URL = re.compile(r"https?://[a-z0-9-]{1,63}(?:\.[a-z0-9-]{1,63}){0,2}(?:/[A-Za-z0-9._~/-]*)?")
_ASCII_PUNCT = frozenset(chr(c) for c in range(128) if isMdAsciiPunct(c) or isPunctChar(chr(c)))
_ASCII_SPACE = frozenset(chr(c) for c in range(128) if isWhiteSpace(c))


_NO_ATTRS: Mapping[str, str] = MappingProxyType({})


class InlineToken:
    """The fields of markdown-it's inline Token that the parser reads, without the dataclass machinery."""

    __slots__ = ("type", "tag", "nesting", "content", "markup", "info", "attrs")

    def __init__(self, type: str, tag: str, nesting: int, content: str = "", markup: str = "",
                 attrs: Mapping[str, str] = _NO_ATTRS):
        self.type = type
        self.tag = tag
        self.nesting = nesting
        self.content = content
        self.markup = markup
        self.info = ""
        self.attrs = attrs

    def __repr__(self) -> str:
        return f"InlineToken({self.type!r}, content={self.content!r}, markup={self.markup!r})"


def is_md_space(ch: str) -> bool:
    """Whitespace as markdown-it's emphasis rules see it."""
    if ch < "\x80":
        return ch in _ASCII_SPACE
    return isWhiteSpace(ord(ch))


def simple_inline(src: str, md: MarkdownIt, has_references: bool) -> list[InlineToken] | None:
    """markdown-it's inline tokens for `src` (text tokens joined, empty ones dropped), or None."""
    if _GIVE_UP.search(src) or "![" in src or "``" in src or "***" in src or "___" in src:
        return None
    tokens: list[InlineToken] = []
    pending = ""
    opener: int | None = None  # index in tokens of the unmatched emphasis opener
    opener_markup = ""
    n = len(src)
    pos = 0
    search = _SPECIAL.search

    while True:
        m = search(src, pos)
        if m is None:
            pending += src[pos:]
            break
        at = m.start()
        if at > pos:
            pending += src[pos:at]
        ch = src[at]
        if ch == "\n":
            kind = "softbreak"
            if pending.endswith(" "):
                if pending.endswith("  "):
                    pending, kind = pending.rstrip(" "), "hardbreak"
                else:
                    pending = pending[:-1]
            if pending:
                tokens.append(InlineToken("text", "", 0, content=pending))
                pending = ""
            tokens.append(InlineToken(kind, "br", 0))
            pos = at + 1
            while pos < n and src[pos] == " ":
                pos += 1
            continue
        if ch == "`":
            end = src.find("`", at + 1)
            if end < 0:
                return None
            content = src[at + 1:end]
            if not content or "\n" in content or content[0] == " " or content[-1] == " ":
                return None
            if pending:
                tokens.append(InlineToken("text", "", 0, content=pending))
                pending = ""
            tokens.append(InlineToken("code_inline", "code", 0, markup="`", content=content))
            pos = end + 1
            continue
        if ch == "[":
            if has_references:
                return None
            close = src.find("]", at + 1)
            if close < 0:
                return None
            label = src[at + 1:close]
            if _LABEL_BAD.search(label):
                return None
            after = src[close + 1:close + 2]
            if after == "[":
                return None
            if after != "(":
                # Not a link (no references are defined): a literal bracket; its inside reads as usual.
                pending += "["
                pos = at + 1
                continue
            end = src.find(")", close + 2)
            if end < 0:
                return None
            url = src[close + 2:end]
            if not label or _LINK_TEXT_BAD.search(label) or not url or _URL_BAD.search(url):
                return None
            if PLAIN_URL.fullmatch(url):
                href = url  # http(s): normalizeLink leaves it as it is and validateLink accepts it
            else:
                href = md.normalizeLink(url)
                if not md.validateLink(href):
                    return None
            if pending:
                tokens.append(InlineToken("text", "", 0, content=pending))
                pending = ""
            tokens.append(InlineToken("link_open", "a", 1, attrs={"href": href}))
            tokens.append(InlineToken("text", "", 0, content=label))
            tokens.append(InlineToken("link_close", "a", -1))
            pos = end + 1
            continue
        # `*` or `_`: a delimiter run of one or two (three or more gave up above).
        run_end = at + 1
        if run_end < n and src[run_end] == ch:
            run_end += 1
            if run_end < n and src[run_end] == ch:
                return None
        last = src[at - 1] if at > 0 else " "
        nxt = src[run_end] if run_end < n else " "
        # ASCII (nearly always) straight from the sets; anything else through markdown-it's tests.
        last_punct = last in _ASCII_PUNCT if last < "\x80" else isPunctChar(last)
        next_punct = nxt in _ASCII_PUNCT if nxt < "\x80" else isPunctChar(nxt)
        last_space = last in _ASCII_SPACE if last < "\x80" else isWhiteSpace(ord(last))
        next_space = nxt in _ASCII_SPACE if nxt < "\x80" else isWhiteSpace(ord(nxt))
        left = not (next_space or (next_punct and not (last_space or last_punct)))
        right = not (last_space or (last_punct and not (next_space or next_punct)))
        if ch == "*":
            can_open, can_close = left, right
        else:
            can_open = left and (not right or last_punct)
            can_close = right and (not left or next_punct)
        markup = src[at:run_end]
        pos = run_end
        if can_open and can_close:
            return None
        if can_open:
            if opener is not None:
                return None
            if pending:
                tokens.append(InlineToken("text", "", 0, content=pending))
                pending = ""
            opener, opener_markup = len(tokens), markup
            tokens.append(InlineToken("text", "", 0, content=markup))
        elif can_close:
            if opener is None or opener_markup != markup:
                return None
            if pending:
                tokens.append(InlineToken("text", "", 0, content=pending))
                pending = ""
            tag = "em" if len(markup) == 1 else "strong"
            tokens[opener] = InlineToken(f"{tag}_open", tag, 1, markup=markup)
            tokens.append(InlineToken(f"{tag}_close", tag, -1, markup=markup))
            opener = None
        else:
            pending += markup
    if opener is not None:
        return None
    if pending:
        tokens.append(InlineToken("text", "", 0, content=pending))
    return tokens
