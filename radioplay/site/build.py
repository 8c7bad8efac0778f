"""`radioplay publish`: render (or reuse) each episode through the pipeline, then write the site.

    plan = plan_site(["ep1.md", "ep2.md"], SiteOptions(site=Path("site"), base_url="https://example.org/pod/"))
    results = [execute(p) for p in plan.prepared]     # the pipeline's own render, up to date when unchanged
    written = write_site(plan, results)

`plan_site` checks everything (the scripts and casts through `prepare`, the show, the covers, the
episode numbers) before anything is rendered; `write_site` only reads the rendered episodes and
their sidecars.
"""

from __future__ import annotations

import dataclasses
import json
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Sequence

from radioplay.errors import InputError
from radioplay.site.records import Credit, EpisodeRecord, SiteRecords, new_guid, slug_for
from radioplay.site.show import SHOW_FILE, FeedError, Show, check_podcast_cover, check_show, read_show, show_from_productions

AUDIO_TYPES = {".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".m4b": "audio/mp4", ".ogg": "audio/ogg",
               ".opus": "audio/ogg", ".wav": "audio/wav", ".flac": "audio/flac"}
COVER_SUFFIXES = {"image/jpeg": ".jpg", "image/png": ".png"}


@dataclass
class SiteOptions:
    site: Path = Path("site")
    base_url: str | None = None
    """Where the site will be served from; default: show.toml's, else the one the site was last published with."""
    show: Path | None = None
    """A show.toml; default: show.toml beside the first script, when there is one."""
    renders: Path = Path("output")
    """Where the episodes are rendered (as `radioplay render` does by default: output/<stem>.mp3)."""
    audio_suffix: str = ".mp3"
    render: object = None
    """A radioplay.pipeline.RenderOptions: the render settings for every episode (its output is ignored)."""


@dataclass
class EpisodePlan:
    script: Path
    slug: str
    prepared: object
    """radioplay.pipeline.Prepared"""
    record: EpisodeRecord
    """What the site will say about it, bytes and duration filled in once it is rendered."""
    cover: Path | None = None
    """The episode's own cover, when it is not the show's."""


@dataclass
class SitePlan:
    options: SiteOptions
    show: Show
    records: SiteRecords
    episodes: list[EpisodePlan] = field(default_factory=list)

    @property
    def prepared(self) -> list:
        return [episode.prepared for episode in self.episodes]


def plan_site(scripts: Sequence[str | Path], options: SiteOptions) -> SitePlan:
    """Prepare every episode and check the whole feed; nothing is rendered or written."""
    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.site.show import check_base_url

    if not scripts:
        raise InputError("publish needs at least one script")
    site = Path(options.site)
    if site.exists() and not site.is_dir():
        raise InputError(f"{site}: is a file; --site needs a folder")
    suffix = options.audio_suffix.lower()
    if suffix not in AUDIO_TYPES:
        raise InputError(f"unknown audio format {suffix!r} for a feed; use one of {', '.join(AUDIO_TYPES)}")
    records = SiteRecords.read(site)
    template = options.render or RenderOptions()
    slugs: dict[str, Path] = {}
    prepared = []
    for script in map(Path, scripts):
        slug = slug_for(script.name)
        if slug in slugs:
            raise InputError(f"{script}: its episode folder would be {slug!r}, as {slugs[slug]}'s is; rename one")
        slugs[slug] = script
        output = Path(options.renders) / f"{script.stem}{suffix}"
        # each episode's own cast file when no --cast is given: its [production] differs per episode
        cast = template.cast or _beside(script, f"{script.stem}.toml")
        prepared.append((script, slug, prepare(script, dataclasses.replace(template, output=output, cast=cast))))

    show_file = options.show or _beside(Path(scripts[0]), SHOW_FILE)
    show = read_show(show_file) if show_file else Show()
    show = show.merged(show_from_productions([(str(p.casting.path or script), p.production)
                                              for script, _, p in prepared]))
    base_url = options.base_url or show.base_url or records.base_url
    if base_url is not None:
        try:
            base_url = check_base_url(base_url)
        except ValueError as exc:
            raise FeedError(f"--base-url {exc}") from None
    show = check_show(dataclasses.replace(show, base_url=base_url))
    records.base_url = base_url

    plan = SitePlan(options, show, records)
    now = datetime.now(timezone.utc).replace(microsecond=0).isoformat()
    numbers = records.next_number()
    for script, slug, p in prepared:
        old = records.get(slug)
        tags, feed = p.production.tags, p.production.feed
        number = tags.episode if tags.episode is not None else (old.number if old else None)
        if number is None:
            number, numbers = numbers, numbers + 1
        cover = Path(tags.cover) if tags.cover and Path(tags.cover) != show.cover else None
        cover_name = None
        if cover is not None:
            cover_name = "cover" + COVER_SUFFIXES[check_podcast_cover(cover)]
        record = EpisodeRecord(
            slug=slug, guid=old.guid if old else new_guid(base_url, slug),
            title=tags.title or p.script.title or script.stem, number=int(number),
            season=feed.season or (old.season if old else 1),
            pub_date=_with_zone(feed.pub_date) if feed.pub_date else (old.pub_date if old else now),
            audio=f"{slug}{suffix}", mime=AUDIO_TYPES[suffix], bytes=0, duration=0.0,
            vtt=f"{slug}.vtt", srt=f"{slug}.srt", chapters=f"{slug}.chapters.json",
            description=tags.comment, author=tags.artist, cover=cover_name, script=str(script),
            cast=tuple(Credit(name, spec.voice, spec.engine) for name, spec in p.casting.characters.items()))
        plan.episodes.append(EpisodePlan(script, slug, p, record, cover))
    _check_numbers(plan)
    return plan


def _beside(script: Path, name: str) -> Path | None:
    path = script.resolve().parent / name
    return path if path.is_file() else None


def _with_zone(iso: str) -> str:
    from radioplay.site.feed import parse_date

    return parse_date(iso).isoformat()


def _check_numbers(plan: SitePlan) -> None:
    """Two episodes with one season and number confuse every podcast app."""
    planned = {e.slug for e in plan.episodes}
    seen: dict[tuple[int, int], str] = {}
    everyone = [e.record for e in plan.episodes] + [r for r in plan.records.episodes if r.slug not in planned]
    for record in everyone:
        key = (record.season, record.number)
        if key in seen:
            raise FeedError(f"{record.script or record.slug}: episode {record.number} of season {record.season} "
                            f"is also {seen[key]}; give one of them another [production] episode number")
        seen[key] = record.script or record.slug


def write_site(plan: SitePlan, results: Sequence) -> list[Path]:
    """Copy each rendered episode (`results`: the pipeline's RenderResults, in plan order) and its
    sidecars into the site, and write every page, the feed and the site's record, as one set."""
    from radioplay.publish.outputs import sidecar_path
    from radioplay.site.feed import FEED_FILE, feed_xml
    from radioplay.site.pages import PAGE_FILE, show_page
    from radioplay.site.records import RECORDS_FILE
    from radioplay.site.writer import SiteWriter

    show, records, site = plan.show, plan.records, Path(plan.options.site)
    cover_name = "cover" + COVER_SUFFIXES[check_podcast_cover(show.cover)]
    sources: dict[str, Path] = {}  # slug -> the rendered episode, whose sidecars the page is made from
    with SiteWriter(site) as writer:
        for episode, result in zip(plan.episodes, results):
            rendered = episode.prepared.output
            record = dataclasses.replace(episode.record, bytes=rendered.stat().st_size,
                                         duration=float(result.report["audio_seconds"]))
            records.put(record)
            slug = record.slug
            writer.copy(f"{slug}/{record.audio}", rendered)
            for suffix, name in ((".vtt", record.vtt), (".srt", record.srt), (".chapters.json", record.chapters)):
                writer.copy(f"{slug}/{name}", sidecar_path(rendered, suffix))
            if episode.cover is not None:
                writer.copy(f"{slug}/{record.cover}", episode.cover)
            sources[slug] = rendered
        writer.copy(cover_name, show.cover)
        for record in records.episodes:
            page = _episode_page(show, record, site, sources.get(record.slug), f"../{cover_name}")
            if page is not None:
                writer.write_text(f"{record.slug}/{PAGE_FILE}", page)
        writer.write_text(PAGE_FILE, show_page(show, records.episodes, cover_name))
        writer.write_text(FEED_FILE, feed_xml(show, records.episodes, cover_name))
        writer.write_text(RECORDS_FILE, records.text())
        return writer.commit(last=(PAGE_FILE, FEED_FILE, RECORDS_FILE))


def _episode_page(show: Show, record: EpisodeRecord, site: Path, rendered: Path | None,
                  show_cover: str) -> str | None:
    """The episode's page from its transcript and chapters: the render's when it was rendered now,
    else the copies in the site. None when an older episode's files are gone (its page is kept)."""
    from radioplay.io import read_text
    from radioplay.publish.outputs import sidecar_path
    from radioplay.site.pages import ChapterLink, episode_page
    from radioplay.site.transcript import read_vtt

    if rendered is not None:
        vtt, chapters = sidecar_path(rendered, ".vtt"), sidecar_path(rendered, ".chapters.json")
    else:
        vtt, chapters = site / record.slug / record.vtt, site / record.slug / record.chapters
        if not (vtt.is_file() and chapters.is_file()):
            return None
    lines = read_vtt(read_text(vtt), str(vtt))
    try:
        marks = [ChapterLink(str(c["title"]), float(c["startTime"]))
                 for c in json.loads(read_text(chapters)).get("chapters", [])]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise InputError(f"{chapters}: not a chapters file radioplay can read ({exc})") from None
    return episode_page(show, record, lines, marks, record.cover or show_cover)


def publish_site(scripts: Sequence[str | Path], options: SiteOptions, on_take=None) -> tuple[SitePlan, list[Path]]:
    """plan_site, render every episode (or find it up to date), write_site."""
    from radioplay.pipeline import execute

    plan = plan_site(scripts, options)
    results = [execute(p, on_take=on_take) for p in plan.prepared]
    return plan, write_site(plan, results)
