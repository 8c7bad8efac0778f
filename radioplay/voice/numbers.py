"""Numbers, and the written forms built from them, as an American English speaker says them.

Number words come from num2words (cardinals, ordinals, years), in the American convention: no
"and" inside a number ("one hundred twelve", "two thousand five") and no commas (they would be
read as pauses). The rest of this module recognizes the forms that numbers are written in (dates,
clock times, phone numbers, versions, units, money, fractions, ranges, decades, multipliers,
chemical formulas, regnal numbers) and writes each one out; `radioplay.voice.text.normalize`
calls `spoken_forms` once, before it reads any number that is left on its own.

Conventions: a slashed date is read in US order (03/05/2024 is March fifth); a two-digit year in
one is 2000-2069 or 1970-1999; phone numbers are read digit by digit in their written groups, a
comma between groups; units are American ("meters", "liters").
"""

from __future__ import annotations

import re
from functools import cache

# --------------------------------------------------------------------------- number words


@cache
def _english():
    from num2words.lang_EN import Num2Word_EN

    return Num2Word_EN()


def _american(words: str) -> str:
    """num2words writes British English ("one thousand, two hundred and five"); we say it without
    the comma and the "and"."""
    return words.replace(",", "").replace(" and ", " ")


_MAGNITUDES = frozenset("hundred thousand million billion trillion".split())
_UNITS_AND_TENS = frozenset("""one two three four five six seven eight nine ten eleven twelve thirteen
    fourteen fifteen sixteen seventeen eighteen nineteen twenty thirty forty fifty sixty seventy
    eighty ninety""".split())


def without_number_and(words: list[str]) -> list[str]:
    """Lower-case words with the British "and" inside a number left out ("one hundred and twelve"
    as "one hundred twelve"), so a number written in words compares equal to the same number
    written in digits and spelled out by `cardinal` (for the check's and the bench's scores)."""
    return [w for i, w in enumerate(words)
            if not (w == "and" and 0 < i < len(words) - 1 and words[i - 1] in _MAGNITUDES
                    and words[i + 1] in _UNITS_AND_TENS)]


def cardinal(n: int) -> str:
    """1205 -> "one thousand two hundred five"; -5 -> "minus five"."""
    if n < 0:
        return "minus " + cardinal(-n)
    if n >= 10**15:
        return digits(str(n))  # an identifier, not an amount anyone says in quadrillions
    return _american(_english().to_cardinal(n))


def ordinal(n: int) -> str:
    """21 -> "twenty-first"; 112 -> "one hundred twelfth"."""
    return _american(_english().to_ordinal(n))


def year(n: int) -> str:
    """1990 -> "nineteen ninety", 2005 -> "two thousand five", 1905 -> "nineteen oh five"."""
    return _american(_english().to_year(n)).replace("oh-", "oh ")


def digits(text: str) -> str:
    """Digit by digit: "314" -> "three one four"."""
    return " ".join(cardinal(int(d)) for d in text if d.isdigit())


def decade(n: int) -> str:
    """1990 -> "nineteen nineties", 2000 -> "two thousands"."""
    said = year(n)
    return said[:-1] + "ies" if said.endswith("y") else said + "s"


def decimal(text: str) -> str:
    """ "3.14" -> "three point one four"; "1,500" -> "one thousand five hundred"."""
    whole, _, frac = text.replace(",", "").partition(".")
    spoken = cardinal(int(whole or "0"))
    return f"{spoken} point {digits(frac)}" if frac else spoken


def identifier_number(text: str) -> str:
    """A number in a name such as SHA-256 or Boeing 747: said in pairs, "two fifty-six"."""
    if "." in text:
        return decimal(text)
    n = int(text)
    if text.startswith("0") and len(text) > 1:
        return digits(text)
    if n < 100:
        return cardinal(n)
    if len(text) == 3:
        high, low = divmod(n, 100)
        return f"{cardinal(high)} " + (f"oh {cardinal(low)}" if 0 < low < 10 else
                                        "hundred" if low == 0 else cardinal(low))
    if len(text) == 4:
        return year(n)
    return digits(text)


def _capitalized(words: str) -> str:
    return words[:1].upper() + words[1:]


NUMBER = r"\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+(?:\.\d+)?"
"""A number as written: 1,500 or 3.14 (a comma after a number is punctuation, not a separator)."""
_DASH = r"\s?[–-]\s?"
_AMOUNT = rf"(-?(?:{NUMBER}))(?:{_DASH}({NUMBER}))?"
"""A number or a range of two ("10-20", "10 – 20"); the first may be negative."""


def _amount(low: str, high: str | None) -> str:
    said = decimal(low.lstrip("-"))
    if low.startswith("-"):
        said = "minus " + said
    return f"{said} to {decimal(high)}" if high else said


def _is_one(low: str, high: str | None) -> bool:
    return high is None and low == "1"


# --------------------------------------------------------------------------- dates and times

MONTHS = ("January February March April May June July August September October November "
          "December").split()
_MONTH_BY_NAME = {m.lower(): i for i, m in enumerate(MONTHS, 1)}
_MONTH_BY_NAME.update({m[:3].lower(): i for i, m in enumerate(MONTHS, 1)})
_MONTH_BY_NAME["sept"] = 9
_MONTH = r"(January|February|March|April|May|June|July|August|September|October|November|December|" \
         r"(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)\.?)"
_DAY = r"(0?[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"


def _month(name: str) -> str:
    return MONTHS[_MONTH_BY_NAME[name.rstrip(".").lower()] - 1]


def _full_year(text: str) -> int:
    if len(text) == 4:
        return int(text)
    yy = int(text)
    return 2000 + yy if yy < 70 else 1900 + yy


def _dates(text: str) -> str:
    def with_year(said: str, yr: int | str | None) -> str:
        return f"{said}, {year(int(yr))}" if yr else said

    text = re.sub(r"\b(\d{4})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])\b",
                  lambda m: with_year(f"{MONTHS[int(m.group(2)) - 1]} {ordinal(int(m.group(3)))}", m.group(1)),
                  text)
    text = re.sub(r"\b(0?[1-9]|1[0-2])/(0?[1-9]|[12]\d|3[01])/(\d{4}|\d{2})\b",
                  lambda m: with_year(f"{MONTHS[int(m.group(1)) - 1]} {ordinal(int(m.group(2)))}",
                                      _full_year(m.group(3))), text)
    # 5 March 2024, 5th March
    text = re.sub(rf"\b{_DAY} {_MONTH}(?:,? (\d{{4}}))?(?!\w)",
                  lambda m: with_year(f"the {ordinal(int(m.group(1)))} of {_month(m.group(2))}", m.group(3)), text)
    # March 5, 2024; March 5th
    return re.sub(rf"\b{_MONTH} {_DAY}\b(?:,? (\d{{4}})\b)?",
                  lambda m: with_year(f"{_month(m.group(1))} {ordinal(int(m.group(2)))}", m.group(3)), text)


def clock(hour: int, minute: int, twelve_hour: bool = False) -> str:
    """10:30 -> "ten thirty", 9:00 -> "nine o'clock", 14:00 -> "fourteen hundred"."""
    if minute == 0:
        if twelve_hour:
            return cardinal(hour)
        return f"{cardinal(hour)} hundred" if hour == 0 or hour > 12 else f"{cardinal(hour)} o'clock"
    return f"{cardinal(hour)} " + (f"oh {cardinal(minute)}" if minute < 10 else cardinal(minute))


def _times(text: str) -> str:
    def twelve_hour(m: re.Match) -> str:
        said = clock(int(m.group(1)), int(m.group(2) or 0), twelve_hour=True)
        return f"{said} {m.group(3).upper()}.M"

    # 9AM, 9 a.m., 10:30pm, 6.30pm, 9 A.M (the abbreviation pass has already made "a.m." into "A.M")
    text = re.sub(r"\b(1[0-2]|0?\d)(?:[:.]([0-5]\d))?\s?([AaPp])\.?[Mm](?![\w])", twelve_hour, text)
    text = re.sub(r"(?<=[AP]\.M)\s?[–-]\s?(?=\w)", " to ", text)  # 5pm-7pm
    text = _DOTTED_TIME.sub(_dotted_time, text)
    return re.sub(r"\b([01]?\d|2[0-3]):([0-5]\d)\b", lambda m: clock(int(m.group(1)), int(m.group(2))), text)


_DOTTED_TIME = re.compile(
    r"\b((?:at|by|until|till|from|before|after) )([01]?\d|2[0-3])\.([0-5]\d)(?![\d.,]?\d)(?=(\s*[^\s\d]*))",
    re.IGNORECASE)
"""The British clock time after a word of time: "at 6.30" is six thirty. The word after it decides
against a time when it is a unit, a percent, a currency or a rate ("at 2.50 per share")."""


def _dotted_time(m: re.Match) -> str:
    after = m.group(4).strip().lower().rstrip(".,;:!?")
    units = {name for written, one, many in _UNITS for name in (written.lower(), one, many)}
    if after.startswith("%") or after in ("percent", "per", "cent", "dollars", "euros", "pounds") or after in units:
        return m.group(0)
    return m.group(1) + clock(int(m.group(2)), int(m.group(3)))



# --------------------------------------------------------------------------- phone numbers


def _phone(match: re.Match) -> str:
    groups = re.findall(r"\d+", match.group(0))
    said = ", ".join(digits(g) for g in groups)
    return ("plus " + said) if match.group(0).startswith("+") else said


def _phone_numbers(text: str) -> str:
    text = re.sub(r"\+\d{1,3}(?:[\s.-]?\(?\d{1,4}\)?){2,5}(?!\d)", _phone, text)
    text = re.sub(r"\(\d{3}\)\s?\d{3}[-.\s]\d{4}\b", _phone, text)
    text = re.sub(r"\b(?:1-)?\d{3}([-.])\d{3}\1\d{4}\b", _phone, text)
    return re.sub(r"\b\d{3}-\d{4}\b", _phone, text)


# --------------------------------------------------------------------------- versions

# Names after which "3.11" is a version ("three point eleven"), not a decimal ("three point one one").
_PRODUCTS = ("Python|Java|Ruby|Perl|PHP|Node|Rust|Kotlin|Scala|Julia|Django|Rails|React|Angular|Ubuntu|"
             "Debian|Fedora|Android|Windows|macOS|iOS|iPadOS|watchOS|Linux|Firefox|Chrome|Safari|Blender|"
             "Photoshop|HTML|CSS|HTTP|TLS|SSL|Bluetooth|USB|Wi-Fi|WiFi|[Vv]ersion|[Rr]elease")
_MIXED_CASE_NAMES = {"iOS": "I.O.S", "macOS": "mac O.S", "iPadOS": "iPad O.S", "watchOS": "watch O.S",
                     "tvOS": "T.V O.S", "IPv": "I.P v"}


def _version_part(part: str) -> str:
    return f"oh {cardinal(int(part))}" if len(part) > 1 and part.startswith("0") else cardinal(int(part))


def version(text: str) -> str:
    """ "2.0.1" -> "two point zero point one"; "22.04" -> "twenty-two point oh four"."""
    return " point ".join(_version_part(p) for p in text.split("."))


def _ip_address(match: re.Match) -> str:
    return " dot ".join(digits(part) for part in match.group(0).split("."))


def _versions(text: str) -> str:
    text = re.sub(r"(?<![\d.])(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)(?![\d.]*\d)",
                  _ip_address, text)
    text = re.sub(r"\bv(\d+(?:\.\d+)*)\b|\bV(\d+(?:\.\d+)+)\b",  # not V8
                  lambda m: f"version {version(m.group(1) or m.group(2))}", text)
    text = re.sub(r"(?<![\d.])\d+(?:\.\d+){2,}(?![\d.]*\d)", lambda m: version(m.group(0)), text)
    text = re.sub(rf"\b({_PRODUCTS}) ?(\d+\.\d+)\b", lambda m: f"{m.group(1)} {version(m.group(2))}", text)
    return re.sub(r"(?<![\w.])(" + "|".join(_MIXED_CASE_NAMES) + r")(?=\d|\b)",
                  lambda m: _MIXED_CASE_NAMES[m.group(1)] + " ", text)


# --------------------------------------------------------------------------- chemical formulas

_ELEMENTS = frozenset("""H He Li Be B C N O F Ne Na Mg Al Si P S Cl Ar K Ca Sc Ti V Cr Mn Fe Co Ni Cu
    Zn Ga Ge As Se Br Kr Rb Sr Y Zr Nb Mo Tc Ru Rh Pd Ag Cd In Sn Sb Te I Xe Cs Ba La Ce Pr Nd Pm Sm
    Eu Gd Tb Dy Ho Er Tm Yb Lu Hf Ta W Re Os Ir Pt Au Hg Tl Pb Bi Po At Rn Fr Ra Ac Th Pa U Np Pu""".split())


def chemical_formula(formula: str) -> str | None:
    """ "H2O" -> "H two O", "C6H12O6" -> "C six H twelve O six"; None when `formula` is not one
    (every part an element symbol, at least two parts, at least one count)."""
    parts = re.findall(r"([A-Z][a-z]?)(\d*)", formula)
    if len(parts) < 2 or "".join(s + n for s, n in parts) != formula or not any(n for _, n in parts):
        return None
    if not all(symbol in _ELEMENTS for symbol, _ in parts):
        return None
    said, letters = [], ""
    for symbol, count in parts:
        letters += symbol.upper()
        if count:
            said += [".".join(letters), cardinal(int(count))]
            letters = ""
    if letters:
        said.append(".".join(letters))
    return " ".join(said)


def _chemical_formulas(text: str) -> str:
    return re.sub(r"\b(?:[A-Z][a-z]?\d*){2,}\b", lambda m: chemical_formula(m.group(0)) or m.group(0), text)


# --------------------------------------------------------------------------- regnal and other Roman numbers

_REGNAL_NAMES = ("Henry|Edward|Elizabeth|George|Charles|James|William|Richard|John|Louis|Mary|Anne|Victoria|"
                 "Stephen|Matilda|Alfred|Harold|Philip|Ferdinand|Isabella|Frederick|Friedrich|Wilhelm|Otto|"
                 "Peter|Catherine|Ivan|Nicholas|Alexander|Paul|Pius|Benedict|Leo|Gregory|Innocent|Clement|"
                 "Urban|Boniface|Francis|Ludwig|Rudolf|Gustav|Gustavus|Christian|Olaf|Olav|Haakon|Harald|"
                 "Magnus|Eric|Erik|Carl|Karl|Constantine|Justinian|Ramesses|Ramses|Thutmose|Amenhotep|"
                 "Ptolemy|Cleopatra|Napoleon|Pedro|Felipe|Alfonso|Juan|Sancho|Robert|David|Malcolm|Duncan|"
                 "Kenneth|Llywelyn|Baldwin|Conrad|Sigismund|Casimir|Sixtus|Julius|Hadrian|Selim|Suleiman|"
                 "Mehmed|Murad|Rama|Akihito|Leopold|Albert|Umberto|Vittorio|Manuel|Joseph|Elector")
_COUNTED_NOUNS = ("War|Part|Chapter|Act|Scene|Volume|Book|Phase|Type|Class|Level|Episode|Apollo|Title|"
                  "Article|Section|Stage|Round|Grade|Vatican|Bowl|Fantasy|Rocky|Mark|Schedule|Appendix|"
                  "Division|Tier|League|Canto|Psalm|Gemini|Saturn")
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50, "C": 100}
_ROMAN_NUMERAL = r"(?=[IVXLC]+\b)(?![CL]\b)C{0,3}(?:XC|XL|L?X{0,3})(?:IX|IV|V?I{0,3})"
"""A Roman numeral, but not a lone C or L ("Class C", "Type L" are letters)."""


def roman(numeral: str) -> int:
    """ "XIV" -> 14."""
    total = 0
    for a, b in zip(numeral, numeral[1:] + " "):
        value = _ROMAN_VALUES[a]
        total += -value if b != " " and _ROMAN_VALUES[b] > value else value
    return total


def _roman_numbers(text: str) -> str:
    text = re.sub(r"\bWW(II|I|1|2)\b", lambda m: "World War " + ("Two" if m.group(1) in ("II", "2") else "One"), text)
    # A lone "I" is a numeral only where the pronoun could not stand: before a stop, "of" or "and".
    lone_i_ok = r"(?=\s*(?:$|[.,;:!?)]|of\b|and\b))"

    def regnal(m: re.Match) -> str:
        return f"{m.group(1)} the {_capitalized(ordinal(roman(m.group(2))))}"

    text = re.sub(rf"\b({_REGNAL_NAMES}) ((?!I\b){_ROMAN_NUMERAL})\b", regnal, text)
    text = re.sub(rf"\b({_REGNAL_NAMES}) (I)\b{lone_i_ok}", regnal, text)
    return re.sub(rf"\b({_COUNTED_NOUNS}) ({_ROMAN_NUMERAL})\b",
                  lambda m: f"{m.group(1)} {_capitalized(cardinal(roman(m.group(2))))}", text)


# --------------------------------------------------------------------------- amounts: money, units, temperatures

_MAGNITUDE_WORDS = {"k": "thousand", "thousand": "thousand", "m": "million", "mn": "million",
                    "million": "million", "bn": "billion", "b": "billion", "billion": "billion",
                    "tn": "trillion", "trillion": "trillion"}
_CURRENCIES = {"$": ("dollar", "dollars", "cent", "cents"), "£": ("pound", "pounds", "penny", "pence"),
               "€": ("euro", "euros", "cent", "cents"), "¥": ("yen", "yen", "", ""),
               "₹": ("rupee", "rupees", "paisa", "paise")}


_MONEY = (rf"([$£€¥₹])\s?({NUMBER})(?:{_DASH}[$£€¥₹]?({NUMBER}))?"
          rf"(\s?(?:thousand|million|billion|trillion|bn|mn|tn|k|m|b)\b)?")
"""$5, $1.50, $5-10, $5-$10, $2bn, £3 million."""


def _money(match: re.Match) -> str:
    symbol, low, high, magnitude = match.group(1), match.group(2), match.group(3), match.group(4)
    one, many, sub_one, sub_many = _CURRENCIES[symbol]
    if magnitude:
        return f"{_amount(low, high)} {_MAGNITUDE_WORDS[magnitude.strip().lower()]} {many}"
    if high:
        return f"{_amount(low, high)} {many}"
    whole, _, cents = low.replace(",", "").partition(".")
    units = int(whole or "0")
    spoken = f"{cardinal(units)} {one if units == 1 else many}"
    c = int(cents[:2].ljust(2, "0")) if cents and sub_one else 0
    if c:
        sub = f"{cardinal(c)} {sub_one if c == 1 else sub_many}"
        spoken = f"{spoken} and {sub}" if units else sub
    elif cents and not sub_one:
        spoken = f"{decimal(low)} {many}"
    return spoken


# (written, singular, plural); case matters (MB is megabytes, Mb megabits, m meters, M million).
_UNITS = (
    ("mm", "millimeter", "millimeters"), ("cm", "centimeter", "centimeters"), ("km", "kilometer", "kilometers"),
    ("m", "meter", "meters"), ("ft", "foot", "feet"), ("yd", "yard", "yards"), ("mi", "mile", "miles"),
    ("mg", "milligram", "milligrams"), ("kg", "kilogram", "kilograms"), ("g", "gram", "grams"),
    ("lbs", "pound", "pounds"), ("lb", "pound", "pounds"), ("oz", "ounce", "ounces"),
    ("ml", "milliliter", "milliliters"), ("mL", "milliliter", "milliliters"), ("L", "liter", "liters"),
    ("ns", "nanosecond", "nanoseconds"), ("µs", "microsecond", "microseconds"),
    ("ms", "millisecond", "milliseconds"), ("sec", "second", "seconds"), ("min", "minute", "minutes"),
    ("hrs", "hour", "hours"), ("hr", "hour", "hours"), ("h", "hour", "hours"),
    ("KB", "kilobyte", "kilobytes"), ("kB", "kilobyte", "kilobytes"), ("MB", "megabyte", "megabytes"),
    ("GB", "gigabyte", "gigabytes"), ("TB", "terabyte", "terabytes"), ("PB", "petabyte", "petabytes"),
    ("Mb", "megabit", "megabits"), ("Gb", "gigabit", "gigabits"),
    ("kbps", "kilobit per second", "kilobits per second"), ("Kbps", "kilobit per second", "kilobits per second"),
    ("Mbps", "megabit per second", "megabits per second"), ("Gbps", "gigabit per second", "gigabits per second"),
    ("MB/s", "megabyte per second", "megabytes per second"),
    ("Hz", "hertz", "hertz"), ("kHz", "kilohertz", "kilohertz"), ("MHz", "megahertz", "megahertz"),
    ("GHz", "gigahertz", "gigahertz"),
    ("mph", "mile per hour", "miles per hour"), ("km/h", "kilometer per hour", "kilometers per hour"),
    ("kph", "kilometer per hour", "kilometers per hour"), ("m/s", "meter per second", "meters per second"),
    ("kWh", "kilowatt hour", "kilowatt hours"), ("W", "watt", "watts"), ("kW", "kilowatt", "kilowatts"),
    ("MW", "megawatt", "megawatts"), ("GW", "gigawatt", "gigawatts"), ("V", "volt", "volts"),
    ("mAh", "milliamp hour", "milliamp hours"), ("dB", "decibel", "decibels"), ("px", "pixel", "pixels"),
)
_UNIT_WORDS = {written: (one, many) for written, one, many in _UNITS}
_UNIT = "|".join(re.escape(w) for w in sorted(_UNIT_WORDS, key=len, reverse=True))
_MULTIPLIERS = {"k": "thousand", "K": "thousand", "bn": "billion", "mn": "million", "tn": "trillion",
                "M": "million", "B": "billion"}
_MULTIPLIER = r"(k|K|bn|mn|tn|(?:M|B)(?=\s+[a-z]))\b|(\.\d+)(M|B)\b"
"""500k, 10K, 2bn; M and B only before a lowercase word ("3M users", "a 70B model") or after a
decimal ("1.5B"): "Apartment 5B" and "Vitamin B12" are not billions."""


def _units(text: str) -> str:
    def unit(m: re.Match) -> str:
        one, many = _UNIT_WORDS[m.group(3)]
        return f"{_amount(m.group(1), m.group(2))} {one if _is_one(m.group(1), m.group(2)) else many}"

    def temperature(m: re.Match) -> str:
        degrees = "degree" if _is_one(m.group(1), m.group(2)) else "degrees"
        scale = {"C": " Celsius", "F": " Fahrenheit", "K": " Kelvin"}.get(m.group(3) or "", "")
        return f"{_amount(m.group(1), m.group(2))} {degrees}{scale}"

    text = re.sub(rf"(?<![\w.]){_AMOUNT}\s?°\s?([CFK]\b)?", temperature, text)
    text = re.sub(rf"(?<![\w.]){_AMOUNT}\s?({_UNIT})(?![\w/])", unit, text)
    text = re.sub(r"\b([48])K\b", lambda m: f"{cardinal(int(m.group(1)))} K", text)  # 4K video
    return re.sub(rf"(?<![\w.])(\d+)(?:{_MULTIPLIER})",
                  lambda m: f"{decimal(m.group(1) + (m.group(3) or ''))} {_MULTIPLIERS[m.group(2) or m.group(4)]}",
                  text)


# --------------------------------------------------------------------------- fractions

_VULGAR = {"½": (1, 2), "⅓": (1, 3), "⅔": (2, 3), "¼": (1, 4), "¾": (3, 4), "⅕": (1, 5), "⅖": (2, 5),
           "⅗": (3, 5), "⅘": (4, 5), "⅙": (1, 6), "⅚": (5, 6), "⅛": (1, 8), "⅜": (3, 8), "⅝": (5, 8),
           "⅞": (7, 8)}
_FRACTION_DENOMINATORS = frozenset({2, 3, 4, 5, 6, 7, 8, 9, 10, 12, 16, 32, 64, 100})


def fraction(numerator: int, denominator: int) -> str:
    """1/2 -> "one half", 3/4 -> "three quarters", 5/8 -> "five eighths"."""
    if denominator == 2:
        name = "half" if numerator == 1 else "halves"
    elif denominator == 4:
        name = "quarter" if numerator == 1 else "quarters"
    else:
        name = ordinal(denominator) + ("" if numerator == 1 else "s")
    return f"{cardinal(numerator)} {name}"


def _mixed(whole: int, numerator: int, denominator: int) -> str:
    part = fraction(numerator, denominator)
    if numerator == 1:
        part = ("a " if denominator in (2, 4) else "one ") + part.split(" ", 1)[1]
    return f"{cardinal(whole)} and {part}"


def _fractions(text: str) -> str:
    vulgar = "".join(_VULGAR)
    text = re.sub(rf"\b(\d+) ?([{vulgar}])", lambda m: _mixed(int(m.group(1)), *_VULGAR[m.group(2)]), text)
    text = re.sub(rf"[{vulgar}]", lambda m: fraction(*_VULGAR[m.group(0)]), text)

    def is_fraction(numerator: str, denominator: str) -> bool:
        return int(denominator) in _FRACTION_DENOMINATORS and 0 < int(numerator) < int(denominator)

    def mixed(m: re.Match) -> str:
        if not is_fraction(m.group(2), m.group(3)):
            return m.group(0)
        return _mixed(int(m.group(1)), int(m.group(2)), int(m.group(3)))

    text = re.sub(r"(?<![\w./])(\d+) (\d+)/(\d+)(?![\w/]|\.\d)", mixed, text)
    return re.sub(r"(?<![\w./])(\d+)/(\d+)(?![\w/]|\.\d)",
                  lambda m: (fraction(int(m.group(1)), int(m.group(2))) if is_fraction(m.group(1), m.group(2))
                             else f"{cardinal(int(m.group(1)))} {cardinal(int(m.group(2)))}"), text)


# --------------------------------------------------------------------------- decades and ranges


def _decades(text: str) -> str:
    text = re.sub(r"\b(1[1-9]\d0|20[0-9]0)'?s\b", lambda m: decade(int(m.group(1))), text)
    # the 80s, '80s (the quote is gone by now), 80's
    return re.sub(r"(?<![\w.])([2-9]0)'?s\b", lambda m: cardinal(int(m.group(1)))[:-1] + "ies", text)


def _year_ranges(text: str) -> str:
    """1990-95 -> "nineteen ninety to ninety-five"; 1999-2001 -> "... to two thousand one"."""
    def said(m: re.Match) -> str:
        end = m.group(2)
        end_said = year(int(end)) if len(end) == 4 else (f"oh {cardinal(int(end))}" if end.startswith("0")
                                                         else cardinal(int(end)))
        return f"{year(int(m.group(1)))} to {end_said}"

    return re.sub(r"\b(1[1-9]\d\d|20\d\d)[–-](\d{2}|1[1-9]\d\d|20\d\d)\b", said, text)


def spoken_forms(text: str) -> str:
    """Every number-bearing form in `text` written out, most specific first; plain numbers, ordinals,
    percentages, identifiers (GPT-4) and anything not recognized are left for the caller."""
    text = _roman_numbers(text)
    text = _phone_numbers(text)
    text = _dates(text)
    text = _year_ranges(text)
    text = _times(text)
    text = _versions(text)
    text = _chemical_formulas(text)
    text = re.sub(_MONEY, _money, text, flags=re.IGNORECASE)
    text = _units(text)
    text = _fractions(text)
    return _decades(text)
