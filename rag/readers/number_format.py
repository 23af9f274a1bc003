"""A number as an Excel number format shows it, for the values a chart caches (rag/readers/pptx_chart.py).

Only the simple formats are read, and anything else gives None (the caller shows the number plain):

- a date format (`yyyy-mm-dd`, `m/d/yyyy`, `[$-409]mmm-yy`: y, m or d outside quotes) reads an Excel
  serial number as a date: ISO `2024-01-01` when the format shows the day, `Jan 2024` when it
  shows the month and year alone; serial 1 is 1900-01-01 and 60 the 29 February 1900 Excel counts,
  or serial 0 is 1904-01-01 in a workbook of the 1904 date system; a time of day is left out;
- a percentage (`0%`, `0.0%`) the number times 100, rounded to the format's decimals;
- a number (`#,##0`, `0.00`, `"£"#,##0`, `#,##0 "kg"`, `[$€-407] #,##0.00`) rounded to its
  decimals (half away from zero, as Excel rounds), with thousands separators when it has them and
  its quoted or escaped text, currency symbol and signs around it; a second section for negative
  numbers is followed, a colour ([Red]) and padding (`_)`, `* `) left out.

Scientific, fraction, elapsed-time and scaling formats, and text formats, give None.
"""

from __future__ import annotations

import datetime
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

# A format's pieces: a quoted literal, an escaped character, a bracketed code, padding or fill,
# a run of the digits' placeholders, or any other character.
_TOKENS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|[_*].|[#0?,.]+|.', re.DOTALL)
_PLAIN = set("$-+/():!^&'~{}<>= .,")  # shown as written, as is any character beyond ASCII (£, €)
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_LAST_SERIAL = 2_958_465  # 9999-12-31


def formatted(number: float, code: str, date1904: bool = False) -> str | None:
    """The number as the format code shows it, or None for General and a format not read here."""
    sections = _sections(code)
    if sections[0].strip().lower() in ("", "general"):
        return None
    if is_date_format(sections[0]):
        return as_date(number, sections[0], date1904)
    if number < 0 and len(sections) > 1 and sections[1].strip():
        return _as_number(-number, sections[1], negative=False)
    return _as_number(number, sections[0], negative=number < 0)


def is_date_format(code: str) -> bool:
    """Whether a format shows a date: y, m or d outside quotes and no digits' placeholders (m
    alone, as in "h:mm", is minutes)."""
    section = _sections(code)[0]
    bare = _bare(section).lower()
    if re.search(r"[#0?]", bare) or re.search(r"\[[hms]+\]", section, re.IGNORECASE):  # elapsed time
        return False
    return bool(re.search(r"[yd]", bare)) or ("m" in bare and not re.search(r"[hs]", bare))


def as_date(serial: float, code: str = "yyyy-mm-dd", date1904: bool = False) -> str | None:
    """An Excel serial number as a date, "2024-01-01", or "Jan 2024" under a format of month and
    year alone; None for a serial before the first day or after 9999."""
    if not (0 if date1904 else 1) <= serial <= _LAST_SERIAL:
        return None
    bare, day = _bare(code).lower(), int(serial)
    try:
        if date1904:
            date = datetime.date(1904, 1, 1) + datetime.timedelta(days=day)
        elif day == 60:  # the 29 February 1900 Excel counts (Lotus 1-2-3's leap year)
            return "1900-02-29" if "d" in bare or "y" not in bare else "Feb 1900"
        else:
            date = datetime.date(1899, 12, 31 if day < 60 else 30) + datetime.timedelta(days=day)
    except OverflowError:
        return None
    if "d" not in bare and "y" in bare and "m" in bare:
        return f"{_MONTHS[date.month - 1]} {date.year}"
    return date.isoformat()


def _sections(code: str) -> list[str]:
    """A format's sections (positive; negative; zero; text), split at semicolons outside quotes."""
    sections, current = [], ""
    for token in _TOKENS.findall(code or ""):
        if token == ";":
            sections.append(current)
            current = ""
        else:
            current += token
    return [*sections, current]


def _bare(section: str) -> str:
    """A section without its literals, bracketed codes and padding: the tokens that format."""
    return "".join(token for token in _TOKENS.findall(section) if token[0] not in '"\\[_*')


def _as_number(number: float, section: str, *, negative: bool) -> str | None:
    """A number's size under a section of placeholders and literals ("-" before it when negative
    and not shown as zero), or None for a section not read here."""
    parts: list[str] = []
    placeholders, percents = None, 0
    for token in _TOKENS.findall(section):
        if token[0] == '"':
            parts.append(token[1:-1])
        elif token[0] == "\\":
            parts.append(token[1:])
        elif token[0] == "[":
            symbol = re.fullmatch(r"\[\$([^-\]]*)(-[0-9A-Fa-f]+)?\]", token)
            if symbol:
                parts.append(symbol.group(1))
            elif not re.fullmatch(r"\[[A-Za-z]+[0-9]*\]", token):  # a colour; not a condition ([>=100])
                return None
        elif token[0] in "_*":
            continue
        elif re.search(r"[#0?]", token) and placeholders is None:
            placeholders = token
            parts.append("\0")
        elif token == "%":
            percents += 1
            parts.append("%")
        elif token in _PLAIN or not token.isascii():
            parts.append(token)
        else:
            return None
    digits = None if placeholders is None else _digits(abs(number), placeholders, percents)
    if digits is None:
        return None
    sign = "-" if negative and digits.strip("0.,") else ""
    return sign + "".join(parts).replace("\0", digits).strip()


def _digits(number: float, placeholders: str, percents: int) -> str | None:
    """The number under a run of placeholders ("#,##0.00"): rounded to its decimals, half away
    from zero, with thousands separators when the run has a comma."""
    whole, _, fraction = placeholders.partition(".")
    if "," in fraction or whole.endswith(",") or "?" in placeholders or "." in fraction:
        return None  # scaling by thousands, aligned digits
    try:
        value = Decimal(repr(float(number))) * 100 ** percents
        rounded = value.quantize(Decimal(1).scaleb(-len(fraction)), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, OverflowError):
        return None
    if not rounded.is_finite():
        return None
    shown = f"{rounded:{',' if ',' in whole else ''}.{len(fraction)}f}"
    for _ in range(len(fraction) - len(fraction.rstrip("#"))):  # "#" decimals show only when not zero
        shown = shown[:-1] if shown.endswith("0") else shown
    return shown.rstrip(".") if fraction and not fraction.rstrip("#") else shown
