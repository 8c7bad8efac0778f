"""The Markdown dialogue format: every convention of the seed, and the variants writers use next."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from radioplay.errors import InputError, ScriptError
from radioplay.parse import load_script, parse_script
from radioplay.parse.markdown import parse_markdown

from tests.conftest import SEED
SAMPLE = Path(__file__).resolve().parents[1] / "scripts" / "sample.md"


def one_line(src: str):
    script = parse_script(src)
    assert len(script.lines) == 1, script.cues
    return script.lines[0]


# --------------------------------------------------------------------------- the seed


@pytest.fixture(scope="module")
def seed():
    if not SEED.exists():
        pytest.skip(f"the seed script is not at {SEED}")
    return load_script(SEED)


def test_seed_has_seventeen_lines_by_doomer_and_simplicia(seed):
    assert len(seed.lines) == 17
    assert seed.speakers() == ["Doomer", "Simplicia"]
    assert seed.title == "Alignment Implications of Deep Learning Successes: a Debate in One Act"


def test_seed_unison_line_is_next_to_last(seed):
    unison = seed.lines[-2]
    assert unison.speakers == ("Simplicia", "Doomer")
    assert unison.unison and "in unison" in unison.direction
    assert unison.text == "The broader AI community figuring out which one of us is right?"
    assert [p.speaker for p in unison.parts] == ["Simplicia", "Doomer"]
    assert seed.lines[-1].text == "We're hosed."


def test_seed_sure_is_resigned(seed):
    sure = [c for c in seed.lines if c.text == "Sure."]
    assert len(sure) == 1 and sure[0].direction == "resignedly"
    assert sure[0].parts[0].segments[0].direction == "resignedly"


def test_seed_interruptions(seed):
    cut = [c.text for c in seed.lines if c.interrupted]
    assert any(t.endswith("depends on—") for t in cut)
    assert "I'm afraid so—" in cut
    assert any(t.endswith("In the limit—") for t in cut)
    assert any(t.endswith("doesn't have goals—") for t in cut)
    assert len(cut) == 4


def test_seed_never_speaks_notes_urls_or_the_image(seed):
    spoken = " ".join(c.text for c in seed.cues)
    for banned in ("TODO", "http", "strawberry", "MIRI", "gpt-4_corrigibility", "shoggoth", "greaterwrong"):
        assert banned not in spoken
    reasons = [u.reason for u in seed.unspoken]
    assert reasons.count("author note") == 5
    assert reasons.count("image") == 1
    assert reasons.count("url") == 1
    notes = [u for u in seed.unspoken if u.reason == "author note"]
    assert [n.line for n in notes] == [36, 40, 48, 53, 58]
    assert "strawberry problems" in notes[1].text and notes[1].text.endswith("]")
    assert "MIRI" in notes[4].text and "Never heard of them" in notes[4].text
    assert any(u.reason == "url" and u.line == 38 and u.col == 1 for u in seed.unspoken)


def test_seed_speaks_link_texts_and_emphasis_as_words(seed):
    spoken = " ".join(c.text for c in seed.cues)
    for link_text in ("The genie knows, but doesn't care.", "chain of thought", "SayCan", "Voyager",
                      '"You are a helpful assistant that tells me the next immediate task to do in Minecraft."',
                      "get caught in a repetition trap", "Language models are predictors, not imitators",
                      "better than humans at the task they were trained on"):
        assert link_text in spoken
    assert "failing to understand human values" in spoken
    assert "A for loop could give you the same output." in spoken
    assert "a simulation of an agent is an agent." in spoken
    assert "_" not in spoken and "**" not in spoken and "`" not in spoken
    targets = [u.text for u in seed.unspoken if u.reason == "link target"]
    assert "https://arxiv.org/abs/2201.11903" in targets and len(targets) == 8


def test_seed_continuation_paragraph_is_one_cue_with_two_segments(seed):
    cue = next(c for c in seed.lines if c.text.startswith("As you say"))
    segments = cue.parts[0].segments
    assert len(segments) == 2
    assert segments[1].text.startswith("What we're seeing") and segments[1].paragraph_break
    assert not segments[0].paragraph_break
    assert cue.text == segments[0].text + "\n\n" + segments[1].text
    assert (segments[1].line, segments[1].col) == (17, 1)


def test_seed_empty_cue_is_skipped_with_a_warning(seed):
    warnings = [d for d in seed.diagnostics if d.severity == "warning"]
    assert len(warnings) == 1
    assert warnings[0].format() == f"{SEED}:33:1: warning: empty cue: Simplicia says nothing; skipped"
    assert any(u.reason == "empty cue" and u.line == 33 for u in seed.unspoken)


def test_seed_typography_passes_through(seed):
    first = seed.lines[0].text
    assert '"corrigible"—willing' in first and '"true"' in first


# --------------------------------------------------------------------------- cues and speakers


@pytest.mark.parametrize("src", ["**Ada**: Hello there.", "**Ada:** Hello there.", "**Ada** : Hello there.",
                                 "**Ada**:\nHello there.", "**Ada**:\n\nHello there."])
def test_cue_head_forms(src):
    cue = one_line(src)
    assert cue.speakers == ("Ada",) and cue.text == "Hello there."


@pytest.mark.parametrize("name", ["Dr. Émile Zola", "Mrs O'Brien", "Jean-Luc", "Zoë", "D’Arcy"])
def test_names_with_spaces_accents_and_apostrophes(name):
    assert one_line(f"**{name}**: Bonjour.").speakers == (name,)


@pytest.mark.parametrize("src,names", [
    ("**A** and **B**: Now.", ("A", "B")),
    ("**A**, **B** and **C**: Now.", ("A", "B", "C")),
    ("**A**, **B**, and **C**: Now.", ("A", "B", "C")),
    ("**A** & **B**: Now.", ("A", "B")),
])
def test_unison_heads(src, names):
    cue = one_line(src)
    assert cue.speakers == names and cue.unison and len(cue.parts) == len(names)
    assert all(p.segments == cue.parts[0].segments for p in cue.parts)


def test_names_are_matched_case_insensitively_to_the_first_spelling():
    script = parse_script("**Ada**: One.\n\n**ADA**: Two.")
    assert [c.speakers for c in script.lines] == [("Ada",), ("Ada",)]


def test_bold_that_is_not_a_cue_head_is_spoken():
    script = parse_script("**Ada**: Hi.\n\n**Really** important words.")
    assert script.lines[0].text == "Hi.\n\nReally important words."


# --------------------------------------------------------------------------- directions


@pytest.mark.parametrize("mark", ["_", "*"])
def test_opening_direction(mark):
    cue = one_line(f"**Ada**: {mark}[softly]{mark} Come here.")
    assert cue.direction == "softly" and cue.text == "Come here."
    assert cue.parts[0].segments[0].direction == "softly"


def test_mid_speech_direction_splits_and_applies_from_there_on():
    cue = one_line("**Ada**: I said no. _[shouting]_ NO! Never.\n\nAnd I meant it.")
    segs = cue.parts[0].segments
    assert [s.text for s in segs] == ["I said no.", "NO! Never.", "And I meant it."]
    assert [s.direction for s in segs] == [None, "shouting", "shouting"]
    assert [s.paragraph_break for s in segs] == [False, False, True]
    assert cue.direction is None
    assert cue.text == "I said no. NO! Never.\n\nAnd I meant it."
    assert (segs[1].line, segs[1].col) == (1, 34)


def test_standalone_direction_is_a_direction_cue():
    script = parse_script("**Ada**: Hi.\n\n_[A door slams.]_\n\n**Bo**: Who's there?")
    assert [c.kind for c in script.cues] == ["line", "direction", "line"]
    stage = script.cues[1]
    assert stage.text == "A door slams." and stage.speakers == () and stage.line == 3


def test_speech_after_a_stage_direction_goes_on_with_the_same_speaker():
    script = parse_script("**Ada**: Hi.\n\n_[pause]_\n\nStill here?")
    assert [c.kind for c in script.cues] == ["line", "direction", "line"]
    assert script.cues[2].speakers == ("Ada",) and script.cues[2].text == "Still here?"


def test_direction_after_the_last_words_becomes_a_stage_direction():
    script = parse_script("**Ada**: Goodbye. _[She leaves.]_")
    assert [(c.kind, c.text) for c in script.cues] == [("line", "Goodbye."), ("direction", "She leaves.")]


# --------------------------------------------------------------------------- speech


def test_emphasis_code_and_links_are_spoken_as_words():
    cue = one_line("**Ada**: It's *really* **very** `simple`: read [the manual](https://x.org/m \"M\") now.")
    assert cue.text == "It's really very simple: read the manual now."


def test_typographic_quotes_dashes_and_ellipses_pass_through():
    text = "“Well…” she said — ‘maybe’ – not."
    assert one_line(f"**Ada**: {text}").text == text


@pytest.mark.parametrize("text,interrupted,picks_up", [
    ("I was going to—", True, False), ("I was going to --", True, False), ('"I was going to—"', True, False),
    ("—to say goodbye.", False, True), ("-- to say goodbye.", False, True), ("A dash — inside.", False, False),
])
def test_interruptions(text, interrupted, picks_up):
    cue = one_line(f"**Ada**: {text}")
    assert (cue.interrupted, cue.picks_up) == (interrupted, picks_up)


def test_soft_line_breaks_join_with_a_space():
    assert one_line("**Ada**: one\ntwo  \nthree").text == "one two three"


# --------------------------------------------------------------------------- never spoken


def test_author_notes_with_lists_quotes_links_and_nested_brackets():
    src = ("**Ada**: Hi.\n\n[TODO fix [this] and\n\n * a list [with](http://x.y) links\n\n"
           "> a quote with [nested [brackets]]\n]\n\n**Bo**: Bye.")
    script = parse_script(src)
    assert [c.text for c in script.lines] == ["Hi.", "Bye."]
    note = next(u for u in script.unspoken if u.reason == "author note")
    assert (note.line, note.col) == (3, 1)
    assert "nested [brackets]]" in note.text and "http://x.y" in note.text


def test_inline_author_note():
    script = parse_script("**Ada**: Hello [TODO: [check] this] world.")
    assert script.lines[0].text == "Hello world."
    assert [(u.reason, u.text, u.col) for u in script.unspoken] == [("author note", "[TODO: [check] this]", 16)]


def test_bracketed_line_right_after_speech_is_a_note():
    script = parse_script("**Ada**: Hello.\n[citation needed]\n\n**Bo**: Hi.")
    assert [c.text for c in script.lines] == ["Hello.", "Hi."]
    assert script.unspoken[0].reason == "author note" and script.unspoken[0].line == 2


def test_escaped_bracket_is_spoken():
    assert one_line(r"**Ada**: Say \[this] aloud.").text == "Say [this] aloud."


def test_unclosed_bracket_is_a_note_up_to_the_next_cue_with_a_warning():
    script = parse_script("**Ada**: Hi.\n\n[TODO never closed\n\nmore notes\n\n**Bo**: Bye.")
    assert [c.text for c in script.lines] == ["Hi.", "Bye."]
    assert script.unspoken[0].text == "[TODO never closed\n\nmore notes"
    assert any("unclosed" in d.message and d.line == 3 for d in script.diagnostics)


def test_comments_images_urls_rules_and_front_matter():
    src = ("---\ntitle: Front\n---\n# Title\n\n**Ada**: See <!-- secret --> this ![alt text](p.png) "
           "at https://example.com/a. or <https://b.org> or www.c.net today.\n\n<!-- a\n\nblock comment -->\n\n"
           "https://bare.example/url\n\n---\n\n**Bo**: Bye.")
    script = parse_script(src)
    assert [c.text for c in script.lines] == ["See this at. or or today.", "Bye."]
    got = [(u.reason, u.text) for u in script.unspoken]
    assert got == [("front matter", "---\ntitle: Front\n---"), ("comment", "<!-- secret -->"),
                   ("image", "![alt text](p.png)"), ("url", "https://example.com/a"), ("url", "https://b.org"),
                   ("url", "www.c.net"), ("comment", "<!-- a\n\nblock comment -->"),
                   ("url", "https://bare.example/url"), ("rule", "---")]
    assert script.title == "Title"


def test_toml_front_matter():
    script = parse_script("+++\ntitle = 'x'\n+++\n**Ada**: Hi.")
    assert script.unspoken[0].reason == "front matter" and script.lines[0].text == "Hi."


def test_struck_out_text_and_code_blocks_are_not_spoken():
    script = parse_script("**Ada**: Keep ~~drop this~~ going.\n\n```\ncode [x]\n\nmore\n```\n\nAnd on.")
    assert script.lines[0].text == "Keep going.\n\nAnd on."
    assert [u.reason for u in script.unspoken] == ["struck out", "code block"]


def test_text_with_no_speaker_is_listed_and_warned():
    script = parse_script("Some prose before anyone speaks.\n\n**Ada**: Hi.")
    assert script.unspoken[0].reason == "no speaker"
    assert script.diagnostics[0].format().startswith("<script>:1:1: warning: text with no speaker")


# --------------------------------------------------------------------------- headings, chapters


def test_first_heading_is_title_later_headings_are_chapters():
    src = "# Show\n\n**A**: One.\n\n## Part two\n\n**B**: Two.\n\n_[pause]_\n\n## Part three\n\n**A**: Three."
    script = parse_script(src)
    assert script.title == "Show"
    assert [(c.title, c.cue, c.line) for c in script.chapters] == [("Part two", 1, 5), ("Part three", 3, 11)]
    assert script.cues[script.chapters[1].cue].text == "Three."


def test_chapter_with_nothing_after_it_is_dropped_with_a_warning():
    script = parse_script("**A**: One.\n\n# Title\n\n## The end")
    assert script.title == "Title" and script.chapters == []
    assert any("has no cues" in d.message for d in script.diagnostics)


def test_text_after_a_heading_does_not_continue_the_previous_speaker():
    script = parse_script("**A**: One.\n\n## Next\n\nNarration.")
    assert len(script.lines) == 1 and script.unspoken[0].reason == "no speaker"


# --------------------------------------------------------------------------- errors and files


@pytest.mark.parametrize("src", ["", "   \n\n\t\n"])
def test_empty_script_is_an_error(src):
    with pytest.raises(ScriptError, match="empty script") as info:
        parse_script(src, "x.md")
    assert str(info.value).startswith("x.md:1:1: error:")


def test_script_with_no_cues_is_an_error():
    with pytest.raises(ScriptError, match="no cues"):
        parse_script("# Title\n\nJust prose.\n\n[TODO notes]", "x.md")


def test_bom_and_crlf(tmp_path):
    path = tmp_path / "s.md"
    path.write_bytes("\ufeff**Ada**: One.\r\n\r\nTwo.\r\n".encode("utf-8"))
    script = load_script(path)
    assert script.lines[0].text == "One.\n\nTwo." and script.lines[0].parts[0].segments[1].line == 3


def test_invalid_utf8_names_the_byte_offset(tmp_path):
    path = tmp_path / "s.md"
    path.write_bytes(b"**Ada**: caf\xe9")
    with pytest.raises(InputError, match="byte offset 12"):
        load_script(path)


def test_format_by_suffix_and_override(tmp_path):
    path = tmp_path / "s.fountain"
    path.write_text("ADA\nHello.\n", encoding="utf-8")
    assert load_script(path).format == "fountain"
    with pytest.raises(ScriptError, match="no cues"):
        load_script(path, format="markdown")
    with pytest.raises(ScriptError, match="unknown script format"):
        load_script(path, format="docx")


def test_sample_script_conventions():
    script = load_script(SAMPLE)
    assert script.title and set(script.speakers()) >= {"Ada", "Marlow"}
    assert 8 <= len(script.lines) <= 12
    assert any(c.kind == "direction" for c in script.cues)
    assert any(c.direction == "softly" for c in script.lines)
    assert any(c.interrupted for c in script.lines)
    assert script.lines[-1].unison and script.lines[-1].speakers == ("Ada", "Marlow")
    assert {"author note", "link target"} <= {u.reason for u in script.unspoken}
    assert not re.search(r"TODO|http", " ".join(c.text for c in script.cues))
    assert not script.diagnostics


def test_fast_path_agrees_with_markdown_it_on_the_seed(seed):
    text = SEED.read_text(encoding="utf-8")
    assert parse_markdown(text, "s", fast_paths=True) == parse_markdown(text, "s", fast_paths=False)


def test_link_reference_definitions_are_listed_and_used():
    script = parse_script('[ref]: https://x.org "T"\n\n**Ada**: See [this][ref] now.')
    assert script.lines[0].text == "See this now."
    assert [(u.reason, u.text) for u in script.unspoken] == [
        ("link definition", '[ref]: https://x.org "T"'), ("link target", 'https://x.org "T"')]


def test_lists_and_quotes_in_a_speech_are_spoken():
    script = parse_script("**Ada**: Three things:\n\n* bread\n* milk\n\n> and a quote")
    assert [s.text for s in script.lines[0].parts[0].segments] == ["Three things:", "bread", "milk", "and a quote"]


def test_regression_tab_indent_is_code_on_the_fast_path_too():
    # Found by the ci profile: a tab-indented line is an indented code block, not a paragraph.
    src = "**Ada**: Hi.\n\n\tnot spoken\n"
    assert parse_markdown(src, fast_paths=True) == parse_markdown(src, fast_paths=False)
    assert parse_script(src).unspoken[0].reason == "code block"


def test_regression_bare_cr_is_a_line_break_for_text_callers():
    # Found by the ci profile: parse_script("...\r...") must number lines as markdown-it does.
    script = parse_script("**Ada**: One.\r\r**Bo**: Two.\r\n")
    assert [(c.speakers, c.line) for c in script.lines] == [(("Ada",), 1), (("Bo",), 3)]
