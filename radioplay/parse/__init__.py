"""Parsing scripts: Markdown dialogue (the seed's conventions) and Fountain.

    parse_script(text, path="<script>", format=None) -> Script
    load_script(path, format=None) -> Script
"""

from radioplay.parse.api import load_script, parse_script

__all__ = ["parse_script", "load_script"]
