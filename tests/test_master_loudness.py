"""Loudness and true peak against EBU Tech 3341 signals built from their published definitions."""

import numpy as np
import pyloudnorm
import pytest

from radioplay.master import integrated_loudness, true_peak_db
from radioplay.master.loudness import ANNEX2_PHASES

RATE = 48_000


def stereo_sine(dbfs: float, seconds: float, hz: float = 1000.0, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    tone = 10 ** (dbfs / 20) * np.sin(2 * np.pi * hz * t)
    return np.stack([tone, tone], axis=1)


def faded(x: np.ndarray, rate: int = RATE, seconds: float = 0.01) -> np.ndarray:
    """Fade the ends, so the interpolator sees the steady tone and not a step from silence."""
    n = int(seconds * rate)
    ramp = np.sin(np.linspace(0, np.pi / 2, n)) ** 2
    y = x.copy()
    y[:n] *= ramp[:, None]
    y[-n:] *= ramp[::-1, None]
    return y


@pytest.mark.parametrize("dbfs", [-23.0, -33.0])
def test_tech3341_cases_1_and_2_stereo_1khz_sine(dbfs):
    # Cases 1 and 2: 20 s of a 1 kHz sine in both channels at -23 / -33 dBFS read -23.0 / -33.0 LUFS.
    assert integrated_loudness(stereo_sine(dbfs, 20.0), RATE) == pytest.approx(dbfs, abs=0.1)


def test_tech3341_case_3_relative_gate_ignores_quiet_part():
    # Case 3: 10 s at -36, 60 s at -23, 10 s at -36 dBFS (1 kHz stereo) reads -23.0 LUFS.
    x = np.concatenate([stereo_sine(-36, 10), stereo_sine(-23, 60), stereo_sine(-36, 10)])
    assert integrated_loudness(x, RATE) == pytest.approx(-23.0, abs=0.1)


def test_tech3341_case_5_absolute_gate_ignores_near_silence():
    # Case 5: 20 s at -26, 20.1 s at -20, 20 s at -26 dBFS reads -23.0 LUFS; here with -80 dBFS
    # stretches added, which the -70 LUFS absolute gate must drop.
    x = np.concatenate([stereo_sine(-80, 5), stereo_sine(-26, 20), stereo_sine(-20, 20.1),
                        stereo_sine(-26, 20), stereo_sine(-80, 5)])
    assert integrated_loudness(x, RATE) == pytest.approx(-23.0, abs=0.1)


def test_mono_sine_reads_3db_below_the_same_sine_in_stereo():
    mono = stereo_sine(-23, 10)[:, 0]
    assert integrated_loudness(mono, RATE) == pytest.approx(-26.01, abs=0.1)


def test_agrees_with_pyloudnorm_meter_on_speechlike_noise_at_44100():
    rate = 44_100
    rng = np.random.default_rng(7)
    envelope = np.repeat(rng.random((300, 2)) ** 3, rate // 10, axis=0)  # 30 s of bursts and near-pauses
    x = 0.3 * rng.standard_normal(envelope.shape) * envelope
    meter = pyloudnorm.Meter(rate, filter_class="DeMan")  # the K-weighting this module uses
    assert integrated_loudness(x, rate) == pytest.approx(meter.integrated_loudness(x), abs=0.02)


def test_silence_is_minus_infinity_and_short_input_is_measured():
    assert integrated_loudness(np.zeros((RATE, 2)), RATE) == float("-inf")
    assert true_peak_db(np.zeros((RATE, 2)), RATE) == float("-inf")
    short = stereo_sine(-23, 0.3)  # shorter than one 400 ms block: measured as a single block
    assert integrated_loudness(short, RATE) == pytest.approx(-23.0, abs=0.3)


@pytest.mark.parametrize("cycles_per_sample, phase_deg, amplitude, expected_dbtp", [
    (1 / 4, 0.0, 0.5, -6.02),    # Tech 3341 case 15: 1/4 fs, 0 deg phase: samples hit the peak
    (1 / 4, 45.0, 0.5, -6.02),   # case 16: 1/4 fs, 45 deg: sample peak -9.03 dBFS, true peak -6.02
    (1 / 6, 60.0, 0.5, -6.02),   # case 17: 1/6 fs, 60 deg
    (1 / 8, 67.5, 0.5, -6.02),   # case 18: 1/8 fs, 67.5 deg
    (1 / 4, 45.0, 1.41, 2.98),   # case 19: 1/4 fs, 45 deg, samples at 0 dBFS, true peak +3 dBTP
])
def test_tech3341_true_peak_sines(cycles_per_sample, phase_deg, amplitude, expected_dbtp):
    n = np.arange(2 * RATE)
    tone = amplitude * np.sin(2 * np.pi * cycles_per_sample * n + np.deg2rad(phase_deg))
    measured = true_peak_db(faded(np.stack([tone, tone], axis=1)), RATE)
    # The standard's tolerance for these cases: -0.4 / +0.2 dB.
    assert expected_dbtp - 0.4 <= measured <= expected_dbtp + 0.2


def test_true_peak_of_quarter_rate_45_degree_sine_exceeds_its_sample_peak_by_3db():
    n = np.arange(RATE)
    tone = np.sin(np.pi / 2 * n + np.pi / 4)  # every sample at +-0.707: -3.01 dBFS sample peak
    x = faded(tone[:, None])
    assert 20 * np.log10(np.abs(x).max()) == pytest.approx(-3.01, abs=0.01)
    assert -0.4 <= true_peak_db(x, RATE) <= 0.2


def test_annex2_interpolator_has_unit_dc_gain_per_phase_and_is_symmetric():
    assert ANNEX2_PHASES.shape == (4, 12)
    np.testing.assert_allclose(ANNEX2_PHASES.sum(axis=1), 1.0, atol=0.03)
    np.testing.assert_array_equal(ANNEX2_PHASES[3], ANNEX2_PHASES[0][::-1])
    np.testing.assert_array_equal(ANNEX2_PHASES[2], ANNEX2_PHASES[1][::-1])


def test_true_peak_scales_with_gain_and_finds_a_single_loud_block():
    rng = np.random.default_rng(3)
    x = 0.01 * rng.standard_normal((RATE * 5, 2))
    x[123_457, 1] = 0.5  # one click, far from any block edge
    # The sample itself is the peak: the interpolated points next to a lone click are lower (0.97 x).
    assert true_peak_db(x, RATE) == pytest.approx(20 * np.log10(0.5), abs=0.01)
    assert true_peak_db(2 * x, RATE) == pytest.approx(true_peak_db(x, RATE) + 6.0206, abs=1e-4)


def test_oversample_1_is_the_sample_peak():
    x = np.array([0.0, 0.25, -0.5, 0.1])
    assert true_peak_db(x, RATE, oversample=1) == pytest.approx(20 * np.log10(0.5))
