"""The Ray executor: voice takes on a Ray cluster; the driver keeps the store.

Each engine gets its own pool of actors (`TakeWorker`) that load the engine's models once and keep
them; an actor holds one CPU of its node, or one GPU for an engine that runs on CUDA, so Ray places
GPU voices on GPU nodes. Takes come back to the driver, which stores them exactly as the local
executor does. A worker or node that dies has its takes queued again for the other workers (and a
replacement actor started where resources allow); a worker that cannot load its engine, or runs
another radioplay, is an error naming its node. Nothing waits forever: no result for
`stall_timeout` seconds is an error too.

Ray is an optional extra (`pip install 'radioplay[ray]'`), imported only when this executor opens.
"""

from __future__ import annotations

import os
from collections import deque
from typing import Iterator

from radioplay.errors import ClusterError, EngineError
from radioplay.model import Audio, TakeRequest
from radioplay.voice.synthesize import EngineSettings, Work, voice_take

IN_FLIGHT_PER_WORKER = 2
"""Takes queued on each actor, so its next take is already there when one finishes."""
STALL_TIMEOUT_S = 600.0


def code_identity() -> str:
    """radioplay's version and a digest of its source: driver and workers must run the same code,
    or a cluster take could differ from a local one."""
    from radioplay import __version__, code_digest

    return f"radioplay {__version__} ({code_digest()[:12]})"


class TakeWorker:
    """One Ray actor: an engine registry that lives as long as the actor, so each model loads once.
    A problem found while starting is reported by `ready()`, not raised, so the driver can tell it
    apart from a node that died. Starting checks the engine and each voice it will be asked for
    (`voices`: (voice, options) pairs) on this node: a voice file the node lacks is found before
    any take is sent."""

    def __init__(self, settings: EngineSettings, engine: str, driver_identity: str,
                 voices: tuple[tuple[str, tuple], ...] = (), environment: dict[str, str] | None = None):
        import ray

        # The driver's RADIOPLAY_* settings (RADIOPLAY_TONE_DELAY, say), as pool workers inherit
        # them. Set here rather than as a Ray runtime_env: an actor with a runtime_env of its own
        # cannot use the cluster's already started worker processes, which cost seconds per actor.
        os.environ.update(environment or {})

        self.node = f"{ray.util.get_node_ip_address()} (node {ray.get_runtime_context().get_node_id()[:12]})"
        self.problem: str | None = None
        mine = code_identity()
        if mine != driver_identity:
            self.problem = (f"ray worker on {self.node} runs {mine}, the driver runs {driver_identity}; "
                            "install the same radioplay on every node")
            return
        self.registry = settings.registry()
        try:
            reason = self.registry.get(engine).unavailable_reason()
        except Exception as exc:  # noqa: BLE001 - reported to the driver with the node's name
            reason = str(exc)
        if reason:
            self.problem = f"ray worker on {self.node} cannot load engine {engine!r}: {reason}"
            return
        for voice, options in voices:
            try:
                self.registry.get(engine).check_voice(voice, dict(options))
            except Exception as exc:  # noqa: BLE001 - reported to the driver with the node's name
                self.problem = f"ray worker on {self.node} cannot load voice {voice!r} of engine {engine!r}: {exc}"
                return

    def ready(self) -> tuple[str, str | None]:
        return self.node, self.problem

    def voice(self, request: TakeRequest) -> Audio:
        try:
            return voice_take(self.registry, request)
        except Exception as exc:
            raise EngineError(f"ray worker on {self.node} could not voice {request.spec.engine}:"
                              f"{request.spec.voice}: {exc}") from exc


class RayExecutor:
    """Use as a context manager: entering joins the cluster at `address` (or starts a local one),
    leaving stops the actors and disconnects."""

    def __init__(self, settings: EngineSettings, address: str | None = None, workers: int | None = None,
                 engine_devices: dict[str, str] | None = None, stall_timeout: float = STALL_TIMEOUT_S):
        self.settings = settings
        self.address = address
        self.workers = workers
        self.engine_devices = engine_devices or {}
        self.stall_timeout = stall_timeout
        self.retried = 0
        """Takes queued again because their worker or node died."""
        self._ray = None
        self._connected_here = False
        self._worker_class = None

    def __enter__(self) -> "RayExecutor":
        try:
            import ray
        except ImportError:
            raise ClusterError("--executor ray needs Ray: pip install 'radioplay[ray]'") from None
        self._ray = ray
        if not ray.is_initialized():
            try:
                # A cluster started for this render runs its workers at the driver's priority, as the
                # local pool's are: Ray's default (nice 15) starves them for seconds on a busy machine.
                local = {} if self.address else {"num_cpus": self.workers,
                                                 "_system_config": {"worker_niceness": 0}}
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False,
                         logging_level="error", **local)
            except Exception as exc:  # noqa: BLE001 - Ray raises several kinds for one cause
                where = f"the Ray cluster at {self.address}" if self.address else "a local Ray cluster"
                raise ClusterError(f"cannot start or join {where}: {exc}") from exc
            self._connected_here = True
        return self

    def __exit__(self, *exc_info) -> None:
        if self._connected_here:
            self._ray.shutdown()
            self._connected_here = False

    def _pool_sizes(self, engines: dict[str, int]) -> dict[str, int]:
        """Actors per engine: the cluster's CPUs (or --jobs) shared by each engine's share of the work;
        a CUDA engine gets one actor per GPU."""
        resources = self._ray.cluster_resources()
        cpus = self.workers or max(1, int(resources.get("CPU", 1)))
        total = sum(engines.values())
        sizes = {}
        for engine, count in engines.items():
            if self._gpu(engine):
                sizes[engine] = max(1, min(count, int(resources.get("GPU", 1))))
            else:
                sizes[engine] = max(1, min(count, round(cpus * count / total)))
        return sizes

    def _gpu(self, engine: str) -> bool:
        return self.engine_devices.get(engine) == "cuda" or self.settings.device == "cuda"

    def _start(self, engine: str, identity: str, voices: tuple[tuple[str, tuple], ...] = ()):
        resources = {"num_gpus": 1, "num_cpus": 1} if self._gpu(engine) else {"num_cpus": 1}
        env = {name: value for name, value in os.environ.items() if name.startswith("RADIOPLAY_")}
        if self._worker_class is None:
            self._worker_class = self._ray.remote(TakeWorker)
        actor = self._worker_class.options(max_restarts=0, max_task_retries=0, **resources).remote(
            self.settings, engine, identity, voices, env)
        return actor, actor.ready.remote()

    def voice(self, work: Work) -> Iterator[tuple[str, Audio]]:
        assert self._ray is not None, "use RayExecutor as a context manager"
        ray = self._ray
        from ray.exceptions import GetTimeoutError, RayActorError, RayTaskError

        lost_errors: tuple[type[BaseException], ...] = (RayActorError,)
        for name in ("ActorUnavailableError", "ObjectLostError", "OwnerDiedError", "NodeDiedError", "WorkerCrashedError",
                     "ObjectReconstructionFailedError", "ObjectFetchTimedOutError"):
            if hasattr(ray.exceptions, name):
                lost_errors += (getattr(ray.exceptions, name),)

        identity = code_identity()
        queues: dict[str, deque[tuple[str, TakeRequest]]] = {}
        for key, request in work:
            queues.setdefault(request.spec.engine, deque()).append((key, request))
        sizes = self._pool_sizes({engine: len(q) for engine, q in queues.items()})
        voices = {engine: tuple(sorted({(r.spec.voice, r.spec.options) for _, r in q}, key=repr))
                  for engine, q in queues.items()}
        replacements = {engine: 2 * size for engine, size in sizes.items()}
        starting: dict = {}  # ready() ref -> (engine, actor)
        ready: dict[str, list] = {engine: [] for engine in queues}
        load: dict = {}  # actor -> takes in flight
        in_flight: dict = {}  # voice() ref -> (engine, actor, key, request)
        every_actor = []

        def start(engine: str) -> None:
            actor, ref = self._start(engine, identity, voices[engine])
            every_actor.append(actor)
            starting[ref] = (engine, actor)

        def drop(engine: str, actor) -> None:
            if actor in ready[engine]:
                ready[engine].remove(actor)
                self._ray.kill(actor, no_restart=True)
                if replacements[engine] > 0 and queues[engine]:
                    replacements[engine] -= 1
                    start(engine)

        try:
            for engine, size in sizes.items():
                for _ in range(size):
                    start(engine)
            while any(queues.values()) or in_flight:
                for engine, actors in ready.items():
                    for actor in actors:
                        while queues[engine] and load[actor] < IN_FLIGHT_PER_WORKER:
                            key, request = queues[engine].popleft()
                            in_flight[actor.voice.remote(request)] = (engine, actor, key, request)
                            load[actor] += 1
                refs = [*starting, *in_flight]
                if not refs:
                    raise ClusterError(f"no ray worker is left for {', '.join(e for e, q in queues.items() if q)}")
                done, _ = ray.wait(refs, num_returns=1, timeout=self.stall_timeout)
                if not done:
                    raise ClusterError(
                        f"no take came back from the Ray cluster in {self.stall_timeout:.0f} s "
                        f"({len(in_flight)} in flight, {len(starting)} worker(s) still waiting for resources "
                        f"{'(a GPU) ' if any(self._gpu(e) for e, _ in starting.values()) else ''}to start)")
                ref = done[0]
                if ref in starting:
                    engine, actor = starting.pop(ref)
                    try:
                        node, problem = ray.get(ref, timeout=self.stall_timeout)
                    except lost_errors:
                        continue  # its node went away while it started; the others carry on
                    if problem:
                        raise ClusterError(problem)
                    ready[engine].append(actor)
                    load[actor] = 0
                    continue
                engine, actor, key, request = in_flight.pop(ref)
                load[actor] -= 1
                try:
                    audio = ray.get(ref, timeout=self.stall_timeout)
                except RayTaskError as exc:
                    cause = exc.cause if isinstance(getattr(exc, "cause", None), EngineError) else exc
                    raise EngineError(str(cause)) from None
                except (*lost_errors, GetTimeoutError):
                    self.retried += 1
                    queues[engine].appendleft((key, request))
                    drop(engine, actor)
                    continue
                if not queues[engine] and load[actor] == 0 and not any(
                        e == engine for e, *_ in in_flight.values()):
                    # This engine is done: its CPUs go to the engine with the most takes left.
                    for idle in ready[engine]:
                        self._ray.kill(idle, no_restart=True)
                        busiest = max(queues, key=lambda e: len(queues[e]))
                        if not self._gpu(engine) and not self._gpu(busiest) and \
                                len(queues[busiest]) > IN_FLIGHT_PER_WORKER * len(ready[busiest]):
                            start(busiest)
                    ready[engine] = []
                yield key, audio
        finally:
            for actor in every_actor:
                try:
                    self._ray.kill(actor, no_restart=True)
                except Exception:  # noqa: BLE001 - already gone
                    pass
