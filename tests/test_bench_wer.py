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
