"""Audio files by suffix, with tags and chapters, always written atomically.

    .wav   PCM 16- or 24-bit (libsndfile), RIFF INFO tags
    .flac  FLAC 16- or 24-bit (libsndfile), Vorbis comments (+ CHAPTERnnn tags)
    .mp3   MPEG Layer III (LAME through pedalboard, CBR), ID3v2.3 tags with CHAP + CTOC chapters
    .ogg / .opus  Ogg Opus at 48 kHz (resampled with soxr when needed), Vorbis comments (+ CHAPTERnnn)
    .m4a / .m4b   AAC in MP4 (FFmpeg through PyAV), iTunes tags and cover, QuickTime + Nero chapters

The file is encoded and tagged under a temporary name in the destination folder, then renamed into
place (radioplay.io.atomic_path): a failure at any step leaves the previous file untouched.
"""

from __future__ import annotations

import contextlib
import datetime
import os
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Iterator, Sequence

import numpy as np

from radioplay.errors import ExportError, failure
from radioplay.io import atomic_path
from radioplay.model import ChapterTiming
from radioplay.publish.mp4 import MP4_SUFFIXES, check_aac, read_mp4, write_mp4
from radioplay.values import Rule

SUPPORTED_SUFFIXES = (".wav", ".flac", ".mp3", ".ogg", ".opus", *MP4_SUFFIXES)
OPUS_RATE = 48_000
"""Opus encodes at 48 kHz (or 8/12/16/24 kHz); podcasts use 48 kHz."""
MP3_DEFAULT_VBR = "V2"
"""LAME's standard VBR preset: measured on the seed, it decodes within 0.01 LU of the master."""
MP3_KBPS_RANGE = {32_000: (32, 320), 16_000: (8, 160), 0: (8, 64)}
"""LAME's CBR range by the lowest sample rate of each MPEG version (1, 2, 2.5)."""
OPUS_KBPS_PER_CHANNEL = (6, 256)
"""libsndfile maps compression_level 1..0 linearly onto this per-channel Opus bitrate (measured)."""
MP3_SAMPLE_RATES = (8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000)
"""The rates LAME encodes (MPEG 1, 2 and 2.5); pedalboard refuses any other."""


_TEXT = {"rule": Rule((str,))}


@dataclass(frozen=True)
class EpisodeTags:
    """What the episode file says about itself; every field is optional. A cast file's
    `[production]` table sets them (radioplay.config.read_production checks them)."""

    title: str | None = field(default=None, metadata=_TEXT)
    show: str | None = field(default=None, metadata=_TEXT)
    """The podcast's name: ID3 album (TALB), Vorbis ALBUM."""
    episode: int | None = field(default=None, metadata={"rule": Rule((int, str))})
    """Episode number: ID3 TRCK, Vorbis TRACKNUMBER."""
    artist: str | None = field(default=None, metadata=_TEXT)
    date: str | None = field(default=None, metadata={"rule": Rule((str, datetime.date))})
    """ISO 8601, e.g. "2026-11-26" (or just the year)."""
    comment: str | None = field(default=None, metadata=_TEXT)
    cover: str | os.PathLike | None = field(default=None, metadata=_TEXT)
    """A PNG or JPEG file; embedded in MP3 (APIC) and FLAC (picture block)."""
    genre: str | None = field(default=None, metadata=_TEXT)
    """ID3 TCON, Vorbis GENRE; podcasts usually say "Podcast"."""


def write_audio(path: str | os.PathLike, samples: np.ndarray, rate: int, *, tags: EpisodeTags | None = None,
                chapters: Sequence[ChapterTiming] = (), bitrate: int | None = None, bits: int = 16,
                base_dir: str | os.PathLike | None = None, atomic: bool = True) -> Path:
    """Write `samples` ((n,) or (n, channels) float in [-1, 1]) at `rate` Hz to `path`, format by suffix.

    A relative `tags.cover` is resolved against `base_dir` (the script's folder) when given.
    `bitrate` is kbps for .m4a/.m4b (AAC; default 64 per channel), .mp3 (CBR; default: LAME's VBR -V2, about 150-190 kbps, which keeps the
    mastered loudness where 128 kbps CBR lost 0.4 LU on speech) and .ogg/.opus (default: the encoder's, about
    60 kbps per channel); `bits` is 16 or 24 for .wav and .flac. Values beyond [-1, 1] are clipped
    (mastered audio has none). For MP3, `chapters` become CHAP frames with a CTOC; with none given,
    one chapter spans the whole episode (MP4 too). `atomic=False` writes `path` itself: for a caller that
    already writes to a temporary (radioplay.publish.publication).
    """
    dest = Path(path)
    suffix = dest.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        raise ExportError(f"{dest}: unknown audio format {suffix or '(no suffix)'!r}; "
                          f"use one of {', '.join(SUPPORTED_SUFFIXES)}")
    if bits not in (16, 24):
        raise ExportError(f"{dest}: bits must be 16 or 24, not {bits}")
    from radioplay.stream import as_source

    if not hasattr(samples, "render"):
        samples = np.asarray(samples, dtype=np.float32)
        if samples.ndim not in (1, 2) or (samples.ndim == 2 and samples.shape[1] < 1):
            raise ExportError(f"{dest}: samples must have shape (n,) or (n, channels), not {samples.shape}")
    data = as_source(samples)  # encoded block by block: an episode-sized array is never made here
    check_encoding(dest, rate, data.channels, bitrate)
    if tags and tags.cover is not None:
        cover = Path(tags.cover)
        if base_dir is not None and not cover.is_absolute():
            tags = replace(tags, cover=Path(base_dir) / cover)
        _cover_mime(Path(tags.cover))  # fail before encoding anything
    duration = data.frames / rate
    chapters = list(chapters) or [ChapterTiming((tags.title if tags else None) or "Episode", 0.0, duration)]
    try:
        with atomic_path(dest) if atomic else contextlib.nullcontext(dest) as tmp:
            if suffix == ".wav":
                _write_wav(tmp, data, rate, bits, tags)
            elif suffix == ".flac":
                _write_flac(tmp, data, rate, bits, tags, chapters)
            elif suffix == ".mp3":
                _write_mp3(tmp, data, rate, bitrate, tags, chapters)
            elif suffix in MP4_SUFFIXES:
                write_mp4(tmp, clipped_blocks(data), data.channels, rate, bitrate, tags, chapters, _cover_mime)
            else:
                _write_opus(tmp, data, rate, bitrate, tags, chapters)
    except _encoder_errors() as exc:  # libsndfile, LAME and mutagen report a full disk their own way
        if not atomic:
            raise  # the caller writes a temporary for another file: it names that one
        raise failure(exc, dest, f"encode {suffix[1:].upper()}") from exc
    return dest


def _encoder_errors() -> tuple[type[BaseException], ...]:
    from av import FFmpegError
    from mutagen import MutagenError

    # soundfile.LibsndfileError and pedalboard's are RuntimeErrors; PyAV (.m4a/.m4b) has its own
    return RuntimeError, MutagenError, FFmpegError


def _soundfile():
    import soundfile  # libsndfile, imported when a file is written

    return soundfile


def clipped_blocks(data, start: int = 0, stop: int | None = None) -> Iterator[np.ndarray]:
    """Frames [start, stop) of source `data` in blocks, values beyond [-1, 1] clipped (mastered audio
    has none: no copy then)."""
    from radioplay.stream import pull

    for block in pull(data, start, stop):
        if block.size and (block.max() > 1.0 or block.min() < -1.0):
            np.clip(block, -1.0, 1.0, out=block)
        yield block


def _write_blocks(tmp: Path, data, rate: int, tags: EpisodeTags | None = None, **options) -> None:
    """libsndfile writes the file block by block (WAV tags become a RIFF LIST/INFO chunk)."""
    sf = _soundfile()
    with sf.SoundFile(tmp, "w", rate, data.channels, **options) as f:
        for name, value in _plain_tags(tags).items():
            setattr(f, name, value)
        for block in clipped_blocks(data):
            f.write(block)


def _write_wav(tmp: Path, data, rate: int, bits: int, tags: EpisodeTags | None) -> None:
    _write_blocks(tmp, data, rate, tags, subtype=f"PCM_{bits}", format="WAV")


def _plain_tags(tags: EpisodeTags | None) -> dict[str, str]:
    if tags is None:
        return {}
    plain = {"title": tags.title, "album": tags.show, "artist": tags.artist, "date": tags.date,
             "comment": tags.comment, "tracknumber": None if tags.episode is None else str(tags.episode),
             "genre": tags.genre}
    return {k: v for k, v in plain.items() if v}


def _write_flac(tmp: Path, data, rate: int, bits: int, tags: EpisodeTags | None,
                chapters: Sequence[ChapterTiming]) -> None:
    _write_blocks(tmp, data, rate, subtype=f"PCM_{bits}", format="FLAC")
    from mutagen.flac import FLAC, Picture

    audio = FLAC(tmp)
    _vorbis_comments(audio, tags, chapters)
    if tags and tags.cover is not None:
        cover = Path(tags.cover)
        picture = Picture()
        picture.type, picture.mime, picture.desc, picture.data = 3, _cover_mime(cover), "Cover", cover.read_bytes()
        audio.add_picture(picture)
    audio.save()


class _Resampled:
    """A source resampled with soxr's streaming HQ filter, as consecutive blocks only."""

    def __init__(self, data, rate: int, to_rate: int):
        self.data, self.rate, self.to_rate, self.channels = data, rate, to_rate, data.channels
        self.frames = int(round(data.frames * to_rate / rate))

    def blocks(self, start: int = 0, stop: int | None = None):
        import soxr

        from radioplay.stream import pull

        stream = soxr.ResampleStream(self.rate, self.to_rate, self.channels, dtype="float32", quality="HQ")
        position = 0
        for block in pull(self.data):
            out = stream.resample_chunk(np.ascontiguousarray(block))
            yield position, out
            position += len(out)
        yield position, stream.resample_chunk(np.zeros((0, self.channels), dtype=np.float32), last=True)


def _write_opus(tmp: Path, data, rate: int, kbps: int | None, tags: EpisodeTags | None,
                chapters: Sequence[ChapterTiming]) -> None:
    options = {}
    if kbps is not None:
        check_opus_bitrate(kbps, data.channels)
        low, high = OPUS_KBPS_PER_CHANNEL
        options["compression_level"] = (high - kbps / data.channels) / (high - low)
    if rate != OPUS_RATE:
        data = _Resampled(data, rate, OPUS_RATE)  # high-quality, block by block; Opus has no 44.1 kHz mode
    _write_blocks(tmp, data, OPUS_RATE, subtype="OPUS", format="OGG", **options)
    from mutagen.oggopus import OggOpus

    audio = OggOpus(tmp)
    _vorbis_comments(audio, tags, chapters)
    audio.save()


def _vorbis_comments(audio, tags: EpisodeTags | None, chapters: Sequence[ChapterTiming]) -> None:
    for name, value in _plain_tags(tags).items():
        audio[name.upper()] = [value]
    # The CHAPTERnnn / CHAPTERnnnNAME convention that Vorbis-comment players read.
    for i, chapter in enumerate(chapters, start=1):
        audio[f"CHAPTER{i:03d}"] = [_chapter_clock(chapter.start)]
        audio[f"CHAPTER{i:03d}NAME"] = [chapter.title]


def _chapter_clock(seconds: float) -> str:
    ms = int(round(seconds * 1000))
    return f"{ms // 3_600_000:02d}:{ms // 60_000 % 60:02d}:{ms // 1000 % 60:02d}.{ms % 1000:03d}"


MP3_KBPS = (32, 40, 48, 56, 64, 80, 96, 112, 128, 160, 192, 224, 256, 320)
"""The CBR bitrates LAME offers (through pedalboard)."""


def check_mp3_bitrate(kbps: int, rate: int) -> None:
    """Raise ExportError unless `kbps` is a LAME CBR bitrate that the MPEG version for `rate` allows."""
    low, high = next(r for floor, r in MP3_KBPS_RANGE.items() if rate >= floor)
    if kbps not in MP3_KBPS or not low <= kbps <= high:
        allowed = ", ".join(str(k) for k in MP3_KBPS if low <= k <= high)
        raise ExportError(f"MP3 bitrate {kbps} kbps is not available at {rate} Hz (use one of {allowed})")


def check_opus_bitrate(kbps: int, channels: int) -> None:
    """Raise ExportError unless libsndfile's Opus encoder reaches `kbps` for `channels` channels."""
    low, high = OPUS_KBPS_PER_CHANNEL
    if isinstance(kbps, bool) or not isinstance(kbps, int) or not low * channels <= kbps <= high * channels:
        raise ExportError(f"Opus bitrate {kbps!r} kbps is outside {low * channels}-{high * channels} kbps "
                          f"for {channels} channel(s)")


def check_encoding(path: str | os.PathLike, rate: int, channels: int, kbps: int | None) -> None:
    """Raise ExportError, before anything is made, when `path`'s format cannot be encoded at `rate`
    Hz and `kbps` (MP3: LAME's rates and bitrates; Opus: its bitrate range; AAC: its rates and
    bitrate range; WAV/FLAC: no bitrate)."""
    suffix = Path(path).suffix.lower()
    if suffix == ".mp3":
        if rate not in MP3_SAMPLE_RATES:
            raise ExportError(f"{path}: MP3 cannot be encoded at {rate} Hz; use one of "
                              f"{', '.join(map(str, MP3_SAMPLE_RATES))} Hz, or a .wav, .flac or .opus output")
        if kbps is not None:
            check_mp3_bitrate(kbps, rate)
    elif suffix in (".ogg", ".opus"):
        if kbps is not None:
            check_opus_bitrate(kbps, channels)
    elif suffix in MP4_SUFFIXES:
        check_aac(path, rate, channels, kbps)
    elif kbps is not None:
        raise ExportError(f"{path}: a bitrate applies to .mp3, .ogg, .opus, .m4a and .m4b outputs only, "
                          f"not {suffix}")


def read_audio(path: str | os.PathLike) -> tuple[np.ndarray, int]:
    """Decode any format write_audio writes to ((n, channels) float32, rate), as a player would."""
    path = Path(path)
    if path.suffix.lower() in MP4_SUFFIXES:
        return read_mp4(path)
    data, rate = _soundfile().read(path, dtype="float32", always_2d=True)
    return data, rate


def _write_mp3(tmp: Path, data, rate: int, kbps: int | None, tags: EpisodeTags | None,
               chapters: Sequence[ChapterTiming]) -> None:
    if kbps is not None:
        check_mp3_bitrate(kbps, rate)
    # pedalboard's LAME encodes about 4x faster than libsndfile's (0.44 s vs 1.6 s CPU per minute
    # of stereo), and both decode back to the exact frame count.
    from pedalboard.io import AudioFile

    quality = MP3_DEFAULT_VBR if kbps is None else f"{kbps} kbps"
    with AudioFile(str(tmp), "w", rate, data.channels, quality=quality) as f:  # encodes as it is written
        for block in clipped_blocks(data):
            f.write(np.ascontiguousarray(block.T))
    from mutagen.id3 import APIC, CHAP, COMM, CTOC, ID3, TALB, TCON, TDRC, TIT2, TPE1, TRCK, CTOCFlags

    id3 = ID3()
    if tags:
        if tags.title:
            id3.add(TIT2(encoding=3, text=tags.title))
        if tags.show:
            id3.add(TALB(encoding=3, text=tags.show))
        if tags.episode is not None:
            id3.add(TRCK(encoding=3, text=str(tags.episode)))
        if tags.artist:
            id3.add(TPE1(encoding=3, text=tags.artist))
        if tags.date:
            id3.add(TDRC(encoding=3, text=tags.date))
        if tags.comment:
            id3.add(COMM(encoding=3, lang="eng", desc="", text=tags.comment))
        if tags.genre:
            id3.add(TCON(encoding=3, text=tags.genre))
        if tags.cover is not None:
            cover = Path(tags.cover)
            id3.add(APIC(encoding=3, mime=_cover_mime(cover), type=3, desc="Cover", data=cover.read_bytes()))
    ids = [f"ch{i}" for i in range(len(chapters))]
    for element_id, chapter in zip(ids, chapters):
        id3.add(CHAP(element_id=element_id, start_time=int(round(chapter.start * 1000)),
                     end_time=int(round(chapter.end * 1000)), sub_frames=[TIT2(encoding=3, text=chapter.title)]))
    # Players that read chapters look for a top-level, ordered table of contents listing them.
    id3.add(CTOC(element_id="toc", flags=CTOCFlags.TOP_LEVEL | CTOCFlags.ORDERED, child_element_ids=ids,
                 sub_frames=[TIT2(encoding=3, text="Chapters")]))
    id3.save(tmp, v2_version=3)


def _cover_mime(cover: Path) -> str:
    try:
        head = cover.read_bytes()[:8]
    except OSError as exc:
        raise ExportError(f"{cover}: cannot read cover art: {exc.strerror or exc}") from exc
    if head.startswith(b"\x89PNG"):
        return "image/png"
    if head.startswith(b"\xff\xd8"):
        return "image/jpeg"
    raise ExportError(f"{cover}: cover art must be a PNG or JPEG file")
