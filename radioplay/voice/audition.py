"""`radioplay audition`: each character's first lines in each candidate voice, on one page.

For every character the first lines adding up to about AUDITION_SECONDS of speech are voiced in
every candidate voice (each at its natural speed and pitch), through the take store exactly as a
render voices them, so a second audition reuses every take. The page (`index.html`, plain HTML, no
script, no external request) puts the takes side by side, with each voice's measured pitch (median
F0, YIN) and speed (words per minute of the take), and the cast TOML that picks it.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from radioplay.cache import TakeStore
from radioplay.errors import InputError
from radioplay.model import Casting, Script, VoiceSpec
from radioplay.voice.cast_file import character_toml
from radioplay.voice.directions import DirectionTable
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.synthesize import EngineSettings, plan_takes, synthesize_takes

AUDITION_SECONDS = 15.0
SPOKEN_CHARS_PER_SECOND = 14.0
"""About how fast the voices speak English; sizes the excerpt before anything is voiced."""
F0_RANGE = (60.0, 500.0)
"""Hz: speaking voices, from a low bass to a child."""
YIN_THRESHOLD = 0.15
GAP_SECONDS = 0.3


@dataclass(frozen=True)
class AuditionTake:
    spec: VoiceSpec
    file: str
    """Relative to the page."""
    seconds: float
    median_f0: float | None
    words_per_minute: float
    synthesized: int
    reused: int


@dataclass(frozen=True)
class CharacterAudition:
    name: str
    excerpt: Script
    words: int
    takes: tuple[AuditionTake, ...]


def candidate_voices(registry: EngineRegistry, listed: str | None) -> list[VoiceSpec]:
    """`listed` ("ENGINE:VOICE,ENGINE:VOICE") checked, else every voice of every engine that runs here."""
    from radioplay.voice.say import usable_voice

    if listed:
        specs = []
        for item in (part.strip() for part in listed.split(",")):
            if item:
                engine_name, voice = usable_voice(registry, item)
                specs.append(VoiceSpec(engine=engine_name, voice=voice))
        if not specs:
            raise InputError("--voices lists no voice; give ENGINE:VOICE,ENGINE:VOICE")
        return specs
    specs = []
    for name in registry.names():
        engine = registry.get(name)
        if name != "tone" and engine.unavailable_reason() is None:
            specs.extend(VoiceSpec(engine=name, voice=v.name) for v in engine.voices())
    if not specs:
        raise InputError("no voice engine runs here; give --voices ENGINE:VOICE")
    return specs


def first_lines(script: Script, name: str, seconds: float = AUDITION_SECONDS) -> Script:
    """A script of `name`'s first solo lines, stopping once they reach about `seconds` of speech."""
    cues, chars = [], 0.0
    for cue in script.cues:
        parts = [p for p in cue.parts if p.speaker == name]
        if cue.speakers != (name,) or not parts:
            continue
        text = " ".join(s.text for p in parts for s in p.segments).strip()
        if not text:
            continue
        cues.append(replace(cue, parts=tuple(parts)))
        chars += len(text)
        if chars >= seconds * SPOKEN_CHARS_PER_SECOND:
            break
    if not cues:  # only unison lines: take the first of those
        for cue in script.cues:
            parts = tuple(p for p in cue.parts if p.speaker == name)
            if parts:
                cues.append(replace(cue, speakers=(name,), parts=parts))
                break
    return Script(title=script.title, cues=cues, path=script.path)


def median_f0(samples: np.ndarray, rate: int) -> float | None:
    """Median fundamental frequency in Hz of the voiced frames (YIN: de Cheveigné and Kawahara
    2002, steps 2-5), or None when no frame is voiced."""
    x = np.asarray(samples, dtype=np.float64).reshape(-1)
    low, high = F0_RANGE
    tau_max = int(rate / low) + 1
    tau_min = max(2, int(rate / high))
    window = tau_max
    hop = max(1, int(rate * 0.01))
    if x.size < window + tau_max + 1:
        return None
    loudest = np.max(np.abs(x))
    if loudest == 0:
        return None
    starts = np.arange(0, x.size - window - tau_max, hop)
    size = 1 << int(np.ceil(np.log2(window + tau_max)))
    f0s = []
    for start in starts:
        frame = x[start:start + window + tau_max]
        if np.sqrt(np.mean(frame[:window] ** 2)) < loudest * 0.03:  # about -30 dB: silence, breaths
            continue
        spectrum_a = np.fft.rfft(frame[:window], size)
        spectrum_b = np.fft.rfft(frame, size)
        cross = np.fft.irfft(np.conj(spectrum_a) * spectrum_b, size)[:tau_max + 1]
        squares = np.concatenate(([0.0], np.cumsum(frame ** 2)))
        energy_a = squares[window]
        energy_b = squares[np.arange(tau_max + 1) + window] - squares[np.arange(tau_max + 1)]
        diff = energy_a + energy_b - 2 * cross
        diff[0] = 0.0
        cumulative = np.cumsum(diff[1:])
        normalized = np.ones_like(diff)
        normalized[1:] = diff[1:] * np.arange(1, tau_max + 1) / np.maximum(cumulative, 1e-12)
        below = np.nonzero(normalized[tau_min:tau_max] < YIN_THRESHOLD)[0]
        if below.size == 0:
            continue
        tau = tau_min + below[0]
        while tau + 1 < tau_max and normalized[tau + 1] < normalized[tau]:
            tau += 1  # down to the dip's bottom
        a, b, c = normalized[tau - 1], normalized[tau], normalized[tau + 1]
        shift = 0.5 * (a - c) / (a - 2 * b + c) if (a - 2 * b + c) != 0 else 0.0
        f0s.append(rate / (tau + shift))
    return float(np.median(f0s)) if f0s else None


def audition(script: Script, registry: EngineRegistry, voices: list[VoiceSpec], out_dir: Path,
             store: TakeStore, settings: EngineSettings, casting: Casting | None = None,
             seconds: float = AUDITION_SECONDS, jobs: int | None = 1) -> list[CharacterAudition]:
    """Voice every character's excerpt in every voice through `store`, write the clips under
    `out_dir/takes/`, and return what the page shows. `casting` (the script's cast) gives the
    pronunciations, so the takes are the ones a render with the chosen voice reuses."""
    from radioplay.publish import write_audio

    directions = DirectionTable.load(None)
    results = []
    for c, name in enumerate(script.speakers()):
        excerpt = first_lines(script, name, seconds)
        words = sum(len(s.text.split()) for cue in excerpt.cues for p in cue.parts for s in p.segments)
        takes = []
        own = casting.characters[name].lexicon if casting and name in casting.characters else ()
        for v, voice in enumerate(voices):
            spec = replace(voice, lexicon=own)
            trial = Casting(characters={name: spec}, lexicon=dict(casting.lexicon) if casting else {})
            plan = plan_takes(excerpt, trial, directions, registry, store)
            voiced = synthesize_takes(plan, store, registry, settings, jobs=jobs)
            rate = voiced[0].audio.sample_rate if voiced else 24_000
            gap = np.zeros(int(GAP_SECONDS * rate), np.float32)
            pieces = []
            for take in voiced:
                pieces += [take.audio.samples, gap]
            clip = np.concatenate(pieces[:-1]) if pieces else np.zeros(0, np.float32)
            spoken = sum(take.audio.samples.size for take in voiced) / rate
            file = f"takes/{c + 1:02d}-{_slug(name)}/{v + 1:02d}-{_slug(spec.engine + '-' + spec.voice)}.wav"
            (out_dir / file).parent.mkdir(parents=True, exist_ok=True)
            write_audio(out_dir / file, clip, rate)
            takes.append(AuditionTake(spec, file, clip.size / rate, median_f0(clip, rate),
                                      60.0 * words / spoken if spoken else 0.0,
                                      synthesized=len({t.key for t in voiced if not t.reused}),
                                      reused=sum(1 for t in voiced if t.reused)))
        results.append(CharacterAudition(name, excerpt, words, tuple(takes)))
    return results


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")[:40] or "x"


def audition_html(title: str, characters: list[CharacterAudition]) -> str:
    """The audition page: plain HTML and CSS, every text escaped, nothing fetched from elsewhere."""
    e = html.escape
    out = ["<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
           f"<title>Audition: {e(title)}</title>\n<style>\n"
           "body{font-family:system-ui,sans-serif;margin:1rem auto;max-width:72rem;padding:0 1rem;line-height:1.4}\n"
           ".takes{display:grid;grid-template-columns:repeat(auto-fill,minmax(16rem,1fr));gap:1rem}\n"
           "figure{margin:0;padding:.75rem;border:1px solid #bbb;border-radius:.5rem}\n"
           "figcaption{font-weight:bold}audio{width:100%}pre{background:#f4f4f4;padding:.5rem;overflow-x:auto}\n"
           "blockquote{margin:0 0 1rem;padding-left:1rem;border-left:3px solid #999}\n"
           "</style>\n</head>\n<body>\n<header><h1>Audition: " + e(title) + "</h1>\n"
           "<p>Each character's first lines in each candidate voice. Copy the cast snippet under the voice "
           "you choose into the cast file.</p></header>\n<main>\n"]
    for character in characters:
        slug = _slug(character.name)
        text = " ".join(s.text for cue in character.excerpt.cues for p in cue.parts for s in p.segments)
        out.append(f"<section aria-labelledby=\"c-{e(slug)}\">\n<h2 id=\"c-{e(slug)}\">{e(character.name)}</h2>\n"
                   f"<blockquote>{e(text)}</blockquote>\n<div class=\"takes\">\n")
        for take in character.takes:
            label = f"{take.spec.engine}:{take.spec.voice}"
            pitch = f"{take.median_f0:.0f} Hz" if take.median_f0 else "unvoiced"
            snippet = character_toml(character.name, take.spec)
            out.append(f"<figure>\n<figcaption>{e(label)}</figcaption>\n"
                       f"<audio controls preload=\"none\" src=\"{e(take.file)}\" "
                       f"aria-label=\"{e(character.name)} in {e(label)}\"></audio>\n"
                       f"<p>pitch {e(pitch)} (median F0) · {take.words_per_minute:.0f} words/min · "
                       f"{take.seconds:.1f} s</p>\n"
                       f"<pre><code>{e(snippet)}</code></pre>\n</figure>\n")
        out.append("</div>\n</section>\n")
    out.append("</main>\n</body>\n</html>\n")
    return "".join(out)


def write_audition(script: Script, registry: EngineRegistry, voices: list[VoiceSpec], out_dir: Path,
                   store: TakeStore, settings: EngineSettings, casting: Casting | None = None,
                   jobs: int | None = 1) -> tuple[Path, list[CharacterAudition]]:
    """Voice the audition and write `out_dir/index.html` beside its clips."""
    from radioplay.io import write_text_atomic

    characters = audition(script, registry, voices, out_dir, store, settings, casting, jobs=jobs)
    page = out_dir / "index.html"
    write_text_atomic(page, audition_html(script.title or Path(script.path).stem, characters))
    return page, characters
