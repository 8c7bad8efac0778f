"""The synthesis stage: turn a cast script into takes, reusing the take store.

Planning (`plan_takes`, `TakePlan`) is cheap and loads no model, so `--dry-run` can say what would
be synthesized. Execution (`synthesize_takes`) voices what the store lacks, in a pool of worker
processes that each load their models once; every finished take is put into the store at once, so
a render that is killed loses only the takes in flight.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
import time
from pathlib import Path
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Callable, Iterator, Protocol, Sequence, TypeVar

import numpy as np

from radioplay.cache import TakeStore
from radioplay.errors import EngineError, RuntimeFailure
from radioplay.model import Audio, Casting, Delivery, Diagnostic, Script, Take, TakeLevel, TakeRequest
from radioplay.voice.directions import DirectionTable
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.lexicon import merge_lexicons
from radioplay.voice.text import Sentence, sentences


@dataclass(frozen=True)
class EngineSettings:
    """How every process builds its engine registry (picklable, so workers build their own)."""

    device: str = "auto"
    threads: int | None = None

    def registry(self) -> EngineRegistry:
        return EngineRegistry.from_entry_points(device=self.device, threads=self.threads)


@dataclass
class TakePlan:
    """Every take the script needs, with its content key and whether the store already has it."""

    requests: list[TakeRequest]
    keys: list[str]
    cached: list[bool]
    deliveries: list[Delivery]
    """One per cue (from the cue's opening direction); the mixer uses gain, pauses and unison."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    """Warnings about what will not be voiced: lines with nothing speakable."""
    silent: frozenset[tuple[int, int, int]] = frozenset()
    """(cue, part, segment) of every segment with nothing speakable: no take, a beat of silence."""

    @property
    def unique_missing(self) -> list[int]:
        """Indexes of the requests to synthesize, one per distinct missing key."""
        seen: set[str] = set()
        out = []
        for i, (key, hit) in enumerate(zip(self.keys, self.cached)):
            if not hit and key not in seen:
                seen.add(key)
                out.append(i)
        return out


def cue_deliveries(script: Script, directions: DirectionTable) -> list[Delivery]:
    return [directions.delivery(cue.direction) for cue in script.cues]


SegmentKey = tuple[int, int, int]
"""(cue, part, segment)."""


def spoken_sentences(script: Script, lexicon_for: Callable[[str], dict[str, str]] = lambda speaker: {}
                     ) -> tuple[dict[SegmentKey, list[Sentence]], list[Diagnostic]]:
    """What each segment of each line says, sentence by sentence, and a warning at every segment
    that has nothing speakable once normalized (`**Bob**: ...`, `—`, `🎭`): the mixer hears those
    as a beat of silence. Planning and `inspect` both read the script through this one function."""
    out: dict[SegmentKey, list[Sentence]] = {}
    diagnostics: list[Diagnostic] = []
    warned: set[tuple[int, int]] = set()
    for index, cue in enumerate(script.cues):
        for p, part in enumerate(cue.parts):
            lexicon = lexicon_for(part.speaker)
            for s, segment in enumerate(part.segments):
                said = out[(index, p, s)] = sentences(segment.text, lexicon)
                if not said and (segment.line, segment.col) not in warned:
                    warned.add((segment.line, segment.col))
                    diagnostics.append(Diagnostic(
                        "warning", segment.line, segment.col,
                        f"{part.speaker}: nothing to speak in {segment.text.strip()[:40]!r}; "
                        "it is heard as a beat of silence", path=script.path))
    return out, diagnostics


def plan_takes(script: Script, casting: Casting, directions: DirectionTable, registry: EngineRegistry,
               store: TakeStore, seed: int = 0) -> TakePlan:
    lexicons = {name: merge_lexicons(casting.lexicon, dict(spec.lexicon))
                for name, spec in casting.characters.items()}
    said, diagnostics = spoken_sentences(script, lambda speaker: lexicons[speaker])
    requests: list[TakeRequest] = []
    for (index, p, s), pieces in said.items():
        part = script.cues[index].parts[p]
        spec = casting.characters[part.speaker]
        delivery = directions.delivery(part.segments[s].direction)
        for n, sentence in enumerate(pieces):
            requests.append(TakeRequest(cue=index, part=p, segment=s, speaker=part.speaker,
                                        text=sentence.spoken, spec=spec, speed=spec.speed * delivery.speed,
                                        pitch=spec.pitch + delivery.pitch, seed=seed, sentence=n,
                                        written=sentence.written, clause=sentence.clause))
    versions: dict[str, str] = {}
    digests: dict[tuple[str, str], list[str]] = {}
    keys, cached = [], []
    for req in requests:
        engine = registry.get(req.spec.engine)
        if req.spec.engine not in versions:
            versions[req.spec.engine] = engine.version()
        files = _option_files(engine, req.spec)
        voice_id = (req.spec.engine, req.spec.voice, *files)
        if voice_id not in digests:
            paths = [*engine.model_files(req.spec.voice), *files]
            digests[voice_id] = [store.file_digest(p) for p in paths]
        version = versions[req.spec.engine]
        if req.pitch:
            version += f"+pitch-shift/{_pitch_shifter_version()}"  # the stored take is post-shift
        key = store.take_key(req, version, digests[voice_id])
        keys.append(key)
        cached.append(store.has(key))
    silent = frozenset(key for key, pieces in said.items() if not pieces)
    return TakePlan(requests, keys, cached, cue_deliveries(script, directions), diagnostics, silent)


def _option_files(engine, spec) -> list[Path]:
    """Files named by engine options (a voices file, a checkpoint, a reference WAV): their contents
    shape the samples, so they are hashed into the take key like the engine's own model files."""
    paths = {option.name for option in engine.options if option.path}
    return [Path(str(value)) for key, value in spec.options
            if key in paths and value and Path(str(value)).is_file()]


def _pitch_shifter_version() -> str:
    from importlib.metadata import version

    return f"pedalboard-{version('pedalboard')}"


# --------------------------------------------------------------------------- execution


def voice_take(registry: EngineRegistry, request: TakeRequest) -> Audio:
    """Synthesize one take with its engine, then shift pitch the same way for every engine."""
    engine = registry.get(request.spec.engine)
    audio = engine.synthesize(request.text, request.spec, request.speed, request.seed)
    samples = np.asarray(audio.samples, dtype=np.float32).reshape(-1)
    if request.pitch:
        from radioplay.mix.dsp import pitch_shift

        samples = pitch_shift(samples, audio.sample_rate, request.pitch)
    if not np.all(np.isfinite(samples)):
        raise EngineError(f"{request.spec.engine} returned non-finite samples for {request.text[:40]!r}")
    return Audio(np.clip(samples, -1.0, 1.0).astype(np.float32), audio.sample_rate)


def measure_level(audio: Audio) -> TakeLevel:
    """The take's loudness measurement, made once when it is voiced and kept in its record."""
    from radioplay.mix.levels import measure_take

    return measure_take(audio.samples, audio.sample_rate)


def take_meta(request: TakeRequest, level: TakeLevel) -> dict:
    return {"engine": request.spec.engine, "voice": request.spec.voice, "text": request.text,
            "speaker": request.speaker, "level": level.to_record()}


# Worker processes keep their own registry here: the models each worker loads live as long as it does.
_worker_registry: EngineRegistry | None = None


def _init_worker(settings: EngineSettings, parent_pid: int) -> None:
    global _worker_registry
    _die_with_parent(parent_pid)
    # The parent decides about interrupts (it stops the pool); a forked worker must not run the
    # parent's Python handlers, or a SIGTERM would only fail the take in hand and keep it alive.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _worker_registry = settings.registry()


PR_SET_PDEATHSIG = 1  # from <linux/prctl.h>


def _die_with_parent(parent_pid: int) -> None:
    """End this worker when the process that started it ends, even by SIGKILL: each worker holds
    its own models (hundreds of MB), which must not live on reparented to init."""
    if sys.platform.startswith("linux"):
        import ctypes

        try:
            armed = ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0
        except (OSError, AttributeError):  # no libc prctl to call: the watchdog below does it
            armed = False
        if armed:
            if os.getppid() != parent_pid:  # the parent died before the signal was armed
                os._exit(1)
            return
    import threading

    def watch() -> None:
        while os.getppid() == parent_pid:
            time.sleep(0.5)
        os._exit(1)

    threading.Thread(target=watch, name="radioplay-parent-watch", daemon=True).start()


def _synthesize_in_worker(request: TakeRequest, key: str) -> tuple[str, Audio]:
    assert _worker_registry is not None, "worker initializer did not run"
    return key, voice_take(_worker_registry, request)


ProgressCallback = Callable[[TakeRequest, bool], None]
"""Called once per request as its take becomes available: (request, reused)."""

T = TypeVar("T")
Work = Sequence[tuple[str, TakeRequest]]
"""(take key, request) pairs, one per distinct take to voice, in the order to start them."""


class TakeExecutor(Protocol):
    """Where takes are voiced: this machine's process pool, or a cluster. An executor only voices;
    the driver writes every take into its store, so every executor fills the store the same way."""

    def voice(self, work: Work) -> Iterator[tuple[str, Audio]]:
        """Voice every request, yielding (key, audio) as each finishes, in any order."""
        ...


class LocalExecutor:
    """Today's executor: a pool of worker processes on this machine that each load their models
    once (or this process alone, for one job or one take)."""

    def __init__(self, settings: EngineSettings, jobs: int | None = None, registry: EngineRegistry | None = None):
        self.settings = settings
        self.jobs = max(1, jobs or usable_cores())
        self.registry = registry

    def voice(self, work: Work) -> Iterator[tuple[str, Audio]]:
        if self.jobs == 1 or len(work) <= 1:
            registry = self.registry or self.settings.registry()
            for key, request in work:
                yield key, voice_take(registry, request)
            return
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        context = multiprocessing.get_context(method)
        with ProcessPoolExecutor(max_workers=min(self.jobs, len(work)), mp_context=context,
                                 initializer=_init_worker, initargs=(self.settings, os.getpid())) as pool:
            pending = {pool.submit(_synthesize_in_worker, request, key) for key, request in work}
            try:
                while pending:
                    done, pending = wait(pending, return_when=FIRST_COMPLETED)
                    for future in done:
                        yield future.result()
            except KeyboardInterrupt:
                # Ctrl-C or SIGTERM: stop now, not after the takes in hand. The pool then fails what is
                # pending itself (cancelling first races its clean-up and can hang it on Python 3.11).
                _terminate_workers(pool)
                raise
            except BrokenProcessPool as exc:  # the pool has already failed every pending take
                raise RuntimeFailure("a synthesis worker process died (killed, or out of memory); the finished "
                                     "takes are stored: render again, with fewer --jobs if memory is short") from exc
            except BaseException:
                for future in pending:
                    future.cancel()
                raise


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def synthesize_takes(plan: TakePlan, store: TakeStore, registry: EngineRegistry, settings: EngineSettings,
                     jobs: int | None = None, on_take: ProgressCallback | None = None,
                     executor: TakeExecutor | None = None) -> list[Take]:
    """Return one Take per planned request, in script order, synthesizing only what is missing."""
    executor = executor or LocalExecutor(settings, jobs, registry)
    return synthesize_plans([plan], store, executor, on_take)[0]


def synthesize_plans(plans: Sequence[TakePlan], store: TakeStore, executor: TakeExecutor,
                     on_take: ProgressCallback | None = None,
                     on_ready: Callable[[int, list[Take]], None] | None = None) -> list[list[Take]]:
    """Voice the takes of several plans (a season) as one queue: a take that several plans share is
    voiced once, and each plan's longest sentences go first. `on_ready(i, takes)` is called as
    soon as every take of plan i exists, while the rest are still being voiced; each finished take
    is put into the store at once, so a render that is killed loses only the takes in flight."""
    audio_by_key: dict[str, Audio] = {}
    level_by_key: dict[str, TakeLevel] = {}
    reused_keys: set[str] = set()
    for plan in plans:
        for key, hit in zip(plan.keys, plan.cached):
            if hit and key not in audio_by_key:
                found = store.get_with_record(key)
                if found is not None:
                    audio_by_key[key] = store.stored(key, found[0])  # read again when mixed: memory stays flat
                    # takes stored before levels were recorded are measured now (not stored again)
                    level_by_key[key] = TakeLevel.from_record(found[1].get("level")) or measure_level(found[0])
                    reused_keys.add(key)
    # A take that vanished or failed its checksum since planning is simply voiced again.
    # The queue is plan by plan, each plan's takes longest first: the episodes complete one after
    # another and are mixed while the next are voiced, and the workers still end together on the
    # last episode's shortest sentences. A take several plans share is voiced once, for the first.
    work: dict[str, TakeRequest] = {}
    users: dict[str, list[tuple[int, int]]] = {}
    for p, plan in enumerate(plans):
        new: dict[str, TakeRequest] = {}
        for i, key in enumerate(plan.keys):
            users.setdefault(key, []).append((p, i))
            if key not in audio_by_key and key not in work:
                new.setdefault(key, plan.requests[i])
        work.update(longest_first(list(new.items())))
    missing = [len({key for key in plan.keys if key not in audio_by_key}) for plan in plans]
    results: list[list[Take] | None] = [None] * len(plans)

    def finish(p: int) -> None:
        results[p] = _takes(plans[p], audio_by_key, level_by_key, reused_keys)
        if on_ready:
            on_ready(p, results[p])

    def arrived(key: str, reused: bool) -> None:
        for p, i in users[key]:
            if on_take:
                on_take(plans[p].requests[i], reused)
        if not reused:
            for p in {p for p, _ in users[key]}:
                missing[p] -= 1
                if missing[p] == 0:
                    finish(p)

    for key in list(audio_by_key):
        arrived(key, True)
    for p, count in enumerate(missing):
        if count == 0:
            finish(p)
    for key, audio in executor.voice(list(work.items())):
        if key in audio_by_key:
            continue  # a retried take that came back twice
        level = level_by_key[key] = measure_level(audio)  # once, when voiced; kept in its record
        store.put(key, audio, take_meta(work[key], level))
        audio_by_key[key] = store.stored(key, audio)
        arrived(key, False)
    lost = [key for key in work if key not in audio_by_key]
    if lost:
        raise EngineError(f"{len(lost)} take(s) never came back from the executor")
    return [takes for takes in results if takes is not None]


def _takes(plan: TakePlan, audio_by_key: dict[str, Audio], level_by_key: dict[str, TakeLevel],
           reused_keys: set[str]) -> list[Take]:
    return [Take(audio=audio_by_key[key], cue=request.cue, part=request.part, segment=request.segment,
                 speaker=request.speaker, key=key, reused=key in reused_keys, sentence=request.sentence,
                 written=request.written, clause=request.clause, level=level_by_key[key])
            for request, key in zip(plan.requests, plan.keys)]


def longest_first(work: list[tuple[T, TakeRequest]]) -> list[tuple[T, TakeRequest]]:
    """An executor's queue: the longest sentences first, across all cues, so the
    workers finish together instead of one ending alone on a long take (ties keep script order)."""
    return sorted(work, key=lambda item: -len(item[1].text))


def synthesis_order(plan: TakePlan, todo: Sequence[int]) -> list[int]:
    """The queue for one plan's requests (indexes), as `longest_first` orders them."""
    return [i for i, _ in longest_first([(i, plan.requests[i]) for i in todo])]


def _terminate_workers(pool: ProcessPoolExecutor) -> None:
    # The executor has no public way to stop a running call; finished takes are already stored.
    for process in list(getattr(pool, "_processes", {}).values()):
        process.terminate()
