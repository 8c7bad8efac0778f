"""The whole pipeline as a library: parse -> cast -> synthesize -> mix -> master -> publish.

    prepared = prepare("scripts/sample.md", RenderOptions())
    for d in prepared.diagnostics: print(d.format())
    result = execute(prepared)

`prepare` is cheap (no model is loaded); it is what `--dry-run` shows. `execute` does the work.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from radioplay import JSON_SCHEMA, code_digest
from radioplay.cache import TakeStore, default_cache_dir
from radioplay.config import Production, script_sounds
from radioplay.check.stage import CheckOptions
from radioplay.errors import InputError, RadioplayError
from radioplay.io import check_writable, write_text_atomic
from radioplay.limits import Limits, check_episode_length, check_sound_lengths
from radioplay.mix.levels import LevelsMeter, episode_levels
from radioplay.mix.space import Heard
from radioplay.mix.spaces import SpaceTable, hear_script, off_mic_cues
from radioplay.mix.timing import Timing
from radioplay.model import Casting, Diagnostic, Episode, Script, Take, TakeRequest
from radioplay.narration import check_narrate, narrated_report, with_narrator
from radioplay.parse import load_script
from radioplay.parse.api import FORMATS
from radioplay.publish.audio import SUPPORTED_SUFFIXES, check_encoding
from radioplay.publish.delivery import CODEC_HEADROOM_DB, deliver_lossy, is_lossy
from radioplay.publish.outputs import OutputSet
from radioplay.publish.publication import Publication, checked_outputs
from radioplay.stream import Ahead, Tapped, as_source
from radioplay.values import Rule
from radioplay.voice.cast import load_config
from radioplay.voice.cast_file import cast_beside
from radioplay.voice.directions import DirectionTable
from radioplay.voice.engines.base import EngineRegistry
from radioplay.voice.engines.devices import check_requested
from radioplay.voice.synthesize import (EngineSettings, LocalExecutor, ProgressCallback, TakeExecutor, TakePlan,
                                        plan_takes, synthesize_takes, usable_cores)

STEREO_TARGET_LUFS = -16.0
MONO_TARGET_LUFS = -19.0
OPTION_RULES = {
    "sample_rate": Rule((int,), 8_000, 192_000),
    "loudness": Rule((float,), -50.0, -5.0),
    "true_peak": Rule((float,), -20.0, 0.0),
    "jobs": Rule((int,), 1, 256),
    "threads": Rule((int,), 1, 256),
    "seed": Rule((int,), 0, 2**63 - 1),
}
"""RenderOptions' numbers (None, where allowed, means the default); the bitrate depends on the format."""
# Rough real-time factors on a 2-core machine (offline-voices.md), for the plan's time estimate only.
ESTIMATED_RTF = {"piper": 0.09, "kokoro": 0.5, "tone": 0.001}
SPOKEN_CHARS_PER_SECOND = 14.0


@dataclass
class RenderOptions:
    output: Path | None = None
    """Episode path; the suffix picks the format. Default: output/<script stem>.mp3."""
    cast: Path | None = None
    format: str | None = None
    """"markdown" or "fountain"; default by the script's suffix."""
    directions: Path | None = None
    """A directions table that extends the built-in one."""
    device: str = "auto"
    jobs: int | None = None
    """Worker processes for synthesis; default: the usable cores."""
    threads: int | None = None
    """Threads per worker for the engines; default: measured best for the job count."""
    cache: Path | None = None
    sample_rate: int = 44_100
    mono: bool = False
    loudness: float | None = None
    """Target LUFS; default -16 for stereo, -19 for mono."""
    true_peak: float = -1.0
    bitrate: int | None = None
    """kbit/s for MP3 and Opus."""
    stems: Path | None = None
    timeline: Path | None = None
    report: Path | None = None
    seed: int = 0
    force: bool = False
    """Mix, master and publish even when the outputs are up to date."""
    limits: Limits = field(default_factory=Limits)
    """Script size, cue length, episode length and sound-file length bounds."""
    check: CheckOptions = field(default_factory=CheckOptions)
    """The offline recognizer check of new takes (on by default)."""
    executor: str = "local"
    """Where takes are voiced: "local" (this machine's process pool) or "ray" (a Ray cluster)."""
    ray_address: str | None = None
    """The Ray cluster to join (HEAD:PORT); None starts a local one."""
    narrate: str | None = None
    """"directions": a narrator reads the stage directions (radioplay.narration); "none": no
    narrator; None: as the cast file says (a [narrator] table turns it on)."""


@dataclass
class Prepared:
    """Everything decided before any audio is made."""

    script: Script
    casting: Casting
    directions: DirectionTable
    plan: TakePlan
    store: TakeStore
    registry: EngineRegistry
    settings: EngineSettings
    options: RenderOptions
    output: Path
    outputs: OutputSet
    """Every file the render writes, checked against its inputs and each other."""
    timing: Timing = field(default_factory=Timing)
    production: Production = field(default_factory=Production)
    sounds: tuple[Path, ...] = ()
    """Every sound file the episode is made from (SFX, beds, cover), resolved and checked."""
    seconds: dict[str, float] = field(default_factory=dict)
    auto_cast: tuple[str, ...] = ()
    """The characters the cast (if any) gave no voice, so the voice pool did."""
    spaces: dict[tuple[int, int, int], Heard] = field(default_factory=dict)
    """How each (cue, part, segment) is heard, where not on mic and dry (radioplay.mix.spaces)."""
    narrated: tuple[int, ...] = ()
    """The cues (stage directions) the narrator reads; empty when narration is off."""

    @property
    def diagnostics(self) -> list[Diagnostic]:
        return list(self.script.diagnostics) + list(self.casting.diagnostics) + list(self.plan.diagnostics)

    @property
    def to_synthesize(self) -> int:
        return len(self.plan.unique_missing)

    def estimated_seconds(self) -> float:
        """A rough synthesis-time estimate for the missing takes."""
        return estimated_synthesis_seconds([self.plan.requests[i] for i in self.plan.unique_missing], self.jobs)

    @property
    def jobs(self) -> int:
        return worker_count(self.options)


@dataclass
class RenderResult:
    episode: Episode | None
    """None when the outputs were already up to date and nothing was redone."""
    takes: list[Take]
    outputs: list[Path]
    report: dict
    check_diagnostics: list[Diagnostic] = field(default_factory=list)
    """Lines still over the check's threshold after their retries (warnings)."""


def estimated_synthesis_seconds(requests: list[TakeRequest], jobs: int) -> float:
    """Rough wall time to voice these (distinct, missing) takes on `jobs` workers."""
    total = 0.0
    for req in requests:
        audio_seconds = len(req.text) / SPOKEN_CHARS_PER_SECOND / max(req.speed, 0.1)
        total += audio_seconds * ESTIMATED_RTF.get(req.spec.engine, 1.0)
    return total / max(1, min(jobs, len(requests) or 1))


def default_output(script_path: Path) -> Path:
    return Path("output") / f"{script_path.stem}.mp3"


def worker_count(options: RenderOptions) -> int:
    return max(1, options.jobs or usable_cores())


def threads_per_worker(jobs: int) -> int:
    # Measured on 2 cores (README, "Performance"): one onnxruntime thread per worker process
    # beats fewer processes with more threads; a lone worker gets all the cores.
    return max(1, usable_cores() // jobs)


def prepare(script_path: str | Path, options: RenderOptions | None = None) -> Prepared:
    options = options or RenderOptions()
    started = time.perf_counter()
    script_path = Path(script_path)
    output = Path(options.output) if options.output else default_output(script_path)
    if output.suffix.lower() not in SUPPORTED_SUFFIXES:
        raise InputError(f"{output}: unknown audio format {output.suffix or '(no suffix)'!r}; "
                         f"use one of {', '.join(SUPPORTED_SUFFIXES)}")
    check_options(options, output)
    check_writable(output)
    script = load_script(script_path, options.format, options.limits)
    parsed = time.perf_counter()
    check_episode_length(script, options.limits)
    # A Ray worker holds one CPU of its node, so its engine gets one thread.
    threads = options.threads or (1 if options.executor == "ray" else threads_per_worker(worker_count(options)))
    settings = EngineSettings(device=options.device, threads=threads)
    registry = settings.registry()
    directions = DirectionTable.load(options.directions)
    if options.cast is None:  # a cast file beside the script is the script's cast
        options = dataclasses.replace(options, cast=cast_beside(script_path))
    config = load_config(options.cast, script, registry, narrate=options.narrate)
    # Heard before the narrator joins: scene directions still pick the rooms, and its lines stay dry.
    spaces = hear_script(script, config.spaces or SpaceTable.load())
    narration = with_narrator(script, config)
    script, spaces = narration.script, narration.moved_keys(spaces)
    sfx = script_sounds(script, Path(script.path).parent)
    check_sound_lengths([*sfx.values(), *config.production.bed_files()], options.limits)
    store = TakeStore(default_cache_dir(options.cache))
    store.check_writable()
    outputs = checked_outputs(output, script, config, sfx, options)
    plan = plan_takes(script, config.casting, directions, registry, store, seed=options.seed)
    prepared = Prepared(script, config.casting, directions, plan, store, registry, settings, options, output,
                        outputs,
                        timing=config.timing, production=config.production,
                        sounds=(*sfx.values(), *config.production.sound_files()), auto_cast=config.auto_cast,
                        spaces=spaces, narrated=narration.narrated)
    prepared.seconds["parse"] = parsed - started
    prepared.seconds["plan"] = time.perf_counter() - parsed
    return prepared


def check_options(options: RenderOptions, output: Path) -> None:
    """Every render option against its rule (OPTION_RULES) and the output format's encoder, so a
    bad value fails here, before the first take, and never reaches the mixer or master."""
    for name, rule in OPTION_RULES.items():
        value = getattr(options, name)
        if value is None and name in ("loudness", "jobs", "threads"):
            continue
        try:
            rule.check(value)
        except ValueError as exc:
            raise InputError(f"{name} {exc}") from None
    check_encoding(output, options.sample_rate, 1 if options.mono else 2, options.bitrate)
    check_requested(options.device)  # every engine would, but the tone engine never asks
    check_narrate(options.narrate)
    if options.format is not None and options.format not in FORMATS:
        raise InputError(f"format {options.format!r} is unknown; use one of {', '.join(FORMATS)}")


def plan_summary(prepared: Prepared) -> dict:
    """The --dry-run plan: each take, reused or synthesized, and an estimated time."""
    rows = []
    missing = set(prepared.plan.unique_missing)
    for i, (req, hit) in enumerate(zip(prepared.plan.requests, prepared.plan.cached)):
        cue = prepared.script.cues[req.cue]
        action = "reuse" if hit else ("synthesize" if i in missing else "duplicate")
        rows.append({"cue": req.cue, "line": cue.line, "sentence": req.sentence, "speaker": req.speaker, "engine": req.spec.engine,
                     "voice": req.spec.voice, "action": action, "text": req.text})
    return {"takes": rows, "synthesize": len(missing), "narrated": len(prepared.narrated),
            "reuse": sum(1 for r in rows if r["action"] == "reuse"),
            "estimated_seconds": round(prepared.estimated_seconds(), 1)}


def render_key(prepared: Prepared) -> str:
    """Everything that decides the published files: the takes, the script's layout, the cast's mix
    settings, the sound files, the options and radioplay's own code. Equal keys, equal files."""
    options, script, casting = prepared.options, prepared.script, prepared.casting
    settings = {k: str(v) for k, v in vars(options).items()
                if k not in ("jobs", "threads", "cache", "device", "report", "force", "limits", "executor",
                             "ray_address")}
    identity = {
        "code": code_digest(),
        "takes": prepared.plan.keys,
        "script": repr((script.title, script.cues, script.chapters)),
        "deliveries": repr(prepared.plan.deliveries),
        "spaces": repr(sorted(prepared.spaces.items())),
        "cast": repr((sorted(casting.characters.items()), prepared.timing, prepared.production)),
        "sounds": [prepared.store.file_digest(p) for p in prepared.sounds],
        "options": settings,
    }
    return hashlib.sha256(json.dumps(identity, sort_keys=True, default=str).encode()).hexdigest()


def execute(prepared: Prepared, on_take: ProgressCallback | None = None,
            executor: TakeExecutor | None = None) -> RenderResult:
    """Voice what is missing, mix, master and publish. When the outputs are already those of a render
    with the same inputs (and `force` is off), nothing is redone and the result has no episode.
    `executor` voices the takes (default: the local process pool, or the one `options.executor` names)."""
    from radioplay.publish.manifest import up_to_date_report

    key = render_key(prepared)
    if not prepared.options.force:
        previous = up_to_date_report(prepared.outputs, key)
        if previous is not None:
            return up_to_date_result(prepared, previous, on_take)
    with open_executor(prepared, executor) as voicing:
        return _render(prepared, key, on_take, voicing)


@contextmanager
def open_executor(prepared: Prepared, executor: TakeExecutor | None = None) -> Iterator[TakeExecutor]:
    """The executor `options.executor` names, open for the length of the block (a Ray driver
    connects, and disconnects afterwards); a given executor is used as it is."""
    if executor is not None:
        yield executor
        return
    options = prepared.options
    if options.executor == "local":
        yield LocalExecutor(prepared.settings, prepared.jobs, prepared.registry)
        return
    if options.executor != "ray":
        raise InputError(f"unknown executor {options.executor!r}; use local or ray")
    from radioplay.voice.ray_executor import RayExecutor

    with RayExecutor(prepared.settings, address=options.ray_address, workers=options.jobs,
                     engine_devices={name: prepared.registry.get(name).device()
                                     for name in {r.spec.engine for r in prepared.plan.requests}}) as ray_executor:
        yield ray_executor


def up_to_date_result(prepared: Prepared, previous: dict, on_take: ProgressCallback | None) -> RenderResult:
    if on_take:
        for request in prepared.plan.requests:
            on_take(request, True)
    seconds = {k: 0.0 for k in ("synthesize", "check", "mix", "master", "export", "delivery_check")}
    seconds["parse"] = prepared.seconds.get("parse", 0.0)
    seconds["plan"] = prepared.seconds.get("plan", 0.0)
    seconds["total"] = seconds["parse"] + seconds["plan"]
    report = {**previous, "schema": JSON_SCHEMA, "synthesized": 0, "reused": len(prepared.plan.requests), "up_to_date": True,
              "seconds": {k: round(v, 3) for k, v in seconds.items()}}
    diagnostics = []
    if isinstance(previous.get("check"), dict):
        from radioplay.check.stage import flagged_diagnostics

        report["check"] = {**previous["check"], "transcriptions": 0, "retried": 0, "heard_alone": 0}
        diagnostics = flagged_diagnostics(previous["check"].get("takes", []), prepared.script.path)
    if prepared.options.report:
        write_text_atomic(prepared.options.report, json.dumps(report, indent=2) + "\n")
    return RenderResult(None, [], [], report, diagnostics)


def mix_prepared(prepared: Prepared, takes: list[Take], leveling: str | None = "line"):
    """The mix stage with the cast's timing and beds (`leveling`: see radioplay.mix.levels)."""
    from radioplay.mix import mix

    return mix(prepared.script, takes, prepared.casting, prepared.plan.deliveries, prepared.timing,
               sample_rate=prepared.options.sample_rate, channels=1 if prepared.options.mono else 2,
               base_dir=Path(prepared.script.path).parent, beds=prepared.production.beds,
               silent=prepared.plan.silent, leveling=leveling, spaces=prepared.spaces)


def _render(prepared: Prepared, key: str, on_take: ProgressCallback | None,
            executor: TakeExecutor | None = None) -> RenderResult:
    started = time.perf_counter() - prepared.seconds.get("parse", 0.0) - prepared.seconds.get("plan", 0.0)
    t = time.perf_counter()
    takes = synthesize_takes(prepared.plan, prepared.store, prepared.registry, prepared.settings,
                             jobs=prepared.jobs, on_take=on_take, executor=executor)
    prepared.seconds["synthesize"] = time.perf_counter() - t
    return finish(prepared, takes, key, started)


def finish(prepared: Prepared, takes: list[Take], key: str, started: float) -> RenderResult:
    """Check, mix, master and publish an episode whose takes all exist (always on the driver);
    `key` is its render_key, `started` when its render began (perf_counter)."""
    from radioplay.master import master_stream
    from radioplay.mix import chapter_timings, cue_timings

    options, seconds = prepared.options, prepared.seconds
    t = time.perf_counter()
    checked = run_check(prepared, takes) if options.check.enabled else None
    if checked is not None:
        takes = checked.takes
    seconds["check"] = time.perf_counter() - t

    t = time.perf_counter()
    mixed = mix_prepared(prepared, takes)
    cues = cue_timings(prepared.script, mixed)
    chapters = chapter_timings(prepared.script, mixed, cues)
    seconds["mix"] = time.perf_counter() - t

    t = time.perf_counter()
    target = options.loudness if options.loudness is not None else (
        MONO_TARGET_LUFS if options.mono else STEREO_TARGET_LUFS)
    lossy = is_lossy(prepared.output)
    ceiling = options.true_peak - (CODEC_HEADROOM_DB if lossy else 0.0)
    # A lossy file is decoded and measured after encoding (publish.delivery): no need to measure twice.
    # Streamed: the master measures the mix in passes over its blocks, and the encoder pulls the
    # mastered blocks; no episode-sized buffer exists at any length. The master's last measuring
    # pass is the encoder's (publish settles it).
    mastered = master_stream(mixed.source, mixed.sample_rate, target_lufs=target, true_peak_db=ceiling,
                             measure=not lossy, settle=False)
    episode = Episode(mastered, mixed.sample_rate, prepared.script.title, cues, chapters,
                      loudness=mastered.loudness, true_peak=mastered.true_peak)
    seconds["master"] = time.perf_counter() - t

    t = time.perf_counter()
    with Publication(prepared.outputs) as publication:
        levels = publish(prepared, episode, mixed, target, publication)
        seconds["export"] = time.perf_counter() - t
        seconds["total"] = time.perf_counter() - started
        report = _report(prepared, takes, episode, levels, checked)
        outputs = publication.commit(key, report)
    return RenderResult(episode, takes, outputs, report, checked.diagnostics if checked else [])


def _report(prepared: Prepared, takes: list[Take], episode: Episode, levels: dict, checked=None) -> dict:
    seconds = prepared.seconds
    synthesized = len({take.key for take in takes if not take.reused})
    report = {
        "schema": JSON_SCHEMA,
        "cues": len(prepared.script.lines),
        "synthesized": synthesized,
        "reused": len(takes) - sum(1 for take in takes if not take.reused),
        "takes": len(takes),
        "audio_seconds": round(episode.duration, 3),
        "loudness": round(episode.loudness, 2),
        "true_peak": round(episode.true_peak, 2),
        "levels": levels,
        "seconds": {k: round(seconds.get(k, 0.0), 3)
                    for k in ("parse", "plan", "synthesize", "check", "mix", "master", "export", "delivery_check", "total")},
        "output": str(prepared.output),
        "up_to_date": False,
        "damaged_takes": [str(problem) for problem in prepared.store.problems],
        "devices": {name: prepared.registry.get(name).device()
                    for name in sorted({take_req.spec.engine for take_req in prepared.plan.requests})},
    }
    if prepared.narrated:
        report["narrated"] = narrated_report(prepared.script, prepared.narrated)
    if checked is not None:
        options = prepared.options.check
        report["check"] = {"threshold": options.threshold, "retries": options.retries,
                           "transcriptions": checked.transcriptions, "retried": checked.retried,
                           "heard_alone": checked.heard_alone,
                           "flagged": len(checked.diagnostics),
                           "takes": checked.report(prepared.plan.requests, prepared.plan.keys, prepared.script)}
    return report


def run_check(prepared: Prepared, takes: list[Take], recognizer=None):
    """The check stage over the synthesized takes: new takes are transcribed in this process (one
    model load), failing ones voiced again through the same synthesis path."""
    from radioplay.check import WhisperRecognizer, check_takes, names_to_score_by_sound
    from radioplay.check.stage import NOISELESS_ENGINES

    options = prepared.options.check
    if recognizer is None:
        recognizer = WhisperRecognizer(options.model, threads=usable_cores())

    def voice_many(requests, keys):
        plan = TakePlan(requests, keys, [prepared.store.has(k) for k in keys], [])
        return [take.audio for take in synthesize_takes(plan, prepared.store, prepared.registry,
                                                        prepared.settings, jobs=prepared.jobs)]

    def engine(name: str):
        return prepared.registry.get(name)

    return check_takes(takes, prepared.plan.requests, prepared.store, recognizer, voice_many, options,
                       names_to_score_by_sound(prepared.casting), prepared.script,
                       noiseless=lambda name: not getattr(engine(name), "seeded", name not in NOISELESS_ENGINES),
                       speaks=lambda name: getattr(engine(name), "speaks", True))


def publish(prepared: Prepared, episode: Episode, mixed, target_lufs: float, publication) -> dict:
    """Write the episode, its transcripts and chapters, and the stems and timeline asked for, into
    `publication` (a radioplay.publish.publication.Publication), which publishes them as one set.
    Returns the report's `levels`, measured on the episode as it was last encoded."""
    from radioplay.master.streaming import settling_pass
    from radioplay.publish import draw_timeline, write_audio
    from radioplay.publish.outputs import sidecar_path
    from radioplay.publish.transcript import chapters_json_text, srt_text, vtt_text

    options, out = prepared.options, prepared.output
    tags = prepared.production.tags
    tags = dataclasses.replace(tags, title=tags.title or episode.title)
    episode_file = publication.path(out)

    meters: list[LevelsMeter] = []

    def write(samples) -> None:
        # The report's levels are measured from the blocks the encoder pulls: no second pass. The
        # blocks (mix, master, meters) are made on a worker while the encoder takes the ones made.
        source = as_source(samples)
        meters.append(LevelsMeter(prepared.script, episode.cues, episode.sample_rate, source.channels,
                                  source.frames, off_mic_cues(prepared.spaces)))
        with publication.writing(out, f"encode {out.suffix[1:].upper()}"):
            write_audio(episode_file, Ahead(Tapped(source, meters[-1].feed)), episode.sample_rate, tags=tags,
                        chapters=episode.chapters, bitrate=options.bitrate,
                        base_dir=Path(prepared.script.path).parent, atomic=False)

    mastered = episode.samples
    if getattr(mastered, "settled", True):
        write(mastered)
    else:
        # the master's last measuring pass rides along the encoder's (again, should the master change it)
        settling_pass(mastered, write)
        episode.loudness, episode.true_peak = mastered.loudness, mastered.true_peak
    if is_lossy(out):
        started = time.perf_counter()
        deliver_lossy(episode_file, episode, target_lufs, options.true_peak, write)
        prepared.seconds["delivery_check"] = time.perf_counter() - started
    publication.write_text(sidecar_path(out, ".vtt"), vtt_text(episode.cues))
    publication.write_text(sidecar_path(out, ".srt"), srt_text(episode.cues))
    publication.write_text(sidecar_path(out, ".chapters.json"), chapters_json_text(episode.chapters, episode.title))
    if options.stems:
        publication.write_stems({name: mixed.stems.source(name) for name in mixed.stems}, mixed.sample_rate)
    if options.timeline:
        with publication.writing(options.timeline) as timeline_file:
            draw_timeline(timeline_file, episode.cues, episode.chapters, episode.duration,
                          title=episode.title, atomic=False)
    if meters and meters[-1].complete:
        return meters[-1].result()
    # An encoder that did not pull the episode once, in order: measure it again.
    return episode_levels(episode.samples, episode.sample_rate, prepared.script, episode.cues,
                          off_mic_cues(prepared.spaces))


def render(script_path: str | Path, options: RenderOptions | None = None,
           on_take: ProgressCallback | None = None) -> RenderResult:
    """Parse, cast, synthesize, mix, master and publish in one call."""
    return execute(prepare(script_path, options), on_take=on_take)


__all__ = ["RenderOptions", "Prepared", "RenderResult", "prepare", "execute", "render", "plan_summary",
           "RadioplayError"]
