"""One aligned WAV per character, for re-mixing in a DAW."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Mapping

import numpy as np

from radioplay.errors import ExportError
from radioplay.io import atomic_path

_UNSAFE = re.compile(r'[\x00-\x1f/\\:*?"<>|]')


def stem_filename(name: str) -> str:
    """`<Name>.wav`, with characters that no file system accepts replaced by "_"."""
    safe = _UNSAFE.sub("_", name).strip(" .")
    return f"{safe or '_'}.wav"


def write_stems(directory: str | os.PathLike, stems: Mapping[str, np.ndarray], rate: int) -> list[Path]:
    """Write `<directory>/<Name>.wav` for each stem (see `write_stem`), each atomically.
    Stems must all have the same length."""
    folder = Path(directory)
    written = []
    for name, filename in stem_filenames(folder, stems).items():
        with atomic_path(folder / filename) as tmp:
            write_stem(tmp, stems[name], rate)
        written.append(folder / filename)
    return written


def stem_filenames(folder: Path, stems: Mapping[str, np.ndarray]) -> dict[str, str]:
    """Each stem's file name in `folder`; ExportError when two would share one, when the stems are
    not aligned, or when `folder` is a file."""
    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: is a file; --stems needs a folder")
    names = {name: stem_filename(name) for name in stems}
    clashes = [f for f in set(names.values()) if list(names.values()).count(f) > 1]
    if clashes:
        raise ExportError(f"{folder}: two characters would share the stem file {sorted(clashes)[0]}")
    from radioplay.stream import frames_of

    lengths = {frames_of(s) for s in stems.values()}
    if len(lengths) > 1:
        raise ExportError(f"{folder}: stems differ in length ({sorted(lengths)} frames); they must be aligned")
    return names


def write_stem(path: Path, samples, rate: int) -> None:
    """A 32-bit float WAV, so the stems sum back to the pre-master mix exactly (a 16-bit stem would
    be off by up to 1.5e-5 per stem). `samples` is an array or a radioplay.stream.Source, written
    block by block."""
    import soundfile

    from radioplay.stream import as_source, pull

    source = as_source(samples)
    with soundfile.SoundFile(path, "w", rate, source.channels, subtype="FLOAT", format="WAV") as f:
        for block in pull(source):
            f.write(block)
