"""Spaces and rooms, measured: a room's RT60 from an impulse through it, a phone line's band on the
delivered file, an off-stage line's level and brightness, stems that still sum to the mix, and
reverb tails that are never cut."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from radioplay.check.episode import read_vtt
from radioplay.master.loudness import integrated_loudness
from radioplay.mix import Timing, mix
from radioplay.mix.space import (Heard, Room, Space, SpaceRenderer, energy_above_db, mid_band_rt60,
                                 spectral_centroid)
from radioplay.mix.spaces import SpaceTable, hear_script
from radioplay.model import Chapter, Scene
from radioplay.pipeline import RenderOptions, prepare, render, render_key
from radioplay.publish.audio import read_audio
from radioplay.voice.engines.tone import ToneEngine
from tests.test_mix_fixtures import RATE, cast, identity, line, script, stage, tone_takes

FIXTURES = Path(__file__).resolve().parent / "fixtures"
BUZZ_CAST = "".join(f'[characters.{name}]\nengine = "tone"\nvoice = "{voice}"\nwave = "buzz"\npan = {pan}\n'
                    for name, voice, pan in (("Ada", "high", -0.4), ("Marlow", "low", 0.4), ("Quill", "mid", 0.0)))


@pytest.fixture(scope="module")
def table() -> SpaceTable:
    return SpaceTable.load()


# --------------------------------------------------------------------------- rooms


@pytest.mark.parametrize("name", ["room", "small room", "kitchen", "hall", "stone stairwell", "next room", "outdoors"])
@pytest.mark.parametrize("rate", [24_000, 44_100])
def test_room_rt60_measured_from_an_impulse_is_within_20_percent(table, name, rate):
    room = table.rooms[name]
    impulse = np.zeros(rate // 10, dtype=np.float32)
    impulse[0] = 1.0
    heard = SpaceRenderer(rate, 2).hear(impulse, Heard(table.spaces["on mic"], room), pan=0.0)
    reverb = heard[1:, 0]  # the direct sound is sample 0 alone; the room starts after its predelay
    for fall_db in (20.0, 30.0):  # T20 and T30, extrapolated to 60 dB
        assert mid_band_rt60(reverb, rate, fall_db) == pytest.approx(room.rt60, rel=0.2)


def test_a_room_is_the_same_every_time_and_wide_in_stereo():
    room = Room("x", rt60=1.0)
    first, again = room.impulse_response(RATE, 0), Room("x", rt60=1.0).impulse_response(RATE, 0)
    assert first.tobytes() == again.tobytes()
    right = room.impulse_response(RATE, 1)
    assert abs(np.corrcoef(first, right)[0, 1]) < 0.1
    assert 10 * np.log10(np.sum(first.astype(np.float64) ** 2)) == pytest.approx(room.wet, abs=1e-3)


# --------------------------------------------------------------------------- in the mix


def scened(*cues, scenes=()):
    s = script(*cues)
    s.scenes = [Scene(heading, cue, 1, 1) for heading, cue in scenes]
    return s


def test_stems_sum_to_the_mix_with_rooms_and_ranges_render_the_same(table):
    s = scened(line("A", "In the hall we hear ourselves."), line("B", "Off stage, far away.", direction="off"),
               line("C", "On the phone now.", direction="on the phone"), stage("a pause"),
               line("A", "And back again."), scenes=[("INT. GREAT HALL - DAY", 0)])
    casting = cast(A=("low", -0.7), B=("mid", 0.3), C=("high", 0.9))
    heard = hear_script(s, table)
    assert {k[0]: h.space.name for k, h in heard.items()} == {0: "on mic", 1: "distant", 2: "phone", 4: "on mic"}
    m = mix(s, tone_takes(s, casting), casting, identity(s), Timing(), sample_rate=RATE, spaces=heard)
    whole = m.samples
    np.testing.assert_allclose(sum(m.stems[name] for name in m.stems), whole, atol=1e-6)
    for a, b in ((0, 1000), (12_345, 40_000), (len(whole) - 30_000, len(whole))):
        assert m.source.render(a, b).tobytes() == whole[a:b].tobytes()


def test_reverb_tails_ring_past_the_words_and_are_not_cut(table):
    s = scened(line("A", "The last word echoes."), scenes=[("INT. CATHEDRAL - NIGHT", 0)])
    casting = cast(A=("mid",))
    dry = mix(s, tone_takes(s, casting), casting, identity(s), Timing(), sample_rate=RATE)
    wet = mix(s, tone_takes(s, casting), casting, identity(s), Timing(), sample_rate=RATE,
              spaces=hear_script(s, table))
    assert wet.placements == dry.placements  # captions keep the words' times
    words_end = dry.placements[0].end
    tail = table.rooms["hall"].tail(RATE)
    assert wet.frames == words_end + tail > dry.frames  # the episode ends when the room falls silent
    ringing = wet.samples[words_end + tail // 2:]
    assert 20 * np.log10(np.abs(ringing).max()) > -70  # the reverb still sounds half-way through


def test_the_same_mix_twice_is_bit_identical(table):
    s = scened(line("A", "Again and again."), line("B", "From the next room.", direction="from the next room"),
               scenes=[("INT. STONE STAIRWELL", 0)])
    casting = cast(A=("low",), B=("high",))
    heard = hear_script(s, table)
    first = mix(s, tone_takes(s, casting), casting, identity(s), sample_rate=RATE, spaces=heard).samples
    again = mix(s, tone_takes(s, casting), casting, identity(s), sample_rate=RATE, spaces=heard).samples
    assert first.tobytes() == again.tobytes()


def test_a_mono_mix_reverberates_in_one_channel(table):
    s = scened(line("A", "Mono hall."), scenes=[("INT. HALL", 0)])
    casting = cast(A=("mid",))
    m = mix(s, tone_takes(s, casting), casting, identity(s), sample_rate=RATE, channels=1, spaces=hear_script(s, table))
    assert m.samples.shape[1] == 1 and m.frames > m.placements[0].end + table.rooms["hall"].tail(RATE) - 1


def test_phone_shaping_keeps_the_loudness_and_limits_the_band():
    rate = 44_100
    buzz = ToneEngine().synthesize("a line on the phone, long enough to measure", _buzz(), 1.0, 0).samples
    from radioplay.mix.dsp import resample

    voice = resample(buzz, 24_000, rate)
    phone = SpaceRenderer(rate, 2).hear(voice, Heard(Space("phone", highpass=300, lowpass=3400, slope=48, drive=6.0,
                                                           room="none")), pan=0.0)
    assert integrated_loudness(phone, rate) == pytest.approx(integrated_loudness(voice, rate), abs=0.5)
    assert energy_above_db(voice, rate, 4000) > -20
    assert energy_above_db(phone, rate, 4000) < -40


def _buzz():
    from radioplay.model import VoiceSpec

    return VoiceSpec("tone", "mid", options=(("wave", "buzz"),))


# --------------------------------------------------------------------------- on the delivered file


@pytest.fixture(scope="module")
def delivered(tmp_path_factory):
    """The Fountain fixture rendered to MP3 with buzzing tone voices; each line cut out of the
    decoded file by its WebVTT times: [(speaker, text, samples)], and the rate."""
    folder = tmp_path_factory.mktemp("spaces")
    cast_file = folder / "cast.toml"
    cast_file.write_text(BUZZ_CAST, encoding="utf-8")
    out = folder / "spaces.mp3"
    render(FIXTURES / "spaces.fountain", RenderOptions(output=out, cast=cast_file, cache=folder / "takes", jobs=1))
    samples, rate = read_audio(out)
    lines = [(c.speaker, c.text, samples[int(c.start * rate):int(c.end * rate)])
             for c in read_vtt(out.with_suffix(".vtt"))]
    return lines, rate


def _lines(delivered, speaker):
    return [(text, cut) for who, text, cut in delivered[0] if who.casefold() == speaker.casefold()]


def test_a_phone_line_has_no_energy_above_4_khz_on_the_delivered_file(delivered):
    rate = delivered[1]
    quill = dict(_lines(delivered, "Quill"))
    phone = quill["Harbour board here. We need to know why the light keeps failing."]
    on_mic = quill["I'll put the kettle on while you two argue about wicks."]
    assert energy_above_db(on_mic, rate, 4000) > -25  # the same voice, on mic, has plenty up there
    assert energy_above_db(phone, rate, 4000) <= -30


def test_an_off_stage_line_is_quieter_and_darker_than_the_same_voice_on_mic(delivered):
    rate = delivered[1]
    marlow = _lines(delivered, "Marlow")
    off = [cut for text, cut in marlow if text.startswith("Down in the cellar")]
    on_mic = [cut for text, cut in marlow if not text.startswith("Down in the cellar")]
    assert len(off) == 1 and len(on_mic) == 2
    on_lufs = float(np.median([integrated_loudness(cut, rate) for cut in on_mic]))
    on_centroid = float(np.median([spectral_centroid(cut, rate) for cut in on_mic]))
    assert integrated_loudness(off[0], rate) <= on_lufs - 2.0
    assert spectral_centroid(off[0], rate) <= 0.85 * on_centroid


# --------------------------------------------------------------------------- content keys


def test_a_changed_room_remixes_but_does_not_revoice(tmp_path):
    target = tmp_path / "play.fountain"
    target.write_text((FIXTURES / "spaces.fountain").read_text(encoding="utf-8"), encoding="utf-8")
    keys = []
    for name, scenes in (("a", ""), ("b", '[scenes]\n"INT. STONE STAIRWELL - NIGHT" = "hall"\n')):
        cast_file = tmp_path / f"{name}.toml"
        cast_file.write_text(BUZZ_CAST + scenes, encoding="utf-8")
        prepared = prepare(target, RenderOptions(output=tmp_path / "out.wav", cast=cast_file, cache=tmp_path / "takes"))
        keys.append((prepared.plan.keys, render_key(prepared)))
    (takes_a, render_a), (takes_b, render_b) = keys
    assert takes_a == takes_b
    assert render_a != render_b


def test_chapters_alone_do_not_change_the_room(table):
    s = scened(line("A", "One."), line("A", "Two."), scenes=[("INT. HALL", 0)])
    s.chapters = [Chapter("Part two", 1, 1)]
    heard = hear_script(s, table)
    assert heard[(0, 0, 0)].room == heard[(1, 0, 0)].room == table.rooms["hall"]


def test_off_mic_lines_stay_out_of_the_dialogue_level_statistics(table):
    from radioplay.mix import cue_timings
    from radioplay.mix.levels import episode_levels

    s = scened(line("A", "On mic, a line long enough for its loudness to be measured."),
               line("A", "And another line on mic, just as long as the first one."),
               line("A", "Down in the cellar, far away from here, by the oil drums."), scenes=[("INT. HALL", 0)])
    s.cues[2] = dataclasses.replace(s.cues[2], direction=None, extensions=("O.S.",))
    casting = cast(A=("mid",))
    heard = hear_script(s, table)
    m = mix(s, tone_takes(s, casting), casting, identity(s), sample_rate=RATE, spaces=heard)
    counted = episode_levels(m.samples, RATE, s, cue_timings(s, m), spaced=set())["lines"]["count"]
    assert counted == 3
    assert episode_levels(m.samples, RATE, s, cue_timings(s, m))["lines"]["count"] == 2  # (O.S.) left out


def test_the_tone_engines_buzz_keeps_its_length_and_reaches_10_khz():
    from radioplay.errors import EngineError
    from radioplay.model import VoiceSpec
    from radioplay.voice.engines.tone import tone_length

    engine, text = ToneEngine(), "A buzz as long as a sine."
    buzz = engine.synthesize(text, _buzz(), 1.0, 0).samples
    assert len(buzz) == tone_length(text) and np.abs(buzz).max() == pytest.approx(0.5, rel=1e-6)
    assert energy_above_db(buzz, 24_000, 9_000) > -40 > energy_above_db(buzz, 24_000, 10_500)
    with pytest.raises(EngineError, match="no wave 'square'"):
        engine.check_voice("mid", {"wave": "square"})
    with pytest.raises(EngineError, match="no wave"):
        engine.synthesize(text, VoiceSpec("tone", "mid", options=(("wave", "square"),)), 1.0, 0)
