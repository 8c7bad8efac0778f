"""A picture of who speaks when: one row per speaker, a bar per cue, chapters marked."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Sequence

from radioplay.io import atomic_path
from radioplay.model import ChapterTiming, CueTiming


def _clock(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 60}:{s % 60:02d}"


def draw_timeline(path: str | os.PathLike, cues: Sequence[CueTiming], chapters: Sequence[ChapterTiming],
                  duration: float, title: str | None = None, atomic: bool = True) -> Path:
    """Draw a PNG timeline. A unison cue shows in every one of its speakers' rows (hatched).
    `atomic=False` writes `path` itself (for a caller that writes to a temporary)."""
    import matplotlib  # imported here: plotting is optional work, never done at import time

    matplotlib.use("Agg")
    from matplotlib.figure import Figure
    from matplotlib.ticker import FuncFormatter, MaxNLocator

    speakers: list[str] = []
    for cue in cues:
        for name in cue.speakers:
            if name not in speakers:
                speakers.append(name)
    rows = {name: len(speakers) - 1 - i for i, name in enumerate(speakers)}  # first speaker on top
    figure = Figure(figsize=(max(8.0, min(24.0, duration / 20.0)), 1.4 + 0.55 * max(1, len(speakers))), dpi=100)
    axes = figure.add_subplot()
    colours = matplotlib.colormaps["tab10"]
    for cue in cues:
        together = len(cue.speakers) > 1
        for name in cue.speakers:
            row = rows[name]
            axes.broken_barh([(cue.start, max(cue.end - cue.start, 1e-3))], (row - 0.35, 0.7),
                             facecolors=colours(speakers.index(name) % 10), edgecolor="black" if together else "none",
                             hatch="//" if together else None, linewidth=0.5)
    for chapter in chapters:
        axes.axvline(chapter.start, color="0.3", linestyle="--", linewidth=0.8)
        axes.text(chapter.start, len(speakers) - 0.5, f" {chapter.title}", rotation=0, va="bottom",
                  ha="left", fontsize=8, color="0.2", clip_on=True)
    axes.set_yticks([rows[name] for name in speakers], speakers)
    axes.set_ylim(-0.6, len(speakers) - 0.5 + (0.45 if chapters else 0.0))
    axes.set_xlim(0, max(duration, 1e-3))
    axes.xaxis.set_major_locator(MaxNLocator(nbins=12, steps=[1, 2, 3, 5, 6, 10]))
    axes.xaxis.set_major_formatter(FuncFormatter(lambda seconds, _: _clock(seconds)))
    axes.set_xlabel("time (m:ss)")
    axes.grid(axis="x", color="0.9")
    axes.set_axisbelow(True)
    if title:
        axes.set_title(title)
    figure.tight_layout()
    with atomic_path(path) if atomic else contextlib.nullcontext(path) as tmp:
        figure.savefig(tmp, format="png")
    return Path(path)
