"""Shared fixtures: small scripts and tone-engine casts, so pipeline tests run in milliseconds."""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"

DIALOGUE = """\
# A Test Episode

**Ada**: Good evening, Marlow.

**Marlow**: _[softly]_ Evening. You are late.

_[A door closes.]_

**Ada**: I was held up at the archive. It took longer than I planned—

**Marlow**: It always does.

**Ada** and **Marlow**: _[together]_ Goodnight.
"""


def tone_cast_text(**options: float) -> str:
    extra = "".join(f"{k} = {v!r}\n" for k, v in options.items())
    return (f'[characters.Ada]\nengine = "tone"\nvoice = "high"\npan = -0.4\n{extra}\n'
            f'[characters.Marlow]\nengine = "tone"\nvoice = "low"\npan = 0.4\n{extra}')


@pytest.fixture(autouse=True)
def no_voice_downloads(monkeypatch) -> None:
    """Voices fetched on first use go to a closed local port in every test: nothing leaves the
    machine (tests/test_voice_downloads.py serves its own catalogue)."""
    closed = "http://127.0.0.1:9"  # the discard port: nothing listens there
    monkeypatch.setenv("RADIOPLAY_PIPER_CATALOGUE", f"{closed}/voices.json")
    monkeypatch.setenv("RADIOPLAY_KOKORO_VOICES", f"{closed}/voices-v1.0.bin")
    monkeypatch.setenv("RADIOPLAY_KOKORO_VOICES_SHA256", "0" * 64)


@pytest.fixture
def seed_path() -> Path:
    if not SEED.exists():
        pytest.skip(f"the seed script is not at {SEED}")
    return SEED


@pytest.fixture
def dialogue(tmp_path: Path) -> Path:
    path = tmp_path / "dialogue.md"
    path.write_text(DIALOGUE, encoding="utf-8")
    return path


@pytest.fixture
def tone_cast(tmp_path: Path) -> Path:
    path = tmp_path / "tone.toml"
    path.write_text(tone_cast_text(), encoding="utf-8")
    return path


@pytest.fixture
def store_dir(tmp_path: Path, monkeypatch) -> Path:
    path = tmp_path / "takes"
    monkeypatch.setenv("RADIOPLAY_CACHE", str(path))
    return path
