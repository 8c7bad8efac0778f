"""The site's HTML: index.html (the show, its episodes newest first) and one page per episode
(title, cover, the browser's own audio player, chapters, cast and the whole transcript as text).

Everything a page needs is in it or beside it: the style and script are inlined, nothing is
fetched from elsewhere. Every text from a script or cast file is escaped."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from importlib import resources
from typing import Sequence

from radioplay.site.feed import FEED_FILE, clock, parse_date
from radioplay.site.records import EpisodeRecord
from radioplay.site.show import Show
from radioplay.site.transcript import TranscriptLine

PAGE_FILE = "index.html"
PAGE_BUDGET_BYTES = 100_000
"""The most a page may weigh, the audio and cover apart."""


@dataclass(frozen=True)
class ChapterLink:
    title: str
    start: float


def _asset(name: str) -> str:
    return resources.files("radioplay.site").joinpath(name).read_text(encoding="utf-8")


def _document(show: Show, title: str, body: str, root: str, script: bool = False) -> str:
    lang = escape(show.language or "en", quote=True)
    js = f"<script>\n{_asset('page.js')}</script>\n" if script else ""
    return (f'<!doctype html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n'
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<title>{escape(title)}</title>\n"
            f'<link rel="alternate" type="application/rss+xml" title="{escape(show.title or "", quote=True)}" '
            f'href="{root}{FEED_FILE}">\n'
            f"<style>\n{_asset('page.css')}</style>\n</head>\n<body>\n{body}{js}</body>\n</html>\n")


def _when(episode: EpisodeRecord) -> str:
    moment = parse_date(episode.pub_date)
    return f'<time datetime="{escape(moment.isoformat(), quote=True)}">{moment.strftime("%d %B %Y").lstrip("0")}</time>'


def show_page(show: Show, episodes: Sequence[EpisodeRecord], cover_name: str) -> str:
    """index.html: the show's cover, title, author and description, and its episodes newest first."""
    items = []
    for episode in sorted(episodes, key=lambda e: (parse_date(e.pub_date), e.season, e.number), reverse=True):
        items.append(f'<li><h3><a href="{escape(episode.slug, quote=True)}/">{escape(episode.title)}</a></h3>\n'
                     f'<p class="meta">Episode {episode.number}, season {episode.season} · {_when(episode)} · '
                     f'{clock(episode.duration)}</p>\n'
                     + (f"<p>{escape(episode.description)}</p>" if episode.description else "") + "</li>")
    body = (f'<header>\n<img src="{escape(cover_name, quote=True)}" alt="Cover art of {escape(show.title, quote=True)}">\n'
            f"<div><h1>{escape(show.title)}</h1>\n<p class=\"show\">by {escape(show.author)}</p></div>\n</header>\n"
            f"<main>\n<p>{escape(show.description)}</p>\n"
            f'<p><a href="{FEED_FILE}">Subscribe with the RSS feed</a></p>\n'
            '<section aria-labelledby="episodes-title">\n<h2 id="episodes-title">Episodes</h2>\n'
            f'<ol class="episodes" reversed>\n' + "\n".join(items) + "\n</ol>\n</section>\n</main>\n")
    return _document(show, show.title, body, root="")


def _words(line: TranscriptLine) -> str:
    """A span per timed word, `data-s` its start; `data-e` only where it ends before the next
    word starts (or before the line ends): five bytes in six of a word-timed page are markup."""
    out = []
    for k, w in enumerate(line.words):
        follows = line.words[k + 1].start if k + 1 < len(line.words) else line.end
        end = f' data-e="{w.end:.3f}"' if f"{w.end:.3f}" != f"{follows:.3f}" else ""
        out.append(f'<span data-s="{w.start:.3f}"{end}>{escape(w.text)}</span>')
    return " ".join(out)


def _line(index: int, line: TranscriptLine) -> str:
    if line.words:
        text = _words(line)
    else:
        text = escape(line.text)
    who = f'<span class="who">{escape(line.speaker)}:</span> ' if line.speaker else ""
    return (f'<li class="cue" id="line-{index}" tabindex="0" aria-describedby="line-hint" '
            f'data-start="{line.start:.3f}" data-end="{line.end:.3f}">{who}{text}'
            f'<time>{clock(line.start)}</time></li>')


def episode_page(show: Show, episode: EpisodeRecord, lines: Sequence[TranscriptLine],
                 chapters: Sequence[ChapterLink], cover_href: str) -> str:
    """`slug/index.html`: the player, the chapters as links that seek, the cast and the transcript.
    `cover_href` is relative to the page (the episode's own cover, or the show's)."""
    audio = escape(episode.audio, quote=True)
    title = escape(episode.title)
    chapter_items = "\n".join(
        f'<li><a class="chapter" href="{audio}#t={c.start:.3f}" data-start="{c.start:.3f}">{escape(c.title)}</a> '
        f"<time>{clock(c.start)}</time></li>" for c in chapters)
    cast_rows = "\n".join(f"<tr><td>{escape(c.character)}</td><td>{escape(c.voice)}</td><td>{escape(c.engine)}</td></tr>"
                          for c in episode.cast)
    transcript = "\n".join(_line(i, line) for i, line in enumerate(lines, start=1))
    body = (
        '<a class="skip" href="#transcript">Skip to the transcript</a>\n'
        f'<header>\n<img src="{escape(cover_href, quote=True)}" alt="Cover art of {title}">\n'
        f'<div><p class="show"><a href="../">{escape(show.title)}</a> · episode {episode.number}, '
        f"season {episode.season}</p>\n<h1>{title}</h1>\n<p class=\"meta\">{_when(episode)} · {clock(episode.duration)}</p>"
        "</div>\n</header>\n<main>\n"
        '<section class="player" aria-label="Player">\n'
        f'<audio id="player" controls preload="metadata" src="{audio}" aria-label="Play {title}">'
        f'<a href="{audio}">Download the episode</a></audio>\n'
        '<p class="hint"><label><input type="checkbox" id="follow" checked> Keep the line being spoken in view</label></p>\n'
        "</section>\n"
        + (f'<nav aria-labelledby="chapters-title">\n<h2 id="chapters-title">Chapters</h2>\n<ol>\n{chapter_items}\n</ol>\n</nav>\n'
           if chapters else "")
        + (f'<section aria-labelledby="cast-title">\n<h2 id="cast-title">Cast</h2>\n<table>\n'
           '<thead><tr><th scope="col">Character</th><th scope="col">Voice</th><th scope="col">Engine</th></tr></thead>\n'
           f"<tbody>\n{cast_rows}\n</tbody>\n</table>\n</section>\n" if episode.cast else "")
        + '<section id="transcript" aria-labelledby="transcript-title">\n<h2 id="transcript-title">Transcript</h2>\n'
        '<p class="hint" id="line-hint">Select a line, or press Enter on it, to play from there.</p>\n'
        f'<ol class="transcript">\n{transcript}\n</ol>\n</section>\n</main>\n'
        f'<footer><p class="downloads">Download: <a href="{audio}">audio</a> · '
        f'<a href="{escape(episode.vtt, quote=True)}">transcript (WebVTT)</a> · '
        f'<a href="{escape(episode.srt, quote=True)}">captions (SRT)</a> · '
        f'<a href="{escape(episode.chapters, quote=True)}">chapters (JSON)</a> · '
        f'<a href="../{FEED_FILE}">RSS feed</a></p></footer>\n')
    return _document(show, f"{episode.title} · {show.title}", body, root="../", script=True)
