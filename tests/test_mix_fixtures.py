"""Builders shared by the mixer tests: scripts written as data, takes voiced by the tone engine.

The tone engine is exact (a take has `tone_length(text, speed, rate)` samples), so the tests can
assert every position to the sample.
"""

from __future__ import annotations

import numpy as np

from radioplay.model import Casting, Chapter, Cue, Delivery, Part, Script, Segment, Take, VoiceSpec
from radioplay.voice.engines.tone import ToneEngine, tone_length

RATE = 24_000


def seconds(value: float, rate: int = RATE) -> int:
    return int(round(value * rate))


def line(speaker: str, *texts, direction: str | None = None, interrupted: bool = False) -> Cue:
    """A one-speaker cue. Each extra text is a new paragraph; a (direction, text) pair is a split
    at a mid-speech direction."""
    return _cue((speaker,), texts, direction, interrupted)


def together(speakers: tuple[str, ...], *texts, direction: str | None = None,
             interrupted: bool = False) -> Cue:
    """A unison cue: every speaker says the same segments."""
    return _cue(speakers, texts, direction, interrupted)


def dual(speeches: dict[str, str]) -> Cue:
    """Fountain dual dialogue: different texts at the same time."""
    parts = tuple(Part(name, (Segment(text, None, 1, 1),)) for name, text in speeches.items())
    return Cue("line", tuple(speeches), " / ".join(speeches.values()), None, 1, 1, parts)


def stage(text: str) -> Cue:
    return Cue("direction", (), text, None, 1, 1)


def _cue(speakers, texts, direction, interrupted) -> Cue:
    segments = []
    for i, item in enumerate(texts):
        split, text = item if isinstance(item, tuple) else (None, item)
        segments.append(Segment(text, split or direction, 1, 1, paragraph_break=i > 0 and split is None))
    parts = tuple(Part(name, tuple(segments)) for name in speakers)
    joined = "\n\n".join(s.text for s in segments)
    return Cue("line", tuple(speakers), joined, direction, 1, 1, parts, interrupted=interrupted)


def script(*cues: Cue, chapters: tuple[Chapter, ...] = (), title: str | None = "Test",
           path: str = "<script>") -> Script:
    return Script(title=title, cues=list(cues), chapters=list(chapters), path=path)


def cast(**voices) -> Casting:
    """cast(A=("low", pan, gain_db, speed), ...); missing trailing values take the defaults."""
    characters = {}
    for name, spec in voices.items():
        voice, pan, gain, speed, rate = (tuple(spec) + (0.0, 0.0, 1.0, RATE)[len(spec) - 1:])[:5]
        characters[name] = VoiceSpec("tone", voice, speed=speed, pan=pan, gain=gain,
                                     options=(("sample_rate", rate),))
    return Casting(characters=characters)


def tone_takes(s: Script, casting: Casting) -> list[Take]:
    engine = ToneEngine()
    takes = []
    for c, cue in enumerate(s.cues):
        for p, part in enumerate(cue.parts):
            spec = casting.characters[part.speaker]
            for g, segment in enumerate(part.segments):
                audio = engine.synthesize(segment.text, spec, spec.speed, seed=0)
                takes.append(Take(audio, c, p, g, part.speaker))
    return takes


def identity(s: Script) -> list[Delivery]:
    return [Delivery()] * len(s.cues)


def placement(m, cue: int, part: int = 0, segment: int = 0):
    found = [p for p in m.placements if (p.cue, p.part, p.segment) == (cue, part, segment)]
    assert len(found) == 1, found
    return found[0]


def test_tone_takes_have_the_documented_lengths():
    s = script(line("A", "Hello there."), line("B", "Hi."))
    casting = cast(A=("low",), B=("high", 0.0, 0.0, 1.25, 22_050))
    takes = tone_takes(s, casting)
    assert [len(t.audio.samples) for t in takes] == [tone_length("Hello there.", 1.0, RATE),
                                                     tone_length("Hi.", 1.25, 22_050)]
    assert len(takes[0].audio.samples) == 8160  # 24000 * (0.1 + 0.02 * 12)
    assert takes[1].audio.sample_rate == 22_050
    assert np.isclose(np.max(np.abs(takes[0].audio.samples)), 0.5, atol=1e-3)
