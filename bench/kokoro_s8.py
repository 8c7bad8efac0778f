"""Kokoro's joined int8 model against its rewrite for onnxruntime's int8 VNNI kernel
(radioplay.voice.engines.kokoro_s8), on the seed's Kokoro sentences, in one process.

    .venv/bin/python bench/kokoro_s8.py [--script PATH] [--threads 1,2] [--sentences N]

Each sentence is voiced by both models in turn (the order alternating), so both see the same load;
printed per thread count: wall and CPU seconds of each, the ratios old / new, and whether every
sentence's samples are identical (they must be: the rewrite computes the same integers).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
SEED = REPO.parent / "shared" / "seeds" / "000_bce81a884f985e50.txt"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--script", type=Path, default=SEED)
    parser.add_argument("--threads", default="1,2", help="onnxruntime intra-op threads to measure, comma-separated")
    parser.add_argument("--sentences", type=int, default=0, help="only the first N Kokoro sentences (0: all)")
    args = parser.parse_args()

    from radioplay.pipeline import RenderOptions, prepare
    from radioplay.voice.engines import kokoro, kokoro_s8
    from radioplay.voice.synthesize import voice_take

    if not kokoro_s8.exact_int8_kernel():
        raise SystemExit("bench: this CPU has no VNNI, so radioplay runs the int8 model as it is; nothing to compare")

    class ModelFile(kokoro.KokoroEngine):
        """The Kokoro engine on a given model file."""

        def __init__(self, path: Path, threads: int):
            super().__init__("cpu", threads)
            self.path = path

        def model_path(self) -> Path:
            return self.path

    prepared = prepare(args.script, RenderOptions(cache=Path(tempfile.mkdtemp(prefix="radioplay-s8-")), jobs=1))
    requests = [prepared.plan.requests[i] for i in prepared.plan.unique_missing
                if prepared.plan.requests[i].spec.engine == "kokoro"]
    requests = requests[:args.sentences or None]
    old_path = kokoro.assemble_model()
    start = time.perf_counter()
    new_path = kokoro_s8.rewritten_model(old_path)
    print(f"{len(requests)} Kokoro sentences, {sum(len(r.text) for r in requests)} characters; "
          f"rewritten model ready in {time.perf_counter() - start:.2f} s "
          f"({old_path.stat().st_size / 1e6:.1f} MB -> {new_path.stat().st_size / 1e6:.1f} MB)")

    class Registry:  # voice_take's view of a registry: one engine
        def __init__(self, engine):
            self.engine = engine

        def get(self, name):
            return self.engine

    for threads in (int(t) for t in args.threads.split(",")):
        engines = {"int8": ModelFile(old_path, threads), "rewrite": ModelFile(new_path, threads)}
        loads = {}
        for name, engine in engines.items():
            begin = time.perf_counter()
            engine._load()
            loads[name] = time.perf_counter() - begin
        wall = dict.fromkeys(engines, 0.0)
        cpu = dict.fromkeys(engines, 0.0)
        identical = 0
        audio = 0.0
        for n, request in enumerate(requests):
            order = list(engines) if n % 2 == 0 else list(reversed(engines))
            samples = {}
            for name in order:
                w, c = time.perf_counter(), time.process_time()
                samples[name] = voice_take(Registry(engines[name]), request).samples
                wall[name] += time.perf_counter() - w
                cpu[name] += time.process_time() - c
            identical += np.array_equal(samples["int8"], samples["rewrite"])
            audio += len(samples["int8"]) / kokoro.SAMPLE_RATE
        print(f"threads {threads}: session load int8 {loads['int8']:.2f} s, rewrite {loads['rewrite']:.2f} s; "
              f"{audio:.1f} s of audio")
        print(f"  wall int8 {wall['int8']:7.2f} s   rewrite {wall['rewrite']:7.2f} s   old/new {wall['int8'] / wall['rewrite']:.3f}")
        print(f"  CPU  int8 {cpu['int8']:7.2f} s   rewrite {cpu['rewrite']:7.2f} s   old/new {cpu['int8'] / cpu['rewrite']:.3f}")
        print(f"  identical samples: {identical} of {len(requests)} sentences", flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
