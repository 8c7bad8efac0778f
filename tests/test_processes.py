"""Worker processes die with the render that started them, and SIGTERM is handled like Ctrl-C.
Real processes: a render on the tone engine made slow, killed while it voices."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.conftest import tone_cast_text
from tests.test_resume import LINES, committed_takes, long_script, render_cmd, slow_env

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc to find the workers")


def children_of(pid: int) -> set[int]:
    found = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                found.add(int(entry.name))
    return found


def alive(pid: int) -> bool:
    """Running, not merely a zombie waiting for init (or this test) to reap it."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def start_slow_render(tmp_path: Path) -> tuple[subprocess.Popen, Path, set[int]]:
    """A render with two workers, once both are voicing; returns it, its store and the workers."""
    script, store = long_script(tmp_path), tmp_path / "takes"
    cast = tmp_path / "cast.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    proc = subprocess.Popen(render_cmd(script, cast, tmp_path / "episode.wav", store, "--jobs", "2"),
                            env=slow_env(0.4), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    deadline = time.monotonic() + 60
    while committed_takes(store) < 2:
        assert proc.poll() is None, proc.stderr.read().decode()
        assert time.monotonic() < deadline, "no take was committed in time"
        time.sleep(0.05)
    workers = children_of(proc.pid)
    assert len(workers) >= 2, workers  # the pool's processes (and maybe its resource tracker)
    return proc, store, workers


def wait_gone(pids: set[int], seconds: float = 5.0) -> set[int]:
    deadline = time.monotonic() + seconds
    while (left := {p for p in pids if alive(p)}) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left


def test_kill_9_of_the_render_ends_its_workers(tmp_path):
    proc, _, workers = start_slow_render(tmp_path)
    try:
        os.kill(proc.pid, signal.SIGKILL)  # the parent only, as the OOM killer or a CI cancel would
        proc.wait()
        assert wait_gone(workers) == set(), "workers outlived their parent"
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


@pytest.mark.parametrize("signum, name, whom", [
    (signal.SIGTERM, "SIGTERM", "parent"),  # `timeout`, a CI cancel: the parent only
    (signal.SIGINT, "Ctrl-C", "group"),  # a terminal's Ctrl-C: the whole process group
])
def test_sigterm_is_handled_like_ctrl_c(tmp_path, signum, name, whom):
    proc, store, workers = start_slow_render(tmp_path)
    try:
        if whom == "parent":
            os.kill(proc.pid, signum)
        else:
            os.killpg(proc.pid, signum)
        _, err = proc.communicate(timeout=30)
        stderr = err.decode()
        assert proc.returncode == 128 + signum, stderr
        assert "Traceback" not in stderr
        assert stderr.strip().splitlines()[-1] == \
            f"radioplay: interrupted ({name}); finished takes are kept in the store"
        assert wait_gone(workers) == set(), "workers outlived the interrupted render"
        kept = committed_takes(store)
        assert 2 <= kept < LINES
        assert not (tmp_path / "episode.wav").exists()
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)


def test_a_worker_killed_mid_render_is_one_error_line(tmp_path):
    """The OOM killer's choice: one worker dies; the render stops with exit 1, takes kept."""
    proc, store, workers = start_slow_render(tmp_path)
    try:
        victim = min(pid for pid in workers  # a pool worker, forked: the parent's command line
                     if b"resource_tracker" not in Path(f"/proc/{pid}/cmdline").read_bytes())
        os.kill(victim, signal.SIGKILL)
        _, err = proc.communicate(timeout=30)
        stderr = err.decode()
        assert proc.returncode == 1, stderr
        assert "Traceback" not in stderr
        errors = [line for line in stderr.splitlines() if line.startswith("radioplay: error: ")]
        assert errors == ["radioplay: error: a synthesis worker process died (killed, or out of memory); the "
                          "finished takes are stored: render again, with fewer --jobs if memory is short"]
        assert wait_gone(workers) == set()
        assert committed_takes(store) >= 2
    finally:
        for pid in workers:
            if alive(pid):
                os.kill(pid, signal.SIGKILL)
