"""The timing model: how long the silences and overlaps between clips are.

A cast or production file overrides any of these in a `[timing]` table, e.g.

    [timing]
    turn_gap = 0.4
    interrupt_overlap = 0.3
"""

from __future__ import annotations

from dataclasses import dataclass, field

from radioplay.values import Rule

SECONDS = {"rule": Rule((float,), 0.0, 60.0)}
"""Every timing value: seconds, 0 to 60."""


@dataclass(frozen=True)
class Timing:
    """Every value is in seconds, 0 to 60 (a cast file's `[timing]` is checked against SECONDS)."""

    turn_gap: float = field(default=0.35, metadata=SECONDS)
    """Silence between the end of one line and the start of the next speaker's line."""
    paragraph_gap: float = field(default=0.5, metadata=SECONDS)
    """Silence between two paragraphs of one speech."""
    sentence_gap: float = field(default=0.1, metadata=SECONDS)
    """Silence between two sentences of one paragraph, each its own take. Chosen by measuring the
    seed's whole-paragraph takes against their sentence takes (README, "Timing and mixing"): Piper
    pauses about 0.13 s between sentences; Kokoro speaks a sentence alone more slowly than within
    a paragraph, which already makes up its longer pause."""
    clause_gap: float = field(default=0.05, metadata=SECONDS)
    """Silence where a sentence too long for one take was cut at a clause (comma, colon, dash)."""
    unspoken_beat: float = field(default=0.5, metadata=SECONDS)
    """Silence heard for a line or paragraph with nothing speakable once normalized
    (`**Bob**: ...`, `—`, `🎭`); planning warns about each."""
    direction_split_gap: float = field(default=0.25, metadata=SECONDS)
    """Silence where a speech is split by a mid-speech direction (`... _[laughs]_ ...`)."""
    direction_pause: float = field(default=1.0, metadata=SECONDS)
    """Silence that a standalone stage direction stands for; it replaces the turn gap,
    so the line before and the line after are this far apart (k directions: k times this)."""
    directed_beat: float = field(default=0.25, metadata=SECONDS)
    """Extra silence before a line that opens with a direction (`_[resignedly]_ Sure.`)."""
    interrupt_overlap: float = field(default=0.25, metadata=SECONDS)
    """How long before the end of an interrupted line (`...depends on—`) the next line starts,
    talking over it. When a speaker of the cut line is also in the next one, the next line
    starts right at the end instead, with no gap: nobody overlaps their own voice."""
    interrupt_fade: float = field(default=0.06, metadata=SECONDS)
    """The cut voice ends with a fade this long instead of its natural decay, so it stops
    abruptly; its written words are all heard."""
    take_margin: float = field(default=0.03, metadata=SECONDS)
    """Silence kept at each end of a take. Engines pad their output (Piper: about 0.2 s at the
    end); anything quieter than 50 dB below the take's peak beyond this margin is trimmed, so the
    gaps above are measured between voices, not between engine buffers. A large value keeps
    the engine's padding."""
    lead_in: float = field(default=0.5, metadata=SECONDS)
    """Silence at the start of the episode, before the first clip."""
    tail: float = field(default=1.0, metadata=SECONDS)
    """Silence at the end of the episode, after the last clip."""
