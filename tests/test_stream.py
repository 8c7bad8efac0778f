"""The streaming back half: any range of the mix (clips, beds, stems) renders exactly the same frames
as the whole mix, and blocks carry it through the master and the encoders unchanged."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from radioplay.mix import BEDS_STEM, Beds
from radioplay.stream import ArraySource, gather, pull
from tests.test_mix_beds import run, write_tone
from tests.conftest import DIALOGUE
from tests.test_mix_fixtures import line, script, stage
from tests.test_render_e2e import BASE, write_cast


def _dialogue():
    return script(line("A", "Who's there at this hour of the night?"), stage("SFX: door.wav"),
                  line("B", "Only me, with the lamp."), line("A", "Come in then, and shut it."),
                  line("B", "It sticks in the rain, it always has."))


def _ranges(frames: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    cuts = sorted({0, frames, *rng.integers(0, frames, 12).tolist()})
    return list(zip(cuts[:-1], cuts[1:])) + [(0, frames), (frames // 3, frames // 3 + 1)]


def test_any_range_of_the_mix_is_the_same_frames_as_the_whole_mix(tmp_path):
    write_tone(tmp_path / "door.wav", 0.4, hz=700.0, channels=2)
    write_tone(tmp_path / "intro.wav", 2.5, hz=300.0)
    write_tone(tmp_path / "tone.wav", 0.7, hz=90.0, amplitude=0.05)
    beds = Beds(room_tone="tone.wav", intro="intro.wav", outro="intro.wav", duck_db=12.0)
    m = run(_dialogue(), tmp_path, beds=beds)
    whole = m.samples
    assert whole.shape[0] == m.frames and np.abs(whole).max() > 0.05
    for start, stop in _ranges(m.frames, np.random.default_rng(1)):
        np.testing.assert_array_equal(m.source.render(start, stop), whole[start:stop])
    # each stem by range too, and the bed's ducking and loop seams fall inside some ranges
    bed = m.stems[BEDS_STEM]
    assert bed.any()
    for name in m.stems:
        stem = m.stems[name]
        source = m.stems.source(name)
        for start, stop in _ranges(m.frames, np.random.default_rng(2)):
            np.testing.assert_array_equal(source.render(start, stop), stem[start:stop])
    np.testing.assert_allclose(sum(m.stems.values()), whole, atol=1e-6)


def test_blocks_cover_the_source_once_in_order():
    x = np.arange(10 * 3, dtype=np.float32).reshape(10, 3)
    got = list(pull(ArraySource(x), size=4))
    assert [len(b) for b in got] == [4, 4, 2]
    np.testing.assert_array_equal(np.concatenate(got), x)
    np.testing.assert_array_equal(gather(ArraySource(x)), x)


def _reference(prepared, takes, lossy: bool):
    """The whole-array path: the whole mix in one buffer, mastered as an array."""
    from radioplay.master import master
    from radioplay.mix import mix
    from radioplay.publish.delivery import CODEC_HEADROOM_DB

    mixed = mix(prepared.script, takes, prepared.casting, prepared.plan.deliveries, prepared.timing,
                sample_rate=prepared.options.sample_rate, channels=2,
                base_dir=prepared.script.path and Path(prepared.script.path).parent, beds=prepared.production.beds)
    ceiling = prepared.options.true_peak - (CODEC_HEADROOM_DB if lossy else 0.0)
    return master(mixed.samples, mixed.sample_rate, target_lufs=-16.0, true_peak_db=ceiling, measure=not lossy)


@pytest.mark.parametrize("suffix", [".wav", ".flac"])
def test_the_streamed_render_is_the_whole_array_render_bit_for_bit(tmp_path, suffix):
    from radioplay.pipeline import RenderOptions, execute, prepare
    from radioplay.publish import write_audio

    script = tmp_path / "dialogue.md"
    script.write_text(DIALOGUE, encoding="utf-8")
    cast = write_cast(tmp_path / "cast.toml", {**BASE, "Ada": {"voice": "high", "pan": -0.4, "gain": 9.0}})
    options = RenderOptions(output=tmp_path / f"streamed{suffix}", cast=cast, cache=tmp_path / "takes", jobs=1)
    prepared = prepare(script, options)
    result = execute(prepared)
    reference = _reference(prepared, result.takes, lossy=False)
    assert reference.samples.shape[0] > 5 * 44_100
    write_audio(tmp_path / f"whole{suffix}", reference.samples, 44_100)
    streamed, _ = sf.read(tmp_path / f"streamed{suffix}", dtype="int32")
    whole, _ = sf.read(tmp_path / f"whole{suffix}", dtype="int32")
    assert streamed.shape == whole.shape
    assert np.array_equal(streamed, whole)
    assert result.episode.loudness == reference.loudness and result.episode.true_peak == reference.true_peak


def test_the_mp3_encoder_gets_the_whole_array_samples_bit_for_bit(tmp_path):
    from radioplay.pipeline import RenderOptions, execute, prepare
    from radioplay.publish import write_audio

    script = tmp_path / "dialogue.md"
    script.write_text(DIALOGUE * 3, encoding="utf-8")
    cast = write_cast(tmp_path / "cast.toml", BASE)
    prepared = prepare(script, RenderOptions(output=tmp_path / "e.mp3", cast=cast, cache=tmp_path / "takes", jobs=1))
    result = execute(prepared)
    reference = _reference(prepared, result.takes, lossy=True)
    streamed = result.episode.samples  # what the encoder pulled, block by block
    assert streamed.frames > 10 * 44_100
    np.testing.assert_array_equal(gather(streamed), reference.samples)
    # fed block by block or in one piece, LAME writes the same bytes
    write_audio(tmp_path / "streamed.mp3", streamed, 44_100)
    write_audio(tmp_path / "whole.mp3", reference.samples, 44_100)
    assert (tmp_path / "streamed.mp3").read_bytes() == (tmp_path / "whole.mp3").read_bytes()


def test_cue_timings_never_render_the_mix(tmp_path):
    from dataclasses import replace

    from radioplay.mix import chapter_timings, cue_timings

    s = _dialogue()
    write_tone(tmp_path / "door.wav", 0.4)
    m = run(s, tmp_path)

    class Unrendered:
        frames, channels = m.frames, 2

        def render(self, start, stop):
            raise AssertionError("the whole mix was rendered for its timings")

    cues = cue_timings(s, replace(m, source=Unrendered()))
    assert cues and cues[-1].end <= m.frames / m.sample_rate
    chapter_timings(s, replace(m, source=Unrendered()), cues)


def test_with_sound_files_and_beds_the_streamed_render_is_the_whole_array_render_bit_for_bit(tmp_path):
    """SFX, intro, outro and a room-tone file at other rates, read and resampled in blocks."""
    from radioplay.pipeline import RenderOptions, execute, prepare
    from radioplay.publish import write_audio

    write_tone(tmp_path / "door.wav", 0.6, rate=22_050, hz=700.0, channels=2)
    write_tone(tmp_path / "intro.wav", 3.0, rate=48_000, hz=300.0)
    write_tone(tmp_path / "room.wav", 1.3, rate=32_000, hz=90.0, amplitude=0.05)
    script = tmp_path / "dialogue.md"
    script.write_text(DIALOGUE.replace("_[A door closes.]_", "_[SFX: door.wav]_"), encoding="utf-8")
    cast = write_cast(tmp_path / "cast.toml", BASE)
    with open(cast, "a", encoding="utf-8") as f:
        f.write('\n[production]\nroom_tone = "room.wav"\nintro = "intro.wav"\noutro = "intro.wav"\n')
    prepared = prepare(script, RenderOptions(output=tmp_path / "streamed.wav", cast=cast, cache=tmp_path / "takes",
                                             jobs=1))
    assert prepared.production.beds.room_tone.endswith("room.wav")
    result = execute(prepared)
    reference = _reference(prepared, result.takes, lossy=False)
    write_audio(tmp_path / "whole.wav", reference.samples, 44_100)
    streamed, _ = sf.read(tmp_path / "streamed.wav", dtype="int32")
    whole, _ = sf.read(tmp_path / "whole.wav", dtype="int32")
    assert streamed.shape == whole.shape and streamed.shape[0] > 6 * 44_100
    assert np.array_equal(streamed, whole)


def test_blocks_made_ahead_are_the_source_s_blocks_and_a_failure_reaches_the_caller():
    import threading

    from radioplay.stream import Ahead, positioned_blocks

    x = np.arange(50 * 2, dtype=np.float32).reshape(50, 2)
    made_on = set()

    class Recorded(ArraySource):
        def render(self, start, stop):
            made_on.add(threading.current_thread().name)
            return super().render(start, stop)

    got = list(positioned_blocks(Ahead(Recorded(x), depth=1), 3, 47))
    assert [(a, len(b)) for a, b in got] == [(a, len(b)) for a, b in positioned_blocks(ArraySource(x), 3, 47)]
    np.testing.assert_array_equal(np.concatenate([b for _, b in got]), x[3:47])
    assert made_on == {"radioplay-blocks"}

    class Failing(ArraySource):
        def render(self, start, stop):
            if start > 0:
                raise OSError("disk gone")
            return super().render(start, stop)

    blocks = pull(Ahead(Failing(np.zeros((3 * 65_536, 2), dtype=np.float32))))
    assert len(next(blocks)) == 65_536
    with pytest.raises(OSError, match="disk gone"):
        next(blocks)
    # a caller that stops early stops the worker too
    early = pull(Ahead(ArraySource(np.zeros((10 * 65_536, 2), dtype=np.float32))))
    next(early)
    early.close()
    assert not any(t.name == "radioplay-blocks" for t in threading.enumerate())
