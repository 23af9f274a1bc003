"""The formula cells of an .xlsx workbook that hold no value it computed, by sheet: calamine reads
a formula as the value saved beside it and shows no formulas, so these are found in the sheets'
XML (rag/readers/workbook.py reads them as empty cells, and the reader warns how many).

A file a spreadsheet program saved holds each formula's last result (`<f>` with `<v>`). One a
script wrote (openpyxl, XlsxWriter) often holds none, since nothing computed it: openpyxl writes
`<f>` alone, and XlsxWriter writes a 0 beside every formula not given a result, with the
workbook's `fullCalcOnLoad` telling the program to compute them all on opening. So a formula
with no value, or with a 0 in a workbook marked to be computed on opening, has no saved value:
a made-up 0 is wrong data, an empty cell with a warning is not.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import IO

from rag.readers.row_limits import MAX_ROWS
from rag.readers.xlsx_xml import FAILURES, column_number, holds, local, named, opened_sheets, row_number

_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")  # a formula's element, <f> or <x:f ...>


def uncomputed_formulas(data: bytes) -> dict[str, set[tuple[int, int]]]:
    """(row, column) of each formula cell with no saved value in the first MAX_ROWS rows, from
    0, by sheet name; none when the file is not an .xlsx or its XML cannot be read (calamine
    then says what is wrong)."""
    try:
        with opened_sheets(data) as (archive, workbook, parts):
            recomputed = any(element.get("fullCalcOnLoad") in ("1", "true") for element in named(workbook, "calcPr"))
            found = {}
            for name, part in parts.items():
                if not holds(archive, part, _FORMULA):
                    continue
                with archive.open(part) as xml:
                    cells = set(_uncomputed(xml, recomputed))
                if cells:
                    found[name] = cells
            return found
    except FAILURES:
        return {}


def _uncomputed(xml: IO[bytes], recomputed: bool) -> Iterator[tuple[int, int]]:
    """The cells of one sheet's XML whose formula has no saved value (a cell or row without its
    optional `r` follows the one before it)."""
    row = column = -1
    for event, element in ET.iterparse(xml, events=("start", "end")):
        tag = local(element.tag)
        if event == "start" and tag == "row":
            row = row_number(element.get("r"), row)
            column = -1
            if row >= MAX_ROWS:
                return
        elif event == "end" and tag == "c":
            column = column_number(element.get("r"), column)
            if _no_saved_value(element, recomputed):
                yield row, column
            element.clear()
        elif event == "end" and tag == "row":
            element.clear()


def _no_saved_value(cell: ET.Element, recomputed: bool) -> bool:
    children = {local(child.tag): child for child in cell}
    if "f" not in children:
        return False
    value = children.get("v")
    text = (value.text or "").strip() if value is not None else ""
    return not text or (recomputed and text == "0" and cell.get("t", "n") == "n")
