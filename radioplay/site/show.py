"""The show a site publishes: its title, author, description, language, category, cover and
explicit flag, from a show.toml or from the episodes' `[production]` tables, checked against what
the podcast directories require before anything is rendered."""

from __future__ import annotations

from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Sequence

from radioplay.config import (FEED_CONVERTERS, TAG_MAX_CHARS, FeedInfo, Production, check_cover, read_fields,
                              rules)
from radioplay.errors import InputError, RadioplayError
from radioplay.values import Rule

SHOW_FILE = "show.toml"
PODCAST_COVER_PIXELS = (1400, 3000)
"""Apple Podcasts and Spotify: a square image 1400 to 3000 px a side."""
DEFAULT_LANGUAGE = "en"


class FeedError(RadioplayError):
    """A feed that would miss something the podcast directories require, or a cover they refuse."""


@dataclass(frozen=True)
class Show:
    """The channel of the feed. `where` says, for each value, which file gave it (for messages)."""

    title: str | None = None
    author: str | None = None
    description: str | None = None
    language: str | None = None
    category: str | None = None
    explicit: bool | None = None
    cover: Path | None = None
    email: str | None = None
    link: str | None = None
    base_url: str | None = None

    def merged(self, other: "Show") -> "Show":
        """These values, and `other`'s where these have none."""
        return replace(self, **{f.name: getattr(other, f.name) for f in fields(self)
                                if getattr(self, f.name) is None and getattr(other, f.name) is not None})


SHOW_KEYS = ("title", "author", "description", "language", "category", "explicit", "cover", "email", "link",
             "base_url")


def read_show(path: Path) -> Show:
    """A show.toml: the SHOW_KEYS, each checked as the `[production]` key of the same meaning is;
    CastError at the key otherwise. A relative cover is inside the file's folder."""
    from radioplay.mix.sounds import resolve_sound
    from radioplay.tomlsource import TomlSource

    source = TomlSource.read(path)
    folder = Path(path).resolve().parent
    feed_rules = rules(FeedInfo)
    text = Rule((str,))
    key_rules = {"title": text, "author": text, "cover": text, "base_url": text,
                 **{k: feed_rules[k] for k in ("description", "language", "category", "explicit", "email", "link")}}

    def short_text(value: object) -> str:
        if not str(value).strip() or len(str(value)) > TAG_MAX_CHARS:
            raise ValueError(f"must be 1 to {TAG_MAX_CHARS} characters")
        return str(value)

    def cover(name: object) -> Path:
        found = resolve_sound(str(name), folder, "the show file's folder")
        check_cover(found)
        return Path(found)

    convert = {"title": short_text, "author": short_text, "cover": cover, "base_url": check_base_url,
               **{k: FEED_CONVERTERS[k] for k in ("description", "language", "category", "email", "link")}}
    values = read_fields(source, source.data, key_rules, Path(path).name, allowed=SHOW_KEYS, convert=convert)
    return Show(**values)


def check_base_url(value: object) -> str:
    """An absolute http(s) address, ending in "/" so that file names join onto it."""
    text = str(value).strip()
    from urllib.parse import urlsplit

    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment or " " in text:
        raise ValueError(f"must be the site's http:// or https:// address, such as "
                         f"\"https://example.org/podcast/\", not {value!r}")
    return text if text.endswith("/") else text + "/"


def show_from_productions(productions: Sequence[tuple[str, Production]]) -> Show:
    """The show's values as the episodes' `[production]` tables give them. Two episodes that give
    one key different values are an error: the show has one title, one cover..."""
    found: dict[str, tuple[object, str]] = {}
    for where, production in productions:
        tags, feed = production.tags, production.feed
        given = {"title": tags.show, "author": tags.artist, "description": feed.description,
                 "language": feed.language, "category": feed.category, "explicit": feed.explicit,
                 "cover": Path(tags.cover) if tags.cover else None, "email": feed.email, "link": feed.link}
        for key, value in given.items():
            if value is None:
                continue
            if key in found and found[key][0] != value:
                name = "show" if key == "title" else key
                raise FeedError(f"{where}: [production] {name} = {_shown(value)} but {found[key][1]} says "
                                f"{_shown(found[key][0])}; a show has one {name}: put it in a {SHOW_FILE}")
            found.setdefault(key, (value, where))
    return Show(**{k: v for k, (v, _) in found.items()})


def _shown(value: object) -> str:
    return repr(str(value)) if isinstance(value, Path) else repr(value)


REQUIRED = {
    "title": "the show's title ([production] show, or title in show.toml)",
    "author": "the show's author ([production] author or artist)",
    "description": "the show's description ([production] description)",
    "category": "an Apple Podcasts category ([production] category, e.g. \"Fiction > Drama\")",
    "cover": "cover art ([production] cover: a square JPEG or PNG, 1400 to 3000 px)",
    "base_url": "the address the site will be served from (--base-url, or base_url in show.toml)",
}


def check_show(show: Show) -> Show:
    """The show with its defaults (language "en", not explicit) once everything the directories
    require is there and the cover meets their rules; FeedError listing what is missing otherwise."""
    missing = [why for key, why in REQUIRED.items() if getattr(show, key) is None]
    if missing:
        raise FeedError("the feed is missing what podcast directories require: " + "; ".join(missing))
    check_podcast_cover(show.cover)
    return replace(show, language=show.language or DEFAULT_LANGUAGE,
                   explicit=bool(show.explicit), link=show.link or show.base_url)


def check_podcast_cover(path: str | Path) -> str:
    """The MIME type of cover art the directories accept: a JPEG or PNG (radioplay.config's
    check_cover), square, PODCAST_COVER_PIXELS a side, in RGB. FeedError names the file and the rule."""
    from PIL import Image

    try:
        mime = check_cover(path)
    except InputError as exc:
        raise FeedError(str(exc)) from None
    with Image.open(path) as image:
        (width, height), mode = image.size, image.mode
    low, high = PODCAST_COVER_PIXELS
    if width != height:
        raise FeedError(f"{path}: cover art is {width}x{height} px; podcast directories require a square image")
    if not low <= width <= high:
        raise FeedError(f"{path}: cover art is {width}x{height} px; podcast directories require {low} to {high} px "
                        "a side")
    if mode != "RGB":
        kinds = {"CMYK": "CMYK", "RGBA": "RGB with transparency", "LA": "greyscale with transparency",
                 "L": "greyscale", "P": "a palette image", "1": "black and white"}
        raise FeedError(f"{path}: cover art is {kinds.get(mode, mode)}; podcast directories require RGB "
                        "(no transparency)")
    return mime
