"""The timing model: how long the silences and overlaps between clips are.

A cast or production file overrides any of these in a `[timing]` table, e.g.

    [timing]
    turn_gap = 0.4
    interrupt_overlap = 0.3
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields
from typing import Mapping

from radioplay.errors import CastError


@dataclass(frozen=True)
class Timing:
    """Every value is in seconds and must be finite and >= 0."""

    turn_gap: float = 0.35
    """Silence between the end of one line and the start of the next speaker's line."""
    paragraph_gap: float = 0.5
    """Silence between two paragraphs of one speech."""
    sentence_gap: float = 0.1
    """Silence between two sentences of one paragraph, each its own take. Chosen by measuring the
    seed's whole-paragraph takes against their sentence takes (README, "Timing and mixing"): Piper
    pauses about 0.13 s between sentences; Kokoro speaks a sentence alone more slowly than within
    a paragraph, which already makes up its longer pause."""
    clause_gap: float = 0.05
    """Silence where a sentence too long for one take was cut at a clause (comma, colon, dash)."""
    unspoken_beat: float = 0.5
    """Silence heard for a line or paragraph with nothing speakable once normalized
    (`**Bob**: ...`, `—`, `🎭`); planning warns about each."""
    direction_split_gap: float = 0.25
    """Silence where a speech is split by a mid-speech direction (`... _[laughs]_ ...`)."""
    direction_pause: float = 1.0
    """Silence that a standalone stage direction stands for; it replaces the turn gap,
    so the line before and the line after are this far apart (k directions: k times this)."""
    directed_beat: float = 0.25
    """Extra silence before a line that opens with a direction (`_[resignedly]_ Sure.`)."""
    interrupt_overlap: float = 0.25
    """How long before the end of an interrupted line (`...depends on—`) the next line starts,
    talking over it. When a speaker of the cut line is also in the next one, the next line
    starts right at the end instead, with no gap: nobody overlaps their own voice."""
    interrupt_fade: float = 0.06
    """The cut voice ends with a fade this long instead of its natural decay, so it stops
    abruptly; its written words are all heard."""
    take_margin: float = 0.03
    """Silence kept at each end of a take. Engines pad their output (Piper: about 0.2 s at the
    end); anything quieter than 50 dB below the take's peak beyond this margin is trimmed, so the
    gaps above are measured between voices, not between engine buffers. A large value keeps
    the engine's padding."""
    lead_in: float = 0.5
    """Silence at the start of the episode, before the first clip."""
    tail: float = 1.0
    """Silence at the end of the episode, after the last clip."""

    @classmethod
    def from_mapping(cls, values: Mapping[str, object] | None, path: str | None = None) -> "Timing":
        """Defaults overridden by `values` (a `[timing]` table); CastError names a bad key."""
        known = [f.name for f in fields(cls)]
        settings: dict[str, float] = {}
        for key, value in (values or {}).items():
            if key not in known:
                raise CastError(f"[timing]: unknown key {key!r} (known: {', '.join(known)})", path=path)
            # bool is an int subclass; `turn_gap = true` is a mistake, not 1 second
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise CastError(f"[timing] {key}: expected a number of seconds, got {value!r}", path=path)
            seconds = float(value)
            if not math.isfinite(seconds) or seconds < 0:
                raise CastError(f"[timing] {key}: must be a finite number of seconds >= 0, got {value!r}",
                                path=path)
            settings[key] = seconds
        return cls(**settings)
