"""The episode page in a real browser: Debian's chromium, headless, driven by playwright.

Skipped when /usr/bin/chromium (apt-get install chromium) or the playwright package (the test extra)
is missing. Playwright's own browser builds are never used: chromium is launched by path.
A screenshot of the page is written to pytest's tmp dir, and to $RADIOPLAY_SCREENSHOTS when set."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest

from tests.site_fixtures import publish, write_show

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(CHROMIUM is None, reason="no chromium on PATH (Debian: apt-get install -y chromium)"),
]
sync_playwright = pytest.importorskip(
    "playwright.sync_api", reason="playwright is not installed (pip install -e '.[test]')").sync_playwright

PLAYER = "document.getElementById('player')"


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("browser")
    scripts = write_show(folder)
    publish(folder, scripts)
    return folder / "site"


@pytest.fixture(scope="module")
def browser():
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM,
                                     args=["--no-sandbox", "--autoplay-policy=no-user-gesture-required",
                                           "--mute-audio"])
        yield chromium
        chromium.close()


class Page:
    """An episode page, with what it logged and every request it made."""

    def __init__(self, browser, site: Path, javascript: bool = True):
        self.context = browser.new_context(java_script_enabled=javascript, viewport={"width": 1000, "height": 900})
        self.page = self.context.new_page()
        self.errors: list[str] = []
        self.requests: list[str] = []
        self.page.on("console", lambda m: self.errors.append(m.text) if m.type in ("error", "warning") else None)
        self.page.on("pageerror", lambda e: self.errors.append(str(e)))
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto((site / "ep1" / "index.html").as_uri())
        if javascript:
            self.page.wait_for_function(f"{PLAYER}.readyState >= 1", timeout=15_000)

    def cues(self) -> list[dict]:
        return self.page.evaluate("Array.from(document.querySelectorAll('.cue')).map(e => "
                                  "({start: +e.dataset.start, end: +e.dataset.end, current: e.getAttribute('aria-current')}))")

    def time(self) -> float:
        return self.page.evaluate(f"{PLAYER}.currentTime")

    def close(self):
        self.context.close()


@pytest.fixture
def page(browser, site):
    opened = Page(browser, site)
    yield opened
    opened.close()


def test_page_loads_with_no_errors_and_no_requests_outside_the_site(page, site):
    assert page.errors == []
    root = site.resolve().as_uri() + "/"
    assert page.requests and all(url.startswith(root) for url in page.requests), page.requests
    fetched = {url[len(root):].split("#")[0] for url in page.requests}
    assert fetched <= {"ep1/index.html", "cover.jpg", "ep1/ep1.mp3"}, fetched
    page_bytes = sum((site / name).stat().st_size for name in fetched if not name.endswith((".mp3", ".jpg")))
    assert page_bytes <= 100_000


def test_play_advances_time_and_marks_the_line_being_spoken(page):
    cues = page.cues()
    target = (cues[1]["start"] + cues[1]["end"]) / 2
    page.page.evaluate(f"{PLAYER}.play()")
    page.page.wait_for_function(f"{PLAYER}.currentTime >= {target}", timeout=20_000)
    page.page.evaluate(f"{PLAYER}.pause()")
    page.page.wait_for_function(f"{PLAYER}.paused")
    now = page.time()
    assert now >= target
    marked = [i for i, c in enumerate(page.cues()) if c["current"] == "true"]
    containing = [i for i, c in enumerate(cues) if c["start"] <= now < c["end"]]
    assert containing, f"no cue contains {now}"
    assert marked == containing
    assert page.errors == []


def test_clicking_the_fifth_line_seeks_to_its_cue(page):
    fifth = page.cues()[4]
    page.page.locator(".cue").nth(4).click()
    page.page.wait_for_function(f"!{PLAYER}.seeking")
    assert abs(page.time() - fifth["start"]) <= 0.1
    assert page.cues()[4]["current"] == "true"


def test_enter_on_a_line_seeks_to_it(page):
    third = page.cues()[2]
    line = page.page.locator(".cue").nth(2)
    line.focus()
    page.page.keyboard.press("Enter")
    page.page.wait_for_function(f"!{PLAYER}.seeking")
    assert abs(page.time() - third["start"]) <= 0.1


def test_a_chapter_link_seeks_to_its_chapter(page, site):
    chapters = json.loads((site / "ep1" / "ep1.chapters.json").read_text())["chapters"]
    assert len(chapters) == 2
    page.page.get_by_role("link", name=chapters[1]["title"]).click()
    page.page.wait_for_function(f"!{PLAYER}.seeking")
    assert abs(page.time() - chapters[1]["startTime"]) <= 0.1
    assert page.page.url.endswith("ep1/index.html")  # the script handled it: no navigation


def test_landmarks_and_labelled_controls(page):
    roles = page.page.evaluate("['header', 'main', 'nav', 'footer'].map(t => document.querySelectorAll(t).length)")
    assert roles == [1, 1, 1, 1]
    assert page.page.get_by_label("Keep the line being spoken in view").is_checked()
    assert page.page.locator("audio#player").get_attribute("aria-label") == "Play The First Night"
    assert page.page.locator(".cue").first.get_attribute("tabindex") == "0"


def test_without_javascript_the_transcript_is_readable(browser, site):
    plain = Page(browser, site, javascript=False)
    try:
        texts = plain.page.locator(".cue").all_inner_texts()
        assert len(texts) == 7 and texts[0].startswith("Ada: Good evening, Marlow.")
        assert all(plain.page.locator(".cue").nth(i).is_visible() for i in range(len(texts)))
    finally:
        plain.close()


def test_screenshot_is_written_beside_the_results(page, tmp_path):
    cues = page.cues()
    page.page.evaluate(f"{PLAYER}.currentTime = {cues[3]['start'] + 0.05}")
    page.page.wait_for_function("document.querySelectorAll('[aria-current]').length > 0")
    shot = tmp_path / "episode-page.png"
    page.page.screenshot(path=str(shot), full_page=True)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    folder = os.environ.get("RADIOPLAY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shot, Path(folder) / shot.name)
    print(f"screenshot: {shot}")


def test_the_audition_page_plays_every_voice_with_no_errors(browser, tmp_path, dialogue, store_dir):
    from typer.testing import CliRunner

    from radioplay.cli import app

    out = tmp_path / "audition"
    result = CliRunner().invoke(app, ["audition", str(dialogue), "--voices", "tone:low,tone:high", "-o", str(out)])
    assert result.exit_code == 0, result.output
    context = browser.new_context(viewport={"width": 1000, "height": 900})
    page = context.new_page()
    errors: list[str] = []
    requests: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("request", lambda r: requests.append(r.url))
    page.goto((out / "index.html").as_uri())
    # the players say preload="none": nothing loads until a listener presses play, as here
    page.evaluate("Array.from(document.querySelectorAll('audio')).forEach(a => a.play())")
    page.wait_for_function("Array.from(document.querySelectorAll('audio')).every(a => a.currentTime > 0)",
                           timeout=15_000)
    durations = page.evaluate("Array.from(document.querySelectorAll('audio')).map(a => a.duration)")
    assert len(durations) == 4 and all(d > 0.1 for d in durations), durations
    assert errors == []
    assert all(url.startswith(out.as_uri()) for url in requests), requests
    shot = tmp_path / "audition.png"
    page.screenshot(path=str(shot), full_page=True)
    if os.environ.get("RADIOPLAY_SCREENSHOTS"):
        target = Path(os.environ["RADIOPLAY_SCREENSHOTS"])
        target.mkdir(parents=True, exist_ok=True)
        shutil.copy(shot, target / "audition.png")
    context.close()


# --------------------------------------------------------------------------- word by word

@pytest.fixture(scope="module")
def worded_site(tmp_path_factory) -> Path:
    """The first episode voiced by the burst engine and heard by the burst ears (tests/burst_speech.py),
    so its takes carry word timings and its VTT times every word."""
    from radioplay.voice.engines.base import EngineRegistry
    from radioplay.voice.synthesize import EngineSettings
    from tests.burst_speech import BurstEars, BurstEngine, Vocabulary
    from tests.site_fixtures import EPISODE_ONE

    vocabulary = Vocabulary()
    engine, ears = BurstEngine(vocabulary), BurstEars(vocabulary)

    def registry(self):
        reg = EngineRegistry.from_entry_points(device=self.device, threads=self.threads)
        reg.register("tone", lambda **kw: engine)
        return reg

    folder = tmp_path_factory.mktemp("words")
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(EngineSettings, "registry", registry)
        patch.setattr("radioplay.check.WhisperRecognizer", lambda *args, **kw: ears)
        publish(folder, write_show(folder, episodes={"ep1": EPISODE_ONE}))
    assert ears.windows, "the check heard nothing"
    return folder / "site"


def test_the_highlighted_word_is_the_one_whose_timestamps_contain_the_current_time(browser, worded_site):
    from radioplay.site.transcript import read_vtt

    lines = read_vtt((worded_site / "ep1" / "ep1.vtt").read_text())
    assert all(line.words for line in lines) and sum(len(line.words) for line in lines) >= 40
    page = Page(browser, worded_site)
    try:
        spans = page.page.evaluate("Array.from(document.querySelectorAll('[data-s]')).map(w => "
                                   "({text: w.textContent, start: +w.dataset.s}))")
        assert [(s["text"], s["start"]) for s in spans] == [
            (w.text, round(w.start, 3)) for line in lines for w in line.words]
        # the VTT's intervals: from a word's timestamp to the next timestamp (a pause's, the next word's, the cue's end)
        spans = [{"text": w.text, "start": round(w.start, 3), "end": round(w.end, 3)} for line in lines for w in line.words]

        def highlighted() -> list[dict]:
            return page.page.evaluate("Array.from(document.querySelectorAll('[data-s].now')).map(w => "
                                      "({text: w.textContent, start: +w.dataset.s}))")

        # during playback: stop in the middle of the third line and look
        target = lines[2].words[3].start + 0.02
        page.page.evaluate(f"{PLAYER}.currentTime = {lines[2].start}; {PLAYER}.play()")
        page.page.wait_for_function(f"{PLAYER}.currentTime >= {target}", timeout=20_000)
        page.page.evaluate(f"{PLAYER}.pause()")
        page.page.wait_for_function(f"{PLAYER}.paused")
        now = page.time()
        [word] = highlighted()
        [expected] = [s for s in spans if s["start"] <= now < s["end"]]
        assert word == {"text": expected["text"], "start": expected["start"]}
        # and at the middle of words all through the episode (seeking there)
        for line in lines[::2]:
            for w in line.words[::3]:
                middle = (w.start + w.end) / 2
                page.page.evaluate(f"{PLAYER}.currentTime = {middle}")
                page.page.wait_for_function(f"!{PLAYER}.seeking")
                now = page.time()
                expected = [(s["text"], s["start"]) for s in spans if s["start"] <= now < s["end"]]
                assert [(h["text"], h["start"]) for h in highlighted()] == expected == [(w.text, round(w.start, 3))]
        assert page.errors == []
        size = (worded_site / "ep1" / "index.html").stat().st_size
        assert size <= 100_000
    finally:
        page.close()
