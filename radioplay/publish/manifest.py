"""radioplay's records beside what it publishes, and the lock that guards them.

- The up-to-date manifest (`.EPISODE.radioplay.json` beside the episode): the render key and the
  sha256 of every file of the published set, so an unchanged render can say "up to date".
- The stems manifest (`.radioplay-stems.json` in a --stems folder): the files radioplay wrote
  there, so a file it did not write is never overwritten.

Both are read defensively: a missing, unreadable or wrongly shaped record counts as "nothing known".
"""

from __future__ import annotations

import contextlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Mapping

from radioplay.errors import ExportError
from radioplay.io import check_writable, sha256_file, write_text_atomic
from radioplay.publish.outputs import STEMS_LOCK, STEMS_MANIFEST, OutputConflictError, OutputSet

LOCK_TIMEOUT_S = 600.0
"""How long a render waits for another one publishing to the same output."""


@contextlib.contextmanager
def output_lock(outputs: OutputSet) -> Iterator[None]:
    """Hold the output's lock (and the stems folder's), in a fixed order."""
    from filelock import FileLock, Timeout

    paths = [outputs.lock] + ([outputs.stems_dir / STEMS_LOCK] if outputs.stems_dir else [])
    with contextlib.ExitStack() as held:
        for path in paths:
            check_writable(path)
            try:
                held.enter_context(FileLock(str(path), timeout=LOCK_TIMEOUT_S))
            except Timeout:
                raise ExportError(f"{path}: another render has been publishing to this output for "
                                  f"{LOCK_TIMEOUT_S:.0f} s; try again when it has finished") from None
        yield


SCHEMA = 1
REPORT_NUMBERS = ("audio_seconds", "loudness", "true_peak")
"""What the up-to-date path prints from the recorded report; a record without them is not used."""


@dataclass(frozen=True)
class UpToDateManifest:
    key: str
    outputs: dict[str, str]
    """Resolved path -> sha256 of each published file (the report excepted)."""
    report: dict


def read_up_to_date(path: Path) -> UpToDateManifest | None:
    """The manifest at `path`, or None when there is none or it is not one radioplay wrote."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    key, outputs, report = data.get("key"), data.get("outputs"), data.get("report")
    if not isinstance(key, str) or not isinstance(outputs, dict) or not isinstance(report, dict):
        return None
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in outputs.items()):
        return None
    if not all(isinstance(report.get(k), (int, float)) and not isinstance(report.get(k), bool)
               for k in REPORT_NUMBERS):
        return None
    return UpToDateManifest(key, dict(outputs), report)


def up_to_date_report(outputs: OutputSet, key: str) -> dict | None:
    """The recorded report when the last render to these outputs had this key and every file it
    published (the episode and sidecars at least) is still there, unchanged."""
    with output_lock(outputs):
        manifest = read_up_to_date(outputs.manifest)
        if manifest is None or manifest.key != key:
            return None
        required = {resolved(p) for p in (outputs.episode, *outputs.sidecars, outputs.timeline) if p}
        if not required <= set(manifest.outputs):
            return None
        for name, digest in manifest.outputs.items():
            path = Path(name)
            if not path.is_file() or sha256_file(path) != digest:
                return None
        return manifest.report


def write_up_to_date(outputs: OutputSet, key: str, digests: Mapping[Path, str], report: dict) -> None:
    files = {resolved(path): digest for path, digest in digests.items()}
    write_text_atomic(outputs.manifest, json.dumps({"schema": SCHEMA, "key": key, "outputs": files,
                                                    "report": report}))


def resolved(path: Path) -> str:
    return str(Path(path).resolve())


@dataclass
class StemsManifest:
    """The files radioplay owns in a stems folder: name -> records of the versions it wrote."""

    folder: Path
    files: dict[str, list[dict]] = field(default_factory=dict)

    @classmethod
    def read(cls, folder: Path) -> "StemsManifest":
        try:
            data = json.loads((Path(folder) / STEMS_MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return cls(Path(folder))
        entries = data.get("files") if isinstance(data, dict) else None
        files: dict[str, list[dict]] = {}
        for name, records in (entries.items() if isinstance(entries, dict) else ()):
            if isinstance(name, str) and isinstance(records, list):
                files[name] = [r for r in records if isinstance(r, dict)]
        return cls(Path(folder), files)

    def owns(self, name: str) -> bool:
        """True when `folder/name` does not exist, or is a version radioplay wrote: the same size
        and modification time as recorded, or the same sha256 (a copy of the folder)."""
        path = self.folder / name
        try:
            st = path.stat()
        except FileNotFoundError:
            return True
        except OSError:
            return False
        records = self.files.get(name, [])
        if any(r.get("size") == st.st_size and r.get("mtime_ns") == st.st_mtime_ns for r in records):
            return True
        sized = [r for r in records if r.get("size") == st.st_size]
        return bool(sized) and path.is_file() and sha256_file(path) in {r.get("sha256") for r in sized}

    def check_owned(self, names: Iterable[str]) -> None:
        for name in names:
            if not self.owns(name):
                raise OutputConflictError(
                    f"{self.folder / name}: --stems would overwrite a file radioplay did not write "
                    f"(or that was changed since); move it away or choose another --stems folder")

    def own(self, name: str, digest: str, size: int, mtime_ns: int | None = None) -> None:
        """Record a version of `name` that radioplay wrote. Without `mtime_ns` (before the rename),
        the versions owned so far stay owned too: a crash between this record and the rename still
        finds every file there owned."""
        kept = self.files.get(name, []) if mtime_ns is None else []
        entry = {"sha256": digest, "size": size}
        if mtime_ns is not None:
            entry["mtime_ns"] = mtime_ns
        self.files[name] = kept + [entry]

    def write(self) -> None:
        write_text_atomic(self.folder / STEMS_MANIFEST,
                          json.dumps({"schema": SCHEMA, "files": self.files}, indent=1, sort_keys=True))

