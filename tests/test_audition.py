"""`radioplay audition`: the page, the measured pitch and speed, the snippets, and the take store."""

from __future__ import annotations

import re
import tomllib
from html.parser import HTMLParser

import numpy as np
import pytest
import soundfile as sf
from typer.testing import CliRunner

from radioplay.cli import app
from radioplay.parse import load_script
from radioplay.voice.audition import first_lines, median_f0
from radioplay.voice.cast import load_config
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.engines.tone import DEFAULT_RATE, tone_length
from radioplay.voice.text import prepare_text, sentences

runner = CliRunner()


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.audio, self.code, self.urls, self._in_code = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "audio":
            self.audio.append(attrs["src"])
        for key in ("src", "href"):
            if key in attrs:
                self.urls.append(attrs[key])
        self._in_code = tag == "code"

    def handle_endtag(self, tag):
        self._in_code = False if tag == "code" else self._in_code

    def handle_data(self, data):
        if self._in_code:
            self.code.append(data)


def test_audition_page_pitch_speed_snippets_and_reuse(tmp_path, dialogue, store_dir):
    out = tmp_path / "aud"
    first = runner.invoke(app, ["audition", str(dialogue), "--voices", "tone:low,tone:high", "-o", str(out)])
    assert first.exit_code == 0, first.output
    script = load_script(dialogue)
    texts = {name: [said.spoken for cue in first_lines(script, name).cues for p in cue.parts
                    for seg in p.segments for said in sentences(seg.text, {})]  # one take per sentence
             for name in ("Ada", "Marlow")}
    takes = 2 * (len(texts["Ada"]) + len(texts["Marlow"]))
    assert takes >= 8
    assert f"2 characters x 2 voices; {takes} synthesized, 0 reused" in first.stderr
    page = (out / "index.html").read_text(encoding="utf-8")
    parsed = _Page()
    parsed.feed(page)
    assert len(parsed.audio) == 4 and all((out / src).is_file() for src in parsed.audio)
    assert not any(re.match(r"[a-z]+:", url) or url.startswith("//") for url in parsed.urls)  # nothing external
    # Ada's takes, as the engine got them, with a 0.3 s gap between: the clip's exact length.
    ada_low, rate = sf.read(out / parsed.audio[0], dtype="float32")
    assert rate == DEFAULT_RATE
    gaps = (len(texts["Ada"]) - 1) * int(0.3 * DEFAULT_RATE)
    assert len(ada_low) == sum(tone_length(t) for t in texts["Ada"]) + gaps
    assert "pitch 110 Hz (median F0)" in page and "pitch 440 Hz (median F0)" in page
    # Each snippet is a cast file that picks that voice.
    registry = EngineRegistry.from_entry_points()
    snippet = tmp_path / "pick.toml"
    snippet.write_text(parsed.code[1], encoding="utf-8")  # Ada in tone:high
    assert tomllib.loads(parsed.code[1])["characters"]["Ada"] == {"engine": "tone", "voice": "high", "speed": 1.0,
                                                                 "pitch": 0.0, "gain": 0.0, "pan": 0.0}
    assert load_config(snippet, script, registry).casting.characters["Ada"].voice == "high"

    second = runner.invoke(app, ["audition", str(dialogue), "--voices", "tone:low,tone:high", "-o", str(out)])
    assert second.exit_code == 0, second.output
    assert f"0 synthesized, {takes} reused" in second.stderr


def audition_page(tmp_path, text: str) -> str:
    """The audition page of a one-line script `text`, in tone:mid."""
    script = tmp_path / "one.md"
    script.write_text(text, encoding="utf-8")
    out = tmp_path / "aud"
    result = runner.invoke(app, ["audition", str(script), "--voices", "tone:mid", "-o", str(out)])
    assert result.exit_code == 0, result.output
    return (out / "index.html").read_text(encoding="utf-8")


def test_words_per_minute_is_measured_from_the_take(tmp_path, store_dir):
    page = audition_page(tmp_path, "# One\n\n**Ada**: one two three four five six.\n")
    seconds = tone_length(prepare_text("one two three four five six.", {})) / DEFAULT_RATE
    wpm = 60 * 6 / seconds
    assert f"{wpm:.0f} words/min" in page


def test_names_and_lines_are_escaped(tmp_path, store_dir):
    page = audition_page(tmp_path, "# T & co\n\n**Bo**: is 3 <4 or 5> 2 & more?\n")
    assert "<blockquote>is 3 &lt;4 or 5&gt; 2 &amp; more?</blockquote>" in page
    assert "<title>Audition: T &amp; co</title>" in page


@pytest.mark.parametrize("hz", [85.0, 110.0, 196.0, 440.0])
def test_median_f0_of_a_harmonic_tone(hz):
    rate = 22_050
    t = np.arange(rate) / rate
    voice = sum(np.sin(2 * np.pi * hz * k * t) / k for k in range(1, 6))  # a buzz, not a pure sine
    assert median_f0(np.concatenate([np.zeros(4000), voice]), rate) == pytest.approx(hz, rel=0.005)
    assert median_f0(np.zeros(rate), rate) is None


def test_first_lines_stop_near_fifteen_seconds(tmp_path):
    script = tmp_path / "long.md"
    body = "".join(f"**Ada**: This is sentence number {i} of a long speech by Ada.\n\n**Bo**: Yes.\n\n"
                   for i in range(40))
    script.write_text("# Long\n\n" + body, encoding="utf-8")
    excerpt = first_lines(load_script(script), "Ada")
    chars = sum(len(cue.text) for cue in excerpt.cues)
    assert 15 * 14 <= chars < 15 * 14 + 50 and all(cue.speakers == ("Ada",) for cue in excerpt.cues)


@pytest.mark.parametrize("voices, message", [
    ("tone:bass", "tone"),
    ("tone", "give ENGINE:VOICE"),
    (" , ", "--voices lists no voice"),
])
def test_bad_voices_are_one_line_errors(tmp_path, dialogue, store_dir, voices, message):
    result = runner.invoke(app, ["audition", str(dialogue), "--voices", voices, "-o", str(tmp_path / "aud")])
    assert result.exit_code == 2 and result.stderr.startswith("radioplay: error: ") and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and not (tmp_path / "aud").exists()


def test_a_render_with_the_chosen_voices_reuses_the_audition_takes(tmp_path, dialogue, store_dir):
    from radioplay.pipeline import RenderOptions, render
    from tests.conftest import tone_cast_text

    (tmp_path / "cast.toml").write_text(tone_cast_text() + '\n[lexicon]\narchive = "AR-kyve"\n', encoding="utf-8")
    result = runner.invoke(app, ["audition", str(dialogue), "--voices", "tone:low,tone:high", "-o", str(tmp_path / "aud")])
    assert result.exit_code == 0, result.output
    rendered = render(dialogue, RenderOptions(output=tmp_path / "ep.wav", jobs=1))
    # Only the unison line, which no audition voices, is new: one take per speaker.
    assert rendered.report["synthesized"] == 2
    assert rendered.report["takes"] - rendered.report["reused"] == 2
