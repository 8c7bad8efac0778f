"""Delivery from directions."""

from __future__ import annotations

from pathlib import Path

import pytest

from radioplay.errors import CastError
from radioplay.model import Delivery
from radioplay.voice.directions import DirectionTable, default_directions_path


@pytest.fixture(scope="module")
def table() -> DirectionTable:
    return DirectionTable.load()


def test_resignedly_is_slower_lower_quieter_with_a_beat(table):
    d = table.delivery("resignedly")
    assert d.speed < 1 and d.pitch < 0 and d.gain < 0 and d.pause_before > 0
    assert d.matched == ("resignedly",) and not d.unison


def test_the_issue_examples(table):
    assert table.delivery("Softly").gain < 0 and table.delivery("softly").speed == 1.0
    assert table.delivery("whispering").gain < 0
    shouting = table.delivery("SHOUTING")
    assert shouting.speed > 1 and shouting.gain > 0
    assert table.delivery("after a long pause").pause_before == 2.0
    assert table.delivery("in unison").unison and table.delivery("together").unison
    assert table.delivery("turning to the audience, in unison").matched == ("in unison",)


def test_matches_combine_and_the_longest_phrase_wins(table):
    d = table.delivery("resignedly, after a long pause, softly")
    assert d.matched == ("resignedly", "after a long pause", "softly")
    assert d.speed == pytest.approx(0.9) and d.pitch == -1.0 and d.gain == -6.0
    assert d.pause_before == 2.0  # the longest pause, not the sum
    # "after a long pause" claims "long pause" and "pause": they do not count again
    assert table.delivery("after a long pause").matched == ("after a long pause",)


def test_nothing_matched_is_the_identity_and_not_voiced(table):
    for direction in (None, "", "looks around", "turning to the audience"):
        assert table.delivery(direction) == Delivery()
        assert not table.voiced(direction)
    assert table.voiced("resignedly")


def test_whole_words_and_wildcards(table):
    assert table.voiced("whispers") and table.voiced("whispered")
    assert not table.voiced("softlyish")
    assert not table.voiced("unisons")


def test_user_table_extends_and_overrides(tmp_path: Path, table):
    user = tmp_path / "d.toml"
    user.write_text('[phrases]\nsoftly = { gain = -10 }\n"to the audience" = { gain = 2.0, pause_before = 0.3 }\n',
                    encoding="utf-8")
    extended = DirectionTable.load(user)
    assert extended.delivery("softly").gain == -10.0
    assert extended.delivery("turning to the audience").gain == 2.0
    assert extended.delivery("resignedly") == table.delivery("resignedly")
    extra = tmp_path / "e.toml"
    extra.write_text('[phrases]\nsoftly = { gain = -1 }\n', encoding="utf-8")
    assert DirectionTable.load(user, extra).delivery("softly").gain == -1.0
    alone = tmp_path / "alone.toml"
    alone.write_text('inherit = false\n[phrases]\nsoftly = { gain = -1 }\n', encoding="utf-8")
    assert not DirectionTable.load(alone).voiced("resignedly")


@pytest.mark.parametrize("text, line, col, message", [
    ('[phrases]\nsoftly = { gain = -1 }\nloud = { volume = 3 }\n', 3, 10, "unknown key 'volume'"),
    ('[phrases]\nfast = { speed = 0 }\n', 2, 10, "outside"),
    ('[phrases]\n"in, unison" = { unison = true }\n', 2, 1, "words separated by spaces"),
    ('[phrases]\nx = { unison = 1 }\n', 2, 7, "unison must be true or false"),
    ('[phrase]\n', 1, 1, "unknown key 'phrase'"),
    ('[phrases\n', 1, 9, "invalid TOML"),
])
def test_errors_carry_file_and_line(tmp_path: Path, text, line, col, message):
    path = tmp_path / "bad.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CastError) as caught:
        DirectionTable.load(path)
    assert (caught.value.path, caught.value.line, caught.value.col) == (str(path), line, col)
    assert message in caught.value.reason


def test_builtin_table_is_inside_the_package():
    assert default_directions_path().is_file()
    assert "radioplay" in default_directions_path().parts
