"""AAC in MP4 (.m4a, .m4b) for audiobook players: PyAV's bundled FFmpeg encodes and muxes, mutagen tags.

FFmpeg's mp4 muxer, given the container's chapters, writes both chapter forms players read: a
QuickTime chapter text track (Apple Books, iOS, VLC) and a Nero `chpl` box (many Android players,
mutagen). The encoder's priming samples are recorded in an edit list, so a decoder that honours it
(FFmpeg, Apple's) returns the episode from its first sample; `read_mp4` trims the last frame's
padding to the stream's declared duration.
"""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path
from typing import Iterable, Iterator, Sequence

import numpy as np

from radioplay.errors import ExportError
from radioplay.model import ChapterTiming

MP4_SUFFIXES = (".m4a", ".m4b")
AAC_KBPS_PER_CHANNEL = (16, 256)
"""Below 16 kbps per channel FFmpeg's AAC encoder smears speech; it tops out near 264 kbps per
channel at 44.1 kHz (6144 bits per channel per frame)."""
DEFAULT_AAC_KBPS_PER_CHANNEL = 64
"""128 kbps stereo: the usual podcast/audiobook AAC rate."""
AAC_SAMPLE_RATES = (7_350, 8_000, 11_025, 12_000, 16_000, 22_050, 24_000, 32_000, 44_100, 48_000, 64_000,
                    88_200, 96_000)
"""The MPEG-4 sampling-frequency table, which FFmpeg's AAC encoder takes."""
_LAYOUTS = {1: "mono", 2: "stereo"}


def check_aac(path, rate: int, channels: int, kbps: int | None) -> None:
    """Raise ExportError when AAC cannot be encoded at `rate` Hz, `channels` and `kbps`."""
    if rate not in AAC_SAMPLE_RATES:
        raise ExportError(f"{path}: AAC cannot be encoded at {rate} Hz; use one of "
                          f"{', '.join(map(str, AAC_SAMPLE_RATES))} Hz")
    if channels not in _LAYOUTS:
        raise ExportError(f"{path}: AAC output is mono or stereo, not {channels} channels")
    if kbps is not None:
        low, high = AAC_KBPS_PER_CHANNEL
        if isinstance(kbps, bool) or not isinstance(kbps, int) or not low * channels <= kbps <= high * channels:
            raise ExportError(f"AAC bitrate {kbps!r} kbps is outside {low * channels}-{high * channels} kbps "
                              f"for {channels} channel(s)")


def write_mp4(tmp: Path, blocks: Iterable[np.ndarray], channels: int, rate: int, kbps: int | None, tags,
              chapters: Sequence[ChapterTiming], cover_mime) -> None:
    """Encode consecutive `blocks` ((m, channels) float32 in [-1, 1]) as AAC in an MP4 at `tmp`, with
    chapters, then tag it. The encoder takes the blocks as they come (PyAV cuts them into AAC frames)."""
    import av

    kbps = kbps if kbps is not None else DEFAULT_AAC_KBPS_PER_CHANNEL * channels
    # "ipod" is FFmpeg's muxer for .m4a/.m4b: the iTunes brand, and the QuickTime chapter track.
    with av.open(str(tmp), "w", format="ipod") as container:
        stream = container.add_stream("aac", rate=rate, layout=_LAYOUTS[channels])
        stream.bit_rate = kbps * 1000
        ms = Fraction(1, 1000)
        container.set_chapters([{"id": i, "start": round(c.start * 1000), "end": round(c.end * 1000),
                                 "time_base": ms, "metadata": {"title": c.title}}
                                for i, c in enumerate(chapters, start=1)])
        start = 0
        for block in blocks:
            if not len(block):
                continue
            # Timestamps on the input make the encoder's first packet start at -priming, which the
            # muxer records in the edit list; without them players would play the priming silence.
            frame = av.AudioFrame.from_ndarray(np.ascontiguousarray(block.T, dtype=np.float32),
                                               format="fltp", layout=_LAYOUTS[channels])
            frame.sample_rate, frame.pts, frame.time_base = rate, start, Fraction(1, rate)
            start += len(block)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    _tag(tmp, tags, cover_mime)


def _tag(tmp: Path, tags, cover_mime) -> None:
    if tags is None:
        return
    from mutagen.mp4 import MP4, MP4Cover

    audio = MP4(tmp)
    for key, value in (("\xa9nam", tags.title), ("\xa9alb", tags.show), ("\xa9ART", tags.artist),
                       ("\xa9day", tags.date), ("\xa9cmt", tags.comment), ("\xa9gen", tags.genre)):
        if value:
            audio[key] = [str(value)]
    if tags.episode is not None and str(tags.episode).isdigit():
        audio["trkn"] = [(int(tags.episode), 0)]
    if tags.cover is not None:
        cover = Path(tags.cover)
        kind = MP4Cover.FORMAT_PNG if cover_mime(cover) == "image/png" else MP4Cover.FORMAT_JPEG
        audio["covr"] = [MP4Cover(cover.read_bytes(), imageformat=kind)]
    audio.save()


def read_mp4(path: Path) -> tuple[np.ndarray, int]:
    """Decode an AAC MP4 to ((n, channels) float32, rate) as a player hears it: the edit list's
    priming skipped (FFmpeg does this) and the last frame's padding cut at the declared duration."""
    channels, rate, blocks = mp4_blocks(path)
    pieces = list(blocks)
    data = np.concatenate(pieces) if pieces else np.zeros((0, channels), np.float32)
    return data, rate


def mp4_blocks(path: Path) -> tuple[int, int, Iterator[np.ndarray]]:
    """(channels, rate, blocks): the AAC MP4 at `path` decoded as `read_mp4` decodes it, as consecutive
    float32 (m, channels) blocks of one AAC frame or so each, never the whole file."""
    import av

    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise ExportError(f"{path}: cannot decode: {exc}") from exc
    stream = container.streams.audio[0]
    rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels
    total = round(stream.duration * stream.time_base * rate) if stream.duration is not None else None

    def blocks() -> Iterator[np.ndarray]:
        with container:
            left = total
            for frame in container.decode(stream):
                block = np.ascontiguousarray(frame.to_ndarray().T, dtype=np.float32)
                if left is not None:
                    block, left = block[:left], left - min(left, len(block))
                if len(block):
                    yield block
                if left == 0:
                    return

    return channels, rate, blocks()


def read_chapters(path: Path) -> list[ChapterTiming]:
    """The chapters an FFmpeg-based player finds in `path`."""
    import av

    with av.open(str(path)) as container:
        return [ChapterTiming(c["metadata"].get("title", ""), float(c["start"] * c["time_base"]),
                              float(c["end"] * c["time_base"])) for c in container.chapters()]
