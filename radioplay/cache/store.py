"""The take store: voiced takes kept under a key made from everything that decides their samples.

Layout under the root (sharded by the first two hex digits of the key):

    root/ab/abcdef….npz        one take: an uncompressed zip (numpy's .npz layout) holding
                               samples.npy (float32, bit-exact) and meta.json
    root/ab/.abcdef….partial   a take being written (renamed into place when complete)
    root/file-digests.json     sha256 of model files by (path, size, mtime_ns)

A take is one file written to a temporary name, fsynced and renamed, so a reader sees either the
whole take or none, two writers of the same key both succeed, and a killed writer leaves only a
`.partial` file that `prune()` removes. Each read checks the zip CRCs and a sha256 of the samples;
a damaged take is reported (`TakeStore.problems`, the `on_problem` callback, the log) and deleted,
so the caller synthesizes it again.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import logging
import os
import re
import tempfile
import time
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np

from radioplay.cache.digests import FileDigestIndex
from radioplay.errors import CacheError, CacheFailure, failure
from radioplay.model import Audio, TakeRequest
from radioplay.values import Rule

STORE_FORMAT = 1
"""Part of every key: bump it when the stored bytes or the key recipe change."""
ENV_VAR = "RADIOPLAY_CACHE"
TAKE_SUFFIX = ".npz"
PARTIAL_SUFFIX = ".partial"
PARTIAL_MAX_AGE_S = 3600.0
"""A `.partial` file older than this belongs to a writer that died; younger ones may be live."""
SAMPLES_MEMBER = "samples.npy"
META_MEMBER = "meta.json"
RESERVED_META = ("key", "sha256", "sample_rate", "samples", "created", "format")
"""Record fields the store writes itself; a caller's values for them are replaced."""

_KEY_RE = re.compile(r"[0-9a-f]{64}")
_SHARD_RE = re.compile(r"[0-9a-f]{2}")
_SIZE_RE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kmgtp]?)(i?)(b?)\s*", re.IGNORECASE)
_LOG = logging.getLogger("radioplay.cache")


def default_cache_dir(explicit: str | os.PathLike | None = None) -> Path:
    """Where takes are kept: `explicit` (`--cache DIR`), else $RADIOPLAY_CACHE, else the
    per-user cache folder (e.g. ~/.cache/radioplay/takes), so separate scripts share takes."""
    if explicit is not None and str(explicit) != "":
        return Path(explicit).expanduser()
    env = os.environ.get(ENV_VAR, "").strip()
    if env:
        return Path(env).expanduser()
    from platformdirs import user_cache_dir  # only needed for the fallback

    return Path(user_cache_dir("radioplay")) / "takes"


def take_key(request: TakeRequest, engine_version: str, file_digests: Sequence[str]) -> str:
    """The content address of a take: sha256 of canonical JSON over the request's identity (text,
    voice, speed, pitch, options, seed), the engine's name and version, the digests of its model
    and voice files (in the engine's order) and the store format. The take's position in the
    script and every mix setting stay out, so moving a line or re-mixing re-voices nothing."""
    recipe = {
        "format": STORE_FORMAT,
        "take": request.identity(),
        "engine": {"name": request.spec.engine, "version": str(engine_version)},
        "files": [str(d) for d in file_digests],
    }
    canonical = json.dumps(recipe, sort_keys=True, separators=(",", ":"), ensure_ascii=False,
                           allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def samples_sha256(samples: np.ndarray) -> str:
    """sha256 of the samples as little-endian float32 bytes: the checksum kept with each take."""
    return hashlib.sha256(np.ascontiguousarray(samples, dtype="<f4").tobytes()).hexdigest()


_SIZE_UNITS = {"": 0, "k": 1, "m": 2, "g": 3, "t": 4, "p": 5}


def parse_size(text: str | int) -> int:
    """Bytes from a size such as "500M", "1.5G", "200MB", "64KiB" or "1000".

    As in GNU coreutils: a bare letter (K, M, G, T, P) or a KiB-style unit is a power of 1024,
    a KB-style unit is a power of 1000; a plain number is bytes. Case is ignored."""
    if isinstance(text, int) and not isinstance(text, bool):
        if text < 0:
            raise CacheError(f"invalid size {text!r}: must not be negative")
        return text
    match = _SIZE_RE.fullmatch(str(text))
    if not match:
        raise CacheError(f"invalid size {text!r} (use e.g. 500M, 2G, 750MB or 1GiB)")
    number, prefix, binary, byte = match.groups()
    prefix = prefix.lower()
    if binary and not prefix:
        raise CacheError(f"invalid size {text!r} (use e.g. 500M, 2G, 750MB or 1GiB)")
    base = 1000 if (prefix and byte and not binary) else 1024
    return int(round(float(number) * base ** _SIZE_UNITS[prefix]))


def format_size(n_bytes: int) -> str:
    """"1.5 MiB"-style text for reports (powers of 1024, matching `parse_size("1.5M")`)."""
    if abs(n_bytes) < 1024:
        return f"{int(n_bytes)} B"
    value = n_bytes / 1024
    for unit in ("KiB", "MiB", "GiB"):
        if abs(value) < 1024:
            return f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


@dataclass(frozen=True)
class CacheProblem:
    """A take that could not be used; it has been removed and will be synthesized again."""

    key: str
    path: Path
    reason: str

    def __str__(self) -> str:
        return f"damaged take {self.key[:12]} in {self.path}: {self.reason}; it will be synthesized again"


@dataclass(frozen=True)
class EntryInfo:
    key: str
    bytes: int
    last_used: float
    """Seconds since the epoch (the file's mtime; `get()` refreshes it)."""
    created: float | None
    """Seconds since the epoch, from the take's record (None when the record is unreadable)."""
    duration: float | None
    """Seconds of audio."""
    engine: str = ""
    voice: str = ""
    text: str = ""
    """The take's text, cut to a snippet."""

    def to_dict(self) -> dict:
        return {"key": self.key, "bytes": self.bytes, "last_used": _iso(self.last_used),
                "created": _iso(self.created), "duration": self.duration, "engine": self.engine,
                "voice": self.voice, "text": self.text}

    def summary(self) -> str:
        """One line for `cache info`: last use, length, voice, text."""
        length = f"{self.duration:5.1f} s" if self.duration is not None else "    ? s"
        voice = f"{self.engine}/{self.voice}" if self.engine else "?"
        return f"{_iso(self.last_used)}  {length}  {voice}  {self.text!r}"


@dataclass(frozen=True)
class StoreInfo:
    root: Path
    count: int
    total_bytes: int
    oldest: list[EntryInfo]
    """Least recently used first."""
    partial_files: int = 0
    """Unfinished writes (live, or left by a killed writer)."""
    partial_bytes: int = 0

    def to_dict(self) -> dict:
        """JSON-ready: sizes in bytes, times as ISO 8601 UTC."""
        return {"root": str(self.root), "count": self.count, "bytes": self.total_bytes,
                "partial_files": self.partial_files, "partial_bytes": self.partial_bytes,
                "oldest": [e.to_dict() for e in self.oldest]}


@dataclass(frozen=True)
class PruneResult:
    removed: int
    freed_bytes: int
    remaining: int
    remaining_bytes: int
    partial_removed: int = 0
    """Leftovers of killed writers (older than an hour)."""

    def to_dict(self) -> dict:
        return {"removed": self.removed, "freed_bytes": self.freed_bytes, "remaining": self.remaining,
                "remaining_bytes": self.remaining_bytes, "partial_removed": self.partial_removed}


@dataclass(frozen=True)
class _Entry:
    key: str
    path: Path
    bytes: int
    mtime: float


class _Damaged(Exception):
    pass


class StoredAudio:
    """A take's audio left in the store: its rate and length are known, its samples are read (and
    verified) each time they are asked for. What a render holds per take instead of its samples,
    so that its memory does not grow with the episode's length."""

    __slots__ = ("store", "key", "sample_rate", "frames")

    def __init__(self, store: "TakeStore", key: str, sample_rate: int, frames: int):
        self.store, self.key, self.sample_rate, self.frames = store, key, sample_rate, frames

    @property
    def samples(self) -> np.ndarray:
        audio = self.store.get(self.key)
        if audio is None:
            raise CacheFailure(f"{self.store.entry_path(self.key)}: the take vanished or was damaged during the "
                               "render; render again to voice it anew")
        return audio.samples

    @property
    def duration(self) -> float:
        return self.frames / self.sample_rate


class TakeStore:
    """Content-addressed takes under `root`. Constructing one touches nothing on disk; the
    folders are made by the first `put()`. Safe to share between processes and between
    concurrent renders: every write is a rename of a complete file."""

    def __init__(self, root: str | os.PathLike, *,
                 on_problem: Callable[[CacheProblem], None] | None = None):
        self.root = Path(root).expanduser()
        self.on_problem = on_problem
        self.problems: list[CacheProblem] = []
        """Damaged takes found by `get()` during this instance's life (each already removed)."""
        self._digests = FileDigestIndex(self.root)

    take_key = staticmethod(take_key)

    def check_writable(self) -> None:
        """Raise CacheError now, before any take is voiced, when takes could not be stored here."""
        if self.root.exists() and not self.root.is_dir():
            raise self._not_a_folder()
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise CacheError(f"{self.root}: cannot create the take store: {exc.strerror or exc}; "
                             "give another folder with --cache or $RADIOPLAY_CACHE") from None
        if not os.access(self.root, os.W_OK | os.X_OK):
            raise CacheError(f"{self.root}: the take store's folder is not writable; "
                             "give another folder with --cache or $RADIOPLAY_CACHE")

    def _not_a_folder(self) -> CacheError:
        return CacheError(f"{self.root}: the take store is not a folder; "
                          "give another folder with --cache or $RADIOPLAY_CACHE")

    def file_digest(self, path: str | os.PathLike) -> str:
        """sha256 of a model or voice file, hashed once per (resolved path, size, mtime_ns):
        remembered in memory and in `root/file-digests.json` for later runs."""
        return self._digests.digest(path)

    @property
    def files_hashed(self) -> int:
        """How many files this instance actually read to hash (the rest came from the index)."""
        return self._digests.hashes

    def entry_path(self, key: str) -> Path:
        _check_key(key)
        return self.root / key[:2] / f"{key}{TAKE_SUFFIX}"

    def has(self, key: str) -> bool:
        """Whether a take is stored under `key` (cheap: no read, no checksum; for planning)."""
        return self.entry_path(key).is_file()

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and _KEY_RE.fullmatch(key) is not None and self.has(key)

    def get(self, key: str) -> Audio | None:
        """The take stored under `key`, bit-exact, or None when there is none or it is damaged
        (then it is reported in `problems` and removed)."""
        found = self.get_with_record(key)
        return found[0] if found is not None else None

    def get_with_record(self, key: str) -> tuple[Audio, dict] | None:
        """`get`, with the take's metadata record (what `put` was given, plus the store's fields)."""
        path = self.entry_path(key)
        try:
            f = open(path, "rb")
        except FileNotFoundError:
            return None
        except OSError as exc:
            self._report(key, path, f"cannot read: {exc.strerror or exc}")
            return None
        with f:
            stat = os.fstat(f.fileno())
            try:
                audio, record = _read_take(f, key)
            except _Damaged as exc:
                self._report(key, path, str(exc))
                self._discard(path, stat)
                return None
        with contextlib.suppress(OSError):
            os.utime(path)  # mark as recently used, for prune's LRU order
        return audio, record

    def stored(self, key: str, audio: Audio) -> StoredAudio:
        """A handle on the take stored under `key` (whose samples are `audio`'s), to hold instead of them."""
        return StoredAudio(self, key, int(audio.sample_rate), len(audio.samples))

    def record(self, key: str) -> dict | None:
        """The take's metadata record (engine, voice, text, check...), without reading or checking
        its samples; None when there is no take or its record is unreadable."""
        try:
            with open(self.entry_path(key), "rb") as f, zipfile.ZipFile(f) as zf:
                record = json.loads(zf.read(META_MEMBER).decode("utf-8"))
        except (OSError, zipfile.BadZipFile, KeyError, ValueError, zlib.error):
            return None
        return record if isinstance(record, dict) and record.get("key") == key else None

    def put(self, key: str, audio: Audio, meta: Mapping[str, object] | None = None) -> None:
        """Store `audio` under `key` with a metadata record (callers pass engine, voice, text...).

        The take is written to a temporary file beside its final place, fsynced and renamed, so
        get() never sees part of it; when two processes put the same key, both succeed and one
        complete take remains."""
        path = self.entry_path(key)
        samples = np.ascontiguousarray(audio.samples, dtype="<f4")
        if samples.ndim != 1:
            raise ValueError(f"a take is mono: expected samples of shape (n,), got {samples.shape}")
        if int(audio.sample_rate) <= 0:
            raise ValueError(f"invalid sample rate {audio.sample_rate!r}")
        record = {k: v for k, v in (meta or {}).items() if k not in RESERVED_META}
        record.update(key=key, format=STORE_FORMAT, sha256=samples_sha256(samples),
                      sample_rate=int(audio.sample_rate), samples=int(samples.shape[0]),
                      created=time.time())
        meta_bytes = json.dumps(record, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(prefix=f".{key}.", suffix=PARTIAL_SUFFIX, dir=path.parent)
        except OSError as exc:
            raise CacheError(f"take store {self.root} is not writable: {exc.strerror or exc}") from exc
        try:
            with os.fdopen(fd, "wb") as f:
                with zipfile.ZipFile(f, "w", compression=zipfile.ZIP_STORED) as zf:
                    zf.writestr(META_MEMBER, meta_bytes)
                    with zf.open(SAMPLES_MEMBER, "w") as member:
                        np.lib.format.write_array(member, samples, allow_pickle=False)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp_name, path)
        except BaseException as exc:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            if isinstance(exc, OSError):  # a full disk while voicing: a failure at run time
                raise CacheFailure(f"cannot write take to {path}: {exc.strerror or exc}; "
                                   "free some space there or give --cache another folder") from exc
            raise

    def info(self, oldest: int = 5, snippet: int = 60) -> StoreInfo:
        """Count, total size and the `oldest` least recently used takes (with a text snippet)."""
        entries, partials = self._scan()
        entries.sort(key=lambda e: e.mtime)
        return StoreInfo(
            root=self.root,
            count=len(entries),
            total_bytes=sum(e.bytes for e in entries),
            oldest=[self._describe(e, snippet) for e in entries[:max(oldest, 0)]],
            partial_files=len(partials),
            partial_bytes=sum(e.bytes for e in partials),
        )

    def prune(self, older_than_days: float | None = None, max_size_bytes: int | None = None,
              *, now: float | None = None) -> PruneResult:
        """Remove takes not used for `older_than_days`, then the least recently used ones until the
        takes fit in `max_size_bytes`; always remove unfinished writes older than an hour and
        forget digests of model files that are gone."""
        for name, value, rule in (("--older-than", older_than_days, Rule((float,), 0.0, 100_000.0)),
                                  ("--max-size", max_size_bytes, Rule((int,), 0))):
            try:
                if value is not None:
                    rule.check(value)
            except ValueError as exc:
                raise CacheError(f"{name} {exc}") from None
        now = time.time() if now is None else now
        entries, partials = self._scan()
        entries.sort(key=lambda e: e.mtime)

        partial_removed = sum(_unlink(p.path) for p in partials if now - p.mtime > PARTIAL_MAX_AGE_S)
        partial_removed += sum(_unlink(p) for p in self._stale_root_partials(now))

        doomed: list[_Entry] = []
        kept = entries
        if older_than_days is not None:
            cutoff = now - older_than_days * 86400.0
            doomed = [e for e in kept if e.mtime < cutoff]
            kept = [e for e in kept if e.mtime >= cutoff]
        if max_size_bytes is not None:
            total = sum(e.bytes for e in kept)
            cut = 0
            while total > max_size_bytes and cut < len(kept):
                total -= kept[cut].bytes
                cut += 1
            doomed, kept = doomed + kept[:cut], kept[cut:]
        removed = [e for e in doomed if _unlink(e.path)]
        self._digests.forget_missing()
        return PruneResult(
            removed=len(removed),
            freed_bytes=sum(e.bytes for e in removed),
            remaining=len(kept),
            remaining_bytes=sum(e.bytes for e in kept),
            partial_removed=partial_removed,
        )

    # ----------------------------------------------------------------------- internals

    def _report(self, key: str, path: Path, reason: str) -> None:
        problem = CacheProblem(key, path, reason)
        self.problems.append(problem)
        _LOG.warning("%s", problem)
        if self.on_problem is not None:
            self.on_problem(problem)

    @staticmethod
    def _discard(path: Path, seen: os.stat_result) -> None:
        """Remove a damaged take, unless another process has meanwhile renamed a fresh one there."""
        try:
            now = os.stat(path)
        except FileNotFoundError:
            return
        if (now.st_ino, now.st_dev) == (seen.st_ino, seen.st_dev):
            _unlink(path)

    def _scan(self) -> tuple[list[_Entry], list[_Entry]]:
        entries: list[_Entry] = []
        partials: list[_Entry] = []
        try:
            shards = [d for d in os.scandir(self.root) if _SHARD_RE.fullmatch(d.name) and d.is_dir()]
        except FileNotFoundError:
            return entries, partials
        except NotADirectoryError:
            raise self._not_a_folder() from None
        except OSError as exc:
            raise failure(exc, self.root, "read the take store") from exc
        for shard in shards:
            try:
                files = list(os.scandir(shard.path))
            except FileNotFoundError:
                continue
            for item in files:
                try:
                    st = item.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # removed by a concurrent prune or get
                if item.name.endswith(PARTIAL_SUFFIX):
                    partials.append(_Entry("", Path(item.path), st.st_size, st.st_mtime))
                elif item.name.endswith(TAKE_SUFFIX) and _KEY_RE.fullmatch(item.name[:-len(TAKE_SUFFIX)]):
                    key = item.name[:-len(TAKE_SUFFIX)]
                    entries.append(_Entry(key, Path(item.path), st.st_size, st.st_mtime))
        return entries, partials

    def _stale_root_partials(self, now: float) -> list[Path]:
        """Temporary files of the digest index left by a killed process."""
        try:
            return [Path(d.path) for d in os.scandir(self.root)
                    if d.name.endswith(PARTIAL_SUFFIX) and d.is_file()
                    and now - d.stat().st_mtime > PARTIAL_MAX_AGE_S]
        except FileNotFoundError:
            return []

    @staticmethod
    def _describe(entry: _Entry, snippet: int) -> EntryInfo:
        try:
            with open(entry.path, "rb") as f, zipfile.ZipFile(f) as zf:
                record = json.loads(zf.read(META_MEMBER).decode("utf-8"))
        except (OSError, zipfile.BadZipFile, KeyError, ValueError, zlib.error):
            return EntryInfo(entry.key, entry.bytes, entry.mtime, None, None, text="<unreadable>")
        text = str(record.get("text", ""))
        if len(text) > snippet:
            text = text[:max(snippet - 1, 0)] + "…"
        rate, n = record.get("sample_rate"), record.get("samples")
        duration = n / rate if isinstance(rate, int) and isinstance(n, int) and rate > 0 else None
        created = record.get("created")
        return EntryInfo(entry.key, entry.bytes, entry.mtime,
                         float(created) if isinstance(created, (int, float)) else None, duration,
                         engine=str(record.get("engine", "")), voice=str(record.get("voice", "")),
                         text=text)


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    return datetime.fromtimestamp(epoch, timezone.utc).isoformat(timespec="seconds").replace("+00:00", "Z")


def _check_key(key: str) -> None:
    if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
        raise ValueError(f"not a take key (64 lowercase hex digits): {key!r}")


def _unlink(path: Path) -> bool:
    try:
        os.unlink(path)
    except FileNotFoundError:
        return False
    return True


def _read_take(f, key: str) -> tuple[Audio, dict]:
    """Read and verify one take file; raise _Damaged saying what is wrong."""
    try:
        with zipfile.ZipFile(f) as zf:
            record = json.loads(zf.read(META_MEMBER).decode("utf-8"))
            raw = zf.read(SAMPLES_MEMBER)  # zipfile checks the member's CRC-32 here
        samples = np.lib.format.read_array(io.BytesIO(raw), allow_pickle=False)
    except zipfile.BadZipFile as exc:
        raise _Damaged(f"damaged or truncated file ({exc})") from exc
    except KeyError as exc:
        raise _Damaged(f"incomplete take: {exc.args[0] if exc.args else exc}") from exc
    except (ValueError, EOFError, zlib.error, UnicodeDecodeError, OSError) as exc:
        raise _Damaged(f"unreadable take ({exc})") from exc
    if not isinstance(record, dict):
        raise _Damaged("metadata record is not a JSON object")
    if record.get("key") != key:
        raise _Damaged(f"record belongs to key {str(record.get('key'))[:12]!r}")
    if samples.dtype != np.dtype("<f4") or samples.ndim != 1:
        raise _Damaged(f"samples are {samples.dtype} {samples.shape}, expected float32 (n,)")
    if samples.shape[0] != record.get("samples"):
        raise _Damaged(f"{samples.shape[0]} samples, record says {record.get('samples')}")
    rate = record.get("sample_rate")
    if not isinstance(rate, int) or rate <= 0:
        raise _Damaged(f"invalid sample rate {rate!r} in record")
    if samples_sha256(samples) != record.get("sha256"):
        raise _Damaged("sample checksum mismatch")
    return Audio(samples.astype(np.float32, copy=False), rate), record
