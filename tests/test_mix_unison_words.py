"""Unison word by word: every voice warped onto the first speaker's timing at the pauses between
words (DTW on cepstral frames), pitch kept, joined without clicks. Tone bursts stand for words:
their onsets are known to the sample."""

from __future__ import annotations

import numpy as np
import pytest

from radioplay.mix import Timing, mix
from radioplay.mix.unison import dtw_path, onset_offsets, pauses, warp_onto
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
