"""write_audio: every format reads back with the right length and channels; MP3 chapters and tags;
atomic replacement."""

import os
import struct
import zlib
from pathlib import Path

import mutagen
import numpy as np
import pytest
import soundfile as sf
from mutagen.id3 import ID3
from mutagen.mp3 import MP3

from radioplay.errors import ExportError
from radioplay.model import ChapterTiming
from radioplay.publish import EpisodeTags, write_audio
from radioplay.publish import audio as audio_module

RATE = 44_100
SECONDS = 2.5
TAGS = EpisodeTags(title="Alignment Implications", show="Debates in One Act", episode=7, artist="radioplay",
                   date="2026-11-26", comment="made from the script")
CHAPTERS = [ChapterTiming("Opening", 0.0, 1.0), ChapterTiming("The laws", 1.0, SECONDS)]


def tone(channels: int = 2, seconds: float = SECONDS, rate: int = RATE) -> np.ndarray:
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.4 * np.sin(2 * np.pi * 330 * t) * np.minimum(1, t * 20)
    return np.stack([mono * (1 - 0.3 * c) for c in range(channels)], axis=1).astype(np.float32)


def png(path: Path) -> Path:
    """A valid 1x1 PNG, built by hand (no image library needed)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    body = chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)) + chunk(b"IDAT", zlib.compress(b"\0\xff\0\0"))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + body + chunk(b"IEND", b""))
    return path


@pytest.mark.parametrize("suffix, channels, rate_back, frames_slack", [
    (".wav", 2, RATE, 0),
    (".wav", 1, RATE, 0),
    (".flac", 2, RATE, 0),
    (".mp3", 2, RATE, 1152),   # one MPEG frame of encoder padding at most
    (".mp3", 1, RATE, 1152),
    (".opus", 2, 48_000, 960),  # Opus runs at 48 kHz; one 20 ms packet of padding at most
    (".ogg", 1, 48_000, 960),
])
def test_reads_back_with_duration_and_channels(tmp_path, suffix, channels, rate_back, frames_slack):
    path = write_audio(tmp_path / f"episode{suffix}", tone(channels), RATE, tags=TAGS, chapters=CHAPTERS)
    info = sf.info(str(path))
    assert info.channels == channels and info.samplerate == rate_back
    assert abs(info.frames - round(SECONDS * rate_back)) <= frames_slack
    back, _ = sf.read(str(path), dtype="float32", always_2d=True)
    assert 0.3 < np.abs(back).max() < 0.7  # the 0.4 tone survived the codec (lossy ones overshoot a little)


def test_wav_16_and_24_bit_are_exact_to_their_resolution(tmp_path):
    x = tone()
    for bits, step in ((16, 2 ** -15), (24, 2 ** -23)):
        path = write_audio(tmp_path / f"e{bits}.wav", x, RATE, bits=bits)
        assert sf.info(str(path)).subtype == f"PCM_{bits}"
        back, _ = sf.read(str(path), dtype="float64", always_2d=True)
        assert np.abs(back - x).max() <= step


def test_mp3_has_id3_tags_chapters_and_a_table_of_contents(tmp_path):
    path = write_audio(tmp_path / "episode.mp3", tone(), RATE, tags=TAGS, chapters=CHAPTERS,
                       bitrate=96)
    id3 = ID3(path)
    assert id3.version[:2] == (2, 3)
    assert str(id3["TIT2"]) == "Alignment Implications"
    assert str(id3["TALB"]) == "Debates in One Act"
    assert str(id3["TRCK"]) == "7"
    assert str(id3["TPE1"]) == "radioplay"
    assert str(id3.getall("TYER")[0] if id3.getall("TYER") else id3["TDRC"]).startswith("2026")
    assert id3.getall("COMM")[0].text == ["made from the script"]
    chaps = id3.getall("CHAP")
    assert [(c.element_id, c.start_time, c.end_time, str(c.sub_frames["TIT2"])) for c in chaps] == [
        ("ch0", 0, 1000, "Opening"), ("ch1", 1000, 2500, "The laws")]
    (toc,) = id3.getall("CTOC")
    assert toc.child_element_ids == ["ch0", "ch1"]
    assert toc.flags & 0x01 and toc.flags & 0x02  # ordered, top-level
    assert round(MP3(path).info.bitrate / 1000) == 96  # mutagen reports 96001 for 96 kbps CBR


def test_mp3_without_chapters_gets_one_for_the_whole_episode(tmp_path):
    path = write_audio(tmp_path / "episode.mp3", tone(), RATE, tags=TAGS)
    (chap,) = ID3(path).getall("CHAP")
    assert (chap.start_time, chap.end_time, str(chap.sub_frames["TIT2"])) == (0, 2500, "Alignment Implications")
    assert ID3(path).getall("CTOC")[0].child_element_ids == ["ch0"]


def test_mp3_bitrates_are_lame_cbr_rates_for_the_sample_rate(tmp_path):
    audio_module.check_mp3_bitrate(320, 44_100)
    audio_module.check_mp3_bitrate(64, 8_000)
    for kbps, rate in ((100, 44_100), (500, 44_100), (192, 22_050), (80, 8_000)):
        with pytest.raises(ExportError, match="not available"):
            audio_module.check_mp3_bitrate(kbps, rate)
    with pytest.raises(ExportError):
        write_audio(tmp_path / "e.mp3", tone(), RATE, bitrate=100)
    assert not list(tmp_path.iterdir())


def test_mp3_at_low_sample_rates_uses_the_mpeg2_and_2_5_bitrates(tmp_path):
    for rate, kbps in ((22_050, 128), (8_000, 64)):
        path = write_audio(tmp_path / f"e{rate}.mp3", tone(1, rate=rate), rate, bitrate=kbps)
        assert round(MP3(path).info.bitrate / 1000) == kbps and MP3(path).info.sample_rate == rate
        vbr = write_audio(tmp_path / f"v{rate}.mp3", tone(1, rate=rate), rate)
        assert MP3(vbr).info.sample_rate == rate


def test_default_mp3_is_vbr_and_keeps_the_loudness(tmp_path):
    import pyloudnorm
    import soundfile as sf

    rng = np.random.default_rng(1)
    from scipy import signal

    # band-limited like the voices (22.05 and 24 kHz engines): LAME's lowpass takes nothing from it
    lowpass = signal.butter(8, 8000, fs=RATE, output="sos")
    speechy = signal.sosfilt(lowpass, rng.standard_normal((RATE * 8, 2)), axis=0).astype(np.float32) * 0.2
    speechy *= (np.sin(np.linspace(0, 40, len(speechy))) > 0)[:, None]  # bursts and pauses
    path = write_audio(tmp_path / "v.mp3", speechy, RATE)
    from mutagen.mp3 import BitrateMode

    assert MP3(path).info.bitrate_mode == BitrateMode.VBR
    decoded, _ = sf.read(path, dtype="float32")
    meter = pyloudnorm.Meter(RATE)
    assert abs(meter.integrated_loudness(decoded) - meter.integrated_loudness(speechy)) < 0.2


def test_cover_art_is_embedded(tmp_path):
    cover = png(tmp_path / "cover.png")
    tags = EpisodeTags(title="With art", cover=cover)
    apic = ID3(write_audio(tmp_path / "e.mp3", tone(), RATE, tags=tags)).getall("APIC")[0]
    assert apic.mime == "image/png" and apic.data == cover.read_bytes()
    flac = mutagen.File(write_audio(tmp_path / "e.flac", tone(), RATE, tags=tags))
    assert flac.pictures[0].data == cover.read_bytes()
    with pytest.raises(ExportError, match="PNG or JPEG"):
        write_audio(tmp_path / "x.mp3", tone(), RATE, tags=EpisodeTags(cover=tmp_path / "e.flac"))


@pytest.mark.parametrize("suffix", [".flac", ".opus"])
def test_vorbis_comments_and_chapters(tmp_path, suffix):
    tags = mutagen.File(write_audio(tmp_path / f"e{suffix}", tone(), RATE, tags=TAGS, chapters=CHAPTERS)).tags
    assert tags["TITLE"] == ["Alignment Implications"] and tags["ALBUM"] == ["Debates in One Act"]
    assert tags["TRACKNUMBER"] == ["7"] and tags["DATE"] == ["2026-11-26"]
    assert tags["CHAPTER002"] == ["00:00:01.000"] and tags["CHAPTER002NAME"] == ["The laws"]


def test_wav_info_tags(tmp_path):
    with sf.SoundFile(str(write_audio(tmp_path / "e.wav", tone(), RATE, tags=TAGS))) as f:
        assert f.title == "Alignment Implications" and f.artist == "radioplay"


def test_opus_bitrate(tmp_path):
    seconds = 4.0
    noise = (0.2 * np.random.default_rng(0).standard_normal((int(seconds * 48_000), 2))).astype(np.float32)
    path = write_audio(tmp_path / "e.opus", noise, 48_000, bitrate=64)
    assert os.path.getsize(path) * 8 / seconds / 1000 == pytest.approx(64, rel=0.2)
    with pytest.raises(ExportError):
        write_audio(tmp_path / "bad.opus", noise, 48_000, bitrate=4)


def test_unknown_suffix_lists_the_supported_ones(tmp_path):
    with pytest.raises(ExportError, match=r"\.wav, \.flac, \.mp3, \.ogg, \.opus"):
        write_audio(tmp_path / "episode.aiff", tone(), RATE)
    assert not list(tmp_path.iterdir())


def test_failure_midway_leaves_previous_file_and_no_temp(tmp_path, monkeypatch):
    dest = tmp_path / "episode.mp3"
    write_audio(dest, tone(), RATE, tags=TAGS)
    before = dest.read_bytes()

    def broken_tagging(*args, **kwargs):
        raise OSError("disk full while tagging")

    # The encode succeeds; the tag step (on the temporary file) fails.
    monkeypatch.setattr("mutagen.id3.ID3.save", broken_tagging)
    from radioplay.errors import RuntimeFailure

    with pytest.raises(RuntimeFailure, match=f"{dest}: cannot write: disk full while tagging"):
        write_audio(dest, tone(seconds=1.0), RATE, tags=TAGS)
    assert dest.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["episode.mp3"]


def test_samples_beyond_full_scale_are_clipped_not_wrapped(tmp_path):
    x = tone() * 4
    back, _ = sf.read(str(write_audio(tmp_path / "e.wav", x, RATE)), dtype="float32")
    assert back.max() == pytest.approx(1.0, abs=1e-4) and back.min() == pytest.approx(-1.0, abs=1e-4)


def test_tags_and_a_cover_beside_the_script(tmp_path):
    png(tmp_path / "art.png")
    tags = EpisodeTags(title="From the script", show="Debates", episode=12, artist="A", cover="art.png",
                       genre="Podcast")
    path = write_audio(tmp_path / "out" / "e.mp3", tone(), RATE, tags=tags, base_dir=tmp_path)
    assert ID3(path).getall("APIC")[0].data == (tmp_path / "art.png").read_bytes()
    assert str(ID3(path)["TCON"]) == "Podcast"
