"""The pronunciation lexicon: merging, whole-word matching, IPA, and its effect on Piper's phonemes."""

from __future__ import annotations

import pytest

from radioplay.voice.lexicon import (apply_lexicon, entry_problem, is_ipa, merge_lexicons, protect, restore,
                                     spoken_form)
from radioplay.voice.text import prepare_text


def test_character_lexicon_wins_case_insensitively():
    merged = merge_lexicons({"Doomovitch": "DOOM-oh-vitch", "LLM": "el el em"}, {"doomovitch": "/duːm/"})
    assert merged == {"doomovitch": "/duːm/", "LLM": "el el em"}
    assert merge_lexicons(None, {}) == {}


def test_whole_words_only_possessives_and_phrases():
    lexicon = {"Simplicia": "Sim-PLISS-ee-uh", "Simplicia Optimistovna": "Simplicia Opti", "cat": "kat"}
    assert apply_lexicon("Simplicia Optimistovna met Simplicia's cat, a catalogue cat-like", lexicon) == (
        "Simplicia Opti met Sim-PLISS-ee-uh's kat, a catalogue kat-like")  # a hyphen bounds a word
    # a sentence's capital stays; a capital mid-sentence takes the respelling as written
    assert apply_lexicon("CAT. Cat and Cat", {"cat": "kat"}) == "Kat. Kat and kat"
    assert apply_lexicon("nothing here", {}) == "nothing here"


def test_ipa_becomes_raw_phonemes():
    assert is_ipa("/dˈuːm/") and not is_ipa("doom") and not is_ipa("/")
    assert spoken_form(" /dˈuːm/ ") == "[[dˈuːm]]"
    assert apply_lexicon("Doom.", {"doom": "/dˈuːm/"}) == "[[dˈuːm]]."


def test_entry_problems():
    assert entry_problem("a", "b") is None
    assert "empty" in entry_problem("a", " ")
    assert "empty" in entry_problem("a", "//")
    assert "string" in entry_problem("a", 3)
    assert "slashes" in entry_problem("a", "[[x]]")


def test_protect_and_restore_round_trip():
    text, held = protect("Ask SGD and sgd twice", {"SGD": "S G D"})
    assert held == ["S G D"] and "SGD" not in text
    assert restore(text, held) == "Ask S G D and S G D twice"


@pytest.mark.slow
def test_doomovitch_entry_changes_piper_phonemes():
    from piper import PiperVoice

    from radioplay.voice.engines.piper import voice_paths

    model, config = voice_paths("joe")
    voice = PiperVoice.load(model, config_path=config)
    line = "Why, Doomer Doomovitch, you're such a sourpuss!"
    plain = voice.phonemize(prepare_text(line, {}))
    respelled = voice.phonemize(prepare_text(line, {"Doomovitch": "/dˈuːmoʊvˌɪtʃ/"}))
    flat = lambda sentences: "".join("".join(s) for s in sentences)  # noqa: E731
    assert flat(plain) != flat(respelled)
    assert "dˈuːmoʊvˌɪtʃ" in flat(respelled) and "dˈuːmoʊvˌɪtʃ" not in flat(plain)
    # the rest of the line is untouched
    assert flat(respelled).replace("dˈuːmoʊvˌɪtʃ", "") .startswith(flat(plain).split("dˈuː")[0])


@pytest.mark.slow
def test_default_lexicon_stresses_optimistovna_on_stov_with_a_second_stress_on_mis():
    """Stressed on "-mis-" only, Piper reduced the rest ("-stəvnə") and both Whisper models heard
    "optimist of the" (README, "The check")."""
    import tomllib

    from piper import PiperVoice

    from radioplay.voice.cast import default_cast_path
    from radioplay.voice.engines.piper import piper_ipa, voice_paths

    lexicon = tomllib.loads(default_cast_path().read_text(encoding="utf-8"))["lexicon"]
    assert lexicon["Optimistovna"] == "/ˌɑːptɪmˌɪstˈoʊvnə/"
    model, config = voice_paths("joe")
    voice = PiperVoice.load(model, config_path=config)
    spoken = piper_ipa(prepare_text("Simplicia Optimistovna, you cannot be serious!", lexicon))
    flat = "".join("".join(s) for s in voice.phonemize(spoken))
    assert flat.startswith("sˈɪmplɪsiə ˌɑːptɪmˌɪstˈoʊvnə,")
