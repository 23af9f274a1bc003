"""The numbers Word shows before numbered paragraphs ("3.", "2.1", "(b)"), which are not in the text.

Word keeps a list's numbers in its numbering part: a paragraph (or its style) names a list and a
level, the list's levels say where they start, in what format and with what text ("%1.%2"), and
each paragraph counts on from the one before in the same list. A contract's "breach of condition 3"
can only be followed when condition 3 says it is 3. Bullets are left out: they say nothing.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from rag.readers.base import small_int

_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))


@dataclass(frozen=True)
class _Level:
    start: int
    format: str
    text: str


@dataclass
class Numbering:
    """Counts the document's numbered paragraphs in reading order; `label` gives each its number."""

    levels: dict[str, dict[int, _Level]]  # list id -> level -> its format
    style_lists: dict[str, tuple[str, int]]  # paragraph style id -> (list id, level)
    counters: dict[str, dict[int, int]] = field(default_factory=dict)

    def label(self, paragraph: Any) -> str | None:
        """The number Word shows before the paragraph ("3.", "2.1."), counting it; None when it has
        none (not in a list, a bullet, a format that is not a number or letter)."""
        found = self._list_of(paragraph)
        if found is None or found[0] not in self.levels:
            return None
        list_id, level = found
        levels = self.levels[list_id]
        if level not in levels:
            return None
        counts = self.counters.setdefault(list_id, {})
        counts[level] = counts.get(level, levels[level].start - 1) + 1
        for deeper in [n for n in counts if n > level]:
            del counts[deeper]
        if levels[level].format in ("bullet", "none"):
            return None
        text = levels[level].text
        for n in range(level, -1, -1):
            if f"%{n + 1}" in text:
                shown = _formatted(counts.get(n, levels[n].start if n in levels else 1), levels.get(n, levels[level]).format)
                if shown is None:
                    return None
                text = text.replace(f"%{n + 1}", shown)
        return re.sub(r"[.-]?%[1-9]", "", text).strip() or None  # a level the list does not define shows nothing

    def _list_of(self, paragraph: Any) -> tuple[str, int] | None:
        properties = paragraph.find(f"{_W}pPr")
        numbered = properties.find(f"{_W}numPr") if properties is not None else None
        if numbered is not None:
            list_id = _value(numbered.find(f"{_W}numId"))
            level = _value(numbered.find(f"{_W}ilvl"))
            if list_id is not None:
                return (list_id, small_int(level, 0, limit=8)) if list_id != "0" else None
        style = _value(properties.find(f"{_W}pStyle")) if properties is not None else None
        return self.style_lists.get(style or "")


def read_numbering(document: Any) -> Numbering:
    """The document's lists, from its numbering part and the lists its paragraph styles name."""
    levels: dict[str, dict[int, _Level]] = {}
    try:
        root = document.part.numbering_part.element
    except (KeyError, NotImplementedError, AttributeError):
        root = None
    if root is not None:
        abstract = {item.get(f"{_W}abstractNumId"): _levels(item) for item in root.iter(f"{_W}abstractNum")}
        for item in root.iter(f"{_W}num"):
            base = abstract.get(_value(item.find(f"{_W}abstractNumId")), {})
            levels[item.get(f"{_W}numId") or ""] = {**base, **_overrides(item, base)}
    return Numbering(levels, _style_lists(document))


def _levels(abstract: Any) -> dict[int, _Level]:
    found = {}
    for level in abstract.iter(f"{_W}lvl"):
        found[small_int(level.get(f"{_W}ilvl"), 0, limit=8)] = _Level(
            small_int(_value(level.find(f"{_W}start")), 1),
            _value(level.find(f"{_W}numFmt")) or "decimal",
            _value(level.find(f"{_W}lvlText")) or "",
        )
    return found


def _overrides(num: Any, base: dict[int, _Level]) -> dict[int, _Level]:
    """A list's own start values (a list that restarts at 1, or goes on at 5)."""
    found = {}
    for override in num.iter(f"{_W}lvlOverride"):
        level = small_int(override.get(f"{_W}ilvl"), 0, limit=8)
        start = _value(override.find(f"{_W}startOverride"))
        if level in base and start is not None:
            found[level] = _Level(small_int(start, base[level].start), base[level].format, base[level].text)
    return found


def _style_lists(document: Any) -> dict[str, tuple[str, int]]:
    """The list each paragraph style puts its paragraphs in ("List Number"), through the styles it
    is based on."""
    styles = {style.get(f"{_W}styleId"): style for style in document.styles.element.iter(f"{_W}style")}
    found: dict[str, tuple[str, int]] = {}
    for style_id in styles:
        current, seen = styles[style_id], set()
        while current is not None and style_id not in found and id(current) not in seen:
            seen.add(id(current))
            numbered = current.find(f"{_W}pPr/{_W}numPr")
            list_id = _value(numbered.find(f"{_W}numId")) if numbered is not None else None
            if list_id is not None:
                if list_id != "0":
                    found[style_id] = (list_id, small_int(_value(numbered.find(f"{_W}ilvl")), 0, limit=8))
                break
            current = styles.get(_value(current.find(f"{_W}basedOn")))
    return found


def _value(element: Any) -> str | None:
    return element.get(f"{_W}val") if element is not None else None


def _formatted(number: int, format: str) -> str | None:
    if format in ("decimal", "decimalZero"):
        return f"{number:02d}" if format == "decimalZero" and number < 10 else str(number)
    if format in ("lowerLetter", "upperLetter") and 0 < number <= 780:
        letters = chr(ord("a") + (number - 1) % 26) * ((number - 1) // 26 + 1)  # Word's 27th is "aa", 28th "bb"
        return letters if format == "lowerLetter" else letters.upper()
    if format in ("lowerRoman", "upperRoman") and 0 < number < 4000:
        roman = ""
        for value, digits in _ROMAN:
            while number >= value:
                roman += digits
                number -= value
        return roman if format == "lowerRoman" else roman.upper()
    return None
