"""The timeline PNG: drawn, atomic, and with one row per speaker."""

import struct

from radioplay.model import ChapterTiming, CueTiming
from radioplay.publish import draw_timeline


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


def test_draws_a_png_sized_for_its_rows(tmp_path):
    cues = [CueTiming(0, ("Doomer",), "a", 0.5, 3.0), CueTiming(1, ("Simplicia",), "b", 3.2, 8.0),
            CueTiming(2, (), "direction", 8.0, 8.5), CueTiming(3, ("Simplicia", "Doomer"), "c", 9.0, 11.0)]
    chapters = [ChapterTiming("Opening", 0.0, 6.0), ChapterTiming("Close", 6.0, 11.5)]
    two = draw_timeline(tmp_path / "t.png", cues, chapters, 11.5, title="Episode")
    width, height2 = png_size(two.read_bytes())
    assert width == 800
    three = draw_timeline(tmp_path / "t3.png", cues + [CueTiming(4, ("Narrator",), "d", 1, 2)], chapters, 11.5)
    assert png_size(three.read_bytes())[1] > height2  # a row more for a third speaker
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.png", "t3.png"]


def test_empty_episode_still_draws(tmp_path):
    path = draw_timeline(tmp_path / "empty.png", [], [], 0.0)
    assert png_size(path.read_bytes())[0] > 0
