"""Text for the voice: the spoken form of a segment, the same for every engine.

`normalize` writes out what a speaker would say (numbers, money, acronyms, abbreviations) and
turns typography into pauses (dashes, ellipses, brackets) so that no engine ever reads
punctuation aloud. Numbers and the forms built from them (dates, clock times, units, money,
phone numbers, versions, Roman numerals after names) are read by `radioplay.voice.numbers`.
`prepare_text` applies the pronunciation lexicon first and protects its replacements from
normalization.

Acronyms that are spelled out are written with dots between the letters ("L.L.M"): every
espeak-ng based front end (Piper, Kokoro through Piper's phonemizer, Coqui VITS) then names each
letter, whereas spaced capitals break on "A" (read as the article) and bare capitals are
sometimes pronounced as a word ("SHA"). A plural or possessive keeps the joined form ("LLMs",
"AI's"), which espeak reads as "el el emz"; dotted, it reads "ess" or even "dot".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Mapping

from radioplay.voice.lexicon import protect, restore
from radioplay.voice.numbers import (NUMBER, cardinal, decade, decimal, digits, identifier_number, ordinal,
                                     spoken_forms, year)

__all__ = ["cardinal", "decade", "digits", "identifier_number", "normalize", "ordinal", "prepare_text",
           "spell", "year"]


# Acronyms that people say as a word (the rest are spelled).
_SAID_AS_WORDS = frozenset("""NASA NATO MIRI UNESCO UNICEF FIFA LASER RADAR SCUBA COVID OPEC GIF AIDS
    ASCII CAPTCHA SIM PIN RAM ROM LAN WAN SWAT NAFTA NIMBY POSIX TOML YAML JSON WASM GNU""".split())
# Ordinary words that writers put in capitals for emphasis; read as words, not letters.
_EMPHASIS_WORDS = frozenset("""NO NOT YES STOP NOW NEVER ALL WHAT WHY HOW WHO HELP GO WAIT LOOK
    OH AH HEY THE AND BUT OR IS ARE WAS WE YOU HE SHE IT THEY ME MY THIS THAT THERE HERE
    REALLY VERY SO DO DON'T CAN'T WON'T IS HAVE HAS BE ON IN OF TO FOR AT""".split())
_ROMAN = re.compile(r"^(?=[IVXLC]{2,}$)C{0,3}(XC|XL|L?X{0,3})(IX|IV|V?I{0,3})$")
_VOWELS = set("AEIOU")

_ABBREVIATIONS: tuple[tuple[str, str, bool], ...] = (
    # (pattern, spoken, may end a sentence: keep the full stop before a capital or at the end)
    (r"\be\.\s?g\.", "for example", True),
    (r"\bi\.\s?e\.", "that is", True),
    (r"\betc\.", "et cetera", True),
    (r"&c\.", "et cetera", True),
    (r"\bvs\.?(?=\s)", "versus", False),
    (r"\bcf\.", "compare", False),
    (r"\bapprox\.", "approximately", False),
    (r"\bdept\.", "department", False),
    (r"\bDr\.(?=\s+[A-Z])", "Doctor", False),
    (r"\b([A-Z][a-z]+) Dr\.", r"\1 Drive", True),  # Mulholland Dr.
    (r"\bDr\.(?=\s)", "Doctor", False),
    (r"\bMrs\.(?=\s)", "Missus", False),
    (r"\bMr\.(?=\s)", "Mister", False),
    (r"\bMs\.(?=\s)", "Miz", False),
    (r"\bProf\.(?=\s)", "Professor", False),
    (r"\bRev\.(?=\s+[A-Z])", "Reverend", False),
    (r"\bGen\.(?=\s+[A-Z])", "General", False),
    (r"\bCapt\.(?=\s+[A-Z])", "Captain", False),
    (r"\bLt\.(?=\s+[A-Z])", "Lieutenant", False),
    (r"\bSgt\.(?=\s+[A-Z])", "Sergeant", False),
    (r"\bCol\.(?=\s+[A-Z])", "Colonel", False),
    # St. is Street after an address (221 Baker St.) or before anything but a name, else Saint.
    (r"\b(\d+[A-Za-z]? [A-Z][a-z]+) St\.", r"\1 Street", True),
    (r"\bSt\.(?=\s+[A-Z])", "Saint", False),
    (r"\bSt\.", "Street", True),
    (r"\bAve\.", "Avenue", True),
    (r"\bBlvd\.", "Boulevard", True),
    (r"\bMt\.(?=\s+[A-Z])", "Mount", False),
    (r"\bInc\.", "Incorporated", True),
    (r"\bLtd\.", "Limited", True),
    (r"\bCorp\.", "Corporation", True),
    (r"\bJr\.", "Junior", True),
    (r"\bSr\.", "Senior", True),
    (r"\b[Nn]o\.(?=\s*\d)", "number", False),
    (r"\b[Nn]os\.(?=\s*\d)", "numbers", False),
    (r"\bvol\.(?=\s*\d)", "volume", False),
    (r"\bfig\.(?=\s*\d)", "figure", False),
    (r"\bca?\.(?=\s*\d)", "circa", False),
    (r"\ba\.m\.", "A.M", True),
    (r"\bp\.m\.", "P.M", True),
)


# --------------------------------------------------------------------------- numbers


def _number(match: re.Match) -> str:
    text = match.group(0)
    plain = text.replace(",", "")
    if "." not in plain and len(plain) == 4 and 1000 <= int(plain) <= 2099 and "," not in text:
        said = year(int(plain))
    elif len(plain) > 1 and plain.startswith("0") and not plain.startswith("0."):
        said = digits(plain)  # 007, 05: a code, said digit by digit
    else:
        said = decimal(text)
    # A number inside a word (3D, word2vec) is a word of its own.
    before, after = match.string[match.start() - 1:match.start()], match.string[match.end():match.end() + 1]
    return (" " if before.isalpha() else "") + said + (" " if after.isalpha() else "")


def _identifier(match: re.Match) -> str:
    letters, number, suffix = match.group(1), match.group(2), match.group(3) or ""
    name = letters.capitalize() if _said_as_word(letters) else spell(letters)
    return f"{name} {identifier_number(number)}" + (suffix if suffix == "s" else f" {suffix}" if suffix else "")


_SPACED_IDENTIFIER = re.compile(r"\b([A-Z]{2,}) (\d{3})()\b(?![.,]\d|\s?(?:%|[kKMB]\b|thousand|million|billion|trillion|percent))")
"""An acronym, a space and a three-digit number ("SHA 256"): the same name as "SHA-256", said the
same way ("S.H.A two fifty-six"), not as an amount ("two hundred fifty-six"); not before a
magnitude or a percent ("GDP 350 billion")."""


def _spaced_identifier(match: re.Match) -> str:
    letters = match.group(1)
    if _ROMAN.match(letters) or letters in _EMPHASIS_WORDS:
        return match.group(0)
    return _identifier(match)


# --------------------------------------------------------------------------- acronyms


def spell(letters: str) -> str:
    """An acronym said letter by letter, written so espeak-style front ends name each letter."""
    return ".".join(letters)


def _said_as_word(word: str) -> bool:
    if word in _SAID_AS_WORDS:
        return True
    if len(word) < 4:
        return False
    vowels = sum(c in _VOWELS for c in word)
    # Pronounceable: at least two vowels and never three consonants in a row (MIRI, OPEC, not HTTP).
    return vowels >= 2 and not re.search(r"[^AEIOUY]{3}", word)


def _acronym(match: re.Match) -> str:
    word, plural = match.group(1), match.group(2) or ""
    if _ROMAN.match(word) or word in _EMPHASIS_WORDS or "'" in word:
        return match.group(0)
    if _said_as_word(word):
        return word.capitalize() + plural
    return (word + plural) if plural else spell(word)


# --------------------------------------------------------------------------- the passes


def _expand_abbreviations(text: str) -> str:
    for pattern, spoken, can_end in _ABBREVIATIONS:
        def replace(m: re.Match, spoken=spoken, can_end=can_end) -> str:
            rest = m.string[m.end():]
            ends_sentence = can_end and (not rest.strip() or re.match(r"\s+[A-Z\"“]", rest))
            return m.expand(spoken) + ("." if ends_sentence else "")
        text = re.sub(pattern, replace, text, flags=re.IGNORECASE if pattern[2:3].islower() else 0)
    # U.S., U.K.: dotted capitals read as a spelled acronym; the last stop stays only where a
    # sentence may end.
    return re.sub(r"\b((?:[A-Z]\.){1,}[A-Z])\.(?!\w)", lambda m: m.group(1) + (
        "." if re.match(r"\s*(?:$|[A-Z])", m.string[m.end():]) else ""), text)


def _straighten_quotes(text: str) -> str:
    text = re.sub(r"[“”„«»\"]", "", text)
    text = re.sub(r"[‘’‚`´]", "'", text)
    # A single quote is kept only as an apostrophe inside a word (don't, Doomer's).
    return re.sub(r"(?<![\w\ue000-\uf8ff])'|'(?![\w\ue000-\uf8ff])", "", text)


def _numbers(text: str) -> str:
    text = spoken_forms(text)
    text = re.sub(r"\b([A-Z]+)-?(\d+(?:\.\d+)?)(s|[a-z])?\b", _identifier, text)  # GPT-4, SHA-256, A4, GPT-4o
    text = re.sub(_SPACED_IDENTIFIER, _spaced_identifier, text)  # SHA 256 as SHA-256
    text = re.sub(rf"({NUMBER})(?:\s?[–-]\s?({NUMBER}))?\s?%",
                  lambda m: decimal(m.group(1)) + (f" to {decimal(m.group(2))}" if m.group(2) else "") + " percent",
                  text)
    text = re.sub(r"\b(\d+)(?:st|nd|rd|th)\b", lambda m: ordinal(int(m.group(1))), text)
    text = re.sub(rf"\b({NUMBER})\s?[–-]\s?({NUMBER})\b", r"\1 to \2", text)
    text = re.sub(r"(?<![\w.])-(?=\d)", "minus ", text)
    text = re.sub(rf"({NUMBER})x\b", r"\1 times", text)  # 100x faster
    return re.sub(NUMBER, _number, text)


def _pauses(text: str) -> str:
    text = re.sub(r"(?:\.\s?){3,}|…", "\u2026", text)
    text = re.sub(r"\u2026(?=\s*(?:$|[A-Z]))", ". ", text)  # an ellipsis before a new sentence ends it
    text = text.replace("\u2026", ", ")
    text = re.sub(r"\s*(?:—|―|--+|\s–\s|\s-\s)\s*", ", ", text)
    text = re.sub(r"\s*[(\[{]\s*", " ", text)  # the pause goes after a bracketed aside, not before
    text = re.sub(r"\s*[)\]}]\s*", ", ", text)
    return text


def _symbols(text: str) -> str:
    text = text.replace("&", " and ")
    text = re.sub(r"\band/or\b", "and or", text)
    text = re.sub(r"(?<=[A-Za-z])/(?=[A-Za-z])", " or ", text)
    text = re.sub(r"(?<=\d)\s*[x×]\s*(?=\d)", " by ", text)
    for symbol, word in (("+", "plus"), ("=", "equals"), ("@", "at"), ("°", "degrees"), ("×", "times")):
        text = text.replace(symbol, f" {word} ")
    text = re.sub(r"#(?=\d)", "number ", text)
    text = re.sub(r"~(?=\s?\d)", "about ", text)
    text = re.sub(r"(?<=\w)_(?=\w)", " ", text)
    # Anything else that is not a letter, digit, apostrophe, hyphen, pause or a protected
    # lexicon entry is never read aloud.
    return re.sub(r"[^\w\s.,!?;:'\-\ue000-\uf8ff]|_", " ", text)


def _tidy(text: str) -> str:
    text = re.sub(r"(?<![\w\ue000-\uf8ff])-+|-+(?![\w\ue000-\uf8ff])", " ", text)  # stray hyphens
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\s+([.,!?;:])", r"\1", text)
    text = re.sub(r"[.,!?;:](?:\s*[.,!?;:])+", _strongest_stop, text)
    text = re.sub(r"([,!?;:])(?=[^\s\d.,!?;:])", r"\1 ", text)
    text = re.sub(r"^[\s.,;:!?]+", "", text)
    text = re.sub(r"[\s,;:]+$", "", text)
    return text.strip()


def _strongest_stop(match: re.Match) -> str:
    """A run of pauses and stops becomes the strongest of them: "?" > "!" > "." > ";" > ":" > ","."""
    run = match.group(0)
    return next(mark for mark in "?!.;:," if mark in run)


def normalize(text: str) -> str:
    """The spoken form of `text` for any engine.

    >>> normalize("GPT-4 costs $5 — in 1990, e.g., 50% more…")
    'G.P.T four costs five dollars, in nineteen ninety, for example, fifty percent more.'
    """
    text = _straighten_quotes(text)
    text = _expand_abbreviations(text)
    text = _numbers(text)
    text = re.sub(r"\bOK\b", "okay", text)
    # A word that ends in an acronym is the word and the acronym: OpenAI, ChatGPT, MySQL, macOS
    text = re.sub(r"\b([A-Z][a-z]+|[a-z]{2,})(?=[A-Z]{2,}(?:'s|s)?\b)", r"\1 ", text)
    text = re.sub(r"\b([A-Z]{2,}(?:'[A-Z]+)?)('s|s)?\b", _acronym, text)
    text = _pauses(text)
    text = _symbols(text)
    return _tidy(text)


def prepare_text(text: str, lexicon: Mapping[str, str]) -> str:
    """Lexicon first (whole words, case-insensitive; /IPA/ becomes [[IPA]] raw phonemes), then
    `normalize`. The lexicon's replacements are kept out of normalization."""
    protected, replacements = protect(text, lexicon)
    return restore(normalize(protected), replacements)


# --------------------------------------------------------------------------- sentences

MAX_SENTENCE_CHARS = 250
"""A sentence whose spoken form is longer than this is voiced in pieces cut at clause boundaries.
At about 14 spoken characters a second that is 18 s of audio, and about 250 of Kokoro's 510
phoneme tokens: well inside what every engine handles in one pass."""

_CLAUSE_BREAK = re.compile(r"[,;:]\s+|[—―]\s*|--\s*")
"""Where a long sentence may be cut: after clause punctuation or a dash (kept with the clause before)."""


@dataclass(frozen=True)
class Sentence:
    """One take's worth of a segment: a sentence, or a clause-bounded piece of a long one."""

    written: str
    """The words as written (for captions), without surrounding space."""
    spoken: str
    """The prepared text for the engine (`prepare_text` of `written`)."""
    clause: bool = False
    """True when this piece continues the previous one's sentence (it was cut at a clause)."""


def split_sentences(text: str) -> list[str]:
    """Sentences as written, by pysbd's rules (abbreviations, decimals, ellipses, quotes, dashes);
    joined back together they are `text`."""
    import pysbd

    return pysbd.Segmenter(language="en", clean=False).segment(text) if text.strip() else []


def sentences(text: str, lexicon: Mapping[str, str]) -> list[Sentence]:
    """The takes a segment is voiced in, in order: its sentences, each cut at clauses when its
    spoken form is longer than MAX_SENTENCE_CHARS. Pieces with nothing to say are left out, so a
    segment such as "..." or "🎭" has none."""
    out: list[Sentence] = []
    for sentence in split_sentences(text):
        spoken = prepare_text(sentence, lexicon)
        if not spoken:
            continue
        pieces = [sentence.strip()] if len(spoken) <= MAX_SENTENCE_CHARS else _clause_pieces(sentence, lexicon)
        first = True
        for written in pieces:
            said = spoken if len(pieces) == 1 else prepare_text(written, lexicon)
            if said:
                out.append(Sentence(written, said, clause=not first))
                first = False
    return out


def _clause_pieces(sentence: str, lexicon: Mapping[str, str]) -> list[str]:
    """A long sentence cut at clause punctuation into the fewest pieces whose spoken form fits
    MAX_SENTENCE_CHARS, evened out so that no piece is a short tail. A clause longer than that
    stays whole (the engines chunk it themselves)."""
    cuts = [0, *(m.end() for m in _CLAUSE_BREAK.finditer(sentence)), len(sentence)]
    clauses = [(a, b) for a, b in zip(cuts, cuts[1:]) if sentence[a:b].strip()]
    lengths = [len(prepare_text(sentence[a:b], lexicon)) + 1 for a, b in clauses]

    def pack(limit: float) -> list[str]:
        spans: list[list[int]] = []
        size = 0
        for (start, end), length in zip(clauses, lengths):
            if spans and size + length <= limit:
                spans[-1][1] = end
                size += length
            else:
                spans.append([start, end])
                size = length
        return [sentence[start:end].strip() for start, end in spans]

    greedy = pack(MAX_SENTENCE_CHARS)
    even = sum(lengths) / len(greedy)
    for slack in (1.1, 1.25, 1.5):
        if even * slack <= MAX_SENTENCE_CHARS and len(balanced := pack(even * slack)) == len(greedy):
            return balanced
    return greedy
