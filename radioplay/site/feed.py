"""feed.xml: RSS 2.0 with the itunes and Podcasting 2.0 (podcast) namespaces."""

from __future__ import annotations

import html
from datetime import datetime, timezone
from email.utils import format_datetime
from typing import Iterable
from urllib.parse import quote
from xml.sax.saxutils import escape, quoteattr

from radioplay.site.categories import split_category
from radioplay.site.records import EpisodeRecord, podcast_guid
from radioplay.site.show import Show

FEED_FILE = "feed.xml"
NAMESPACES = {
    "itunes": "http://www.itunes.com/dtds/podcast-1.0.dtd",
    "podcast": "https://podcastindex.org/namespace/1.0",
    "atom": "http://www.w3.org/2005/Atom",
}
TRANSCRIPT_TYPES = {"vtt": "text/vtt", "srt": "application/x-subrip"}
CHAPTERS_TYPE = "application/json+chapters"
VOICE_ROLE = ("cast", "Voice Actor")
AUTHOR_ROLE = ("writing", "Author")
"""Podcasting 2.0's person taxonomy: group and role."""


def element(name: str, text: object = None, children: Iterable[str] = (), **attrs: object) -> str:
    """One XML element as text, attributes and text escaped ("_" in an attribute name is ":")."""
    attributes = "".join(f" {key.replace('_', ':')}={quoteattr(str(value))}"
                         for key, value in attrs.items() if value is not None)
    body = "".join(children) if children else ("" if text is None else escape(str(text)))
    return f"<{name}{attributes}>{body}</{name}>" if body else f"<{name}{attributes}/>"


def html_text(text: str) -> str:
    """A description is HTML to podcast apps: plain text is escaped as HTML before it is escaped
    as XML, so that "<" in a script's text is shown, not taken for a tag."""
    return html.escape(text, quote=False)


def url(base_url: str, *parts: str) -> str:
    return base_url + "/".join(quote(part) for part in parts)


def rfc822(iso: str) -> str:
    return format_datetime(parse_date(iso))


def parse_date(iso: str) -> datetime:
    """An ISO 8601 date or date and time; without a zone it is UTC."""
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def clock(seconds: float) -> str:
    """HH:MM:SS, as itunes:duration takes it."""
    whole = int(round(seconds))
    return f"{whole // 3600:02d}:{whole // 60 % 60:02d}:{whole % 60:02d}"


def feed_xml(show: Show, episodes: list[EpisodeRecord], cover_name: str) -> str:
    """The feed: the channel from `show` (checked: radioplay.site.show.check_show), its cover at
    `cover_name` in the site, and `episodes` newest first."""
    base = show.base_url
    feed_url = url(base, FEED_FILE)
    top, sub = split_category(show.category)
    inner = f"<itunes:category text={quoteattr(sub)}/>" if sub else ""
    category = f"<itunes:category text={quoteattr(top)}>{inner}</itunes:category>"
    channel = [
        element("title", show.title),
        element("link", show.link),
        element("description", html_text(show.description)),
        element("language", show.language),
        element("atom:link", href=feed_url, rel="self", type="application/rss+xml"),
        element("generator", "radioplay"),
        element("lastBuildDate", format_datetime(_newest(episodes))),
        element("itunes:author", show.author),
        element("itunes:summary", show.description),
        element("itunes:image", href=url(base, cover_name)),
        category,
        element("itunes:explicit", "true" if show.explicit else "false"),
        element("podcast:guid", podcast_guid(feed_url)),
        element("podcast:person", show.author, group=AUTHOR_ROLE[0], role=AUTHOR_ROLE[1]),
    ]
    if show.email:
        channel.append(element("itunes:owner", children=[element("itunes:name", show.author),
                                                         element("itunes:email", show.email)]))
    newest_first = sorted(episodes, key=lambda e: (parse_date(e.pub_date), e.season, e.number), reverse=True)
    channel += [_item(show, episode) for episode in newest_first]
    namespaces = "".join(f" xmlns:{prefix}={quoteattr(uri)}" for prefix, uri in NAMESPACES.items())
    return ('<?xml version="1.0" encoding="UTF-8"?>\n'
            f'<rss version="2.0"{namespaces}>\n<channel>\n' + "\n".join(channel) + "\n</channel>\n</rss>\n")


def _newest(episodes: list[EpisodeRecord]) -> datetime:
    return max((parse_date(e.pub_date) for e in episodes), default=datetime(1970, 1, 1, tzinfo=timezone.utc))


def _item(show: Show, episode: EpisodeRecord) -> str:
    base, slug = show.base_url, episode.slug
    author = episode.author or show.author
    children = [
        element("title", episode.title),
        element("link", url(base, slug, "")),
        element("guid", episode.guid, isPermaLink="false"),
        element("pubDate", rfc822(episode.pub_date)),
        element("description", html_text(episode.description
                                         or f"{episode.title}: episode {episode.number} of {show.title}.")),
        element("enclosure", url=url(base, slug, episode.audio), length=episode.bytes, type=episode.mime),
        element("itunes:title", episode.title),
        element("itunes:duration", clock(episode.duration)),
        element("itunes:episode", episode.number),
        element("itunes:season", episode.season),
        element("itunes:episodeType", "full"),
        element("itunes:explicit", "true" if show.explicit else "false"),
        element("itunes:author", author),
    ]
    if episode.cover:
        children.append(element("itunes:image", href=url(base, slug, episode.cover)))
    children += [
        element("podcast:transcript", url=url(base, slug, episode.vtt), type=TRANSCRIPT_TYPES["vtt"], language=show.language),
        element("podcast:transcript", url=url(base, slug, episode.srt), type=TRANSCRIPT_TYPES["srt"], language=show.language),
        element("podcast:chapters", url=url(base, slug, episode.chapters), type=CHAPTERS_TYPE),
        element("podcast:season", episode.season),
        element("podcast:episode", episode.number),
        element("podcast:person", author, group=AUTHOR_ROLE[0], role=AUTHOR_ROLE[1]),
    ]
    children += [element("podcast:person", f"{credit.voice} ({credit.engine}) as {credit.character}",
                         group=VOICE_ROLE[0], role=VOICE_ROLE[1]) for credit in episode.cast]
    return element("item", children=["\n" + "\n".join(children) + "\n"])
