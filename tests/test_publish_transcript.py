"""WebVTT, SRT and chapters JSON from cue timings."""

import json
import re

import pytest

from radioplay.model import ChapterTiming, CueTiming
from radioplay.publish.transcript import (MAX_LINE, captions, chapters_json_text, srt_text, vtt_text,
                                          write_chapters_json, write_srt, write_vtt)

LONG = ("In the limit, yes, I agree that a superintelligence that could crack SHA-256 could achieve a lower "
        "loss on the training or test datasets of contemporary language models. But for making sense of the "
        "technology in front of us and what to do with it for the next month, year, decade, I think it's a "
        "decision-relevant fact that black-boxy deep learning methods are not cracking cryptographic hashes, "
        "and _are_ learning by example. I agree, obviously, that language models are not humans.")

CUES = [
    CueTiming(0, ("Doomer",), "Simplicia Optimistovna, you cannot be serious!", 0.5, 3.2),
    CueTiming(1, ("Simplicia",), "Why not?", 3.6, 4.4),
    CueTiming(2, (), "resignedly", 4.4, 5.0),  # a standalone direction: not in the transcript
    CueTiming(3, ("Simplicia",), LONG, 5.0, 45.0),
    CueTiming(4, ("Doomer",), "It's a deal—", 45.2, 46.5),
    CueTiming(5, ("Simplicia",), "I'm afraid so—", 46.3, 47.5),  # cuts in before the line above ends
    CueTiming(6, ("Simplicia", "Doomer"), "Cheers & <goodnight>!", 48.0, 50.0),
]

TIMESTAMP = r"(\d\d):(\d\d):(\d\d)[.,](\d\d\d)"


def seconds(match) -> float:
    h, m, s, ms = (int(g) for g in match)
    return h * 3600 + m * 60 + s + ms / 1000


def parse_vtt(text: str) -> list[dict]:
    """A small WebVTT validator: header, blank-line separated cues, increasing start times,
    a voice tag on every cue, lines of at most 65 characters."""
    assert text.startswith("WEBVTT\n\n")
    cues = []
    for block in text.strip().split("\n\n")[1:]:
        timing, *lines = block.split("\n")
        m = re.fullmatch(TIMESTAMP + " --> " + TIMESTAMP, timing)
        assert m, timing
        start, end = seconds(m.groups()[:4]), seconds(m.groups()[4:])
        assert end > start
        assert lines and all(0 < len(line) <= MAX_LINE for line in lines), lines
        voice = re.match(r"<v ([^>]+)>", lines[0])
        assert voice, lines[0]
        payload = " ".join(lines)[voice.end():]
        stamps = [seconds(m) for m in re.findall("<" + TIMESTAMP + ">", payload)]
        assert stamps == sorted(stamps) and all(start < t < end for t in stamps), (stamps, start, end)
        body = re.sub("<" + TIMESTAMP + ">", "", payload)
        assert "<" not in body and ">" not in body  # text is escaped
        cues.append({"start": start, "end": end, "voice": voice.group(1), "text": body, "lines": lines,
                     "stamps": stamps, "pieces": re.split("<" + TIMESTAMP.replace("(", "(?:") + ">", payload)})
    starts = [c["start"] for c in cues]
    assert starts == sorted(starts)
    return cues


def test_vtt_one_cue_per_short_line_each_with_a_voice_tag():
    cues = parse_vtt(vtt_text(CUES))
    short = [c for c in cues if c["start"] < 5.0 or c["start"] >= 45.0]
    assert [(c["voice"], c["text"]) for c in short] == [
        ("Doomer", "Simplicia Optimistovna, you cannot be serious!"),
        ("Simplicia", "Why not?"),
        ("Doomer", "It's a deal—"),
        ("Simplicia", "I'm afraid so—"),
        ("Simplicia and Doomer", "Cheers &amp; &lt;goodnight&gt;!"),
    ]
    assert (short[0]["start"], short[0]["end"]) == (0.5, 3.2)
    assert short[3]["start"] < short[2]["end"]  # the interruption overlaps, as in the mix


def test_vtt_long_speech_is_one_cue_split_into_timed_pieces_at_sentences():
    (long_cue,) = [c for c in parse_vtt(vtt_text(CUES)) if 5.0 <= c["start"] < 45.0]
    assert long_cue["voice"] == "Simplicia" and (long_cue["start"], long_cue["end"]) == (5.0, 45.0)
    texts = [" ".join(p.split()) for p in long_cue["pieces"]]
    assert len(texts) >= 4 and len(long_cue["stamps"]) == len(texts) - 1
    assert " ".join(texts) == " ".join(LONG.split())
    # Time follows the characters: each piece's share of the 40 s matches its share of the text.
    bounds = [5.0] + long_cue["stamps"] + [45.0]
    total = sum(len(t) for t in texts)
    for text, a, b in zip(texts, bounds, bounds[1:]):
        assert b - a == pytest.approx(40.0 * len(text) / total, abs=0.003)
    # Whole sentences stay together where they fit.
    assert "I agree, obviously, that language models are not humans." in texts


def test_srt_numbering_format_and_name_prefix():
    text = srt_text(CUES)
    blocks = text.strip().split("\n\n")
    for number, block in enumerate(blocks, start=1):
        index, timing, *lines = block.split("\n")
        assert index == str(number)
        assert re.fullmatch(TIMESTAMP.replace("[.,]", ",") + " --> " + TIMESTAMP.replace("[.,]", ","), timing)
        assert all(len(line) <= MAX_LINE for line in lines)
        assert re.match(r"(Simplicia|Doomer|Simplicia and Doomer): ", lines[0])
    assert blocks[0] == "1\n00:00:00,500 --> 00:00:03,200\nDoomer: Simplicia Optimistovna, you cannot be serious!"
    assert blocks[-1].endswith("Simplicia and Doomer: Cheers & <goodnight>!")
    assert len(blocks) == len(captions(CUES))  # SRT has no inline timestamps: one cue per piece


def test_three_speakers_and_long_names_still_fit():
    cue = CueTiming(0, ("Alexandrina", "Bartholomew", "Constantine"), "We all say this together, as one.", 0, 2)
    (c,) = parse_vtt(vtt_text([cue]))
    assert c["voice"] == "Alexandrina, Bartholomew and Constantine"
    one_word = CueTiming(1, ("A",), "x" * 150, 0, 3)  # no break possible: cut inside the word
    (c,) = parse_vtt(vtt_text([one_word]))
    assert "".join(c["text"].split()) == "x" * 150


def test_captions_skip_directions_and_empty_text():
    assert [c.speakers for c in captions([CueTiming(0, (), "door slams", 0, 1),
                                          CueTiming(1, ("A",), "   ", 1, 2)])] == []


def test_chapters_json_shape(tmp_path):
    chapters = [ChapterTiming("Opening", 0.0, 61.25), ChapterTiming("The laws", 61.25, 300.0)]
    doc = json.loads(chapters_json_text(chapters, "Alignment Implications"))
    assert doc == {"version": "1.2.0", "title": "Alignment Implications", "chapters": [
        {"startTime": 0.0, "endTime": 61.25, "title": "Opening"},
        {"startTime": 61.25, "endTime": 300.0, "title": "The laws"}]}
    path = write_chapters_json(tmp_path / "chapters.json", chapters, "T")
    assert json.loads(path.read_text())["chapters"][1]["startTime"] == 61.25


def test_writers_write_the_texts(tmp_path):
    assert write_vtt(tmp_path / "e.vtt", CUES).read_text(encoding="utf-8") == vtt_text(CUES)
    assert write_srt(tmp_path / "e.srt", CUES).read_text(encoding="utf-8") == srt_text(CUES)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["e.srt", "e.vtt"]
