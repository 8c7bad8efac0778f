"""Errors that radioplay raises. The CLI prints `radioplay: error: <message>` and exits 2."""

from __future__ import annotations


class RadioplayError(Exception):
    """Base class: a problem the user can fix. Never shown with a traceback."""


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


class ExportError(RadioplayError):
    """An output that cannot be written."""


class ClusterError(RadioplayError):
    """A Ray cluster that cannot be joined, or a worker node that cannot voice (names the node)."""
