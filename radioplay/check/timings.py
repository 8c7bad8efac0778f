"""The script's words timed by what the recognizer heard.

A transcript shows the words as written ("Doomovitch,"), not the recognizer's spellings ("duma of
itch"). Both sides are normalized and aligned as the score aligns them; each written word takes the
time of the heard words aligned with it, and a written word nothing was aligned with (a word the
voice dropped) shares the time between its timed neighbours.
"""

from __future__ import annotations

from typing import Sequence

from radioplay.check.packing import TimedWord
from radioplay.check.score import align, words


def written_timings(written: str, heard: Sequence[TimedWord],
                    by_sound: frozenset[str] = frozenset()) -> tuple[TimedWord, ...]:
    """Every written word of `written` (split at spaces, punctuation kept) with (start, end) in the
    heard words' time; a mark that says nothing ("—") rides with the word before it. Empty when
    nothing was heard. Starts never decrease and no word ends before it starts."""
    units: list[list[str]] = []  # written tokens shown together, and which of them are said
    said: list[list[str]] = []
    for token in written.split():
        spoken = words(token)
        if spoken or not units:
            units.append([token])
            said.append(spoken)
        else:
            units[-1].append(token)
    if not units or not heard:
        return ()
    ref, ref_unit = [], []
    for n, spoken in enumerate(said):
        ref += spoken
        ref_unit += [n] * len(spoken)
    hyp, hyp_word = [], []
    for n, (word, _, _) in enumerate(heard):
        for w in words(word):
            hyp.append(w)
            hyp_word.append(n)
    times: list[list[float] | None] = [None] * len(units)
    i = j = 0
    for di, dj, how in align(ref, hyp, by_sound)[1]:
        if di and dj:  # matched, substituted, joined: the heard words are this written word's time
            start = min(heard[hyp_word[k]][1] for k in range(j, j + dj))
            end = max(heard[hyp_word[k]][2] for k in range(j, j + dj))
            for unit in {ref_unit[k] for k in range(i, i + di)}:
                if times[unit] is None:
                    times[unit] = [start, end]
                else:
                    times[unit] = [min(times[unit][0], start), max(times[unit][1], end)]
        i, j = i + di, j + dj
    if all(t is None for t in times):
        return ()
    _fill_gaps(times)
    out: list[TimedWord] = []
    floor = 0.0
    for unit, (start, end) in zip(units, times):
        start = max(start, floor)
        floor = start
        out.append((" ".join(unit), round(start, 3), round(max(end, start), 3)))
    return tuple(out)


def _fill_gaps(times: list) -> None:
    """Give each run of untimed words an even share of the time between its timed neighbours."""
    n = len(times)
    k = 0
    while k < n:
        if times[k] is not None:
            k += 1
            continue
        run_end = k
        while run_end < n and times[run_end] is None:
            run_end += 1
        lo = times[k - 1][1] if k > 0 else times[run_end][0]
        hi = times[run_end][0] if run_end < n else times[k - 1][1]
        hi = max(hi, lo)
        step = (hi - lo) / (run_end - k)
        for m in range(k, run_end):
            times[m] = [lo + step * (m - k), lo + step * (m - k + 1)]
        k = run_end
