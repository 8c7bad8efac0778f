"""Fountain (fountain.io): what is spoken, what directs, and what is listed as never heard."""

from __future__ import annotations

from pathlib import Path

import pytest

from radioplay.errors import ScriptError
from radioplay.parse import load_script, parse_script
from radioplay.parse.fountain import strip_emphasis

SAMPLE = Path(__file__).resolve().parents[1] / "scripts" / "sample.fountain"


def fountain(text: str):
    return parse_script(text, "t.fountain")


def test_title_page_title_and_other_keys():
    script = fountain("Title: *The* Keepers\nCredit: Written by\nAuthor: Someone\n    and Someone Else\n\nADA\nHi.\n")
    assert script.title == "The Keepers"
    assert [(u.reason, u.text, u.line) for u in script.unspoken] == [
        ("title page", "Credit: Written by", 2), ("title page", "Author: Someone and Someone Else", 3)]


def test_multiline_title():
    assert fountain("Title:\n    The Long\n    Night\n\nADA\nHi.").title == "The Long Night"


def test_scene_headings_and_sections_are_chapters():
    src = ("INT. HOUSE - DAY\n\nADA\nOne.\n\n# Act Two\n\n.FORCED HEADING\n\nEXT. YARD - NIGHT #12A#\n\n"
           "BO\nTwo.\n")
    script = fountain(src)
    assert [(c.title, c.cue, c.line) for c in script.chapters] == [
        ("INT. HOUSE - DAY", 0, 1), ("Act Two", 1, 6), ("FORCED HEADING", 1, 8), ("EXT. YARD - NIGHT", 1, 10)]


def test_character_extensions_are_kept_apart_from_the_name():
    script = fountain("ADA (V.O.)\nHi.\n\nBO (O.S.) (CONT'D)\nYes.\n\n@McCLANE\nYippee.\n")
    assert [(c.speakers, c.extensions) for c in script.lines] == [
        (("ADA",), ("V.O.",)), (("BO",), ("O.S.", "CONT'D")), (("McCLANE",), ())]


def test_parentheticals_direct_the_speech():
    script = fountain("ADA\n(quietly)\nCome here.\n(louder)\nNow!\n")
    cue = script.lines[0]
    assert cue.direction == "quietly"
    assert [(s.text, s.direction, s.line) for s in cue.parts[0].segments] == [
        ("Come here.", "quietly", 3), ("Now!", "louder", 5)]
    assert cue.text == "Come here. Now!"


def test_dual_dialogue_is_one_simultaneous_cue():
    script = fountain("ADA\nLeft!\n\nBO ^\nRight!\n")
    assert len(script.lines) == 1
    cue = script.lines[0]
    assert cue.speakers == ("ADA", "BO") and cue.simultaneous and not cue.unison
    assert [p.segments[0].text for p in cue.parts] == ["Left!", "Right!"]


def test_dual_dialogue_with_the_same_words_is_unison():
    cue = fountain("ADA\nTogether.\n\nBO ^\nTogether.\n").lines[0]
    assert cue.unison and cue.text == "Together."


def test_never_spoken_elements_are_listed():
    src = ("ADA\nHello [[a note]] there.\n\n/* cut\n\nBO\nold line\n*/\n\nThe wind howls.\n\n!LOUD ACTION\n\n"
           "CUT TO:\n\n> FADE OUT.\n\n>THE END<\n\n===\n\n= a synopsis\n\nBO\nBye.\n")
    script = fountain(src)
    assert [c.text for c in script.lines] == ["Hello there.", "Bye."]
    assert [(u.reason, u.text) for u in script.unspoken] == [
        ("note", "a note"), ("boneyard", "cut BO old line"), ("action", "The wind howls."),
        ("action", "LOUD ACTION"), ("transition", "CUT TO:"), ("transition", "FADE OUT."),
        ("centered", "THE END"), ("page break", "==="), ("synopsis", "a synopsis")]


def test_a_note_alone_on_a_line_does_not_break_the_dialogue():
    script = fountain("ADA\n[[remember to cut]]\nStill speaking.\n")
    assert script.lines[0].text == "Still speaking."


def test_emphasis_is_removed_and_escapes_kept():
    assert strip_emphasis("*a* **b** ***c*** _d_ \\*e\\*") == "a b c d *e*"
    assert fountain("ADA\nIt's *really* _that_ **bad**.\n").lines[0].text == "It's really that bad."


def test_lyrics_are_sung_by_the_character():
    script = fountain("ADA\n~La la la,\n~la la.\n\n~Second verse.\n")
    assert [c.text for c in script.lines] == ["La la la, la la.", "Second verse."]
    assert all(c.speakers == ("ADA",) for c in script.lines)


def test_lyrics_with_no_singer_are_warned():
    script = fountain("~Nobody sings this.\n\nADA\nHi.\n")
    assert script.unspoken[0].reason == "lyrics with no singer"
    assert script.diagnostics[0].severity == "warning"


def test_interruptions_in_fountain():
    script = fountain("ADA\nI was going to--\n\nBO\n--say that.\n")
    assert script.lines[0].interrupted and script.lines[1].picks_up


def test_empty_cue_is_skipped_with_a_warning():
    script = fountain("ADA\n(sighs)\n\nBO\nHi.\n")
    assert [c.speakers for c in script.lines] == [("BO",)]
    assert script.diagnostics[0].format() == "t.fountain:1:1: warning: empty cue: ADA says nothing; skipped"


def test_unclosed_boneyard_warns():
    script = fountain("ADA\nHi.\n\n/* never closed\n\nBO\nBye.\n")
    assert [c.text for c in script.lines] == ["Hi."]
    assert any("unclosed '/*'" in d.message for d in script.diagnostics)


def test_script_of_only_action_has_no_cues():
    with pytest.raises(ScriptError, match="no cues"):
        fountain("The sea.\n\nThe sky.\n")


def test_sample_fountain():
    script = load_script(SAMPLE)
    assert script.format == "fountain" and script.title == "The Lighthouse Keepers"
    assert {"ADA", "MARLOW", "QUILL"} == set(script.speakers())
    assert len(script.chapters) == 2
    assert any(c.simultaneous and not c.unison for c in script.lines)
    assert script.lines[-1].unison
    reasons = {u.reason for u in script.unspoken}
    assert {"note", "boneyard", "action", "transition", "synopsis", "title page", "page break"} <= reasons
    assert not script.diagnostics


# --------------------------------------------------------------------------- checked against real screenplays


def test_a_line_of_two_spaces_keeps_the_speech_together():
    # fountain.io "Line Breaks": two spaces on the 'blank' line connect the element.
    script = fountain("ADA\nFirst part.\n  \nSecond part, after a pause.\n\nBO\nYes.\n")
    assert [c.speakers for c in script.lines] == [("ADA",), ("BO",)]
    ada = script.lines[0]
    assert [(s.text, s.line, s.paragraph_break) for s in ada.parts[0].segments] == [
        ("First part.", 2, False), ("Second part, after a pause.", 4, True)]
    assert not script.unspoken and not script.diagnostics


def test_a_line_of_two_spaces_keeps_an_action_paragraph_together():
    script = fountain("The wind.\n  \nADA\nstill action.\n\nBO\nHi.\n")
    assert [c.speakers for c in script.lines] == [("BO",)]
    assert [(u.reason, u.text) for u in script.unspoken] == [("action", "The wind. ADA still action.")]


def test_a_truly_blank_line_is_still_a_break():
    script = fountain("ADA\nFirst.\n \nBO\nSecond.\n")
    assert [c.speakers for c in script.lines] == [("ADA",), ("BO",)]


def test_a_stray_note_opener_does_not_swallow_the_next_speeches():
    src = "ADA\nWait [[ what was I saying.\n\nBO\nNothing.\n\nADA\nFine [[a real note]] then.\n"
    script = fountain(src)
    assert [(c.speakers, c.text) for c in script.lines] == [
        (("ADA",), "Wait [[ what was I saying."), (("BO",), "Nothing."), (("ADA",), "Fine then.")]
    assert [(u.reason, u.text) for u in script.unspoken] == [("note", "a real note")]
    assert [d.format() for d in script.diagnostics] == [
        "t.fountain:2:6: warning: unclosed '[[' (no ']]' before the next blank line): "
        "read as text, not as a note"]


def test_a_note_may_hold_a_line_of_two_spaces_but_not_a_blank_line():
    script = fountain("ADA\nHi [[one\n  \ntwo]] there.\n")
    assert script.lines[0].text == "Hi there."
    assert [(u.reason, u.text) for u in script.unspoken] == [("note", "one two")]
    script = fountain("The sea [[a note that\n\nnever closes.\n\nADA\nHello]] you.\n")
    assert [c.text for c in script.lines] == ["Hello]] you."]
    assert [(u.reason, u.text) for u in script.unspoken] == [
        ("action", "The sea [[a note that"), ("action", "never closes.")]
    assert "unclosed '[['" in script.diagnostics[0].message and script.diagnostics[0].line == 1


def test_an_unclosed_note_at_the_end_is_text_with_a_warning():
    script = fountain("ADA\nHi.\n\nThe end [[ of it")
    assert [(u.reason, u.text) for u in script.unspoken] == [("action", "The end [[ of it")]
    assert [(d.line, d.col) for d in script.diagnostics] == [(4, 9)]


def test_dual_dialogue_after_an_action_line_does_not_pair_with_the_earlier_speech():
    src = "INT. ONE - DAY\n\nADA\nHi.\n\nThe door opens.\n\nBO ^\nHello.\n"
    script = fountain(src)
    assert [(c.speakers, c.simultaneous) for c in script.lines] == [(("ADA",), False), (("BO",), False)]
    assert [d.format() for d in script.diagnostics] == [
        "t.fountain:8:1: warning: dual dialogue '^' after action, not after a speech: spoken on its own"]


def test_dual_dialogue_after_a_scene_heading_stays_in_its_scene():
    src = "INT. ONE - DAY\n\nADA\nHi.\n\nINT. TWO - NIGHT\n\nBO ^\nHello.\n"
    script = fountain(src)
    assert [c.speakers for c in script.lines] == [("ADA",), ("BO",)]
    assert [(c.title, c.cue) for c in script.chapters] == [("INT. ONE - DAY", 0), ("INT. TWO - NIGHT", 1)]
    assert "after a scene heading" in script.diagnostics[0].message


def test_dual_dialogue_right_after_a_speech_still_pairs():
    script = fountain("ADA\nHi.\n[[a note between]]\n\nBO ^\nHello.\n")
    assert [c.speakers for c in script.lines] == [("ADA", "BO")]
    assert not script.diagnostics


def test_a_transition_then_a_one_line_boneyard_then_a_scene_heading():
    src = "ADA\nHi.\n\nCUT TO:\n/* old scene */\nINT. HOUSE - DAY\n\nBO\nYes.\n"
    script = fountain(src)
    assert [(c.speakers, c.text) for c in script.lines] == [(("ADA",), "Hi."), (("BO",), "Yes.")]
    assert [(c.title, c.cue) for c in script.chapters] == [("INT. HOUSE - DAY", 1)]
    assert [(u.reason, u.text) for u in script.unspoken] == [("transition", "CUT TO:"), ("boneyard", "old scene")]


def test_a_transition_line_is_never_a_speaker():
    script = fountain("ADA\nHi.\n\nSMASH CUT TO:\nThe street.\n\nBO\nYes.\n")
    assert [c.speakers for c in script.lines] == [("ADA",), ("BO",)]
    assert [(u.reason, u.text) for u in script.unspoken] == [("transition", "SMASH CUT TO:"), ("action", "The street.")]


@pytest.mark.parametrize("action", ["他走进房间。\n他坐下了。", "彼は部屋に入る。\n彼は座る。", "يدخل الغرفة.\nيجلس."])
def test_a_two_line_action_paragraph_without_letter_case_is_not_dialogue(action):
    script = fountain(f"{action}\n\n@ADA\nHi.\n")
    assert [c.speakers for c in script.lines] == [("ADA",)]
    assert [u.reason for u in script.unspoken] == ["action"]


def test_at_forces_a_character_in_a_script_without_letter_case():
    script = fountain("@张三\n你好。\n\n@李四 (V.O.)\n再见。\n")
    assert [(c.speakers, c.extensions, c.text) for c in script.lines] == [
        (("张三",), (), "你好。"), (("李四",), ("V.O.",), "再见。")]


def test_a_parenthetical_wrapped_over_two_lines_is_a_direction():
    script = fountain("ADA\n(looking out at the\nwater, quietly)\nThe lamp is out.\n")
    cue = script.lines[0]
    assert cue.text == "The lamp is out."
    assert cue.direction == "looking out at the water, quietly"
    assert [(s.line, s.direction) for s in cue.parts[0].segments] == [(4, "looking out at the water, quietly")]


def test_a_parenthetical_wrapped_in_the_middle_of_a_speech():
    script = fountain("ADA\nOne.\n(a long\nbeat)\nTwo.\n")
    segments = script.lines[0].parts[0].segments
    assert [(s.text, s.direction) for s in segments] == [("One.", None), ("Two.", "a long beat")]


def test_brackets_that_do_not_wrap_one_parenthetical_are_spoken():
    script = fountain("ADA\n(laughs) All right,\nthen (beat) fine.\n")
    assert script.lines[0].text == "(laughs) All right, then (beat) fine."
