"""The site's own record of what it publishes (`episodes.json` in the site folder): each episode's
guid, number, date and files, so publishing again keeps the old episodes exactly as they were and
adds the new ones."""

from __future__ import annotations

import json
import re
import uuid
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from radioplay.errors import InputError

RECORDS_FILE = "episodes.json"
SCHEMA = 1
PODCAST_NAMESPACE = uuid.UUID("ead4c236-bf58-58c6-a2c6-a6b28d128cb6")
"""Podcasting 2.0's namespace for podcast:guid (a UUIDv5 of the feed address without its scheme)."""


@dataclass(frozen=True)
class Credit:
    character: str
    voice: str
    engine: str


@dataclass(frozen=True)
class EpisodeRecord:
    """One published episode; its files are in the site folder's `slug/`."""

    slug: str
    guid: str
    """Made once, when the episode is first published, and kept."""
    title: str
    number: int
    season: int
    pub_date: str
    """ISO 8601 with a time zone."""
    audio: str
    mime: str
    bytes: int
    duration: float
    vtt: str
    srt: str
    chapters: str
    description: str | None = None
    author: str | None = None
    cover: str | None = None
    """The episode's own cover, in its folder, when it has one."""
    script: str = ""
    """The script it was rendered from (for messages)."""
    cast: tuple[Credit, ...] = field(default_factory=tuple)


@dataclass
class SiteRecords:
    episodes: list[EpisodeRecord] = field(default_factory=list)
    base_url: str | None = None

    @classmethod
    def read(cls, site: Path) -> "SiteRecords":
        """The site's record, or an empty one for a new site. InputError for a record that is
        there but unreadable: guessing would change the old episodes' guids."""
        path = Path(site) / RECORDS_FILE
        if not path.exists():
            return cls()
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            names = {f.name for f in fields(EpisodeRecord)}
            episodes = [EpisodeRecord(**{**{k: v for k, v in e.items() if k in names},
                                         "cast": tuple(Credit(**c) for c in e.get("cast", []))})
                        for e in data["episodes"]]
            return cls(episodes, data.get("base_url"))
        except (OSError, ValueError, KeyError, TypeError) as exc:
            raise InputError(f"{path}: not a site record radioplay can read ({exc}); it keeps the episodes' "
                             "guids, so restore it rather than delete it") from None

    def text(self) -> str:
        return json.dumps({"schema": SCHEMA, "base_url": self.base_url,
                           "episodes": [asdict(e) for e in self.episodes]}, indent=2, ensure_ascii=False) + "\n"

    def get(self, slug: str) -> EpisodeRecord | None:
        return next((e for e in self.episodes if e.slug == slug), None)

    def put(self, record: EpisodeRecord) -> None:
        self.episodes = [e for e in self.episodes if e.slug != record.slug] + [record]
        self.episodes.sort(key=lambda e: (e.season, e.number, e.pub_date))

    def next_number(self) -> int:
        return max((e.number for e in self.episodes), default=0) + 1


def slug_for(name: str) -> str:
    """A folder name for an episode from its script's file name: "The Keeper (draft 2).md" ->
    "the-keeper-draft-2"."""
    slug = re.sub(r"[^a-z0-9]+", "-", Path(name).stem.lower()).strip("-")
    return slug or "episode"


def new_guid(base_url: str, slug: str) -> str:
    """A UUIDv5 of the episode page's address: made once, then kept in the record."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"{base_url}{slug}/"))


def podcast_guid(feed_url: str) -> str:
    """podcast:guid as Podcasting 2.0 defines it: UUIDv5 of the feed address without scheme or
    trailing slashes."""
    bare = re.sub(r"^[a-zA-Z][a-zA-Z0-9+.-]*://", "", feed_url).rstrip("/")
    return str(uuid.uuid5(PODCAST_NAMESPACE, bare))
