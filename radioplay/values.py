"""Typed values with a documented range: the one check behind every setting radioplay reads
(cast and production tables, engine options, render options).

    Rule((float,), 0.0, 60.0).check(2)  -> 2.0
    Rule((float,), 0.0, 60.0).check("loud")  -> ValueError("must be a number, not 'loud'")
"""

from __future__ import annotations

import difflib
import math
from dataclasses import dataclass
from datetime import date
from typing import Iterable

_KIND_NAMES = {float: "a number", int: "a whole number", str: "a string", bool: "true or false", date: "a date"}


@dataclass(frozen=True)
class Rule:
    """What a value may be: one of `kinds` (float, int, str, bool or date), within [low, high] when numeric."""

    kinds: tuple[type, ...] = (float,)
    low: float | None = None
    high: float | None = None

    def describe(self) -> str:
        kind = " or ".join(_KIND_NAMES[k] for k in self.kinds)
        if self.low is not None and self.high is not None:
            return f"{kind} in [{_number(self.low)}, {_number(self.high)}]"
        if self.low is not None:
            return f"{kind} >= {_number(self.low)}"
        return kind

    def check(self, value: object) -> object:
        """The value, numbers as float or int per the rule; ValueError with the reason otherwise."""
        # bool is an int subclass, but `gain = true` is a mistake, not 1 dB
        if isinstance(value, bool):
            if bool in self.kinds:
                return value
        elif isinstance(value, int) and int in self.kinds:
            return self._in_range(value, value)
        elif isinstance(value, (int, float)) and float in self.kinds:
            if not math.isfinite(value):
                raise ValueError(f"must be a finite number, not {value!r}")
            return self._in_range(float(value), value)
        elif isinstance(value, str) and str in self.kinds:
            return value
        elif isinstance(value, date) and date in self.kinds:  # a TOML date literal
            return value
        raise ValueError(f"must be {self.describe()}, not {value!r}")

    def _in_range(self, value: float, written: object) -> float:
        if self.low is not None and value < self.low or self.high is not None and value > self.high:
            if self.low is not None and self.high is not None:
                raise ValueError(f"= {written!r} is outside [{_number(self.low)}, {_number(self.high)}]")
            raise ValueError(f"= {written!r} is below {_number(self.low)}" if self.low is not None
                             else f"= {written!r} is above {_number(self.high)}")
        return value


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else f"{x:g}"


def did_you_mean(word: str, choices: Iterable[str]) -> str:
    """" (did you mean 'speed'?)" for the closest choice, or "" when none is close."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def unknown_key_message(key: str, allowed: Iterable[str], where: str) -> str:
    allowed = list(allowed)
    return f"{where}: unknown key {key!r}{did_you_mean(key, allowed)} (allowed: {', '.join(allowed)})"
