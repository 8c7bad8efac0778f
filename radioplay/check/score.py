"""Scoring a take: the word error rate between what a voice was given and what a recognizer heard.

Both sides go through one normalization (`words`): numbers spelled out by the voice normalizer
(and a number written in words without its "and": "one hundred and twelve" is "112"), lower
case, letters and apostrophes only, dashes to spaces. A word heard split in two or three that
join to it ("roleplay" as "role play"), or two heard as one, is not an error. Words a recognizer
cannot know (the characters' names, the lexicon's entries) are scored by sound: when their
metaphone key equals that of the one to three heard words aligned with them, they count as heard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable, Sequence

_WORD_RE = re.compile(r"[a-z']+")
MAX_SOUND_SPAN = 3
"""A name may be heard as up to this many words ("Doomovitch" as "duma of itch")."""


def words(text: str) -> list[str]:
    """Normalized words: numbers spelled out (the voice normalizer), lower case, letters and
    apostrophes only; dashes and other marks split words."""
    from radioplay.voice.numbers import without_number_and
    from radioplay.voice.text import normalize

    spoken = normalize(text).lower().replace("’", "'")
    return without_number_and([w.strip("'") for w in _WORD_RE.findall(spoken) if w.strip("'")])


def phonetic_key(word: str) -> str:
    import jellyfish

    return jellyfish.metaphone(word.replace("'", "")) if word else ""


def sound_words(names: Iterable[str]) -> frozenset[str]:
    """The normalized words of names and lexicon entries: scored by sound, not spelling."""
    out: set[str] = set()
    for name in names:
        out.update(words(name))
    return frozenset(out)


@dataclass(frozen=True)
class SoundMatch:
    """How one sound-scored word was scored."""

    word: str
    heard: str
    """The heard words aligned with it (joined by spaces; empty when nothing was)."""
    matched: bool
    how: str
    """"spelling" (heard as written), "joined" (heard split in words that join to it), "metaphone"
    (same key) or "missed"."""

    def to_dict(self) -> dict:
        return {"word": self.word, "heard": self.heard, "matched": self.matched, "how": self.how}


@dataclass(frozen=True)
class Score:
    reference: tuple[str, ...]
    heard: tuple[str, ...]
    errors: int
    """Substitutions + deletions + insertions after sound matching."""
    sound: tuple[SoundMatch, ...] = field(default=())
    name_errors: int = 0
    """Of `errors`, those on sound-scored words heard otherwise, with the words heard in their place."""

    @property
    def wer(self) -> float:
        if not self.reference:
            return 0.0 if not self.heard else 1.0
        return self.errors / len(self.reference)

    @property
    def wer_outside_names(self) -> float:
        """The WER without `name_errors`: what another try could change. A recognizer spells an
        invented name its own way however well it is voiced, so a take is not voiced again, nor
        flagged, for that alone."""
        if not self.reference:
            return self.wer
        return (self.errors - self.name_errors) / len(self.reference)

    def to_dict(self) -> dict:
        return {"wer": round(self.wer, 4), "wer_outside_names": round(self.wer_outside_names, 4),
                "errors": self.errors, "words": len(self.reference),
                "heard": " ".join(self.heard), "sound": [m.to_dict() for m in self.sound]}


Step = tuple[int, int, str]
"""One step of an alignment: reference words taken, heard words taken, how ("spelling",
"substitute", "delete", "insert", "joined", "metaphone")."""


def align(reference: Sequence[str], heard: Sequence[str],
          by_sound: frozenset[str] = frozenset()) -> tuple[int, list[Step]]:
    """The least-cost alignment of `heard` to `reference` (normalized words): its cost and its
    steps in order. A reference word in `by_sound` may also match one to MAX_SOUND_SPAN heard
    words at no cost when their joined metaphone key equals its own."""
    ref, hyp = list(reference), list(heard)
    n, m = len(ref), len(hyp)
    keys = {w: phonetic_key(w) for w in ref if w in by_sound}
    # cost[i][j]: edits to turn ref[:i] into hyp[:j]; back[i][j]: (di, dj, how) of the last step.
    cost = [[0] * (m + 1) for _ in range(n + 1)]
    back: list[list[tuple[int, int, str]]] = [[(0, 0, "")] * (m + 1) for _ in range(n + 1)]
    for j in range(1, m + 1):
        cost[0][j], back[0][j] = j, (0, 1, "insert")
    for i in range(1, n + 1):
        cost[i][0], back[i][0] = i, (1, 0, "delete")
        word = ref[i - 1]
        for j in range(1, m + 1):
            same = word == hyp[j - 1]
            best = (cost[i - 1][j - 1] + (0 if same else 1), (1, 1, "spelling" if same else "substitute"))
            for option in ((cost[i - 1][j] + 1, (1, 0, "delete")), (cost[i][j - 1] + 1, (0, 1, "insert"))):
                if option[0] < best[0]:
                    best = option
            for span in range(2, min(MAX_SOUND_SPAN, j) + 1):  # "roleplay" heard as "role play"
                if "".join(hyp[j - span:j]) == word and cost[i - 1][j - span] < best[0]:
                    best = (cost[i - 1][j - span], (1, span, "joined"))
            if i >= 2 and ref[i - 2] + word == hyp[j - 1] and cost[i - 2][j - 1] < best[0]:  # and back
                best = (cost[i - 2][j - 1], (2, 1, "joined"))
            if word in keys and not same and keys[word]:
                for span in range(1, min(MAX_SOUND_SPAN, j) + 1):
                    if phonetic_key("".join(hyp[j - span:j])) == keys[word] and cost[i - 1][j - span] < best[0]:
                        best = (cost[i - 1][j - span], (1, span, "metaphone"))
            cost[i][j], back[i][j] = best
    steps: list[Step] = []
    i, j = n, m
    while i > 0 or j > 0:
        steps.append(back[i][j])
        i, j = i - back[i][j][0], j - back[i][j][1]
    return cost[n][m], steps[::-1]


def score(reference: Sequence[str], heard: Sequence[str], by_sound: frozenset[str] = frozenset()) -> Score:
    """Word-level edit distance between `reference` and `heard` (normalized words), sound-scored
    words matched as `align` does."""
    ref, hyp = list(reference), list(heard)
    errors, steps = align(ref, hyp, by_sound)
    sound: list[SoundMatch] = []
    missed_name = [False] * len(steps)
    i = j = 0
    for n, (di, dj, how) in enumerate(steps):
        if di and ref[i + di - 1] in by_sound:
            matched = how in ("spelling", "metaphone", "joined")
            sound.append(SoundMatch(ref[i + di - 1], " ".join(hyp[j:j + dj]), matched, how if matched else "missed"))
            missed_name[n] = not matched
        i, j = i + di, j + dj
    return Score(tuple(ref), tuple(hyp), errors, tuple(sound), _name_errors(steps, missed_name))


def _name_errors(steps: list[Step], missed_name: list[bool]) -> int:
    """The errors of a missed name and of the words inserted right beside it ("Simplicia" heard as
    "some plus the": one substitution and two insertions)."""
    near_name = list(missed_name)
    for n, (di, _, how) in enumerate(steps):
        if how == "insert":
            before = next((m for m in range(n - 1, -1, -1) if steps[m][2] != "insert"), None)
            after = next((m for m in range(n + 1, len(steps)) if steps[m][2] != "insert"), None)
            near_name[n] = any(m is not None and missed_name[m] for m in (before, after))
    return sum(1 for n, (_, _, how) in enumerate(steps)
               if near_name[n] and how in ("substitute", "delete", "insert"))


def score_text(reference: str, heard: str, by_sound: frozenset[str] = frozenset()) -> Score:
    return score(words(reference), words(heard), by_sound)


def total_wer(scores: Iterable[Score]) -> float:
    """Errors over reference words, summed over lines (as jiwer does over a list)."""
    errors = total = 0
    for s in scores:
        errors += s.errors
        total += len(s.reference)
    return errors / total if total else 0.0
