"""TOML that can say on which line a key or table was written: tomllib gives no positions past a
syntax error, so `TomlSource` finds keys and tables in the source text itself, and every problem in
a cast, production or show file is reported with its file:line:col."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from radioplay.errors import CastError
from radioplay.io import read_text
from radioplay.model import Diagnostic

_KEY_PART = r'"(?:[^"\\]|\\.)*"|\'[^\']*\'|[A-Za-z0-9_\-]+'
_DOTTED_KEY = rf"(?:{_KEY_PART})(?:\s*\.\s*(?:{_KEY_PART}))*"
_HEADER = re.compile(rf"^\s*\[\[?\s*({_DOTTED_KEY})\s*\]\]?\s*(?:#.*)?$")
_KEY_LINE = re.compile(rf"^(\s*)({_DOTTED_KEY})\s*=")


def _split_key(dotted: str) -> tuple[str, ...]:
    parts = []
    for m in re.finditer(_KEY_PART, dotted):
        part = m.group(0)
        if part[0] in "\"'":
            part = part[1:-1].encode().decode("unicode_escape") if part[0] == '"' else part[1:-1]
        parts.append(part)
    return tuple(parts)


class TomlSource:
    """A parsed TOML file that can say on which line a key or table was written."""

    def __init__(self, text: str, path: str | None):
        self.text, self.path = text, path
        self.data = self._parse()
        self._index = self._build_index()

    @classmethod
    def read(cls, path: Path) -> "TomlSource":
        return cls(read_text(path), str(path))

    def _parse(self) -> dict:
        try:
            return tomllib.loads(self.text)
        except tomllib.TOMLDecodeError as exc:
            message = str(exc)
            where = re.search(r"\(at line (\d+), column (\d+)\)", message)
            reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", message)
            line, col = (int(where.group(1)), int(where.group(2))) if where else (1, 1)
            raise CastError(f"invalid TOML: {reason}", self.path, line, col) from None

    def _build_index(self) -> dict[tuple[str, ...], tuple[int, int]]:
        index: dict[tuple[str, ...], tuple[int, int]] = {}
        table: tuple[str, ...] = ()
        for number, line in enumerate(self.text.split("\n"), start=1):
            header = _HEADER.match(line)
            if header:
                table = _split_key(header.group(1))
                index.setdefault(table, (number, line.index("[") + 1))
                continue
            key = _KEY_LINE.match(line)
            if key:
                full = table + _split_key(key.group(2))
                index.setdefault(full, (number, len(key.group(1)) + 1))
                # keys of an inline table on the same line: `Ada = { engine = "tone", voice = "high" }`
                brace = line.find("{", key.end())
                if brace >= 0:
                    for inner in re.finditer(rf"[{{,]\s*({_DOTTED_KEY})\s*=", line[brace:]):
                        index.setdefault(full + _split_key(inner.group(1)), (number, brace + inner.start(1) + 1))
        return index

    def position(self, *keys: str) -> tuple[int, int]:
        """(line, col) of the key path, or of its nearest written parent; (1, 1) when unknown."""
        for n in range(len(keys), 0, -1):
            if keys[:n] in self._index:
                return self._index[keys[:n]]
        return 1, 1

    def error(self, message: str, *keys: str) -> CastError:
        line, col = self.position(*keys)
        return CastError(message, self.path, line, col)

    def warning(self, message: str, *keys: str) -> Diagnostic:
        line, col = self.position(*keys)
        return Diagnostic("warning", line, col, message, self.path or "<cast>")
