"""Several processes sharing one take store: concurrent writers of the same keys, readers that
must never see part of a take, and a writer killed with SIGKILL in the middle of its puts."""

from __future__ import annotations

import multiprocessing as mp
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np

from radioplay.cache import TakeStore, take_key
from radioplay.model import Audio, TakeRequest, VoiceSpec

N_KEYS = 40


def key_for(i: int) -> str:
    req = TakeRequest(cue=i, part=0, segment=0, speaker="A", text=f"Line {i}.",
                      spec=VoiceSpec("tone", "mid"), speed=1.0, pitch=0.0)
    return take_key(req, "1", ())


def samples_for(i: int, variant: int = 0) -> np.ndarray:
    """Deterministic take i; `variant` gives a different take under the same key."""
    n = 24_000 + 997 * i  # 1 to 2.6 s: files of 96 to 250 kB, so writes take a while
    return np.random.default_rng([i, variant]).uniform(-1, 1, n).astype(np.float32)


def writer(root: str, variant: int, start, rounds: int) -> None:
    store = TakeStore(Path(root))
    start.wait()
    for _ in range(rounds):
        for i in range(N_KEYS):
            store.put(key_for(i), Audio(samples_for(i, variant), 24_000), {"text": f"Line {i}."})


def reader(root: str, variants: tuple[int, ...], start, stop, out) -> None:
    """Read every key until told to stop; report takes that were not exactly one of `variants`."""
    store = TakeStore(Path(root))
    expected = {i: [samples_for(i, v).tobytes() for v in variants] for i in range(N_KEYS)}
    seen = bad = 0
    start.wait()
    while not stop.is_set():
        for i in range(N_KEYS):
            audio = store.get(key_for(i))
            if audio is not None:
                seen += 1
                bad += audio.samples.tobytes() not in expected[i]
    out.put((seen, bad, [str(p) for p in store.problems]))


def run_writers_and_reader(root: Path, variants: tuple[int, ...], rounds: int = 3):
    ctx = mp.get_context("spawn")  # like the synthesis pool: fresh interpreters, nothing shared
    start, stop, out = ctx.Event(), ctx.Event(), ctx.Queue()
    writers = [ctx.Process(target=writer, args=(str(root), v, start, rounds)) for v in variants]
    read = ctx.Process(target=reader, args=(str(root), variants, start, stop, out))
    for p in writers + [read]:
        p.start()
    start.set()
    for p in writers:
        p.join(60)
        assert p.exitcode == 0
    stop.set()
    seen, bad, problems = out.get(timeout=60)
    read.join(60)
    assert read.exitcode == 0
    return seen, bad, problems


def test_two_writers_of_the_same_takes_and_a_reader(tmp_path):
    seen, bad, problems = run_writers_and_reader(tmp_path, variants=(0, 0))
    assert seen > 0 and bad == 0 and problems == []  # never a partial or mixed take
    store = TakeStore(tmp_path)
    for i in range(N_KEYS):
        assert store.get(key_for(i)).samples.tobytes() == samples_for(i).tobytes()
    assert store.info().count == N_KEYS and store.info().partial_files == 0
    assert store.problems == []


def test_two_writers_disagreeing_leave_one_whole_take_per_key(tmp_path):
    # An engine that is not bit-reproducible: both puts succeed and the survivor is one of them.
    seen, bad, problems = run_writers_and_reader(tmp_path, variants=(1, 2), rounds=2)
    assert seen > 0 and bad == 0 and problems == []
    store = TakeStore(tmp_path)
    for i in range(N_KEYS):
        got = store.get(key_for(i)).samples.tobytes()
        assert got in (samples_for(i, 1).tobytes(), samples_for(i, 2).tobytes())
    assert store.problems == [] and store.info().partial_files == 0


KILLED_WRITER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    import numpy as np
    sys.path.insert(0, {tests!r})
    from test_cache_concurrency import N_KEYS, key_for, samples_for
    from radioplay.cache import TakeStore
    from radioplay.model import Audio
    if {hold_in_put!r}:
        # Hold the first put between writing its temporary file and renaming it, so the kill is
        # sure to land inside a write rather than between two of them.
        def fsync_then_hold(fd):
            print("in put", flush=True)
            time.sleep(60)
        os.fsync = fsync_then_hold
    store = TakeStore(Path({root!r}))
    print("ready", flush=True)
    while True:  # keep writing until killed
        for i in range(N_KEYS):
            store.put(key_for(i), Audio(samples_for(i, {variant}), 24_000), {{"text": "x"}})
""")


def test_writer_killed_mid_put_never_leaves_a_bad_take(tmp_path):
    store = TakeStore(tmp_path)
    for i in range(0, N_KEYS, 2):  # an earlier render left half of the takes
        store.put(key_for(i), Audio(samples_for(i, 1), 24_000), {})
    # The first kill is held inside a put; the others land wherever the timer puts them.
    for attempt, hold_in_put in enumerate((True, False, False, False)):
        code = KILLED_WRITER.format(tests=str(Path(__file__).parent), root=str(tmp_path),
                                    variant=1, hold_in_put=hold_in_put)
        proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
        assert proc.stdout.readline().strip() == "ready"
        if hold_in_put:
            assert proc.stdout.readline().strip() == "in put"
        else:
            time.sleep(0.1 * attempt)
        os.kill(proc.pid, signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
        if hold_in_put:
            assert store.info().partial_files >= 1  # the killed put left its temporary file

        for i in range(N_KEYS):  # every take is whole and right, or absent
            audio = store.get(key_for(i))
            assert audio is None or audio.samples.tobytes() == samples_for(i, 1).tobytes()
        assert store.problems == []
        assert all(key_for(i) in store for i in range(0, N_KEYS, 2))  # finished takes survive

    # The next render fills in the rest, and prune clears what the killed writers left.
    for i in range(N_KEYS):
        if key_for(i) not in store:
            store.put(key_for(i), Audio(samples_for(i, 1), 24_000), {})
    assert all(store.get(key_for(i)) is not None for i in range(N_KEYS))
    left = store.info().partial_files
    assert left >= 1
    assert store.prune(now=time.time() + 7200).partial_removed == left
    assert store.info().partial_files == 0
    assert store.info().count == N_KEYS and store.problems == []
