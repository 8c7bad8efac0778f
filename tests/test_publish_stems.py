"""Stems: one float WAV per character, aligned, summing back to the mix."""

import numpy as np
import pytest
import soundfile as sf

from radioplay.errors import ExportError
from radioplay.publish import write_stems
from radioplay.publish.stems import stem_filename

RATE = 24_000


def test_stems_sum_back_to_the_mix_within_1e_4(tmp_path):
    rng = np.random.default_rng(4)
    stems = {name: (0.3 * rng.standard_normal((RATE * 2, 2))).astype(np.float32)
             for name in ("Simplicia", "Doomer")}
    mix = stems["Simplicia"] + stems["Doomer"]
    paths = write_stems(tmp_path / "stems", stems, RATE)
    assert sorted(p.name for p in paths) == ["Doomer.wav", "Simplicia.wav"]
    back = [sf.read(str(p), dtype="float32", always_2d=True) for p in paths]
    assert all(rate == RATE and data.shape == (RATE * 2, 2) for data, rate in back)
    assert sf.info(str(paths[0])).subtype == "FLOAT"
    assert np.abs(sum(data for data, _ in back) - mix).max() <= 1e-4
    assert sorted(p.name for p in (tmp_path / "stems").iterdir()) == ["Doomer.wav", "Simplicia.wav"]


def test_unsafe_names_and_clashes():
    assert stem_filename("Dr. Who/What?") == "Dr. Who_What_.wav"
    assert stem_filename("..") == "_.wav"


def test_clashing_or_misaligned_stems_are_refused(tmp_path):
    a = np.zeros((10, 2), dtype=np.float32)
    with pytest.raises(ExportError, match="share"):
        write_stems(tmp_path, {"A/B": a, "A:B": a}, RATE)
    with pytest.raises(ExportError, match="length"):
        write_stems(tmp_path, {"A": a, "B": a[:5]}, RATE)
    file = tmp_path / "f"
    file.write_text("x")
    with pytest.raises(ExportError, match="folder"):
        write_stems(file, {"A": a}, RATE)
