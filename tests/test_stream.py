"""The streaming back half: any range of the mix (clips, beds, stems) renders exactly the same frames
as the whole mix, and blocks carry it through the master and the encoders unchanged."""

from __future__ import annotations

import numpy as np

from radioplay.mix import BEDS_STEM, Beds
from radioplay.stream import ArraySource, gather, pull
from tests.test_mix_beds import run, write_tone
from tests.test_mix_fixtures import line, script, stage


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
