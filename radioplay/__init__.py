"""radioplay: turn a written dialogue into a finished audio-drama episode.

The pipeline, importable stage by stage:

    parse -> cast -> synthesize -> mix -> master -> publish

`radioplay.pipeline.render` runs them all. Nothing heavy is imported here.
"""

__version__ = "0.1.0"

JSON_SCHEMA = 1
"""The `"schema"` of every JSON object radioplay prints or writes; raised when a field changes meaning."""


def code_digest(root: "str | None" = None) -> str:
    """sha256 of radioplay's own source that shapes a render (the site stage's pages do not): a
    change to the mixer or master must not reuse old outputs, and cluster workers must run the
    driver's code. `root`: the package folder (default: this one)."""
    import hashlib
    from pathlib import Path

    digest = hashlib.sha256()
    root = Path(root or Path(__file__).parent)
    for path in sorted(root.rglob("*")):
        relative = path.relative_to(root)
        if path.suffix in (".py", ".toml") and relative.parts[0] != "site":
            digest.update(str(relative).encode())
            digest.update(path.read_bytes())
    return digest.hexdigest()
