"""End to end through the library with the tone engine: cast changes are audible in the render, and
the transcripts agree with the stems."""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from radioplay.pipeline import RenderOptions, render
from tests.conftest import DIALOGUE

BASE = {"Ada": {"voice": "high", "pan": -0.4}, "Marlow": {"voice": "low", "pan": 0.4}}


def write_cast(path: Path, characters: dict) -> Path:
    lines = []
    for name, keys in characters.items():
        lines.append(f"[characters.{name}]\nengine = \"tone\"")
        lines += [f"{k} = {v!r}" if not isinstance(v, str) else f'{k} = "{v}"' for k, v in keys.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def render_stems(tmp_path: Path, name: str, characters: dict) -> dict[str, np.ndarray]:
    script = tmp_path / "dialogue.md"
    script.write_text(DIALOGUE, encoding="utf-8")
    stems = tmp_path / f"stems-{name}"
    render(script, RenderOptions(output=tmp_path / f"{name}.wav", cast=write_cast(tmp_path / f"{name}.toml", characters),
                                 cache=tmp_path / "takes", stems=stems, jobs=1))
    return {p.stem: sf.read(p, dtype="float32")[0] for p in stems.glob("*.wav")}


def dominant_hz(stem: np.ndarray, rate: int = 44_100) -> float:
    mono = stem.sum(axis=1)
    spectrum = np.abs(np.fft.rfft(mono * np.hanning(len(mono))))
    return float(np.fft.rfftfreq(len(mono), 1 / rate)[np.argmax(spectrum)])


def left_right_db(stem: np.ndarray) -> float:
    return 10 * np.log10(np.sum(stem[:, 0] ** 2) / np.sum(stem[:, 1] ** 2))


def rms_db(stem: np.ndarray) -> float:
    active = stem[np.abs(stem).max(axis=1) > 1e-3]
    return 20 * np.log10(np.sqrt(np.mean(active ** 2)))


@pytest.fixture
def base(tmp_path):
    return render_stems(tmp_path, "base", BASE)


def with_ada(**keys) -> dict:
    return {**BASE, "Ada": {**BASE["Ada"], **keys}}


def test_voice_change_is_audible(tmp_path, base):
    assert dominant_hz(base["Ada"]) == pytest.approx(440, abs=2)
    assert dominant_hz(render_stems(tmp_path, "alto", with_ada(voice="alto"))["Ada"]) == pytest.approx(330, abs=2)


def test_pitch_change_is_audible(tmp_path, base):
    shifted = render_stems(tmp_path, "octave", with_ada(pitch=12.0))["Ada"]
    assert dominant_hz(shifted) == pytest.approx(880, abs=4)
    assert dominant_hz(base["Marlow"]) == pytest.approx(110, abs=2)


def first_run_seconds(stem: np.ndarray, rate: int = 44_100) -> float:
    """Length of the stem's first stretch of sound: its first line (the unison line is stretched to
    its partner's length, so the whole stem is not a fair measure)."""
    from scipy.ndimage import maximum_filter1d

    envelope = maximum_filter1d(np.abs(stem).max(axis=1), size=int(0.005 * rate))  # bridge zero crossings
    active = envelope > 1e-3
    start = int(np.argmax(active))
    return float(np.argmin(active[start:])) / rate


def test_speed_change_is_audible(tmp_path, base):
    fast = render_stems(tmp_path, "fast", with_ada(speed=2.0))["Ada"]
    assert first_run_seconds(fast) == pytest.approx(first_run_seconds(base["Ada"]) / 2, rel=0.01)


def test_pan_and_gain_changes_are_audible(tmp_path, base):
    assert left_right_db(base["Ada"]) > 3  # pan -0.4: left of centre
    moved = render_stems(tmp_path, "moved", with_ada(pan=0.4, gain=-6.0))["Ada"]
    assert left_right_db(moved) == pytest.approx(-left_right_db(base["Ada"]), abs=0.01)
    assert rms_db(moved) - rms_db(base["Ada"]) == pytest.approx(-6.0, abs=0.05)


TIMESTAMP = r"(\d+):(\d\d):(\d\d)[.,](\d\d\d)"


def cue_times(text: str) -> list[tuple[float, float, str]]:
    out = []
    for block in text.strip().split("\n\n"):
        m = re.search(TIMESTAMP + " --> " + TIMESTAMP, block)
        if not m:
            continue
        h1, m1, s1, ms1, h2, m2, s2, ms2 = map(int, m.groups())
        body = block[m.end():]
        out.append((h1 * 3600 + m1 * 60 + s1 + ms1 / 1000, h2 * 3600 + m2 * 60 + s2 + ms2 / 1000, body))
    return out


def is_active(stem: np.ndarray, at: float, rate: int = 44_100) -> bool:
    """Whether the stem sounds in the 2 ms after `at` seconds."""
    i = int(round(at * rate))
    return bool(np.abs(stem[i:i + int(0.002 * rate)]).max() > 1e-3)


def test_vtt_and_srt_agree_with_the_stems(tmp_path, base):
    vtt = cue_times((tmp_path / "base.vtt").read_text(encoding="utf-8"))
    srt = cue_times((tmp_path / "base.srt").read_text(encoding="utf-8"))
    assert len(vtt) == 5 and [(a, b) for a, b, _ in vtt] == [(a, b) for a, b, _ in srt]
    for start, end, body in vtt:
        speakers = [name for name in ("Ada", "Marlow") if name in body.split(">")[0]]
        assert speakers, body
        for name in speakers:  # each named voice starts at the cue's start and still sounds at its end
            assert not is_active(base[name], start - 0.004) and is_active(base[name], start + 0.001)
            assert is_active(base[name], end - 0.004)
