"""Plain word error counting for the benches: the independent measure listening.md describes, with
no forgiveness for names or joined compounds (radioplay.check.score has those, for the check)."""

from __future__ import annotations

from typing import Sequence


def word_errors(reference: Sequence[str], heard: Sequence[str]) -> int:
    """Substitutions + deletions + insertions (word-level Levenshtein distance)."""
    row = list(range(len(heard) + 1))
    for i, word in enumerate(reference, 1):
        previous, row[0] = row[0], i
        for j, other in enumerate(heard, 1):
            previous, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, previous + (word != other))
    return row[-1]
