"""Unison lines start and end together, keep their pitch and each voice's pan; dual dialogue
overlaps without stretching; pitch_shift keeps the length."""

from __future__ import annotations

import numpy as np
import pytest

from radioplay.mix import Timing, mix, pitch_shift, stretch_to_length
from radioplay.mix.dsp import rms
from radioplay.model import Audio, Delivery, Take
from radioplay.voice.engines.tone import tone_length
from tests.test_mix_fixtures import (RATE, cast, dual, identity, line, placement, script, seconds,
                               together, tone_takes)

T = Timing()
ONE_MS = RATE // 1000
LAST_LINE = "The broader AI community figuring out which one of us is right?"


def dominant_hz(samples: np.ndarray, rate: int = RATE) -> float:
    spectrum = np.abs(np.fft.rfft(samples * np.hanning(len(samples))))
    return float(np.argmax(spectrum) * rate / len(samples))


def unison_mix(casting, *texts, direction="in unison"):
    s = script(line("Doomer", "I'm afraid so\u2014", interrupted=True),
               together(("Simplicia", "Doomer"), *texts, direction=direction))
    # as the engine made the takes: these tests read amplitudes (leveling: test_mix_levels.py)
    return s, mix(s, tone_takes(s, casting), casting, identity(s), T, sample_rate=RATE, leveling=None)


def test_unison_voices_start_together_and_end_together():
    # different speeds give different take lengths, so the stretch has work to do
    casting = cast(Simplicia=("high", 0.5, 0.0, 1.0), Doomer=("low", -0.5, 0.0, 1.3))
    s, m = unison_mix(casting, LAST_LINE)
    simplicia, doomer = placement(m, 1, 0), placement(m, 1, 1)
    natural = sorted([tone_length(LAST_LINE, 1.0), tone_length(LAST_LINE, 1.3)])
    assert natural[0] != natural[1]
    assert simplicia.start == doomer.start
    assert abs(simplicia.end - doomer.end) <= ONE_MS
    # the timing is the voices' mean: one voice 1.3 times as fast as the other meets it half way
    # (the geometric mean of the lengths), so each is warped by the same ratio, sqrt(1.3)
    assert abs(simplicia.end - simplicia.start - np.sqrt(natural[0] * natural[1])) <= ONE_MS
    # Doomer is in both lines and cannot talk over himself: the unison line follows his cut
    # line at once, with no gap, and his cut line ends in a quick fade
    cut = placement(m, 0)
    assert cut.end == cut.start + tone_length("I'm afraid so\u2014", 1.3)
    assert simplicia.start == cut.end
    doomer = np.abs(m.stems["Doomer"][:, 0])
    assert doomer[cut.end - 24:cut.end].max() < 0.02 < 0.2 < doomer[cut.end - 2_000:cut.end - 1_500].max()
    # both stems sound at once, all the way through the line
    frames_10ms = (simplicia.end - simplicia.start - 4_000) // 240
    middle = slice(simplicia.start + 2_000, simplicia.start + 2_000 + frames_10ms * 240)
    for name in ("Simplicia", "Doomer"):
        frames = m.stems[name][middle].reshape(frames_10ms, 240, 2)
        assert np.all(np.abs(frames).max(axis=(1, 2)) > 0.1), name


def test_unison_voices_are_aligned_on_their_speech_not_their_soft_onsets():
    # one engine breathes in quietly for 0.1 s (40 dB down, so it is not trimmed) before speaking
    t = np.arange(RATE) / RATE
    breath = np.full(seconds(0.1), 0.005, np.float32)
    soft = np.concatenate([breath, 0.5 * np.sin(2 * np.pi * 220 * t)]).astype(np.float32)
    crisp = (0.5 * np.sin(2 * np.pi * 330 * t[: seconds(0.9)])).astype(np.float32)
    s = script(together(("A", "B"), "Now."))
    casting = cast(A=("mid", -1.0), B=("alto", 1.0))
    takes = [Take(Audio(soft, RATE), 0, 0, 0, "A"), Take(Audio(crisp, RATE), 0, 1, 0, "B")]
    m = mix(s, takes, casting, identity(s), T, sample_rate=RATE, leveling=None)
    a, b = placement(m, 0, 0), placement(m, 0, 1)
    assert (a.start, a.end) == (b.start, b.end)
    onset_a = np.flatnonzero(np.abs(m.stems["A"][:, 0]) > 0.05)
    onset_b = np.flatnonzero(np.abs(m.stems["B"][:, 1]) > 0.05)
    # unaligned they would be 100 ms apart; Rubber Band smears a step onset by a few ms
    assert abs(int(onset_a[0]) - int(onset_b[0])) <= 5 * ONE_MS
    assert abs(int(onset_a[-1]) - int(onset_b[-1])) <= 5 * ONE_MS
    # the quiet before the speech lasts the mean of the voices' (0.1 s and none): A's breath is
    # heard for its last 50 ms, unstretched, and B is silent there
    assert onset_a[0] - a.start == pytest.approx(seconds(0.05), abs=2 * ONE_MS)
    before = slice(a.start + seconds(0.01), a.start + seconds(0.04))
    assert np.abs(m.stems["A"][before, 0]).min() > 0.001
    assert not m.stems["B"][before].any()


def test_the_stretch_keeps_the_pitch():
    casting = cast(Simplicia=("high", 0.0, 0.0, 1.0), Doomer=("low", 0.0, 0.0, 1.3))
    s, m = unison_mix(casting, LAST_LINE)
    p = placement(m, 1, 1)
    doomer = m.stems["Doomer"][p.start:p.end, 0]
    assert dominant_hz(doomer) == pytest.approx(110.0, abs=2.0)
    p = placement(m, 1, 0)
    assert dominant_hz(m.stems["Simplicia"][p.start:p.end, 0]) == pytest.approx(440.0, abs=2.0)


@pytest.mark.parametrize("voices", [("high", "low"), ("mid", "mid")])
def test_unison_is_no_louder_than_one_voice(voices):
    # different voices add like noise (1/sqrt(2) each); the same voice adds in phase (1/2 each)
    casting = cast(Simplicia=(voices[0], 0.0), Doomer=(voices[1], 0.0))
    s, m = unison_mix(casting, LAST_LINE)
    p = placement(m, 1, 0)
    together_rms = rms(m.samples[p.start:p.end].mean(axis=1))
    single_rms = 0.5 / np.sqrt(2) * np.cos(np.pi / 4)  # one tone voice, centred, as heard in a channel
    assert together_rms <= single_rms * 1.01
    assert together_rms == pytest.approx(single_rms, rel=0.05)


def test_each_unison_voice_keeps_its_own_pan():
    casting = cast(Simplicia=("high", 0.8), Doomer=("low", -0.6))
    s, m = unison_mix(casting, LAST_LINE)
    for name, pan in (("Simplicia", 0.8), ("Doomer", -0.6)):
        stem = m.stems[name]
        theta = (pan + 1) * np.pi / 4
        assert rms(stem[:, 1]) / rms(stem[:, 0]) == pytest.approx(np.tan(theta), rel=1e-4)


def test_unison_paragraphs_are_aligned_one_by_one():
    casting = cast(Simplicia=("high", 0.0, 0.0, 0.9), Doomer=("low", 0.0, 0.0, 1.2))
    s, m = unison_mix(casting, "We're hosed.", "Completely.")
    first = [placement(m, 1, part, 0) for part in (0, 1)]
    second = [placement(m, 1, part, 1) for part in (0, 1)]
    assert first[0].start == first[1].start and first[0].end == first[1].end
    assert second[0].start == second[1].start == first[0].end + seconds(T.paragraph_gap)
    assert second[0].end == second[1].end


def test_a_unison_direction_aligns_different_words_too():
    casting = cast(A=("high",), B=("low",))
    s = script(dual({"A": "Yes!", "B": "Absolutely not!"}))
    m = mix(s, tone_takes(s, casting), casting, [Delivery(unison=True)], T, sample_rate=RATE)
    a, b = placement(m, 0, 0), placement(m, 0, 1)
    assert (a.start, a.end) == (b.start, b.end)


def test_dual_dialogue_overlaps_without_stretching():
    casting = cast(A=("high",), B=("low",))
    s = script(line("A", "Hello."), dual({"A": "Short.", "B": "A much longer speech at once."}),
               line("B", "After."))
    m = mix(s, tone_takes(s, casting), casting, identity(s), T, sample_rate=RATE)
    a, b = placement(m, 1, 0), placement(m, 1, 1)
    assert a.start == b.start == placement(m, 0).end + seconds(T.turn_gap)
    assert a.end - a.start == tone_length("Short.")
    assert b.end - b.start == tone_length("A much longer speech at once.")
    assert placement(m, 2).start == b.end + seconds(T.turn_gap)


def test_stretch_to_length_is_exact_and_keeps_pitch():
    t = np.arange(30_000) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    for length in (24_000, 36_000):
        out = stretch_to_length(tone, RATE, length)
        assert out.shape == (length,) and out.dtype == np.float32
        assert dominant_hz(out) == pytest.approx(220.0, abs=2.0)


def test_pitch_shift_keeps_the_length_and_moves_the_pitch():
    t = np.arange(24_000) / RATE
    tone = (0.5 * np.sin(2 * np.pi * 220 * t)).astype(np.float32)
    up = pitch_shift(tone, RATE, 4.0)
    assert up.shape == tone.shape and up.dtype == np.float32
    assert dominant_hz(up) == pytest.approx(220 * 2 ** (4 / 12), abs=3.0)
    assert dominant_hz(pitch_shift(tone, RATE, -12.0)) == pytest.approx(110.0, abs=3.0)
    assert np.array_equal(pitch_shift(tone, RATE, 0.0), tone)
