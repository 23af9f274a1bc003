"""Charts in OpenDocument texts and presentations, read where their frame stands as the lines of
rag/readers/chart_text.py, as PowerPoint charts are:

    Revenue by region (chart; axes: Region, Million pounds)
    2024: North 4.2, South 3.1

A chart is an embedded object: a `draw:frame` holding `draw:object xlink:href="./Object 1"`, whose
`Object 1/content.xml` holds `office:chart` with its `chart:chart`: a title, axes with titles, the
series, and the chart's own data table (`table:table`, "local-table"). Each series names the cells
of that table holding its values and its name, and the categories (or a scatter chart's x values,
its `chart:domain`) name theirs; a chart that names none is read by columns, as Impress lays the
table out (the first row the series' names, the first column the categories). A number reads as
the table holds it, plain ("0.30000000000000004" "0.3"), a percentage cell as "42%", and money as
its cell shows it ("£1,234,567"; "GBP 1234567" when the cell's text shows another number); a
number cell with no value reads as its text, when that is a number ("12").

Objects that are no chart (a formula, a spreadsheet: the manifest names their kind, or their part
holds no chart) are passed over; a chart whose part is missing, too large or damaged is left out
and named in the file's warning, and the rest of the file is read.
"""

from __future__ import annotations

import math
import posixpath
import re
import zipfile
from urllib.parse import unquote
from typing import Any

from rag.readers.base import (
    MAX_PART_BYTES, ZIP_FAILURES, DamagedParts, Unreadable, one_line, small_int, xml_parser, zip_part,
)
from rag.readers.chart_text import plain_number, point, series_line, title_line
from rag.readers.odt import OFFICE, TABLE, TEXT, paragraph_text, table_rows
from rag.readers.row_limits import MAX_COLUMNS, MAX_ROWS

CHART = "{urn:oasis:names:tc:opendocument:xmlns:chart:1.0}"
XLINK = "{http://www.w3.org/1999/xlink}"
MANIFEST = "{urn:oasis:names:tc:opendocument:xmlns:manifest:1.0}"
CHART_MIMETYPE = "application/vnd.oasis.opendocument.chart"
_NUMBER_TYPES = {"float", "percentage", "currency"}
# "local-table.$B$2:.$B$5", "'My Table'.B2:'My Table'.B5" (a quoted name may hold spaces and dots,
# a quote doubled), "$B$2:$B$5" (no table named): each range's first and last cell, columns and rows.
_REFERENCE = r"(?:(?:'(?:[^']|'')*'|[^\s'.:]*)\.)?\$?([A-Za-z]{1,3})\$?([0-9]{1,7})"
_RANGE = re.compile(rf"{_REFERENCE}(?::{_REFERENCE})?")
# A number as a cell's text shows it: digits, grouped or ended by a mark (",", ".", "'", a space),
# between a sign, currency or percent sign and brackets ("-£1,234.50", "1.234.567 €", "(42%)").
_SHOWN = re.compile(r"(?P<before>[^\d.,]*?)(?P<number>\d+(?:[.,' \u00a0\u202f]\d+)*)(?P<after>[^\d.,]*)")
MAX_REPEATED = 1000  # a cell or row repeated more often is padding, read once
# A chart's table is read up to MAX_ROWS rows and MAX_COLUMNS columns, as a sheet is: a few kilobytes
# of rows and cells each repeated a thousand times would otherwise stand for billions of cells (tester-s46 H2).


class ChartObjects:
    """The charts embedded in an OpenDocument file, read from its zip when a frame names one; those
    that cannot be read are kept in `damaged` for the file's warning."""

    def __init__(self, archive: zipfile.ZipFile) -> None:
        self._archive = archive
        self._kinds: dict[str, str] | None = None
        self._read: dict[str, list[str] | None] = {}  # by folder: a part framed a thousand times is read once
        self.damaged = DamagedParts()

    def lines(self, element: Any, what: str, number: int) -> list[str]:
        """The lines of the chart a draw:object names; none for another kind of object, or one
        outside the file, or a chart that cannot be read (noted as `what` at `number`)."""
        folder = _object_folder(element.get(f"{XLINK}href") or "")
        if folder is None or self._kind(folder) not in (None, CHART_MIMETYPE):
            return []
        if folder not in self._read:
            self._read[folder] = self._chart(folder)
        found = self._read[folder]
        if found is None:
            self.damaged.add(what, number)
        return found or []

    def _chart(self, folder: str) -> list[str] | None:
        """The lines of the chart in an object's folder ([] when it holds another kind of object);
        None when its part is missing, too large or damaged."""
        from lxml import etree

        try:
            root = etree.fromstring(_part(self._archive, f"{folder}/content.xml"), xml_parser())
        except (*ZIP_FAILURES, KeyError, Unreadable, etree.XMLSyntaxError):
            return None
        chart = root.find(f"{OFFICE}body/{OFFICE}chart/{CHART}chart")
        return [] if chart is None else chart_lines(chart)

    def _kind(self, folder: str) -> str | None:
        """The media type the manifest gives an object's folder; None when it gives none."""
        if self._kinds is None:
            self._kinds = _manifest_kinds(self._archive)
        return self._kinds.get(f"{folder}/")


def _part(archive: zipfile.ZipFile, name: str) -> bytes:
    """A part of the zip, refused past MAX_PART_BYTES (its Unreadable is caught: no message shown)."""
    return zip_part(archive, name, MAX_PART_BYTES, "", "a part", "")


def _object_folder(href: str) -> str | None:
    """An object's folder in the zip ("./Object 1" -> "Object 1"), a link percent-encoded as a URL
    may be; None for a link outside the file."""
    folder = posixpath.normpath(unquote(href)).strip("/")  # "./Object%201", "Object 1/../Object 1"
    if folder in ("", ".") or folder.startswith("..") or ":" in folder or href.startswith("/"):
        return None
    return folder


def _manifest_kinds(archive: zipfile.ZipFile) -> dict[str, str]:
    """Each manifest entry's media type by its path; none when the manifest cannot be read (every
    object is then tried as a chart)."""
    from lxml import etree

    try:
        manifest = etree.fromstring(_part(archive, "META-INF/manifest.xml"), xml_parser())
    except (*ZIP_FAILURES, KeyError, Unreadable, etree.XMLSyntaxError):
        return {}
    return {entry.get(f"{MANIFEST}full-path") or "": entry.get(f"{MANIFEST}media-type") or ""
            for entry in manifest.iter(f"{MANIFEST}file-entry")}


def chart_lines(chart: Any) -> list[str]:
    """The lines of a chart:chart: its title line, when it has a title or an axis title, then a
    line for each series with values."""
    plot = chart.find(f"{CHART}plot-area")
    axes = [] if plot is None else [_title(axis) for axis in plot.iterfind(f"{CHART}axis")]
    heading = title_line(_title(chart), axes)
    table = _Table(chart.find(f"{TABLE}table"))
    series = [] if plot is None else plot.findall(f"{CHART}series")
    categories = _categories(plot, series)
    lines = [series_line(*_series(table, one, column, categories)) for column, one in enumerate(series, start=1)]
    return ([heading] if heading else []) + [line for line in lines if line]


def _title(element: Any) -> str | None:
    """The text of an element's chart:title (a chart's or an axis's)."""
    title = element.find(f"{CHART}title")
    return None if title is None else one_line(" ".join(paragraph_text(p) for p in title.iter(f"{TEXT}p"))) or None


def _categories(plot: Any, series: list[Any]) -> str | None:
    """The cells of the categories: the x axis's chart:categories (or a series' own, as some
    writers put them); None when the chart names none."""
    found = None if plot is None else plot.find(f"{CHART}axis/{CHART}categories")
    found = found if found is not None else next(
        (child for one in series if (child := one.find(f"{CHART}categories")) is not None), None)
    return None if found is None else found.get(f"{TABLE}cell-range-address")


def _series(table: _Table, series: Any, column: int, categories: str | None) -> tuple[str | None, list[str]]:
    """A series' name and points, from the cells it names, or from its column of the table (the
    first row its name, the first column the categories) when it names none."""
    values = series.get(f"{CHART}values-cell-range-address")
    if values:
        name = " ".join(table.texts(series.get(f"{CHART}label-cell-address") or "")) or None
        numbers, labels = table.values(values), table.texts(categories or "")
    else:
        name, numbers, labels = table.cell_text(0, column) or None, table.column_values(column), table.column_texts(0)
    domain = series.find(f"{CHART}domain")
    xs = table.values(domain.get(f"{TABLE}cell-range-address") or "") if domain is not None else []
    return name, [point(value, labels[index] if index < len(labels) else None, xs[index] if index < len(xs) else None)
                  for index, value in enumerate(numbers) if value and (index >= len(xs) or xs[index])]  # no x: not drawn


class _Table:
    """A chart's data table as a grid of cells, addressed as its series address them ("B2")."""

    def __init__(self, table: Any | None) -> None:
        self.rows: list[list[Any]] = []
        for row in [] if table is None else table_rows(table):
            cells = _cells(row)  # one list for a row however often it repeats
            repeated = max(1, small_int(row.get(f"{TABLE}number-rows-repeated"), 1, MAX_REPEATED))
            self.rows += [cells] * min(repeated, MAX_ROWS - len(self.rows))
            if len(self.rows) >= MAX_ROWS:
                break

    def cell(self, row: int, column: int) -> Any | None:
        return self.rows[row][column] if row < len(self.rows) and column < len(self.rows[row]) else None

    def cell_text(self, row: int, column: int) -> str:
        cell = self.cell(row, column)
        return "" if cell is None else _text(cell)

    def texts(self, address: str) -> list[str]:
        """The text of each cell of a range address, in order."""
        return [_text(cell) for cell in self._range(address)]

    def values(self, address: str) -> list[str]:
        """Each cell of a range address as a value ("" for an empty cell, a point not drawn)."""
        return [_value(cell) for cell in self._range(address)]

    def column_texts(self, column: int) -> list[str]:
        return [self.cell_text(row, column) for row in range(1, len(self.rows))]

    def column_values(self, column: int) -> list[str]:
        return [_value(cell) if (cell := self.cell(row, column)) is not None else ""
                for row in range(1, len(self.rows))]

    def _range(self, address: str) -> list[Any]:
        """The cells of "local-table.$B$2:.$B$5" (several ranges apart by spaces), row by row,
        within the table (an address beyond it names no cells)."""
        cells = []
        for found in _RANGE.finditer(address):
            first_column, first_row = _position(found[1], found[2])
            last_column, last_row = _position(found[3], found[4]) if found[3] else (first_column, first_row)
            (first_column, last_column), (first_row, last_row) = sorted((first_column, last_column)), sorted(
                (first_row, last_row))  # "B5:B2" names the cells "B2:B5" does
            width = max((len(row) for row in self.rows), default=0)
            for row in range(first_row, min(last_row, len(self.rows) - 1) + 1):
                for column in range(first_column, min(last_column, width - 1) + 1):
                    cell = self.cell(row, column)
                    if cell is not None:
                        cells.append(cell)
        return cells


def _position(letters: str, digits: str) -> tuple[int, int]:
    """("B", "2") -> (column 1, row 1), counted from 0."""
    column = 0
    for letter in letters.upper():
        column = column * 26 + ord(letter) - ord("A") + 1
    return column - 1, int(digits) - 1


def _cells(row: Any) -> list[Any]:
    """A row's cells, a cell repeated (table:number-columns-repeated) as often as it stands, up to
    MAX_COLUMNS."""
    cells: list[Any] = []
    for cell in row:
        if cell.tag in (f"{TABLE}table-cell", f"{TABLE}covered-table-cell"):
            repeated = max(1, small_int(cell.get(f"{TABLE}number-columns-repeated"), 1, MAX_REPEATED))
            cells += [cell] * min(repeated, MAX_COLUMNS - len(cells))
            if len(cells) >= MAX_COLUMNS:
                break
    return cells


def _text(cell: Any) -> str:
    return one_line(" ".join(paragraph_text(p) for p in cell.iter(f"{TEXT}p")))


def _value(cell: Any) -> str:
    """A cell as a chart's value: a number cell's office:value plain (a percentage's as "42%", a
    currency's as _money shows it), "" for a NaN or infinite one (a point not drawn), and the text
    of one whose office:value is missing or no number when that text is a number (tester-s46 L2:
    such a point was dropped); any other cell's text."""
    kind, value = cell.get(f"{OFFICE}value-type"), cell.get(f"{OFFICE}value")
    if kind not in _NUMBER_TYPES and (kind is not None or value is None):
        return _text(cell)
    try:
        number = float(value or "")
    except ValueError:
        text = _text(cell)
        return text if _shown_numbers(text) else ""
    if not math.isfinite(number):
        return ""
    return _money(cell, number) if kind == "currency" else plain_number(number, percent=kind == "percentage")


def _money(cell: Any, number: float) -> str:
    """A currency cell as the document shows it ("£1,234,567", "1.234.567 €") when its text shows
    its value, rounded or not, else the value with its currency's code ("GBP 1234567"), as the
    .pptx reader keeps money in its format (tester-s46 L3: the currency was lost, "1234567")."""
    text = _text(cell)
    if any(abs(shown - number) <= 0.5 * 10.0 ** -decimals + abs(number) * 1e-12  # a double's noise aside
           for shown, decimals in _shown_numbers(text)):
        return text
    code = one_line(cell.get(f"{OFFICE}currency") or "")
    return f"{code} {plain_number(number)}" if code else plain_number(number)


def _shown_numbers(text: str) -> list[tuple[float, int]]:
    """The numbers a cell's text may show, with their decimals: "£1,234,567" and "1.234.567 €" show
    (1234567, 0), "-1,5 kr" (-1.5, 1), and "1,234" (1234, 0) or (1.234, 3), as either mark may
    group digits or end them; none for text that is no one number ("1.#NAN", "Q1 2024")."""
    found = _SHOWN.fullmatch(text.strip())
    if found is None:
        return []
    sign = -1 if any(mark in found["before"] + found["after"] for mark in "-\u2212(") else 1
    groups, marks = re.split(r"\D", found["number"]), re.findall(r"\D", found["number"])
    numbers = [(sign * float("".join(groups)), 0)] if _grouped(groups, marks) else []
    if marks and marks[-1] in ".," and marks[-1] not in marks[:-1] and _grouped(groups[:-1], marks[:-1]):
        numbers.append((sign * float(f"{''.join(groups[:-1])}.{groups[-1]}"), len(groups[-1])))  # "1,234.5"
    return numbers


def _grouped(groups: list[str], marks: list[str]) -> bool:
    """Digits a whole number may be written in: one run, or groups of three after the first (of one
    to three) apart by one kind of mark ("1,234,567", "1 234")."""
    return len(groups) == 1 or (len(set(marks)) == 1 and len(groups[0]) <= 3
                                and all(len(group) == 3 for group in groups[1:]))
