"""Clip samples kept on disk while an episode renders, so that its memory does not grow with its length.

The mixer lays out every take once (resampled, trimmed, leveled, faded) and appends the result to an
anonymous temporary file; each block of the mix then reads back only the frames it needs. Sound files
(SFX, beds, music) are converted into the same file block by block: read through libsndfile, resampled
by soxr's streaming filter, mixed to the episode's channels. Reading them back needs no mapping, so the
process's resident memory never holds more than the blocks in flight.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import numpy as np

from radioplay.errors import InputError, RuntimeFailure

SOUND_BLOCK_FRAMES = 1 << 16
"""Frames of a sound file read at a time."""


class Scratch:
    """float32 arrays appended to one temporary file (deleted when closed) and read back by range."""

    def __init__(self, folder: str | os.PathLike | None = None):
        self._file = tempfile.TemporaryFile(prefix="radioplay-clips-", dir=folder)
        self._end = 0
        self._sounds: dict[tuple[str, int, int, float], Spilled] = {}

    def close(self) -> None:
        self._file.close()

    def put(self, samples: np.ndarray) -> "Spilled":
        """Keep `samples` ((n,) or (n, channels)) here; the returned Spilled reads them back."""
        spilled = Spilled(self, self._end, np.shape(samples))
        self._append(samples)
        return spilled

    def _append(self, samples: np.ndarray) -> None:
        data = memoryview(np.ascontiguousarray(samples, dtype=np.float32)).cast("B")
        written = 0
        try:
            while written < len(data):
                written += os.pwrite(self._file.fileno(), data[written:], self._end + written)
        except OSError as exc:
            raise RuntimeFailure(f"cannot keep the mix's clips in a temporary file under "
                                 f"{tempfile.gettempdir()}: {exc.strerror or exc}; free some space there "
                                 "or point TMPDIR elsewhere") from exc
        self._end += len(data)

    def read(self, offset: int, count: int) -> np.ndarray:
        """`count` float32 values from byte `offset`."""
        want = count * 4
        raw = os.pread(self._file.fileno(), want, offset)
        while len(raw) < want:  # a short read: ask for the rest
            more = os.pread(self._file.fileno(), want - len(raw), offset + len(raw))
            if not more:
                raise RuntimeFailure("the mix's temporary clip file was cut short")
            raw += more
        return np.frombuffer(raw, dtype=np.float32).copy()

    def sound(self, path: str | os.PathLike, sample_rate: int, channels: int, gain: float = 1.0) -> "Spilled":
        """The sound file at `path` as float32 (n, channels) at `sample_rate`, times `gain`, converted
        block by block into this file (once per file, rate, layout and gain)."""
        key = (str(Path(path).resolve()), sample_rate, channels, float(gain))
        found = self._sounds.get(key)
        if found is None:
            start = self._end
            frames = 0
            for block in sound_blocks(path, sample_rate, channels):
                if gain != 1.0:
                    block *= np.float32(gain)
                self._append(block)
                frames += len(block)
            found = self._sounds[key] = Spilled(self, start, (frames, channels))
        return found


class Spilled:
    """An array kept in a Scratch: its shape is known, its frames are read when sliced."""

    __slots__ = ("scratch", "offset", "shape")

    def __init__(self, scratch: Scratch, offset: int, shape: tuple[int, ...]):
        self.scratch, self.offset, self.shape = scratch, offset, tuple(shape)

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape))

    def __len__(self) -> int:
        return self.shape[0]

    def __getitem__(self, frames: slice) -> np.ndarray:
        if not isinstance(frames, slice) or frames.step not in (None, 1):
            raise TypeError("a spilled clip is read by a plain slice of frames")
        start, stop, _ = frames.indices(self.shape[0])
        stop = max(start, stop)
        row = int(np.prod(self.shape[1:], dtype=np.int64))
        out = self.scratch.read(self.offset + start * row * 4, (stop - start) * row)
        return out.reshape((stop - start,) + self.shape[1:])


def _open_sound(path: str | os.PathLike):
    import soundfile

    try:
        return soundfile.SoundFile(str(path))
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise InputError(f"{path}: cannot read sound file: {exc}") from exc


def sound_blocks(path: str | os.PathLike, sample_rate: int, channels: int, size: int = SOUND_BLOCK_FRAMES):
    """The sound file at `path` as consecutive float32 (m, channels) blocks at `sample_rate`.

    A mono file is placed in the centre (constant power, like a voice at pan 0); a stereo file is kept
    as is, or averaged for a mono mix. Other channel counts are refused. A file at another rate goes
    through soxr's streaming high-quality filter, so no block holds more than `size` frames of input."""
    from radioplay.mix.dsp import pan_gains

    with _open_sound(path) as f:
        rate, have = f.samplerate, f.channels
        if have not in (1, 2):
            raise InputError(f"{path}: {have} channels; radioplay mixes mono and stereo sound files")
        stream = None
        if rate != sample_rate:
            import soxr

            stream = soxr.ResampleStream(rate, sample_rate, have, dtype="float32", quality="HQ")
        while True:
            try:
                block = f.read(size, dtype="float32", always_2d=True)
            except (RuntimeError, OSError) as exc:
                raise InputError(f"{path}: cannot read sound file: {exc}") from exc
            last = len(block) < size
            if stream is not None:
                block = stream.resample_chunk(np.ascontiguousarray(block), last=last)
            if len(block):
                if have == channels:
                    yield np.array(block, dtype=np.float32)
                elif have == 1:
                    yield (block * pan_gains(0.0, channels)[np.newaxis, :]).astype(np.float32)
                else:
                    yield block.mean(axis=1, keepdims=True, dtype=np.float32)
            if last:
                return
