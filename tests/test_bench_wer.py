"""bench/wer.py: the plain word error count behind issue 10's intelligibility goals (no model needed)."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

_PATH = Path(__file__).resolve().parents[1] / "bench" / "wer.py"


@pytest.fixture(scope="module")
def wer():
    spec = importlib.util.spec_from_file_location("bench_wer", _PATH)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_numbers_are_spelled_out_on_both_sides(wer):
    assert wer.plain_words("It was 4°C at 6:30.") == ["it", "was", "four", "degrees", "celsius", "at", "six", "thirty"]
    assert wer.plain_words("at 6.30") == wer.plain_words("at 6:30") == ["at", "six", "thirty"]
    assert wer.plain_words("Doomer—Doomovitch's") == ["doomer", "doomovitch's"]


def test_a_number_in_words_is_the_same_as_in_digits(wer):
    # the recognizer writes "112" for "one hundred and twelve"; the normalizer spells 112 without "and"
    assert wer.plain_words("One hundred and twelve, from 37") == wer.plain_words("112 from 37") == [
        "one", "hundred", "twelve", "from", "thirty", "seven"]
    assert wer.plain_words("two thousand and five") == ["two", "thousand", "five"]
    assert wer.plain_words("a hundred and fifty") == ["a", "hundred", "fifty"]
    assert wer.plain_words("hundreds and thousands and one") == ["hundreds", "and", "thousands", "and", "one"]
    assert wer.plain_words("bread and one egg") == ["bread", "and", "one", "egg"]


@pytest.mark.parametrize("reference, heard, errors", [
    ("we're hosed", "we're host", 1),
    ("simplicia optimistovna you cannot be serious", "it's implicit optimist of the you cannot be serious", 5),
    ("the superintelligence", "the super intelligence", 2),  # a split compound is not forgiven
    ("all is lost", "", 3),
    ("", "uh", 1),
    ("a b c", "a b c", 0),
])
def test_word_errors_are_plain_edit_distance(wer, reference, heard, errors):
    assert wer.word_errors(reference.split(), heard.split()) == errors
