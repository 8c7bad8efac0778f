"""Reading inputs and writing outputs safely. Every output goes to a temporary file in the
destination folder and is renamed into place, so a crash never leaves a half-written file."""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import stat
import tempfile
from pathlib import Path
from typing import Callable, Iterator

from radioplay.errors import ExportError, InputError, failure


def read_text(path: str | os.PathLike, max_bytes: int | None = None) -> str:
    """Read a UTF-8 text file (a BOM is dropped, CRLF becomes LF) or raise InputError saying why.

    With `max_bytes`, a larger file is refused without reading more than that (a pipe is read up to
    it); a device or socket (`/dev/zero`) is refused outright."""
    p = Path(path)
    if not p.exists():
        raise InputError(f"{p}: no such file")
    if p.is_dir():
        raise InputError(f"{p}: is a directory, not a file")
    try:
        with open(p, "rb") as f:
            kind = os.fstat(f.fileno())
            if not (stat.S_ISREG(kind.st_mode) or stat.S_ISFIFO(kind.st_mode)):
                raise InputError(f"{p}: not a regular file (a device or socket); give a script file")
            if max_bytes is not None and stat.S_ISREG(kind.st_mode) and kind.st_size > max_bytes:
                raise InputError(_too_big(p, f"{kind.st_size / 1e6:,.1f} MB", max_bytes))
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as exc:
        raise InputError(f"{p}: cannot read: {exc.strerror or exc}") from exc
    if max_bytes is not None and len(data) > max_bytes:  # a pipe, or a file that grew while read
        raise InputError(_too_big(p, "more than that", max_bytes))
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{p}: not UTF-8 text (invalid byte 0x{data[exc.start]:02x} at byte offset {exc.start})") from exc
    if text.startswith("\ufeff"):
        text = text[1:]
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _too_big(path: Path, size: str, max_bytes: int) -> str:
    return (f"{path}: larger than the script size limit of {max_bytes / 1e6:g} MB ({size}); "
            "raise it with --max-script-mb")


def check_writable(path: str | os.PathLike) -> Path:
    """Fail early, before any synthesis, when `path` cannot be written."""
    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        raise ExportError(f"{p}: is a directory; give a file name such as {p / 'episode.mp3'}")
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise ExportError(f"{p}: cannot create folder {parent}: {exc.strerror or exc}") from exc
    if not os.access(parent, os.W_OK):
        raise ExportError(f"{p}: folder {parent} is not writable")
    try:  # os.access says yes to root everywhere, even in /proc or on a read-only mount: make a file
        with tempfile.TemporaryFile(dir=parent, prefix=f".{p.name}.probe-"):
            pass
    except OSError as exc:
        raise ExportError(f"{p}: cannot make a file in {parent}: {exc.strerror or exc}") from exc
    return p


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike, suffix: str | None = None) -> Iterator[Path]:
    """Yield a temporary path beside `path`; on success it is fsynced and renamed onto `path`.

    On any error the temporary file is removed and the previous `path` is left untouched.
    `suffix` defaults to the destination's, so format-by-suffix writers still work.
    """
    dest = check_writable(path)
    try:
        tmp = new_partial(dest, suffix)
    except OSError as exc:
        raise failure(exc, dest) from exc
    try:
        yield tmp
        finish_partial(tmp)
        os.replace(tmp, dest)
    except BaseException as exc:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        if isinstance(exc, OSError):  # named by the destination, not by the temporary file
            raise failure(exc, dest) from exc
        raise


def new_partial(dest: Path, suffix: str | None = None) -> Path:
    """An empty temporary file beside `dest`, `.NAME.partial-PID-XXXXXXXX.SUFFIX`: the writer's pid
    in the name lets a later render tell a killed writer's leftover from a live one's."""
    fd, name = tempfile.mkstemp(prefix=f"{_partial_prefix(dest)}{os.getpid()}-",
                                suffix=dest.suffix if suffix is None else suffix, dir=dest.parent)
    os.close(fd)
    return Path(name)


def finish_partial(tmp: Path) -> None:
    """Make a written temporary ready to be renamed into place: on disk, with the umask's mode."""
    with open(tmp, "rb+") as f:
        os.fsync(f.fileno())
    os.chmod(tmp, 0o666 & ~_current_umask())  # mkstemp makes 0600; a published file should not be


def remove_stale_partials(dest: str | os.PathLike) -> list[Path]:
    """Remove the temporaries of `dest` (only names `new_partial` gives it) whose writer is dead:
    what a killed render left behind. A live writer's, or this process's, are kept."""
    dest = Path(dest)
    pattern = re.compile(re.escape(_partial_prefix(dest)) + r"(\d+)-[A-Za-z0-9_]{8}" + re.escape(dest.suffix))
    removed = []
    try:
        names = os.listdir(dest.parent if str(dest.parent) else ".")
    except OSError:
        return removed
    for name in names:
        match = pattern.fullmatch(name)
        if match and not _process_alive(int(match.group(1))):
            with contextlib.suppress(FileNotFoundError):
                (dest.parent / name).unlink()
                removed.append(dest.parent / name)
    return removed


def _partial_prefix(dest: Path) -> str:
    return f".{dest.stem}.partial-"


def _process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True  # another user's process, or a pid we cannot ask about: assume it lives
    return True


def sha256_file(path: str | os.PathLike) -> str:
    """The hex sha256 of a file's bytes, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        while block := f.read(1 << 20):
            digest.update(block)
    return digest.hexdigest()


def _current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_atomic(path: str | os.PathLike, writer: Callable[[Path], None]) -> Path:
    """Call writer(tmp_path), then move the finished file onto `path`."""
    with atomic_path(path) as tmp:
        writer(tmp)
    return Path(path)


def write_text_atomic(path: str | os.PathLike, text: str) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_bytes_atomic(path: str | os.PathLike, data: bytes) -> Path:
    return write_atomic(path, lambda tmp: tmp.write_bytes(data))
