"""The CLI behaves as people expect: --version, -h, completion, choices, `-` for stdout, quiet and
verbose, unwrapped messages, the CUDA note only when it helps, schema 1 in every JSON output, and
each damaged take named once."""

from __future__ import annotations

import json
from types import SimpleNamespace

import pytest
from typer.testing import CliRunner

from radioplay import JSON_SCHEMA, __version__
from radioplay.cli import app

runner = CliRunner()


def run(*args, **kwargs):
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def test_version():
    result = run("--version")
    assert result.exit_code == 0 and result.stdout == f"radioplay {__version__}\n"


@pytest.mark.parametrize("args", [("-h",), ("render", "-h"), ("cache", "prune", "-h")])
def test_short_help(args):
    result = run(*args)
    assert result.exit_code == 0, result.stderr
    assert "Usage:" in result.stdout and "--help" in result.stdout


def test_shell_completion_completes_commands_and_choices():
    env = {"_RADIOPLAY_COMPLETE": "complete_bash", "COMP_WORDS": "radioplay render x.md --device ",
           "COMP_CWORD": "4"}
    result = run(env=env, prog_name="radioplay")
    assert result.exit_code == 0 and result.stdout.split() == ["auto", "cpu", "cuda"]
    assert "--install-completion" in run("-h").stdout and "--show-completion" in run("-h").stdout


def test_report_to_stdout(dialogue, tone_cast, tmp_path, store_dir):
    result = run("render", dialogue, "--cast", tone_cast, "-o", tmp_path / "ep.wav", "--jobs", "1",
                 "--report", "-")
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)  # stdout is the report and nothing else
    assert data["schema"] == JSON_SCHEMA and data["takes"] == 8  # one per sentence of each voice
    assert not (tmp_path / "-").exists() and not (dialogue.parent / "-").exists()


def test_messages_are_not_wrapped_when_stderr_is_not_a_terminal(dialogue, tone_cast, tmp_path, store_dir):
    out = tmp_path / ("a-folder-with-a-name-long-enough-to-pass-eighty-columns-" * 2) / "the-episode.wav"
    result = run("render", dialogue, "--cast", tone_cast, "-o", out, "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    wrote = [line for line in result.stderr.splitlines() if line.startswith("wrote ")]
    assert len(wrote) == 1 and wrote[0].startswith(f"wrote {out}  (") and wrote[0].endswith(" s)")
    assert f"      {out.with_suffix('.vtt')}" in result.stderr.splitlines()


def test_quiet_prints_nothing_on_success_and_verbose_prints_the_stages(dialogue, tone_cast, tmp_path,
                                                                       store_dir):
    args = ("render", dialogue, "--cast", tone_cast, "-o", tmp_path / "ep.wav", "--jobs", "1")
    quiet = run(*args, "--quiet")
    assert quiet.exit_code == 0 and quiet.stderr == "" and quiet.stdout == ""
    assert (tmp_path / "ep.wav").is_file()
    verbose = run(*args, "-v", "--force")
    assert verbose.exit_code == 0, verbose.stderr
    lines = verbose.stderr.splitlines()
    assert any(line.startswith("stages  parse ") and "synthesize" in line for line in lines)
    assert "devices tone on cpu" in lines
    both = run(*args, "-q", "-v")
    assert both.exit_code == 2 and "--quiet and --verbose" in both.stderr


def test_quiet_hides_warnings_unless_strict_makes_them_errors(tmp_path, tone_cast, store_dir):
    path = tmp_path / "warn.md"
    path.write_text("**Ada**: Hello.\n\n**Marlow**:\n\n**Marlow**: Hi.\n", encoding="utf-8")
    args = ("render", path, "--cast", tone_cast, "-o", tmp_path / "o.wav", "--jobs", "1", "-q")
    quiet = run(*args)
    assert quiet.exit_code == 0 and quiet.stderr == ""
    strict = run(*args, "--strict")
    assert strict.exit_code == 2
    assert [line.split(": ")[1] for line in strict.stderr.splitlines()] == ["warning", "error"]
    assert strict.stderr.startswith(f"{path}:3:")


def test_no_cuda_note_for_an_engine_that_only_runs_on_the_cpu(dialogue, tone_cast, tmp_path, store_dir):
    result = run("render", dialogue, "--cast", tone_cast, "-o", tmp_path / "ep.wav", "--jobs", "1")
    assert result.exit_code == 0, result.stderr
    assert "radioplay: note" not in result.stderr and "CUDA" not in result.stderr


def test_cuda_note_only_for_a_gpu_build_that_cannot_be_used(monkeypatch):
    import onnxruntime

    from radioplay.voice.engines import devices

    monkeypatch.setattr(onnxruntime, "get_available_providers", lambda: ["CPUExecutionProvider"])
    assert devices.gpu_build_unusable_reason("onnx") is None  # a CPU install is a choice
    assert devices.gpu_build_unusable_reason(None) is None  # tone, espeak, flite
    monkeypatch.setattr(onnxruntime, "get_available_providers",
                        lambda: ["CUDAExecutionProvider", "CPUExecutionProvider"])
    monkeypatch.setattr(devices, "_cuda_driver_device_count", lambda: 0)
    assert devices.gpu_build_unusable_reason("onnx") == "no CUDA GPU is visible to the driver"


def test_the_cli_notes_the_unusable_gpu_build_once_per_reason(monkeypatch, capsys):
    from radioplay import cli
    from radioplay.voice.engines import devices

    engines = {"piper": SimpleNamespace(device=lambda: "cpu", gpu_backend="onnx"),
               "kokoro": SimpleNamespace(device=lambda: "cpu", gpu_backend="onnx"),
               "tone": SimpleNamespace(device=lambda: "cpu")}
    requests = [SimpleNamespace(spec=SimpleNamespace(engine=name)) for name in ("tone", "piper", "kokoro")]
    prepared = SimpleNamespace(options=SimpleNamespace(device="auto"), to_synthesize=3,
                               plan=SimpleNamespace(requests=requests),
                               registry=SimpleNamespace(get=engines.__getitem__))
    monkeypatch.setattr(devices, "gpu_build_unusable_reason",
                        lambda backend: "no CUDA GPU is visible to the driver" if backend == "onnx" else None)
    cli._note_device(prepared)
    assert capsys.readouterr().err == ("radioplay: note: the GPU build cannot be used (no CUDA GPU is visible "
                                       "to the driver); synthesizing kokoro, piper on the CPU\n")


def test_schema_in_every_json_output(dialogue, tone_cast, tmp_path, store_dir):
    report = tmp_path / "r.json"
    assert run("render", dialogue, "--cast", tone_cast, "-o", tmp_path / "ep.wav", "--jobs", "1",
               "--report", report).exit_code == 0
    outputs = {"render --report": report.read_text()}
    for name, args in {"inspect --json": ("inspect", dialogue, "--json"),
                       "cast --json": ("cast", dialogue, "--cast", tone_cast, "--json"),
                       "voices --json": ("voices", "--json"),
                       "cache info --json": ("cache", "info", "--json")}.items():
        result = run(*args)
        assert result.exit_code == 0, (name, result.stderr)
        outputs[name] = result.stdout
    # up to date: the report is rewritten from the previous one
    assert run("render", dialogue, "--cast", tone_cast, "-o", tmp_path / "ep.wav", "--jobs", "1",
               "--report", report).exit_code == 0
    outputs["render --report, up to date"] = report.read_text()
    for name, text in outputs.items():
        assert json.loads(text)["schema"] == JSON_SCHEMA, name


def test_a_damaged_take_is_named_once(dialogue, tone_cast, tmp_path, store_dir):
    """In a real process: under pytest the library's log goes to pytest's handler instead."""
    import subprocess
    import sys

    args = [sys.executable, "-m", "radioplay.cli", "render", str(dialogue), "--cast", str(tone_cast),
            "-o", str(tmp_path / "ep.wav"), "--jobs", "1"]
    subprocess.run(args, check=True, capture_output=True)
    victim = sorted(store_dir.rglob("*.npz"))[0]
    data = bytearray(victim.read_bytes())
    data[len(data) // 2] ^= 0xFF
    victim.write_bytes(bytes(data))
    result = subprocess.run([*args, "--force"], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    key = victim.name.split(".")[0][:12]
    assert sum(key in line for line in result.stderr.splitlines()) == 1, result.stderr
    assert f"radioplay: warning: damaged take {key} in {victim}: " in result.stderr
