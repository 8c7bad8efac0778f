"""One engine's seed sentences under three process/thread layouts, timed in one run.

    .venv/bin/python bench/layouts.py [kokoro|piper] [SENTENCES] [ROUNDS]

Layouts: one process with one onnxruntime thread, one process with two, and two one-thread
processes each voicing the same sentences at once. Printed per layout: each process's wall and CPU
seconds. On a shared machine the CPU seconds are the figure to read: a second process that slowed
the first through the cache or memory bus would raise each one's CPU time above the lone process's,
and a second intra-op thread's cost shows as CPU beyond the one-thread figure.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from multiprocessing import get_context
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def seed_requests(engine: str, count: int):
    """`count` of the seed's sentences for `engine`, spread over their lengths."""
    from radioplay.pipeline import RenderOptions, prepare

    prepared = prepare(SEED, RenderOptions(cache=Path(tempfile.mkdtemp(prefix="radioplay-layouts-")), jobs=1))
    plan = prepared.plan
    requests = sorted((plan.requests[i] for i in plan.unique_missing if plan.requests[i].spec.engine == engine),
                      key=lambda r: -len(r.text))
    return requests[::max(1, len(requests) // count)][:count]


def voice_all(engine: str, count: int, threads: int, results) -> None:
    from radioplay.voice.synthesize import EngineSettings, voice_take

    registry = EngineSettings(threads=threads).registry()
    requests = seed_requests(engine, count)
    voice_take(registry, requests[-1])  # loads the model outside the timing
    wall, cpu = time.perf_counter(), time.process_time()
    for request in requests:
        voice_take(registry, request)
    results.put((time.perf_counter() - wall, time.process_time() - cpu))


def layout(engine: str, count: int, processes: int, threads: int) -> list[tuple[float, float]]:
    context = get_context("fork")
    results = context.Queue()
    workers = [context.Process(target=voice_all, args=(engine, count, threads, results)) for _ in range(processes)]
    for worker in workers:
        worker.start()
    out = [results.get() for _ in workers]
    for worker in workers:
        worker.join()
    return out


def main() -> None:
    engine = sys.argv[1] if len(sys.argv) > 1 else "kokoro"
    count = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 2
    for n in range(rounds):
        for processes, threads in ((1, 1), (1, 2), (2, 1)):
            out = layout(engine, count, processes, threads)
            print(f"round {n} {engine} {processes} process(es) x {threads} thread(s): "
                  f"wall {', '.join(f'{w:.2f}' for w, _ in out)} s, CPU {', '.join(f'{c:.2f}' for _, c in out)} s "
                  f"(load average {os.getloadavg()[0]:.1f})", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
