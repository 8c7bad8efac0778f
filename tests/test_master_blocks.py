"""master's block-wise passes give exactly what the whole-array definitions give."""

import numpy as np
import pytest

from radioplay.master.limiter import GRID_FRAMES, cell_peaks, envelope_cell_peaks
from radioplay.master.loudness import (PowerProfile, StreamPeak, _block_peaks, block_loudness, channel_major,
                                       interpolator_phases, k_weighted_power, peak_envelope, power_profile,
                                       true_peak_db)
from radioplay.buffers import zeros
from radioplay.master.limiter import limiter_gain_from_cells
from radioplay.master.streaming import DCRemoved, envelope_cells, limiter_gain_sparse
from radioplay.stream import ArraySource, gather

RATE = 44_100


def noise(frames: int, channels: int = 2, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    level = 0.3 * (1.2 + np.sin(np.arange(frames) / RATE))[:, None]
    return (rng.standard_normal((frames, channels)) * level).astype(np.float32)


def test_profile_in_blocks_equals_the_profile_of_the_whole_power():
    x = channel_major(noise(RATE * 9 + 1234))
    whole = PowerProfile.from_power(k_weighted_power(x, RATE), RATE)
    blocks = power_profile(x, RATE)
    np.testing.assert_array_equal(blocks.hop_energy, whole.hop_energy)
    np.testing.assert_array_equal(blocks.edges, whole.edges)
    assert blocks.integrated() == whole.integrated()
    samples = noise(RATE * 5, channels=1)
    np.testing.assert_array_equal(block_loudness(samples, RATE), block_loudness(samples.astype(np.float64), RATE))


def test_dc_pass_power_matches_k_weighted_power_frame_by_frame():
    samples = noise(RATE * 7 + 99) + np.float32(0.05)
    dc = DCRemoved(ArraySource(samples), RATE)
    out = gather(dc)
    whole = k_weighted_power(out.T, RATE)
    frames = np.random.default_rng(0).integers(0, samples.shape[0], 5000)
    np.testing.assert_array_equal(dc.power(frames, {}), whole[frames])
    np.testing.assert_array_equal(dc.profile.hop_energy, PowerProfile.from_power(whole, RATE).hop_energy)
    np.testing.assert_array_equal(dc.block_peak, _block_peaks(out.T))
    assert abs(float(out.mean())) < 1e-3  # DC removed
    assert out[0].max() < 1e-3 and out[-1].max() < 1e-3  # faded
    # any range renders again from the saved filter states, bit for bit
    for start, stop in ((0, 10), (70_000, 200_001), (samples.shape[0] - 5, samples.shape[0]), (123_456, 123_456)):
        np.testing.assert_array_equal(dc.render(start, stop), out[start:stop])


def test_sparse_envelope_and_limiter_equal_the_dense_ones():
    samples = noise(RATE * 6 + 77)  # a partial last block and cell
    samples[RATE * 2:RATE * 2 + 400] *= 4  # a few loud bursts for the limiter
    samples[-300:] *= 5
    source = ArraySource(samples)
    x = channel_major(samples)
    phases = interpolator_phases(4)
    for threshold in (0.9, 1.5):
        dense = envelope_cell_peaks(x, phases, threshold)
        ids, peaks = envelope_cells(source, _block_peaks(x), phases, threshold)
        np.testing.assert_array_equal(dense[ids], peaks)
        rest = np.ones(dense.size, dtype=bool)
        rest[ids] = False
        assert not dense[rest].any()  # every cell that may pass the threshold was rendered
        ceiling_db = 20 * np.log10(threshold) + 1.0
        want = limiter_gain_from_cells(dense, x.shape[1], RATE, ceiling_db)
        got = limiter_gain_sparse(ids, peaks, x.shape[1], RATE, ceiling_db)
        assert want is not None and got is not None
        np.testing.assert_array_equal(got.cells, want.cells)
        np.testing.assert_allclose(got.gain, want.gain, rtol=0, atol=1e-6)


def test_envelope_cell_peaks_equal_cell_peaks_of_the_envelope():
    x = channel_major(noise(RATE * 3 + 77))  # a partial last block and cell
    phases = interpolator_phases(4)
    for threshold in (0.0, 0.8):
        expected = cell_peaks(peak_envelope(x, phases, threshold))
        np.testing.assert_array_equal(envelope_cell_peaks(x, phases, threshold), expected)
        assert expected.size == -(-x.shape[1] // GRID_FRAMES)


def test_block_peaks_read_either_layout_alike():
    samples = noise(RATE * 2 + 5)
    np.testing.assert_array_equal(_block_peaks(samples.T), _block_peaks(channel_major(samples)))


def test_zeros_are_zero_writable_and_any_size():
    for shape in ((10, 2), (5_000_000, 2)):
        a = zeros(shape)
        assert a.shape == shape and a.dtype == np.float32 and a.flags.writeable and a.flags.c_contiguous
        assert not a.any()
        a[-1] = 1.0
        assert a.sum() == 2.0


def test_the_measuring_pass_finds_the_true_peak_that_the_sparse_search_finds():
    from radioplay.master.streaming import MasteredStream, true_peak

    samples = noise(RATE * 5 + 333)
    samples[RATE:RATE + 50] *= 3  # the peak sits in one burst
    samples[-20:] *= 4  # and a near one at the very end, where the frames after are silence
    dc = DCRemoved(ArraySource(samples), RATE)
    for gain in (0.5, 1.7):
        result = MasteredStream(dc, np.float32(gain), sample_rate=RATE)
        _, block_peak, peak = result.measure(False)
        assert peak == true_peak(result, block_peak, interpolator_phases(4))
        whole = float(peak_envelope(channel_major(gather(result)), interpolator_phases(4)).max())
        assert peak == 20.0 * np.log10(whole)


def _passes(result) -> list[int]:
    """Count the passes over `result` (each pass filters its first DC block once)."""
    count = [0]
    chunk = result.dc.chunk

    def counted(i):
        count[0] += i == 0
        return chunk(i)

    result.dc.chunk = counted
    return count


@pytest.mark.parametrize("measure", [True, False])
def test_a_caller_s_pass_settles_the_master_as_its_own_measuring_pass_would(measure):
    from radioplay.master.streaming import master_stream, settling_pass

    samples = noise(RATE * 7 + 123)
    samples[RATE * 3:RATE * 3 + 400] *= 4  # a burst for the limiter
    own = master_stream(ArraySource(samples), RATE, -14.0, -1.0, measure)
    caller = master_stream(ArraySource(samples), RATE, -14.0, -1.0, measure, settle=False)
    assert not caller.settled and np.isnan(caller.true_peak)
    passes = _passes(caller)
    gathered = settling_pass(caller, gather)
    assert caller.settled and passes[0] == 1  # the gathering pass was the measuring one
    assert len(own.curves) >= 1  # the limiter acted
    np.testing.assert_array_equal(gathered, gather(own))
    assert (caller.loudness, caller.true_peak, caller.gain_db) == (own.loudness, own.true_peak, own.gain_db)
    assert caller.true_peak <= -1.0 and (not measure or abs(caller.loudness + 14.0) <= 0.1)


def test_a_result_that_changes_is_passed_over_again_and_ends_as_the_master_s_own(monkeypatch):
    from radioplay.master import streaming
    from radioplay.master.streaming import master_stream, settling_pass

    monkeypatch.setattr(streaming, "LOUDNESS_TOLERANCE_LU", 1e-9)  # every loudness pass misses: MAX_PASSES of them
    samples = noise(RATE * 4 + 5)
    own = master_stream(ArraySource(samples), RATE, -14.0, -1.0)
    caller = master_stream(ArraySource(samples), RATE, -14.0, -1.0, settle=False)
    passes = _passes(caller)
    consumed = []
    gathered = settling_pass(caller, lambda source: consumed.append(1) or gather(source))
    assert len(consumed) == passes[0] == streaming.MAX_PASSES
    np.testing.assert_array_equal(gathered, gather(own))
    assert (caller.loudness, caller.true_peak, caller.gain_db) == (own.loudness, own.true_peak, own.gain_db)


def test_a_pass_that_skipped_frames_does_not_settle_the_master_on_its_figures():
    from radioplay.master.streaming import master_stream

    samples = noise(RATE * 3)
    own = master_stream(ArraySource(samples), RATE, -16.0, -1.0, measure=False)
    caller = master_stream(ArraySource(samples), RATE, -16.0, -1.0, measure=False, settle=False)
    meter = caller.meter()
    meter.feed(0, np.zeros((100, 2), dtype=np.float32))
    meter.feed(500, np.zeros((100, 2), dtype=np.float32))  # out of order: incomplete
    assert not meter.complete
    assert caller.settle(meter)  # measured its own pass instead
    assert caller.true_peak == own.true_peak


@pytest.mark.parametrize("kind", ["noise", "sine", "clicks", "edges", "square"])
def test_the_envelope_bound_from_peaks_and_steps_holds_for_every_block(kind):
    """No interpolated point exceeds its block's bound (C * peak + D * step, or G * peak), so a search
    that skips the blocks under its threshold finds the dense envelope's peak to the bit."""
    from radioplay.master.loudness import _block_slopes, envelope_bounds

    rng = np.random.default_rng(7)
    n = 256 * 40 + 77
    t = np.arange(n) / RATE
    samples = {
        "noise": noise(n),
        "sine": np.stack([0.9 * np.sin(2 * np.pi * 180 * t), 0.5 * np.sin(2 * np.pi * 9000 * t)], axis=1),
        "clicks": np.where(rng.random((n, 2)) < 0.002, rng.choice([-1.0, 1.0], (n, 2)), 0.0),
        "edges": np.full((n, 2), 0.95),  # a step up at the start and back to silence at the end
        "square": np.sign(np.sin(2 * np.pi * 11025.0 * t))[:, None] * np.array([[0.7, -0.7]]),
    }[kind].astype(np.float32)
    x = channel_major(samples)
    phases = interpolator_phases(4)
    envelope = peak_envelope(x, phases)  # dense: every block interpolated
    per_block = np.pad(envelope, (0, -n % 256)).reshape(-1, 256).max(axis=1)
    bound = envelope_bounds(_block_peaks(x), _block_slopes(x), phases)
    assert (per_block <= bound).all()
    # and the searches that use it find the dense peak exactly
    assert true_peak_db(samples, RATE) == 20 * np.log10(float(envelope.max()))
    stream = StreamPeak()
    for a in range(0, n, 3001):
        stream.feed(samples[a:a + 3001])
    assert stream.true_peak_db() == true_peak_db(samples, RATE)


def test_the_step_bound_leaves_slow_blocks_out_of_the_search():
    from radioplay.master.loudness import _block_slopes, envelope_bounds, interpolator_bounds

    t = np.arange(RATE) / RATE
    x = channel_major((0.9 * np.sin(2 * np.pi * 220 * t)).astype(np.float32))
    phases = interpolator_phases(4)
    gain, _, _ = interpolator_bounds(phases)
    peaks = _block_peaks(x)
    tight = envelope_bounds(peaks, _block_slopes(x), phases)
    assert (tight < 0.98).all() and (gain * peaks > 1.5).mean() > 0.9  # G alone: nearly every block a candidate


def test_the_dc_pass_keeps_its_blocks_and_reads_back_the_samples_it_would_make_again(monkeypatch):
    from radioplay.master import streaming
    from tests.test_long_memory import _Counting

    samples = noise(RATE * 5 + 321)
    counting = _Counting(samples)
    kept = DCRemoved(counting, RATE)
    assert kept.kept is not None and counting.read == 2 * len(samples)  # the means, then the filter
    monkeypatch.setattr(streaming, "KEEP_BYTES", 0)
    made = DCRemoved(ArraySource(samples), RATE)
    assert made.kept is None
    for i in range(made.starts.size):
        np.testing.assert_array_equal(kept.chunk(i), made.chunk(i))
    for start, stop in [(0, len(samples)), (1000, 70_000), (65_000, 65_001), (len(samples) - 5, len(samples))]:
        np.testing.assert_array_equal(kept.render(start, stop), made.render(start, stop))
    assert counting.read == 2 * len(samples)  # read back, never mixed again


def test_the_dc_pass_keeps_its_first_blocks_up_to_the_limit_and_makes_the_rest_again(monkeypatch):
    from radioplay.master import streaming
    from tests.test_long_memory import _Counting

    samples = noise(RATE * 5 + 321)
    whole = DCRemoved(ArraySource(samples), RATE)
    assert all(k is not None for k in whole.kept)
    block_bytes = int(whole.bounds[0] - whole.starts[0]) * 2 * 4  # a stereo block of float32
    monkeypatch.setattr(streaming, "KEEP_BYTES", 2 * block_bytes + 1)
    counting = _Counting(samples)
    part = DCRemoved(counting, RATE)
    assert [k is not None for k in part.kept] == [True, True] + [False] * (part.starts.size - 2)
    read = counting.read
    for i in range(part.starts.size):
        np.testing.assert_array_equal(part.chunk(i), whole.chunk(i))
    unkept = int(part.bounds[-1] - part.starts[2])
    assert counting.read == read + unkept  # only the blocks after the limit were mixed again
    np.testing.assert_array_equal(part.render(1000, len(samples) - 7), whole.render(1000, len(samples) - 7))
