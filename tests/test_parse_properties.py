"""Properties of the parser over generated scripts.

- Nothing is lost: every word of the source is spoken, a direction, a title or chapter, listed as
  unspoken, or markup (speaker names and cue punctuation), exactly once.
- Robustness: over random Markdown and Fountain, only a Script or a ScriptError comes out.
- The fast paths (Markdown paragraphs read without markdown-it, Fountain speech made without the
  cue builder) give the same Script as the general ones.

Examples per test: 5,000 with CI set (or HYPOTHESIS_PROFILE=ci), a few hundred otherwise.
"""

from __future__ import annotations

import os
import re
from collections import Counter

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from radioplay.errors import ScriptError
from radioplay.model import Script
from radioplay.parse import parse_script
from radioplay.parse.inline import PLAIN_URL, simple_inline
from radioplay.parse.fountain import parse_fountain
from radioplay.parse.markdown import _clean_children, _new_markdown, parse_markdown
from radioplay.parse.report import directions
from radioplay.parse.speech import source_text

settings.register_profile("parse-ci", max_examples=5000, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
settings.register_profile("parse-dev", max_examples=200, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
PROFILE = settings.get_profile(
    "parse-ci" if os.environ.get("CI") or os.environ.get("HYPOTHESIS_PROFILE") == "ci" else "parse-dev")

_WORD = re.compile(r"[A-Za-z0-9]+")
VOCABULARY = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india", "juliet",
              "kilo", "lima", "mike", "oscar", "papa", "quebec", "romeo", "sierra", "tango", "victor"]
MD_NAMES = ["Ada", "Marlow", "Quill", "Zoë Day", "O'Hara"]
FOUNTAIN_NAMES = ["ADA", "MARLOW", "QUILL", "DR SMITH"]
FOUNTAIN_EXTENSIONS = ["V.O.", "O.S.", "CONT'D"]

# Fixed phrases (1 to 4 words) keep generation cheap enough for 5,000 examples per test.
PHRASES = [" ".join(VOCABULARY[(i * 7 + k * 3) % len(VOCABULARY)] for k in range(1 + i % 4)) for i in range(40)]
words = st.sampled_from(PHRASES)


def source_words(text: str, markup: set[str]) -> Counter:
    return Counter(w for w in _WORD.findall(text) if w not in markup)


def accounted_words(script: Script, markup: set[str]) -> Counter:
    pieces: list[str] = [script.title or ""]
    pieces += [c.title for c in script.chapters]
    pieces += [u.text for u in script.unspoken]
    pieces += [text for _, _, text, _ in directions(script)]
    for cue in script.lines:
        seen = set()
        for part in cue.parts:
            if id(part.segments) in seen:
                continue  # a unison line's words are written once
            seen.add(id(part.segments))
            pieces += [s.text for s in part.segments]
    return Counter(w for piece in pieces for w in _WORD.findall(piece) if w not in markup)


# --------------------------------------------------------------------------- Markdown generator


class Unique:
    """Directions must be distinguishable to be counted once: give each a serial word."""

    def __init__(self):
        self.n = 0

    def __call__(self, text: str) -> str:
        self.n += 1
        return f"{text} d{self.n}"


@st.composite
def md_inline(draw, unique):
    kind = draw(st.sampled_from(["word", "word", "word", "em", "strong", "code", "link", "direction", "note",
                                 "comment", "image", "url", "autolink", "struck", "quote"]))
    w = draw(words)
    if kind == "link":
        return f"[{w}](https://{draw(words).replace(' ', '')}.org/{draw(words).replace(' ', '-')})"
    if kind == "note":
        return f"[TODO {w} [{draw(words)}]]"
    if kind == "image":
        return f"![{w}]({draw(words).replace(' ', '_')}.png)"
    if kind == "direction":
        return f"_[{unique(w)}]_"
    return {
        "word": w,
        "em": f"*{w}*",
        "strong": f"**{w}**",
        "code": f"`{w}`",
        "comment": f"<!-- {w} -->",
        "url": f"https://{w.replace(' ', '.')}.net/x",
        "autolink": f"<https://{w.replace(' ', '')}.com>",
        "struck": f"~~{w}~~",
        "quote": f"“{w}…”",
    }[kind]


@st.composite
def md_speech(draw, unique):
    pieces = draw(st.lists(md_inline(unique), min_size=0, max_size=6))
    end = draw(st.sampled_from(["", ".", "—", "--", "?"]))
    return " ".join(pieces) + end


@st.composite
def md_block(draw, unique):
    kind = draw(st.sampled_from(["cue", "cue", "cue", "unison", "continuation", "direction", "note", "heading",
                                 "rule", "comment", "url"]))
    if kind == "cue":
        name = draw(st.sampled_from(MD_NAMES))
        head = draw(st.sampled_from([f"**{name}**:", f"**{name}:**"]))
        opening = f"_[{unique(draw(words))}]_ " if draw(st.booleans()) else ""
        return f"{head} {opening}{draw(md_speech(unique))}"
    if kind == "unison":
        names = draw(st.lists(st.sampled_from(MD_NAMES), min_size=2, max_size=3, unique=True))
        sep = draw(st.sampled_from([" & ", ", "]))
        return sep.join(f"**{n}**" for n in names) + f": {draw(md_speech(unique))}"
    if kind == "continuation":
        return draw(md_speech(unique)) or draw(words)
    if kind == "direction":
        return f"*[{unique(draw(words))}]*"
    if kind == "note":
        return f"[TODO {draw(words)}\n\n * {draw(words)} [{draw(words)}](http://x.org/{draw(words).replace(' ', '')})\n\n> {draw(words)}\n]"
    if kind == "heading":
        return "#" * draw(st.integers(1, 3)) + " " + draw(words)
    if kind == "rule":
        return "---"
    if kind == "comment":
        return f"<!-- {draw(words)}\n\n{draw(words)} -->"
    return f"https://{draw(words).replace(' ', '.')}.org/page"


@st.composite
def markdown_scripts(draw):
    unique = Unique()
    blocks = draw(st.lists(md_block(unique), min_size=1, max_size=8))
    return "\n\n".join(blocks) + "\n"


MD_MARKUP = {w for name in MD_NAMES for w in _WORD.findall(name)}


@settings(PROFILE)
@given(markdown_scripts())
def test_markdown_nothing_is_lost(src):
    try:
        script = parse_script(src, "p.md")
    except ScriptError as error:
        assert "no cues" in str(error)
        return
    assert accounted_words(script, MD_MARKUP) == source_words(src, MD_MARKUP)
    speakers = {n for c in script.cues for n in c.speakers}
    assert speakers <= set(MD_NAMES)


# --------------------------------------------------------------------------- Fountain generator


@st.composite
def fountain_dialogue(draw, unique):
    name = draw(st.sampled_from(FOUNTAIN_NAMES))
    ext = draw(st.sampled_from(["", " (V.O.)", " (O.S.)", " (CONT'D)"]))
    forced = "@" if draw(st.integers(0, 3)) == 0 else ""
    dual = " ^" if draw(st.integers(0, 4)) == 0 else ""
    lines = [f"{forced}{name}{ext}{dual}"]
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["speech", "speech", "paren", "note", "lyric", "emph", "gap", "wrapped paren",
                                     "stray note"]))
        w = draw(words)
        if kind == "speech":
            lines.append(w + draw(st.sampled_from(["", ".", "--", "!"])))
        elif kind == "paren":
            lines.append(f"({unique(w)})")
        elif kind == "gap":  # fountain.io "Line Breaks": two spaces connect the speech
            lines.append("  ")
        elif kind == "wrapped paren":
            lines.append(f"({w}\n{unique(draw(words))})")
        elif kind == "stray note":
            lines.append(f"{w} [[ {draw(words)}")
        elif kind == "note":
            lines.append(f"{w} [[{draw(words)}]]")
        elif kind == "lyric":
            lines.append(f"~{w}")
        else:
            lines.append(f"*{w}* and **{draw(words)}**")
    return "\n".join(lines)


@st.composite
def fountain_block(draw, unique):
    kind = draw(st.sampled_from(["dialogue", "dialogue", "dialogue", "scene", "section", "action", "forced action",
                                 "transition", "centered", "boneyard", "note", "page break", "synopsis",
                                 "caseless action", "caseless dialogue", "transition and boneyard"]))
    w = draw(words)
    return {
        "dialogue": lambda: draw(fountain_dialogue(unique)),
        "scene": lambda: f"INT. {w.upper()} - DAY",
        "section": lambda: f"# {w}",
        "action": lambda: f"The {w}.",
        "forced action": lambda: f"!{w.upper()}",
        "transition": lambda: "CUT TO:",
        "centered": lambda: f"> {w} <",
        "boneyard": lambda: f"/* {w}\n\n{draw(words)} */",
        "note": lambda: f"[[{w}]]",
        "page break": lambda: "===",
        "synopsis": lambda: f"= {w}",
        "caseless action": lambda: "他走进房间。\n他坐下了。",
        "caseless dialogue": lambda: f"@张三\n{w}",
        "transition and boneyard": lambda: f"CUT TO:\n/* {w} */\nINT. {draw(words).upper()} - DAY",
    }[kind]()


@st.composite
def fountain_scripts(draw):
    unique = Unique()
    title = f"Title: {draw(words)}\nAuthor: {draw(words)}\n\n" if draw(st.booleans()) else ""
    return title + "\n\n".join(draw(st.lists(fountain_block(unique), min_size=1, max_size=10))) + "\n"


FOUNTAIN_MARKUP = {w for name in FOUNTAIN_NAMES + FOUNTAIN_EXTENSIONS for w in _WORD.findall(name)} | {"Title"}


@settings(PROFILE)
@given(fountain_scripts())
def test_fountain_nothing_is_lost(src):
    try:
        script = parse_script(src, "p.fountain")
    except ScriptError as error:
        assert "no cues" in str(error)
        return
    assert accounted_words(script, FOUNTAIN_MARKUP) == source_words(src, FOUNTAIN_MARKUP)


# --------------------------------------------------------------------------- robustness

MD_FRAGMENTS = ["**", "*", "_", "[", "]", "(", ")", "<", ">", "!", "`", "```", "~~", "#", "-", "--", "—", ":", " ",
                "\n", "\n\n", "\t", "\\", "&amp;", "<!--", "-->", "http://a.b", "www.x.y", "**Ada**:", "**B:**",
                " and ", " & ", "_[x]_", "[TODO ", "![i](p)", "[l](u)", "---", "+++", "> ", " * ", "1. ", "    ",
                "word", "é", "’", "\u00a0", "\u2028", "|", "=", "^", "@", "~", "{", "}", "[[", "]]", "/*", "*/"]
FOUNTAIN_FRAGMENTS = ["ADA", "BO (V.O.)", "@mc", "^", "(", ")", "(beat)", "INT. ", "EXT ", ".", "#", "=", "===",
                      ">", "<", "!", "~", "[[", "]]", "/*", "*/", "*", "_", "\\", "TO:", "Title:", "Author:", " ",
                      "\n", "\n\n", "  \n", "\n  \n", "\t", "word", "--", "—", "é", "(a\nb)", "他", "@张三\n",
                      "CUT TO:\n"]


def fragments(pieces: list[str]):
    return st.lists(st.one_of(st.sampled_from(pieces), st.text(max_size=4)), max_size=40).map("".join)


def check_outcome(src: str, path: str) -> None:
    try:
        script = parse_script(src, path)
    except ScriptError as error:
        assert error.line >= 1 and error.col >= 1 and error.path == path
        return
    assert script.lines
    n_lines = source_text(src).count("\n") + 1  # CR and CRLF are line breaks too
    for cue in script.cues:
        assert cue.text.strip() and 1 <= cue.line <= n_lines and cue.col >= 1
        for part in cue.parts:
            assert part.segments and all(s.text == s.text.strip() and s.text for s in part.segments)
    for item in list(script.unspoken) + list(script.diagnostics):
        assert 1 <= item.line <= n_lines and item.col >= 1
    assert all(d.path == path for d in script.diagnostics)


@settings(PROFILE)
@given(fragments(MD_FRAGMENTS))
def test_random_markdown_gives_a_script_or_a_script_error(src):
    check_outcome(src, "r.md")


@settings(PROFILE)
@given(fragments(FOUNTAIN_FRAGMENTS))
def test_random_fountain_gives_a_script_or_a_script_error(src):
    check_outcome(src, "r.fountain")


# One-line paragraphs near the edges of what the direct lane reads (markdown.py's direct_line).
DIRECT_INDENTS = ["", " ", "   ", "    ", "\t", "\x1f", "\u00a0"]
DIRECT_NAMES = ["Ada", "Zoë Day", "O'Hara", "Dr.", "Jean-", "Ada ", "3PO", "A_b", "Ada Ada"]
DIRECT_HEADS = ["**{0}**:", "**{0}:**", "**{0}**::", "**{0}:**:", "__{0}__:", "**{0}** :", "**{0}**",
                "**{0}** and **{1}**:", "**{0}**, **{1}** & **{1}**:", "**{0}**and**{1}**:", "**{0}**&**{1}**:",
                "**{0}** AND **{1}**:", "**{0}**, and **{1}**:", "**{0}** or **{1}**:", "**{0}** and {1}:"]
DIRECT_GAPS = ["", " ", "  ", "\u00a0", "\t", " \u2003", "\x1f", " \x85", "\ufeff"]
DIRECT_BODIES = ["alpha bravo", "alpha", "Ada", "**", "_[x]_ alpha", "*[x y]* alpha", "_[x]_", "_[ ]_ alpha",
                 "_[x]_alpha", "_[x]_ *alpha*", "_[x]_ _[y]_ alpha", "alpha *bravo* charlie", "alpha_bravo",
                 "[t](http://u.org/p) alpha", "see http://u.org/p.", "www.x.org", "[x] alpha", "[x]", "a—",
                 "—a", "a --", "it's “so”", "a & b", "a < b", "`c` d", "!x", "~~s~~", "a  ", "a\u00a0", ": a"]
DIRECT_LONE = ["_[x]_", "*[x y]*", "_[x]_  ", " _[x]_", "    _[x]_", "_[ ]_", "_[x]_ y", "_[x] y_", "*[x]", "__[x]__"]
DIRECT_DEFINITIONS = ["", "[x]: http://u.org/x\n\n", "[alpha]: /a\n\n"]
DIRECT_HEADINGS = ["# alpha", "## alpha bravo ##", "#alpha", "####### alpha", "# *alpha* bravo", "#  alpha  ",
                   "# \x1falpha", "#", "# [x](http://u.org)", "   # alpha", "# a # b"]


@st.composite
def direct_lines(draw):
    kind = draw(st.sampled_from(["head", "head", "lone", "continuation", "heading"]))
    indent = draw(st.sampled_from(DIRECT_INDENTS))
    body = draw(st.sampled_from(DIRECT_BODIES))
    if kind == "head":
        names = draw(st.lists(st.sampled_from(DIRECT_NAMES), min_size=2, max_size=2))
        return indent + draw(st.sampled_from(DIRECT_HEADS)).format(*names) + draw(st.sampled_from(DIRECT_GAPS)) + body
    if kind == "lone":
        return draw(st.sampled_from(DIRECT_LONE))
    if kind == "heading":
        return draw(st.sampled_from(DIRECT_HEADINGS))
    return indent + body


@st.composite
def direct_scripts(draw):
    lines = draw(st.lists(direct_lines(), min_size=1, max_size=8))
    return draw(st.sampled_from(DIRECT_DEFINITIONS)) + "\n\n".join(lines) + "\n"


@settings(PROFILE)
@given(st.one_of(markdown_scripts(), fragments(MD_FRAGMENTS), direct_scripts()))
def test_markdown_fast_path_gives_the_same_script(src):
    assert parse_markdown(src, "f.md", fast_paths=True) == parse_markdown(src, "f.md", fast_paths=False)


@settings(PROFILE)
@given(st.one_of(fountain_scripts(), fragments(FOUNTAIN_FRAGMENTS + ["(a)\n(b)\nhi", "(*x*)\n", "()\n"])))
def test_fountain_fast_path_gives_the_same_script(src):
    assert parse_fountain(src, "f.fountain", fast_paths=True) == parse_fountain(src, "f.fountain", fast_paths=False)


# --------------------------------------------------------------------------- the small inline tokenizer

INLINE_PIECES = ["a", "bravo", " ", "  ", "\n", "\n  ", "*", "**", "_", "__", "`", "[", "]", "(", ")", ":", ".", ",",
                 "—", "é", "\u00a0", "\u2003", "!", "’", "“", "x_y", "http://x.org/a_b", "[t](http://u.org/p_q)",
                 "[a b](www.x.org)", "[t](javascript:x)", "(u)", "`c`", "` c `", "*em*", "_em_", "**st**", "__st__",
                 "_[dir]_", "*[dir]*", "**Ada**:", "**Ada:**", "[TODO x]", "[a][b]", "[]", "$", "#", "-", "+", "'", '"']


@settings(PROFILE)
@given(st.lists(st.sampled_from(INLINE_PIECES), min_size=1, max_size=14).map("".join))
def test_simple_inline_tokens_equal_markdown_its(src):
    md = _new_markdown()
    src = src.strip()
    ours = simple_inline(src, md, False)
    if ours is not None:
        theirs = _clean_children(md.parseInline(src, {})[0].children or [])
        def key(tokens):
            return [(t.type, t.tag, t.nesting, t.content, t.markup, dict(t.attrs)) for t in tokens]
        assert key(ours) == key(theirs)


@settings(PROFILE)
@given(st.from_regex(PLAIN_URL, fullmatch=True))
def test_plain_urls_are_left_as_they_are_by_markdown_it(url):
    md = _new_markdown()
    assert md.normalizeLink(url) == url and md.validateLink(url)
