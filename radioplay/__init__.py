"""radioplay: turn a written dialogue into a finished audio-drama episode.

The pipeline, importable stage by stage:

    parse -> cast -> synthesize -> mix -> master -> publish

`radioplay.pipeline.render` runs them all. Nothing heavy is imported here.
"""

__version__ = "0.1.0"

JSON_SCHEMA = 1
"""The `"schema"` of every JSON object radioplay prints or writes; raised when a field changes meaning."""
