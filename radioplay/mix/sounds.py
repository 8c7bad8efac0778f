"""Sound files (SFX, music, room tone): found relative to the file that names them (the script,
or the cast file for beds), never outside its folder."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from radioplay.errors import InputError


def resolve_sound(name: str | os.PathLike, base_dir: str | os.PathLike,
                  folder: str = "the script's folder") -> Path:
    """The file `name` inside `base_dir`, which the messages call `folder`.

    A name that escapes the folder (`../x.wav`, an absolute path elsewhere, a symlink that points
    out) raises InputError with the same message whether or not that file exists; a missing
    file inside the folder raises InputError too.
    """
    raw = str(name).strip()
    if not raw:
        raise InputError("empty sound file name")
    base = Path(base_dir).resolve()
    candidate = Path(raw).expanduser()
    if not candidate.is_absolute():
        candidate = base / candidate
    resolved = candidate.resolve()
    if not resolved.is_relative_to(base):
        raise InputError(f"{raw}: is outside {folder} {base}; copy it into that folder")
    if not resolved.exists():
        raise InputError(f"{resolved}: no such file")
    if not resolved.is_file():
        raise InputError(f"{resolved}: is not a file")
    return resolved


def check_sound(path: str | os.PathLike, max_minutes: float | None = None) -> None:
    """Raise InputError unless libsndfile can open `path`, or when it lasts longer than `max_minutes`
    (reads the header only)."""
    import soundfile

    try:
        info = soundfile.info(str(path))
    except (soundfile.LibsndfileError, RuntimeError, OSError) as exc:
        raise InputError(f"{path}: cannot read sound file: {exc}") from None
    minutes = info.frames / max(info.samplerate, 1) / 60.0
    if max_minutes is not None and minutes > max_minutes:
        raise InputError(f"{path}: sound file is {minutes:.1f} min long, longer than the limit of "
                         f"{max_minutes:g} min; raise it with --max-sound-minutes")


def read_sound(path: str | os.PathLike, sample_rate: int, channels: int) -> np.ndarray:
    """Read a sound file as float32 (n, channels) at `sample_rate`, whole (the mixer reads files in
    blocks instead: radioplay.mix.scratch.sound_blocks, whose blocks these are).

    A mono file is placed in the centre (constant power, like a voice at pan 0); a stereo file
    is kept as is, or averaged for a mono mix. Other channel counts are refused.
    """
    from radioplay.mix.scratch import sound_blocks

    blocks = list(sound_blocks(path, sample_rate, channels))
    return np.concatenate(blocks) if blocks else np.zeros((0, channels), dtype=np.float32)
