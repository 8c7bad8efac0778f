"""The take store: keys, bit-exact round trips, checksums and damaged takes, file digests."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import json
import os
import zipfile
from pathlib import Path

import numpy as np
import pytest

from radioplay.cache import CacheProblem, TakeStore, default_cache_dir, samples_sha256, take_key
from radioplay.cache.digests import INDEX_NAME
from radioplay.model import Audio, TakeRequest, VoiceSpec

SPEC = VoiceSpec(engine="kokoro", voice="jm_kumo", speed=1.1, options=(("noise_scale", 0.667),))
REQUEST = TakeRequest(cue=3, part=0, segment=1, speaker="Simplicia", text="Hello there.",
                      spec=SPEC, speed=1.1, pitch=0.0, seed=7)
DIGESTS = ("a" * 64, "b" * 64)


def noise(n: int = 120_000, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).uniform(-1, 1, n).astype(np.float32)


def meta_for(request: TakeRequest) -> dict:
    return {"engine": request.spec.engine, "voice": request.spec.voice, "text": request.text}


# --------------------------------------------------------------------------- keys


def test_key_is_the_sha256_of_the_documented_canonical_json():
    # Changing the recipe orphans every user's cached takes: bump STORE_FORMAT when you do.
    canonical = (
        '{"engine":{"name":"kokoro","version":"1.0"},"files":["' + "a" * 64 + '","' + "b" * 64 + '"],'
        '"format":1,"take":{"engine":"kokoro","options":[["noise_scale","0.667"]],"pitch":0.0,'
        '"seed":7,"speed":1.1,"text":"Hello there.","voice":"jm_kumo"}}'
    )
    assert take_key(REQUEST, "1.0", DIGESTS) == hashlib.sha256(canonical.encode()).hexdigest()
    assert take_key(REQUEST, "1.0", DIGESTS) == \
        "be5a29beb65f0e3a8ec8431b46e18243c95910c978bd726335a7824a06f649dc"


def test_key_ignores_position_and_mix_settings():
    moved = dataclasses.replace(REQUEST, cue=40, part=1, segment=0, speaker="Salviati")
    remixed = dataclasses.replace(REQUEST, spec=dataclasses.replace(SPEC, gain=-6.0, pan=0.7))
    base = take_key(REQUEST, "1.0", DIGESTS)
    assert take_key(moved, "1.0", DIGESTS) == base
    assert take_key(remixed, "1.0", DIGESTS) == base
    assert TakeStore.take_key(moved, "1.0", list(DIGESTS)) == base  # list or tuple alike


@pytest.mark.parametrize("change", [
    lambda r: dataclasses.replace(r, text="Hello there!"),
    lambda r: dataclasses.replace(r, spec=dataclasses.replace(SPEC, engine="piper")),
    lambda r: dataclasses.replace(r, spec=dataclasses.replace(SPEC, voice="jf_alpha")),
    lambda r: dataclasses.replace(r, spec=dataclasses.replace(SPEC, voice="jm_kumo*0.7 + jf_alpha*0.3")),
    lambda r: dataclasses.replace(r, speed=1.2),
    lambda r: dataclasses.replace(r, pitch=-2.0),
    lambda r: dataclasses.replace(r, seed=8),
    lambda r: dataclasses.replace(r, spec=dataclasses.replace(SPEC, options=(("noise_scale", 0.5),))),
    lambda r: dataclasses.replace(r, spec=dataclasses.replace(SPEC, options=())),
], ids=["text", "engine", "voice", "blend", "speed", "pitch", "seed", "option value", "option removed"])
def test_key_changes_with_every_identity_field(change):
    assert take_key(change(REQUEST), "1.0", DIGESTS) != take_key(REQUEST, "1.0", DIGESTS)


def test_key_changes_with_engine_version_and_model_files():
    base = take_key(REQUEST, "1.0", DIGESTS)
    assert take_key(REQUEST, "1.1", DIGESTS) != base
    assert take_key(REQUEST, "1.0", ("c" * 64, "b" * 64)) != base
    assert take_key(REQUEST, "1.0", DIGESTS[:1]) != base
    assert take_key(REQUEST, "1.0", DIGESTS[::-1]) != base


def test_key_rounds_float_noise_the_way_identity_does():
    jitter = dataclasses.replace(REQUEST, speed=1.1 + 1e-12)
    assert take_key(jitter, "1.0", DIGESTS) == take_key(REQUEST, "1.0", DIGESTS)


# --------------------------------------------------------------------------- round trip


def test_constructing_and_reading_an_empty_store_creates_nothing(tmp_path):
    root = tmp_path / "takes"
    store = TakeStore(root)
    key = take_key(REQUEST, "1.0", DIGESTS)
    assert store.get(key) is None
    assert key not in store and not store.has(key)
    assert store.info().count == 0
    assert store.prune(older_than_days=0).removed == 0
    assert not root.exists()
    assert store.problems == []


def test_roundtrip_is_bit_exact_and_records_the_metadata(tmp_path):
    store = TakeStore(tmp_path)
    key = take_key(REQUEST, "1.0", DIGESTS)
    samples = noise()
    # Values a lossy or 24-bit format would change: subnormals, -0.0, tiny and extreme values.
    samples[:6] = [np.float32(1e-45), -0.0, 1.0, -1.0, np.float32(1 / 3), np.float32(1e-38)]
    store.put(key, Audio(samples.copy(), 24_000), {**meta_for(REQUEST), "samples": 5, "key": "x"})
    assert key in store and store.has(key)
    got = store.get(key)
    assert got is not None
    assert got.sample_rate == 24_000
    assert got.samples.dtype == np.float32 and got.samples.shape == (120_000,)
    assert got.samples.tobytes() == samples.tobytes()  # bit-exact, -0.0 and subnormals included
    assert got.duration == 5.0

    path = store.entry_path(key)
    assert path == tmp_path / key[:2] / f"{key}.npz"
    with zipfile.ZipFile(path) as zf:
        record = json.loads(zf.read("meta.json"))
    assert record["key"] == key and record["samples"] == 120_000  # store fields win over caller's
    assert record["sample_rate"] == 24_000 and record["text"] == "Hello there."
    assert record["engine"] == "kokoro" and record["voice"] == "jm_kumo"
    assert record["sha256"] == hashlib.sha256(samples.astype("<f4").tobytes()).hexdigest()
    assert isinstance(record["created"], float)
    # The take file is an ordinary .npz: numpy reads it without radioplay.
    with np.load(path) as npz:
        assert npz["samples"].tobytes() == samples.tobytes()


def test_put_converts_to_float32_and_rejects_non_mono(tmp_path):
    store = TakeStore(tmp_path)
    key = take_key(REQUEST, "1.0", DIGESTS)
    store.put(key, Audio(np.array([0.25, -0.5], dtype=np.float64), 22_050), {})
    got = store.get(key)
    assert got.samples.dtype == np.float32 and got.samples.tolist() == [0.25, -0.5]
    assert got.sample_rate == 22_050
    with pytest.raises(ValueError, match="mono"):
        store.put(key, Audio(np.zeros((10, 2), np.float32), 24_000), {})
    with pytest.raises(ValueError, match="not a take key"):
        store.get("../../etc/passwd")


def test_an_empty_take_roundtrips(tmp_path):
    store = TakeStore(tmp_path)
    key = take_key(REQUEST, "1.0", DIGESTS)
    store.put(key, Audio(np.zeros(0, np.float32), 24_000), {})
    got = store.get(key)
    assert got is not None and got.samples.shape == (0,)


def test_get_marks_the_take_recently_used(tmp_path):
    store = TakeStore(tmp_path)
    key = take_key(REQUEST, "1.0", DIGESTS)
    store.put(key, Audio(noise(100), 24_000), {})
    path = store.entry_path(key)
    os.utime(path, (1_000_000, 1_000_000))
    assert store.get(key) is not None
    assert path.stat().st_mtime > 1_000_000 + 86400


def test_put_on_an_unwritable_root_raises_cache_error(tmp_path):
    from radioplay.errors import CacheError

    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(CacheError, match="not writable"):
        TakeStore(blocker / "takes").put(take_key(REQUEST, "1", ()), Audio(noise(10), 24_000), {})


# --------------------------------------------------------------------------- damaged takes


def stored(tmp_path, **kwargs) -> tuple[TakeStore, str, Path, np.ndarray]:
    store = TakeStore(tmp_path, **kwargs)
    key = take_key(REQUEST, "1.0", DIGESTS)
    samples = noise(24_000)
    store.put(key, Audio(samples, 24_000), meta_for(REQUEST))
    return store, key, store.entry_path(key), samples


def assert_reported_removed_and_recoverable(store, key, path, samples, reason):
    assert store.get(key) is None
    assert len(store.problems) == 1
    problem = store.problems[0]
    assert isinstance(problem, CacheProblem) and problem.key == key and problem.path == path
    assert reason in problem.reason, problem.reason
    assert "synthesized again" in str(problem)
    assert not path.exists() and key not in store
    store.put(key, Audio(samples, 24_000), meta_for(REQUEST))  # the re-synthesized take
    assert store.get(key).samples.tobytes() == samples.tobytes()
    assert len(store.problems) == 1


def test_truncated_take_is_reported_removed_and_replaced(tmp_path):
    store, key, path, samples = stored(tmp_path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    assert_reported_removed_and_recoverable(store, key, path, samples, "truncated")


def test_empty_take_file_is_reported(tmp_path):
    store, key, path, samples = stored(tmp_path)
    path.write_bytes(b"")
    assert_reported_removed_and_recoverable(store, key, path, samples, "truncated")


def test_flipped_byte_in_the_samples_is_reported(tmp_path):
    store, key, path, samples = stored(tmp_path)
    data = bytearray(path.read_bytes())
    at = data.index(samples[1000:1004].tobytes())
    data[at] ^= 0x01
    path.write_bytes(bytes(data))
    assert_reported_removed_and_recoverable(store, key, path, samples, "CRC")


def test_consistent_zip_with_wrong_samples_fails_the_checksum(tmp_path):
    # A file whose zip CRCs are right but whose samples are not the ones recorded.
    store, key, path, samples = stored(tmp_path)
    with zipfile.ZipFile(path) as zf:
        record = zf.read("meta.json")
    other = samples.copy()
    other[5] += np.float32(0.001)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, other)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("meta.json", record)
        zf.writestr("samples.npy", buf.getvalue())
    assert_reported_removed_and_recoverable(store, key, path, samples, "checksum mismatch")


def test_samples_without_a_record_are_reported(tmp_path):
    store, key, path, samples = stored(tmp_path)
    buf = io.BytesIO()
    np.lib.format.write_array(buf, samples)
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("samples.npy", buf.getvalue())
    assert_reported_removed_and_recoverable(store, key, path, samples, "meta.json")


def test_take_filed_under_the_wrong_key_is_reported(tmp_path):
    store, key, path, samples = stored(tmp_path)
    other_key = take_key(dataclasses.replace(REQUEST, text="Other."), "1.0", DIGESTS)
    other_path = store.entry_path(other_key)
    other_path.parent.mkdir(parents=True, exist_ok=True)
    os.replace(path, other_path)
    assert_reported_removed_and_recoverable(store, other_key, other_path, samples, "belongs to key")


def test_problems_reach_the_callback(tmp_path):
    seen: list[CacheProblem] = []
    store, key, path, _ = stored(tmp_path, on_problem=seen.append)
    path.write_bytes(b"PK\x03\x04 garbage")
    assert store.get(key) is None
    assert seen == store.problems and len(seen) == 1


def test_leftover_partial_of_a_killed_writer_is_invisible(tmp_path):
    store = TakeStore(tmp_path)
    key = take_key(REQUEST, "1.0", DIGESTS)
    shard = tmp_path / key[:2]
    shard.mkdir()
    (shard / f".{key}.x1y2.partial").write_bytes(b"PK\x03\x04 half a take")
    assert store.get(key) is None and key not in store
    assert store.problems == []
    assert store.info().partial_files == 1 and store.info().count == 0
    samples = noise(500)
    store.put(key, Audio(samples, 24_000), {})
    assert store.get(key).samples.tobytes() == samples.tobytes()


def test_failed_put_leaves_no_partial_and_keeps_the_old_take(tmp_path, monkeypatch):
    store, key, path, samples = stored(tmp_path)

    def disk_full(*args, **kwargs):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    from radioplay.errors import CacheError

    with pytest.raises(CacheError, match="No space left"):
        store.put(key, Audio(noise(24_000, seed=9), 24_000), {})
    assert [p.name for p in path.parent.iterdir()] == [path.name]
    assert store.get(key).samples.tobytes() == samples.tobytes()


# --------------------------------------------------------------------------- file digests


def test_file_digest_is_the_sha256_and_is_hashed_once(tmp_path):
    model = tmp_path / "model.onnx"
    model.write_bytes(os.urandom(3 << 20))
    expected = hashlib.sha256(model.read_bytes()).hexdigest()
    store = TakeStore(tmp_path / "takes")
    assert store.file_digest(model) == expected
    assert store.file_digest(str(model)) == expected
    assert store.files_hashed == 1
    assert (tmp_path / "takes" / INDEX_NAME).is_file()

    later_run = TakeStore(tmp_path / "takes")  # a new process: empty memory, index on disk
    assert later_run.file_digest(tmp_path / "." / "model.onnx") == expected
    assert later_run.files_hashed == 0


def test_file_digest_trusts_size_and_mtime(tmp_path):
    model = tmp_path / "voice.bin"
    model.write_bytes(b"A" * 4096)
    stat = model.stat()
    first = TakeStore(tmp_path / "takes").file_digest(model)

    # Same size, same mtime: the index is trusted (this is what saves re-hashing 90 MB).
    model.write_bytes(b"B" * 4096)
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    again = TakeStore(tmp_path / "takes")
    assert again.file_digest(model) == first and again.files_hashed == 0

    # A new mtime is noticed, and the new digest replaces the old entry on disk.
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000))
    assert again.file_digest(model) == hashlib.sha256(b"B" * 4096).hexdigest()
    assert again.files_hashed == 1
    index = json.loads((tmp_path / "takes" / INDEX_NAME).read_text())
    assert len(index["files"]) == 1

    # So is a new size.
    model.write_bytes(b"B" * 4097)
    assert again.file_digest(model) == hashlib.sha256(b"B" * 4097).hexdigest()
    assert again.files_hashed == 2


def test_damaged_digest_index_is_rebuilt(tmp_path):
    model = tmp_path / "m.bin"
    model.write_bytes(b"weights")
    (tmp_path / "takes").mkdir()
    (tmp_path / "takes" / INDEX_NAME).write_text("{not json")
    store = TakeStore(tmp_path / "takes")
    assert store.file_digest(model) == hashlib.sha256(b"weights").hexdigest()
    assert TakeStore(tmp_path / "takes").file_digest(model) == store.file_digest(model)
    assert json.loads((tmp_path / "takes" / INDEX_NAME).read_text())["version"] == 1


def test_file_digest_of_a_missing_file_is_a_cache_error(tmp_path):
    from radioplay.errors import CacheError

    with pytest.raises(CacheError, match="cannot hash"):
        TakeStore(tmp_path).file_digest(tmp_path / "missing.onnx")


# --------------------------------------------------------------------------- where the store lives


def test_default_cache_dir_prefers_flag_then_environment_then_user_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("RADIOPLAY_CACHE", str(tmp_path / "env"))
    assert default_cache_dir(tmp_path / "flag") == tmp_path / "flag"
    assert default_cache_dir() == tmp_path / "env"
    monkeypatch.delenv("RADIOPLAY_CACHE")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert default_cache_dir() == tmp_path / "xdg" / "radioplay" / "takes"
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert default_cache_dir("~/takes") == tmp_path / "home" / "takes"


def test_samples_sha256_is_over_little_endian_float32():
    x = np.array([0.5, -0.25], dtype=">f4")
    assert samples_sha256(x) == hashlib.sha256(np.array([0.5, -0.25], "<f4").tobytes()).hexdigest()
