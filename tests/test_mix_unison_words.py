"""Unison word by word: every voice warped onto the first speaker's timing at the pauses between
words (DTW on cepstral frames), pitch kept, joined without clicks. Tone bursts stand for words:
their onsets are known to the sample."""

from __future__ import annotations

import numpy as np
import pytest

from radioplay.mix import Timing, mix
from radioplay.mix.dsp import stretch_to_length
from radioplay.mix.unison import (accepted_anchors, dtw_path, onset_gaps, onset_offsets, pauses, warp_onto,
                                   warp_together, warp_together_timed, word_resumes)
from radioplay.model import Audio, Take
from tests.test_mix_fixtures import RATE, cast, identity, placement, script, together

WORDS_HZ = (300.0, 600.0, 900.0, 1200.0, 450.0)
REFERENCE_ONSETS = (0.10, 0.45, 0.80, 1.30, 1.70)
SLOWER_ONSETS = (0.10, 0.55, 1.05, 1.45, 2.05)
FASTER_ONSETS = (0.05, 0.35, 0.60, 1.05, 1.35)
FEW_MS = 8 * RATE // 1000
"""Rubber Band moves a sharp onset by a few ms."""


def bursts(onsets, seconds, total, amplitude=0.5, hz=WORDS_HZ) -> np.ndarray:
    """One tone burst per word (5 ms ramps), at the given onsets, in `total` seconds."""
    x = np.zeros(int(round(total * RATE)), np.float32)
    n = int(round(seconds * RATE))
    t = np.arange(n) / RATE
    ramp = np.minimum(1.0, np.minimum(t / 0.005, (seconds - t) / 0.005))
    for onset, f in zip(onsets, hz):
        start = int(round(onset * RATE))
        x[start:start + n] += (amplitude * ramp * np.sin(2 * np.pi * f * t)).astype(np.float32)
    return x


def word_onsets(x: np.ndarray) -> list[int]:
    """The first loud sample of the take and of each word after a pause."""
    found = [int(np.flatnonzero(np.abs(x) > 0.01)[0])]
    return found + [end for _, end in pauses(x, RATE)]


def test_dtw_follows_a_known_warp():
    a = np.arange(50.0)[:, None] * np.ones((1, 3))
    b = np.repeat(a, 2, axis=0)  # b is a at half speed
    path = dtw_path(a, b)
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [49, 99]
    assert all(i == j // 2 for i, j in path)


@pytest.mark.parametrize("onsets, seconds, total", [(SLOWER_ONSETS, 0.30, 2.5), (FASTER_ONSETS, 0.20, 1.7)])
def test_a_take_at_another_tempo_is_warped_onto_the_reference_word_by_word(onsets, seconds, total):
    reference = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    other = bursts(onsets, seconds, total, amplitude=0.3)
    before = np.abs(np.array(word_onsets(other)) - np.array(word_onsets(reference)))
    assert before.max() > 0.09 * RATE  # up to 350 ms apart unaligned
    warped = warp_onto(reference, other, RATE)
    assert len(warped) == len(reference)
    got, want = np.array(word_onsets(warped)), np.array(word_onsets(reference))
    assert got.shape == want.shape
    assert np.abs(got - want).max() <= FEW_MS
    # the DTW measure agrees: within one 10 ms frame everywhere
    assert np.abs(onset_offsets(reference, warped, RATE)).max() <= 0.0101


def test_warping_keeps_the_pitch_and_joins_without_clicks():
    reference = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    other = bursts(SLOWER_ONSETS, 0.30, 2.5, amplitude=0.3)
    warped = warp_onto(reference, other, RATE)
    for onset, hz in zip(REFERENCE_ONSETS, WORDS_HZ):
        start = int(round((onset + 0.05) * RATE))
        piece = warped[start:start + RATE // 10] * np.hanning(RATE // 10)
        peak = np.argmax(np.abs(np.fft.rfft(piece))) * RATE / len(piece)
        assert peak == pytest.approx(hz, abs=10.0)
    # a click is a jump no sine in the take makes: the steepest step stays that of the source
    assert np.abs(np.diff(warped)).max() <= 1.2 * np.abs(np.diff(other)).max()


def unison_takes(*tempi):
    """A unison cue of len(tempi) voices, each a take of the same five 'words' at its own tempo."""
    speakers = tuple("ABC"[:len(tempi)])
    s = script(together(speakers, "One two three four five."))
    takes = [Take(Audio(bursts(onsets, seconds, total), RATE), 0, p, 0, name)
             for p, (name, (onsets, seconds, total)) in enumerate(zip(speakers, tempi))]
    return s, takes


@pytest.mark.parametrize("tempi", [
    ((REFERENCE_ONSETS, 0.25, 2.1), (SLOWER_ONSETS, 0.30, 2.5)),
    ((REFERENCE_ONSETS, 0.25, 2.1), (SLOWER_ONSETS, 0.30, 2.5), (FASTER_ONSETS, 0.20, 1.7)),
])
def test_the_mixer_speaks_a_unison_line_together_word_by_word(tempi):
    s, takes = unison_takes(*tempi)
    casting = cast(A=("mid", -0.5), B=("alto", 0.5), C=("low", 0.0))
    m = mix(s, takes, casting, identity(s), Timing(), sample_rate=RATE)
    first = placement(m, 0, 0)
    reference = np.array(word_onsets(m.stems["A"][first.start:first.end].sum(axis=1)))
    for p, name in enumerate("ABC"[:len(tempi)]):
        clip = placement(m, 0, p)
        assert (clip.start, clip.end) == (first.start, first.end)
        onsets = np.array(word_onsets(m.stems[name][clip.start:clip.end].sum(axis=1)))
        assert np.abs(onsets - reference).max() <= FEW_MS, name


def test_voices_meet_at_the_mean_of_their_timings():
    reference = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    slower = bursts(SLOWER_ONSETS, 0.30, 2.5, amplitude=0.3)
    a, b = warp_together([reference, slower], RATE)
    assert len(a) == len(b)
    got_a, got_b = np.array(word_onsets(a)), np.array(word_onsets(b))
    assert got_a.shape == got_b.shape == (len(REFERENCE_ONSETS),)
    assert np.abs(got_a - got_b).max() <= FEW_MS
    # each word lands between where the two voices said it: both are warped, half as far each
    lo, hi = (np.minimum(REFERENCE_ONSETS, SLOWER_ONSETS) * RATE, np.maximum(REFERENCE_ONSETS, SLOWER_ONSETS) * RATE)
    moved = hi - lo > 2 * FEW_MS
    assert np.all((got_a[moved] > lo[moved] + FEW_MS) & (got_a[moved] < hi[moved] - FEW_MS))
    # a word 1.2 times as long in one voice lasts the geometric mean of the two, 0.25 * sqrt(1.2) s
    ends = [np.flatnonzero(np.abs(x) > 0.01) for x in (a, b)]
    assert (ends[0][-1] - got_a[-1]) / RATE == pytest.approx(0.25 * np.sqrt(1.2), abs=0.01)


def test_a_pause_is_not_stretched_to_fill_a_longer_pause_of_the_other_voice():
    # A pauses 400 ms after the second word, B only 60 ms, breathing 30 dB down all the while
    a_onsets, b_onsets = (0.10, 0.45, 1.10, 1.45), (0.10, 0.45, 0.76, 1.11)
    a = bursts(a_onsets, 0.25, 1.8)
    b = bursts(b_onsets, 0.25, 1.45)
    rng = np.random.default_rng(0)
    b += (0.016 * rng.standard_normal(len(b))).astype(np.float32) * (np.abs(b) < 1e-6)
    warped = warp_onto(a, b, RATE)
    # B's 60 ms of breath, then silence until its next word where A's next word begins: no drawn-out
    # breath (stretched 6 times it would fill A's pause, and a recognizer hears a word begin there)
    pause_end = int(round(1.10 * RATE))
    quiet = warped[int(round(0.80 * RATE)):pause_end - FEW_MS]
    assert len(quiet) > 0.25 * RATE and not quiet.any()
    got = np.array(word_onsets(warped))
    assert abs(int(got[2]) - pause_end) <= FEW_MS


def test_an_anchor_that_would_make_one_voice_three_times_slower_is_dropped():
    # the second candidate would have voice 1 say 0.1 s of speech in 0.35 s: a dip mistaken for another
    ms = RATE // 1000
    candidates = [[(300 * ms, 400 * ms), (300 * ms, 350 * ms)],
                  [(500 * ms, 500 * ms), (700 * ms, 700 * ms)],
                  [(800 * ms, 800 * ms), (900 * ms, 900 * ms)]]
    kept = accepted_anchors(candidates, [100 * ms, 100 * ms], [1000 * ms, 1100 * ms], RATE)
    assert kept == [candidates[0], candidates[2]]
    # within the limit (2.5 times), and a piece too short to stretch, or out of order, is not kept
    assert accepted_anchors(candidates[:1] + [[(600 * ms, 600 * ms), (700 * ms, 700 * ms)]],
                            [100 * ms] * 2, [1000 * ms] * 2, RATE) == candidates[:1] + [[(600 * ms, 600 * ms), (700 * ms, 700 * ms)]]
    assert accepted_anchors([[(105 * ms, 105 * ms), (300 * ms, 300 * ms)]], [100 * ms] * 2, [1000 * ms] * 2, RATE) == []
    assert accepted_anchors([[(300 * ms, 290 * ms), (300 * ms, 300 * ms)]], [100 * ms] * 2, [1000 * ms] * 2, RATE) == []


def test_the_time_map_moves_each_word_where_the_warp_put_it():
    reference = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    slower = bursts(SLOWER_ONSETS, 0.30, 2.5, amplitude=0.3)
    warped, moves = warp_together_timed([reference, slower], RATE)
    for source, out, move in zip((reference, slower), warped, moves):
        mapped = np.array([move(onset) for onset in word_onsets(source)])
        assert np.abs(mapped - np.array(word_onsets(out))).max() <= FEW_MS
        assert all(0 <= move(x) <= len(out) for x in (0, len(source) // 2, len(source)))


@pytest.mark.parametrize("ratio", [0.6, 0.8, 1.25, 1.6])
def test_a_stretch_moves_every_onset_in_proportion_rubber_band_latency_included(ratio):
    """The pieces of a warp are placed by their target points alone, so a stretch that delayed its
    content (Rubber Band's latency) or rounded its length would put every word late."""
    x = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    length = int(round(len(x) * ratio))
    out = stretch_to_length(x, RATE, length)
    assert len(out) == length
    expected = np.array(word_onsets(x)) * ratio
    assert np.abs(np.array(word_onsets(out)) - expected).max() <= FEW_MS


def test_a_recognized_word_after_a_pause_is_timed_where_the_speech_resumes():
    # words at 0.10, 0.45, 0.80, 1.30, 1.70 s; 0.25 s long: pauses 0.35-0.45, 0.70-0.80, 1.05-1.30, 1.55-1.70
    x = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    assert [round(end / RATE, 2) for _, end in pauses(x, RATE)] == [0.45, 0.80, 1.30, 1.70]
    heard = [("one", 0.10), ("two", 0.40), ("three", 0.98), ("four", 1.12), ("five", 1.72)]
    resumes = word_resumes(heard, x, RATE)
    assert resumes[0] is None  # no pause before it
    # inside the pause, 180 ms late, early inside the pause, 20 ms late
    assert resumes[1:] == pytest.approx([0.45, 0.80, 1.30, 1.70], abs=0.002)


def test_a_pause_goes_to_the_nearest_word_only_and_a_word_far_from_any_pause_has_none():
    x = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    # "x" is nearest the 0.80 resume; "more", 0.22 s after it, is left alone, as is one 0.31 s late
    resumes = word_resumes([("one", 0.10), ("x", 0.82), ("more", 1.02), ("late", 2.01)], x, RATE)
    assert resumes[0] is None and resumes[1] == pytest.approx(0.80, abs=0.002)
    assert resumes[2:] == [None, None]


def test_a_short_closure_inside_a_word_is_not_a_pause_between_words():
    # two bursts 50 ms apart: a stop inside a word; the word recognized 30 ms after it has no resume
    x = bursts((0.10, 0.40), 0.25, 1.0)
    assert [round(end / RATE, 2) for _, end in pauses(x, RATE)] == [0.40]
    assert word_resumes([("word", 0.43)], x, RATE) == [None]


def test_onset_gaps_time_a_word_by_the_resumes_only_where_both_voices_pause_before_it():
    a = [("then", 0.0), ("we", 0.50), ("keep", 0.90), ("counting", 1.40)]
    b = [("but", 0.0), ("then", 0.05), ("we", 0.70), ("keep", 0.95), ("counting", 1.20)]
    assert onset_gaps(a, b) == pytest.approx([0.05, 0.20, 0.05, 0.20])
    # "we" after a pause in both: resumes 0.41 and 0.40; "counting" in one voice only: onsets stand
    gaps = onset_gaps(a, b, [None, 0.41, None, 1.30], [None, None, 0.40, None, None])
    assert gaps == pytest.approx([0.05, 0.01, 0.05, 0.20])
