"""AAC in MP4 (.m4a, .m4b): reads back with its length, tags, cover and chapters; a tone-engine
episode rendered to .m4b meets the loudness and true-peak targets on the decoded file."""

from __future__ import annotations

import numpy as np
import pytest
from mutagen.mp4 import MP4

from radioplay.errors import ExportError
from radioplay.master import integrated_loudness, true_peak_db
from radioplay.pipeline import RenderOptions, render
from radioplay.publish import write_audio
from radioplay.publish.audio import check_encoding, read_audio
from radioplay.publish.mp4 import read_chapters
from tests.conftest import DIALOGUE, tone_cast_text
from tests.test_publish_audio import CHAPTERS, RATE, SECONDS, TAGS, png, tone

AAC_FRAME = 1024


@pytest.mark.parametrize("suffix, channels", [(".m4b", 2), (".m4a", 1)])
def test_reads_back_with_exact_length_tags_cover_and_chapters(tmp_path, suffix, channels):
    cover = png(tmp_path / "cover.png")
    from dataclasses import replace

    path = write_audio(tmp_path / f"book{suffix}", tone(channels), RATE, tags=replace(TAGS, cover=cover),
                       chapters=CHAPTERS)
    back, rate = read_audio(path)
    assert rate == RATE and back.shape[1] == channels
    # The edit list skips the encoder's priming; the declared duration cuts the last frame's padding.
    assert back.shape[0] == round(SECONDS * RATE)
    source = tone(channels)
    lag = np.argmax(np.correlate(back[:4096, 0], source[:4096, 0], "full")) - 4095
    assert lag == 0  # no priming silence in front
    assert 0.3 < np.abs(back).max() < 0.5
    tags = MP4(path)
    assert tags["\xa9nam"] == [TAGS.title] and tags["\xa9alb"] == [TAGS.show] and tags["\xa9ART"] == [TAGS.artist]
    assert tags["trkn"] == [(7, 0)]
    assert bytes(tags["covr"][0]) == cover.read_bytes() and tags["covr"][0].imageformat == tags["covr"][0].FORMAT_PNG
    # Both chapter forms: FFmpeg reads the QuickTime chapter track, mutagen the Nero chpl box.
    assert read_chapters(path) == CHAPTERS
    assert [(round(c.start, 3), c.title) for c in tags.chapters] == [(c.start, c.title) for c in CHAPTERS]
    assert open(path, "rb").read(12)[4:12] == b"ftypM4A "


def test_aac_encoding_checks():
    check_encoding("a.m4b", 44_100, 2, 128)
    with pytest.raises(ExportError, match="AAC cannot be encoded at 44000 Hz"):
        check_encoding("a.m4b", 44_000, 2, None)
    with pytest.raises(ExportError, match="AAC bitrate 600 kbps is outside 32-512 kbps for 2 channel"):
        check_encoding("a.m4a", 44_100, 2, 600)
    with pytest.raises(ExportError, match="outside 16-256 kbps for 1 channel"):
        check_encoding("a.m4a", 44_100, 1, 8)
    with pytest.raises(ExportError, match="bitrate applies to .mp3, .ogg, .opus, .m4a and .m4b"):
        check_encoding("a.flac", 44_100, 2, 128)


def test_bitrate_changes_the_file_size(tmp_path):
    low = write_audio(tmp_path / "low.m4a", tone(2), RATE, bitrate=48)
    high = write_audio(tmp_path / "high.m4a", tone(2), RATE, bitrate=256)
    assert high.stat().st_size > 2.5 * low.stat().st_size


def test_tone_episode_to_m4b_meets_loudness_and_true_peak_on_the_decoded_file(tmp_path):
    from PIL import Image

    script = tmp_path / "dialogue.md"
    script.write_text(DIALOGUE, encoding="utf-8")
    Image.new("RGB", (1400, 1400), (200, 30, 30)).save(tmp_path / "art.png")
    cast = tmp_path / "tone.toml"
    cast.write_text(tone_cast_text() + '\n[production]\nshow = "Show"\ncover = "art.png"\n', encoding="utf-8")
    out = tmp_path / "episode.m4b"
    result = render(script, RenderOptions(output=out, cast=cast, cache=tmp_path / "takes", jobs=1))
    decoded, rate = read_audio(out)
    expected = round(result.episode.duration * result.episode.sample_rate)  # frames of the streamed episode
    assert abs(decoded.shape[0] - expected) <= AAC_FRAME
    assert abs(integrated_loudness(decoded, rate) - -16.0) <= 0.2
    assert true_peak_db(decoded, rate, oversample=4) <= -1.0
    # The report gives the delivered (decoded) file's figures.
    assert result.report["loudness"] == pytest.approx(integrated_loudness(decoded, rate), abs=0.01)
    chapters = read_chapters(out)
    assert [c.title for c in chapters] == [c.title for c in result.episode.chapters]
    assert chapters[-1].end == pytest.approx(result.episode.duration, abs=0.001)
    assert bytes(MP4(out)["covr"][0]) == (tmp_path / "art.png").read_bytes()
