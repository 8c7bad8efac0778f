"""The typed configuration a cast file gives besides its voices: `[timing]` and `[production]`
(episode tags, cover art, beds), each value checked once, with its file:line:col, when the cast
is loaded, and the sound files a script names, checked before the first take.

The rules live on the dataclasses' fields (`metadata={"rule": Rule(...)}`), next to their meaning;
`read_fields` reads any of them out of a TOML table.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields
from datetime import date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Callable, Iterable, Mapping

from radioplay.errors import InputError, ScriptError
from radioplay.mix.beds import PINK, Beds
from radioplay.mix.sounds import check_sound, resolve_sound
from radioplay.mix.timing import Timing
from radioplay.publish.audio import EpisodeTags
from radioplay.values import Rule, unknown_key_message

if TYPE_CHECKING:
    from radioplay.model import Script
    from radioplay.tomlsource import TomlSource

COVER_FORMATS = {"JPEG": "image/jpeg", "PNG": "image/png"}
COVER_MAX_BYTES = 10 * 1024 * 1024
"""ID3 and FLAC hold larger pictures, but podcast directories refuse covers over a few MB."""
COVER_PIXELS = (300, 4096)
"""Smallest and largest side, px (Apple Podcasts asks for 1400-3000 px square)."""
TAG_MAX_CHARS = 1000
EPISODE_NUMBERS = Rule((int,), 0, 1_000_000)
_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2}([T ]\d{2}:\d{2}(:\d{2})?)?)?)?$")
PRODUCTION_ALIASES = {"album": "show", "author": "artist"}
"""`album` is the ID3 name of what radioplay calls the show; a podcast's `author` is its ID3 artist."""
DESCRIPTION_MAX_CHARS = 4000
"""Apple Podcasts' limit for a show's or an episode's description."""
SEASONS = Rule((int,), 1, 100_000)
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*$")


@dataclass(frozen=True)
class FeedInfo:
    """What `radioplay publish` writes into the feed besides the tags: `[production]` keys (or a
    show.toml's). None means not given (radioplay.site says which the platforms require)."""

    description: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """The show's description (the episode's is the `comment` tag)."""
    language: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """BCP 47, e.g. "en" or "en-GB"."""
    category: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """An Apple Podcasts category, "Fiction" or with its subcategory "Fiction > Drama"."""
    explicit: bool | None = field(default=None, metadata={"rule": Rule((bool,))})
    season: int | None = field(default=None, metadata={"rule": Rule((int, str))})
    pub_date: str | None = field(default=None, metadata={"rule": Rule((str, date))})
    """The episode's publication date, ISO 8601 "2026-11-26" or "2026-11-26T09:00:00Z"."""
    email: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """The owner's address (itunes:owner), which directories use to verify the feed."""
    link: str | None = field(default=None, metadata={"rule": Rule((str,))})
    """The show's web site; default: the published site."""


@dataclass(frozen=True)
class Production:
    """A cast file's `[production]` table, checked: the episode's tags and its beds. File names
    in it are resolved inside the cast file's folder."""

    tags: EpisodeTags = field(default_factory=EpisodeTags)
    beds: Beds = field(default_factory=Beds)
    feed: FeedInfo = field(default_factory=FeedInfo, repr=False)
    """Not in repr: the render key hashes repr(production), and the feed's text changes no audio."""

    def sound_files(self) -> list[Path]:
        """The files the episode is made from besides the takes: the beds' and the cover."""
        return self.bed_files() + ([Path(self.tags.cover)] if self.tags.cover else [])

    def bed_files(self) -> list[Path]:
        """The beds' sound files (intro, outro, a room-tone file)."""
        named = [self.beds.intro, self.beds.outro]
        if self.beds.room_tone != PINK:
            named.append(self.beds.room_tone)
        return [Path(name) for name in named if name]


def rules(cls) -> dict[str, Rule]:
    """The user-settable fields of a dataclass and their rules (fields without one are internal)."""
    return {f.name: f.metadata["rule"] for f in fields(cls) if "rule" in f.metadata}


def read_fields(source: TomlSource, table: Mapping[str, object], field_rules: Mapping[str, Rule],
                where: str, *keys: str, allowed: Iterable[str] | None = None,
                convert: Mapping[str, Callable[[object], object]] | None = None) -> dict[str, object]:
    """The values of `table`, in the file's order, checked against `field_rules` and then turned into
    what the field holds by `convert` (which raises ValueError or InputError); CastError at the key
    for an unknown key (with "did you mean") or a bad value. Keys in `allowed` without a rule pass."""
    allowed = list(allowed if allowed is not None else field_rules)
    convert = convert or {}
    checked: dict[str, object] = {}
    for key, value in table.items():
        if key not in allowed:
            raise source.error(unknown_key_message(key, allowed, where), *keys, key)
        if key not in field_rules:
            continue
        try:
            value = field_rules[key].check(value)
            checked[key] = convert[key](value) if key in convert else value
        except ValueError as exc:
            raise source.error(f"{where} {key} {exc}", *keys, key) from None
        except InputError as exc:
            raise source.error(f"{where} {key}: {exc}", *keys, key) from None
    return checked


def read_timing(source: TomlSource, table: Mapping[str, object]) -> dict[str, float]:
    """A `[timing]` table's overrides, checked (Timing(**overrides) builds the model)."""
    return read_fields(source, table, rules(Timing), "[timing]", "timing")


def read_production(source: TomlSource, table: Mapping[str, object]) -> Production:
    """A `[production]` table, checked: tags, the cover (a real JPEG or PNG) and the bed files,
    all inside the cast file's folder."""
    tag_rules, bed_rules, feed_rules = rules(EpisodeTags), rules(Beds), rules(FeedInfo)
    aliases = {alias: tag_rules[name] for alias, name in PRODUCTION_ALIASES.items()}
    folder = Path(source.path).resolve().parent if source.path else None

    def inside(name: object) -> str:
        if folder is None:
            raise ValueError("needs a cast file in a folder")
        return str(resolve_sound(str(name), folder, "the cast file's folder"))

    def cover(name: object) -> str:
        path = inside(name)
        check_cover(path)
        return path

    def sound(name: object) -> str:
        path = inside(name)
        check_sound(path)
        return path

    convert: dict[str, Callable[[object], object]] = {
        key: _tag_text for key in ("title", "show", "album", "artist", "comment", "genre")}
    convert.update(episode=_episode_number, date=_iso_date, cover=cover, intro=sound, outro=sound,
                   room_tone=lambda name: PINK if name == PINK else sound(name), **FEED_CONVERTERS)
    values = read_fields(source, table, {**tag_rules, **bed_rules, **feed_rules, **aliases}, "[production]",
                         "production", allowed=[*tag_rules, *aliases, *bed_rules, *feed_rules], convert=convert)
    for alias, name in PRODUCTION_ALIASES.items():
        if alias in values:
            values.setdefault(name, values.pop(alias))
    tags = EpisodeTags(**{k: v for k, v in values.items() if k in tag_rules})
    beds = Beds(**{k: v for k, v in values.items() if k in bed_rules},
                sounds_dir=str(folder) if folder else None)
    return Production(tags, beds, FeedInfo(**{k: v for k, v in values.items() if k in feed_rules}))


def _tag_text(value: object) -> str:
    if not str(value).strip() or len(str(value)) > TAG_MAX_CHARS:
        raise ValueError(f"must be 1 to {TAG_MAX_CHARS} characters")
    return str(value)


def _description(value: object) -> str:
    if not str(value).strip() or len(str(value)) > DESCRIPTION_MAX_CHARS:
        raise ValueError(f"must be 1 to {DESCRIPTION_MAX_CHARS} characters")
    return str(value).strip()


def _language(value: object) -> str:
    if not _LANGUAGE.match(str(value)):
        raise ValueError(f"must be a language tag such as \"en\" or \"en-GB\", not {value!r}")
    return str(value)


def _category(value: object) -> str:
    from radioplay.site.categories import check_category

    return check_category(str(value))


def _season(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    return int(SEASONS.check(value))


def _pub_date(value: object) -> str:
    """An ISO 8601 date or date and time (a TOML date or datetime too), kept as text."""
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    try:
        datetime.fromisoformat(str(value).strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"must be an ISO 8601 date such as \"2026-11-26\" or \"2026-11-26T09:00:00Z\", "
                         f"not {value!r}") from None
    return str(value).strip()


def _email(value: object) -> str:
    if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", str(value)):
        raise ValueError(f"must be an e-mail address, not {value!r}")
    return str(value)


def _web_address(value: object) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", str(value)):
        raise ValueError(f"must be an http:// or https:// address, not {value!r}")
    return str(value)


FEED_CONVERTERS: dict[str, Callable[[object], object]] = {
    "description": _description, "language": _language, "category": _category, "season": _season,
    "pub_date": _pub_date, "email": _email, "link": _web_address}
"""How each FeedInfo key is checked beyond its type (radioplay.site reads show.toml with these too)."""


def _episode_number(value: object) -> int:
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())  # "12" is how some people write a number
    return int(EPISODE_NUMBERS.check(value))


def _iso_date(value: object) -> str:
    if isinstance(value, (date, datetime)):  # TOML's own date literal: date = 2026-11-26
        return value.isoformat()
    if isinstance(value, str) and _ISO_DATE.match(value.strip()):
        return value.strip()
    raise ValueError(f"must be an ISO 8601 date such as \"2026-11-26\" or a year, not {value!r}")


def check_cover(path: str | Path) -> str:
    """The MIME type of a cover image, after reading its header with Pillow: a JPEG or PNG of at
    most COVER_MAX_BYTES, COVER_PIXELS[0] to COVER_PIXELS[1] px a side. InputError says why not."""
    from PIL import Image, UnidentifiedImageError

    path = Path(path)
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise InputError(f"{path}: cannot read cover art: {exc.strerror or exc}") from None
    if size > COVER_MAX_BYTES:
        raise InputError(f"{path}: cover art is {size / 1e6:.1f} MB; the limit is {COVER_MAX_BYTES / 1e6:.0f} MB")
    try:
        with Image.open(path) as image:
            kind, (width, height) = image.format, image.size
            image.verify()  # walks the chunks/markers without decoding every pixel
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise InputError(f"{path}: cover art is not a readable JPEG or PNG image ({exc})") from None
    if kind not in COVER_FORMATS:
        raise InputError(f"{path}: cover art is a {kind} image; use a JPEG or PNG")
    low, high = COVER_PIXELS
    if not (low <= width <= high and low <= height <= high):
        raise InputError(f"{path}: cover art is {width}x{height} px; each side must be {low} to {high} px")
    return COVER_FORMATS[kind]


def script_sounds(script: Script, folder: Path) -> dict[str, Path]:
    """Every sound file the script's `_[SFX: file]_` directions name, resolved inside `folder`
    and readable; ScriptError at the direction otherwise."""
    from radioplay.mix import sfx_file

    found: dict[str, Path] = {}
    for cue in script.cues:
        name = sfx_file(cue)
        if name is None or name in found:
            continue
        try:
            found[name] = resolve_sound(name, folder)
            check_sound(found[name])
        except InputError as exc:
            raise ScriptError(str(exc), script.path, cue.line, cue.col) from None
    return found
