"""Constant-power panning, gains, stems that sum to the mix, mono, and resampling to the mix rate."""

from __future__ import annotations

import numpy as np
import pytest

from radioplay.errors import CastError
from radioplay.mix import Timing, mix, resample
from radioplay.mix.dsp import pan_gains
from radioplay.model import Delivery
from radioplay.voice.engines.tone import tone_length
from tests.test_mix_fixtures import (RATE, cast, dual, identity, line, placement, script, together,
                               tone_takes)

T = Timing()


def run(s, casting, sample_rate=RATE, channels=2, deliveries=None):
    return mix(s, tone_takes(s, casting), casting, deliveries or identity(s), T,
               sample_rate=sample_rate, channels=channels, leveling=None)  # gains from 0.5 tones


def take_of(s, casting, cue=0):
    return tone_takes(s, casting)[cue].audio.samples


@pytest.mark.parametrize("pan, left, right", [
    (0.0, np.cos(np.pi / 4), np.cos(np.pi / 4)),
    (-1.0, 1.0, 0.0),
    (1.0, 0.0, 1.0),
    (0.5, np.cos(3 * np.pi / 8), np.sin(3 * np.pi / 8)),
])
def test_constant_power_pan(pan, left, right):
    s = script(line("A", "Where am I in the room?"))
    casting = cast(A=("mid", pan))
    m = run(s, casting)
    p = placement(m, 0)
    take = take_of(s, casting)
    stem = m.stems["A"][p.start:p.end]
    np.testing.assert_allclose(stem[:, 0], take * left, atol=1e-6)
    np.testing.assert_allclose(stem[:, 1], take * right, atol=1e-6)
    assert left ** 2 + right ** 2 == pytest.approx(1.0)


def test_character_gain_and_delivery_gain_add_in_db():
    s = script(line("A", "Quietly now."), line("A", "And louder."))
    casting = cast(A=("mid", 0.0, -6.0))
    m = run(s, casting, deliveries=[Delivery(), Delivery(gain=9.0)])
    centre = np.cos(np.pi / 4)
    for cue, db in ((0, -6.0), (1, 3.0)):
        p = placement(m, cue)
        take = take_of(s, casting, cue)
        np.testing.assert_allclose(m.samples[p.start:p.end, 0], take * centre * 10 ** (db / 20), atol=1e-6)


def test_stems_are_aligned_and_sum_to_the_mix():
    s = script(line("A", "One."), line("B", "Two\u2014", interrupted=True), line("C", "Three."),
               together(("A", "B", "C"), "All of us."), dual({"A": "Left.", "C": "Right, at once."}))
    casting = cast(A=("low", -0.7, -2.0), B=("mid", 0.1, 1.5, 1.2), C=("high", 0.9, 0.0, 0.9))
    m = run(s, casting)
    assert list(m.stems) == ["A", "B", "C"]
    assert all(stem.shape == m.samples.shape for stem in m.stems.values())
    assert m.samples.dtype == np.float32 and m.samples.shape[1] == 2
    np.testing.assert_allclose(sum(m.stems.values()), m.samples, atol=1e-4)
    assert np.abs(m.samples).max() > 0.1


def test_stems_take_memory_only_when_read():
    import tracemalloc

    s = script(line("A", "One, and a longer line to make the buffers big."), line("B", "Two, and another."),
               line("C", "Three, and a third line."))
    casting = cast(A=("low", -0.7), B=("mid", 0.1), C=("high", 0.9))
    takes = tone_takes(s, casting)
    tracemalloc.start()
    try:
        m = mix(s, takes, casting, identity(s), T, sample_rate=RATE, channels=2)
        _, during_mix = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        stems = dict(m.stems)
        _, reading_stems = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    size = m.samples.nbytes
    # the placed clips only (mono, resampled: about half the stereo mix here): a mix buffer, or one
    # per voice, would add at least `size` on top of them
    assert during_mix < size
    assert reading_stems >= 3 * size  # each stem is rendered when read, and kept by the reader only
    np.testing.assert_array_equal(stems["A"] + stems["B"] + stems["C"], m.samples)


def test_mono_renders_one_channel_without_panning():
    s = script(line("A", "Left."), line("B", "Right."))
    casting = cast(A=("low", -1.0), B=("high", 1.0, -3.0))
    m = run(s, casting, channels=1)
    assert m.samples.shape[1] == 1 and m.stems["A"].shape[1] == 1
    p = placement(m, 1)
    np.testing.assert_allclose(m.samples[p.start:p.end, 0], take_of(s, casting, 1) * 10 ** (-3 / 20),
                               atol=1e-6)
    np.testing.assert_allclose(m.stems["A"] + m.stems["B"], m.samples, atol=1e-6)


def test_takes_are_resampled_to_the_mix_rate():
    s = script(line("A", "At twenty-two kilohertz."), line("B", "At twenty-four."))
    casting = cast(A=("low", 0.0, 0.0, 1.0, 22_050), B=("high", 0.0, 0.0, 1.0, 24_000))
    m = run(s, casting, sample_rate=44_100)
    a, b = placement(m, 0), placement(m, 1)
    assert a.start == 22_050  # lead_in at 44.1 kHz
    assert a.end - a.start == 2 * tone_length("At twenty-two kilohertz.", 1.0, 22_050)
    assert b.start == a.end + round(0.35 * 44_100)
    assert b.end - b.start == round(tone_length("At twenty-four.", 1.0, 24_000) * 44_100 / 24_000)
    assert m.sample_rate == 44_100


def test_resampling_keeps_the_tone():
    t = np.arange(22_050) / 22_050
    tone = (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)
    out = resample(tone, 22_050, 44_100)
    assert out.shape == (44_100,) and out.dtype == np.float32
    expected = 0.5 * np.sin(2 * np.pi * 440 * np.arange(44_100) / 44_100)
    np.testing.assert_allclose(out[1_000:-1_000], expected[1_000:-1_000], atol=1e-3)


def test_bad_channels_and_pans_are_refused():
    s = script(line("A", "Hi."))
    with pytest.raises(ValueError, match="channels"):
        run(s, cast(A=("mid",)), channels=6)
    with pytest.raises(CastError, match="pan"):
        run(s, cast(A=("mid", 1.5)))
    with pytest.raises(ValueError):
        pan_gains(0.0, 3)
