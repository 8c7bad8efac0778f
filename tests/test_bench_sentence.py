"""bench/sentence.py: which tries a sentence is voiced at (no model needed)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from radioplay.model import TakeRequest, VoiceSpec

_BENCH = Path(__file__).resolve().parents[1] / "bench"


@pytest.fixture(scope="module")
def sentence():
    sys.path.insert(0, str(_BENCH))  # it imports bench/wer.py beside it
    try:
        spec = importlib.util.spec_from_file_location("bench_sentence", _BENCH / "sentence.py")
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(str(_BENCH))
    return module


def _request(engine: str) -> TakeRequest:
    return TakeRequest(cue=0, part=0, segment=0, speaker="A", text="Hi.", spec=VoiceSpec(engine, "v", speed=0.8),
                       speed=0.8, pitch=0.0, seed=7)


def test_a_seeded_engine_is_tried_at_each_seed_and_its_own_speed(sentence):
    tries = sentence.try_requests(_request("piper"), False, [0, 1000], [1.0, 0.97])
    assert [(label, r.seed, r.speed) for label, r in tries] == [("seed 0", 0, 0.8), ("seed 1000", 1000, 0.8)]


def test_an_engine_without_noise_is_tried_at_each_speed_factor(sentence):
    tries = sentence.try_requests(_request("kokoro"), True, [0, 1000], [1.0, 0.97, 1.03])
    assert [label for label, _ in tries] == ["speed x1.0", "speed x0.97", "speed x1.03"]
    assert [r.speed for _, r in tries] == pytest.approx([0.8, 0.776, 0.824])
    assert {r.seed for _, r in tries} == {7}

