"""Bounds on what radioplay accepts, so a huge or hostile input stops with a clear error instead of
running out of memory hours later. Each has a default and a CLI option that raises it."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Iterable

from radioplay.errors import InputError, ScriptError

MB = 1_000_000


@dataclass(frozen=True)
class Limits:
    script_mb: float = 20.0
    """Largest script file, in MB (10^6 bytes): `--max-script-mb`."""
    cue_words: int = 5_000
    """Most words in one cue (a speech): `--max-cue-words`."""
    episode_hours: float = 12.0
    """Longest episode, by the plan's running-time estimate: `--max-episode-hours`."""
    sound_minutes: float = 60.0
    """Longest SFX or bed file, read from its header before its samples: `--max-sound-minutes`."""

    def __post_init__(self):
        for name in ("script_mb", "cue_words", "episode_hours", "sound_minutes"):
            value = getattr(self, name)
            if not value > 0 or value == float("inf"):
                raise InputError(f"limit {name.replace('_', ' ')} must be a positive number, not {value!r}")

    @property
    def script_bytes(self) -> int:
        return int(self.script_mb * MB)


def check_cue_words(script, limits: Limits) -> None:
    """Refuse a cue longer than `limits.cue_words` words, at its position. Only cues long enough in
    characters to hold that many words are counted (a word and the gap after it take two characters)."""
    from radioplay.parse.report import word_count

    shortest_too_long = 2 * limits.cue_words + 1
    for cue in script.cues:
        if len(cue.text) >= shortest_too_long and (words := word_count(cue.text)) > limits.cue_words:
            raise ScriptError(f"a cue of {words:,} words is longer than the limit of {limits.cue_words:,}; "
                              "split it, or raise the limit with --max-cue-words", script.path, cue.line, cue.col)


def check_episode_length(script, limits: Limits) -> None:
    """Refuse, before any take is voiced, a script whose estimated running time passes the limit,
    at the cue where it does."""
    from radioplay.parse.report import TURN_GAP_S, cue_seconds

    limit = limits.episode_hours * 3600.0
    total = 0.0
    for cue in script.cues:
        total += cue_seconds(cue) + (TURN_GAP_S if cue.kind == "line" else 0.0)
        if total > limit:
            raise ScriptError(f"the episode would run longer than the limit of {limits.episode_hours:g} h "
                              f"(estimated at this cue); split the script, or raise the limit with "
                              f"--max-episode-hours", script.path, cue.line, cue.col)


def check_sound_lengths(paths: Iterable[Path], limits: Limits) -> None:
    """Refuse an SFX or bed file longer than the limit, from its header, before any take is voiced."""
    from radioplay.mix.sounds import check_sound

    for path in dict.fromkeys(paths):
        check_sound(path, limits.sound_minutes)
