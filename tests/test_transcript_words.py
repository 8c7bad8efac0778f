"""Word timings from take to transcript: the script's words timed by the heard ones, moved through
the mixer's trimming and stretching, written as WebVTT inline timestamps and read back by the site.
Tone takes with injected word timings make every expected time exact."""

from __future__ import annotations

import re

import numpy as np
import pytest

from radioplay.check.score import sound_words
from radioplay.check.timings import written_timings
from radioplay.mix import Timing, cue_timings, mix
from radioplay.mix.dsp import audible_span
from radioplay.model import Audio, CueTiming, Delivery, Take
from radioplay.publish.transcript import _vtt_time, srt_text, vtt_text
from radioplay.site.transcript import Word, read_vtt
from radioplay.voice.engines.tone import ToneEngine
from tests.test_mix_fixtures import RATE, cast, dual, identity, line, placement, script, seconds

T = Timing()
STAMP = re.compile(r"<(\d{2}):(\d{2}):(\d{2})\.(\d{3})>")


# --------------------------------------------------------------------------- written words, heard times


def test_written_words_take_the_times_of_the_heard_words_aligned_with_them():
    heard = [("Duma", 0.1, 0.3), ("of", 0.3, 0.4), ("itch,", 0.4, 0.6), ("you", 0.7, 0.8), ("can", 0.8, 0.9),
             ("not", 0.9, 1.0), ("be", 1.0, 1.1), ("serious.", 1.2, 1.6)]
    assert written_timings("Doomovitch, you cannot be serious!", heard, sound_words(["Doomovitch"])) == (
        ("Doomovitch,", 0.1, 0.6), ("you", 0.7, 0.8), ("cannot", 0.8, 1.0), ("be", 1.0, 1.1), ("serious!", 1.2, 1.6))


def test_a_dropped_word_shares_the_time_between_its_neighbours_and_marks_ride_along():
    heard = [("It", 0.0, 0.1), ("is", 0.1, 0.2), ("nineteen", 0.3, 0.5), ("eighty-four", 0.5, 0.9), ("ok", 1.4, 1.5)]
    assert written_timings("It is 1984 — really, ok.", heard) == (
        ("It", 0.0, 0.1), ("is", 0.1, 0.2), ("1984 —", 0.3, 0.9), ("really,", 0.9, 1.4), ("ok.", 1.4, 1.5))
    assert written_timings("Nothing heard.", []) == ()
    assert written_timings("Nothing matched.", [("blah", 0.0, 0.5)]) == (("Nothing", 0.0, 0.0), ("matched.", 0.0, 0.5))


# --------------------------------------------------------------------------- through the mix


def evenly(text: str, seconds_long: float) -> tuple[tuple[str, float, float], ...]:
    words = text.split()
    step = seconds_long / len(words)
    return tuple((w, round(k * step, 6), round((k + 1) * step, 6)) for k, w in enumerate(words))


def tone_take(casting, cue: int, speaker: str, text: str, part: int = 0, lead: float = 0.0) -> Take:
    spec = casting.characters[speaker]
    audio = ToneEngine().synthesize(text, spec, spec.speed, seed=0)
    samples = np.concatenate([np.zeros(seconds(lead), np.float32), audio.samples])
    words = tuple((w, a + lead, b + lead) for w, a, b in evenly(text, len(audio.samples) / RATE))
    return Take(Audio(samples, RATE), cue, part, 0, speaker, written=text, words=words)


def stamps(payload: str) -> list[float]:
    return [int(h) * 3600 + int(m) * 60 + int(s) + int(ms) / 1000 for h, m, s, ms in STAMP.findall(payload)]


def test_vtt_word_timestamps_are_the_mixers_placement_exactly_with_trimmed_engine_padding():
    casting = cast(A=("low",), B=("high",))
    s = script(line("A", "Hello there my friend."), line("B", "Hi back at you."))
    takes = [tone_take(casting, 0, "A", "Hello there my friend."),
             tone_take(casting, 1, "B", "Hi back at you.", lead=0.4)]  # 0.4 s the mixer trims
    m = mix(s, takes, casting, identity(s), T, sample_rate=RATE)
    cues = cue_timings(s, m)
    a, b = placement(m, 0), placement(m, 1)
    trimmed = seconds(0.4) + 1 - seconds(T.take_margin)  # the tone's first sample, sin(0), is silent

    expected_a = [a.start / RATE + start for _, start, _ in evenly("Hello there my friend.", 22 * 0.02 + 0.1)]
    expected_b = [(b.start - trimmed) / RATE + start + 0.4
                  for _, start, _ in evenly("Hi back at you.", 15 * 0.02 + 0.1)]
    assert [w for w, _, _ in cues[0].words] == ["Hello", "there", "my", "friend."]
    assert [start for _, start, _ in cues[0].words] == pytest.approx(expected_a, abs=1e-9)
    assert [start for _, start, _ in cues[1].words] == pytest.approx(expected_b, abs=1e-9)

    vtt = vtt_text(cues)
    blocks = vtt.split("\n\n")[1:]
    assert blocks[0] == (f"{_vtt_time(cues[0].start)} --> {_vtt_time(cues[0].end)}\n<v A>Hello "
                         + " ".join(f"<{_vtt_time(t)}>{w}" for t, w in zip(expected_a[1:], ["there", "my", "friend."])))
    # B's first word starts one margin (less the silent first sample) after its cue: it has a timestamp too
    assert expected_b[0] - cues[1].start == pytest.approx((seconds(T.take_margin) - 1) / RATE)
    assert stamps(blocks[1]) == [int(round(t * 1000)) / 1000 for t in expected_b]
    for cue, block in zip(cues, blocks):
        times = stamps(block.split("\n", 1)[1])
        assert times == sorted(times) and len(set(times)) == len(times)
        assert all(round(cue.start, 3) < t < round(cue.end, 3) for t in times)
    # SRT has no word timing: it is what it was without words
    plain = [CueTiming(c.cue, c.speakers, c.text, c.start, c.end, c.sentences) for c in cues]
    assert srt_text(cues) == srt_text(plain)
    assert "<" not in srt_text(cues)


def test_a_stretched_unison_voice_carries_its_words_with_the_stretch():
    casting = cast(A=("high",), B=("low",))
    s = script(dual({"A": "Yes indeed!", "B": "Absolutely not at all!"}))
    takes = [tone_take(casting, 0, "A", "Yes indeed!"), tone_take(casting, 0, "B", "Absolutely not at all!", part=1)]
    m = mix(s, takes, casting, [Delivery(unison=True)], T, sample_rate=RATE, leveling=None)
    for part, take in enumerate(takes):
        p = placement(m, 0, part)
        stem = np.abs(m.stems[take.speaker][:, 0])
        heard = np.flatnonzero(stem > 1e-6)
        # the whole take's words span the voice as it sounds in the mix, stretched and padded
        first_word, last_word = p.words[0], p.words[-1]
        assert first_word[1] * RATE == pytest.approx(heard[0], abs=3)
        assert last_word[2] * RATE == pytest.approx(heard[-1] + 1, abs=3)
        length = len(take.audio.samples)
        ratio = (p.words[-1][2] - p.words[0][1]) * RATE / length
        assert ratio != pytest.approx(1.0, abs=0.05)  # it was stretched
        for (_, a, b), (_, a0, b0) in zip(p.words, take.words):
            assert a - p.words[0][1] == pytest.approx(a0 * ratio, abs=1e-6)


def test_a_cue_with_an_untimed_sentence_keeps_its_sentence_pieces():
    casting = cast(A=("low",))
    s = script(line("A", "First one here."))
    take = tone_take(casting, 0, "A", "First one here.")
    take.words = ()
    cues = cue_timings(s, mix(s, [take], casting, identity(s), T, sample_rate=RATE))
    assert cues[0].words == () and "<0" not in vtt_text(cues)


# --------------------------------------------------------------------------- read back by the site


def test_the_site_reads_each_timed_word_back_from_the_vtt():
    cue = CueTiming(0, ("Ada",), "Fish & <chips>, please.", 1.0, 4.0, (("Fish & <chips>, please.", 1.0, 4.0),),
                    (("Fish", 1.0, 1.4), ("&", 1.5, 1.6), ("<chips>,", 1.6, 2.2), ("please.", 3.0, 3.5)))
    vtt = vtt_text([cue])
    # a pause of WORD_PAUSE or more after a word gets a timestamp of its own (0.1 s does not)
    assert ("<v Ada>Fish <00:00:01.500>&amp; <00:00:01.600>&lt;chips&gt;,<00:00:02.200> "
            "<00:00:03.000>please.<00:00:03.500>") in vtt
    [line_] = read_vtt(vtt)
    assert line_.text == "Fish & <chips>, please."
    assert line_.words == (Word("Fish", 1.0, 1.5), Word("&", 1.5, 1.6), Word("<chips>,", 1.6, 2.2),
                           Word("please.", 3.0, 3.5))


def test_words_too_close_to_tell_apart_share_one_timestamp():
    cue = CueTiming(0, ("Ada",), "a b c", 1.0, 2.0, (), (("a", 1.0, 1.0), ("b", 1.0002, 1.0004), ("c", 1.5, 1.9)))
    vtt = vtt_text([cue])
    assert "<v Ada>a b <00:00:01.500>c" in vtt
    assert [(w.text, w.start, w.end) for w in read_vtt(vtt)[0].words] == [("a b", 1.0, 1.5), ("c", 1.5, 2.0)]
