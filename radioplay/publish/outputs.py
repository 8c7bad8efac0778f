"""Which files a render reads and which it writes, checked against each other before any work.

A render writes the episode, its `.vtt`, `.srt` and `.chapters.json`, and optionally a report, a
timeline and a folder of stems, plus radioplay's own records (the up-to-date manifest, the stems
manifest and lock files). None of them may be a file the render reads (the script, the cast and
directions files, the sound files and cover they name, engine files), nor another of them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Mapping

from radioplay.errors import InputError
from radioplay.io import check_writable
from radioplay.model import Script

if TYPE_CHECKING:
    from radioplay.mix import Beds
    from radioplay.voice.cast import CastConfig

SIDECAR_SUFFIXES = {".vtt": "the transcript (.vtt)", ".srt": "the captions (.srt)",
                    ".chapters.json": "the chapters (.chapters.json)"}
STEMS_MANIFEST = ".radioplay-stems.json"
"""In a --stems folder: the files radioplay wrote there, so it never overwrites anyone else's."""
STEMS_LOCK = ".radioplay-stems.lock"


class OutputConflictError(InputError):
    """An output that would overwrite an input or another output."""


@dataclass(frozen=True)
class OutputSet:
    """Every file one render may write, each with what it is (for messages)."""

    episode: Path
    report: Path | None = None
    timeline: Path | None = None
    stems_dir: Path | None = None
    stem_names: tuple[str, ...] = ()
    """Stem file names expected in `stems_dir` (the mix may add none beyond these)."""

    @property
    def sidecars(self) -> dict[Path, str]:
        return {sidecar_path(self.episode, suffix): role for suffix, role in SIDECAR_SUFFIXES.items()}

    @property
    def manifest(self) -> Path:
        """The up-to-date manifest: hidden, beside the episode."""
        return self.episode.parent / f".{self.episode.name}.radioplay.json"

    @property
    def lock(self) -> Path:
        """One lock for every episode that shares these sidecars (ep.mp3 and ep.wav both write ep.vtt)."""
        return self.episode.parent / f".{self.episode.stem}.radioplay.lock"

    def stems_manifest(self) -> Path | None:
        return self.stems_dir / STEMS_MANIFEST if self.stems_dir else None

    def files(self) -> list[tuple[Path, str]]:
        """Every output file, radioplay's own records included, with its role (a list: two
        outputs given the same name must both be seen)."""
        roles = [(self.episode, "the episode (-o)"), *self.sidecars.items()]
        if self.report:
            roles.append((self.report, "--report"))
        if self.timeline:
            roles.append((self.timeline, "--timeline"))
        if self.stems_dir:
            roles += [(self.stems_dir / name, f"the stem {name} (--stems)") for name in self.stem_names]
            roles += [(self.stems_dir / STEMS_MANIFEST, "radioplay's stems manifest"),
                      (self.stems_dir / STEMS_LOCK, "radioplay's stems lock")]
        roles += [(self.manifest, "radioplay's up-to-date manifest"), (self.lock, "radioplay's output lock")]
        return roles


def sidecar_path(episode: Path, suffix: str) -> Path:
    return episode.with_suffix(suffix)


def plan_outputs(episode: Path, script: Script, beds: Beds, report: Path | None = None,
                 timeline: Path | None = None, stems: Path | None = None) -> OutputSet:
    """The outputs of rendering `script` to `episode`; the stem names are the mix's (one per
    speaker, `_sfx` when a direction plays a sound, `_beds` when `beds` play)."""
    stem_names: tuple[str, ...] = ()
    if stems is not None:
        from radioplay.mix import sfx_file
        from radioplay.mix.mixer import BEDS_STEM, SFX_STEM
        from radioplay.publish.stems import stem_filename

        names = list(script.speakers())
        if any(sfx_file(cue) for cue in script.cues):
            names.append(SFX_STEM)
        if beds.enabled:
            names.append(BEDS_STEM)
        stem_names = tuple(dict.fromkeys(stem_filename(n) for n in names))
    return OutputSet(Path(episode), report and Path(report), timeline and Path(timeline),
                     stems and Path(stems), stem_names)


def input_files(script: Script, config: CastConfig, sfx: Mapping[str, Path], cast: Path | None = None,
                directions: Path | None = None) -> dict[Path, str]:
    """Every file a render of `script` reads, with its role: the script, cast and directions
    files, the built-in defaults, the sound files the script plays (`sfx`: name -> file), the
    production's files (cover, intro, outro, room tone) and the engine files the cast names."""
    from radioplay.voice.cast import default_cast_path

    roles: dict[Path, str] = {Path(script.path): "the script"}
    if cast is not None:
        roles[Path(cast)] = "the cast file"
    if directions is not None:
        roles[Path(directions)] = "the directions file"
    roles[default_cast_path()] = "radioplay's built-in cast defaults"
    for name, path in sfx.items():
        roles[Path(path)] = f"the sound file {name} the script plays"
    production = config.production
    files = set(production.sound_files())  # the room tone's "pink" is no file
    for key, name in (("cover", production.tags.cover), ("intro", production.beds.intro),
                      ("outro", production.beds.outro), ("room_tone", production.beds.room_tone)):
        if name and Path(name) in files:
            roles[Path(name)] = f"the [production] {key} file"
    # engine files: the cast resolves every path it is given, so a value with a slash is a file
    for speaker, spec in config.casting.characters.items():
        for key, value in spec.options:
            if isinstance(value, (str, os.PathLike)) and os.sep in str(value):
                roles[Path(value)] = f"{speaker}'s {key}"
        if os.sep in spec.voice:
            roles[Path(spec.voice)] = f"{speaker}'s voice file"
    return roles


def check_outputs(outputs: OutputSet, inputs: dict[Path, str]) -> None:
    """Refuse, before any work, an output that is an input or another output (the same file by its
    resolved real path, or by inode for files that exist: hard links), a stems file radioplay did
    not write, and an output that cannot be written."""
    files = outputs.files()
    seen: dict[object, tuple[Path, str]] = {}
    for path, role in inputs.items():
        seen.setdefault(file_identity(path), (path, role))
    input_ids = set(seen)
    folder = [(outputs.stems_dir, "the --stems folder")] if outputs.stems_dir else []
    for path, role in files + folder:
        identity = file_identity(path)
        if identity in seen:
            other, other_role = seen[identity]
            if identity in input_ids:
                named = "" if str(other) == str(path) else f" ({other})"
                raise OutputConflictError(f"{path}: {role} would overwrite {other_role}{named}; "
                                          "choose another output name")
            raise OutputConflictError(f"{path}: {role} and {other_role} are the same file; "
                                      "give each its own name")
        seen[identity] = (path, role)
    if outputs.stems_dir is not None:
        if outputs.stems_dir.exists() and not outputs.stems_dir.is_dir():
            raise OutputConflictError(f"{outputs.stems_dir}: is a file; --stems needs a folder")
    for path, _ in files:
        if path.parent != outputs.stems_dir:  # the stems folder is made when its stems are written
            check_writable(path)


def file_identity(path: Path) -> object:
    """What makes two paths the same file: device and inode when it exists (hard links, `./x` and
    `x`, symlinks), else the resolved real path (a file two outputs would both create)."""
    real = os.path.realpath(path)
    try:
        st = os.stat(real)
    except OSError:
        return ("path", real)
    return ("inode", st.st_dev, st.st_ino)
