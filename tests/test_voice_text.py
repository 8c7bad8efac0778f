"""Text for the voice: the spoken form every engine gets."""

from __future__ import annotations

import re

import pytest
from hypothesis import given, settings, strategies as st

from radioplay.voice.text import cardinal, decade, identifier_number, normalize, ordinal, prepare_text, year

CASES = [
    # numbers
    ("I read a blog 15 years ago.", "I read a blog fifteen years ago."),
    ("1,500 clips", "one thousand five hundred clips"),
    ("3.14 and 0.05", "three point one four and zero point zero five"),
    ("It was -5 outside", "It was minus five outside"),
    ("the 1st, 2nd, 3rd, 21st and 112th", "the first, second, third, twenty-first and one hundred twelfth"),
    ("in 1990, 1905, 2005, 2023 and 1800", "in nineteen ninety, nineteen oh five, two thousand five, "
                                          "twenty twenty-three and eighteen hundred"),
    ("in the 1990s", "in the nineteen nineties"),
    ("50% more, 2.5 %", "fifty percent more, two point five percent"),
    ("$5, $1.50, £1 and $3 million", "five dollars, one dollar and fifty cents, one pound and three million dollars"),
    ("at 10:30 or 9:00", "at ten thirty or nine o'clock"),
    ("pages 10–20", "pages ten to twenty"),
    # acronyms
    ("GPT-4 is corrigible", "G.P.T four is corrigible"),
    ("crack SHA-256", "crack S.H.A two fifty-six"),
    ("GPT-3.5 and MP3", "G.P.T three point five and M.P three"),
    ("an LLM, the AI, an API, SGD, MIRI and NASA", "an L.L.M, the A.I, an A.P.I, S.G.D, Miri and Nasa"),
    ("many LLMs", "many LLMs"),
    ("the AI's actual motivations", "the AI's actual motivations"),
    ("DON'T GO", "DON'T GO"),
    ("OK, STOP that. World War II", "okay, STOP that. World War Two"),  # was left as "II"
    # abbreviations and symbols
    ("e.g., this; i.e. that", "for example, this; that is that"),
    ("Dr. Smith vs. Mr. Jones, etc. The end", "Doctor Smith versus Mister Jones, et cetera. The end"),
    ('"Instrumental Convergence", &c. are facts', "Instrumental Convergence, et cetera are facts"),
    ("salt & pepper, and/or x/y", "salt and pepper, and or x or y"),
    # quotes, dashes, ellipses, brackets
    ("notionally “about” a ‘corrigible’ AI", "notionally about a corrigible A.I"),
    ("don’t, it's", "don't, it's"),
    ('"alignment"—getting machines', "alignment, getting machines"),
    ("In the limit—", "In the limit"),
    ("—the fate", "the fate"),
    ("wait... what… Really?!", "wait, what. Really?"),
    ("He left (finally) today.", "He left finally, today."),
    ("a list of (SHA-256 hash, plaintext) pairs", "a list of S.H.A two fifty-six hash, plaintext, pairs"),
    ("A `for` loop", "A for loop"),
]


@pytest.mark.parametrize("text, spoken", CASES)
def test_normalize(text, spoken):
    assert normalize(text) == spoken


def test_number_words():
    assert [cardinal(n) for n in (0, 13, 40, 99, 100, 101, 1000, 1_000_001, 1205, 10**15 + 7)] == [
        "zero", "thirteen", "forty", "ninety-nine", "one hundred", "one hundred one", "one thousand",
        "one million one", "one thousand two hundred five",
        "one zero zero zero zero zero zero zero zero zero zero zero zero zero zero seven"]
    assert [ordinal(n) for n in (1, 2, 3, 5, 8, 9, 12, 20, 40, 100)] == [
        "first", "second", "third", "fifth", "eighth", "ninth", "twelfth", "twentieth", "fortieth", "one hundredth"]
    assert [year(n) for n in (1066, 1900, 2000, 2010)] == ["ten sixty-six", "nineteen hundred", "two thousand",
                                                           "twenty ten"]
    assert decade(2000) == "two thousands"
    assert [identifier_number(t) for t in ("256", "747", "4", "007", "3.5", "1000")] == [
        "two fifty-six", "seven forty-seven", "four", "zero zero seven", "three point five", "one thousand"]


def test_seed_lines_keep_their_words():
    line = ("Indeed, here's an example of GPT-4 being corrigible to me just now in the OpenAI Playground:")
    assert normalize(line) == ("Indeed, here's an example of G.P.T four being corrigible to me just now "
                               "in the Open A.I Playground")  # a colon at the end of a take is no pause


SPOKEN_CHARS = re.compile(r"^[\w\s.,!?;:'\-]*$")


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Co")), max_size=60))
def test_punctuation_is_never_read_aloud(text):
    spoken = normalize(text)
    assert SPOKEN_CHARS.match(spoken), spoken
    assert not re.search(r"[.,!?;:]\s*[.,!?;:]", spoken), spoken  # no doubled pauses
    assert not re.search(r"(?<![\w])-|-(?![\w])", spoken), spoken  # no dangling hyphen
    assert spoken == spoken.strip() and "  " not in spoken


def test_prepare_text_applies_the_lexicon_before_normalizing():
    lexicon = {"Doomovitch": "/dˈuːmoʊvˌɪtʃ/", "SGD": "stochastic gradient descent", "MIRI": "MEER-ee"}
    assert prepare_text("Doomer Doomovitch, SGD and MIRI—and Doomovitch's 4 hats.", lexicon) == (
        "Doomer [[dˈuːmoʊvˌɪtʃ]], stochastic gradient descent and MEER-ee, and [[dˈuːmoʊvˌɪtʃ]]'s four hats.")
    # whole words only, case-insensitively
    assert prepare_text("doomovitchian DOOMOVITCH", lexicon) == "doomovitchian [[dˈuːmoʊvˌɪtʃ]]"
    assert prepare_text("A blog 15 years ago.", {}) == normalize("A blog 15 years ago.")
