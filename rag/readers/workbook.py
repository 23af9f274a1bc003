"""A workbook's visible sheets as rows of cell texts, read with python-calamine in a process of its
own: `python -P -m rag.readers.workbook FORMAT`, the file's bytes on stdin, JSON on stdout
(rag/readers/spreadsheet.py starts it and makes passages of the rows; -P keeps the current folder
off the worker's path, where a user's own rag.py would be imported instead of this package).

Why a process: calamine is Rust, and a damaged or hostile file can make it abort the process it
runs in, which no `except` catches and which would end `rag index` with every other file of the
folder. A loop in an .xls file's chain of sectors grows a list without end, and one value at cell
XFD1048576 asks for a grid of 17 billion cells (calamine holds a sheet as a full grid). Here the
process's memory is capped at MEMORY_LIMIT, so such a file ends this process alone.

Each cell reads as a person reads it: a whole number without ".0", a fraction without binary
noise (0.1 + 0.2 as 0.3), TRUE or FALSE, a date as 2024-03-01 and a date and time as
2024-03-01 14:30, a duration as 26:30; a formula as the value it last computed, or empty when the
file holds none (rag/readers/xlsx_formulas.py); a cell merged down repeated in each row it
covers that holds a value, as the ODT and PowerPoint readers repeat one, so a row keeps its
group's label in a later passage (one merged across is read once, the columns it covers empty);
hidden rows and columns left out (rag/readers/hidden_cells.py, .xlsx and .ods). calamine gives
no number formats, so a percentage reads as its fraction (0.425) and money as its number, and it
gives an error cell (#DIV/0!) as an empty one.
"""

from __future__ import annotations

import datetime
import io
import itertools
import json
import re
import sys
import tempfile
from dataclasses import asdict, dataclass
from typing import Any

from rag.readers.base import without_trailing_empty_cells
from rag.readers.chart_text import plain_number
from rag.readers.row_limits import MAX_COLUMNS, MAX_ROWS
from rag.readers.xlsx_formulas import uncomputed_formulas
from rag.readers.hidden_cells import Hidden, hidden_cells

MEMORY_LIMIT = 2 << 30  # bytes of address space: a sheet of some 20 million cells, or the file is refused
PASSWORD = "password"  # the error a workbook saved with a password gives
_DURATION = re.compile(r"PT(\d+)H(\d+)M(\d+(?:\.\d+)?)S")  # how OpenDocument writes a time or duration


@dataclass(frozen=True)
class Sheet:
    """A visible sheet's first rows of cell texts, its size in rows and columns (those read are
    at most MAX_ROWS and MAX_COLUMNS), and how many of the cells read are formulas with no saved
    value (read empty)."""

    name: str
    rows: list[list[str]]
    height: int
    width: int
    uncomputed: int = 0


@dataclass(frozen=True)
class Workbook:
    """The sheets read, in the workbook's order, and those left out as damaged, each with why."""

    sheets: list[Sheet]
    damaged: list[tuple[str, str]]


class CannotOpen(Exception):
    """calamine could not open the workbook; the message is its reason, or PASSWORD."""


def read_workbook(data: bytes, fmt: str = "") -> Workbook:
    """The visible worksheets of a workbook (xlsx, xlsm, xlsb, xls or ods, told by its content);
    hidden ones, chart sheets and macro sheets left out, a damaged one named in `damaged`.

    Args:
        fmt: "xlsx", "xlsb", "xls" or "ods" as rag's reader found it, so that calamine, when it
            cannot tell the format, opens it as that and says what is wrong (a password, a
            sheet too large) rather than "Cannot detect file format".

    Raises:
        CannotOpen: not a workbook calamine reads, damaged, or saved with a password.
    """
    from python_calamine import SheetTypeEnum, SheetVisibleEnum

    workbook = _opened(data, fmt)
    uncomputed = uncomputed_formulas(data) if fmt in ("", "xlsx") else {}
    hidden = hidden_cells(data, fmt)
    sheets, damaged = [], []
    with workbook:
        for index, metadata in enumerate(workbook.sheets_metadata):
            if metadata.visible != SheetVisibleEnum.Visible or metadata.typ != SheetTypeEnum.WorkSheet:
                continue
            try:
                sheet = workbook.get_sheet_by_index(index)
                sheets.append(_sheet(metadata.name, sheet, uncomputed.get(metadata.name, set()),
                                     hidden.get(metadata.name, Hidden())))
            except BaseException as error:
                if not _failed(error):
                    raise
                damaged.append((metadata.name, _reason(error)))
    return Workbook(sheets, damaged)


def _opened(data: bytes, fmt: str) -> Any:
    """The workbook, told by its content, else opened as `fmt` (see read_workbook).

    Raises:
        CannotOpen: as read_workbook.
    """
    from python_calamine import CalamineWorkbook

    try:
        return _calamine(CalamineWorkbook.from_filelike, io.BytesIO(data))
    except CannotOpen as undetected:
        if not fmt:
            raise
        failed = undetected
    with tempfile.TemporaryDirectory() as folder:  # calamine picks the format by the file's extension
        path = f"{folder}/workbook.{fmt}"
        with open(path, "wb") as handle:
            handle.write(data)
        try:
            return _calamine(CalamineWorkbook.from_path, path)
        except CannotOpen as error:
            if isinstance(error.__cause__, OSError) or type(error.__cause__).__name__ == "PanicException":
                raise failed from None  # "failed to fill whole buffer": calamine's reading, not the file's fault
            raise


def _calamine(opener: Any, source: object) -> Any:
    """opener(source), its failure a CannotOpen with calamine's reason (or PASSWORD)."""
    from python_calamine import PasswordError

    try:
        return opener(source)
    except PasswordError:
        raise CannotOpen(PASSWORD) from None
    except BaseException as error:
        if not _failed(error):
            raise
        raise CannotOpen(_reason(error)) from error


def _sheet(name: str, sheet: Any, uncomputed: set[tuple[int, int]], hidden: Hidden) -> Sheet:
    """The sheet's first rows: a formula with no saved value empty, then merged cells repeated,
    then hidden rows and columns left out. calamine's rows start at cell A1's row and at the first
    column with a value; its merged ranges, the formulas found and the hidden cells count from A1."""
    left = sheet.start[1] if sheet.start else 0
    rows = [list(row[:MAX_COLUMNS]) for row in itertools.islice(sheet.iter_rows(), MAX_ROWS)]
    blanked = 0
    for row, column in uncomputed:
        if row < len(rows) and 0 <= column - left < len(rows[row]):
            rows[row][column - left] = None
            blanked += 1
    _repeat_merged_down(rows, _merged_ranges(sheet), left)
    rows = _shown(rows, hidden, left)
    texts = [without_trailing_empty_cells([cell_text(value) for value in row]) for row in rows]
    return Sheet(name, texts, sheet.height, sheet.width, blanked)


def _shown(rows: list[list[Any]], hidden: Hidden, left: int) -> list[list[Any]]:
    """The rows and columns the sheet shows: its hidden ones left out."""
    columns = {column - left for column in hidden.columns}
    return [[value for i, value in enumerate(row) if i not in columns] if columns else row
            for number, row in enumerate(rows) if number not in hidden.rows]


def _merged_ranges(sheet: Any) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """The sheet's merged ranges ((first row, first column), (last row, last column)); none where
    calamine does not read them for the format."""
    try:
        return list(sheet.merged_cell_ranges or [])
    except Exception:  # noqa: BLE001 - a format without merged ranges, or a calamine that cannot tell
        return []


def _repeat_merged_down(rows: list[list[Any]], ranges: list[tuple[tuple[int, int], tuple[int, int]]],
                        left: int) -> None:
    """A merged cell's value into the rows below it that it covers and that hold a value of their
    own (a row of the label alone would be a passage line saying nothing new)."""
    for (top, first), (bottom, _) in ranges:
        column = first - left
        if top >= len(rows) or not 0 <= column < len(rows[top]) or _empty(rows[top][column]):
            continue
        for row in rows[top + 1 : bottom + 1]:
            if column < len(row) and _empty(row[column]) and not all(map(_empty, row)):
                row[column] = rows[top][column]


def _empty(value: object) -> bool:
    return value is None or value == ""


def _failed(error: BaseException) -> bool:
    """An Exception, or a panic of calamine's Rust (pyo3's PanicException derives from
    BaseException alone); not an interrupt."""
    return isinstance(error, Exception) or type(error).__name__ == "PanicException"


def _reason(error: BaseException) -> str:
    """Why calamine failed, in its words (its own errors name the part: "XmlError: ...")."""
    from python_calamine import CalamineError

    return str(error) if type(error) is CalamineError else f"{type(error).__name__}: {error}"


def cell_text(value: object) -> str:
    """A cell's value as a person reads it on the sheet (see the module's docstring)."""
    if isinstance(value, str):
        duration = _DURATION.fullmatch(value)
        if duration:
            return _clock(int(duration[1]) * 3600 + int(duration[2]) * 60 + float(duration[3]))
        return value.strip()
    if isinstance(value, bool):
        return "TRUE" if value else "FALSE"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return plain_number(value)
    if isinstance(value, datetime.datetime):
        value = _to_the_second(value)
        return f"{value.date().isoformat()} {_clock(_seconds(value.time()))}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return _clock(_seconds(value))
    if isinstance(value, datetime.timedelta):
        return _clock(value.total_seconds())
    return "" if value is None else str(value)


def _to_the_second(value: datetime.datetime) -> datetime.datetime:
    """The date and time rounded to the second before they are written, so 23:59:59.6 reads as the
    next day's 00:00, not as "24:00" of its own day."""
    try:
        return (value + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)
    except OverflowError:  # the last second of year 9999
        return value.replace(microsecond=0)


def _seconds(time: datetime.time) -> float:
    return time.hour * 3600 + time.minute * 60 + time.second + time.microsecond / 1e6


def _clock(seconds: float) -> str:
    """"14:30", "26:30" (a duration's hours run on), "14:30:05" when the seconds are not zero."""
    whole = round(abs(seconds))
    hours, minutes, rest = whole // 3600, whole // 60 % 60, whole % 60
    sign = "-" if seconds < 0 and whole else ""
    return f"{sign}{hours:02d}:{minutes:02d}" + (f":{rest:02d}" if rest else "")


def _limit_memory() -> None:
    """Cap this process's address space where the system allows it (not on Windows)."""
    try:
        import resource
    except ImportError:
        return
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    if hard == resource.RLIM_INFINITY or hard > MEMORY_LIMIT:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, hard))


def main() -> None:
    """The worker: the workbook's bytes from stdin, its format as the argument, {"sheets",
    "damaged"} or {"error"} as JSON on stdout."""
    _limit_memory()
    data = sys.stdin.buffer.read()
    try:
        result: dict[str, Any] = asdict(read_workbook(data, sys.argv[1] if len(sys.argv) > 1 else ""))
    except CannotOpen as error:
        result = {"error": str(error)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
