"""Cast files and auto-casting, against the tone engine (and the real registry for the shipped files)."""

from __future__ import annotations

import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

from radioplay.errors import CastError
from radioplay.parse import parse_script
from radioplay.voice.cast import (cast_json, character_key, default_cast_path, load_cast, load_config,
                                  rank_characters, words_spoken)
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.engines.tone import ToneEngine

REPO = Path(__file__).resolve().parents[1]

TONE_POOL = """
[autocast]
pans = [-0.3, 0.3, -0.6, 0.6]

[[autocast.voices]]
engine = "tone"
voice = "high"
gender = "female"

[[autocast.voices]]
engine = "tone"
voice = "alto"
gender = "female"

[[autocast.voices]]
engine = "tone"
voice = "low"
gender = "male"

[[autocast.voices]]
engine = "tone"
voice = "mid"
gender = "male"
"""

SCRIPT = """# Test

**Ada**: One two three four five six seven eight nine ten.

**Marlow**: One two three four five.

**Ada**: Eleven twelve.

**Quill**: One.
"""


@pytest.fixture
def registry() -> EngineRegistry:
    return EngineRegistry({"tone": ToneEngine})


@pytest.fixture
def pool(tmp_path: Path) -> Path:
    path = tmp_path / "pool.toml"
    path.write_text(TONE_POOL, encoding="utf-8")
    return path


def write(tmp_path: Path, text: str, name: str = "cast.toml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def cast(tmp_path, registry, pool, text, script=SCRIPT):
    return load_cast(write(tmp_path, text), parse_script(script), registry, defaults_path=pool)


def test_explicit_cast_file_sets_every_field(tmp_path, registry, pool):
    casting = cast(tmp_path, registry, pool, """
[lexicon]
Doomovitch = "DOOM-oh-vitch"

[characters.Ada]
engine = "tone"
voice = "low"
speed = 1.2
pitch = -2.5
gain = -3
pan = -0.8
lexicon = { Ada = "/ˈeɪdə/" }
sample_rate = 16000
""")
    ada = casting.characters["Ada"]
    assert (ada.engine, ada.voice, ada.speed, ada.pitch, ada.gain, ada.pan) == ("tone", "low", 1.2, -2.5, -3.0, -0.8)
    assert ada.lexicon == (("Ada", "/ˈeɪdə/"),)
    assert ada.option("sample_rate") == 16000
    data = cast_json(casting)
    assert data["characters"]["Ada"] == {"engine": "tone", "voice": "low", "speed": 1.2, "pitch": -2.5, "gain": -3.0,
                                         "pan": -0.8, "lexicon": {"Ada": "/ˈeɪdə/"},
                                         "options": {"sample_rate": 16000}}
    assert data["lexicon"] == {"Doomovitch": "DOOM-oh-vitch"}
    assert set(data["characters"]) == {"Ada", "Marlow", "Quill"}
    json.dumps(data)  # printable as-is


def test_names_match_case_insensitively_and_ignore_extensions(tmp_path, registry, pool):
    fountain = "Title: T\n\nINT. ROOM\n\nADA (V.O.)\nHello there.\n\nMARLOW\nHi.\n"
    path = write(tmp_path, '[characters."ada (V.O.)"]\nengine = "tone"\nvoice = "mid"\n\n'
                           '[characters.marlow]\nengine = "tone"\nvoice = "alto"\n')
    for script in (parse_script(fountain, format="fountain"), parse_script("**Ada**: Hi.\n\n**Marlow**: Yo.\n")):
        casting = load_cast(path, script, registry, defaults_path=pool)
        voices = sorted(spec.voice for spec in casting.characters.values())
        assert voices == ["alto", "mid"] and not casting.diagnostics
    assert character_key("  Doomer (CONT'D) ") == character_key("@DOOMER^") == "doomer"


def test_ranking_by_words_spoken():
    script = parse_script(SCRIPT)
    assert words_spoken(script) == {"Ada": 12, "Marlow": 5, "Quill": 1}
    assert rank_characters(script) == ["Ada", "Marlow", "Quill"]


def test_autocast_contrasts_the_leads_and_spreads_pans(registry, pool):
    casting = load_cast(None, parse_script(SCRIPT), registry, defaults_path=pool)
    ada, marlow, quill = (casting.characters[n] for n in ("Ada", "Marlow", "Quill"))
    # pool order is high(f), alto(f), low(m), mid(m): the second lead skips alto for a male voice
    assert (ada.voice, marlow.voice, quill.voice) == ("high", "low", "alto")
    assert (ada.pan, marlow.pan, quill.pan) == (-0.3, 0.3, -0.6)
    assert casting.path is None and casting.lexicon == {}


def test_autocast_is_independent_of_cue_order(pool):
    cues = [f"**{name}**: {' '.join(['word'] * n)}." for name, n in
            [("Ada", 9), ("Marlow", 7), ("Quill", 5), ("Bo", 3), ("Cy", 3)]]
    registry = EngineRegistry({"tone": ToneEngine})
    results = set()
    for trial in range(6):
        random.Random(trial).shuffle(cues)
        casting = load_cast(None, parse_script("\n\n".join(cues) + "\n"), registry,
                            defaults_path=pool)
        results.add(tuple(sorted((n, s.voice, s.pan, s.pitch) for n, s in casting.characters.items())))
    assert len(results) == 1


def test_autocast_is_the_same_in_another_process_with_another_hash_seed(tmp_path, pool):
    program = ("import json,sys; from radioplay.parse import parse_script; from radioplay.voice.cast import "
               "load_cast, cast_json; from radioplay.voice.engines.base import EngineRegistry; "
               "from radioplay.voice.engines.tone import ToneEngine; "
               f"s = parse_script(open({str(tmp_path / 's.md')!r}).read()); "
               f"print(json.dumps(cast_json(load_cast(None, s, EngineRegistry({{'tone': ToneEngine}}), "
               f"defaults_path={str(pool)!r})), sort_keys=True))")
    (tmp_path / "s.md").write_text("**Bo**: a b.\n\n**Cy**: a b.\n\n**Di**: a b.\n\n**Ed**: a b.\n", encoding="utf-8")
    outputs = {subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True,
                              env={"PYTHONHASHSEED": seed}).stdout for seed in ("1", "2")}
    assert len(outputs) == 1
    voices = [c["voice"] for c in json.loads(outputs.pop())["characters"].values()]
    assert len(set(voices)) == 4  # all different while voices last


def test_pool_exhaustion_shares_voices_with_a_pitch_step_and_warns(registry, pool):
    names = ["Ann", "Ben", "Cat", "Dan", "Eve", "Fay"]
    script = parse_script("\n\n".join(f"**{n}**: {'w ' * (10 - i)}." for i, n in enumerate(names)) + "\n")
    casting = load_cast(None, script, registry, defaults_path=pool)
    specs = [casting.characters[n] for n in names]
    assert len({s.voice for s in specs[:4]}) == 4
    assert [(s.voice, s.pitch) for s in specs[4:]] == [("high", 2.0), ("alto", 2.0)]
    assert sum("more characters than voices" in d.message for d in casting.diagnostics) == 2


def test_named_voices_are_not_given_to_autocast_characters(tmp_path, registry, pool):
    casting = cast(tmp_path, registry, pool, '[characters.Marlow]\nengine = "tone"\nvoice = "high"\n')
    assert casting.characters["Marlow"].voice == "high"
    assert casting.characters["Ada"].voice != "high"
    assert len({s.voice for s in casting.characters.values()}) == 3


def test_gender_key_and_partial_tables_keep_autocasting(tmp_path, registry, pool):
    casting = cast(tmp_path, registry, pool, '[characters.Ada]\ngender = "male"\npan = 0.9\n')
    ada = casting.characters["Ada"]
    assert (ada.voice, ada.pan) == ("low", 0.9)


def test_precedence_character_then_pool_then_defaults(tmp_path, registry):
    pool = write(tmp_path, TONE_POOL.replace('voice = "high"\n', 'voice = "high"\nspeed = 0.9\n')
                 + "\n[defaults]\nspeed = 1.1\ngain = -1.5\n\n[defaults.tone]\nsample_rate = 8000\n", "pool.toml")
    casting = cast(tmp_path, registry, pool, '[characters.Quill]\nspeed = 1.3\nsample_rate = 22050\n')
    ada, marlow, quill = (casting.characters[n] for n in ("Ada", "Marlow", "Quill"))
    assert (ada.speed, marlow.speed, quill.speed) == (0.9, 1.1, 1.3)
    assert ada.gain == marlow.gain == -1.5
    assert (ada.option("sample_rate"), quill.option("sample_rate")) == (8000, 22050)


def test_timing_and_production_are_typed_once(tmp_path, registry, pool):
    from PIL import Image

    from radioplay.config import Production
    from radioplay.mix import Beds, Timing
    from radioplay.publish import EpisodeTags

    Image.new("RGB", (400, 400)).save(tmp_path / "art.png")
    config = load_config(write(tmp_path, '[timing]\nturn_gap = 0.5\ninterrupt_overlap = 1\n\n'
                                         '[production]\ntitle = "Ep"\nepisode = "3"\ncover = "art.png"\n'
                                         'room_tone = "pink"\nroom_tone_db = -50\nalbum = "Show"\n'),
                         parse_script(SCRIPT), registry, defaults_path=pool)
    assert config.timing == Timing(turn_gap=0.5, interrupt_overlap=1.0)
    assert config.production == Production(
        EpisodeTags(title="Ep", show="Show", episode=3, cover=str(tmp_path / "art.png")),
        Beds(room_tone="pink", room_tone_db=-50.0, sounds_dir=str(tmp_path)))
    assert config.casting.path == str(tmp_path / "cast.toml")


# --------------------------------------------------------------------------- errors with file and line

ERRORS = [
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\ncolour = "red"\n', 4, 1, "unknown key 'colour'"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\nsped = 1.1\n', 4, 1,
     "unknown key 'sped' (did you mean 'speed'?)"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\nsample_rate = 0\n', 4, 1,
     "tone option sample_rate = 0 is outside [8000, 192000]"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\nsample_rate = 8000.5\n', 4, 1,
     "sample_rate must be a whole number"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\ndelay = 0.5\n', 4, 1, "unknown key 'delay'"),
    ('[characters.Nobody]\nengine = "tone"\nsample_rate = "fast"\n', 3, 1, "sample_rate must be a whole number"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\ntemperature = 0.5\n', 4, 1, "unknown key 'temperature'"),
    ('[defaults.tone]\nsample_rat = 8000\n', 2, 1, "unknown key 'sample_rat' (did you mean 'sample_rate'?)"),
    ('[defaults.tnoe]\nsample_rate = 8000\n', 1, 1, "unknown engine 'tnoe' (did you mean 'tone'?)"),
    ('[characters.Ada]\nengine = "nope"\n', 2, 1, "engine 'nope'"),
    ('[characters.Ada]\nengine = "tone"\n  voice = "soprano"\n', 3, 3, "unknown voice 'soprano'"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\npan = 1.5\n', 4, 1, "pan = 1.5 is outside [-1, 1]"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\nspeed = "fast"\n', 4, 1, "speed must be a number"),
    ('[characters]\nAda = { engine = "tone", voice = "low", pan = -3 }\n', 2, 41, "pan = -3 is outside"),
    ('[characters.Ada]\nvoice = "low"\n', 2, 1, "gives a voice but no engine"),
    ('\n[cast]\nx = 1\n', 2, 1, "top level: unknown key 'cast'"),
    ('[timing]\nturn_gap = 0.3\nturn_gapp = 0.3\n', 3, 1,
     "[timing]: unknown key 'turn_gapp' (did you mean 'turn_gap'?)"),
    ('[timing]\nturn_gap = -1\n', 2, 1, "turn_gap = -1 is outside [0, 60]"),
    ('[timing]\nlead_in = 1e9\n', 2, 1, "lead_in = 1000000000.0 is outside [0, 60]"),
    ('[timing]\ntail = nan\n', 2, 1, "tail must be a finite number"),
    ('[production]\nepisode = "abc"\n', 2, 1, "[production] episode must be a whole number"),
    ('[production]\nepisode = "abc"\nroom_tone_db = 300\n', 2, 1, "episode must be a whole number"),  # file order
    ('[production]\nepisode = -2\n', 2, 1, "[production] episode = -2 is outside [0, 1000000]"),
    ('[production]\nroom_tone_db = "loud"\n', 2, 1, "room_tone_db must be a number in [-100, 0], not 'loud'"),
    ('[production]\nroom_tone_db = 300\n', 2, 1, "room_tone_db = 300 is outside [-100, 0]"),
    ('[production]\ntitel = "x"\n', 2, 1, "unknown key 'titel' (did you mean 'title'?)"),
    ('[production]\ndate = "last week"\n', 2, 1, "date must be an ISO 8601 date"),
    ('[production]\nroom_tone = "hum.wav"\n', 2, 1, "hum.wav: no such file"),
    ('[lexicon]\nfoo = ""\n', 2, 1, "lexicon entry 'foo' is empty"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\n\n[characters.ADA]\nengine = "tone"\nvoice = "mid"\n',
     5, 1, "cast twice"),
    ('[production]\ncover = "missing.png"\n', 2, 1, "missing.png: no such file"),
    ('[characters.Ada\nengine = "tone"\n', 1, 16, "invalid TOML"),
    ('[characters.Ada]\nengine = "tone"\nvoice = "low"\nvoice = "mid"\n', 4, 14, "invalid TOML"),
]


@pytest.mark.parametrize("text, line, col, message", ERRORS)
def test_errors_carry_file_line_and_column(tmp_path, registry, pool, text, line, col, message):
    with pytest.raises(CastError) as caught:
        cast(tmp_path, registry, pool, text)
    err = caught.value
    assert (err.path, err.line, err.col) == (str(tmp_path / "cast.toml"), line, col)
    assert message in err.reason
    assert str(err).startswith(f"{tmp_path / 'cast.toml'}:{line}:{col}: error: ")


def test_character_that_never_speaks_is_a_warning_with_its_line(tmp_path, registry, pool):
    casting = cast(tmp_path, registry, pool, '# cast\n\n[characters.Ada]\nengine = "tone"\nvoice = "low"\n\n'
                                             '[characters.Narrator]\nengine = "tone"\nvoice = "mid"\n')
    [warning] = casting.diagnostics
    assert warning.format() == (f"{tmp_path / 'cast.toml'}:7:1: warning: character 'Narrator' never speaks "
                                f"in <script>")


def test_missing_cast_file_is_an_input_error(tmp_path, registry, pool):
    from radioplay.errors import InputError

    with pytest.raises(InputError, match="no such file"):
        load_cast(tmp_path / "nope.toml", parse_script(SCRIPT), registry, defaults_path=pool)


def test_no_usable_pool_voice_is_a_clear_error(tmp_path, registry):
    pool = write(tmp_path, '[[autocast.voices]]\nengine = "piper"\nvoice = "joe"\n', "pool.toml")
    with pytest.raises(CastError, match="no voice available to auto-cast"):
        load_cast(None, parse_script(SCRIPT), registry, defaults_path=pool)


# --------------------------------------------------------------------------- the shipped files


@pytest.mark.parametrize("name", ["default.toml", "directions.toml", "spaces.toml"])
def test_package_copies_match_voices_folder(name):
    assert (REPO / "voices" / name).read_bytes() == (REPO / "radioplay" / "voice" / name).read_bytes()


def test_default_cast_casts_the_seed_as_a_female_and_male_pair(seed_path):
    from radioplay.parse import load_script

    registry = EngineRegistry.from_entry_points()
    casting = load_cast(None, load_script(seed_path), registry)
    simplicia, doomer = casting.characters["Simplicia"], casting.characters["Doomer"]
    genders = {v.name: v.gender for e in ("piper", "kokoro") for v in registry.get(e).voices()}
    assert {genders[simplicia.voice], genders[doomer.voice]} == {"female", "male"}
    assert simplicia.pan == -doomer.pan != 0
    assert default_cast_path().is_file()
    assert "Doomovitch" in casting.lexicon


@pytest.mark.parametrize("name", ["sample.md", "sample.fountain"])
def test_sample_cast_fits_both_sample_scripts(name):
    from radioplay.parse import load_script

    registry = EngineRegistry.from_entry_points()
    casting = load_cast(REPO / "voices" / "sample.toml", load_script(REPO / "scripts" / name), registry)
    assert not casting.diagnostics
    voices = {character_key(n): (s.engine, s.voice, s.pan) for n, s in casting.characters.items()}
    assert voices == {"ada": ("kokoro", "jf_gongitsune", -0.35), "marlow": ("piper", "joe", 0.35),
                      "quill": ("kokoro", "jm_kumo", 0.0)}


@pytest.mark.parametrize("text, line, message", [
    ('[characters.Ada]\nengine = "piper"\nvoice = "joe"\ntemperature = 0.7\n', 4,
     "unknown key 'temperature': not a character key nor an option of engine 'piper'"),
    ('[characters.Ada]\nengine = "piper"\nvoice = "joe"\nlength_scale = -3\n', 4,
     "piper option length_scale = -3 is outside [0.1, 10]"),
    ('[characters.Ada]\nengine = "piper"\nvoice = "joe"\nnoise_scale = "abc"\n', 4,
     "piper option noise_scale must be a number in [0, 2], not 'abc'"),
    ('[defaults.piper]\nnoise_w = 9\n\n[characters.Ada]\nengine = "tone"\nvoice = "low"\n', 2,
     "piper option noise_w = 9 is outside [0, 2]"),
    ('[characters.Ada]\nengine = "kokoro"\nvoice = "jm_kumo"\nvoices_file = 3\n', 4,
     "kokoro option voices_file must be a string"),
    ('[characters.Ada]\nengine = "kokoro"\nvoice = "af_heart"\n', 3, "unknown voice 'af_heart'"),
    ('[characters.Ada]\nengine = "piper"\nvoice = "voices/missing.onnx"\n', 3, "does not exist"),
])
def test_real_engines_reject_what_they_cannot_do(tmp_path, text, line, message):
    path = write(tmp_path, text)
    with pytest.raises(CastError) as caught:
        load_cast(path, parse_script(SCRIPT), EngineRegistry.from_entry_points())
    assert caught.value.line == line and message in caught.value.reason


def test_kokoro_blend_is_accepted(tmp_path):
    script = parse_script(SCRIPT)
    path = tmp_path / "c.toml"
    path.write_text('[characters.Ada]\nengine = "kokoro"\nvoice = "jf_gongitsune*0.7 + jm_kumo*0.3"\n',
                    encoding="utf-8")
    casting = load_cast(path, script, EngineRegistry.from_entry_points())
    assert casting.characters["Ada"].voice == "jf_gongitsune*0.7 + jm_kumo*0.3"
