"""The recognizer check: scoring (exact), and retries/choice/flags/store with a fault-injecting engine
and a recognizer that reports what that engine really said (no model needed). Real speech through
faster-whisper is in test_check_speech.py (slow)."""

from __future__ import annotations

import hashlib
import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from radioplay.check.recognizer import Heard
from radioplay.check.score import phonetic_key, score, score_text, sound_words, total_wer, words
from radioplay.check.stage import SEED_STEP, TakeCheck, retry_key
from radioplay.model import Audio
from radioplay.pipeline import RenderOptions, execute, prepare
from radioplay.voice.engines.tone import ToneEngine
from radioplay.voice.synthesize import EngineSettings

from tests.conftest import tone_cast_text

# --------------------------------------------------------------------------- scoring


def test_words_are_lower_case_letters_and_apostrophes_with_numbers_spelled_out():
    assert words("It's 42 — fine!") == ["it's", "forty", "two", "fine"]
    assert words("  ") == []


def test_a_number_written_in_words_with_and_is_heard_as_its_digits():
    # "112" is spelled "one hundred twelve"; a script's "One hundred and twelve" is the same number
    assert score_text("One hundred and twelve, from 37 villages.", "112 from 37 villages").errors == 0


def test_wer_counts_substitutions_deletions_and_insertions():
    assert score(["a", "b", "c"], ["a", "c"]).errors == 1
    assert score(["a", "b", "c"], ["a", "x", "c"]).errors == 1
    assert score(["a", "b"], ["a", "b", "b", "b"]).errors == 2
    assert score(["a", "b", "c", "d"], ["a", "c"]).wer == 0.5
    assert score([], []).wer == 0.0
    assert score([], ["uh"]).wer == 1.0


def test_total_wer_is_errors_over_all_reference_words():
    scores = [score(["a", "b", "c", "d"], ["a"]), score(["e", "f", "g", "h", "i", "j"], ["e", "f", "g", "h", "i", "j"])]
    assert total_wer(scores) == pytest.approx(3 / 10)


def test_a_name_heard_as_several_words_matches_by_metaphone():
    assert phonetic_key("doomovitch") == phonetic_key("dumaofitch") == "TMFX"
    names = sound_words(["Doomovitch"])
    s = score_text("Doomovitch, you cannot be serious!", "Duma of itch, you cannot be serious.", names)
    assert s.errors == 0 and s.wer == 0.0
    assert [m.to_dict() for m in s.sound] == [
        {"word": "doomovitch", "heard": "duma of itch", "matched": True, "how": "metaphone"}]


def test_without_sound_scoring_the_same_name_is_three_errors():
    assert score_text("Doomovitch, you cannot be serious!", "Duma of itch, you cannot be serious.").errors == 3


def test_a_name_spelled_right_or_missed_says_so():
    names = sound_words(["Simplicia Optimistovna"])
    right = score_text("Simplicia, no.", "Simplicia, no.", names)
    assert [(m.word, m.how) for m in right.sound] == [("simplicia", "spelling")]
    missed = score_text("Simplicia, no.", "Some plus the, no.", names)
    assert missed.errors == 3
    assert [(m.word, m.matched, m.how) for m in missed.sound] == [("simplicia", False, "missed")]


def test_ordinary_words_are_never_matched_by_sound():
    # "night" and "knight" share a metaphone key, but only names and lexicon entries are scored by sound
    assert score_text("a night out", "a knight out", sound_words(["Ada"])).errors == 1
    assert score_text("a night out", "a knight out", sound_words(["night"])).errors == 0


# --------------------------------------------------------------------------- fault injection

SPOKEN: dict[str, str] = {}
"""sha256 of a take's samples -> the words the faulty engine really put in it."""


def fault(text: str, kind: str) -> str:
    w = text.split()
    if kind == "drop":
        return " ".join(w[:1] + w[2:])
    if kind == "repeat":
        return " ".join(w[:2] + w[1:2] * 3 + w[2:])
    if kind == "garble":
        return " ".join("blah" for _ in w)
    if kind == "name":  # the name heard as three other words, the way a recognizer spells one
        return text.replace("Marlow", "mellow king")
    if kind == "name and drop":
        return fault(fault(text, "name"), "drop")
    return text


FAULTS = {
    # first word of the sentence -> {seed: fault}
    "Bravo": {0: "drop"},
    "Charlie": {0: "garble", SEED_STEP: "garble", 2 * SEED_STEP: "repeat"},
    "Delta": {0: "repeat", SEED_STEP: "drop"},
    "Echo": {0: "name", SEED_STEP: "name", 2 * SEED_STEP: "name"},
    "Foxtrot": {0: "name and drop", SEED_STEP: "name"},
}


class FaultyEngine(ToneEngine):
    """The tone engine, but counted as speech with seeded noise: for the (sentence, seed) pairs in
    FAULTS it drops, repeats or garbles words, and records what it really said."""

    speaks = True
    seeded = True
    calls: list[tuple[str, int]] = []

    def synthesize(self, text, spec, speed, seed):
        said = fault(text, FAULTS.get(text.split()[0], {}).get(seed, ""))
        audio = super().synthesize(said, spec, speed, seed)
        samples = np.asarray(audio.samples, dtype=np.float32)
        SPOKEN[hashlib.sha256(samples.tobytes()).hexdigest()] = said
        FaultyEngine.calls.append((text, seed))
        return Audio(samples, audio.sample_rate)


class TruthfulRecognizer:
    """Hears exactly what the faulty engine said (or nothing, for audio it did not make)."""

    name = "truthful"
    transcriptions = 0

    def __init__(self, *args, **kwargs):
        pass

    def transcribe(self, audio):
        TruthfulRecognizer.transcriptions += 1
        samples = np.asarray(audio.samples, dtype=np.float32)
        text = SPOKEN.get(hashlib.sha256(samples.tobytes()).hexdigest(), "")
        return Heard(text, tuple((w, 0.5 * i, 0.5 * i + 0.4) for i, w in enumerate(text.split())))


SCRIPT = """\
**Ada**: Alpha line is fine here.

**Marlow**: Bravo says the words in order.

**Ada**: Charlie says every word clearly today.

**Marlow**: Delta counts one two three.
"""


@pytest.fixture
def faulty(monkeypatch, tmp_path):
    def registry(self):
        from radioplay.voice.engines.base import EngineRegistry

        reg = EngineRegistry.from_entry_points(device=self.device, threads=self.threads)
        reg.register("tone", lambda **kw: FaultyEngine())
        return reg

    monkeypatch.setattr(EngineSettings, "registry", registry)
    monkeypatch.setattr("radioplay.check.WhisperRecognizer", TruthfulRecognizer)
    FaultyEngine.calls = []
    TruthfulRecognizer.transcriptions = 0
    script = tmp_path / "faults.md"
    script.write_text(SCRIPT, encoding="utf-8")
    cast = tmp_path / "tone.toml"
    cast.write_text(tone_cast_text(), encoding="utf-8")
    return script, cast


def _options(tmp_path, cast, **kw):
    from radioplay.check import CheckOptions

    kw.setdefault("check", CheckOptions(threshold=0.1))  # one dropped word of six (0.17) fails
    kw.setdefault("cache", tmp_path / "store")
    kw.setdefault("output", tmp_path / "o.wav")
    return RenderOptions(cast=cast, jobs=1, sample_rate=24_000, report=tmp_path / "report.json", **kw)


def test_every_faulty_take_is_caught_fixed_where_a_retry_is_clean_and_flagged_where_none_is(faulty, tmp_path):
    script, cast = faulty
    prepared = prepare(script, _options(tmp_path, cast))
    result = execute(prepared)
    rows = {row["text"].split()[0]: row for row in result.report["check"]["takes"]}

    assert [t["wer"] for t in rows["Alpha"]["tries"]] == [0.0]
    assert rows["Bravo"]["tries"][0]["wer"] == 0.1667  # one word of six dropped
    assert [t["seed"] for t in rows["Bravo"]["tries"]] == [0, SEED_STEP]
    assert (rows["Bravo"]["chosen"], rows["Bravo"]["wer"], rows["Bravo"]["flagged"]) == (1, 0.0, False)
    # Charlie: garbled, garbled, then three repeated words: the best (last) try is kept, still flagged
    assert [t["wer"] for t in rows["Charlie"]["tries"]] == [1.0, 1.0, 0.5]
    assert (rows["Charlie"]["chosen"], rows["Charlie"]["flagged"]) == (2, True)
    assert [t["seed"] for t in rows["Delta"]["tries"]] == [0, SEED_STEP, 2 * SEED_STEP]
    assert (rows["Delta"]["chosen"], rows["Delta"]["wer"], rows["Delta"]["flagged"]) == (2, 0.0, False)
    assert result.report["check"]["retried"] == 5
    assert result.report["check"]["transcriptions"] == 4 + 5
    assert "check" in result.report["seconds"]

    [warning] = [d.format() for d in result.check_diagnostics]
    line = SCRIPT.splitlines().index("**Ada**: Charlie says every word clearly today.") + 1
    assert re.fullmatch(rf'.*faults\.md:{line}:\d+: warning: "Charlie says every word clearly today\." '
                        r'may be misread \(heard: "charlie says says says says every word clearly today"; '
                        r'WER 0\.50 after 3 tries\)', warning)

    # The chosen try is what was mixed, kept under the requested take's key with every try's score.
    delta = next(t for t, r in zip(result.takes, prepared.plan.requests) if r.text.startswith("Delta"))
    request = next(r for r in prepared.plan.requests if r.text.startswith("Delta"))
    clean = ToneEngine().synthesize(request.text, request.spec, request.speed, 0)
    assert np.array_equal(delta.audio.samples, clean.samples)
    assert delta.words[:2] == (("Delta", 0.0, 0.4), ("counts", 0.5, 0.9))
    record = prepared.store.record(delta.key)
    assert [t["wer"] for t in record["check"]["tries"]] == [0.6, 0.2, 0.0] and record["check"]["chosen"] == 2
    assert np.array_equal(prepared.store.get(delta.key).samples, clean.samples)
    assert prepared.store.has(retry_key(delta.key, 1)) and prepared.store.has(retry_key(delta.key, 2))


def test_a_name_the_recognizer_spells_its_own_way_is_neither_retried_nor_flagged(faulty, tmp_path):
    """"Marlow" heard as "mellow king" is two errors another try cannot mend; a dropped word
    beside it still is one, and is voiced again."""
    script, cast = faulty
    script.write_text("**Ada**: Echo greets Marlow warmly today.\n\n"
                      "**Ada**: Foxtrot tells Marlow the whole story.\n\n**Marlow**: Golf is fine here.\n",
                      encoding="utf-8")
    result = execute(prepare(script, _options(tmp_path, cast)))
    rows = {row["text"].split()[0]: row for row in result.report["check"]["takes"]}
    echo, foxtrot = rows["Echo"]["tries"], rows["Foxtrot"]["tries"]
    assert [(t["seed"], t["wer"]) for t in echo] == [(0, 0.4)] and not rows["Echo"]["flagged"]
    assert [(m["word"], m["how"]) for m in rows["Echo"]["sound"]] == [("marlow", "missed")]
    # "tells" dropped: the same WER as the next try, but the next has no error outside the name
    assert [(t["seed"], t["wer"]) for t in foxtrot] == [(0, 0.3333), (SEED_STEP, 0.3333)]
    assert (rows["Foxtrot"]["chosen"], rows["Foxtrot"]["flagged"]) == (1, False)
    assert result.report["check"]["retried"] == 1 and result.check_diagnostics == []


def test_name_errors_count_the_words_heard_in_a_names_place():
    names = sound_words(["Marlow"])
    s = score_text("Echo greets Marlow warmly today.", "echo greets mellow king warmly today", names)
    assert (s.errors, s.name_errors, s.wer_outside_names) == (2, 2, 0.0)
    s = score_text("Echo greets Marlow warmly, then leaves today.", "echo greets mellow king warmly then leaves", names)
    assert (s.errors, s.name_errors, s.wer_outside_names) == (3, 2, 1 / 7)  # "today" is not the name's
    assert score_text("Echo greets Marlow warmly.", "echo greets marlow warmly", names).name_errors == 0
    assert score_text("Echo greets Ada warmly.", "echo greets a dog warmly", sound_words(["Marlow"])).name_errors == 0


def test_an_unchanged_rerender_transcribes_nothing_and_picks_the_same_takes(faulty, tmp_path):
    script, cast = faulty
    first = execute(prepare(script, _options(tmp_path, cast)))
    FaultyEngine.calls = []
    TruthfulRecognizer.transcriptions = 0
    again = execute(prepare(script, _options(tmp_path, cast, force=True)))
    assert FaultyEngine.calls == [] and TruthfulRecognizer.transcriptions == 0
    assert again.report["check"]["transcriptions"] == 0 and again.report["check"]["retried"] == 0
    assert again.report["check"]["takes"] == first.report["check"]["takes"]
    for a, b in zip(first.takes, again.takes):
        assert np.array_equal(a.audio.samples, b.audio.samples) and a.words == b.words
    assert [d.format() for d in again.check_diagnostics] == [d.format() for d in first.check_diagnostics]
    up_to_date = execute(prepare(script, _options(tmp_path, cast)))
    assert up_to_date.report["up_to_date"] and up_to_date.report["check"]["transcriptions"] == 0
    assert [d.format() for d in up_to_date.check_diagnostics] == [d.format() for d in first.check_diagnostics]


def test_the_same_inputs_pick_the_same_takes_in_a_fresh_store(faulty, tmp_path):
    script, cast = faulty
    first = execute(prepare(script, _options(tmp_path, cast)))
    other = execute(prepare(script, _options(tmp_path, cast, cache=tmp_path / "other-store",
                                             output=tmp_path / "p.wav")))
    assert [t.key for t in first.takes] == [t.key for t in other.takes]
    for a, b in zip(first.takes, other.takes):
        assert np.array_equal(a.audio.samples, b.audio.samples)


def test_no_check_and_zero_retries(faulty, tmp_path):
    from radioplay.check import CheckOptions

    script, cast = faulty
    off = execute(prepare(script, _options(tmp_path, cast, check=CheckOptions(enabled=False))))
    assert "check" not in off.report and TruthfulRecognizer.transcriptions == 0
    # the unchecked takes are checked once on the next render with the check on, without retries
    on = execute(prepare(script, _options(tmp_path, cast, check=CheckOptions(threshold=0.1, retries=0))))
    assert on.report["check"]["transcriptions"] == 4 and on.report["check"]["retried"] == 0
    assert sorted(d.message.split('"')[1].split()[0] for d in on.check_diagnostics) == ["Bravo", "Charlie", "Delta"]


def test_an_engine_without_sampling_noise_retries_at_another_speed(faulty, tmp_path, monkeypatch):
    monkeypatch.setattr(FaultyEngine, "seeded", False)
    script, cast = faulty
    result = execute(prepare(script, _options(tmp_path, cast)))
    bravo = next(r for r in result.report["check"]["takes"] if r["text"].startswith("Bravo"))
    assert [(t["seed"], t["speed"]) for t in bravo["tries"]] == [(0, 1.0), (0, 0.97), (0, 1.03)]


def test_strict_makes_a_misread_line_an_error_after_the_episode_is_written(faulty, tmp_path):
    from radioplay.cli import app

    script, cast = faulty
    out = tmp_path / "cli.wav"
    args = ["render", str(script), "--cast", str(cast), "-o", str(out), "--jobs", "1", "--cache", str(tmp_path / "s"),
            "--check-threshold", "0.1"]
    plain = CliRunner().invoke(app, args)
    assert plain.exit_code == 0, plain.output
    assert "may be misread" in plain.output
    strict = CliRunner().invoke(app, args + ["--strict", "--force"])
    assert strict.exit_code == 2 and out.is_file()
    assert "1 line(s) may be misread and --strict is set" in strict.output


def test_a_stored_check_record_round_trips():
    check = TakeCheck.from_record({"check": {"tries": [{"wer": 0.5}, {"wer": 0.1}], "chosen": 1}}, 0.2)
    assert check is not None and check.chosen == 1 and check.flagged is False
    assert check.words == ()  # a record from before word timings were kept: no timings, still a check
    assert TakeCheck.from_record({"check": {"tries": [{"wer": 0.5}], "chosen": 0}}, 0.2).flagged is True
    assert TakeCheck.from_record({}, 0.2) is None
    assert TakeCheck.from_record({"check": {"tries": [], "chosen": 0}}, 0.2) is None
    assert json.loads(json.dumps(check.to_record())) == {"tries": [{"wer": 0.5}, {"wer": 0.1}], "chosen": 1}


# --------------------------------------------------------------------------- radioplay check EPISODE


class ScriptedRecognizer:
    """Hears the given transcripts, one per call, in order."""

    name = "scripted"

    def __init__(self, heard):
        self.heard = list(heard)
        self.lengths = []

    def transcribe(self, audio):
        self.lengths.append(len(audio.samples) / audio.sample_rate)
        return Heard(self.heard.pop(0))


def test_check_episode_cuts_single_speaker_lines_by_the_vtt_and_scores_them(dialogue, tone_cast, tmp_path):
    from radioplay.check.episode import check_episode, load_mono, read_vtt, summary
    from radioplay.check.stage import CheckOptions
    from radioplay.parse import load_script

    out = tmp_path / "ep.wav"
    execute(prepare(dialogue, RenderOptions(output=out, cast=tone_cast, cache=tmp_path / "s", jobs=1,
                                            check=CheckOptions(enabled=False))))
    cues = read_vtt(out.with_suffix(".vtt"))
    assert [(c.speaker, c.text) for c in cues] == [
        ("Ada", "Good evening, Marlow."), ("Marlow", "Evening. You are late."),
        ("Ada", "I was held up at the archive. It took longer than I planned—"),
        ("Marlow", "It always does."), ("Ada and Marlow", "Goodnight.")]
    ears = ScriptedRecognizer(["Good evening, Marlo.", "Evening. You are late.",
                               "I was held up at the archive. It took longer than I planned.", "It does."])
    scores = check_episode(load_mono(out), cues, load_script(dialogue), ears, sound_words(["Ada", "Marlow"]))
    assert [(s.line, s.speaker, round(s.score.wer, 4)) for s in scores] == [
        (3, "Ada", 0.0), (5, "Marlow", 0.0), (9, "Ada", 0.0), (11, "Marlow", 0.3333)]
    assert scores[0].score.sound[0].how == "metaphone"
    assert ears.lengths == pytest.approx([c.end - c.start for c in cues[:4]], abs=1e-3)
    assert summary(scores) == {"wer": round(1 / 23, 4), "lines": 4, "worst": 0.3333}


def test_check_command_prints_json(dialogue, tone_cast, tmp_path, monkeypatch):
    from radioplay.check.stage import CheckOptions
    from radioplay.cli import app

    out = tmp_path / "ep.wav"
    execute(prepare(dialogue, RenderOptions(output=out, cast=tone_cast, cache=tmp_path / "s", jobs=1,
                                            check=CheckOptions(enabled=False))))
    heard = ["Good evening, Marlow.", "Evening.", "I was held up at the archive. It took longer than I planned.",
             "It always does."]
    monkeypatch.setattr("radioplay.check.WhisperRecognizer", lambda *a, **k: ScriptedRecognizer(heard))
    result = CliRunner().invoke(app, ["check", str(out), "--script", str(dialogue), "--cast", str(tone_cast), "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert (doc["wer"], doc["lines"], doc["worst"]) == (round(3 / 23, 4), 4, 0.75)
    assert doc["lines_scored"][1]["heard"] == "evening"
    text = CliRunner().invoke(app, ["check", str(out), "--script", str(dialogue), "--cast", str(tone_cast)])
    assert text.exit_code == 0, text.output
    assert "WER 0.00  Ada: 'Good evening, Marlow.'  heard: 'good evening marlow'  [marlow: spelling 'marlow']" in text.output
    assert text.output.rstrip().endswith("overall WER 0.130 over 4 single-speaker lines; worst line 0.75")


def test_check_command_without_a_vtt_is_one_error_line(dialogue, tmp_path):
    from radioplay.cli import app

    (tmp_path / "x.wav").write_bytes(b"")
    result = CliRunner().invoke(app, ["check", str(tmp_path / "x.wav"), "--script", str(dialogue)])
    assert result.exit_code == 2
    assert "x.vtt: cannot read the transcript" in result.output


def test_a_compound_heard_split_or_two_words_heard_joined_is_not_an_error():
    assert score_text("It's just roleplay.", "It's just role play.").errors == 0
    assert score_text("such a sour puss", "such a sourpuss").errors == 0
    assert score_text("It's just roleplay.", "It's just role pay.").errors == 2
