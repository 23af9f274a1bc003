"""The numbers a text states, compared in one canonical form, so that an answer's number can be
checked against its passages.

A number is what an answer sentence most often asserts ("The committee has 7 members."), and the
one thing a 1.5B model fills in from its own memory or the worked examples when the passages lack
it. Written forms differ between answer and passage ("9 September 2016" and "2016-09-09", "512 MB"
and "512MB", "version 2" and "2.0", "nine" and "9", "twenty-five" and "25"), so each side is
reduced to canonical forms before they are compared.
"""

from __future__ import annotations

import re
from decimal import Decimal
from functools import lru_cache

from rag.text import DOCUMENT_NOUNS, words

_NUMBER = re.compile(r"\d+(?:\.\d+)*")
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70, "eighty": 80, "ninety": 90}
_UNITS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9}
_ORDINAL_UNITS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
                  "ninth": 9}
_COMPOUND = re.compile(rf"\b({'|'.join(_TENS)})[\s-]({'|'.join([*_UNITS, *_ORDINAL_UNITS])})\b", re.IGNORECASE)
_LEADING_DOT = re.compile(r"(?<![\w.])\.(\d)")  # ".5" is 0.5
_ON_THE_HOUR = re.compile(r"\b(\d{1,2}):00\b")  # "10:00" is 10 o'clock, not 10 and 0
_SENTENCE_ENDS = (".", "!", "?", ")", "]", '"', "'", "”", "’")
_SCALE = {"thousand": 3, "million": 6, "billion": 9}
_SCALED = re.compile(rf"(\d+(?:\.\d+)?)\s*({'|'.join(_SCALE)})\b", re.IGNORECASE)
# up to four words before a document noun ("two of the three articles", "2 news articles") or the
# number after "passage" ("(passage 1)"): the model counting or naming what it was shown
_BEFORE_DOCUMENT_NOUN = re.compile(rf"((?:[\w-]+\s+){{1,4}})(?:{DOCUMENT_NOUNS}|passages?)\b", re.IGNORECASE)
_PASSAGE_NUMBER = re.compile(r"\bpassages?\s+(\d+(?:\s*(?:,|and)\s*\d+)*)", re.IGNORECASE)


def canonical(number: str) -> str:
    """One form per value: leading zeros of a whole number dropped ("09" -> "9"), trailing ".0"
    parts dropped ("3.11.0" -> "3.11", "2.0" -> "2"); a decimal's digits are kept as written."""
    if "." not in number:
        return number.lstrip("0") or "0"
    parts = number.split(".")
    while len(parts) > 1 and set(parts[-1]) == {"0"}:
        parts.pop()
    return ".".join(parts)


def _normalised(text: str) -> str:
    """Digits for compound number words ("twenty-five" -> 25, "twenty-first" -> 21st), "0.5" for
    ".5", "10" for "10:00"."""

    def compound(match: re.Match[str]) -> str:
        tens, unit = _TENS[match.group(1).lower()], match.group(2).lower()
        return f"{tens + _UNITS[unit]}" if unit in _UNITS else f"{tens + _ORDINAL_UNITS[unit]}th"

    return _ON_THE_HOUR.sub(r"\1", _LEADING_DOT.sub(r"0.\1", _COMPOUND.sub(compound, text)))


def _scaled(text: str) -> set[str]:
    """"2.5 million" also as 2500000, so that an answer writing it out finds it."""
    found = set()
    for number, scale in _SCALED.findall(text):
        value = Decimal(number).scaleb(_SCALE[scale.lower()])
        if value == value.to_integral_value():
            found.add(str(int(value)))
    return found


def _in_units_of_scale(number: str) -> set[str]:
    """A large whole number also in thousands, millions and billions, to two decimals at most
    ("2500000" as 2500 and 2.5), so that "2.5 million" in an answer finds "$2,500,000"."""
    if not number.isdigit() or len(number) < 4:
        return set()
    value = Decimal(number)
    return {
        canonical(format(value.scaleb(-power).normalize(), "f"))
        for power in _SCALE.values()
        if value >= 10**power and value % 10 ** (power - 2) == 0
    }


@lru_cache(maxsize=4096)
def stated_numbers(text: str) -> frozenset[str]:
    """Every number text states, canonical, also when something is attached to it ("512MB",
    "v1.4.2", "21st"), with a version's leading parts ("3.11.7" states 3.11 and 3); number words
    count ("nine" states 9)."""
    text = _normalised(text)
    found: set[str] = set(_scaled(text))
    for word in words(text):
        for number in _NUMBER.findall(word):
            found.add(canonical(number))
            found |= _in_units_of_scale(number)
            parts = number.split(".")
            if len(parts) >= 3:
                found.update(canonical(".".join(parts[:n])) for n in range(1, len(parts)))
    return frozenset(found)


def claimed_numbers(claim: str, passage_count: int) -> frozenset[str]:
    """The numbers a claim asserts, canonical: its words that are numbers, without those that
    count or name the passages shown ("two of the three articles", "(passage 2)") and without the
    last word of a claim that does not end a sentence."""
    text = _normalised(claim)
    exempt = {
        canonical(w)
        for match in _BEFORE_DOCUMENT_NOUN.finditer(text)
        for w in words(match.group(1))
        if w.isdigit() and int(w) <= passage_count
    }
    exempt |= {canonical(n) for match in _PASSAGE_NUMBER.finditer(text) for n in re.findall(r"\d+", match.group(1))}
    found = words(text)
    if found and not claim.rstrip().endswith(_SENTENCE_ENDS):
        found = found[:-1]  # a reply cut off by the token limit may end in half a number ("0.80-0")
    return frozenset(canonical(w) for w in found if _NUMBER.fullmatch(w)) - exempt


def unstated(claimed: frozenset[str], stated: frozenset[str]) -> frozenset[str]:
    """The claimed numbers that nothing stated holds."""
    return claimed - stated
