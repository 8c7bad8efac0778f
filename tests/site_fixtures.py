"""A small two-episode show rendered with the tone engine, for the site's tests."""

from __future__ import annotations

from pathlib import Path

from radioplay.pipeline import RenderOptions
from radioplay.site.build import SiteOptions, publish_site

BASE_URL = "https://example.org/harbour/"

EPISODE_ONE = """\
# The First Night

## Arrival

**Ada**: Good evening, Marlow.

**Marlow**: Evening. You are late.

**Ada**: I was held up at the archive. It took longer than I planned.

## The Archive

**Marlow**: It always does, and the lamp is low.

**Ada**: Then let us begin, shall we? There is a great deal to read.

**Marlow**: We shall. Bring the lamp & the ledger: 3 < 4.

**Ada** and **Marlow**: Goodnight.
"""

EPISODE_TWO = """\
# The Second Night

**Marlow**: You came back.

**Ada**: I said I would.
"""

PRODUCTION = """\
[characters.Ada]
engine = "tone"
voice = "high"

[characters.Marlow]
engine = "tone"
voice = "low"

[production]
show = "Harbour Lights"
author = "A. Writer"
description = "Two keepers & one lamp: a drama in <short> nights."
category = "Fiction > Drama"
cover = "cover.jpg"
language = "en-GB"
explicit = false
email = "writer@example.org"
"""


def write_cover(path: Path, size: tuple[int, int] = (1400, 1400), mode: str = "RGB", fmt: str | None = None) -> Path:
    from PIL import Image

    colour = {"RGB": (30, 60, 90), "RGBA": (30, 60, 90, 128), "CMYK": (10, 20, 30, 40), "L": 90}[mode]
    Image.new(mode, size, colour).save(path, format=fmt)
    return path


def write_show(folder: Path, production: str = PRODUCTION, episodes: dict[str, str] | None = None) -> list[Path]:
    """The scripts (ep1.md, ep2.md), a cast file for each (ep1.toml, ep2.toml) and cover.jpg."""
    folder.mkdir(parents=True, exist_ok=True)
    write_cover(folder / "cover.jpg")
    scripts = []
    for name, text in (episodes or {"ep1": EPISODE_ONE, "ep2": EPISODE_TWO}).items():
        (folder / f"{name}.md").write_text(text, encoding="utf-8")
        (folder / f"{name}.toml").write_text(production, encoding="utf-8")
        scripts.append(folder / f"{name}.md")
    return scripts


def publish(folder: Path, scripts: list[Path], suffix: str = ".mp3", base_url: str | None = BASE_URL, **site):
    """Publish `scripts` (each with its own cast file beside it) into folder/site, one script at a time
    so each gets its cast file; returns the last plan."""
    plan = None
    for script in scripts:
        options = SiteOptions(site=folder / "site", base_url=base_url, renders=folder / "renders",
                              audio_suffix=suffix,
                              render=RenderOptions(cast=script.with_suffix(".toml"), jobs=1, cache=folder / "takes"),
                              **site)
        plan, _ = publish_site([script], options)
    return plan
