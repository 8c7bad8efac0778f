"""SFX cues, sound-file paths that must stay in the script's folder, room tone, intro/outro ducking."""

from __future__ import annotations

import os

import numpy as np
import pytest
import soundfile

from radioplay.errors import InputError
from radioplay.mix import BEDS_STEM, SFX_STEM, Beds, Timing, mix, resolve_sound, sfx_file
from radioplay.mix.beds import duck_gain, loop_to_length
from radioplay.mix.dsp import rms
from tests.test_mix_fixtures import (RATE, cast, identity, line, placement, script, seconds, stage,
                                     tone_takes)

T = Timing()
CASTING = cast(A=("low", -0.5), B=("high", 0.5))


def write_tone(path, seconds_long, rate=RATE, hz=1_000.0, amplitude=0.25, channels=1):
    t = np.arange(int(round(seconds_long * rate))) / rate
    wave = amplitude * np.sin(2 * np.pi * hz * t)
    soundfile.write(str(path), np.repeat(wave[:, None], channels, axis=1), rate)
    return path


def run(s, base_dir, beds=None, channels=2):
    return mix(s, tone_takes(s, CASTING), CASTING, identity(s), T, sample_rate=RATE, channels=channels,
               base_dir=base_dir, beds=beds)


def test_an_sfx_direction_places_its_file_between_the_lines(tmp_path):
    (tmp_path / "sfx").mkdir()
    write_tone(tmp_path / "sfx" / "door.wav", 0.5)
    s = script(line("A", "Who's there?"), stage("SFX: sfx/door.wav"), line("B", "Only me."))
    m = run(s, tmp_path)
    a, door, b = placement(m, 0), placement(m, 1), placement(m, 2)
    assert door.speaker == SFX_STEM
    assert door.start == a.end + seconds(T.turn_gap) and door.end == door.start + 12_000
    assert b.start == door.end + seconds(T.turn_gap)
    assert list(m.stems) == ["A", "B", SFX_STEM]
    np.testing.assert_allclose(sum(m.stems.values()), m.samples, atol=1e-6)
    sfx = m.stems[SFX_STEM]
    assert not sfx[:door.start].any() and not sfx[door.end:].any()
    # a mono file sits in the centre, like a voice at pan 0
    assert np.abs(sfx[door.start:door.end, 0]).max() == pytest.approx(0.25 * np.cos(np.pi / 4), rel=1e-3)
    np.testing.assert_array_equal(sfx[:, 0], sfx[:, 1])


def test_sfx_files_are_resampled_and_stereo_files_kept(tmp_path):
    write_tone(tmp_path / "rain.flac", 1.0, rate=48_000, channels=2)
    s = script(stage("SFX: rain.flac"), line("A", "Wet."))
    m = run(s, tmp_path)
    rain = placement(m, 0)
    assert rain.start == seconds(T.lead_in) and rain.end - rain.start == RATE
    assert np.abs(m.stems[SFX_STEM]).max() == pytest.approx(0.25, rel=1e-2)
    mono = run(s, tmp_path, channels=1)
    assert mono.stems[SFX_STEM].shape[1] == 1


def test_sfx_cue_syntax():
    assert sfx_file(stage("SFX: door.wav")) == "door.wav"
    assert sfx_file(stage("sfx:  sounds/a b.wav ")) == "sounds/a b.wav"
    assert sfx_file(stage("A door opens.")) is None
    assert sfx_file(line("A", "SFX: not a direction")) is None


def test_sound_paths_may_not_escape_the_script_folder(tmp_path):
    story = tmp_path / "story"
    story.mkdir()
    secret = write_tone(tmp_path / "secret.wav", 0.1)
    os.symlink(secret, story / "link.wav")
    for name in ("../secret.wav", str(secret), "link.wav", "sub/../../secret.wav"):
        with pytest.raises(InputError, match="is outside the script's folder"):
            resolve_sound(name, story)
    with pytest.raises(InputError, match="outside"):
        run(script(stage("SFX: ../secret.wav"), line("A", "Hm.")), story)


def test_a_missing_sound_file_is_named(tmp_path):
    with pytest.raises(InputError, match="missing.wav: no such file"):
        run(script(line("A", "Hm."), stage("SFX: missing.wav")), tmp_path)
    (tmp_path / "notes.txt").write_text("not audio")
    with pytest.raises(InputError, match="notes.txt: cannot read sound file"):
        run(script(stage("SFX: notes.txt")), tmp_path)


def test_sfx_are_found_next_to_the_script_by_default(tmp_path):
    write_tone(tmp_path / "bell.wav", 0.2)
    s = script(stage("SFX: bell.wav"), path=str(tmp_path / "play.md"))
    m = mix(s, [], CASTING, identity(s), T, sample_rate=RATE)
    assert placement(m, 0).end - placement(m, 0).start == seconds(0.2)


def test_beds_are_off_by_default(tmp_path):
    s = script(line("A", "Quiet."), line("B", "Very."))
    m = run(s, tmp_path)
    assert list(m.stems) == ["A", "B"]
    assert list(run(s, tmp_path, beds=Beds(duck_db=6.0)).stems) == ["A", "B"]  # nothing to play
    assert not m.samples[:placement(m, 0).start].any()


def test_pink_room_tone_runs_under_the_whole_episode_at_its_level(tmp_path):
    s = script(line("A", "Quiet."), line("B", "Very."))
    beds = Beds(room_tone="pink", room_tone_db=-40.0, seed=7)
    m = run(s, tmp_path, beds=beds)
    bed = m.stems[BEDS_STEM]
    assert 20 * np.log10(rms(bed[:, 0])) == pytest.approx(-40.0, abs=0.01)
    assert np.abs(bed[:1_000]).max() > 0 and np.abs(bed[-1_000:]).max() > 0
    assert not np.allclose(bed[:, 0], bed[:, 1])  # independent channels: a wide bed
    np.testing.assert_array_equal(run(s, tmp_path, beds=beds).stems[BEDS_STEM], bed)
    np.testing.assert_allclose(sum(m.stems.values()), m.samples, atol=1e-6)
    np.testing.assert_allclose(m.stems["A"] + m.stems["B"], m.samples - bed, atol=1e-6)


def test_a_room_tone_file_is_looped_and_levelled(tmp_path):
    hiss = np.random.default_rng(1).uniform(-0.1, 0.1, seconds(0.3))  # room tone is noise-like
    soundfile.write(str(tmp_path / "room.wav"), hiss, RATE, subtype="FLOAT")
    s = script(line("A", "A line long enough to need several loops of the room."))
    m = run(s, tmp_path, beds=Beds(room_tone="room.wav", room_tone_db=-30.0))
    bed = m.stems[BEDS_STEM]
    assert len(bed) > 5 * seconds(0.3)
    # the file is levelled; equal-power seams keep a noise-like loop at that level
    assert 20 * np.log10(rms(bed)) == pytest.approx(-30.0, abs=0.2)
    frames = bed[: len(bed) // 240 * 240, 0].reshape(-1, 240)
    assert np.all(np.abs(frames).max(axis=1) > 0.01)  # no silent holes at the seams


def test_loop_to_length_crossfades_at_the_seams():
    sound = np.ones((1_000, 1), dtype=np.float32)
    looped = loop_to_length(sound, 5_000, 100)
    assert looped.shape == (5_000, 1)
    np.testing.assert_array_equal(loop_to_length(sound, 1_000, 100), sound)  # one piece: no seam
    # equal-power ramps: at the middle of a seam each side is at sqrt(0.5)
    assert looped[:900].min() == pytest.approx(1.0)
    assert looped[900:1_000].max() <= 1.42 and looped[900:1_000].min() >= 0.99


def test_intro_and_outro_music_are_ducked_under_speech(tmp_path):
    write_tone(tmp_path / "intro.wav", 3.0, hz=300.0, amplitude=0.4)
    write_tone(tmp_path / "outro.wav", 5.0, hz=300.0, amplitude=0.4)
    s = script(line("A", "Welcome to the show, everyone, it is good to be here."),
               line("B", "And goodbye for now, thanks for listening."))
    beds = Beds(intro="intro.wav", outro="outro.wav", intro_overlap=1.0, outro_overlap=1.0, duck_db=12.0)
    m = run(s, tmp_path, beds=beds)
    first, last = placement(m, 0), placement(m, 1)
    assert first.start == seconds(3.0 - 1.0)
    outro_start = last.end - seconds(1.0)
    assert len(m.samples) == outro_start + seconds(5.0)
    music = m.stems[BEDS_STEM][:, 0]
    centre = 0.4 * np.cos(np.pi / 4)

    def level(at):
        return np.abs(music[at - 1_200:at + 1_200]).max()

    assert level(seconds(1.0)) == pytest.approx(centre, rel=1e-2)  # before the speech: full level
    ducked = 20 * np.log10(level(first.start + seconds(0.5)) / centre)
    assert ducked == pytest.approx(-12.0, abs=0.5)
    assert level(outro_start + seconds(0.5)) < centre * 10 ** (-10 / 20)  # under the last line
    assert level(len(music) - seconds(1.0)) == pytest.approx(centre, rel=3e-2)  # after it


def test_ducking_looks_ahead_and_releases():
    speech = np.zeros((RATE * 3, 1), dtype=np.float32)
    speech[RATE:2 * RATE] = 0.3
    beds = Beds(duck_db=10.0, duck_attack=0.05, duck_release=0.15, duck_hold=0.2)
    gain_db = 20 * np.log10(duck_gain(speech, RATE, beds))
    assert gain_db[RATE // 2] == pytest.approx(0.0, abs=0.01)
    assert gain_db[RATE] < -5.0  # already going down when the speech starts
    assert gain_db[RATE + seconds(0.5)] == pytest.approx(-10.0, abs=0.01)
    assert gain_db[2 * RATE + seconds(0.1)] == pytest.approx(-10.0, abs=0.1)  # hold
    assert gain_db[2 * RATE + seconds(0.9)] == pytest.approx(0.0, abs=0.5)  # released
    assert np.all(duck_gain(speech, RATE, Beds(duck_db=0.0)) == 1.0)


def test_production_beds_are_checked_with_their_position(tmp_path):
    from radioplay.config import read_production
    from radioplay.errors import CastError
    from radioplay.tomlsource import TomlSource

    write_tone(tmp_path / "theme.wav", 0.5)
    source = TomlSource("[production]\n", str(tmp_path / "show.toml"))
    production = read_production(source, {"title": "Pilot", "intro": "theme.wav", "duck_db": 10})
    assert production.beds == Beds(intro=str(tmp_path / "theme.wav"), duck_db=10.0, sounds_dir=str(tmp_path))
    assert not read_production(source, {"title": "x"}).beds.enabled
    for bad, key in (({"rooom": 1}, "rooom"), ({"intro": 3}, "intro"), ({"duck_attack": -1}, "duck_attack"),
                     ({"seed": 1.5}, "seed"), ({"music_db": "loud"}, "music_db")):
        with pytest.raises(CastError, match=key) as caught:
            read_production(source, bad)
        assert caught.value.path == str(tmp_path / "show.toml")


def test_bed_outside_the_cast_folder_names_the_cast_folder(tmp_path):
    show = tmp_path / "show"
    show.mkdir()
    write_tone(tmp_path / "theme.wav", 0.2)
    beds = Beds(intro="../theme.wav", sounds_dir=str(show))
    with pytest.raises(InputError, match="outside the cast file's folder"):
        run(script(line("A", "Hm.")), tmp_path, beds=beds)
