"""One typed configuration, checked in prepare() before the first take: every value has a type and
a range, the engines declare their options, and the cover is confined and really an image."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
from PIL import Image
from typer.testing import CliRunner

from radioplay.cli import app
from radioplay.config import COVER_PIXELS, check_cover
from radioplay.errors import CacheError, CastError, EngineError, ExportError, InputError, ScriptError
from radioplay.pipeline import RenderOptions, prepare
from radioplay.values import Rule, did_you_mean
from radioplay.voice.engines.base import EngineOption, EngineRegistry
from tests.conftest import tone_cast_text


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def cover(path: Path, kind: str = "PNG", size: tuple[int, int] = (600, 600)) -> Path:
    Image.new("RGB", size, (200, 30, 30)).save(path, kind)
    return path


@pytest.fixture
def show(tmp_path: Path, dialogue: Path, store_dir: Path):
    """A script and a tone cast in one folder; returns a function that prepares a render of them
    with extra cast text and options."""
    def prepare_with(cast_extra: str = "", **options):
        cast = write(tmp_path / "cast.toml", tone_cast_text() + cast_extra)
        options.setdefault("output", tmp_path / "out" / "episode.wav")
        return prepare(dialogue, RenderOptions(cast=cast, **options))
    return prepare_with


# --------------------------------------------------------------------------- late failures, now early


def test_a_missing_sfx_fails_in_prepare_at_its_direction(tmp_path, store_dir):
    script = write(tmp_path / "sfx.md", "# T\n\n**Ada**: Hello.\n\n_[SFX: door.wav]_\n")
    with pytest.raises(ScriptError) as caught:
        prepare(script, RenderOptions(cast=write(tmp_path / "c.toml", tone_cast_text()),
                                      output=tmp_path / "e.wav"))
    assert (caught.value.path, caught.value.line) == (str(script), 5)
    assert "door.wav: no such file" in caught.value.reason


def test_an_sfx_that_is_not_audio_fails_in_prepare(tmp_path, store_dir):
    script = write(tmp_path / "sfx.md", "# T\n\n**Ada**: Hello.\n\n_[SFX: notes.txt]_\n")
    write(tmp_path / "notes.txt", "not audio")
    with pytest.raises(ScriptError, match="notes.txt: cannot read sound file"):
        prepare(script, RenderOptions(cast=write(tmp_path / "c.toml", tone_cast_text()),
                                      output=tmp_path / "e.wav"))


def test_an_sfx_outside_the_script_folder_fails_in_prepare(tmp_path, store_dir):
    story = tmp_path / "story"
    story.mkdir()
    script = write(story / "sfx.md", "# T\n\n**Ada**: Hello.\n\n_[SFX: ../door.wav]_\n")
    with pytest.raises(ScriptError, match="is outside the script's folder"):
        prepare(script, RenderOptions(cast=write(tmp_path / "c.toml", tone_cast_text()),
                                      output=tmp_path / "e.wav"))


@pytest.mark.parametrize("extra, message", [
    ('\n[production]\ncover = "art.png"\n', "cover art is not a readable JPEG or PNG"),
    ('\n[production]\nepisode = "abc"\n', "episode must be a whole number"),
    ('\n[production]\nroom_tone_db = "loud"\n', "room_tone_db must be a number in [-100, 0], not 'loud'"),
    ('\n[production]\nroom_tone_db = 300\n', "room_tone_db = 300 is outside [-100, 0]"),
    ('\n[production]\nintro = "theme.wav"\n', "theme.wav: no such file"),
    ('\n[timing]\nlead_in = 1e9\n', "lead_in = 1000000000.0 is outside [0, 60]"),
])
def test_bad_production_and_timing_values_fail_in_prepare(show, tmp_path, extra, message):
    (tmp_path / "art.png").write_bytes(b"\x89PNG\r\n\x1a\n but not an image")
    with pytest.raises(CastError) as caught:
        show(extra)
    assert caught.value.path == str(tmp_path / "cast.toml") and caught.value.line > 1
    assert message in caught.value.reason


@pytest.mark.parametrize("options, error, message", [
    ({"output": "x.opus", "bitrate": 999}, ExportError, "Opus bitrate 999 kbps is outside 12-512 kbps"),
    ({"output": "x.opus", "bitrate": 999, "mono": True}, ExportError, "outside 6-256 kbps for 1 channel"),
    ({"output": "x.mp3", "bitrate": 100}, ExportError, "MP3 bitrate 100 kbps is not available"),
    ({"output": "x.mp3", "sample_rate": 96_000}, ExportError, "MP3 cannot be encoded at 96000 Hz"),
    ({"output": "x.wav", "bitrate": 128}, ExportError, "a bitrate applies to .mp3, .ogg, .opus, .m4a and .m4b"),
    ({"loudness": float("nan")}, InputError, "loudness must be a finite number, not nan"),
    ({"loudness": 50.0}, InputError, "loudness = 50.0 is outside [-50, -5]"),
    ({"true_peak": 3.0}, InputError, "true_peak = 3.0 is outside [-20, 0]"),
    ({"sample_rate": 0}, InputError, "sample_rate = 0 is outside [8000, 192000]"),
    ({"jobs": 0}, InputError, "jobs = 0 is outside [1, 256]"),
    ({"device": "gpu"}, EngineError, "unknown device 'gpu' (use one of: auto, cpu, cuda)"),
    ({"format": "fontain"}, InputError, "format 'fontain' is unknown; use one of markdown, fountain"),
])
def test_render_options_are_checked_by_the_library(show, tmp_path, options, error, message):
    if "output" in options:
        options["output"] = tmp_path / options["output"]
    with pytest.raises(error) as caught:
        show(**options)
    assert message in str(caught.value)


def test_mp3_sample_rates_the_encoder_takes_are_accepted(show, tmp_path):
    for rate in (22_050, 32_000, 48_000):
        assert show(output=tmp_path / "x.mp3", sample_rate=rate).options.sample_rate == rate


def test_an_unusable_cache_fails_in_prepare(show, tmp_path):
    blocker = write(tmp_path / "not-a-folder", "x")
    with pytest.raises(CacheError, match="cannot create the take store"):
        show(cache=blocker / "takes")
    with pytest.raises(CacheError, match="the take store is not a folder"):
        show(cache=blocker)


@pytest.mark.parametrize("args, fragment", [
    (["--bitrate", "999", "-o", "{tmp}/x.opus"], "Opus bitrate 999 kbps"),
    (["--loudness", "nan"], "loudness must be a finite number"),
    (["--sample-rate", "96000", "-o", "{tmp}/x.mp3"], "MP3 cannot be encoded at 96000 Hz"),
])
def test_cli_refuses_bad_options_before_any_take(tmp_path, dialogue, store_dir, args, fragment):
    cast = write(tmp_path / "cast.toml", tone_cast_text())
    args = [a.replace("{tmp}", str(tmp_path)) for a in args]
    result = CliRunner().invoke(app, ["render", str(dialogue), "--cast", str(cast), *args])
    assert result.exit_code == 2 and fragment in result.stderr
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("radioplay: error: ")
    assert not store_dir.exists() or not any(store_dir.rglob("*.flac")), "a take was voiced"


def test_prepare_keeps_the_typed_configuration(show, tmp_path):
    cover(tmp_path / "art.jpg", "JPEG")
    prepared = show('\n[timing]\nturn_gap = 0.8\n\n[production]\ntitle = "Pilot"\ncover = "art.jpg"\n'
                    'room_tone = "pink"\n')
    assert prepared.timing.turn_gap == 0.8
    assert prepared.production.tags.cover == str(tmp_path / "art.jpg")
    assert prepared.production.beds.room_tone == "pink"
    assert prepared.sounds == (tmp_path / "art.jpg",)


# --------------------------------------------------------------------------- the cover


def test_cover_outside_the_cast_folder_reads_the_same_whether_or_not_it_exists(show, tmp_path):
    secret = cover(tmp_path.parent / f"{tmp_path.name}-secret.png")
    os.symlink(secret, tmp_path / "link.png")
    messages = []
    for name in (str(secret), str(secret) + ".nothing", f"../{secret.name}", f"../{secret.name}.nothing",
                 "link.png"):
        with pytest.raises(CastError) as caught:
            show(f'\n[production]\ncover = "{name}"\n')
        assert "is outside the cast file's folder" in caught.value.reason
        messages.append(caught.value.reason.replace(name, "NAME"))
    assert len(set(messages)) == 1, messages


def test_cover_must_be_a_jpeg_or_png_of_sane_size(tmp_path):
    assert check_cover(cover(tmp_path / "a.png")) == "image/png"
    assert check_cover(cover(tmp_path / "a.jpg", "JPEG")) == "image/jpeg"
    with pytest.raises(InputError, match="is a GIF image"):
        check_cover(cover(tmp_path / "a.gif", "GIF"))
    low, high = COVER_PIXELS
    with pytest.raises(InputError, match=f"each side must be {low} to {high} px"):
        check_cover(cover(tmp_path / "small.png", size=(low - 1, low)))
    with pytest.raises(InputError, match="each side must be"):
        check_cover(cover(tmp_path / "wide.png", size=(high + 1, low)))
    truncated = tmp_path / "cut.png"
    truncated.write_bytes(cover(tmp_path / "whole.png").read_bytes()[:60])
    with pytest.raises(InputError, match="not a readable JPEG or PNG"):
        check_cover(truncated)


def test_a_valid_cover_is_embedded(show, tmp_path):
    from mutagen.flac import FLAC

    from radioplay.pipeline import execute

    art = cover(tmp_path / "art.png")
    prepared = show('\n[production]\ncover = "art.png"\n', output=tmp_path / "e.flac")
    execute(prepared)
    assert FLAC(tmp_path / "e.flac").pictures[0].data == art.read_bytes()


# --------------------------------------------------------------------------- rules and engine options


def test_rules_check_type_range_and_finiteness():
    seconds = Rule((float,), 0.0, 60.0)
    assert seconds.check(2) == 2.0 and isinstance(seconds.check(2), float)
    for bad, reason in ((True, "must be a number"), ("2", "must be a number"), (float("inf"), "finite"),
                        (61, "= 61 is outside [0, 60]"), (-0.5, "= -0.5 is outside")):
        with pytest.raises(ValueError, match=re.escape(reason)):
            seconds.check(bad)
    assert Rule((int, str), 0).check("p225") == "p225"
    with pytest.raises(ValueError, match="= -1 is below 0"):
        Rule((int, str), 0).check(-1)
    assert did_you_mean("sped", ["speed", "pitch"]) == " (did you mean 'speed'?)"
    assert did_you_mean("zzz", ["speed", "pitch"]) == ""


def test_every_engine_declares_typed_options():
    registry = EngineRegistry.from_entry_points()
    declared = {}
    for name in registry.names():
        engine = registry.get(name)
        assert all(isinstance(option, EngineOption) and option.doc for option in engine.options)
        declared[name] = {option.name: option for option in engine.options}
    assert set(declared["piper"]) == {"length_scale", "noise_scale", "noise_w", "speaker", "sentence_silence"}
    assert set(declared["kokoro"]) == {"voices_file"} and declared["kokoro"]["voices_file"].path
    assert set(declared["tone"]) == {"sample_rate", "amplitude", "wave"}
    assert declared["espeak"] == declared["flite"] == {}
    every = {option for options in declared.values() for option in options}
    assert not every & {"temperature", "reference_wav", "delay"}


# --------------------------------------------------------------------------- random values


from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402

from radioplay.errors import RadioplayError  # noqa: E402

ANY_VALUE = st.one_of(st.none(), st.booleans(), st.integers(-10**12, 10**12),
                      st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=8))
CAST_KEYS = [("timing", "turn_gap"), ("timing", "lead_in"), ("timing", "tail"), ("production", "episode"),
             ("production", "room_tone_db"), ("production", "duck_attack"), ("production", "seed"),
             ("production", "title"), ("production", "date"), ("characters.Ada", "sample_rate"),
             ("characters.Ada", "pan"), ("characters.Ada", "speed"), ("characters.Ada", "sped")]


def toml_value(value) -> str | None:
    if value is None:
        return None
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {float("inf"): "inf", float("-inf"): "-inf"}.get(value, "nan" if value != value else repr(value))
    if isinstance(value, int):
        return str(value)
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"').encode("ascii", "backslashreplace").decode() \
        .replace("\\x", "\\u00") + '"'


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(option=st.sampled_from(["loudness", "true_peak", "sample_rate", "bitrate", "jobs", "seed"]),
       option_value=ANY_VALUE, suffix=st.sampled_from([".wav", ".flac", ".mp3", ".opus"]), mono=st.booleans(),
       cast_key=st.sampled_from(CAST_KEYS), cast_value=ANY_VALUE)
def test_random_values_are_accepted_or_refused_up_front(tmp_path, dialogue, store_dir, option, option_value,
                                                        suffix, mono, cast_key, cast_value):
    table, key = cast_key
    text = toml_value(cast_value)
    body = tone_cast_text().replace('[characters.Ada]\n', '[characters.Ada]\n' + (
        f"{key} = {text}\n" if table == "characters.Ada" and text else ""))
    if table != "characters.Ada" and text:
        body += f"\n[{table}]\n{key} = {text}\n"
    cast = write(tmp_path / "random.toml", body)
    options = RenderOptions(cast=cast, output=tmp_path / f"e{suffix}", mono=mono, force=True)
    if not (option_value is None and option in ("sample_rate", "true_peak", "seed")):
        setattr(options, option, option_value)
    try:
        prepared = prepare(dialogue, options)
    except RadioplayError:
        return  # refused before the first take: fine
    from radioplay.pipeline import execute

    result = execute(prepared)  # accepted: then the render must finish
    assert result.outputs and result.outputs[0].stat().st_size > 0


def test_mp3_rates_are_exactly_those_the_encoder_takes(tmp_path):
    import numpy as np
    from pedalboard.io import AudioFile

    from radioplay.publish.audio import MP3_SAMPLE_RATES, write_audio

    def encode(rate: int) -> None:
        with AudioFile(str(tmp_path / f"{rate}.mp3"), "w", rate, 1, quality="V2") as f:
            f.write(np.zeros((1, rate // 10), np.float32))

    for rate in MP3_SAMPLE_RATES:
        encode(rate)
    for rate in (7_999, 44_000, 88_200, 96_000):
        with pytest.raises(ValueError, match="sample rate"):  # pedalboard's own refusal
            encode(rate)
        with pytest.raises(ExportError, match=f"MP3 cannot be encoded at {rate} Hz"):
            write_audio(tmp_path / "e.mp3", np.zeros(rate // 10, np.float32), rate)
