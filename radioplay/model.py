"""The data that flows between radioplay's stages.

    text --parse--> Script --cast--> Casting --synthesize--> Takes --mix--> Mix --master--> Episode --publish--> files

Every boundary is a small dataclass. Units are given in the attribute docstrings:
line and column numbers are 1-based, times in seconds, positions in samples.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Mapping

import numpy as np

Severity = Literal["warning", "error"]


# --------------------------------------------------------------------------- parse
# A big script makes hundreds of thousands of these: they are slotted and not frozen, because a
# frozen dataclass's __init__ is four times slower. Nothing after the parse stage changes them.


@dataclass(slots=True)
class Diagnostic:
    """Something the parser or caster wants the writer to know, compiler-style."""

    severity: Severity
    line: int
    """1-based line in the source file."""
    col: int
    """1-based column in the source file."""
    message: str
    path: str = "<script>"

    def format(self) -> str:
        return f"{self.path}:{self.line}:{self.col}: {self.severity}: {self.message}"


@dataclass(slots=True)
class Unspoken:
    """A piece of the source that will never be heard, with the reason."""

    line: int
    col: int
    reason: str
    """Short machine-friendly reason: "author note", "image", "url", "comment", "empty cue", ..."""
    text: str


@dataclass(slots=True)
class Segment:
    """A stretch of one speech that is voiced as one take.

    A speech splits into segments at paragraph breaks and at mid-speech directions.
    """

    text: str
    """Text as written (markup removed, punctuation kept); the voice stage normalizes it."""
    direction: str | None
    """The direction in force for this segment (from the cue's opening direction or a mid-speech one)."""
    line: int
    col: int
    paragraph_break: bool = False
    """True when a new paragraph starts here (the mixer uses the paragraph gap);
    False for the first segment and for splits at a mid-speech direction."""


@dataclass(slots=True)
class Part:
    """What one speaker says in a cue. A unison cue has one part per speaker with the same segments;
    Fountain dual dialogue has one part per speaker with different segments."""

    speaker: str
    segments: tuple[Segment, ...]


@dataclass(slots=True)
class Cue:
    """One line of dialogue (one or more speakers) or one standalone stage direction."""

    kind: Literal["line", "direction"]
    speakers: tuple[str, ...]
    """Canonical speaker names; empty for a standalone direction."""
    text: str
    """Spoken text exactly as parsed: the segments' texts joined (paragraphs with a blank line).
    For a standalone direction, the direction text."""
    direction: str | None
    """The direction that opens the cue (`_[resignedly]_`), if any."""
    line: int
    col: int
    parts: tuple[Part, ...] = ()
    interrupted: bool = False
    """The line ends in an em dash (or `--`): the next speaker cuts in."""
    picks_up: bool = False
    """The line starts with an em dash: it picks up a line that was cut off."""
    extensions: tuple[str, ...] = ()
    """Fountain character extensions such as "V.O.", kept for the voice stage."""

    @property
    def simultaneous(self) -> bool:
        return len(self.parts) > 1

    @property
    def unison(self) -> bool:
        """All speakers say the same words at once."""
        return self.simultaneous and len({tuple(s.text for s in p.segments) for p in self.parts}) == 1


@dataclass(slots=True)
class Chapter:
    title: str
    cue: int
    """Index into Script.cues of the first cue of the chapter."""
    line: int


@dataclass(slots=True)
class Scene:
    """A Fountain scene heading ("INT. STONE STAIRWELL - NIGHT"): where the scene's room is chosen."""

    heading: str
    """As written, without a forced heading's dot or a scene number."""
    cue: int
    """Index into Script.cues of the first cue after it."""
    line: int
    col: int


@dataclass
class Script:
    title: str | None
    cues: list[Cue]
    chapters: list[Chapter] = field(default_factory=list)
    unspoken: list[Unspoken] = field(default_factory=list)
    diagnostics: list[Diagnostic] = field(default_factory=list)
    path: str = "<script>"
    format: Literal["markdown", "fountain"] = "markdown"
    scenes: list[Scene] = field(default_factory=list)
    """Fountain scene headings, in order (the mixer's rooms: radioplay.mix.spaces)."""

    @property
    def lines(self) -> list[Cue]:
        return [c for c in self.cues if c.kind == "line"]

    def speakers(self) -> list[str]:
        """Speaker names in order of first appearance."""
        seen: dict[str, None] = {}
        for cue in self.cues:
            for name in cue.speakers:
                seen.setdefault(name, None)
        return list(seen)


# --------------------------------------------------------------------------- audio


@dataclass
class Audio:
    """Mono float32 samples in [-1, 1] at a sample rate: what an engine returns."""

    samples: np.ndarray
    """float32, shape (n,)."""
    sample_rate: int
    """Hz."""

    @property
    def duration(self) -> float:
        """Seconds."""
        return len(self.samples) / self.sample_rate


@dataclass(frozen=True)
class TakeLevel:
    """A take's loudness measurement (radioplay.mix.levels), kept in its record in the take store."""

    blocks: tuple[float, ...]
    """K-weighted mean square of each 400 ms gating block (75 % overlap), before gating."""
    active_mean_square: float
    """K-weighted mean square of the audible part (for takes with no whole block)."""
    active_seconds: float
    """Length of the audible part."""

    RECIPE = 2
    """Kept in the record; a record made by another recipe is measured again."""

    def to_record(self) -> dict:
        return {"recipe": self.RECIPE, "blocks": list(self.blocks),
                "active_mean_square": self.active_mean_square, "active_seconds": self.active_seconds}

    @classmethod
    def from_record(cls, record: object) -> "TakeLevel | None":
        """The measurement kept in a take's record, or None when it has none (or a malformed one)."""
        if not isinstance(record, dict) or record.get("recipe") != cls.RECIPE:
            return None
        try:
            return cls(tuple(float(b) for b in record["blocks"]), float(record["active_mean_square"]),
                       float(record["active_seconds"]))
        except (KeyError, TypeError, ValueError):
            return None


@dataclass
class Take:
    """The voiced audio of one sentence of one segment of one part of one cue."""

    audio: Audio
    """Or, from the synthesis stage, a radioplay.cache.StoredAudio: the same fields, its samples read
    from the take store each time they are asked for (a render holds no take in memory)."""
    cue: int
    """Index into Script.cues."""
    part: int
    segment: int
    speaker: str
    key: str = ""
    """Content address in the take store."""
    reused: bool = False
    """True when it came from the take store rather than an engine."""
    sentence: int = 0
    """Index of the sentence (or clause-cut piece of a long one) within its segment."""
    written: str = ""
    """The sentence as written, for captions."""
    clause: bool = False
    """The piece continues the previous one's sentence: the mixer joins them with the clause gap."""
    words: tuple[tuple[str, float, float], ...] = ()
    """The sentence's written words with (start_s, end_s) in take time, timed by the recognizer's
    words (radioplay.check.timings); empty when the take was not checked."""
    level: TakeLevel | None = None
    """Its loudness measurement (from the take store's record); None: the mixer measures it."""


# --------------------------------------------------------------------------- mix and master


@dataclass(frozen=True)
class Placement:
    """Where the mixer put one take, in output samples."""

    cue: int
    part: int
    segment: int
    speaker: str
    start: int
    """First sample, at the mix sample rate."""
    end: int
    """One past the last sample (after any stretch or cut)."""
    sentence: int = 0
    """Index of the sentence within its segment."""
    text: str = ""
    """The sentence as written (empty for sound effects)."""
    words: tuple[tuple[str, float, float], ...] = ()
    """The take's timed words, (word, start, end) in seconds of the episode (after trimming and
    any stretch); empty when the take has none."""


@dataclass
class Mix:
    """The assembled, un-mastered episode: placed clips that any range of renders from."""

    sample_rate: int
    placements: list[Placement]
    source: "Any"
    """A radioplay.stream.Source: frames [a, b) of the mix, rendered on demand (float32 (b - a, channels))."""
    stems: "Mapping[str, np.ndarray]" = field(default_factory=dict)
    """Per character (and `_sfx`, `_beds`), shape (n, channels), panned and gained; they sum to the
    mix. Each is rendered when read; `stems.source(name)` gives it by range."""

    @property
    def frames(self) -> int:
        return self.source.frames

    @property
    def samples(self) -> np.ndarray:
        """The whole mix, float32 (n, channels), rendered now: for tests and short episodes."""
        from radioplay.stream import gather

        return gather(self.source)


@dataclass(frozen=True)
class CueTiming:
    """When a cue is heard in the episode; timings come from the actual mix."""

    cue: int
    speakers: tuple[str, ...]
    text: str
    start: float
    """Seconds from the episode start."""
    end: float
    sentences: tuple[tuple[str, float, float], ...] = ()
    """(text as written, start, end) of each sentence heard, in order, in seconds; empty for dual
    dialogue, whose parts run side by side."""
    words: tuple[tuple[str, float, float], ...] = ()
    """(word as written, start, end) of every word of `sentences`, in seconds, within the cue;
    empty unless every sentence has word timings."""


@dataclass(frozen=True)
class ChapterTiming:
    title: str
    start: float
    """Seconds."""
    end: float


@dataclass
class Episode:
    """The mastered episode, ready to publish."""

    samples: "np.ndarray | Any"
    """float32, shape (n, channels); or a radioplay.stream.Source of them (the pipeline's, streamed)."""
    sample_rate: int
    title: str | None
    cues: list[CueTiming]
    chapters: list[ChapterTiming]
    loudness: float = float("nan")
    """Integrated loudness after mastering, LUFS (ITU-R BS.1770-4)."""
    true_peak: float = float("nan")
    """dBTP, 4x oversampled."""

    @property
    def duration(self) -> float:
        from radioplay.stream import frames_of

        return frames_of(self.samples) / self.sample_rate

    @property
    def channels(self) -> int:
        from radioplay.stream import channels_of

        return channels_of(self.samples)


# --------------------------------------------------------------------------- cast


@dataclass(frozen=True)
class VoiceSpec:
    """How one character is voiced: what the cast file says, after defaults."""

    engine: str
    voice: str
    """Engine-specific voice name, a path to a voice file, or a blend such as "a*0.7 + b*0.3"."""
    speed: float = 1.0
    """Speaking-rate factor; 1.0 is the engine's natural rate, 1.2 is 20% faster."""
    pitch: float = 0.0
    """Pitch shift in semitones."""
    gain: float = 0.0
    """dB applied in the mix."""
    pan: float = 0.0
    """Stereo position, -1 (left) to 1 (right), constant-power."""
    lexicon: tuple[tuple[str, str], ...] = ()
    """Per-character pronunciations (word, respelling or /IPA/); merged over the global lexicon."""
    options: tuple[tuple[str, object], ...] = ()
    """Engine-specific settings (e.g. noise_scale, speaker, reference_wav), sorted by key."""

    def option(self, name: str, default: object = None) -> object:
        return dict(self.options).get(name, default)


@dataclass(frozen=True)
class Delivery:
    """How a direction changes a line's delivery. The identity delivery changes nothing."""

    speed: float = 1.0
    """Multiplies the voice's speed."""
    pitch: float = 0.0
    """Semitones, added to the voice's pitch."""
    gain: float = 0.0
    """dB, added in the mix."""
    pause_before: float = 0.0
    """Extra seconds of silence before the line."""
    unison: bool = False
    matched: tuple[str, ...] = ()
    """The direction-table entries that matched (for inspect's "not voiced" listing)."""


@dataclass
class Casting:
    """Who sounds like what: the resolved cast for one script."""

    characters: dict[str, VoiceSpec]
    """Keyed by the script's canonical speaker names."""
    lexicon: dict[str, str] = field(default_factory=dict)
    """Global pronunciations: word -> respelling or /IPA/."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    path: str | None = None
    """The cast file, when there was one."""


# --------------------------------------------------------------------------- synthesis


@dataclass(frozen=True)
class TakeRequest:
    """One take to synthesize: everything that decides its samples, and where it belongs.

    One request is one sentence (or a clause-cut piece of a long one). `identity()` is what the
    take store hashes (with the engine version and model-file digests); the position fields (cue,
    part, segment, sentence, speaker) and the written form are deliberately left out of it, so
    moving, inserting or deleting sentences re-voices nothing else.
    """

    cue: int
    part: int
    segment: int
    speaker: str
    text: str
    """Prepared text for the engine: normalized, lexicon applied (IPA as [[...]])."""
    spec: VoiceSpec
    speed: float
    """Voice speed times delivery speed."""
    pitch: float
    """Voice pitch plus delivery pitch, semitones."""
    seed: int = 0
    sentence: int = 0
    """Index of the sentence within its segment."""
    written: str = ""
    """The sentence as written (for captions)."""
    clause: bool = False
    """The piece continues the previous one's sentence (cut at a clause)."""

    def identity(self) -> dict:
        return {
            "text": self.text,
            "engine": self.spec.engine,
            "voice": self.spec.voice,
            "speed": round(self.speed, 6),
            "pitch": round(self.pitch, 6),
            "options": [[k, repr(v)] for k, v in self.spec.options],
            "seed": self.seed,
        }
