"""Recognized words guide the unison aligner: its DTW path keeps near the path through the voices'
matched word onsets, and what the recognizer heard in a clip is kept by content."""

from __future__ import annotations

import json

import numpy as np

from radioplay.check.recognizer import CheckUnavailable, Heard
from radioplay.mix import Timing, mix
from radioplay.mix.unison import HOP_SECONDS, WORD_BAND_SECONDS, dtw_path, matched_onsets, warp_together, word_band
from radioplay.mix.unison_words import CachedWordOnsets
from radioplay.model import Audio, Take
from tests.test_mix_fixtures import RATE, cast, identity, placement, script, together
from tests.test_mix_unison_words import REFERENCE_ONSETS, SLOWER_ONSETS, bursts, word_onsets

FEW_MS = 8 * RATE // 1000


def test_the_path_keeps_to_the_band_of_the_heard_words():
    a = np.arange(50.0)[:, None] * np.ones((1, 3))
    b = np.repeat(a, 2, axis=0)  # b is a at half speed: the cheapest path is (i, 2i)
    # the recognizer says frame 20 of a is frame 20 of b (wrongly): (20, 40) is out of the band
    allowed = word_band([20 * HOP_SECONDS], [20 * HOP_SECONDS], len(a), len(b))
    assert not allowed[20, 40] and allowed[20, 20]
    path = dtw_path(a, b, allowed)
    assert path[0].tolist() == [0, 0] and path[-1].tolist() == [49, 99]
    assert all(allowed[i, j] for i, j in path)
    assert np.all(np.diff(path, axis=0) >= 0)
    width = WORD_BAND_SECONDS / HOP_SECONDS
    assert abs(path[path[:, 0] == 20, 1].mean() - 20) <= width


def test_words_heard_in_every_voice_are_matched_in_order():
    heard = [[("then", 0.0), ("we'll", 0.3), ("write", 0.56), ("them", 0.78)],
             [("then", 0.0), ("we", 0.9), ("write", 1.16), ("them", 1.4)],
             [("uh", 0.0), ("then", 0.1), ("we'll", 0.5), ("write", 0.7), ("them", 0.9)]]
    # "we'll" was misheard in the second voice: only the words all three were heard to say count
    assert matched_onsets(heard) == [[0.0, 0.56, 0.78], [0.0, 1.16, 1.4], [0.1, 0.7, 0.9]]


class FakeRecognizer:
    """Hears five words at the onsets of the bursts it is given (the first loud sample after each pause)."""

    name = "fake"

    def __init__(self):
        self.calls = 0

    def transcribe(self, audio: Audio) -> Heard:
        self.calls += 1
        onsets = [o / audio.sample_rate for o in word_onsets(audio.samples)]
        return Heard("one two three four five", tuple((w, o, o + 0.2) for w, o in
                                                      zip(("One", "two,", "three", "four", "five."), onsets)))


def test_what_a_clip_says_is_recognized_once_and_kept(tmp_path):
    clip = bursts(REFERENCE_ONSETS, 0.25, 2.1)
    fake = FakeRecognizer()
    heard = CachedWordOnsets(tmp_path, fake)(clip, RATE)
    assert [w for w, _ in heard] == ["one", "two", "three", "four", "five"]
    assert np.allclose([t for _, t in heard], np.array(word_onsets(clip)) / RATE)
    # a second render (a new instance over the same folder) reads it back; another clip is new
    again = CachedWordOnsets(tmp_path, fake)
    assert again(clip, RATE) == heard and fake.calls == 1 and again.recognized == 0
    again(bursts(SLOWER_ONSETS, 0.30, 2.5), RATE)
    assert fake.calls == 2 and again.recognized == 1
    stored = list(tmp_path.rglob("*.json"))
    assert len(stored) == 2 and json.loads(stored[0].read_text())["words"]


def test_without_a_recognizer_the_voices_are_aligned_by_their_sound(tmp_path):
    class Missing:
        name = "missing"

        def transcribe(self, audio):
            raise CheckUnavailable("no model")

    words = CachedWordOnsets(tmp_path, Missing())
    assert words(bursts(REFERENCE_ONSETS, 0.25, 2.1), RATE) is None and not words.available
    takes = [bursts(REFERENCE_ONSETS, 0.25, 2.1), bursts(SLOWER_ONSETS, 0.30, 2.5)]
    alone = warp_together(takes, RATE)
    assert all(np.array_equal(x, y) for x, y in zip(warp_together(takes, RATE, heard=[None, None]), alone))


def test_the_mixer_asks_what_each_unison_voice_says_and_aligns_it(tmp_path):
    s = script(together(("A", "B"), "One two three four five."))
    takes = [Take(Audio(bursts(REFERENCE_ONSETS, 0.25, 2.1), RATE), 0, 0, 0, "A"),
             Take(Audio(bursts(SLOWER_ONSETS, 0.30, 2.5), RATE), 0, 1, 0, "B")]
    casting = cast(A=("mid", -0.5), B=("alto", 0.5))
    fake = FakeRecognizer()
    m = mix(s, takes, casting, identity(s), Timing(), sample_rate=RATE,
            unison_words=CachedWordOnsets(tmp_path, fake))
    assert fake.calls == 2
    first = placement(m, 0, 0)
    onsets = [np.array(word_onsets(m.stems[name][first.start:first.end].sum(axis=1))) for name in "AB"]
    assert onsets[0].shape == onsets[1].shape == (5,)
    assert np.abs(onsets[0] - onsets[1]).max() <= FEW_MS


def test_a_render_hears_its_unison_voices_where_they_speak_and_the_check_is_on(tmp_path):
    from radioplay.check.stage import CheckOptions
    from radioplay.mix.unison_words import FOLDER
    from radioplay.pipeline import RenderOptions, prepare, unison_word_onsets
    from tests.conftest import tone_cast_text

    script = tmp_path / "together.md"
    script.write_text("**Ada** and **Marlow**: _[together]_ One two three.\n", encoding="utf-8")
    tone = tmp_path / "tone.toml"
    tone.write_text(tone_cast_text(), encoding="utf-8")
    spoken = tmp_path / "espeak.toml"
    spoken.write_text(tone_cast_text().replace('engine = "tone"\nvoice = "high"', 'engine = "espeak"\nvoice = "en"')
                      .replace('engine = "tone"\nvoice = "low"', 'engine = "espeak"\nvoice = "en"'), encoding="utf-8")

    def options(cast, **kw):
        return RenderOptions(cast=cast, cache=tmp_path / "store", output=tmp_path / "o.wav", **kw)

    heard = unison_word_onsets(prepare(script, options(spoken)))
    assert isinstance(heard, CachedWordOnsets) and heard.folder == tmp_path / "store" / FOLDER
    assert unison_word_onsets(prepare(script, options(tone))) is None  # beeps: nothing to hear
    assert unison_word_onsets(prepare(script, options(spoken, check=CheckOptions(enabled=False)))) is None
