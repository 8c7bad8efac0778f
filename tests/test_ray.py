"""The Ray executor against a real two-node Ray cluster on 127.0.0.1 only.

Ray advertises the machine's network address, so these tests run in a fresh network namespace
that has nothing but loopback: `test_ray_cluster_suite` re-runs this file under `unshare -n`
(CI runs as root). The cluster tests themselves only run inside that namespace.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

ray = pytest.importorskip("ray", reason="the ray extra is not installed (pip install -e '.[ray]')")

from radioplay.errors import ClusterError, EngineError  # noqa: E402
from radioplay.pipeline import RenderOptions, execute, prepare  # noqa: E402
from radioplay.voice.ray_executor import RayExecutor  # noqa: E402
from radioplay.voice.synthesize import EngineSettings  # noqa: E402
from tests.conftest import DIALOGUE, REPO, tone_cast_text  # noqa: E402

IN_NAMESPACE = os.environ.get("RADIOPLAY_RAY_NETNS") == "1"
inside = pytest.mark.skipif(not IN_NAMESPACE, reason="runs inside the loopback-only namespace that "
                                                     "test_ray_cluster_suite makes")

LONG_SCRIPT = "# Long\n\n" + "".join(
    f"**{'Ada' if n % 2 else 'Marlow'}**: Line number {n} says something. And then a second sentence {n}.\n\n"
    for n in range(12))


def test_ray_cluster_suite():
    """Re-run this file inside `unshare -n` with loopback up, so every Ray address is 127.0.0.1."""
    if IN_NAMESPACE:
        pytest.skip("this is the run inside the namespace")
    if shutil.which("unshare") is None or shutil.which("ip") is None:
        pytest.skip("needs unshare and ip (util-linux, iproute2) to make a loopback-only network namespace")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        pytest.skip(f"unshare -n is not permitted here (CI runs as root): {probe.stderr.strip()}")
    env = {**os.environ, "RADIOPLAY_RAY_NETNS": "1"}
    command = (f"ip link set lo up && exec {sys.executable} -m pytest -q -p no:cacheprovider "
               f"{Path(__file__).relative_to(REPO)}")
    run = subprocess.run(["unshare", "-n", "sh", "-c", command], cwd=REPO, env=env, capture_output=True,
                         text=True, timeout=900)
    assert run.returncode == 0, run.stdout[-6000:] + run.stderr[-3000:]
    assert " passed" in run.stdout and "skipped" in run.stdout  # the suite test itself skips inside
    assert "failed" not in run.stdout


@pytest.fixture(scope="module")
def cluster():
    from ray.cluster_utils import Cluster

    cluster = Cluster(initialize_head=True, head_node_args={"num_cpus": 1, "include_dashboard": False})
    cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    yield cluster
    cluster.shutdown()


def write_case(tmp_path: Path, text: str = DIALOGUE) -> tuple[Path, Path]:
    script = tmp_path / "episode.md"
    script.write_text(text, encoding="utf-8")
    cast = tmp_path / "tone.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    return script, cast


def local_render(tmp_path: Path, script: Path, cast: Path) -> Path:
    out = tmp_path / "local" / "episode.wav"
    out.parent.mkdir(exist_ok=True)
    execute(prepare(script, RenderOptions(output=out, cast=cast, jobs=1, cache=tmp_path / "local-takes")))
    return out


def tcp_connections() -> tuple[list[str], list[str]]:
    """`ss -tn`'s connections, and those with an end that is not loopback."""
    rows = [row for row in subprocess.run(["ss", "-tnH"], capture_output=True, text=True, check=True).stdout.splitlines()
            if row.split()]
    return rows, [row for row in rows if any(not part.startswith(("127.0.0.1:", "[::1]:", "[::ffff:127.0.0.1]:"))
                                              for part in row.split()[3:5])]


@inside
def test_cluster_render_via_the_cli_is_bit_identical_to_a_local_render(tmp_path, cluster):
    script, cast = write_case(tmp_path)
    second = tmp_path / "episode2.md"
    second.write_text(DIALOGUE.replace("It always does.", "It always does, Ada."), encoding="utf-8")
    takes = tmp_path / "cluster-takes"
    env = {**os.environ, "RADIOPLAY_CACHE": str(takes)}
    run = subprocess.run([sys.executable, "-m", "radioplay.cli", "render", str(script), str(second),
                          "--cast", str(cast), "-o", str(tmp_path / "season"), "--executor", "ray",
                          "--ray-address", cluster.address], env=env, capture_output=True, text=True,
                         timeout=300)
    assert run.returncode == 0, run.stderr[-3000:]
    assert "season: 2 episodes" in run.stderr
    connections, elsewhere = tcp_connections()
    assert connections and elsewhere == []  # the cluster's connections, every one on 127.0.0.1

    local = tmp_path / "local.mp3"
    prepared = prepare(script, RenderOptions(output=local, cast=cast, jobs=1, cache=tmp_path / "local-takes"))
    execute(prepared)
    assert (tmp_path / "season" / "episode.mp3").read_bytes() == local.read_bytes()
    # The takes the driver stored from the cluster are the local takes, sample for sample.
    from radioplay.cache import TakeStore

    for key in prepared.plan.keys:
        assert TakeStore(takes).get(key).samples.tobytes() == prepared.store.get(key).samples.tobytes()


@inside
def test_a_local_rerender_reuses_every_cluster_take(tmp_path, cluster):
    script, cast = write_case(tmp_path)
    out = tmp_path / "episode.wav"
    options = RenderOptions(output=out, cast=cast, cache=tmp_path / "takes", executor="ray",
                            ray_address=cluster.address)
    first = execute(prepare(script, options))
    assert first.report["synthesized"] == len({t.key for t in first.takes}) > 0
    again = execute(prepare(script, RenderOptions(output=tmp_path / "again.wav", cast=cast, jobs=1,
                                                  cache=tmp_path / "takes")))
    assert again.report["synthesized"] == 0
    assert again.report["reused"] == len(again.takes) == len(first.takes)
    assert (tmp_path / "again.wav").read_bytes() == out.read_bytes() == local_render(tmp_path, script, cast).read_bytes()


@inside
def test_version_mismatch_is_a_clear_error_naming_the_node(tmp_path, cluster, monkeypatch):
    import radioplay.voice.ray_executor as ray_executor

    script, cast = write_case(tmp_path)
    prepared = prepare(script, RenderOptions(output=tmp_path / "e.wav", cast=cast, cache=tmp_path / "takes"))
    # Only the driver's claim changes; each worker computes its own identity from its installed code.
    monkeypatch.setattr(ray_executor, "code_identity", lambda: "radioplay 0.0.0 (another build)")
    with RayExecutor(prepared.settings, address=cluster.address, stall_timeout=120) as executor:
        with pytest.raises(ClusterError, match=r"ray worker on 127\.0\.0\.1 \(node [0-9a-f]+\) runs radioplay "):
            execute(prepared, executor=executor)


@inside
def test_a_worker_that_cannot_be_placed_is_an_error_not_a_hang(tmp_path, cluster):
    script, cast = write_case(tmp_path)
    prepared = prepare(script, RenderOptions(output=tmp_path / "e.wav", cast=cast, cache=tmp_path / "takes"))
    # An engine on CUDA asks for a GPU, and this cluster has none.
    with RayExecutor(EngineSettings(threads=1), address=cluster.address, engine_devices={"tone": "cuda"},
                     stall_timeout=8) as executor:
        with pytest.raises(ClusterError, match=r"no take came back .* in 8 s .*\(a GPU\)"):
            execute(prepared, executor=executor)


@inside
def test_a_node_lost_mid_render_still_completes_the_episode(tmp_path, cluster, monkeypatch):
    from radioplay.voice.engines.tone import DELAY_ENV

    script, cast = write_case(tmp_path, LONG_SCRIPT)
    monkeypatch.setenv(DELAY_ENV, "0.4")  # the workers get it from the driver: every take takes 0.4 s
    doomed = cluster.add_node(num_cpus=1)
    cluster.wait_for_nodes()
    prepared = prepare(script, RenderOptions(output=tmp_path / "e.wav", cast=cast, cache=tmp_path / "takes"))
    arrived = []

    def on_take(request, reused):
        arrived.append(request)
        if len(arrived) == 4:  # every worker is busy: take the third node away with its takes in flight
            cluster.remove_node(doomed, allow_graceful=False)

    with RayExecutor(prepared.settings, address=cluster.address, workers=3, stall_timeout=120) as executor:
        result = execute(prepared, on_take=on_take, executor=executor)
        # Later tests count the cluster's CPUs: wait until Ray itself has marked the node dead.
        deadline = time.monotonic() + 120
        while any(n["NodeID"] == doomed.node_id and n["Alive"] for n in ray.nodes()):
            assert time.monotonic() < deadline, "Ray never marked the removed node dead"
            time.sleep(0.5)
    assert executor.retried >= 1
    assert len(arrived) == len(prepared.plan.requests) == 24
    assert result.report["synthesized"] == 24
    assert result.report["seconds"]["synthesize"] >= 24 * 0.4 / 3  # the delay reached the workers
    monkeypatch.delenv(DELAY_ENV)
    assert (tmp_path / "e.wav").read_bytes() == local_render(tmp_path, script, cast).read_bytes()


def piper_voice_copy(tmp_path: Path) -> Path:
    """The bundled Piper voice copied to a file of this test's own, which the cast names by path."""
    from radioplay.voice.engines.base import EngineRegistry
    from radioplay.voice.engines.piper import voice_paths

    reason = EngineRegistry.from_entry_points().get("piper").unavailable_reason()
    if reason:
        pytest.skip(f"piper does not run here: {reason}")
    model, config = voice_paths("joe")
    folder = tmp_path / "voices"
    folder.mkdir()
    shutil.copy(model, folder / "joe-copy.onnx")
    shutil.copy(config, folder / "joe-copy.onnx.json")
    return folder / "joe-copy.onnx"


@inside
@pytest.mark.parametrize("damage", ["missing", "corrupt"])
def test_a_worker_that_cannot_load_its_voice_is_an_error_naming_the_node(tmp_path, cluster, damage):
    """The driver's cast names a voice file that the workers' node lacks (or has damaged): the render
    stops with an error naming the node, long before the stall timeout, and stores no take of it."""
    import time

    voice = piper_voice_copy(tmp_path)
    script, cast = write_case(tmp_path)
    cast.write_text(tone_cast_text().replace('[characters.Ada]\nengine = "tone"\nvoice = "high"',
                                             f'[characters.Ada]\nengine = "piper"\nvoice = "{voice}"'),
                    encoding="utf-8")
    prepared = prepare(script, RenderOptions(output=tmp_path / "e.wav", cast=cast, cache=tmp_path / "takes"))
    assert {r.spec.engine for r in prepared.plan.requests} == {"piper", "tone"}
    # The driver checked the file; now it is not what the workers find.
    if damage == "missing":
        voice.unlink()
        expected = r"ray worker on 127\.0\.0\.1 \(node [0-9a-f]{12}\) cannot load voice '.*joe-copy\.onnx' of engine 'piper'"
    else:
        voice.write_bytes(b"not an onnx model")
        expected = r"ray worker on 127\.0\.0\.1 \(node [0-9a-f]{12}\) could not voice piper:.*joe-copy\.onnx"
    started = time.monotonic()
    with RayExecutor(prepared.settings, address=cluster.address, stall_timeout=120) as executor:
        with pytest.raises((ClusterError, EngineError), match=expected):
            execute(prepared, executor=executor)
    assert time.monotonic() - started < 90  # an error, not the stall timeout
    piper_keys = [k for r, k in zip(prepared.plan.requests, prepared.plan.keys) if r.spec.engine == "piper"]
    assert piper_keys and not any(prepared.store.has(k) for k in piper_keys)
    assert not (tmp_path / "e.wav").exists()


@ray.remote(num_cpus=1)
class CpuHolder:
    """Holds one CPU of the cluster, so the executor's worker has to go elsewhere."""

    def ready(self) -> bool:
        return True


@inside
def test_a_node_without_the_engine_is_an_error_naming_that_node(tmp_path, cluster):
    """A node whose workers cannot find the espeak-ng program (its PATH leads nowhere): the actor
    placed there says so when it starts, and the render stops with that node's name. Every other
    CPU is held first, so the worker can only go to that node."""
    from radioplay.voice.engines.base import EngineRegistry

    reason = EngineRegistry.from_entry_points().get("espeak").unavailable_reason()
    if reason:
        pytest.skip(f"espeak does not run on the driver: {reason}")
    script, cast = write_case(tmp_path)
    cast.write_text(tone_cast_text().replace('engine = "tone"\nvoice = "high"', 'engine = "espeak"\nvoice = "en-us"')
                    .replace('engine = "tone"\nvoice = "low"', 'engine = "espeak"\nvoice = "en-gb"'), encoding="utf-8")
    prepared = prepare(script, RenderOptions(output=tmp_path / "e.wav", cast=cast, cache=tmp_path / "takes"))
    assert {r.spec.engine for r in prepared.plan.requests} == {"espeak"}
    with RayExecutor(prepared.settings, address=cluster.address, workers=1, stall_timeout=120) as executor:
        # the CPUs of the nodes alive now: a node an earlier test killed may still be counted in
        # cluster_resources() for a while, and a holder waiting for its CPU would never start
        alive_cpus = sum(node["Resources"].get("CPU", 0) for node in ray.nodes() if node["Alive"])
        holders = [CpuHolder.remote() for _ in range(int(alive_cpus))]
        ray.get([h.ready.remote() for h in holders], timeout=120)
        bare = cluster.add_node(num_cpus=1, env_vars={"PATH": str(tmp_path / "no-programs-here")})
        cluster.wait_for_nodes()
        try:
            started = time.monotonic()
            with pytest.raises(ClusterError, match=rf"ray worker on 127\.0\.0\.1 \(node {bare.node_id[:12]}\) "
                                                   r"cannot load engine 'espeak': the espeak-ng program is not "
                                                   r"installed"):
                execute(prepared, executor=executor)
            assert time.monotonic() - started < 90  # an error, not the stall timeout
        finally:
            for holder in holders:
                ray.kill(holder)
            cluster.remove_node(bare)
    assert not (tmp_path / "e.wav").exists()
