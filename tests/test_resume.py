"""Crash safety with real processes: kill -9 mid-synthesis, then resume; and two renders at once."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import soundfile as sf

from radioplay.cache import TakeStore
from radioplay.voice.engines.tone import DELAY_ENV
from tests.conftest import tone_cast_text

LINES = 12


def long_script(tmp_path: Path) -> Path:
    speakers = ["Ada", "Marlow"]
    body = "\n\n".join(f"**{speakers[i % 2]}**: This is line number {i}, said with care."
                       for i in range(LINES))
    path = tmp_path / "long.md"
    path.write_text(f"# Resume\n\n{body}\n", encoding="utf-8")
    return path


def render_cmd(script: Path, cast: Path, out: Path, store: Path, *extra: str) -> list[str]:
    return [sys.executable, "-m", "radioplay.cli", "render", str(script), "--cast", str(cast), "-o", str(out),
            "--cache", str(store), *extra]


def slow_env(seconds: float) -> dict[str, str]:
    """The tone engine sleeps this long per take, in every worker (a test-only setting)."""
    return {**os.environ, DELAY_ENV: str(seconds)}


def committed_takes(store: Path) -> int:
    return TakeStore(store).info().count if store.exists() else 0


def test_kill_9_mid_synthesis_then_resume(tmp_path):
    script, store, out = long_script(tmp_path), tmp_path / "takes", tmp_path / "episode.wav"
    cast = tmp_path / "cast.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")

    # the first episode from its own store, so the slow render below voices every take again
    subprocess.run(render_cmd(script, cast, out, tmp_path / "first-takes"), check=True, capture_output=True)
    previous = out.read_bytes()
    before = committed_takes(store)

    # --force: the episode is up to date (its record sits beside it, whatever the store); render anyway
    proc = subprocess.Popen(render_cmd(script, cast, out, store, "--jobs", "2", "--force"), env=slow_env(0.5),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 60
    while committed_takes(store) - before < 3:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no take was committed in time"
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(0.2)

    assert out.read_bytes() == previous, "the previous episode was damaged by the killed render"
    finished = committed_takes(store) - before
    assert 3 <= finished < LINES

    report = tmp_path / "report.json"
    subprocess.run(render_cmd(script, cast, out, store, "--report", str(report), "--force"), check=True,
                   capture_output=True, env=slow_env(0.5))
    data = json.loads(report.read_text())
    assert data["reused"] == finished
    assert data["synthesized"] == LINES - finished
    # the resumed episode equals the first one, to the byte
    assert out.read_bytes() == previous


def test_two_renders_at_once_share_the_store(tmp_path):
    script, store = long_script(tmp_path), tmp_path / "takes"
    cast = tmp_path / "cast.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    outs = [tmp_path / "a.wav", tmp_path / "b.wav"]
    procs = [subprocess.Popen(render_cmd(script, cast, out, store, "--jobs", "1"), stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, env=slow_env(0.05)) for out in outs]
    for proc in procs:
        _, err = proc.communicate(timeout=120)
        assert proc.returncode == 0, err.decode()
    a, _ = sf.read(outs[0], dtype="float32")
    b, _ = sf.read(outs[1], dtype="float32")
    assert a.shape == b.shape and np.array_equal(a, b)
    assert committed_takes(store) == LINES
