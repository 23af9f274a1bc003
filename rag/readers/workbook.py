"""A workbook's visible sheets as rows of cell texts, read with python-calamine in a process of its
own: `python -m rag.readers.workbook`, the file's bytes on stdin, JSON on stdout
(rag/readers/spreadsheet.py starts it and makes passages of the rows).

Why a process: calamine is Rust, and a damaged or hostile file can make it abort the process it
runs in, which no `except` catches and which would end `rag index` with every other file of the
folder. A loop in an .xls file's chain of sectors grows a list without end, and one value at cell
XFD1048576 asks for a grid of 17 billion cells (calamine holds a sheet as a full grid). Here the
process's memory is capped at MEMORY_LIMIT, so such a file ends this process alone.

Each cell reads as a person reads it: a whole number without ".0", a fraction without binary
noise (0.1 + 0.2 as 0.3), TRUE or FALSE, a date as 2024-03-01 and a date and time as
2024-03-01 14:30, a duration as 26:30; a formula as the value it last computed. calamine gives
no number formats, so a percentage reads as its fraction (0.425) and money as its number, and
it gives an error cell (#DIV/0!) as an empty one.
"""

from __future__ import annotations

import datetime
import io
import itertools
import json
import re
import sys
from dataclasses import asdict, dataclass
from typing import Any

from rag.readers.base import without_trailing_empty_cells
from rag.readers.chart_text import plain_number
from rag.readers.row_limits import MAX_COLUMNS, MAX_ROWS

MEMORY_LIMIT = 2 << 30  # bytes of address space: a sheet of some 20 million cells, or the file is refused
PASSWORD = "password"  # the error a workbook saved with a password gives
_DURATION = re.compile(r"PT(\d+)H(\d+)M(\d+(?:\.\d+)?)S")  # how OpenDocument writes a time or duration


@dataclass(frozen=True)
class Sheet:
    """A visible sheet's first rows of cell texts, and its size in rows and columns (those
    read are at most MAX_ROWS and MAX_COLUMNS)."""

    name: str
    rows: list[list[str]]
    height: int
    width: int


@dataclass(frozen=True)
class Workbook:
    """The sheets read, in the workbook's order, and those left out as damaged, each with why."""

    sheets: list[Sheet]
    damaged: list[tuple[str, str]]


class CannotOpen(Exception):
    """calamine could not open the workbook; the message is its reason, or PASSWORD."""


def read_workbook(data: bytes) -> Workbook:
    """The visible worksheets of a workbook (xlsx, xlsm, xlsb, xls or ods, told by its content);
    hidden ones, chart sheets and macro sheets left out, a damaged one named in `damaged`.

    Raises:
        CannotOpen: not a workbook calamine reads, damaged, or saved with a password.
    """
    from python_calamine import CalamineWorkbook, PasswordError, SheetTypeEnum, SheetVisibleEnum

    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
    except PasswordError:
        raise CannotOpen(PASSWORD) from None
    except BaseException as error:
        if not _failed(error):
            raise
        raise CannotOpen(_reason(error)) from error
    sheets, damaged = [], []
    with workbook:
        for index, metadata in enumerate(workbook.sheets_metadata):
            if metadata.visible != SheetVisibleEnum.Visible or metadata.typ != SheetTypeEnum.WorkSheet:
                continue
            try:
                sheets.append(_sheet(metadata.name, workbook.get_sheet_by_index(index)))
            except BaseException as error:
                if not _failed(error):
                    raise
                damaged.append((metadata.name, _reason(error)))
    return Workbook(sheets, damaged)


def _sheet(name: str, sheet: Any) -> Sheet:
    rows = itertools.islice(sheet.iter_rows(), MAX_ROWS)
    texts = [without_trailing_empty_cells([cell_text(value) for value in row[:MAX_COLUMNS]]) for row in rows]
    return Sheet(name, texts, sheet.height, sheet.width)


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
        return f"{value.date().isoformat()} {_clock(_seconds(value.time()))}"
    if isinstance(value, datetime.date):
        return value.isoformat()
    if isinstance(value, datetime.time):
        return _clock(_seconds(value))
    if isinstance(value, datetime.timedelta):
        return _clock(value.total_seconds())
    return "" if value is None else str(value)


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
    """The worker: the workbook's bytes from stdin, {"sheets", "damaged"} or {"error"} as JSON on stdout."""
    _limit_memory()
    data = sys.stdin.buffer.read()
    try:
        result: dict[str, Any] = asdict(read_workbook(data))
    except CannotOpen as error:
        result = {"error": str(error)}
    json.dump(result, sys.stdout)


if __name__ == "__main__":
    main()
