"""Long works in bounded memory (issue 15): the mix holds no takes and no sound file whole, the loop
of a bed reads only what a range needs, and AAC is encoded and decoded in blocks."""

from __future__ import annotations

import tracemalloc

import numpy as np
import pytest
import soundfile

from radioplay.mix import Beds
from radioplay.mix.beds import loop_range
from radioplay.stream import BLOCK_FRAMES, ArraySource, pull
from tests.test_mix_beds import run
from tests.test_mix_fixtures import RATE, line, script, stage

MB = 1 << 20


def _peak_while(work) -> int:
    """Bytes allocated at the peak (numpy's buffers included) while `work()` runs."""
    tracemalloc.start()
    try:
        work()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def _drain(source) -> None:
    for _ in pull(source):
        pass


def test_a_long_sfx_and_a_long_room_tone_are_never_read_whole(tmp_path):
    # 6 minutes at 8 kHz: 5.5 MB of 16-bit file, 69 MB as the stereo float32 24 kHz mix wants it
    minutes, rate = 6, 8_000
    noise = np.random.default_rng(3).uniform(-0.2, 0.2, minutes * 60 * rate)
    soundfile.write(str(tmp_path / "storm.wav"), noise, rate, subtype="PCM_16")
    soundfile.write(str(tmp_path / "room.wav"), noise, rate, subtype="PCM_16")
    s = script(line("A", "Listen."), stage("SFX: storm.wav"), line("B", "It will pass."))
    whole = minutes * 60 * RATE * 2 * 4

    def mix_and_render():
        m = run(s, tmp_path, beds=Beds(room_tone="room.wav"), channels=2)
        assert m.frames > minutes * 60 * RATE
        _drain(m.source)

    peak = _peak_while(mix_and_render)
    assert peak < 12 * MB < whole / 5, f"peak {peak / MB:.1f} MB"


def test_the_mix_holds_no_take_and_grows_little_with_the_episode(tmp_path):
    from radioplay.cache import StoredAudio
    from radioplay.pipeline import RenderOptions, mix_prepared, prepare
    from radioplay.voice.synthesize import synthesize_takes
    from tests.test_render_e2e import BASE, write_cast

    cast = write_cast(tmp_path / "cast.toml", BASE)

    def peak_for(cues: int) -> int:
        path = tmp_path / f"s{cues}.md"
        path.write_text("\n\n".join(f"**{'Ada' if i % 2 else 'Marlow'}:** Line number {i} is said here."
                                    for i in range(cues)) + "\n", encoding="utf-8")
        prepared = prepare(path, RenderOptions(output=tmp_path / f"s{cues}.wav", cast=cast,
                                               cache=tmp_path / "takes", jobs=1))
        takes = synthesize_takes(prepared.plan, prepared.store, prepared.registry, prepared.settings, jobs=1)
        assert all(isinstance(take.audio, StoredAudio) for take in takes)  # handles, not samples
        return _peak_while(lambda: _drain(mix_prepared(prepared, takes).source))

    small, large = peak_for(20), peak_for(160)
    # 160 takes of about 2 s are 56 MB at the mix rate; the peak is the blocks in flight
    assert large < small + 4 * MB, f"{small / MB:.1f} MB for 20 cues, {large / MB:.1f} MB for 160"


def _whole_loop(sound: np.ndarray, length: int, crossfade: int) -> np.ndarray:
    """The loop made the plain way: whole repeats, faded, overlapped by `crossfade`."""
    n = len(sound)
    ramp = np.sqrt(np.linspace(0.0, 1.0, crossfade, dtype=np.float32))[:, None]
    out = np.zeros((length, sound.shape[1]), dtype=np.float32)
    position = 0
    while position < length:
        piece = sound[:min(n, length - position)].copy()
        if position > 0:
            piece[:min(crossfade, len(piece))] *= ramp[:min(crossfade, len(piece))]
        if position + n < length:
            piece[n - crossfade:] *= ramp[::-1]
        out[position:position + len(piece)] += piece
        if position + n >= length:
            break
        position += n - crossfade
    return out


@pytest.mark.parametrize("length", [3_000, 3_411, 2_500])
def test_any_range_of_the_loop_is_the_whole_loop_made_plainly(length):
    rng = np.random.default_rng(length)
    sound = rng.uniform(-1, 1, (700, 2)).astype(np.float32)
    expected = _whole_loop(sound, length, 60)
    for start, stop in [(0, length), (0, 1), (639, 701), (640, 1281), (1, length - 1), (length - 5, length)]:
        got = loop_range(sound, length, 60, start, np.zeros((stop - start, 2), dtype=np.float32))
        np.testing.assert_array_equal(got, expected[start:stop])


class _Counting:
    """An ArraySource that remembers the longest range it was asked for, and how many frames it gave."""

    def __init__(self, samples: np.ndarray):
        self.inner, self.longest, self.read = ArraySource(samples), 0, 0
        self.frames, self.channels = self.inner.frames, self.inner.channels

    def render(self, start: int, stop: int) -> np.ndarray:
        self.longest = max(self.longest, stop - start)
        self.read += stop - start
        return self.inner.render(start, stop)


def test_the_report_levels_weigh_the_episode_once_and_equal_each_line_cut_on_its_own(tmp_path, monkeypatch):
    from radioplay.master.loudness import PowerMeter, StreamLoudness, integrated_loudness
    from radioplay.mix.levels import episode_levels
    from radioplay.mix.timings import cue_timings
    from tests.test_mix_levels import LONG

    # an interrupted line overlaps the next; the episode spans several blocks
    s = script(*[line("AB"[i % 2], LONG, interrupted=i % 3 == 1) for i in range(14)])
    m = run(s, tmp_path)
    cues = cue_timings(s, m)
    whole = m.samples
    assert len(whole) > 3 * BLOCK_FRAMES
    counting = _Counting(whole)
    weighed = []
    power = PowerMeter.power
    monkeypatch.setattr(PowerMeter, "power", lambda meter, block, out: weighed.append(block.shape[1]) or power(meter, block, out))
    got = episode_levels(counting, RATE, s, cues)
    monkeypatch.undo()
    assert counting.read == len(whole)
    assert sum(weighed) == len(whole)  # K-weighted once: the lines are not weighed again
    # each line cut on its own, as the report did before it read the episode once
    pooled, medians = {}, {}
    for timing in cues:
        cut = whole[round(timing.start * RATE):round(timing.end * RATE)]
        speaker = s.cues[timing.cue].speakers[0]
        pooled.setdefault(speaker, StreamLoudness(2, RATE)).feed(cut)
        medians.setdefault(speaker, []).append(integrated_loudness(cut, RATE))
    for speaker, meter in pooled.items():
        assert got["characters"][speaker]["integrated"] == round(meter.integrated(), 2)
        assert got["characters"][speaker]["median_line"] == round(float(np.median(medians[speaker])), 2)
    # exactly: one K-weighting of the whole episode, each line's power cut from it
    from radioplay.master.loudness import PowerProfile, k_weighted_power

    power = k_weighted_power(whole.T, RATE)
    pooled_power, lines = {}, {}
    for timing in cues:
        cut = power[round(timing.start * RATE):round(timing.end * RATE)]
        speaker = s.cues[timing.cue].speakers[0]
        pooled_power.setdefault(speaker, []).append(cut)
        lines.setdefault(speaker, []).append(PowerProfile.from_power(cut, RATE).integrated())
    for speaker, cuts in pooled_power.items():
        assert got["characters"][speaker]["integrated"] == round(
            PowerProfile.from_power(np.concatenate(cuts), RATE).integrated(), 2)
        assert got["characters"][speaker]["median_line"] == round(float(np.median(lines[speaker])), 2)


@pytest.mark.parametrize("suffix", [".m4b", ".m4a"])
def test_aac_is_encoded_from_blocks_and_decoded_in_blocks(tmp_path, suffix):
    from radioplay.publish import write_audio
    from radioplay.publish.delivery import measure_file
    from radioplay.publish.mp4 import mp4_blocks, read_mp4

    t = np.arange(3 * BLOCK_FRAMES + 777) / 44_100
    samples = (0.3 * np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 550 * t)], axis=1)).astype(np.float32)
    source = _Counting(samples)
    write_audio(tmp_path / f"streamed{suffix}", source, 44_100)
    write_audio(tmp_path / f"whole{suffix}", samples, 44_100)
    assert source.longest == BLOCK_FRAMES
    streamed, _ = read_mp4(tmp_path / f"streamed{suffix}")
    whole, _ = read_mp4(tmp_path / f"whole{suffix}")
    assert streamed.shape == whole.shape and abs(len(streamed) - len(samples)) <= 1024  # one AAC frame
    np.testing.assert_array_equal(streamed, whole)
    channels, rate, blocks = mp4_blocks(tmp_path / f"streamed{suffix}")
    sizes = [len(b) for b in blocks]
    assert (channels, rate, sum(sizes)) == (2, 44_100, len(whole)) and max(sizes) <= 2048
    # the delivery check meters the same blocks as when it decoded the whole file first
    from radioplay.master.loudness import StreamLoudness, StreamPeak

    meter, peak = StreamLoudness(2, 44_100), StreamPeak()
    for a in range(0, len(whole), BLOCK_FRAMES):
        meter.feed(whole[a:a + BLOCK_FRAMES])
        peak.feed(whole[a:a + BLOCK_FRAMES])
    assert measure_file(tmp_path / f"streamed{suffix}") == (meter.integrated(), peak.true_peak_db())


def test_a_stored_take_is_read_when_asked_for_and_a_vanished_one_is_a_run_time_failure(tmp_path):
    from radioplay.cache import StoredAudio, TakeStore
    from radioplay.errors import CacheFailure
    from radioplay.model import Audio

    store, key = TakeStore(tmp_path), "ab" * 32
    audio = Audio(np.linspace(-0.5, 0.5, 2_400, dtype=np.float32), 24_000)
    store.put(key, audio)
    handle = store.stored(key, audio)
    assert isinstance(handle, StoredAudio) and (handle.sample_rate, handle.frames, handle.duration) == (24_000, 2_400, 0.1)
    np.testing.assert_array_equal(handle.samples, audio.samples)
    store.entry_path(key).unlink()
    with pytest.raises(CacheFailure, match="vanished or was damaged"):
        handle.samples
