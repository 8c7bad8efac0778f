"""The pronunciation lexicon: a word maps to a respelling or to IPA in /slashes/.

A character's lexicon is merged over the global one (the character wins). Entries match whole
words only, case-insensitively; a possessive ("Doomovitch's") still matches. IPA is emitted as
`[[...]]`, which engines pass through as raw phonemes.
"""

from __future__ import annotations

import re
from typing import Mapping

_PLACEHOLDER_BASE = 0xE000  # Unicode private use area: never in a script, kept by normalize()
_PLACEHOLDER_LIMIT = 0xF8FF


def is_ipa(value: str) -> bool:
    """True for a value written as /IPA/."""
    value = value.strip()
    return len(value) > 2 and value.startswith("/") and value.endswith("/")


def spoken_form(value: str) -> str:
    """What goes to the engine: a respelling as written, /IPA/ as [[IPA]]."""
    value = value.strip()
    return f"[[{value[1:-1].strip()}]]" if is_ipa(value) else value


def entry_problem(word: str, value: object) -> str | None:
    """Why a lexicon entry is unusable, or None when it is fine."""
    if not isinstance(value, str):
        return f"lexicon entry {word!r} must be a string (a respelling or /IPA/), not {type(value).__name__}"
    if not word.strip():
        return "lexicon entry with an empty word"
    if not value.strip() or value.strip() == "//":
        return f"lexicon entry {word!r} is empty"
    if "[[" in value or "]]" in value:
        return f"lexicon entry {word!r}: write IPA between slashes, /.../, not [[...]]"
    return None


def merge_lexicons(*lexicons: Mapping[str, str] | None) -> dict[str, str]:
    """Merge lexicons left to right; a later entry replaces an earlier one for the same word
    regardless of case (the character's lexicon goes last so it wins)."""
    merged: dict[str, tuple[str, str]] = {}
    for lexicon in lexicons:
        for word, value in (lexicon or {}).items():
            merged[_key(word)] = (word, value)
    return {word: value for word, value in merged.values()}


def _key(word: str) -> str:
    return " ".join(word.split()).casefold()


def _pattern(lexicon: Mapping[str, str]) -> re.Pattern | None:
    # Longest words first so "Simplicia Optimistovna" wins over "Simplicia".
    words = sorted({_key(w) for w in lexicon if w.strip()}, key=lambda w: (-len(w), w))
    if not words:
        return None
    alternatives = "|".join(r"\s+".join(re.escape(part) for part in w.split(" ")) for w in words)
    return re.compile(rf"(?<!\w)(?:{alternatives})(?!\w)", re.IGNORECASE)


def _replacement(match: re.Match, value: str) -> str:
    spoken = spoken_form(value)
    # A lowercase respelling at the start of a sentence keeps the sentence's capital.
    starts_sentence = not match.string[:match.start()].strip() or re.search(r"[.!?]\s*$", match.string[:match.start()])
    if not is_ipa(value) and starts_sentence and match.group(0)[:1].isupper() and spoken[:1].islower():
        spoken = spoken[:1].upper() + spoken[1:]
    return spoken


def apply_lexicon(text: str, lexicon: Mapping[str, str]) -> str:
    """Replace whole-word lexicon matches in `text` with their spoken forms."""
    pattern = _pattern(lexicon)
    if pattern is None:
        return text
    values = {_key(w): v for w, v in lexicon.items()}
    return pattern.sub(lambda m: _replacement(m, values[_key(m.group(0))]), text)


def protect(text: str, lexicon: Mapping[str, str]) -> tuple[str, list[str]]:
    """Like `apply_lexicon`, but each replacement becomes one private-use placeholder character,
    so later text processing cannot touch it; `restore` puts the replacements back."""
    pattern = _pattern(lexicon)
    replacements: list[str] = []
    if pattern is None:
        return text, replacements
    values = {_key(w): v for w, v in lexicon.items()}

    def hold(match: re.Match) -> str:
        spoken = _replacement(match, values[_key(match.group(0))])
        if spoken not in replacements:
            replacements.append(spoken)
        index = replacements.index(spoken)
        if _PLACEHOLDER_BASE + index > _PLACEHOLDER_LIMIT:
            return spoken  # more distinct entries in one segment than placeholders: unprotected
        return chr(_PLACEHOLDER_BASE + index)

    return pattern.sub(hold, text), replacements


def restore(text: str, replacements: list[str]) -> str:
    """Undo `protect`'s placeholders."""
    if not replacements:
        return text
    return re.sub("[\ue000-\uf8ff]", lambda m: replacements[ord(m.group(0)) - _PLACEHOLDER_BASE], text)
