"""When each cue and chapter is heard, read from the mix's placements (never estimated)."""

from __future__ import annotations

from typing import Sequence

from radioplay.model import ChapterTiming, CueTiming, Mix, Script


def cue_timings(script: Script, mix: Mix) -> list[CueTiming]:
    """One CueTiming per spoken cue that has audio: from its first clip's start to its last
    clip's end (after interruption cuts), in seconds, in script order, with the time of each
    sentence of its first part (none for dual dialogue, whose parts differ)."""
    spans: dict[int, tuple[int, int]] = {}
    sentences: dict[int, list] = {}
    for placement in mix.placements:
        if not 0 <= placement.cue < len(script.cues) or script.cues[placement.cue].kind != "line":
            continue
        start, end = spans.get(placement.cue, (placement.start, placement.end))
        spans[placement.cue] = (min(start, placement.start), max(end, placement.end))
        if placement.part == 0 and placement.text:
            sentences.setdefault(placement.cue, []).append(placement)
    rate = mix.sample_rate

    def ordered(index: int) -> list:
        cue = script.cues[index]
        if cue.simultaneous and not cue.unison:
            return []
        return sorted(sentences.get(index, ()), key=lambda p: (p.segment, p.sentence))

    def timed_words(index: int) -> tuple[tuple[str, float, float], ...]:
        placed = ordered(index)
        if not placed or not all(p.words for p in placed):
            return ()
        start, end = spans[index][0] / rate, spans[index][1] / rate
        return tuple((w, min(max(a, start), end), min(max(b, start), end)) for p in placed for w, a, b in p.words)

    return [CueTiming(cue=index, speakers=script.cues[index].speakers, text=script.cues[index].text,
                      start=start / rate, end=end / rate,
                      sentences=tuple((p.text, p.start / rate, p.end / rate) for p in ordered(index)),
                      words=timed_words(index))
            for index, (start, end) in sorted(spans.items())]


def chapter_timings(script: Script, mix: Mix, cues: Sequence[CueTiming]) -> list[ChapterTiming]:
    """Chapters from the script's headings, covering the episode from 0 to its end without gaps.

    A chapter starts where its first spoken cue starts (the first chapter at 0.0) and ends where
    the next begins. Spoken cues before the first heading get a chapter titled like the episode.
    A heading with no spoken cue under it has no duration and is left out. No headings: one
    chapter, the whole episode, titled with the script's title (or "Episode").
    """
    duration = mix.frames / mix.sample_rate  # not len(mix.samples): that renders the whole mix
    episode_title = script.title or "Episode"
    ordered = sorted(cues, key=lambda c: c.cue)
    headings = sorted(script.chapters, key=lambda c: c.cue)
    starts: list[tuple[str, float]] = []
    if headings and ordered and ordered[0].cue < headings[0].cue:
        starts.append((episode_title, ordered[0].start))
    for chapter in headings:
        first = next((c for c in ordered if c.cue >= chapter.cue), None)
        if first is None:
            continue
        if starts and first.start <= starts[-1][1]:
            # the heading before had no spoken cue of its own: this one replaces it
            starts[-1] = (chapter.title, starts[-1][1])
        else:
            starts.append((chapter.title, first.start))
    if not starts:
        return [ChapterTiming(episode_title, 0.0, duration)]
    starts[0] = (starts[0][0], 0.0)  # the lead-in belongs to the first chapter
    ends = [start for _, start in starts[1:]] + [duration]
    return [ChapterTiming(title, start, end) for (title, start), end in zip(starts, ends)]
