"""Dialogue levels: every speech at one loudness before the gains, measured once per take and kept
in the take store; the loudness range of EBU Tech 3342."""

from __future__ import annotations

import math

import numpy as np
import pytest

from radioplay.cache import TakeStore
from radioplay.master.loudness import integrated_loudness, loudness_range
from radioplay.mix import Timing, mix
from radioplay.mix import levels as levels_module
from radioplay.mix.levels import DIALOGUE_LUFS, episode_levels, leveling_gain_db, loudness_of, measure_take
from radioplay.mix.timings import cue_timings
from radioplay.model import Audio, Casting, Delivery, Take, TakeLevel, VoiceSpec
from radioplay.parse import parse_script
from radioplay.voice.directions import DirectionTable
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.synthesize import EngineSettings, plan_takes, synthesize_takes
from tests.test_mix_fixtures import RATE, identity, line, placement, script, tone_takes

T = Timing()
LONG = "A line long enough for a dozen gating blocks, and then some more words."


def tone_cast(**voices) -> Casting:
    """cast(A=("low", amplitude, gain_db), ...): tone voices of a given loudness."""
    return Casting(characters={
        name: VoiceSpec("tone", voice, gain=gain, options=(("amplitude", amplitude), ("sample_rate", RATE)))
        for name, (voice, amplitude, gain) in voices.items()})


def loudness_at(m, cue: int, speaker: str, sentence: int = 0) -> float:
    found = [p for p in m.placements if p.cue == cue and p.sentence == sentence]
    assert len(found) == 1
    return integrated_loudness(m.stems[speaker][found[0].start:found[0].end], RATE)


def sine(amplitude: float, seconds: float, hz: float = 1000.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(round(seconds * rate))) / rate
    return (amplitude * np.sin(2 * np.pi * hz * t)).astype(np.float32)


def test_two_voices_at_different_amplitudes_come_out_at_the_dialogue_level():
    s = script(line("A", LONG), line("B", LONG))
    casting = tone_cast(A=("low", 0.5, 0.0), B=("high", 0.02, 0.0))
    takes = tone_takes(s, casting)
    m = mix(s, takes, casting, identity(s), T, sample_rate=RATE)
    a, b = loudness_at(m, 0, "A"), loudness_at(m, 1, "B")
    assert a == pytest.approx(DIALOGUE_LUFS, abs=0.02)
    assert b == pytest.approx(DIALOGUE_LUFS, abs=0.02)
    # as the engine made them, they are 28 dB apart (and the K-weighting of 110 vs 440 Hz)
    raw = mix(s, takes, casting, identity(s), T, sample_rate=RATE, leveling=None)
    assert loudness_at(raw, 0, "A") - loudness_at(raw, 1, "B") > 25.0


def test_the_cast_gain_and_the_direction_gain_apply_after_leveling():
    s = script(line("A", LONG), line("B", LONG), line("A", LONG))
    casting = tone_cast(A=("low", 0.5, 0.0), B=("high", 0.02, 3.0))
    softly = [Delivery(), Delivery(), Delivery(gain=-6.0)]
    m = mix(s, tone_takes(s, casting), casting, softly, T, sample_rate=RATE)
    assert loudness_at(m, 0, "A") == pytest.approx(DIALOGUE_LUFS, abs=0.02)
    assert loudness_at(m, 1, "B") == pytest.approx(DIALOGUE_LUFS + 3.0, abs=0.02)
    assert loudness_at(m, 2, "A") == pytest.approx(DIALOGUE_LUFS - 6.0, abs=0.02)


def two_sentence_line(quiet: float) -> tuple:
    s = script(line("A", "One. Two."))
    casting = tone_cast(A=("mid", 0.5, 0.0))
    takes = [Take(Audio(sine(0.5, 2.0, 220.0), RATE), 0, 0, 0, "A", sentence=0, written="One."),
             Take(Audio(sine(quiet, 2.0, 220.0), RATE), 0, 0, 0, "A", sentence=1, written="Two.")]
    return s, casting, takes


def test_a_speech_is_leveled_as_a_whole_so_its_rise_and_fall_stays():
    s, casting, takes = two_sentence_line(0.25)
    m = mix(s, takes, casting, identity(s), T, sample_rate=RATE)
    loud, quiet = loudness_at(m, 0, "A", 0), loudness_at(m, 0, "A", 1)
    assert loud - quiet == pytest.approx(20 * math.log10(2), abs=0.02)
    # the pooled blocks' power mean is (1 + 1/4) / 2 of the loud sentence's: that sits at the level
    assert loud == pytest.approx(DIALOGUE_LUFS - 10 * math.log10(0.625), abs=0.03)
    by_sentence = mix(s, takes, casting, identity(s), T, sample_rate=RATE, leveling="sentence")
    assert loudness_at(by_sentence, 0, "A", 0) == pytest.approx(DIALOGUE_LUFS, abs=0.02)
    assert loudness_at(by_sentence, 0, "A", 1) == pytest.approx(DIALOGUE_LUFS, abs=0.02)


def test_a_take_shorter_than_a_gating_block_gets_the_level_of_its_audible_part():
    word = sine(0.3, 0.2)
    padded = measure_take(np.concatenate([np.zeros(RATE // 2, np.float32), word, np.zeros(RATE // 2, np.float32)]),
                          RATE)
    # the engine's silence around the word is not measured: no whole gating block is left
    assert padded.blocks == () and padded.active_seconds == pytest.approx(0.2, abs=1e-3)
    steady = integrated_loudness(sine(0.3, 5.0), RATE)
    # the bare word is measured ungated over what is heard, like a long tone
    assert loudness_of([padded]) == pytest.approx(steady, abs=0.1)
    assert loudness_of([measure_take(word, RATE)]) == pytest.approx(steady, abs=0.1)
    assert leveling_gain_db([padded]) == pytest.approx(DIALOGUE_LUFS - steady, abs=0.1)
    silence = measure_take(np.zeros(RATE, np.float32), RATE)
    assert loudness_of([silence]) == float("-inf") and leveling_gain_db([silence]) == 0.0


def test_a_short_line_in_padding_is_leveled_like_a_long_one():
    # one second of speech inside half a second of engine silence at each end: blocks half in the
    # silence would pass the relative gate and leave the line louder than the rest
    s = script(line("A", "Why not?"), line("A", LONG))
    casting = tone_cast(A=("mid", 0.5, 0.0))
    quiet = np.zeros(RATE // 2, np.float32)
    takes = [Take(Audio(np.concatenate([quiet, sine(0.5, 1.0, 220.0), quiet]), RATE), 0, 0, 0, "A"),
             tone_takes(s, casting)[1]]
    m = mix(s, takes, casting, identity(s), T, sample_rate=RATE)
    assert loudness_at(m, 0, "A") == pytest.approx(loudness_at(m, 1, "A"), abs=0.05)


def test_a_record_from_another_recipe_is_not_trusted():
    level = measure_take(sine(0.3, 1.0), RATE)
    assert TakeLevel.from_record(level.to_record()) == level
    assert TakeLevel.from_record({**level.to_record(), "recipe": TakeLevel.RECIPE - 1}) is None
    assert TakeLevel.from_record({"blocks": "x"}) is None and TakeLevel.from_record(None) is None


def test_unknown_leveling_is_refused():
    s = script(line("A", LONG))
    casting = tone_cast(A=("low", 0.5, 0.0))
    with pytest.raises(ValueError, match="leveling"):
        mix(s, tone_takes(s, casting), casting, identity(s), T, sample_rate=RATE, leveling="episode")


def test_the_level_is_measured_when_the_take_is_voiced_and_read_back_from_its_record(tmp_path, monkeypatch):
    s = parse_script("**A**: Hello there, how are you today?\n\n**B**: Fine.\n", path=str(tmp_path / "s.md"))
    casting = tone_cast(A=("low", 0.5, 0.0), B=("high", 0.05, 0.0))
    store, registry = TakeStore(tmp_path / "store"), EngineRegistry.from_entry_points()
    plan = plan_takes(s, casting, DirectionTable.load(None), registry, store)
    first = synthesize_takes(plan, store, registry, EngineSettings(), jobs=1)
    for take in first:
        _, record = store.get_with_record(take.key)
        assert record["level"] == measure_take(take.audio.samples, take.audio.sample_rate).to_record()
        assert take.level == measure_take(take.audio.samples, take.audio.sample_rate)

    def refuse(*args, **kwargs):
        raise AssertionError("a stored take was measured again")

    monkeypatch.setattr(levels_module, "measure_take", refuse)
    again = plan_takes(s, casting, DirectionTable.load(None), registry, store)
    second = synthesize_takes(again, store, registry, EngineSettings(), jobs=1)
    assert all(t.reused for t in second)
    assert [t.level for t in second] == [t.level for t in first]


def tech3342(*parts: tuple[float, float], channels: int = 2) -> np.ndarray:
    """EBU Tech 3342's test signals: 1 kHz sine, (dBFS, seconds) in turn, the same in each channel."""
    mono = np.concatenate([sine(10 ** (db / 20), seconds, 1000.0, 48_000) for db, seconds in parts])
    return np.repeat(mono[:, None], channels, axis=1)


@pytest.mark.parametrize("parts, expected", [
    (((-20, 20), (-30, 20)), 10.0),                            # Tech 3342 case 1
    (((-20, 20), (-15, 20)), 5.0),                             # case 2
    (((-40, 20), (-20, 20)), 20.0),                            # case 3
    (((-50, 20), (-35, 20), (-20, 20), (-35, 20), (-50, 20)), 15.0),  # case 4: the -50 parts are gated out
])
def test_loudness_range_of_the_tech_3342_signals(parts, expected):
    # a steady sine has one short-term loudness throughout each part, so the percentiles are exact
    assert loudness_range(tech3342(*parts), 48_000) == pytest.approx(expected, abs=0.01)


def test_loudness_range_of_a_steady_or_short_signal_is_zero():
    assert loudness_range(tech3342((-20, 10)), 48_000) == pytest.approx(0.0, abs=0.01)
    assert loudness_range(tech3342((-20, 2)), 48_000) == 0.0
    assert loudness_range(np.zeros((48_000 * 5, 2), np.float32), 48_000) == 0.0


def test_episode_levels_report_characters_lines_and_range():
    s = script(line("A", LONG), line("B", LONG), line("A", LONG, direction="softly"), line("B", LONG))
    casting = tone_cast(A=("low", 0.5, 0.0), B=("high", 0.02, 0.0))
    softly = [Delivery(), Delivery(), Delivery(gain=-6.0), Delivery()]
    m = mix(s, tone_takes(s, casting), casting, softly, T, sample_rate=RATE)
    report = episode_levels(m.samples, RATE, s, cue_timings(s, m))
    assert report["lines"]["count"] == 3  # the directed line is left out of the line statistics
    assert report["lines"]["within_1lu"] == 1.0
    assert report["lines"]["median"] == pytest.approx(DIALOGUE_LUFS, abs=0.05)
    assert report["character_spread_lu"] == pytest.approx(0.0, abs=0.05)
    assert report["characters"]["A"]["lines"] == 1 and report["characters"]["B"]["lines"] == 2
    # A's integrated loudness counts the soft line too; the relative gate keeps it (6 LU down)
    assert report["characters"]["A"]["integrated"] < report["characters"]["B"]["integrated"] - 1.0
    assert report["lra"] > 0.0


def test_peaky_voices_are_limited_so_the_master_cannot_undo_the_leveling():
    # sparse clicks over a tone peak 20 dB over its loudness and carry little energy, as speech does
    tone = sine(0.1, 3.0, 220.0)
    tone[::RATE // 4] = 0.9
    s = script(line("A", "Peaks."))
    casting = tone_cast(A=("mid", 0.5, 0.0))
    takes = [Take(Audio(tone, RATE), 0, 0, 0, "A", written="Peaks.")]
    m = mix(s, takes, casting, identity(s), T, sample_rate=RATE)
    p = placement(m, 0)
    voice = m.stems["A"][p.start:p.end]
    peak_db = 20 * math.log10(np.abs(voice).sum(axis=1).max() / math.sqrt(2))  # centred: each side 1/sqrt 2
    assert peak_db <= DIALOGUE_LUFS + levels_module.PEAK_OVER_DIALOGUE_DB + 0.5
    assert integrated_loudness(voice, RATE) == pytest.approx(DIALOGUE_LUFS, abs=0.1)
    raw = mix(s, takes, casting, identity(s), T, sample_rate=RATE, leveling=None)
    assert 20 * math.log10(np.abs(raw.stems["A"]).max() * math.sqrt(2)) > DIALOGUE_LUFS + 20


def test_render_reports_levels_and_prints_the_loudness_range(dialogue, tmp_path, store_dir):
    import json

    from typer.testing import CliRunner

    from radioplay.cli import app
    from tests.conftest import tone_cast_text

    cast_file = tmp_path / "cast.toml"
    # Marlow's tone is 26 dB under Ada's as the engine makes it
    cast_file.write_text(tone_cast_text().replace('voice = "low"\n', 'voice = "low"\namplitude = 0.025\n'),
                         encoding="utf-8")
    result = CliRunner().invoke(app, ["render", str(dialogue), "--cast", str(cast_file), "-o",
                                      str(tmp_path / "ep.wav"), "--jobs", "1", "--report", "-"])
    assert result.exit_code == 0, result.stderr
    levels = json.loads(result.stdout)["levels"]
    ada, marlow = levels["characters"]["Ada"], levels["characters"]["Marlow"]
    # only Ada's second line is undirected and longer than 0.8 s (tone takes are short)
    assert ada["lines"] == 1 and marlow["lines"] == 0 and levels["lines"]["count"] == 1
    # Marlow's soft line is 4 dB down on purpose, his other line sits with Ada's: far from 26 dB apart
    assert abs(ada["integrated"] - marlow["integrated"]) < 4.5
    assert levels["lra"] is not None
    wrote = [line for line in result.stderr.splitlines() if line.startswith("wrote ")][0]
    assert f"LRA {levels['lra']:.1f} LU" in wrote


@pytest.mark.parametrize("block", [1, 997, 4096, 1 << 20])
def test_the_levels_meter_gives_the_same_report_fed_in_any_blocks(block):
    s = script(line("A", LONG), line("B", LONG), line("A", LONG, direction="softly"), line("B", "No."))
    casting = tone_cast(A=("low", 0.5, 0.0), B=("high", 0.02, 0.0))
    m = mix(s, tone_takes(s, casting), casting, identity(s), T, sample_rate=RATE)
    cues = cue_timings(s, m)
    whole = episode_levels(m.samples, RATE, s, cues)
    samples = np.asarray(m.samples)
    if block == 1:  # one frame at a time is slow: a short prefix that way, then the rest at once
        meter = levels_module.LevelsMeter(s, cues, RATE, samples.shape[1], len(samples))
        for a in range(0, 3000):
            meter.feed(a, samples[a:a + 1])
        meter.feed(3000, samples[3000:])
    else:
        meter = levels_module.LevelsMeter(s, cues, RATE, samples.shape[1], len(samples))
        for a in range(0, len(samples), block):
            meter.feed(a, samples[a:a + block])
    assert meter.complete and meter.result() == whole


def test_a_levels_meter_fed_out_of_order_is_incomplete():
    s = script(line("A", LONG))
    casting = tone_cast(A=("low", 0.5, 0.0))
    m = mix(s, tone_takes(s, casting), casting, identity(s), T, sample_rate=RATE)
    samples = np.asarray(m.samples)
    meter = levels_module.LevelsMeter(s, cue_timings(s, m), RATE, samples.shape[1], len(samples))
    meter.feed(0, samples[:100])
    meter.feed(50, samples[50:])
    assert not meter.complete
    with pytest.raises(ValueError):
        meter.result()


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".mp3", ".opus", ".m4a"])
def test_a_render_measures_its_levels_on_the_encoders_own_pass(suffix, dialogue, tone_cast, tmp_path, monkeypatch):
    """No second pass over the mastered episode: the measuring path that renders it again is not used."""
    import radioplay.pipeline as pipeline
    from radioplay.check import CheckOptions

    def second_pass(*args, **kwargs):
        raise AssertionError("the levels were measured in a second pass")

    monkeypatch.setattr(pipeline, "episode_levels", second_pass)
    result = pipeline.render(dialogue, pipeline.RenderOptions(
        cast=tone_cast, output=tmp_path / f"ep{suffix}", cache=tmp_path / "takes", jobs=1,
        check=CheckOptions(enabled=False)))
    levels = result.report["levels"]
    assert set(levels["characters"]) == {"Ada", "Marlow"} and levels["lra"] is not None
