"""Digests of model and voice files, remembered on disk so a 90 MB model is hashed once.

The index is one small JSON file in the store root, keyed by the file's resolved path and
valid while the file's size and mtime (in nanoseconds) are unchanged. It is rewritten
atomically under a file lock, merging what other processes wrote meanwhile, so two renders
starting together never lose each other's entries.
"""

from __future__ import annotations

import contextlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from radioplay.errors import CacheError
from radioplay.io import sha256_file as io_sha256_file

INDEX_NAME = "file-digests.json"
INDEX_VERSION = 1
LOCK_TIMEOUT_S = 10.0


@dataclass(frozen=True)
class FileStamp:
    """What must be unchanged for a remembered digest to still hold."""

    path: str
    """Resolved absolute path."""
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, path: str | os.PathLike) -> "FileStamp":
        resolved = Path(path).expanduser().resolve()
        try:
            st = resolved.stat()
        except OSError as exc:
            raise CacheError(f"{path}: cannot hash model file: {exc.strerror or exc}") from exc
        if not resolved.is_file():
            raise CacheError(f"{path}: cannot hash model file: not a regular file")
        return cls(str(resolved), st.st_size, st.st_mtime_ns)


def sha256_file(path: str | os.PathLike) -> str:
    """The hex sha256 of a model file; CacheError when it cannot be read."""
    try:
        return io_sha256_file(path)
    except OSError as exc:
        raise CacheError(f"{path}: cannot hash model file: {exc.strerror or exc}") from exc


class FileDigestIndex:
    """sha256 of files, computed once per (path, size, mtime) and kept in `root/file-digests.json`.

    `hashes` counts the files this instance actually read, so callers and tests can see the
    index at work.
    """

    def __init__(self, root: Path):
        self.path = Path(root) / INDEX_NAME
        self._memory: dict[FileStamp, str] = {}
        self._loaded = False
        self.hashes = 0

    def digest(self, path: str | os.PathLike) -> str:
        stamp = FileStamp.of(path)
        if stamp in self._memory:
            return self._memory[stamp]
        if not self._loaded:
            self._memory.update(self._read_index())
            self._loaded = True
            if stamp in self._memory:
                return self._memory[stamp]
        value = sha256_file(stamp.path)
        self.hashes += 1
        after = FileStamp.of(stamp.path)
        if after != stamp:
            # The file changed while we read it: use the digest, but don't remember it.
            return value
        self._memory[stamp] = value
        self._remember(stamp, value)
        return value

    def forget_missing(self) -> int:
        """Drop entries whose file is gone or changed; returns how many were dropped."""
        if not self.path.exists():
            return 0
        try:
            with FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S):
                entries = self._read_index()
                kept = {s: d for s, d in entries.items() if _still_matches(s)}
                if len(kept) != len(entries):
                    self._write_index(kept)
        except (Timeout, OSError):
            return 0
        self._memory = {s: d for s, d in self._memory.items() if s in kept}
        return len(entries) - len(kept)

    def _read_index(self) -> dict[FileStamp, str]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # missing or damaged: it is only a speed-up, rebuild it
        if not isinstance(data, dict) or data.get("version") != INDEX_VERSION:
            return {}
        entries: dict[FileStamp, str] = {}
        for item in data.get("files", []):
            try:
                stamp = FileStamp(str(item["path"]), int(item["size"]), int(item["mtime_ns"]))
                entries[stamp] = str(item["sha256"])
            except (KeyError, TypeError, ValueError):
                continue
        return entries

    def _remember(self, stamp: FileStamp, value: str) -> None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S):
                entries = self._read_index()
                # One entry per path: a stale stamp of the same file is replaced, not kept.
                entries = {s: d for s, d in entries.items() if s.path != stamp.path}
                entries[stamp] = value
                self._write_index(entries)
        except (Timeout, OSError):
            pass  # a read-only or busy store still works; the file is hashed again next run

    def _write_index(self, entries: dict[FileStamp, str]) -> None:
        payload = {
            "version": INDEX_VERSION,
            "files": [{"path": s.path, "size": s.size, "mtime_ns": s.mtime_ns, "sha256": d}
                      for s, d in sorted(entries.items(), key=lambda item: item[0].path)],
        }
        fd, tmp = tempfile.mkstemp(prefix=".file-digests.", suffix=".partial", dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                json.dump(payload, f, indent=1)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def _still_matches(stamp: FileStamp) -> bool:
    try:
        st = os.stat(stamp.path)
    except OSError:
        return False
    return st.st_size == stamp.size and st.st_mtime_ns == stamp.mtime_ns
