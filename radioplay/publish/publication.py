"""The published set as one set: every file written under a temporary name, then all renamed into
place together under a lock on the output, the manifests last.

    with Publication(outputs) as publication:
        write_audio(publication.path(outputs.episode), ...)
        publication.write_text(outputs.episode.with_suffix(".vtt"), vtt)
        published = publication.commit(key, report)

A failure before `commit` removes every temporary and leaves the previous set as it was. Two
renders to one output take turns; each removes what a killed render left behind (its own
temporaries only, by name and writer's pid).
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Iterator, Mapping

import numpy as np

from radioplay.errors import failure
from radioplay.io import check_writable, finish_partial, new_partial, remove_stale_partials, sha256_file
from radioplay.publish.manifest import StemsManifest, output_lock, write_up_to_date
from radioplay.publish.outputs import OutputSet, check_outputs, input_files, plan_outputs

def checked_outputs(episode: Path, script, config, sfx: Mapping[str, Path], options) -> OutputSet:
    """The outputs of a render with `options` (a RenderOptions: report, timeline, stems, cast,
    directions), refused with OutputConflictError when one would overwrite an input or another, or
    a file in the stems folder that radioplay did not write."""
    outputs = plan_outputs(episode, script, config.production.beds, report=options.report,
                           timeline=options.timeline, stems=options.stems)
    check_outputs(outputs, input_files(script, config, sfx, cast=options.cast, directions=options.directions))
    if outputs.stems_dir is not None:
        StemsManifest.read(outputs.stems_dir).check_owned(outputs.stem_names)
    return outputs


class Publication:
    """Files staged beside their destinations, published together by `commit`."""

    def __init__(self, outputs: OutputSet):
        self.outputs = outputs
        self._staged: dict[Path, Path] = {}  # destination -> temporary
        self._stems: list[Path] = []  # the staged destinations that are stems
        self._held: contextlib.ExitStack | None = None

    def __enter__(self) -> "Publication":
        self._held = contextlib.ExitStack()
        self._held.enter_context(output_lock(self.outputs))
        for path, _ in self.outputs.files():
            remove_stale_partials(path)
        return self

    def __exit__(self, *exc) -> None:
        try:
            self.discard()
        finally:
            self._held.close()

    def path(self, dest: str | os.PathLike) -> Path:
        """A temporary beside `dest` to write `dest`'s new content into."""
        dest = Path(dest)
        if dest in self._staged:
            return self._staged[dest]
        check_writable(dest)
        try:
            tmp = new_partial(dest)
        except OSError as exc:
            raise failure(exc, dest) from exc
        self._staged[dest] = tmp
        return tmp

    @contextlib.contextmanager
    def writing(self, dest: str | os.PathLike, doing: str = "write") -> Iterator[Path]:
        """The temporary for `dest`; a disk or encoder failure while writing it is one RuntimeFailure
        that names `dest`, the file the user asked for, and not the temporary."""
        from mutagen import MutagenError

        tmp = self.path(dest)
        try:
            yield tmp
        except (OSError, RuntimeError, MutagenError) as exc:  # libsndfile and LAME raise RuntimeError
            raise failure(exc, dest, doing) from exc

    def write_text(self, dest: str | os.PathLike, text: str) -> None:
        with self.writing(dest) as tmp:
            tmp.write_text(text, encoding="utf-8")

    def write_stems(self, stems: Mapping[str, np.ndarray], rate: int) -> None:
        from radioplay.publish.stems import stem_filenames, write_stem

        folder = self.outputs.stems_dir
        for name, filename in stem_filenames(folder, stems).items():
            with self.writing(folder / filename) as tmp:
                write_stem(tmp, stems[name], rate)
            self._stems.append(folder / filename)

    def commit(self, key: str, report: dict | None = None) -> list[Path]:
        """Publish every staged file, the report too, then the manifests; return the published
        paths, the episode first."""
        outputs = self.outputs
        if report is not None and outputs.report:
            self.write_text(outputs.report, json.dumps(report, indent=2) + "\n")
        stems = {dest: self._staged[dest] for dest in self._stems}
        try:
            digests = {}
            for dest, tmp in self._staged.items():
                finish_partial(tmp)
                if dest != outputs.report:
                    digests[dest] = sha256_file(tmp)
            if stems:
                owned = StemsManifest.read(outputs.stems_dir)
                owned.check_owned(dest.name for dest in stems)  # again: a file may have appeared since
                for dest, tmp in stems.items():
                    owned.own(dest.name, digests[dest], tmp.stat().st_size)
                owned.write()
            # no manifest while the set is half renamed: a crash now means "render again"
            with contextlib.suppress(FileNotFoundError):
                outputs.manifest.unlink()
            order = sorted(self._staged, key=lambda dest: dest == outputs.episode)  # the episode last
            for dest in order:
                try:
                    os.replace(self._staged[dest], dest)
                except OSError as exc:  # named by the file the user asked for, not the temporary
                    raise failure(exc, dest, "publish") from exc
            published, self._staged = order, {}
            if stems:
                for dest in stems:
                    st = dest.stat()
                    owned.own(dest.name, digests[dest], st.st_size, st.st_mtime_ns)
                owned.write()
            write_up_to_date(outputs, key, digests, report or {})
        except OSError as exc:
            raise failure(exc, getattr(exc, "filename", None) or outputs.episode, "publish") from exc
        return [published[-1]] + published[:-1]

    def discard(self) -> None:
        for tmp in self._staged.values():
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()
        self._staged = {}
