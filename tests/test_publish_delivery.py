"""The lossy delivery check: the encoded file, decoded as a player decodes it, meets the spec;
a file the codec moved out of spec is corrected once and encoded again."""

import numpy as np
import pytest
import soundfile as sf

from radioplay.master import integrated_loudness, master, true_peak_db
from radioplay.model import Episode
from radioplay.publish import write_audio
from radioplay.publish.delivery import CODEC_HEADROOM_DB, DELIVERY_TOLERANCE_LU, deliver_lossy, is_lossy
from tests.test_master_master import RATE, speech_like

TARGET, CEILING = -16.0, -1.0


def mastered_episode(gain_db: float = 0.0) -> Episode:
    m = master(speech_like(10.0), RATE, target_lufs=TARGET, true_peak_db=CEILING - CODEC_HEADROOM_DB)
    samples = m.samples * np.float32(10.0 ** (gain_db / 20.0))
    return Episode(samples, RATE, "t", [], [], loudness=m.loudness, true_peak=m.true_peak)


def deliver(tmp_path, episode: Episode, suffix: str = ".mp3") -> tuple[list, object]:
    out = tmp_path / f"e{suffix}"
    writes = []

    def write(samples):
        writes.append(samples.copy())
        write_audio(out, samples, RATE)

    write(episode.samples)
    deliver_lossy(out, episode, TARGET, CEILING, write)
    return writes, out


def decoded_figures(path) -> tuple[float, float]:
    data, rate = sf.read(path, dtype="float32", always_2d=True)
    return integrated_loudness(data, rate), true_peak_db(data, rate)


def test_a_file_in_spec_is_encoded_once_and_reports_its_decoded_figures(tmp_path):
    episode = mastered_episode()
    writes, out = deliver(tmp_path, episode)
    assert len(writes) == 1
    loudness, peak = decoded_figures(out)
    assert episode.loudness == pytest.approx(loudness, abs=0.01)
    assert episode.true_peak == pytest.approx(peak, abs=0.01)
    assert abs(loudness - TARGET) <= DELIVERY_TOLERANCE_LU and peak <= CEILING


@pytest.mark.parametrize("suffix", [".mp3", ".opus"])
def test_a_file_out_of_spec_is_corrected_once_and_encoded_again(tmp_path, suffix):
    episode = mastered_episode(gain_db=-2.0)  # as if the codec had lost 2 LU
    writes, out = deliver(tmp_path, episode, suffix)
    assert len(writes) == 2
    assert writes[1] is not writes[0] and np.abs(writes[1]).max() > np.abs(writes[0]).max()
    loudness, peak = decoded_figures(out)
    assert abs(loudness - TARGET) <= DELIVERY_TOLERANCE_LU and peak <= CEILING
    assert episode.loudness == pytest.approx(loudness, abs=0.01)
    assert episode.true_peak == pytest.approx(peak, abs=0.01)


def test_lossy_suffixes():
    assert is_lossy("a.MP3") and is_lossy("a.ogg") and is_lossy("a.opus")
    assert not is_lossy("a.wav") and not is_lossy("a.flac")


@pytest.mark.parametrize("seconds", [0.9, 10.0])
@pytest.mark.parametrize("suffix", [".mp3", ".opus", ".flac"])
def test_measuring_in_blocks_gives_the_figures_of_the_decoded_file(tmp_path, seconds, suffix):
    from radioplay.publish.delivery import measure_file
    from radioplay.publish.delivery import decoded_mp3_blocks as decoded_blocks

    path = write_audio(tmp_path / f"e{suffix}", speech_like(seconds), RATE)
    got, want = measure_file(path), decoded_figures(path)
    if suffix == ".mp3":
        # pedalboard's decoder, in blocks, is libsndfile's single read to float rounding
        assert got == pytest.approx(want, abs=1e-4)
        whole, _ = sf.read(path, dtype="float32", always_2d=True)
        blocks = np.concatenate(list(decoded_blocks(path, 4_000)))
        assert blocks.shape == whole.shape
        np.testing.assert_allclose(blocks, whole, rtol=0, atol=2e-6)
    else:
        assert got == want
