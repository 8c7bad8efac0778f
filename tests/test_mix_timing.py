"""Timing model and placement: exact sample positions with the tone engine (24 kHz in and out)."""

from __future__ import annotations

import numpy as np
import pytest

from radioplay.config import read_timing
from radioplay.errors import CastError
from radioplay.mix import Timing, chapter_timings, cue_timings, mix
from radioplay.model import Audio, Chapter, ChapterTiming, Delivery, Take
from radioplay.tomlsource import TomlSource
from radioplay.voice.engines.tone import tone_length
from tests.test_mix_fixtures import (RATE, cast, identity, line, placement, script, seconds, stage,
                               tone_takes)

T = Timing()


def run(s, casting=None, deliveries=None, timing=T):
    casting = casting or cast(A=("low", -0.5), B=("high", 0.5))
    # as the engine made the takes: these tests read amplitudes (leveling: test_mix_levels.py)
    return mix(s, tone_takes(s, casting), casting, deliveries or identity(s), timing, sample_rate=RATE,
               leveling=None)


def test_defaults_are_the_documented_seconds():
    assert (T.turn_gap, T.paragraph_gap, T.direction_split_gap, T.direction_pause) == (0.35, 0.5, 0.25, 1.0)
    assert (T.directed_beat, T.interrupt_overlap, T.interrupt_fade, T.lead_in, T.tail) == \
        (0.25, 0.25, 0.06, 0.5, 1.0)
    assert T.take_margin == 0.03


def test_turns_are_a_turn_gap_apart_after_the_lead_in():
    s = script(line("A", "Hello there."), line("B", "Hi."), line("A", "Bye now."))
    m = run(s)
    a0, b, a1 = placement(m, 0), placement(m, 1), placement(m, 2)
    assert (a0.start, a0.end) == (12_000, 12_000 + 8_160)
    assert b.start == a0.end + 8_400 and b.end == b.start + tone_length("Hi.")
    assert a1.start == b.end + 8_400 and a1.end == a1.start + tone_length("Bye now.")
    assert len(m.samples) == a1.end + 24_000  # the tail
    assert (a0.speaker, b.speaker) == ("A", "B")


def test_paragraphs_and_mid_speech_directions_get_their_own_gaps():
    s = script(line("A", "First paragraph.", "Second one.", ("laughs", "Then this.")))
    m = run(s)
    p0, p1, p2 = (placement(m, 0, 0, g) for g in range(3))
    assert p0.start == seconds(T.lead_in)
    assert p1.start == p0.end + seconds(T.paragraph_gap)
    assert p2.start == p1.end + seconds(T.direction_split_gap)
    assert p2.end - p2.start == tone_length("Then this.")


def test_a_stage_direction_is_a_pause_that_replaces_the_turn_gap():
    s = script(line("A", "One."), stage("A door opens."), line("B", "Two."),
               stage("Silence."), stage("Longer silence."), line("A", "Three."))
    m = run(s)
    assert placement(m, 2).start == placement(m, 0).end + seconds(T.direction_pause)
    assert placement(m, 5).start == placement(m, 2).end + 2 * seconds(T.direction_pause)
    assert [p.cue for p in m.placements] == [0, 2, 5]


def test_a_directed_line_gets_a_beat_and_its_delivery_pause():
    s = script(line("A", "Maybe we could talk?"), line("B", "Sure.", direction="resignedly"),
               line("A", "Good."))
    deliveries = [Delivery(), Delivery(pause_before=0.4), Delivery(pause_before=0.1)]
    m = run(s, deliveries=deliveries)
    assert placement(m, 1).start == placement(m, 0).end + 8_400 + 6_000 + 9_600
    assert placement(m, 2).start == placement(m, 1).end + 8_400 + 2_400


def test_the_line_after_an_interrupted_one_cuts_in_before_it_ends():
    s = script(line("A", "So then the fate of the lightcone depends on\u2014", interrupted=True),
               line("B", "I'm afraid so."))
    m = run(s)
    cut, cutter = placement(m, 0), placement(m, 1)
    overlap, fade = seconds(T.interrupt_overlap), seconds(T.interrupt_fade)
    assert cut.end == cut.start + tone_length(s.cues[0].text)  # every written word is heard
    assert cutter.start == cut.end - overlap  # next start = previous end - overlap
    left = m.stems["A"][:, 0]
    # full level until the last `fade` samples, then a ramp that reaches silence at the end
    full = 0.5 * np.cos(np.pi / 8)
    assert np.abs(left[cut.end - fade - 300:cut.end - fade]).max() == pytest.approx(full, rel=1e-3)
    middle = np.abs(left[cut.end - fade // 2 - 50:cut.end - fade // 2 + 50]).max()
    assert middle == pytest.approx(full * 0.5, rel=0.05)
    assert np.abs(left[cut.end - 20:cut.end]).max() < full * 0.02
    assert not left[cut.end:].any()


def test_only_the_last_paragraph_of_an_interrupted_speech_is_cut():
    s = script(line("A", "First thought.", "And then\u2014", interrupted=True), line("B", "No."))
    m = run(s)
    first, last, cutter = placement(m, 0, 0, 0), placement(m, 0, 0, 1), placement(m, 1)
    assert cutter.start == last.end - seconds(T.interrupt_overlap)
    assert np.abs(m.stems["A"][first.end - 100:first.end, 0]).max() > 0.3  # no fade here


def test_an_interruption_never_starts_before_the_cut_line_itself():
    timing = Timing(interrupt_overlap=10.0)
    s = script(line("A", "No\u2014", interrupted=True), line("B", "Yes."))
    m = run(s, timing=timing)
    assert placement(m, 1).start == placement(m, 0).start
    assert placement(m, 0).end == placement(m, 0).start + tone_length("No\u2014")


def test_a_speaker_who_cuts_in_on_their_own_line_follows_at_once():
    # "I'm afraid so—" then Doomer and Simplicia together: Doomer cannot talk over himself
    s = script(line("A", "I'm afraid so\u2014", interrupted=True), line("A", "Yes."))
    m = run(s)
    assert placement(m, 1).start == placement(m, 0).end


def test_a_stage_direction_after_an_interrupted_line_cancels_the_cut():
    s = script(line("A", "Wait\u2014", interrupted=True), stage("Thunder."), line("B", "What?"))
    m = run(s)
    assert placement(m, 0).end - placement(m, 0).start == tone_length("Wait\u2014")
    assert placement(m, 2).start == placement(m, 0).end + seconds(T.direction_pause)


def test_timing_overrides_move_every_clip():
    timing = Timing(turn_gap=1, lead_in=0.0, tail=0.25)
    s = script(line("A", "One."), line("B", "Two."))
    m = run(s, timing=timing)
    assert placement(m, 0).start == 0
    assert placement(m, 1).start == placement(m, 0).end + RATE
    assert len(m.samples) == placement(m, 1).end + 6_000


@pytest.mark.parametrize("values, words", [
    ({"turn_gapp": 0.3}, "turn_gapp"),
    ({"turn_gap": -0.1}, "turn_gap"),
    ({"tail": "long"}, "tail"),
    ({"lead_in": True}, "lead_in"),
    ({"paragraph_gap": float("nan")}, "paragraph_gap"),
])
def test_bad_timing_tables_are_refused_with_the_key(values, words):
    with pytest.raises(CastError, match=words) as info:
        read_timing(TomlSource("[timing]\n", "cast.toml"), values)
    assert "cast.toml" in str(info.value)


def test_missing_takes_and_uncast_speakers_are_errors():
    s = script(line("A", "One."), line("B", "Two."))
    casting = cast(A=("low",), B=("high",))
    with pytest.raises(ValueError, match="cue 1, part 0, segment 0"):
        mix(s, tone_takes(s, casting)[:1], casting, identity(s), T, sample_rate=RATE)
    with pytest.raises(CastError, match="'B'"):
        mix(s, tone_takes(s, casting), cast(A=("low",)), identity(s), T, sample_rate=RATE)
    with pytest.raises(ValueError, match="deliveries"):
        mix(s, tone_takes(s, casting), casting, identity(s)[:1], T, sample_rate=RATE)


def test_cue_timings_come_from_the_placements():
    s = script(line("A", "One.", "Two."), stage("Pause."), line("B", "Three."))
    m = run(s)
    timings = cue_timings(s, m)
    assert [t.cue for t in timings] == [0, 2]
    assert timings[0].start == placement(m, 0, 0, 0).start / RATE
    assert timings[0].end == placement(m, 0, 0, 1).end / RATE
    assert timings[1].start == placement(m, 2).start / RATE
    assert (timings[1].speakers, timings[1].text) == (("B",), "Three.")


def test_without_headings_one_chapter_covers_the_episode():
    s = script(line("A", "One."), line("B", "Two."), title="Pilot")
    m = run(s)
    assert chapter_timings(s, m, cue_timings(s, m)) == [ChapterTiming("Pilot", 0.0, len(m.samples) / RATE)]
    s.title = None
    assert chapter_timings(s, m, cue_timings(s, m))[0].title == "Episode"


def test_chapters_start_at_their_first_spoken_cue():
    s = script(line("A", "Before."), line("B", "Opening."), line("A", "More."), stage("Later."),
               line("B", "Second."),
               chapters=(Chapter("One", 1, 3), Chapter("Empty", 3, 5), Chapter("Two", 3, 7)))
    m = run(s)
    timings = cue_timings(s, m)
    chapters = chapter_timings(s, m, timings)
    duration = len(m.samples) / RATE
    assert [c.title for c in chapters] == ["Test", "One", "Two"]
    assert chapters[0].start == 0.0
    assert chapters[1].start == placement(m, 1).start / RATE == chapters[0].end
    assert chapters[2].start == placement(m, 4).start / RATE == chapters[1].end
    assert chapters[2].end == duration


def test_two_thousand_cues_mix_in_one_pass():
    # mono and gapless to keep the buffers small; the layout code path is the same
    timing = Timing(turn_gap=0.01)
    lines = [line("AB"[i % 2], f"L{i}.") for i in range(2_000)]
    s = script(*lines)
    casting = cast(A=("low",), B=("high",))
    m = mix(s, tone_takes(s, casting), casting, identity(s), timing, sample_rate=RATE, channels=1)
    expected = seconds(T.lead_in) + sum(tone_length(c.text) for c in lines) \
        + 1_999 * seconds(0.01) + seconds(T.tail)
    assert len(m.samples) == expected
    assert placement(m, 1_999).end == expected - seconds(T.tail)
    assert len(m.placements) == 2_000


def padded_take(cue: int, speaker: str, lead: float, body: np.ndarray, trail: float) -> Take:
    samples = np.concatenate([np.zeros(seconds(lead), np.float32), body,
                              np.full(seconds(trail), 1e-4, np.float32)])  # a faint hiss, 74 dB down
    return Take(Audio(samples, RATE), cue, 0, 0, speaker)


def test_engine_padding_is_trimmed_so_gaps_are_between_voices():
    body = (0.7 * np.sin(np.arange(4_800) * 0.3)).astype(np.float32)
    s = script(line("A", "One."), line("B", "Two."))
    takes = [padded_take(0, "A", 0.3, body, 0.25), padded_take(1, "B", 0.1, body, 0.2)]
    m = mix(s, takes, cast(A=("low",), B=("high",)), identity(s), T, sample_rate=RATE)
    margin = seconds(T.take_margin)
    a, b = placement(m, 0), placement(m, 1)
    assert a.start == seconds(T.lead_in)
    assert a.end - a.start == b.end - b.start == 4_800 + 2 * margin - 1  # sin(0) = 0 is silence
    assert b.start == a.end + seconds(T.turn_gap)
    # a large margin keeps the engine's padding whole
    keep = Timing(take_margin=10.0)
    m = mix(s, takes, cast(A=("low",), B=("high",)), identity(s), keep, sample_rate=RATE)
    assert placement(m, 0).end - placement(m, 0).start == len(takes[0].audio.samples)


# --------------------------------------------------------------------------- properties

from hypothesis import given, settings, strategies as st  # noqa: E402

from tests.test_mix_fixtures import together  # noqa: E402

WORDS = st.text(alphabet="abc de", min_size=1, max_size=12)
LINE = st.builds(lambda who, texts, directed, cut: line(who, *texts, direction="softly" if directed else None,
                                                          interrupted=cut),
                 st.sampled_from("AB"), st.lists(WORDS, min_size=1, max_size=3), st.booleans(), st.booleans())
UNISON = st.builds(lambda text: together(("A", "B"), text), WORDS)
CUES = st.lists(st.one_of(LINE, LINE, LINE, UNISON, st.just(stage("Pause."))), min_size=1, max_size=8)


def start_of_last_segment(m, cue: int) -> int:
    return max(p.start for p in m.placements if p.cue == cue and p.segment == max(
        q.segment for q in m.placements if q.cue == cue))


@settings(max_examples=40, deadline=None)
@given(CUES)
def test_any_script_follows_the_timing_model(cues):
    s = script(*cues)
    casting = cast(A=("low", -0.3), B=("high", 0.6, -2.0, 1.1))
    m = mix(s, tone_takes(s, casting), casting, identity(s), T, sample_rate=RATE)
    n = len(m.samples)
    assert all(0 <= p.start <= p.end <= n for p in m.placements)
    np.testing.assert_allclose(sum(m.stems.values()), m.samples, atol=1e-4)
    timings = cue_timings(s, m)
    assert [t.cue for t in timings] == [i for i, c in enumerate(cues) if c.kind == "line"]
    for before, after in zip(timings, timings[1:]):
        cut, cutter = cues[before.cue], cues[after.cue]
        start = round(after.start * RATE)
        # every voice so far has finished here (a short line that cut in may end before the cut one)
        end = max(p.end for p in m.placements if p.cue <= before.cue)
        beat = seconds(T.directed_beat) if cutter.direction else 0
        if after.cue != before.cue + 1:  # stage directions in between: their pauses, nothing else
            assert start == end + (after.cue - before.cue - 1) * seconds(T.direction_pause) + beat
        elif cut.interrupted and set(cut.speakers) & set(cutter.speakers):
            assert start == end  # nobody overlaps their own voice: no overlap, no gap
        elif cut.interrupted:  # talks over the end (or starts with the cut line, when that is short)
            assert start == max(end - seconds(T.interrupt_overlap), start_of_last_segment(m, before.cue))
        else:
            assert start == end + seconds(T.turn_gap) + beat
    assert n == max((p.end for p in m.placements), default=seconds(T.lead_in)) + seconds(T.tail)
