"""The numbers a text states, compared in one canonical form, so that an answer's number can be
checked against its passages.

A number is what an answer sentence most often asserts ("The committee has 7 members."), and the
one thing a 1.5B model fills in from its own memory or the worked examples when the passages lack
it. Written forms differ between answer and passage ("9 September 2016" and "2016-09-09", "512 MB"
and "512MB", "version 2" and "2.0", "nine" and "9", "30 thousand" and "30,000", "0·72" and
"0.72", "1,5" and "1.5", "one hundred and twenty" and "120"), so each side is reduced to
canonical forms before they are compared. Where a form is in doubt the check leans to "stated": a right answer judged unsupported is lost to the user, a wrong
number let through is no worse than before the check.
"""

from __future__ import annotations

import re
import unicodedata
from decimal import Decimal
from functools import lru_cache

from rag.text import DOCUMENT_NOUNS, NUMBER_WORDS, SENTENCE_ENDS

MAX_DIGITS = 24  # longer digit runs (ids, hashes) are not compared as values
_NUMBER = re.compile(r"[0-9]+(?:\.[0-9]+)*")
_TOKEN = re.compile(r"[^\W_]+(?:[.'’][^\W_]+)*")
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
                  "ninth": 9}
_COMPOUND = re.compile(rf"\b({'|'.join(_TENS)})[\s-]({'|'.join([*_UNITS, *_ORDINAL_UNITS])})\b")
_SCALE_NAMES = ("hundred", "thousand", "million", "billion", "trillion")
_BELOW_HUNDRED = "|".join(w for w, n in NUMBER_WORDS.items() if 0 < int(n) < 100)
# "one hundred and twenty", "two hundred five": the words after "hundred" are added, not separate
_HUNDREDS = re.compile(rf"\b({'|'.join(_UNITS)}|a) hundred(?:\s+and)?\s+([0-9]{{1,2}}|{_BELOW_HUNDRED})\b(?![.,][0-9])(?!\s+(?:{'|'.join(_SCALE_NAMES)})\b)")
_SCALE = {"hundred": 2, "thousand": 3, "million": 6, "billion": 9, "trillion": 12}
_SCALE_WORD = re.compile(rf"\b([0-9]+(?:\.[0-9]+)?|{'|'.join(NUMBER_WORDS)})\s+({'|'.join(_SCALE)})\b")
_SCALE_ABBREVIATION = {"k": 3, "m": 6, "mn": 6, "bn": 9, "tn": 12}
# "1,5" written with a decimal comma: a comma between 1-3 digits and 1-2 digits, not in a list
_DECIMAL_COMMA = re.compile(r"(?<![0-9,.])([0-9]{1,3}),([0-9]{1,2})(?![0-9]|,[0-9])")
_ABBREVIATED = re.compile(rf"\b([0-9]+(?:\.[0-9]+)?)({'|'.join(_SCALE_ABBREVIATION)})\b")
_IN_UNITS_OF = (3, 6, 9, 12)
# up to four words before a document noun ("two of the three articles", "2 news articles") or the
# numbers after "passage" ("(passage 1)"): the model counting or naming what it was shown
_BEFORE_DOCUMENT_NOUN = re.compile(rf"((?:[\w-]+\s+){{1,4}})(?:{DOCUMENT_NOUNS}|passages?)\b")
_PASSAGE_NUMBER = re.compile(r"\bpassages?\s+([0-9]+(?:\s*(?:,|and)\s*[0-9]+)*)")
# "version 2 of the licence", "section 3 of the license": a number naming a part, not a count
_NAMES_A_PART = frozenset("version section clause article chapter part page paragraph item step rule v".split())
_ROMAN = re.compile(r"\b(?=[IVXL]{2,6}\b)(L?X{0,3})(IX|IV|V?I{0,3})\b")  # II to LXXXIX, capitals only
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10, "L": 50}
_YEAR_SPAN = re.compile(r"\b(19|20)([0-9]{2})[-–/]([0-9]{2})\b")  # "2005-07" ends in 2007
_FRACTION_WORDS = {"half": "50", "dozen": "12"}  # "half of them" for 50 %, "a dozen" for 12
_FRACTION_WORD = re.compile(rf"\b({'|'.join(_FRACTION_WORDS)})\b", re.IGNORECASE)
_LIST_MARKER = re.compile(r"(?m)^\s*\(?[0-9]{1,2}[.)](?=\s|$)")
_NAME_WITH_NUMBER = re.compile(r"(?<=[a-z])-[0-9]+\b")  # "covid-19", "utf-8": part of a name


def canonical(number: str) -> str:
    """One form per value: leading zeros of a whole number dropped ("09" -> "9"), trailing ".0"
    parts dropped ("3.11.0" -> "3.11", "2.0" -> "2"), and a decimal's trailing zeros ("0.80" ->
    "0.8")."""
    if "." not in number:
        return number.lstrip("0") or "0"
    parts = number.split(".")
    while len(parts) > 1 and set(parts[-1]) == {"0"}:
        parts.pop()
    if len(parts) == 2:
        parts[1] = parts[1].rstrip("0") or "0"
    return ".".join(parts)


def _normalised(text: str) -> str:
    """Lower case, thousands separators folded ("30,000", "1.000.000", "10 000" with a thin
    space), "0.72" for "0·72", "0.5" for ".5", "10" for "10:00" and "10.30" for "10:30", digits for
    compound number words ("twenty-five" -> 25, "twenty-first" -> 21th) and scale words ("30
    thousand" -> 30000)."""
    text = re.sub(r"(?<=[0-9])[\u00a0\u2009\u202f](?=[0-9]{3}\b)", "", text)  # before NFKC makes them spaces
    text = unicodedata.normalize("NFKC", text).lower()
    text = re.sub(r"(?<=[0-9])·(?=[0-9])", ".", text)
    text = re.sub(r"(?<=[0-9]),(?=[0-9]{3}\b)", "", text)
    text = re.sub(r"\b[0-9]{1,3}(?:\.[0-9]{3}){2,}\b", lambda m: m.group(0).replace(".", ""), text)
    text = re.sub(r"(?<![\w.])\.([0-9])", r"0.\1", text)
    text = re.sub(r"\b([0-9]{1,2}):00\b", r"\1", text)
    text = re.sub(r"\b([0-9]{1,2}):([0-9]{2})\b", r"\1.\2", text)

    def compound(match: re.Match[str]) -> str:
        tens, unit = _TENS[match.group(1)], match.group(2)
        return f"{tens + _UNITS[unit]}" if unit in _UNITS else f"{tens + _ORDINAL_UNITS[unit]}th"

    def hundreds(match: re.Match[str]) -> str:
        count = 1 if match.group(1) == "a" else int(_UNITS[match.group(1)])
        return str(100 * count + int(NUMBER_WORDS.get(match.group(2), match.group(2))))

    def scaled(match: re.Match[str]) -> str:
        number = NUMBER_WORDS.get(match.group(1), match.group(1))
        return _times_power(number, _SCALE[match.group(2)]) or match.group(0)

    return _SCALE_WORD.sub(scaled, _HUNDREDS.sub(hundreds, _COMPOUND.sub(compound, text)))


def _times_power(number: str, power: int) -> str | None:
    """number × 10^power written out, when it is whole ("2.5", 6 -> "2500000")."""
    if len(number) > MAX_DIGITS:
        return None
    value = Decimal(number).scaleb(power)
    return str(int(value)) if value == value.to_integral_value() else None


def _in_units_of_scale(number: str) -> set[str]:
    """A large whole number also in thousands, millions, ... to two decimals at most ("2500000"
    as 2500 and 2.5), so that "2.5 million" or "$2.5m" in an answer finds "$2,500,000"."""
    if not (number.isascii() and number.isdigit()) or not 4 <= len(number) <= MAX_DIGITS:
        return set()
    value = int(number)
    return {
        canonical(format(Decimal(value).scaleb(-power).normalize(), "f"))
        for power in _IN_UNITS_OF
        if value >= 10**power and value % 10 ** (power - 2) == 0
    }


def _written_otherwise(text: str) -> set[str]:
    """Numbers a passage gives in forms an answer rewrites: Roman numerals ("phase III", "type
    II"), the end year of a span ("2005-07"), "half" and "a dozen"."""
    found = {str(_roman_value(m.group(0))) for m in _ROMAN.finditer(text) if m.group(0)}
    found |= {f"{century}{end}" for century, _, end in _YEAR_SPAN.findall(text)}
    found |= {_FRACTION_WORDS[word.lower()] for word in _FRACTION_WORD.findall(text)}
    return found


def _roman_value(numeral: str) -> int:
    values = [_ROMAN_VALUES[ch] for ch in numeral]
    return sum(-v if i + 1 < len(values) and v < values[i + 1] else v for i, v in enumerate(values))


def _tokens(text: str) -> list[str]:
    return [NUMBER_WORDS.get(token, token) for token in _TOKEN.findall(text)]


@lru_cache(maxsize=4096)
def stated_numbers(text: str) -> frozenset[str]:
    """Every number text states, canonical, also when something is attached to it ("512MB",
    "v1.4.2", "21st"), "1,5" both as 1.5 and as 1 and 5, with a version's leading parts
    ("3.11.7" states 3.11 and 3), large numbers also in thousands and millions, and "$2.5m" as
    2500000."""
    found = _written_otherwise(text)
    text = _normalised(text)
    text += " " + " ".join(f"{whole}.{part}" for whole, part in _DECIMAL_COMMA.findall(text))  # and as a list
    found |= {
        written
        for number, abbreviation in _ABBREVIATED.findall(text)
        if (written := _times_power(number, _SCALE_ABBREVIATION[abbreviation]))
    }
    for token in _tokens(text):
        for number in _NUMBER.findall(token):
            found.add(canonical(number))
            found |= _in_units_of_scale(number)
            parts = number.split(".")
            if len(parts) >= 3:
                found.update(canonical(".".join(parts[:n])) for n in range(1, len(parts)))
    return frozenset(found)


def claimed_readings(claim: str, passage_count: int, cut_off: bool = False) -> list[frozenset[str]]:
    """The claim's numbers read with "3,4" as a decimal and as the list 3 and 4 (one reading when
    it has no such comma): the claim is stated when either reading is."""
    readings = [claimed_numbers(claim, passage_count, cut_off)]
    if _DECIMAL_COMMA.search(claim):
        readings.append(claimed_numbers(claim, passage_count, cut_off, decimal_comma=False))
    return readings


def claimed_numbers(claim: str, passage_count: int, cut_off: bool = False, decimal_comma: bool = True) -> frozenset[str]:
    """The numbers a claim asserts, canonical ("1,5" as 1.5 unless decimal_comma is false). Not
    claimed: list markers ("1. Install ..."), a number that is part of a name ("COVID-19"), numbers that count or name the passages shown
    ("two of the three articles", "(passage 2)"), and, when the reply was cut off by the token
    limit, its last word ("... 0.80-0")."""
    text = _normalised(claim)
    if decimal_comma:
        text = _DECIMAL_COMMA.sub(r"\1.\2", text)
    text = _NAME_WITH_NUMBER.sub("", _LIST_MARKER.sub("", text))
    exempt: set[str] = set()
    for match in _BEFORE_DOCUMENT_NOUN.finditer(text):
        words = _tokens(match.group(1))
        for before, word in zip(["", *words], words, strict=False):
            if word.isascii() and word.isdigit() and len(word) <= 3 and int(word) <= passage_count and before not in _NAMES_A_PART:
                exempt.add(canonical(word))
    exempt |= {canonical(n) for match in _PASSAGE_NUMBER.finditer(text) for n in re.findall(r"[0-9]+", match.group(1))}
    tokens = _tokens(text)
    if cut_off and tokens and not claim.rstrip().endswith(SENTENCE_ENDS):
        tokens = tokens[:-1]
    return frozenset(canonical(t) for t in tokens if _NUMBER.fullmatch(t)) - exempt


def unstated(claimed: frozenset[str], stated: frozenset[str]) -> frozenset[str]:
    """The claimed numbers that nothing stated holds."""
    return claimed - stated
