"""`radioplay inspect`: the JSON contract, the readable report, and compiler-style diagnostics."""

from __future__ import annotations

import io
import json
from pathlib import Path

from rich.console import Console

from radioplay.parse import load_script, parse_script
from radioplay.parse.report import (
    DIRECTION_PAUSE_S, PARAGRAPH_GAP_S, TURN_GAP_S, WORDS_PER_MINUTE, estimate_seconds, format_diagnostics,
    inspect_json, print_inspect, speaker_stats,
)

from tests.conftest import SEED
SAMPLE = Path(__file__).resolve().parents[1] / "scripts" / "sample.md"

SRC = ("# Title\n\n**Ada**: One two three.\n\nFour five.\n\n_[A door.]_\n\n## Chapter\n\n"
       "**Ada** and **Bo**: _[together]_ Six seven—\n\n![pic](p.png)\n\n**Bo**:\n\n**Bo**: Eight.")


def test_json_contract_fields_and_values():
    data = inspect_json(parse_script(SRC, "s.md"))
    json.dumps(data)  # serializable
    assert set(data) >= {"title", "cues", "diagnostics", "chapters", "unspoken"}
    assert data["title"] == "Title"
    assert [{k: c[k] for k in ("kind", "speakers", "text", "direction", "line", "interrupted")} for c in data["cues"]] == [
        {"kind": "line", "speakers": ["Ada"], "text": "One two three.\n\nFour five.", "direction": None, "line": 3,
         "interrupted": False},
        {"kind": "direction", "speakers": [], "text": "A door.", "direction": None, "line": 7, "interrupted": False},
        {"kind": "line", "speakers": ["Ada", "Bo"], "text": "Six seven—", "direction": "together", "line": 11,
         "interrupted": True},
        {"kind": "line", "speakers": ["Bo"], "text": "Eight.", "direction": None, "line": 17, "interrupted": False},
    ]
    assert data["chapters"] == [{"title": "Chapter", "cue": 2, "line": 9}]
    assert data["unspoken"] == [{"line": 13, "col": 1, "reason": "image", "text": "![pic](p.png)"},
                                {"line": 15, "col": 1, "reason": "empty cue", "text": "Bo"}]
    assert data["diagnostics"] == [{"severity": "warning", "line": 15, "col": 1,
                                    "message": "empty cue: Bo says nothing; skipped"}]
    assert data["speakers"] == [{"name": "Ada", "lines": 2, "words": 7}, {"name": "Bo", "lines": 2, "words": 3}]


def test_not_voiced_marks_directions():
    data = inspect_json(parse_script(SRC, "s.md"), not_voiced=lambda d: d == "together")
    assert data["cues"][2]["direction_voiced"] is False
    assert "direction_voiced" not in data["cues"][0]


def test_estimate_counts_words_and_pauses():
    script = parse_script(SRC, "s.md")
    words = 5 + 2 + 1  # the unison line is heard once
    expected = words * 60 / WORDS_PER_MINUTE + PARAGRAPH_GAP_S + DIRECTION_PAUSE_S + 2 * TURN_GAP_S
    assert abs(estimate_seconds(script) - expected) < 1e-9


def test_speaker_stats_count_unison_for_each_speaker():
    assert speaker_stats(parse_script(SRC)) == {"Ada": (2, 7), "Bo": (2, 3)}


def test_format_diagnostics_is_compiler_style():
    assert format_diagnostics(parse_script(SRC, "dir/s.md")) == [
        "dir/s.md:15:1: warning: empty cue: Bo says nothing; skipped"]


def test_readable_report_shows_everything():
    out = io.StringIO()
    print_inspect(parse_script(SRC, "s.md"), Console(file=out, width=200, color_system=None),
                  not_voiced=lambda d: d == "together")
    text = out.getvalue()
    for expected in ("Title", "Ada + Bo", "(unison)", "(cut off)", "§ Chapter", "A door.", "not voiced",
                     "Speakers", "Unspoken", "13:1", "image", "empty cue", "s.md:15:1: warning: empty cue",
                     "3 spoken lines, 1 stage directions"):
        assert expected in text, expected


def test_seed_json_matches_the_acceptance_checks():
    if not SEED.exists():
        import pytest
        pytest.skip(f"the seed script is not at {SEED}")
    data = inspect_json(load_script(SEED))
    lines = [c for c in data["cues"] if c["kind"] == "line"]
    assert len(lines) == 17
    assert sorted({s for c in lines for s in c["speakers"]}) == ["Doomer", "Simplicia"]
    assert lines[-2]["speakers"] == ["Simplicia", "Doomer"]
    assert [c["direction"] for c in lines if c["text"] == "Sure."] == ["resignedly"]
    assert [c["text"][-15:] for c in lines if c["interrupted"]][-2:] == ["lightcone depends on—"[-15:], "I'm afraid so—"]
    assert {"author note", "image", "url"} <= {u["reason"] for u in data["unspoken"]}
    assert 180 < data["estimated_seconds"] < 720


def test_sample_estimate_is_about_a_minute():
    seconds = estimate_seconds(load_script(SAMPLE))
    assert 40 <= seconds <= 90, seconds


def test_parsing_leaves_the_garbage_collector_alone():
    # parse_script once switched the collector off and froze the heap: a process-wide side effect.
    import gc

    from radioplay.parse import parse_script

    collections: list[int] = []

    def record(phase, info):
        if phase == "start":
            collections.append(info["generation"])

    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    gc.callbacks.append(record)
    try:
        parse_script("".join(f"**Ada**: line {n} of many.\n\n" for n in range(3000)), "big.md")
    finally:
        gc.callbacks.remove(record)
    assert collections, "no collection could run during the parse"
    assert (gc.get_threshold(), gc.isenabled(), gc.get_freeze_count()) == (thresholds, enabled, 0)


def test_streamed_json_is_the_whole_object_with_a_line_per_cue():
    from radioplay.parse.report import write_inspect_json

    for script in (parse_script(SRC, "s.md"), load_script(SAMPLE)):
        out = io.StringIO()
        write_inspect_json(script, out, not_voiced=lambda d: d == "together", schema=1)
        whole = {"schema": 1, **inspect_json(script, not_voiced=lambda d: d == "together")}
        assert json.loads(out.getvalue()) == whole
        assert list(json.loads(out.getvalue())) == list(whole)  # the same order of keys
        lines = out.getvalue().splitlines()
        assert [json.loads(line.strip().rstrip(",")) for line in lines if line.startswith('    {"kind"')] == whole["cues"]
        assert lines[:2] == ["{", '  "schema": 1,'] and lines[-1] == "}"


def test_streamed_json_of_a_script_with_no_unspoken_items():
    from radioplay.parse.report import write_inspect_json

    out = io.StringIO()
    write_inspect_json(parse_script("**Ada**: Hi.", "s.md"), out)
    assert json.loads(out.getvalue())["unspoken"] == [] and '"unspoken": []' in out.getvalue()


def test_the_readable_report_shows_the_first_rows_and_says_how_many_more():
    src = "".join(f"**Ada**: line {n}.\n\n[TODO note {n}]\n\n" for n in range(250))
    script = parse_script(src, "many.md")
    out = io.StringIO()
    print_inspect(script, Console(file=out, width=200, color_system=None), max_rows=100)
    text = out.getvalue()
    assert "line 99." in text and "line 100." not in text and "note 99" in text and "note 100" not in text
    assert "… and 150 more cues (--all shows them all; --json has everything)" in text
    assert "… and 150 more unspoken items" in text
    out = io.StringIO()
    print_inspect(script, Console(file=out, width=200, color_system=None), max_rows=None)
    assert "line 249." in out.getvalue() and "more cues" not in out.getvalue()


def test_the_cli_process_entry_tunes_the_collector(monkeypatch):
    # The process owner may do what a library call must not: see radioplay.cli.GC_THRESHOLDS.
    import gc

    import pytest

    from radioplay import cli

    before = gc.get_threshold()
    monkeypatch.setattr("sys.argv", ["radioplay", "--help"])
    try:
        with pytest.raises(SystemExit):
            cli.main()
        assert gc.get_threshold() == cli.GC_THRESHOLDS != before
    finally:
        gc.set_threshold(*before)


FRESH_PAGES_PROBE = """
import resource, sys
import numpy as np
from radioplay import cli
took = cli.reuse_freed_blocks() if sys.argv[1] == "reuse" else None
block = np.ones((65536, 2), dtype=np.float32)
def step():  # a block's temporaries, as the master's DC filter makes them: 1 MB, 1 MB, 0.5 MB
    wide = block.astype(np.float64) - 0.5
    return (wide * 0.5).astype(np.float32)
for _ in range(3):
    step()
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(200):
    step()
print(took, resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before)
"""


def test_the_cli_keeps_freed_block_buffers_for_reuse():
    # glibc trims the freed temporaries off its heap, so each block touches hundreds of fresh pages
    # (measured: 608 a step); kept on the heap, the same pages serve every block.
    import platform
    import subprocess
    import sys

    import pytest

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        pytest.skip("mallopt's thresholds are glibc's")
    faults = {}
    for mode in ("default", "reuse"):
        out = subprocess.run([sys.executable, "-c", FRESH_PAGES_PROBE, mode], capture_output=True, text=True,
                             check=True).stdout.split()
        faults[mode] = int(out[1])
        if mode == "reuse":
            assert out[0] == "True"
    assert faults["default"] >= 200 * 256
    assert faults["reuse"] < 200
