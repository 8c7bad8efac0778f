"""Packed recognition: several takes heard in one recognizer window, every word given back to its
take in the take's own time. Synthetic speech (tests/burst_speech.py) makes what each take says,
and when, exact; the check's retries, choice and store then run on packed windows."""

from __future__ import annotations

import re

import numpy as np
import pytest

from radioplay.check.packing import Window, assign, hear_packed, pack
from radioplay.check.recognizer import RATE, to_16k
from radioplay.pipeline import RenderOptions, execute, prepare
from radioplay.voice.synthesize import EngineSettings

from tests.burst_speech import BurstEars, BurstEngine, Vocabulary, burst_times, say
from tests.conftest import tone_cast_text
from tests.test_check import FAULTS, fault


def test_pack_fills_windows_in_order_with_a_gap_between_takes():
    # at 10 samples a second: a 300-sample window, 10-sample gaps
    assert pack([100, 100, 80, 50, 400, 20], 10, window_s=30.0, gap_s=1.0) == [
        Window((0, 1, 2), (0, 110, 220), 300),
        Window((3,), (0,), 50),  # 50 more would end at 360
        Window((4,), (0,), 400),  # longer than a window: alone
        Window((5,), (0,), 20)]
    assert pack([], 10) == []


def test_a_segment_over_several_takes_gives_each_word_to_the_take_its_middle_is_in_or_else_the_nearest():
    window = Window((7, 8), (0, 30), 50)
    lengths = {7: 20, 8: 20}
    heard = [[("a", 0.1, 0.5), ("b", 1.5, 2.4), ("c", 2.55, 2.9), ("d", 2.9, 3.3), ("e", 4.0, 5.2)]]
    assert assign(window, lengths, 10, heard) == [
        [("a", 0.1, 0.5), ("b", 1.5, 2.0)],  # clipped to the take's end
        [("c", 0.0, 0.0), ("d", 0.0, 0.3), ("e", 1.0, 2.0)]]  # c lies in the gap, nearer the second


def test_a_segment_over_one_take_goes_to_it_whole_even_a_word_stretched_into_the_gap():
    # Whisper heard "In the limit." over the first take, its last word timed in the gap, nearer the second
    window = Window((0, 1), (0, 17), 35)
    lengths = [8, 18]
    heard = [[("In", 0.1, 0.25), ("the", 0.25, 1.5), ("limit.", 1.5, 1.5)], [("In", 1.8, 2.0), ("yes.", 2.0, 2.6)],
             [("um", 3.55, 3.6)]]  # a segment past every take: the nearest
    assert assign(window, lengths, 10, heard) == [
        [("In", 0.1, 0.25), ("the", 0.25, 0.8), ("limit.", 0.8, 0.8)],
        [("In", 0.1, 0.3), ("yes.", 0.3, 0.9), ("um", 1.8, 1.8)]]


def test_packed_takes_of_several_voices_hear_their_own_words_at_their_own_times():
    vocabulary = Vocabulary()
    lines = ["alpha bravo charlie", "delta echo", "foxtrot golf hotel india juliet", "kilo",
             "lima mike november oscar papa quebec romeo sierra tango", "uniform victor whiskey"] * 6
    rates = [24_000, 22_050, 16_000]
    takes = [say(vocabulary, line, rates[k % 3]) for k, line in enumerate(lines)]
    ears = BurstEars(vocabulary)
    heard = ears.transcribe_many(takes)

    assert len(ears.windows) < len(takes) / 4 and max(ears.windows) <= 30.0
    assert all(h.shared for h in heard)
    for line, audio, got in zip(lines, takes, heard):
        assert got.text == line
        assert [w for w, _, _ in got.words] == line.split()
        for (_, start, end), (true_start, true_end) in zip(got.words, burst_times(len(line.split()))):
            assert start == pytest.approx(true_start, abs=0.003) and end == pytest.approx(true_end, abs=0.003)
            assert 0.0 <= start < end <= len(audio.samples) / audio.sample_rate


def test_a_take_longer_than_a_window_is_heard_alone_and_whole():
    vocabulary = Vocabulary()
    long_line = " ".join(f"w{k % 40}" for k in range(130))  # 130 words: 32.5 s
    takes = [say(vocabulary, "short one"), say(vocabulary, long_line), say(vocabulary, "short two")]
    ears = BurstEars(vocabulary)
    heard = hear_packed([to_16k(t) for t in takes], RATE, ears.hear_window)
    assert [round(w, 2) for w in ears.windows] == [0.5, 32.5, 0.5]
    assert [" ".join(w for w, _, _ in h) for h in heard] == ["short one", long_line, "short two"]
    assert [h.shared for h in ears.transcribe_many(takes)] == [False, False, False]  # each had a window alone


# --------------------------------------------------------------------------- the check, packed

SCRIPT = """\
**Ada**: Alpha line is fine here.

**Marlow**: Bravo says the words in order.

**Ada**: Charlie says every word clearly today.

**Marlow**: Delta counts one two three.

**Ada**: Echo is the last line.
"""



def faulty(text: str, seed: int) -> str:
    return fault(text, FAULTS.get(text.split()[0], {}).get(seed, ""))


@pytest.fixture
def bursts(monkeypatch, tmp_path):
    vocabulary = Vocabulary()
    engine = BurstEngine(vocabulary, faulty)
    ears = BurstEars(vocabulary)

    def registry(self):
        from radioplay.voice.engines.base import EngineRegistry

        reg = EngineRegistry.from_entry_points(device=self.device, threads=self.threads)
        reg.register("tone", lambda **kw: engine)
        return reg

    monkeypatch.setattr(EngineSettings, "registry", registry)
    monkeypatch.setattr("radioplay.check.WhisperRecognizer", lambda *args, **kw: ears)
    script = tmp_path / "bursts.md"
    script.write_text(SCRIPT, encoding="utf-8")
    cast = tmp_path / "tone.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    return script, cast, engine, ears


def _options(tmp_path, cast, **kw):
    from radioplay.check import CheckOptions

    kw.setdefault("check", CheckOptions(threshold=0.1))
    kw.setdefault("cache", tmp_path / "store")
    kw.setdefault("output", tmp_path / "o.wav")
    return RenderOptions(cast=cast, jobs=1, sample_rate=24_000, report=tmp_path / "report.json", **kw)


def test_packed_recognition_catches_every_fault_and_keeps_retries_per_take(bursts, tmp_path):
    script, cast, engine, ears = bursts
    result = execute(prepare(script, _options(tmp_path, cast)))
    rows = {row["text"].split()[0]: row for row in result.report["check"]["takes"]}

    # each round in one shared window, and each try failing there heard once more alone: five first
    # tries (3 fail), three second tries (2 fail), two third tries (Charlie fails)
    assert len(ears.windows) == (1 + 3) + (1 + 2) + (1 + 1)
    assert result.report["check"]["transcriptions"] == ears.transcriptions == (5 + 3) + (3 + 2) + (2 + 1)
    assert result.report["check"]["heard_alone"] == 3 + 2 + 1
    assert [t["wer"] for t in rows["Alpha"]["tries"]] == [0.0] and rows["Echo"]["tries"][0]["wer"] == 0.0
    assert [t["wer"] for t in rows["Bravo"]["tries"]] == [0.1667, 0.0]
    assert (rows["Bravo"]["chosen"], rows["Bravo"]["flagged"]) == (1, False)
    assert [t["wer"] for t in rows["Charlie"]["tries"]] == [1.0, 1.0, 0.5]
    assert (rows["Charlie"]["chosen"], rows["Charlie"]["flagged"]) == (2, True)
    assert [t["wer"] for t in rows["Delta"]["tries"]] == [0.6, 0.2, 0.0]
    assert (rows["Delta"]["chosen"], rows["Delta"]["flagged"]) == (2, False)
    [warning] = [d.format() for d in result.check_diagnostics]
    assert re.search(r'"Charlie says every word clearly today\." may be misread '
                     r'\(heard: "charlie says says says says every word clearly today"', warning)

    # each chosen take carries its own words, timed in its own time
    for take in result.takes:
        written = take.written.split()
        assert [w for w, _, _ in take.words] == written
        starts = [start for _, start, _ in take.words]
        assert starts == sorted(starts)
    delta = next(t for t in result.takes if t.written.startswith("Delta"))
    assert [(w, round(a, 2), round(b, 2)) for w, a, b in delta.words] == [
        ("Delta", 0.05, 0.2), ("counts", 0.3, 0.45), ("one", 0.55, 0.7), ("two", 0.8, 0.95), ("three.", 1.05, 1.2)]


def test_packed_choice_is_deterministic_and_an_unchanged_rerender_hears_nothing(bursts, tmp_path):
    script, cast, engine, ears = bursts
    first = execute(prepare(script, _options(tmp_path, cast)))
    other = execute(prepare(script, _options(tmp_path, cast, cache=tmp_path / "other", output=tmp_path / "p.wav")))
    assert other.report["check"]["takes"] == first.report["check"]["takes"]
    for a, b in zip(first.takes, other.takes):
        assert np.array_equal(a.audio.samples, b.audio.samples) and a.words == b.words
    heard, calls = len(ears.windows), len(engine.calls)
    again = execute(prepare(script, _options(tmp_path, cast, force=True)))
    assert len(ears.windows) == heard and len(engine.calls) == calls
    assert again.report["check"]["transcriptions"] == 0
    for a, b in zip(first.takes, again.takes):
        assert a.words == b.words  # the timings come back from the take store


class PackedDeafEars(BurstEars):
    """Burst ears that miss the last segment of every window holding more than one take (as
    Whisper may skip a short take between others), and hear a take alone right."""

    def hear_window(self, samples):
        segments = super().hear_window(samples)
        return segments[:-1] if len(samples) > 2.5 * RATE else segments


def test_a_take_failing_in_a_shared_window_is_heard_alone_before_it_is_voiced_again(bursts, tmp_path, monkeypatch):
    script, cast, engine, _ = bursts
    ears = PackedDeafEars(engine.vocabulary)
    monkeypatch.setattr("radioplay.check.WhisperRecognizer", lambda *args, **kw: ears)
    result = execute(prepare(script, _options(tmp_path, cast)))
    rows = {row["text"].split()[0]: row for row in result.report["check"]["takes"]}
    # Echo, last in the first window, lost its words there; alone it is heard whole: no retry
    assert [t["wer"] for t in rows["Echo"]["tries"]] == [0.0] and not rows["Echo"]["flagged"]
    assert [t["wer"] for t in rows["Alpha"]["tries"]] == [0.0]
    # the faulty takes fail alone too: retried as before, the same choices
    assert [t["wer"] for t in rows["Bravo"]["tries"]] == [0.1667, 0.0]
    assert [t["wer"] for t in rows["Charlie"]["tries"]] == [1.0, 1.0, 0.5]
    assert [t["wer"] for t in rows["Delta"]["tries"]] == [0.6, 0.2, 0.0]
    check = result.report["check"]
    assert check["retried"] == 5
    # heard alone: Echo and the three faulty first tries; in each later round every try fails in the
    # shared window (the faulty ones, and the last one, deaf-dropped): 2 of 3, then both of 2
    assert check["heard_alone"] == (1 + 3) + 2 + 2 and check["transcriptions"] == 5 + 3 + 2 + check["heard_alone"]


def test_a_take_that_had_its_window_alone_is_not_heard_again(bursts, tmp_path):
    _, cast, engine, ears = bursts
    script = tmp_path / "one.md"
    script.write_text("**Marlow**: Bravo says the words in order.\n", encoding="utf-8")
    result = execute(prepare(script, _options(tmp_path, cast)))
    check = result.report["check"]
    [row] = check["takes"]
    assert [t["wer"] for t in row["tries"]] == [0.1667, 0.0]  # dropped a word, then clean
    assert check["heard_alone"] == 0 and check["transcriptions"] == 2 and len(ears.windows) == 2
