"""radioplay publish: the feed (parsed with feedparser, every required element asserted), the site's
record across re-publishing, the pages' markup and weight, and the errors raised before rendering."""

from __future__ import annotations

import html
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from radioplay.errors import CastError, RadioplayError
from radioplay.pipeline import RenderOptions
from radioplay.site.build import SiteOptions, plan_site, publish_site
from radioplay.site.feed import NAMESPACES, clock
from radioplay.site.pages import PAGE_BUDGET_BYTES, episode_page
from radioplay.site.records import EpisodeRecord, podcast_guid
from radioplay.site.show import FeedError, Show
from radioplay.site.transcript import TranscriptLine, Word, read_vtt
from tests.site_fixtures import BASE_URL, EPISODE_ONE, PRODUCTION, publish, write_cover, write_show

feedparser = pytest.importorskip("feedparser", reason="feedparser is in the test extra: pip install -e '.[test]'")

ITUNES, PODCAST = "{%s}" % NAMESPACES["itunes"], "{%s}" % NAMESPACES["podcast"]


@pytest.fixture(scope="module")
def show(tmp_path_factory):
    folder = tmp_path_factory.mktemp("show")
    scripts = write_show(folder)
    publish(folder, scripts)
    return folder


def test_feed_parses_without_bozo_and_has_every_required_element(show):
    site = show / "site"
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert feed.bozo == 0, feed.get("bozo_exception")
    assert feed.version == "rss20"
    channel = feed.feed
    assert channel.title == "Harbour Lights"
    assert channel.author == "A. Writer"
    # a description is HTML to podcast apps: the script's "<" is shown as text, not taken for a tag
    assert channel.subtitle_detail.type == "text/html"
    assert html.unescape(channel.subtitle) == "Two keepers & one lamp: a drama in <short> nights."
    assert channel.language == "en-GB"
    assert channel.image.href == BASE_URL + "cover.jpg"
    # Apple's current values; feedparser reads only the old "yes"/"clean"
    explicit = ET.parse(site / "feed.xml").getroot().find(f"channel/{ITUNES}explicit")
    assert explicit.text == "false"
    assert [t.term for t in channel.tags] == ["Fiction", "Drama"]
    assert channel.link == BASE_URL
    records = json.loads((site / "episodes.json").read_text())["episodes"]
    assert [e.title for e in feed.entries] == ["The Second Night", "The First Night"]  # newest first
    for entry, record in zip(feed.entries, reversed(records)):
        slug = record["slug"]
        assert entry.id == record["guid"] and entry.guidislink is False
        assert entry.published_parsed is not None
        enclosure, = entry.enclosures
        audio = site / slug / f"{slug}.mp3"
        assert enclosure.href == f"{BASE_URL}{slug}/{slug}.mp3"
        assert int(enclosure.length) == audio.stat().st_size == record["bytes"]
        assert enclosure.type == "audio/mpeg"
        assert entry.itunes_duration == clock(record["duration"])
        assert int(entry.itunes_episode) == record["number"] and int(entry.itunes_season) == 1
        assert entry.link == f"{BASE_URL}{slug}/"


def test_duration_is_the_rendered_audio_length(show):
    import soundfile as sf

    record = json.loads((show / "site" / "episodes.json").read_text())["episodes"][0]
    assert record["duration"] == pytest.approx(sf.info(show / "renders" / "ep1.mp3").duration, abs=0.06)


def test_podcast_namespace_elements(show):
    root = ET.parse(show / "site" / "feed.xml").getroot()
    channel = root.find("channel")
    assert channel.find(f"{PODCAST}guid").text == podcast_guid(BASE_URL + "feed.xml")
    assert channel.find(f"{ITUNES}owner/{ITUNES}email").text == "writer@example.org"
    item = [i for i in channel.findall("item") if i.find("title").text == "The First Night"][0]
    transcripts = {t.get("type"): t.get("url") for t in item.findall(f"{PODCAST}transcript")}
    assert transcripts == {"text/vtt": BASE_URL + "ep1/ep1.vtt", "application/x-subrip": BASE_URL + "ep1/ep1.srt"}
    chapters = item.find(f"{PODCAST}chapters")
    assert (chapters.get("url"), chapters.get("type")) == (BASE_URL + "ep1/ep1.chapters.json", "application/json+chapters")
    people = [(p.get("group"), p.get("role"), p.text) for p in item.findall(f"{PODCAST}person")]
    assert people == [("writing", "Author", "A. Writer"), ("cast", "Voice Actor", "high (tone) as Ada"),
                      ("cast", "Voice Actor", "low (tone) as Marlow")]
    for name in ("vtt", "srt", "chapters.json"):
        assert (show / "site" / "ep1" / f"ep1.{name}").read_bytes() == (show / "renders" / f"ep1.{name}").read_bytes()


def test_podcast_guid_is_the_namespace_uuid5():
    # the example in the Podcasting 2.0 namespace's documentation of podcast:guid
    assert podcast_guid("https://mp3s.nashownotes.com/pc20rss.xml") == "917393e3-1b1e-5cef-ace4-edaa54e1f810"


def test_publishing_again_keeps_guids_and_adds_new_episodes(tmp_path):
    ep1, ep2 = write_show(tmp_path)
    publish(tmp_path, [ep1])
    site = tmp_path / "site"
    first = json.loads((site / "episodes.json").read_text())["episodes"]
    assert [e["slug"] for e in first] == ["ep1"]
    # later, with no --base-url (the site remembers it): episode 2 is added, episode 1 is kept as it was
    publish(tmp_path, [ep2], base_url=None)
    feed = feedparser.parse((site / "feed.xml").read_bytes())
    assert not feed.bozo
    after = {e["slug"]: e for e in json.loads((site / "episodes.json").read_text())["episodes"]}
    assert after["ep1"] == first[0]
    assert after["ep2"]["number"] == 2 and after["ep2"]["guid"] != first[0]["guid"]
    assert {e.id for e in feed.entries} == {first[0]["guid"], after["ep2"]["guid"]}
    # and episode 1 again, changed: same guid and date, new audio
    (tmp_path / "ep1.md").write_text(EPISODE_ONE + "\n**Ada**: One more line.\n", encoding="utf-8")
    publish(tmp_path, [ep1])
    again = {e["slug"]: e for e in json.loads((site / "episodes.json").read_text())["episodes"]}
    assert (again["ep1"]["guid"], again["ep1"]["pub_date"]) == (first[0]["guid"], first[0]["pub_date"])
    assert again["ep1"]["duration"] > first[0]["duration"]
    assert again["ep2"] == after["ep2"]
    assert not list(site.rglob("*.partial-*"))


def test_publishing_several_scripts_at_once_numbers_them_in_order(tmp_path):
    scripts = write_show(tmp_path)
    options = SiteOptions(site=tmp_path / "site", base_url=BASE_URL, renders=tmp_path / "renders",
                          audio_suffix=".wav", render=RenderOptions(cast=tmp_path / "ep1.toml", jobs=1,
                                                                    cache=tmp_path / "takes"))
    plan, files = publish_site(scripts, options)
    assert [(e.slug, e.record.number) for e in plan.episodes] == [("ep1", 1), ("ep2", 2)]
    assert files[-3:] == [tmp_path / "site" / name for name in ("index.html", "feed.xml", "episodes.json")]
    feed = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes())
    assert {e.enclosures[0].type for e in feed.entries} == {"audio/wav"}


def test_episode_keys_from_production(tmp_path):
    production = PRODUCTION + 'title = "Night One"\nepisode = 7\nseason = 2\npub_date = 2026-01-05T09:30:00Z\n' \
                              'comment = "Ada is late."\n'
    script, = write_show(tmp_path, production, {"one": EPISODE_ONE})
    publish(tmp_path, [script])
    entry, = feedparser.parse((tmp_path / "site" / "feed.xml").read_bytes()).entries
    assert (entry.title, entry.itunes_episode, entry.itunes_season) == ("Night One", "7", "2")
    assert entry.published == "Mon, 05 Jan 2026 09:30:00 +0000"
    assert entry.summary == "Ada is late."


def test_episode_page_has_the_transcript_as_text_and_is_small(show):
    page = (show / "site" / "ep1" / "index.html").read_text()
    vtt = read_vtt((show / "site" / "ep1" / "ep1.vtt").read_text())
    assert len(vtt) == 7
    assert page.count('class="cue"') == 7
    for line in vtt:
        assert f'data-start="{line.start:.3f}" data-end="{line.end:.3f}"' in page
    assert "Bring the lamp &amp; the ledger: 3 &lt; 4." in page  # escaped, never markup
    assert '<audio id="player" controls' in page and "<header>" in page and "<main>" in page and "<nav " in page
    assert "http://" not in page and "https://" not in page  # nothing from elsewhere
    assert len(page.encode()) <= PAGE_BUDGET_BYTES
    index = (show / "site" / "index.html").read_text()
    assert index.index("The Second Night") < index.index("The First Night")
    assert "Two keepers &amp; one lamp: a drama in &lt;short&gt; nights." in index


def test_the_seed_episode_page_is_under_the_budget(seed_path):
    """The seed's whole transcript, as the page shows it (timings made up: the page's size does not
    depend on them), with a cast and chapters, stays within the budget."""
    from radioplay.parse import load_script
    from radioplay.site.pages import ChapterLink
    from radioplay.site.records import Credit

    script = load_script(seed_path, "markdown")
    lines = []
    for i, cue in enumerate(script.lines):  # every word timed, with a pause after every fifth
        said = cue.text.split()
        words = tuple(Word(w, 1000.0 + 10.0 * i + 9 * k / len(said), 1000.0 + 10.0 * i + 9 * (k + 1 - (k % 5 == 4) / 2)
                           / len(said)) for k, w in enumerate(said))
        lines.append(TranscriptLine(" and ".join(cue.speakers), cue.text, 1000.0 + 10.0 * i, 1000.0 + 10.0 * i + 9.5,
                                    words))
    assert len(lines) > 10
    show = Show(title="S", author="A", description="D", language="en", category="Fiction", explicit=False,
                cover=Path("c.jpg"), base_url=BASE_URL, link=BASE_URL)
    record = EpisodeRecord("seed", "g", script.title or "Seed", 1, 1, "2026-01-01T00:00:00+00:00", "seed.mp3",
                           "audio/mpeg", 1, 600.0, "seed.vtt", "seed.srt", "seed.chapters.json",
                           cast=tuple(Credit(name, "joe", "piper") for name in script.speakers()))
    page = episode_page(show, record, lines, [ChapterLink(c.title, 10.0 * c.cue) for c in script.chapters], "c.jpg")
    assert all(f">{html.escape(line.speaker)}:</span> " in page for line in lines)
    assert len(page.encode()) <= PAGE_BUDGET_BYTES


def test_word_timings_are_marked_for_highlighting():
    show = Show(title="S", author="A", description="D", language="en", category="Fiction", explicit=False,
                cover=Path("c.jpg"), base_url=BASE_URL, link=BASE_URL)
    record = EpisodeRecord("ep", "g", "T", 1, 1, "2026-01-01T00:00:00+00:00", "ep.mp3", "audio/mpeg", 1, 2.0,
                           "ep.vtt", "ep.srt", "ep.chapters.json")
    words = (Word("Good", 0.0, 0.4), Word("<evening>", 0.4, 0.8))
    page = episode_page(show, record, [TranscriptLine("Ada", "Good <evening>", 0.0, 1.0, words)], [], "c.jpg")
    # an end is written only where it is not the next word's start (or the line's end)
    assert '<span data-s="0.000">Good</span> <span data-s="0.400" data-e="0.800">&lt;evening&gt;</span>' in page


def test_read_vtt_reads_what_publish_writes():
    from radioplay.model import CueTiming
    from radioplay.publish.transcript import vtt_text

    long = "This is a long speech that goes on. " * 6
    cues = [CueTiming(0, ("Ada",), "Fish & <chips>?", 0.5, 1.25),
            CueTiming(1, ("Ada", "Marlow"), "Goodnight.", 1.5, 2.0),
            CueTiming(2, ("Marlow",), long, 2.0, 12.0)]
    lines = read_vtt(vtt_text(cues))
    half = " ".join(long.split()[:24])  # the long speech's two caption pieces, timed by its inline timestamp
    assert lines == [TranscriptLine("Ada", "Fish & <chips>?", 0.5, 1.25),
                     TranscriptLine("Ada and Marlow", "Goodnight.", 1.5, 2.0),
                     TranscriptLine("Marlow", " ".join(long.split()), 2.0, 12.0,
                                    (Word(half, 2.0, 7.0), Word(half, 7.0, 12.0)))]


# ------------------------------------------------------------------ errors before any rendering


def plan(tmp_path, production=PRODUCTION, base_url=BASE_URL, **site):
    script, = write_show(tmp_path, production, {"ep1": EPISODE_ONE})
    return plan_site([script], SiteOptions(site=tmp_path / "site", base_url=base_url, renders=tmp_path / "renders",
                                           render=RenderOptions(cast=script.with_suffix(".toml"), cache=tmp_path / "takes"),
                                           **site))


def assert_nothing_rendered(tmp_path):
    assert not (tmp_path / "renders").exists() or not list((tmp_path / "renders").iterdir())
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize("key, needed", [("description", "description"), ("category", "category"),
                                         ("author", "author"), ("cover", "cover art"), ("show", "title")])
def test_a_feed_missing_what_directories_require_is_refused(tmp_path, key, needed):
    production = "\n".join(line for line in PRODUCTION.splitlines() if not line.startswith(f"{key} ="))
    with pytest.raises(FeedError, match=f"missing what podcast directories require: .*{needed}"):
        plan(tmp_path, production)
    assert_nothing_rendered(tmp_path)


def test_no_base_url_is_refused(tmp_path):
    with pytest.raises(FeedError, match="--base-url"):
        plan(tmp_path, base_url=None)
    with pytest.raises(FeedError, match="--base-url must be the site's http:// or https:// address"):
        plan(tmp_path, base_url="example.org/podcast")


@pytest.mark.parametrize("size, mode, fmt, rule", [
    ((1400, 1500), "RGB", "JPEG", "1400x1500 px; podcast directories require a square image"),
    ((1200, 1200), "RGB", "JPEG", "1200x1200 px; podcast directories require 1400 to 3000 px a side"),
    ((3200, 3200), "RGB", "PNG", "3200x3200 px; podcast directories require 1400 to 3000 px a side"),
    ((1400, 1400), "CMYK", "JPEG", "cover art is CMYK; podcast directories require RGB"),
    ((1400, 1400), "RGBA", "PNG", "cover art is RGB with transparency; podcast directories require RGB"),
])
def test_cover_art_against_the_platforms_rules(tmp_path, size, mode, fmt, rule):
    name = "art." + fmt.lower().replace("jpeg", "jpg")
    write_show(tmp_path, PRODUCTION.replace("cover.jpg", name), {"ep1": EPISODE_ONE})
    write_cover(tmp_path / name, size, mode, fmt)
    with pytest.raises(FeedError) as caught:
        plan(tmp_path, PRODUCTION.replace("cover.jpg", name))
    assert str(caught.value).startswith(str((tmp_path / name).resolve()) + ": ")
    assert rule in str(caught.value)
    assert_nothing_rendered(tmp_path)


def test_episodes_that_disagree_on_the_show_are_refused(tmp_path):
    ep1, ep2 = write_show(tmp_path)
    (tmp_path / "ep2.toml").write_text(PRODUCTION.replace("Harbour Lights", "Other Lights"), encoding="utf-8")
    with pytest.raises(FeedError, match="show = 'Other Lights' but .*ep1.toml says 'Harbour Lights'.*show.toml"):
        plan_site([ep1, ep2], SiteOptions(site=tmp_path / "site", base_url=BASE_URL, renders=tmp_path / "renders",
                                          render=RenderOptions(cache=tmp_path / "takes")))


def test_show_toml_gives_the_show(tmp_path):
    production = PRODUCTION.split("[production]")[0]
    write_show(tmp_path, production, {"ep1": EPISODE_ONE})
    (tmp_path / "show.toml").write_text(
        'title = "From show.toml"\nauthor = "B. Writer"\ndescription = "A series."\ncategory = "Fiction"\n'
        f'cover = "cover.jpg"\nbase_url = "{BASE_URL}"\nexplicit = true\n', encoding="utf-8")
    result = plan(tmp_path, production, base_url=None)
    assert (result.show.title, result.show.author, result.show.category, result.show.explicit,
            result.show.base_url, result.show.language) == ("From show.toml", "B. Writer", "Fiction", True, BASE_URL, "en")


def test_show_toml_errors_point_at_the_key(tmp_path):
    (tmp_path / "show.toml").write_text('title = "T"\ncategory = "Fictoin"\n', encoding="utf-8")
    with pytest.raises(CastError) as caught:
        plan(tmp_path, show=tmp_path / "show.toml")
    assert str(caught.value).startswith(f"{tmp_path / 'show.toml'}:2:1: error: show.toml category = 'Fictoin' is not "
                                        "an Apple Podcasts category (did you mean 'Fiction'?)")


@pytest.mark.parametrize("line, message", [
    ('language = "English"', 'language must be a language tag such as "en" or "en-GB"'),
    ('category = "Fiction > Dram"', "category = 'Fiction > Dram': 'Dram' is not a subcategory of Fiction (did you mean 'Drama'?)"),
    ('explicit = "no"', "explicit must be true or false"),
    ('pub_date = "last tuesday"', "pub_date must be an ISO 8601 date"),
    ('season = 0', "season = 0 is outside [1, 100000]"),
    ('email = "nobody"', "email must be an e-mail address"),
    ('description = ""', "description must be 1 to 4000 characters"),
    ('link = "example.org"', "link must be an http:// or https:// address"),
])
def test_production_feed_keys_are_checked_at_their_line(tmp_path, line, message):
    production = PRODUCTION.split("[production]")[0] + "[production]\n" + line + "\n"
    with pytest.raises(CastError) as caught:
        plan(tmp_path, production)
    assert f"ep1.toml:{production.count(chr(10))}:1: error: [production] {message}" in str(caught.value)


def test_two_episodes_with_one_number_are_refused(tmp_path):
    ep1, ep2 = write_show(tmp_path, PRODUCTION + "episode = 3\n")
    with pytest.raises(FeedError, match="episode 3 of season 1 is also"):
        plan_site([ep1, ep2], SiteOptions(site=tmp_path / "site", base_url=BASE_URL, renders=tmp_path / "renders",
                                          render=RenderOptions(cast=tmp_path / "ep1.toml", cache=tmp_path / "takes")))


def test_an_unreadable_site_record_is_not_replaced(tmp_path):
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "episodes.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(RadioplayError, match="episodes.json: not a site record radioplay can read"):
        plan(tmp_path)


def test_cli_publish_writes_the_site_and_errors_in_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from radioplay.cli import app

    script, = write_show(tmp_path, PRODUCTION, {"ep1": EPISODE_ONE})
    monkeypatch.chdir(tmp_path)
    runner = CliRunner()
    args = ["publish", "ep1.md", "--cast", "ep1.toml", "--cache", "takes", "-j", "1"]
    failed = runner.invoke(app, args)
    assert failed.exit_code == 2
    assert failed.stderr.strip().splitlines()[-1].startswith(
        "radioplay: error: the feed is missing what podcast directories require: the address the site")
    done = runner.invoke(app, args + ["--base-url", BASE_URL, "--site", "public"])
    assert done.exit_code == 0, done.stderr
    assert (tmp_path / "output" / "ep1.mp3").is_file()
    assert not feedparser.parse((tmp_path / "public" / "feed.xml").read_bytes()).bozo
    again = runner.invoke(app, args + ["--site", "public"])
    assert again.exit_code == 0 and "up to date output/ep1.mp3" in again.stderr


def test_an_episode_with_its_own_cover_gets_it_in_its_folder_and_item(tmp_path):
    ep1, ep2 = write_show(tmp_path)
    write_cover(tmp_path / "night.png", (1600, 1600), "RGB", "PNG")
    (tmp_path / "show.toml").write_text('title = "Harbour Lights"\ncover = "cover.jpg"\n', encoding="utf-8")
    (tmp_path / "ep2.toml").write_text(PRODUCTION.replace("cover.jpg", "night.png"), encoding="utf-8")
    publish(tmp_path, [ep1, ep2])
    site = tmp_path / "site"
    assert (site / "ep2" / "cover.png").read_bytes() == (tmp_path / "night.png").read_bytes()
    assert not (site / "ep1" / "cover.png").exists()
    items = {i.find("title").text: i for i in ET.parse(site / "feed.xml").getroot().iter("item")}
    assert items["The Second Night"].find(f"{ITUNES}image").get("href") == BASE_URL + "ep2/cover.png"
    assert items["The First Night"].find(f"{ITUNES}image") is None
    assert '<img src="cover.png"' in (site / "ep2" / "index.html").read_text()
    assert '<img src="../cover.jpg"' in (site / "ep1" / "index.html").read_text()


def test_a_failure_while_writing_leaves_the_previous_site(tmp_path, monkeypatch):
    import radioplay.site.feed

    ep1, ep2 = write_show(tmp_path)
    publish(tmp_path, [ep1])
    site = tmp_path / "site"
    before = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(radioplay.site.feed, "feed_xml", broken)
    with pytest.raises(OSError, match="disk full"):
        publish(tmp_path, [ep2])
    after = {p: p.read_bytes() for p in site.rglob("*") if p.is_file()}
    assert after == before  # no ep2 files, the old pages, feed and record untouched, no partials
