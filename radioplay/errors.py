"""Errors that radioplay raises. The CLI prints `radioplay: error: <message>` and exits with the
error's `exit_status`: 2 for bad input or usage (the user fixes the command or a file and runs it
again), 1 for a failure while running (a full disk, a file the system refused, an encoder that
failed)."""

from __future__ import annotations

import errno
import os

EXIT_BAD_INPUT = 2
EXIT_RUN_FAILED = 1


class RadioplayError(Exception):
    """Base class: a problem the user can fix. Never shown with a traceback."""

    exit_status = EXIT_BAD_INPUT


class RuntimeFailure(RadioplayError):
    """The input was fine but the work failed while running: the system or an encoder refused."""

    exit_status = EXIT_RUN_FAILED


class InputError(RadioplayError):
    """A file that cannot be read or written, or is not what it should be."""


class ScriptError(RadioplayError):
    """A script that cannot be parsed; carries the position."""

    def __init__(self, message: str, path: str = "<script>", line: int = 1, col: int = 1):
        self.path, self.line, self.col, self.reason = path, line, col, message
        super().__init__(f"{path}:{line}:{col}: error: {message}")


class CastError(RadioplayError):
    """A cast file that names an unknown engine, voice or key, or is not valid TOML."""

    def __init__(self, message: str, path: str | None = None, line: int | None = None, col: int = 1):
        self.path, self.line, self.col, self.reason = path, line, col, message
        where = f"{path}:{line}:{col}: " if path and line else (f"{path}: " if path else "")
        super().__init__(f"{where}error: {message}" if where else message)


class EngineError(RadioplayError):
    """An engine that cannot load or cannot synthesize (missing package, model, network)."""


class CacheError(RadioplayError):
    """A take store that cannot be used."""


class CacheFailure(RuntimeFailure, CacheError):
    """A take store that failed while running (a full disk under it)."""


class ExportError(RadioplayError):
    """An output that cannot be written."""


_ADVICE = {
    errno.ENOSPC: "free some space on that disk or write somewhere else",
    errno.EDQUOT: "free some space within your disk quota or write somewhere else",
    errno.EROFS: "that file system is read-only; write somewhere else",
    errno.EACCES: "check the permissions of the file and its folder, or write somewhere else",
    errno.EPERM: "the file or its folder may be immutable (lsattr) or protected; write somewhere else",
    errno.ENOENT: "check that the path and its folders exist and can hold files",
    errno.ENOTDIR: "a part of the path is a file, not a folder; check the path",
    errno.EISDIR: "that is a folder; give a file name",
    errno.EIO: "the disk reported an input/output error; check it, or write somewhere else",
}


def os_error_in(exc: BaseException) -> OSError | None:
    """The OSError behind `exc` (itself, or what it was raised from), if any."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, OSError):
            return exc
        exc, seen = exc.__cause__ or exc.__context__, seen + 1
    return None


def failure(exc: BaseException, path: str | os.PathLike | None = None,
            doing: str | None = "write") -> RuntimeFailure:
    """A one-line RuntimeFailure for an OS or encoder error met while working on `path`: what
    failed, why, and what to do."""
    os_error = os_error_in(exc)
    if path is None and os_error is not None:
        path = os_error.filename
    if os_error is not None:
        reason = os_error.strerror or str(os_error)
        advice = _ADVICE.get(os_error.errno, "check the path and the disk, then try again")
    else:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        advice = "check the free space and the path, then try again"
    where = f"{path}: " if path else ""
    what = f"cannot {doing}: " if doing else ""
    return RuntimeFailure(f"{where}{what}{reason}; {advice}")


class ClusterError(RadioplayError):
    """A Ray cluster that cannot be joined, or a worker node that cannot voice (names the node)."""
