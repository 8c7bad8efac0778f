"""The parse stage's entry points: choose the format, parse, and refuse scripts with nothing to say."""

from __future__ import annotations

import os
from pathlib import Path

from radioplay.errors import ScriptError
from radioplay.io import read_text
from radioplay.limits import Limits, check_cue_words
from radioplay.model import Script
from radioplay.parse.speech import source_text

FORMATS = ("markdown", "fountain")


def format_for(path: str | os.PathLike, format: str | None = None) -> str:
    """`format` if given, else by suffix: `.fountain` is Fountain, anything else Markdown."""
    if format is not None:
        name = format.lower()
        if name == "md":
            name = "markdown"
        if name not in FORMATS:
            raise ScriptError(f"unknown script format {format!r}; use one of: {', '.join(FORMATS)}", str(path))
        return name
    return "fountain" if Path(str(path)).suffix.lower() == ".fountain" else "markdown"


def parse_script(text: str, path: str = "<script>", format: str | None = None, limits: Limits | None = None) -> Script:
    """Parse script text. Raises ScriptError for an empty script, one with no spoken line, or a cue
    longer than `limits.cue_words` (default: Limits())."""
    kind = format_for(path, format)
    text = source_text(text)
    if not text.strip():
        raise ScriptError("empty script: there is nothing in it", path, 1, 1)
    try:
        if kind == "fountain":
            from radioplay.parse.fountain import parse_fountain
            script = parse_fountain(text, path)
        else:
            from radioplay.parse.markdown import parse_markdown
            script = parse_markdown(text, path)
    except RecursionError:
        raise ScriptError("the script is nested too deeply to parse", path, 1, 1) from None
    if not any(cue.kind == "line" for cue in script.cues):
        first = script.unspoken[0] if script.unspoken else None
        hint = (" (dialogue is written as **Name**: text)" if kind == "markdown"
                else " (dialogue is a CHARACTER NAME line followed by the speech)")
        raise ScriptError(f"no cues: nothing in the script is spoken{hint}", path,
                          first.line if first else 1, first.col if first else 1)
    check_cue_words(script, limits or Limits())
    return script


def load_script(path: str | os.PathLike, format: str | None = None, limits: Limits | None = None) -> Script:
    """Read and parse a script file (UTF-8; a BOM and CRLF line endings are fine), refusing one larger
    than `limits.script_mb`."""
    limits = limits or Limits()
    return parse_script(read_text(path, limits.script_bytes), str(path), format, limits)
