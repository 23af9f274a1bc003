"""The hidden rows and columns of a workbook's sheets (.xlsx and .ods): calamine reads every
cell, but a row hidden by hand, by a filter or in a collapsed outline group, or a hidden column,
is not what the sheet shows, as a hidden sheet, a Word document's hidden text and a hidden slide
are not; rag/readers/workbook.py leaves them out. (An .xls or .xlsb file's are read: their
binary records are calamine's alone.)"""

from __future__ import annotations

import io
import re
import xml.etree.ElementTree as ET
import zipfile
from dataclasses import dataclass, field
from typing import IO

from rag.readers.row_limits import MAX_COLUMNS, MAX_ROWS
from rag.readers.xlsx_xml import FAILURES, holds, local, opened_sheets, row_number

_XLSX_HIDDEN = re.compile(rb"""\shidden=["'](?:1|true)["']""")
_ODS_HIDDEN = re.compile(rb"""visibility=["'](?:collapse|filter)["']""")


@dataclass(frozen=True)
class Hidden:
    """A sheet's hidden rows and columns, numbered from 0 at cell A1."""

    rows: frozenset[int] = field(default_factory=frozenset)
    columns: frozenset[int] = field(default_factory=frozenset)


def hidden_cells(data: bytes, fmt: str) -> dict[str, Hidden]:
    """The hidden rows (of the first MAX_ROWS) and columns (of the first MAX_COLUMNS) of each
    sheet that has any, by sheet name; none for other formats or when the XML cannot be read
    (calamine then says what is wrong). fmt "" (not known) tries .xlsx, then .ods."""
    for kind, read in (("xlsx", _xlsx_hidden), ("ods", _ods_hidden)):
        if fmt in ("", kind):
            try:
                return read(data)
            except FAILURES:
                continue
    return {}


def _xlsx_hidden(data: bytes) -> dict[str, Hidden]:
    found = {}
    with opened_sheets(data) as (archive, _, parts):
        for name, part in parts.items():
            if holds(archive, part, _XLSX_HIDDEN):
                with archive.open(part) as xml:
                    hidden = _xlsx_sheet_hidden(xml)
                if hidden.rows or hidden.columns:
                    found[name] = hidden
    return found


def _xlsx_sheet_hidden(xml: IO[bytes]) -> Hidden:
    """One sheet's <row hidden="1"> and <col min max hidden="1"> (its columns numbered from 1)."""
    rows: set[int] = set()
    columns: set[int] = set()
    row = -1
    for event, element in ET.iterparse(xml, events=("start", "end")):
        tag = local(element.tag)
        if event == "start" and tag == "row":
            row = row_number(element.get("r"), row)
            if row >= MAX_ROWS:
                break
            if element.get("hidden") in ("1", "true"):
                rows.add(row)
        elif event == "end" and tag == "col" and element.get("hidden") in ("1", "true"):
            first, last = _numbers(element.get("min"), element.get("max"))
            columns.update(range(first - 1, min(last, MAX_COLUMNS)))
        elif event == "end" and tag in ("row", "c"):
            element.clear()
    return Hidden(frozenset(rows), frozenset(columns))


def _numbers(first: str | None, last: str | None) -> tuple[int, int]:
    """A <col> element's first and last column, from 1 (1, 0 when unreadable: none)."""
    try:
        return int(first or ""), int(last or "")
    except ValueError:
        return 1, 0


def _ods_hidden(data: bytes) -> dict[str, Hidden]:
    """Each table's rows and columns whose visibility is "collapse" (hidden, or in a collapsed
    group) or "filter" (filtered out), counting the rows and columns an element repeats."""
    found: dict[str, Hidden] = {}
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        if not holds(archive, "content.xml", _ODS_HIDDEN):
            return found
        with archive.open("content.xml") as xml:
            name, rows, columns = "", _Run(MAX_ROWS), _Run(MAX_COLUMNS)
            for event, element in ET.iterparse(xml, events=("start", "end")):
                tag = local(element.tag)
                if event == "start" and tag == "table":
                    name, rows, columns = _attribute(element, "name") or "", _Run(MAX_ROWS), _Run(MAX_COLUMNS)
                elif event == "start" and tag == "table-column":
                    columns.add(_repeat(element, "number-columns-repeated"), _collapsed(element))
                elif event == "start" and tag == "table-row":
                    rows.add(_repeat(element, "number-rows-repeated"), _collapsed(element))
                elif event == "end" and tag == "table-row":
                    element.clear()
                elif event == "end" and tag == "table" and (rows.hidden or columns.hidden):
                    found[name] = Hidden(frozenset(rows.hidden), frozenset(columns.hidden))
    return found


class _Run:
    """The rows (or columns) of one table read so far: how many, and which of the first `cap` are hidden."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.count = 0
        self.hidden: set[int] = set()

    def add(self, repeat: int, hidden: bool) -> None:
        if hidden:
            self.hidden.update(range(self.count, min(self.count + repeat, self.cap)))
        self.count += repeat


def _collapsed(element: ET.Element) -> bool:
    return _attribute(element, "visibility") in ("collapse", "filter")


def _attribute(element: ET.Element, name: str) -> str | None:
    return next((value for key, value in element.attrib.items() if local(key) == name), None)


def _repeat(element: ET.Element, name: str) -> int:
    value = _attribute(element, name) or "1"
    return int(value) if value.isdigit() else 1
