"""Takes by the sentence: segmentation, content-addressed sentence takes, the mixer's sentence
gaps, interruptions, unison and captions on sentence takes, and lines with nothing speakable."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
import soundfile as sf
from typer.testing import CliRunner

from radioplay.cache import TakeStore
from radioplay.cli import app
from radioplay.mix import Timing, cue_timings, mix
from radioplay.model import Take
from radioplay.parse import parse_script
from radioplay.pipeline import RenderOptions, prepare, render
from radioplay.publish.transcript import _wrap, captions, srt_text
from radioplay.voice.directions import DirectionTable
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.engines.tone import ToneEngine, tone_length
from radioplay.voice.synthesize import plan_takes, spoken_sentences
from radioplay.voice.text import MAX_SENTENCE_CHARS, sentences, split_sentences
from tests.conftest import tone_cast_text
from tests.test_mix_fixtures import RATE, cast, identity, line, script, seconds, together

T = Timing()


def sentence_takes(s, casting) -> list[Take]:
    """Tone takes the way planning makes them: one per sentence of each segment."""
    engine, takes = ToneEngine(), []
    for c, cue in enumerate(s.cues):
        for p, part in enumerate(cue.parts):
            spec = casting.characters[part.speaker]
            for g, segment in enumerate(part.segments):
                for n, said in enumerate(sentences(segment.text, {})):
                    takes.append(Take(engine.synthesize(said.spoken, spec, spec.speed, 0), c, p, g,
                                      part.speaker, sentence=n, written=said.written, clause=said.clause))
    return takes


def clips(m, cue: int, part: int = 0) -> list:
    return sorted((p for p in m.placements if (p.cue, p.part) == (cue, part)),
                  key=lambda p: (p.segment, p.sentence))


# --------------------------------------------------------------------------- segmentation


@pytest.mark.parametrize("text, expected", [
    ("Dr. Smith paid $3.50 for it. Then he left.", ["Dr. Smith paid $3.50 for it.", "Then he left."]),
    ("GPT-4 is here, e.g. in the U.S. market. It costs 3.5 times more.",
     ["GPT-4 is here, e.g. in the U.S. market.", "It costs 3.5 times more."]),
    ('She said "can you help?" into the void. Nobody did.',
     ['She said "can you help?" into the void.', "Nobody did."]),
    ("Hmm... I see. Well.", ["Hmm...", "I see.", "Well."]),
    ("Wait—what? No.", ["Wait—what?", "No."]),
])
def test_sentences_know_abbreviations_decimals_quotes_ellipses_and_dashes(text, expected):
    assert [s.written for s in sentences(text, {})] == expected
    assert "".join(split_sentences(text)) == text  # nothing lost between the pieces


def test_spoken_form_is_normalized_per_sentence_and_acronyms_stay_whole():
    said = sentences("GPT-4 costs $5. That is a lot.", {})
    assert [s.spoken for s in said] == ["G.P.T four costs five dollars.", "That is a lot."]
    assert not any(s.clause for s in said)


def test_a_sentence_too_long_for_one_take_is_cut_at_clauses():
    clause = "and the committee, having read every page of the report with care"
    text = "First, " + ", ".join([clause] * 8) + "."
    said = sentences(text, {})
    assert len(said) > 1
    assert all(len(s.spoken) <= MAX_SENTENCE_CHARS for s in said)
    assert [s.clause for s in said] == [False] + [True] * (len(said) - 1)
    assert " ".join(s.written for s in said) == text  # cut only where a clause ends
    assert all(s.written.endswith((",", ".")) for s in said)


# --------------------------------------------------------------------------- planning


def plan(text: str, tmp_path: Path):
    s = parse_script(text, path=str(tmp_path / "s.md"))
    casting = cast(**{name: ("low",) for name in s.speakers()})
    registry = EngineRegistry.from_entry_points()
    return plan_takes(s, casting, DirectionTable.load(None), registry, TakeStore(tmp_path / "store"))


def test_each_sentence_is_one_take_and_its_key_ignores_position(tmp_path):
    before = plan("**A**: One thing. Two things. Three things.\n\n**B**: Four.\n", tmp_path)
    after = plan("**A**: Three things. Zero. One thing.\n\n**B**: Two things. Four.\n", tmp_path)
    assert [r.text for r in before.requests] == ["One thing.", "Two things.", "Three things.", "Four."]
    assert [(r.cue, r.segment, r.sentence) for r in before.requests] == [(0, 0, 0), (0, 0, 1), (0, 0, 2), (1, 0, 0)]
    old = dict(zip((r.text for r in before.requests), before.keys))
    new = dict(zip((r.text for r in after.requests), after.keys))
    # moved, inserted and deleted sentences: every sentence said before keeps its key (A and B share a voice)
    assert all(new[text] == old[text] for text in new if text in old)
    assert set(new) - set(old) == {"Zero."}


# --------------------------------------------------------------------------- mixing


def run_mix(s, casting=None, timing=T):
    casting = casting or cast(A=("low", -0.5), B=("high", 0.5), C=("mid", 0.0))
    return mix(s, sentence_takes(s, casting), casting, identity(s), timing, sample_rate=RATE)


def test_sentences_of_a_paragraph_are_a_sentence_gap_apart_and_paragraphs_keep_theirs():
    s = script(line("A", "One. Two two.", "Three.", ("laughs", "Four. Five.")))
    m = run_mix(s, timing=Timing(sentence_gap=0.2))
    got = clips(m, 0)
    assert [(p.segment, p.sentence, p.text) for p in got] == [
        (0, 0, "One."), (0, 1, "Two two."), (1, 0, "Three."), (2, 0, "Four."), (2, 1, "Five.")]
    assert [p.end - p.start for p in got] == [tone_length(t) for t in ("One.", "Two two.", "Three.", "Four.", "Five.")]
    assert got[1].start == got[0].end + seconds(0.2)
    assert got[2].start == got[1].end + seconds(T.paragraph_gap)
    assert got[3].start == got[2].end + seconds(T.direction_split_gap)
    assert got[4].start == got[3].end + seconds(0.2)


def test_clause_pieces_are_joined_with_the_clause_gap():
    clause = "and the committee, having read every page of the report with care"
    s = script(line("A", "First, " + ", ".join([clause] * 8) + "."))
    m = run_mix(s, timing=Timing(sentence_gap=0.4, clause_gap=0.05))
    got = clips(m, 0)
    assert len(got) > 1
    assert all(b.start - a.end == seconds(0.05) for a, b in zip(got, got[1:]))


def test_an_interruption_cuts_into_the_last_sentence():
    s = script(line("A", "I was held up. It took longer than I planned—", interrupted=True), line("B", "Always."))
    m = run_mix(s)
    first, last = clips(m, 0)
    fade = seconds(T.interrupt_fade)
    assert first.end - first.start == tone_length("I was held up.")  # untouched
    natural_end = last.start + tone_length("It took longer than I planned")  # the dash is a pause, not a word
    assert clips(m, 1)[0].start == natural_end - seconds(T.interrupt_overlap)
    assert last.end == natural_end  # the cut: faded over its last `interrupt_fade`, not lengthened
    a = m.stems["A"][:, 0]
    assert np.max(np.abs(a[last.end - fade // 4:last.end])) < 0.5 * np.max(np.abs(a[last.start:last.end]))


def test_unison_lines_are_aligned_sentence_by_sentence():
    s = script(together(("A", "B"), "We go. Now, together."))
    m = run_mix(s, cast(A=("low", -0.5, 0.0, 1.0), B=("high", 0.5, 0.0, 1.3)))
    a, b = clips(m, 0, 0), clips(m, 0, 1)
    assert [p.text for p in a] == [p.text for p in b] == ["We go.", "Now, together."]
    assert [(p.start, p.end) for p in a] == [(p.start, p.end) for p in b]
    assert a[1].start == a[0].end + seconds(T.sentence_gap)


def test_captions_follow_the_sentence_takes_exactly():
    long = "This sentence is long enough that it fills most of two caption lines when it is put beside one."
    s = script(line("A", f"Short one. {long} And a third one that ends it all."))
    m = run_mix(s)
    [timing] = cue_timings(s, m)
    got = clips(m, 0)
    assert timing.sentences == tuple((p.text, p.start / RATE, p.end / RATE) for p in got)
    fits = lambda text: len(_wrap(text, 3)) <= 2  # noqa: E731
    assert fits(f"Short one. {long}") and not fits(f"Short one. {long} And a third one that ends it all.")
    pieces = captions([timing], lambda speakers: "A: ")
    # two sentences that fit two lines together share a caption; each boundary is a sentence's own time
    assert [(c.text, c.start, c.end) for c in pieces] == [
        (f"Short one. {long}", got[0].start / RATE, got[1].end / RATE),
        ("And a third one that ends it all.", got[2].start / RATE, got[2].end / RATE)]
    assert "00:00:00,500 -->" in srt_text([timing])


# --------------------------------------------------------------------------- nothing speakable

SILENT_FORMS = ["...", "—", "?", "🎭", "€", "_[softly]_ ..."]


def render_tone(tmp_path: Path, text: str, name: str = "s.md", **options):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    cast_path = tmp_path / "tone.toml"
    cast_path.write_text(tone_cast_text().replace("Ada", "Bob").replace("Marlow", "Cy"), encoding="utf-8")
    opts = RenderOptions(output=tmp_path / "o.wav", cast=cast_path, cache=tmp_path / "store", jobs=1,
                         sample_rate=24_000, **options)
    prepared = prepare(path, opts)
    return prepared, render(path, opts)


@pytest.mark.parametrize("form", SILENT_FORMS)
@pytest.mark.parametrize("where", ["line", "paragraph", "after direction", "unison"])
def test_a_line_with_nothing_speakable_is_a_warning_and_a_beat_of_silence(tmp_path, form, where):
    text = {
        "line": f"**Cy**: Before.\n\n**Bob**: {form}\n\n**Cy**: After.\n",
        "paragraph": f"**Cy**: Before.\n\n**Bob**: Hello.\n\n{form}\n\n**Cy**: After.\n",
        "after direction": f"**Cy**: Before.\n\n**Bob**: Hello. _[sighs]_ {form}\n\n**Cy**: After.\n",
        "unison": f"**Cy**: Before.\n\n**Bob** and **Cy**: {form}\n\n**Cy**: After.\n",
    }[where]
    prepared, result = render_tone(tmp_path, text)
    warnings = [d for d in prepared.diagnostics if "nothing to speak" in d.message]
    assert len(warnings) == 1
    assert warnings[0].format().startswith(f"{tmp_path / 's.md'}:{3 if where != 'paragraph' else 5}:")
    timings = {t.cue: t for t in result.episode.cues}
    before, after = timings[0], timings[max(timings)]
    gap = after.start - before.end
    turn, beat = T.turn_gap, T.unspoken_beat
    silent = prepared.script.cues[1]
    # a lone dash is a line cut off: the next line cuts in on the beat instead of a turn later
    # (right at its end when Cy is in both lines: nobody overlaps their own voice)
    then = (0.0 if "Cy" in silent.speakers else -T.interrupt_overlap) if silent.interrupted else turn
    if where in ("line", "unison"):
        # the silent line is a turn, a beat and a turn; a directed line adds its directed beat
        expected = turn + beat + (T.directed_beat if silent.direction else 0.0) + then
        assert gap == pytest.approx(expected, abs=2e-4)
        assert 1 not in timings  # no caption for a line with no words
    else:
        # Bob's words, the segment's own gap, the beat, then the next turn
        segment = silent.parts[0].segments[-1]
        split = T.paragraph_gap if segment.paragraph_break else T.direction_split_gap
        assert after.start - timings[1].end == pytest.approx(split + beat + then, abs=2e-4)
        assert timings[1].sentences[0][0] == "Hello."


def test_fountain_line_with_nothing_speakable(tmp_path):
    text = "INT. ROOM - NIGHT\n\nCY\nBefore.\n\nBOB\n...\n\nCY\nAfter.\n"
    prepared, result = render_tone(tmp_path, text.replace("CY", "CY").replace("BOB", "BOB"), name="s.fountain")
    warnings = [d for d in prepared.diagnostics if "nothing to speak" in d.message]
    assert [(d.severity, d.line) for d in warnings] == [("warning", 7)]
    assert len(result.episode.cues) == 2


def test_strict_dry_run_and_inspect_strict_report_a_line_with_nothing_speakable(tmp_path):
    path = tmp_path / "s.md"
    path.write_text("**Ada**: Hello.\n\n**Marlow**: 🎭\n", encoding="utf-8")
    cast_path = tmp_path / "tone.toml"
    cast_path.write_text(tone_cast_text(), encoding="utf-8")
    runner = CliRunner()
    common = ["--cast", str(cast_path), "-o", str(tmp_path / "o.wav"), "--cache", str(tmp_path / "store")]
    dry = runner.invoke(app, ["render", str(path), *common, "--dry-run"])
    assert dry.exit_code == 0 and f"{path}:3:13: warning:" in dry.stderr
    strict = runner.invoke(app, ["render", str(path), *common, "--strict"])
    assert strict.exit_code == 2 and f"{path}:3:13: warning:" in strict.stderr
    assert not (tmp_path / "o.wav").exists()
    inspected = runner.invoke(app, ["inspect", str(path), "--strict"])
    assert inspected.exit_code == 2 and f"{path}:3:13: warning:" in inspected.stderr
    plain = runner.invoke(app, ["render", str(path), *common])
    assert plain.exit_code == 0, plain.stderr
    audio, rate = sf.read(tmp_path / "o.wav")
    assert len(audio) > rate  # rendered, with the beat in place of the line


def test_planning_and_mixing_agree_on_the_silent_segments(tmp_path):
    s = parse_script("**A**: ...\n\n**A**: Yes.\n", path="s.md")
    said, diagnostics = spoken_sentences(s)
    assert said[(0, 0, 0)] == [] and [x.spoken for x in said[(1, 0, 0)]] == ["Yes."]
    casting = cast(A=("low",))
    takes = sentence_takes(s, casting)
    with pytest.raises(ValueError, match="no take for cue 0, part 0, segment 0"):
        mix(s, takes, casting, identity(s), T, sample_rate=RATE)  # not declared silent: a bug, not a beat
    m = mix(s, takes, casting, identity(s), T, sample_rate=RATE, silent={(0, 0, 0)})
    assert clips(m, 1)[0].start == seconds(T.lead_in) + seconds(T.unspoken_beat) + seconds(T.turn_gap)


def test_the_pool_voices_the_longest_sentences_first_across_cues(tmp_path):
    from radioplay.voice.synthesize import synthesis_order

    p = plan("**A**: Short. A much longer second sentence.\n\n**B**: Medium one here. Tiny.\n", tmp_path)
    order = synthesis_order(p, p.unique_missing)
    assert [p.requests[i].text for i in order] == [
        "A much longer second sentence.", "Medium one here.", "Short.", "Tiny."]


@given(st.lists(st.tuples(st.sampled_from(["A", "B", "A** and **B"]),
                          st.lists(st.sampled_from(SILENT_FORMS + ["Yes.", "No. Maybe... Later.", "Dr. Who—",
                                                                   "It costs $3.50, e.g. a lot."]),
                                   min_size=1, max_size=3)),
                min_size=1, max_size=5))
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_scripts_with_silent_lines_plan_and_mix_without_error(tmp_path, lines):
    text = "".join(f"**{who}**: " + "\n\n".join(paragraphs) + "\n\n" for who, paragraphs in lines)
    s = parse_script(text, path=str(tmp_path / "s.md"))
    casting = cast(A=("low",), B=("high",))
    p = plan_takes(s, casting, DirectionTable.load(None), EngineRegistry.from_entry_points(),
                   TakeStore(tmp_path / "store"))
    engine = ToneEngine()
    takes = [Take(engine.synthesize(r.text, r.spec, r.speed, 0), r.cue, r.part, r.segment, r.speaker,
                  sentence=r.sentence, written=r.written, clause=r.clause) for r in p.requests]
    m = mix(s, takes, casting, p.deliveries, T, sample_rate=RATE, silent=p.silent)
    spoken = {(r.cue, r.part, r.segment) for r in p.requests}
    every = {(c, q, g) for c, cue in enumerate(s.cues) for q, part in enumerate(cue.parts)
             for g in range(len(part.segments))}
    assert spoken | set(p.silent) == every and not spoken & set(p.silent)
    assert len(p.diagnostics) == len({(s.cues[c].parts[q].segments[g].line, s.cues[c].parts[q].segments[g].col)
                                      for c, q, g in p.silent})
    assert sorted((x.cue, x.part, x.segment, x.sentence) for x in m.placements) == \
        sorted((r.cue, r.part, r.segment, r.sentence) for r in p.requests)


def test_a_cast_files_sentence_gap_reaches_the_mix(tmp_path):
    path = tmp_path / "s.md"
    path.write_text("**Ada**: One two. Three four five.\n", encoding="utf-8")
    cast_path = tmp_path / "tone.toml"
    cast_path.write_text("[timing]\nsentence_gap = 0.4\n\n" + tone_cast_text(), encoding="utf-8")
    result = render(path, RenderOptions(output=tmp_path / "o.wav", cast=cast_path, cache=tmp_path / "store",
                                        jobs=1, sample_rate=24_000))
    (first, _, end), (second, start, _) = result.episode.cues[0].sentences
    assert (first, second) == ("One two.", "Three four five.")
    assert start - end == pytest.approx(0.4, abs=1e-6)
