"""encode_mp3: a long episode encoded in regions on several threads decodes to exactly its input's
length, as a single encode would, with nothing at the joins."""

import io

import numpy as np
import pytest
import soundfile as sf
from mutagen.mp3 import MP3, BitrateMode
from scipy import signal

from radioplay.publish import mp3
from radioplay.publish.mp3 import FRAME, encode_mp3

RATE = 44_100


def speechy(seconds: float, channels: int = 2) -> np.ndarray:
    """Harmonics with a wavering pitch over a little noise, loud and quiet by turns; never silent."""
    n = int(seconds * RATE) + 777  # not a whole number of frames
    t = np.arange(n) / RATE
    tone = sum(np.sin(2 * np.pi * k * 140 * t * (1 + 0.1 * np.sin(t))) / k for k in (1, 2, 3, 5, 7))
    noise = signal.sosfilt(signal.butter(4, 6000, fs=RATE, output="sos"), np.random.default_rng(3).standard_normal(n))
    x = (0.1 * tone + 0.02 * noise) * (0.2 + 0.8 * (np.sin(3 * t) > 0))
    return np.stack([x * (1 - 0.4 * c) for c in range(channels)], axis=1).astype(np.float32)


def decode(stream: bytes) -> np.ndarray:
    return sf.read(io.BytesIO(stream), dtype="float32", always_2d=True)[0]


def error_db(a: np.ndarray, b: np.ndarray) -> float:
    return float(10 * np.log10(np.mean((a - b) ** 2) / np.mean(b ** 2)))


@pytest.fixture
def short_regions(monkeypatch):
    monkeypatch.setattr(mp3, "MIN_REGION_SECONDS", 2.0)


@pytest.mark.parametrize("channels, quality", [(2, "V2"), (1, "V2"), (2, "128 kbps")])
def test_regions_join_into_one_gapless_stream_like_a_single_encode(tmp_path, short_regions, channels, quality):
    x = speechy(9.0, channels)
    joined = encode_mp3(x, RATE, quality, threads=4)
    single = mp3._lame(x, RATE, quality, reservoir=True)
    alone = decode(mp3._lame(x, RATE, quality, reservoir=False))  # what each region is, in one piece
    decoded = decode(joined)
    assert decoded.shape == x.shape  # the header's delay and padding trim it to the input, exactly
    with np.errstate(divide="ignore"):
        assert error_db(decoded, alone) < -40.0  # the joins add nothing to a reservoir-less encode
    assert error_db(decoded, x) <= error_db(decode(single), x) + 0.5  # and the quality is a single encode's
    frames = -(-x.shape[0] // FRAME)
    for k in (1, 2, 3):  # nothing at the cuts: a misplaced frame there would differ by about 0 dB
        around = slice(k * -(-frames // 4) * FRAME - 2 * FRAME, k * -(-frames // 4) * FRAME + 2 * FRAME)
        with np.errstate(divide="ignore"):
            assert error_db(decoded[around], alone[around]) < -35.0
    path = tmp_path / "joined.mp3"
    path.write_bytes(joined)
    info = MP3(path).info
    assert info.length == pytest.approx(x.shape[0] / RATE, abs=1e-9)
    assert info.bitrate_mode == (BitrateMode.VBR if quality == "V2" else BitrateMode.CBR)


def test_header_crc_is_lames_own():
    stream = mp3._lame(speechy(1.0), RATE, "V2", reservoir=True)
    header = stream[slice(*mp3._frames(stream)[0])]
    lame = header.find(b"LAME")
    assert mp3._crc16(header[:lame + 34]) == int.from_bytes(header[lame + 34:lame + 36], "big")
    rewritten = mp3._joined_header(header, [stream[a:b] for a, b in mp3._frames(stream)[1:]], 777 + RATE)
    # The same stream, the same header (every field is where LAME puts it), but for the seek table,
    # which LAME samples more coarsely, and so the CRC over it.
    xing = header.find(b"Xing")
    toc = slice(xing + 16, xing + 116)
    assert rewritten[:toc.start] == header[:toc.start] and rewritten[toc.stop:lame + 34] == header[toc.stop:lame + 34]
    ours, lames = np.frombuffer(rewritten[toc], np.uint8), np.frombuffer(header[toc], np.uint8)
    assert ours[0] == lames[0] == 0 and (np.diff(ours.astype(int)) >= 0).all()
    assert np.abs(ours.astype(int) - lames).max() <= 12
    assert mp3._crc16(rewritten[:lame + 34]) == int.from_bytes(rewritten[lame + 34:lame + 36], "big")


def test_short_episodes_and_one_thread_are_a_single_encode(short_regions):
    x = speechy(3.0)  # one 2 s region only
    single = mp3._lame(x, RATE, "V2", reservoir=True)
    assert encode_mp3(x, RATE, "V2", threads=4) == single
    assert encode_mp3(speechy(9.0), RATE, "V2", threads=1) == mp3._lame(speechy(9.0), RATE, "V2", reservoir=True)
