"""One sentence in one character's voice, heard by three recognizers over several tries: the cheap
way to tell whether a pronunciation (a lexicon entry, a speed) is clearer before rendering a
whole episode (README, "The check").

The character is cast as a render of SCRIPT would cast it (its cast file, else the default cast);
the sentence goes through its lexicon (plus any --lexicon entries) and the voice normalizer. Each
try is voiced alone (Piper: at each --seeds value; an engine without sampling noise: at the
character's speed times each --speeds value, as the check's retries vary it), padded with 0.3 s of
silence, and heard by Whisper base (bench/wer.py's settings: beam 5), Whisper tiny.en (the check's:
greedy, temperature 0) and PocketSphinx. Errors are bench/wer.py's plain word edits against the
sentence as written, summed over the tries.

    .venv/bin/python bench/sentence.py SCRIPT CHARACTER "TEXT" [--lexicon WORD=/IPA/ ...]
        [--seeds 0,1000,2000] [--speeds 1,0.97,1.03] [--recognizers base,tiny.en,pocketsphinx]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
from pathlib import Path

import numpy as np
from wer import model_folder, plain_words, word_errors  # bench/wer.py, beside this script

PAD_S = 0.3


def voiced_tries(script: Path, character: str, text: str, lexicon: dict[str, str], seeds: list[int],
                 speeds: list[float]) -> tuple[str, list[tuple[str, np.ndarray]]]:
    """The prepared text and [(label, 16 kHz samples)] for each try."""
    from radioplay.check.recognizer import to_16k
    from radioplay.check.stage import NOISELESS_ENGINES
    from radioplay.model import TakeRequest
    from radioplay.parse import load_script
    from radioplay.voice.cast import load_cast
    from radioplay.voice.cast_file import cast_beside
    from radioplay.voice.engines.base import EngineRegistry
    from radioplay.voice.lexicon import merge_lexicons
    from radioplay.voice.synthesize import voice_take
    from radioplay.voice.text import prepare_text

    registry = EngineRegistry.from_entry_points()
    casting = load_cast(cast_beside(script), load_script(script), registry)
    spec = casting.characters[character]
    spoken = prepare_text(text, merge_lexicons(casting.lexicon, dict(spec.lexicon), lexicon))
    request = TakeRequest(cue=0, part=0, segment=0, speaker=character, text=spoken, spec=spec,
                          speed=spec.speed, pitch=spec.pitch)
    variants = try_requests(request, spec.engine in NOISELESS_ENGINES, seeds, speeds)
    return spoken, [(label, to_16k(voice_take(registry, r))) for label, r in variants]


def try_requests(request, noiseless: bool, seeds: list[int], speeds: list[float]) -> list[tuple[str, object]]:
    """[(label, TakeRequest)]: one per seed, or for an engine without sampling noise (whose seed
    changes nothing) one per speed factor."""
    if noiseless:
        return [(f"speed x{f}", dataclasses.replace(request, speed=request.speed * f)) for f in speeds]
    return [(f"seed {s}", dataclasses.replace(request, seed=s)) for s in seeds]


def hearers(names: list[str]):
    """{name: samples -> text}."""
    out = {}
    for name in names:
        if name == "pocketsphinx":
            out[name] = _sphinx
            continue
        from faster_whisper import WhisperModel

        model = WhisperModel(str(model_folder(name)), device="cpu", compute_type="int8", local_files_only=True)
        beam = 5 if name == "base" else 1
        out[name] = lambda x, model=model, beam=beam: " ".join(
            s.text.strip() for s in model.transcribe(x, language="en", beam_size=beam, temperature=0.0,
                                                     condition_on_previous_text=False, vad_filter=False)[0])
    return out


def _sphinx(samples: np.ndarray) -> str:
    from pocketsphinx import Decoder

    decoder = Decoder(samprate=16_000, loglevel="FATAL")  # fresh: its mean normalization carries over
    decoder.start_utt()
    decoder.process_raw((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes(), full_utt=True)
    decoder.end_utt()
    hyp = decoder.hyp()
    return hyp.hypstr if hyp else ""


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("script", type=Path)
    parser.add_argument("character")
    parser.add_argument("text")
    parser.add_argument("--lexicon", action="append", default=[], help="WORD=/IPA/ or WORD=respelling (repeatable)")
    parser.add_argument("--seeds", default="0,1000,2000")
    parser.add_argument("--speeds", default="1,0.97,1.03")
    parser.add_argument("--recognizers", default="base,tiny.en,pocketsphinx")
    args = parser.parse_args(argv)
    lexicon = dict(entry.split("=", 1) for entry in args.lexicon)
    spoken, tries = voiced_tries(args.script, args.character, args.text, lexicon,
                                 [int(s) for s in args.seeds.split(",")], [float(f) for f in args.speeds.split(",")])
    reference = plain_words(args.text)
    pad = np.zeros(int(PAD_S * 16_000), np.float32)
    totals = dict.fromkeys(args.recognizers.split(","), 0)
    for name, hear in hearers(list(totals)).items():
        for label, samples in tries:
            heard = hear(np.concatenate([pad, samples, pad]))
            errors = word_errors(reference, plain_words(heard))
            totals[name] += errors
            print(f"  {name:12} {label:12} {errors} {heard!r}", flush=True)
    print(f"{spoken!r}: " + ", ".join(f"{name} {e}/{len(reference) * len(tries)}" for name, e in totals.items()))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()
