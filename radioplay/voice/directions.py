"""Delivery from directions: `_[resignedly]_` makes a line slower, lower and quieter.

The table maps words and phrases to a Delivery. The built-in table ships inside the package
(`radioplay/voice/directions.toml`, copied to `voices/directions.toml` for reading); a user table
extends it. Matching is on whole words, case-insensitive; a trailing `*` matches any ending.
Several entries may match one direction: speeds multiply, pitches and gains add, the longest
pause wins and unison is kept; where two matches overlap in the text the longer phrase wins.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Mapping

from radioplay.model import Delivery
from radioplay.tomlsource import TomlSource

_FIELDS = ("speed", "pitch", "gain", "pause_before", "unison")
_LIMITS = {"speed": (0.25, 4.0), "pitch": (-24.0, 24.0), "gain": (-60.0, 24.0), "pause_before": (0.0, 30.0)}
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*")


@dataclass(frozen=True)
class DirectionEntry:
    phrase: str
    """As written in the table, e.g. "after a long pause" or "whisper*"."""
    delivery: Delivery
    words: tuple[str, ...]
    """The phrase's words, casefolded; one that ends in * matches as a prefix."""

    def match_at(self, tokens: list[str], start: int) -> bool:
        if start + len(self.words) > len(tokens):
            return False
        for word, token in zip(self.words, tokens[start:]):
            if word.endswith("*"):
                if not token.startswith(word[:-1]):
                    return False
            elif token != word:
                return False
        return True


def default_directions_path() -> Path:
    return Path(str(resources.files("radioplay.voice").joinpath("directions.toml")))


class DirectionTable:
    """Words and phrases that change delivery."""

    def __init__(self, entries: Mapping[str, DirectionEntry]):
        self.entries = dict(entries)
        # Longest phrases first so they claim their words before shorter ones.
        self._ordered = sorted(self.entries.values(),
                               key=lambda e: (-len(e.words), -len(e.phrase), e.phrase))

    @classmethod
    def load(cls, path: Path | None = None, extra: Path | None = None) -> "DirectionTable":
        """The built-in table, extended by `path` and then by `extra` (a later file replaces
        same-named entries; `inherit = false` at the top of a file starts from empty)."""
        entries = cls._read(TomlSource.read(default_directions_path()), {})
        for user in (path, extra):
            if user is not None:
                entries = cls._read(TomlSource.read(Path(user)), entries)
        return cls(entries)

    @staticmethod
    def _read(source: TomlSource, base: Mapping[str, DirectionEntry]) -> dict[str, DirectionEntry]:
        data = source.data
        for key in data:
            if key not in ("phrases", "inherit"):
                raise source.error(f"unknown key {key!r} (a directions table has [phrases] and inherit)", key)
        inherit = data.get("inherit", True)
        if not isinstance(inherit, bool):
            raise source.error("inherit must be true or false", "inherit")
        entries = dict(base) if inherit else {}
        phrases = data.get("phrases", {})
        if not isinstance(phrases, dict):
            raise source.error("[phrases] must be a table", "phrases")
        for phrase, values in phrases.items():
            keys = ("phrases", phrase)
            words = tuple(w.casefold() for w in re.findall(r"[^\W_]+(?:'[^\W_]+)*\*?", phrase))
            if not words or " ".join(words) != " ".join(phrase.casefold().split()):
                raise source.error(f"phrase {phrase!r} must be words separated by spaces "
                                   "(a trailing * matches any ending)", *keys)
            if not isinstance(values, dict):
                raise source.error(f"phrase {phrase!r} must map to a table such as {{ gain = -3.0 }}", *keys)
            settings: dict[str, object] = {}
            for name, value in values.items():
                if name not in _FIELDS:
                    raise source.error(f"{phrase!r}: unknown key {name!r} (allowed: {', '.join(_FIELDS)})",
                                       *keys, name)
                if name == "unison":
                    if not isinstance(value, bool):
                        raise source.error(f"{phrase!r}: unison must be true or false", *keys, name)
                    settings[name] = value
                    continue
                if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
                    raise source.error(f"{phrase!r}: {name} must be a number, not {value!r}", *keys, name)
                low, high = _LIMITS[name]
                if not low <= value <= high:
                    raise source.error(f"{phrase!r}: {name} = {value!r} is outside [{low:g}, {high:g}]", *keys, name)
                settings[name] = float(value)
            entries[" ".join(words)] = DirectionEntry(phrase, Delivery(matched=(phrase,), **settings), words)
        return entries

    def matches(self, direction: str | None) -> list[DirectionEntry]:
        """The entries that count for `direction`, in the order they appear in it."""
        if not direction:
            return []
        tokens = [t.casefold() for t in _WORD.findall(direction)]
        claimed = [False] * len(tokens)
        found: list[tuple[int, DirectionEntry]] = []
        for entry in self._ordered:
            n = len(entry.words)
            for start in range(len(tokens) - n + 1):
                if not any(claimed[start:start + n]) and entry.match_at(tokens, start):
                    claimed[start:start + n] = [True] * n
                    found.append((start, entry))
                    break  # one phrase counts once, however often it is written
        return [entry for _, entry in sorted(found, key=lambda item: item[0])]

    def delivery(self, direction: str | None) -> Delivery:
        """How `direction` changes delivery; the identity Delivery when nothing matches."""
        speed, pitch, gain, pause, unison, matched = 1.0, 0.0, 0.0, 0.0, False, []
        for entry in self.matches(direction):
            d = entry.delivery
            speed *= d.speed
            pitch += d.pitch
            gain += d.gain
            pause = max(pause, d.pause_before)
            unison = unison or d.unison
            matched.append(entry.phrase)
        return Delivery(speed=speed, pitch=pitch, gain=gain, pause_before=pause, unison=unison,
                        matched=tuple(matched))

    def voiced(self, direction: str | None) -> bool:
        """False when the direction changes nothing (inspect lists it as "not voiced")."""
        return bool(self.matches(direction))
