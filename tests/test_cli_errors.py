"""Failures while running are one `radioplay: error:` line naming the file and what to do, exit 1;
bad input stays exit 2. A full disk and an immutable file are simulated inside the library."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from radioplay.cli import app

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def one_error_line(result, status: int, *fragments: str) -> str:
    assert result.exit_code == status, (result.exit_code, result.stderr)
    assert "Traceback" not in result.stderr and result.exception is None or isinstance(result.exception, SystemExit)
    errors = [line for line in result.stderr.splitlines() if line.startswith("radioplay: error: ")]
    assert len(errors) == 1, result.stderr
    for fragment in fragments:
        assert fragment in errors[0], (fragment, errors[0])
    return errors[0]


def disk_full(*args, **kwargs):
    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))


def test_a_full_disk_while_writing_the_episode(dialogue, tone_cast, tmp_path, store_dir, monkeypatch):
    import soundfile

    out = tmp_path / "ep.wav"
    out.write_bytes(b"the previous episode")
    monkeypatch.setattr(soundfile.SoundFile, "write", disk_full)
    result = run("render", dialogue, "--cast", tone_cast, "-o", out, "--jobs", "1")
    line = one_error_line(result, 1, str(out), "No space left on device", "free some space")
    assert ".partial-" not in line  # named by the file the user asked for, not the temporary one
    assert out.read_bytes() == b"the previous episode"
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


def test_a_full_disk_while_writing_a_sidecar(dialogue, tone_cast, tmp_path, store_dir, monkeypatch):
    real = Path.write_text

    def full_for_captions(self, *args, **kwargs):
        if self.suffix == ".vtt":
            disk_full()
        return real(self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", full_for_captions)
    out = tmp_path / "ep.wav"
    result = run("render", dialogue, "--cast", tone_cast, "-o", out, "--jobs", "1")
    one_error_line(result, 1, str(out.with_suffix(".vtt")), "No space left on device")


def test_an_encoder_failure(dialogue, tone_cast, tmp_path, store_dir, monkeypatch):
    import soundfile

    def libsndfile_failed(*args, **kwargs):
        raise RuntimeError("Internal psf_fwrite error.")  # what libsndfile says when a write falls short

    monkeypatch.setattr(soundfile.SoundFile, "write", libsndfile_failed)
    out = tmp_path / "ep.wav"
    result = run("render", dialogue, "--cast", tone_cast, "-o", out, "--jobs", "1")
    one_error_line(result, 1, str(out), "cannot encode WAV", "psf_fwrite")


def test_a_full_take_store_while_voicing(dialogue, tone_cast, tmp_path, store_dir, monkeypatch):
    import radioplay.cache.store as store_module

    monkeypatch.setattr(store_module.os, "fsync", disk_full)
    result = run("render", dialogue, "--cast", tone_cast, "-o", tmp_path / "ep.wav", "--jobs", "1")
    one_error_line(result, 1, str(store_dir), "No space left on device", "--cache")


def test_an_immutable_output_file(dialogue, tone_cast, tmp_path, store_dir, monkeypatch):
    """chattr +i: the folder is writable but the rename onto the file is refused (EPERM)."""
    import radioplay.io

    out = tmp_path / "ep.wav"
    real = os.replace

    def refuse(src, dst, *args, **kwargs):
        if Path(dst) == out:
            raise PermissionError(errno.EPERM, os.strerror(errno.EPERM), str(src), None, str(dst))
        return real(src, dst, *args, **kwargs)

    monkeypatch.setattr(radioplay.io.os, "replace", refuse)
    result = run("render", dialogue, "--cast", tone_cast, "-o", out, "--jobs", "1")
    one_error_line(result, 1, str(out), "Operation not permitted", "immutable")
    assert not [p for p in tmp_path.iterdir() if ".partial-" in p.name]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_output_folder_is_refused_before_any_work(dialogue, tone_cast, tmp_path, store_dir):
    folder = tmp_path / "locked"
    folder.mkdir()
    folder.chmod(0o555)
    try:
        result = run("render", dialogue, "--cast", tone_cast, "-o", folder / "ep.wav", "--jobs", "1")
    finally:
        folder.chmod(0o755)
    one_error_line(result, 2, str(folder), "not writable")
    assert not store_dir.exists()


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux's /proc")
def test_a_timeline_where_no_file_can_be_made(dialogue, tone_cast, tmp_path, store_dir):
    # os.access says /proc is writable for root; the check makes a file there, before any take
    result = run("render", dialogue, "--cast", tone_cast, "-o", tmp_path / "ep.wav", "--jobs", "1",
                 "--timeline", "/proc/x.png")
    one_error_line(result, 2, "/proc/x.png", "cannot make a file in /proc")
    assert not store_dir.exists() or not list(store_dir.rglob("*.npz"))
    assert not (tmp_path / "ep.wav").exists()


def test_a_take_store_that_is_a_file(tmp_path):
    not_a_folder = tmp_path / "passwd"
    not_a_folder.write_text("root:x:0:0\n")
    for command in (("cache", "info"), ("cache", "prune", "--older-than", "1")):
        one_error_line(run(*command, "--cache", not_a_folder), 2, str(not_a_folder), "the take store is not a folder")
    assert not_a_folder.read_text() == "root:x:0:0\n"


def test_an_os_error_the_library_did_not_name_is_still_one_line(tmp_path, monkeypatch):
    from radioplay.cache import TakeStore

    def unreadable(self, *args, **kwargs):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self.root / "ab"))

    monkeypatch.setattr(TakeStore, "info", unreadable)
    one_error_line(run("cache", "info", "--cache", tmp_path), 1, str(tmp_path / "ab"), "Permission denied",
                   "check the permissions")


@pytest.mark.parametrize("days", ["nan", "inf", "-1"])
def test_prune_refuses_days_that_are_not_a_finite_count(tmp_path, days):
    one_error_line(run("cache", "prune", "--cache", tmp_path, "--older-than", days), 2, "--older-than", days)


@pytest.mark.parametrize("args, fragments", [
    (("render", "x.md", "--device", "gpu"), ("'--device'", "'gpu'", "cuda")),
    (("inspect", "x.md", "--format", "fontain"), ("'--format'", "'fontain'", "fountain")),
    (("voices", "--device", "GPU"), ("'--device'",)),
    (("say", "Hello.", "--device", "gpu"), ("'--device'", "'gpu'")),
    (("render",), ("Missing argument 'script'", "render -h")),
    (("rendr", "x.md"), ("No such command 'rendr'",)),
    (("render", "x.md", "--no-such-option"), ("--no-such-option",)),
])
def test_usage_errors_are_one_line_with_exit_2(args, fragments):
    one_error_line(run(*args), 2, *fragments)
