"""Store size and age: info(), prune() by age and size (least recently used first), parse_size()."""

from __future__ import annotations

import json
import os
import time

import numpy as np
import pytest

from radioplay.cache import TakeStore, format_size, parse_size, take_key
from radioplay.cache.digests import INDEX_NAME
from radioplay.errors import CacheError
from radioplay.model import Audio, TakeRequest, VoiceSpec

DAY = 86400.0
NOW = 2_000_000_000.0  # a fixed "now" so ages are exact


def request(i: int, text: str | None = None) -> TakeRequest:
    return TakeRequest(cue=i, part=0, segment=0, speaker="A", text=text or f"Line number {i}.",
                       spec=VoiceSpec("tone", "mid"), speed=1.0, pitch=0.0)


def fill(store: TakeStore, ages_days: list[float], n_samples: int = 2400, now: float = NOW) -> list[str]:
    """One take per age; its last use is set to `now` minus that age."""
    keys = []
    for i, age in enumerate(ages_days):
        req = request(i)
        key = take_key(req, "1", ())
        store.put(key, Audio(np.full(n_samples, 0.1, np.float32), 24_000),
                  {"engine": "tone", "voice": "mid", "text": req.text})
        t = now - age * DAY
        os.utime(store.entry_path(key), (t, t))
        keys.append(key)
    return keys


@pytest.mark.parametrize("text, expected", [
    ("1000", 1000),
    ("0", 0),
    ("2k", 2048),
    ("500M", 500 * 1024**2),
    ("500m", 500 * 1024**2),
    ("1.5G", 1536 * 1024**2),
    ("2T", 2 * 1024**4),
    ("64KiB", 65536),
    ("10 MiB", 10 * 1024**2),
    ("1GiB", 1024**3),
    ("500MB", 500_000_000),
    ("750kb", 750_000),
    ("2GB", 2_000_000_000),
    ("100B", 100),
    (" 3M ", 3 * 1024**2),
    (".5K", 512),
    (4096, 4096),
])
def test_parse_size(text, expected):
    assert parse_size(text) == expected


@pytest.mark.parametrize("text", ["", "M", "abc", "-5M", "5X", "5iB", "1.2.3G", "5 M B", -1])
def test_parse_size_rejects_nonsense_with_a_cache_error(text):
    with pytest.raises(CacheError, match="invalid size"):
        parse_size(text)


def test_format_size():
    assert format_size(0) == "0 B"
    assert format_size(1023) == "1023 B"
    assert format_size(1536) == "1.5 KiB"
    assert format_size(parse_size("500M")) == "500.0 MiB"
    assert format_size(3 * 1024**4) == "3.0 TiB"


def test_info_counts_sizes_and_lists_least_recently_used_first(tmp_path):
    store = TakeStore(tmp_path)
    keys = fill(store, [3, 30, 1, 10])
    long = request(9, text="A very long line that goes on and on, well past any snippet's length.")
    long_key = take_key(long, "1", ())
    store.put(long_key, Audio(np.zeros(48_000, np.float32), 24_000), {"text": long.text, "engine": "tone"})
    os.utime(store.entry_path(long_key), (NOW - 100 * DAY, NOW - 100 * DAY))

    info = store.info(oldest=3, snippet=20)
    files = [store.entry_path(k) for k in keys + [long_key]]
    assert info.root == tmp_path
    assert info.count == 5
    assert info.total_bytes == sum(f.stat().st_size for f in files)
    assert [e.key for e in info.oldest] == [long_key, keys[1], keys[3]]
    first = info.oldest[0]
    assert first.text == "A very long line th…" and len(first.text) == 20
    assert first.duration == 2.0 and first.engine == "tone"
    assert first.last_used == pytest.approx(NOW - 100 * DAY)
    assert first.created is not None and abs(first.created - time.time()) < 60
    assert info.oldest[1].text == "Line number 1." and info.oldest[1].duration == 0.1


def test_info_survives_an_unreadable_entry(tmp_path):
    store = TakeStore(tmp_path)
    (key,) = fill(store, [1])
    store.entry_path(key).write_bytes(b"junk")
    (entry,) = store.info().oldest
    assert entry.text == "<unreadable>" and entry.created is None


def test_prune_by_age_removes_only_takes_unused_for_that_long(tmp_path):
    store = TakeStore(tmp_path)
    keys = fill(store, [1, 8, 3, 40, 6.9])
    sizes = [store.entry_path(k).stat().st_size for k in keys]
    result = store.prune(older_than_days=7, now=NOW)
    assert result.removed == 2 and result.freed_bytes == sizes[1] + sizes[3]
    assert result.remaining == 3 and result.remaining_bytes == sizes[0] + sizes[2] + sizes[4]
    assert [k in store for k in keys] == [True, False, True, False, True]


def test_get_keeps_a_take_alive_for_prune(tmp_path):
    store = TakeStore(tmp_path)
    now = time.time()
    keys = fill(store, [30, 30], now=now)
    assert store.get(keys[1]) is not None  # used now: no longer 30 days idle
    store.prune(older_than_days=7, now=now + 60)
    assert keys[0] not in store and keys[1] in store


def test_prune_by_size_removes_least_recently_used_until_it_fits(tmp_path):
    store = TakeStore(tmp_path)
    keys = fill(store, [5, 1, 9, 3, 7])
    sizes = [store.entry_path(k).stat().st_size for k in keys]
    fits = sizes[1] + sizes[3]
    result = store.prune(max_size_bytes=fits + 1000, now=NOW)
    assert result.removed == 3 and result.remaining == 2 and result.remaining_bytes == fits
    assert result.freed_bytes == sizes[0] + sizes[2] + sizes[4]
    assert {k for k in keys if k in store} == {keys[1], keys[3]}  # the two most recently used
    assert store.prune(max_size_bytes=fits, now=NOW).removed == 0  # exactly fits
    assert store.prune(max_size_bytes=fits - 1, now=NOW).removed == 1
    assert store.prune(max_size_bytes=0, now=NOW).remaining == 0


def test_prune_by_age_and_size_together(tmp_path):
    store = TakeStore(tmp_path)
    keys = fill(store, [1, 2, 3, 20])
    two_newest = sum(store.entry_path(k).stat().st_size for k in keys[:2])
    result = store.prune(older_than_days=10, max_size_bytes=two_newest, now=NOW)
    assert result.removed == 2 and {k for k in keys if k in store} == {keys[0], keys[1]}


def test_prune_removes_partials_of_dead_writers_but_not_live_ones(tmp_path):
    store = TakeStore(tmp_path)
    (key,) = fill(store, [0])
    shard = store.entry_path(key).parent
    dead, live = shard / f".{key}.dead.partial", shard / f".{key}.live.partial"
    dead.write_bytes(b"x" * 10)
    live.write_bytes(b"x" * 20)
    os.utime(dead, (NOW - 2 * 3600, NOW - 2 * 3600))
    os.utime(live, (NOW - 60, NOW - 60))
    index_tmp = tmp_path / ".file-digests.abc.partial"
    index_tmp.write_text("{")
    os.utime(index_tmp, (NOW - 2 * 3600, NOW - 2 * 3600))
    info = store.info()
    assert (info.partial_files, info.partial_bytes) == (2, 30)
    result = store.prune(now=NOW)
    assert result.partial_removed == 2 and result.removed == 0
    assert not dead.exists() and live.exists() and not index_tmp.exists() and key in store


def test_prune_forgets_digests_of_deleted_model_files(tmp_path):
    store = TakeStore(tmp_path / "takes")
    kept, gone = tmp_path / "kept.onnx", tmp_path / "gone.onnx"
    kept.write_bytes(b"1")
    gone.write_bytes(b"2")
    store.file_digest(kept)
    store.file_digest(gone)
    gone.unlink()
    store.prune()
    index = json.loads((tmp_path / "takes" / INDEX_NAME).read_text())
    assert [f["path"] for f in index["files"]] == [str(kept.resolve())]


def test_prune_rejects_negative_limits(tmp_path):
    store = TakeStore(tmp_path)
    with pytest.raises(CacheError, match="older-than"):
        store.prune(older_than_days=-1)
    with pytest.raises(CacheError, match="max-size"):
        store.prune(max_size_bytes=-1)


def test_prune_rejects_nan_and_infinite_ages(tmp_path):
    store = TakeStore(tmp_path)
    fill(store, [1])
    for days in (float("nan"), float("inf")):
        with pytest.raises(CacheError, match="--older-than must be a finite number"):
            store.prune(older_than_days=days)
    assert store.info().count == 1


def test_info_and_prune_ignore_foreign_files(tmp_path):
    store = TakeStore(tmp_path)
    fill(store, [1])
    (tmp_path / "notes.txt").write_text("mine")
    (tmp_path / "zz").mkdir()
    (tmp_path / "zz" / "x.npz").write_text("not a take")
    assert store.info().count == 1
    assert store.prune(max_size_bytes=0).removed == 1
    assert (tmp_path / "notes.txt").exists() and (tmp_path / "zz" / "x.npz").exists()


def test_info_to_dict_is_json_ready(tmp_path):
    store = TakeStore(tmp_path)
    (key,) = fill(store, [0])
    data = store.info().to_dict()
    assert json.loads(json.dumps(data)) == data
    assert data["root"] == str(tmp_path) and data["count"] == 1
    assert data["bytes"] == store.entry_path(key).stat().st_size
    (entry,) = data["oldest"]
    assert entry["last_used"] == "2033-05-18T03:33:20Z"  # NOW in ISO 8601 UTC
    assert entry["text"] == "Line number 0." and entry["duration"] == 0.1
    line = store.info().oldest[0].summary()
    assert line == "2033-05-18T03:33:20Z    0.1 s  tone/mid  'Line number 0.'"
    pruned = store.prune(max_size_bytes=0).to_dict()
    assert pruned == {"removed": 1, "freed_bytes": data["bytes"], "remaining": 0,
                      "remaining_bytes": 0, "partial_removed": 0}
