"""Spreadsheets: Excel workbooks (.xlsx, .xlsm, .xlsb, and Office 97-2003's .xls) and OpenDocument
ones (.ods), as python-calamine reads them, in a process of its own (rag/readers/workbook.py says
why and how a cell reads).

Each visible sheet with text is a page (its position among the sheets read), its name the
heading of its rows, each row with text a table row "cell | cell" as the other readers write
one (an empty cell kept in its column, the columns empty in every row at the end left out), so
rag/chunking.py finds a sheet's header row and carries it into its later passages. Hidden
sheets are left out, as hidden slides are, and so are sheets with no text, and an .xlsx or .ods
sheet's hidden rows and columns (rag/readers/hidden_cells.py). A sheet is read to
MAX_ROWS rows and MAX_COLUMNS columns (rag/readers/row_limits.py), a warning saying how much.
"""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any

from rag.readers.base import (
    OFFICE_PASSWORD, ZIP_FAILURES, Block, ReadResult, Unreadable, file_bytes, table_lines, zip_failure,
)
from rag.readers.row_limits import MAX_COLUMNS, part_read
from rag.readers.workbook import MEMORY_LIMIT, PASSWORD

WORKER_TIMEOUT = 300  # seconds: calamine reads a sheet of a million rows in well under a minute
FIX = "open it and save it again in Excel or LibreOffice Calc, or export its sheets as CSV"
NO_FORMAT = "Cannot detect file format"  # calamine's words when none of its formats opens the file
CELL_LIMIT = "Cell limit exceeded"  # calamine's words for a sheet of over 100 million cells
HUGE = ("a value far below or to the right of the rest makes a sheet huge (it is read as a grid from its first cell "
        "to its last); delete stray cells and save it again, or export its sheets as CSV")
# The parts a zipped workbook cannot be read without, by format.
MAIN_PARTS = {"xlsx": ("xl/workbook.xml",), "xlsb": ("xl/workbook.bin",),
              "ods": ("content.xml", "META-INF/manifest.xml")}


def read_spreadsheet(path: Path, name: str, fmt: str, data: bytes | None = None) -> ReadResult:
    """Blocks of a workbook's visible sheets, each sheet a page (from `data` when given, else the file).

    Args:
        fmt: "xlsx", "xlsb", "xls" or "ods", as the content says (it picks what a warning says).

    Raises:
        Unreadable: damaged, saved with a password, too large to read, or no text in any visible sheet.
    """
    raw = file_bytes(path, data)
    workbook = _worker_result(raw, fmt)
    if "error" in workbook:
        raise Unreadable(_not_opened(raw, fmt, workbook["error"]))
    blocks: list[Block] = []
    warnings: list[str] = []
    page = 0
    for sheet in workbook["sheets"]:
        lines = table_lines(sheet["rows"])
        if not lines:
            continue
        page += 1
        blocks.extend(Block(line, page, sheet["name"], "table_row") for line in lines)
        cut = part_read(f'{name}, sheet "{sheet["name"]}"', (len(sheet["rows"]), sheet["height"]),
                        (min(sheet["width"], MAX_COLUMNS), sheet["width"]))
        warnings.extend([cut] if cut else [])
    warnings.extend(_uncomputed_warning(name, sum(sheet.get("uncomputed", 0) for sheet in workbook["sheets"])))
    damaged = "; ".join(f'sheet "{sheet}" ({why})' for sheet, why in workbook["damaged"])
    if not blocks:
        raise Unreadable(_nothing_read(raw, fmt, bool(workbook["sheets"]), damaged))
    if damaged:
        warnings.append(f"{name}: left out, damaged: {damaged}; the rest of the workbook is indexed")
    return ReadResult(fmt, tuple(blocks), tuple(warnings))


def _uncomputed_warning(name: str, formulas: int) -> list[str]:
    """The warning for formulas read empty because the file holds no value computed for them."""
    if not formulas:
        return []
    have = "formulas have" if formulas > 1 else "formula has"
    return [f"{name}: {formulas:,} {have} no saved value (the file was never opened and saved in a spreadsheet "
            f"program); {'their cells read' if formulas > 1 else 'its cell reads'} empty: open and save it in Excel "
            "or LibreOffice Calc to store them"]


def _nothing_read(raw: bytes, fmt: str, any_sheet: bool, damaged: str) -> str:
    """Why a workbook gave no text: its sheets are damaged, or it has none (calamine opens a zip
    without a workbook's main part as a workbook of no sheets), or none visible holds text."""
    broken = None if any_sheet or fmt not in MAIN_PARTS else _zip_problem(raw, fmt)
    if broken:
        return f"broken spreadsheet ({broken}); {FIX}"
    return f"no sheet could be read (damaged: {damaged})" if damaged else "no text in any visible sheet"


def _worker_result(raw: bytes, fmt: str) -> dict[str, Any]:
    """What rag/readers/workbook.py read of the workbook: {"sheets", "damaged"} or {"error"}. The
    worker runs with -P: `-m` would put the current folder first on its path, and a user's own
    rag.py there would run in place of the package.

    Raises:
        Unreadable: the worker ran out of memory or time, or stopped without an answer.
    """
    try:
        done = subprocess.run([sys.executable, "-P", "-m", "rag.readers.workbook", fmt], input=raw, capture_output=True,
                              timeout=WORKER_TIMEOUT, env=_worker_environment(), check=False)
    except subprocess.TimeoutExpired:
        raise Unreadable(f"reading it took over {WORKER_TIMEOUT} seconds; {FIX}") from None
    except OSError as error:
        raise Unreadable(f"the spreadsheet reader could not start ({error.strerror or error})") from error
    if done.returncode == 0:
        try:
            return dict(json.loads(done.stdout))
        except ValueError:
            pass
    stderr = done.stderr.decode("utf-8", "replace")
    if "memory allocation of" in stderr or "MemoryError" in stderr:
        raise Unreadable(f"reading it takes over {MEMORY_LIMIT >> 30} GB of memory: the file is damaged, or {HUGE}")
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    last = lines[-1] if lines else f"exit code {done.returncode}"
    raise Unreadable(f"the spreadsheet reader failed on it ({last[:200]}); {FIX}")


def _worker_environment() -> dict[str, str]:
    """This environment, with the folder holding the rag package first on the worker's path (rag
    may run from a source folder that is not installed)."""
    root = str(Path(__file__).resolve().parents[2])
    paths = [root, *filter(None, os.environ.get("PYTHONPATH", "").split(os.pathsep))]
    return {**os.environ, "PYTHONPATH": os.pathsep.join(paths)}


def _not_opened(raw: bytes, fmt: str, reason: str) -> str:
    """Why calamine could not open a workbook, in words: the worker opens it as `fmt` when its
    content does not tell calamine the format, so calamine names a password or a sheet too large;
    a zipped workbook's zip is looked at for what is broken."""
    if fmt == "ods" and _ods_password_protected(raw):
        return "password-protected OpenDocument file; save a copy without the password in LibreOffice Calc"
    if reason == PASSWORD:
        return OFFICE_PASSWORD
    if reason.startswith(CELL_LIMIT):
        return f"too large to read: {HUGE}"
    if fmt in MAIN_PARTS:
        reason = _zip_problem(raw, fmt) or reason
    if reason == NO_FORMAT:
        reason = ("an Office 97-2003 workbook cut short or damaged" if fmt == "xls"
                  else "its parts do not make a workbook that can be read")
    return f"broken spreadsheet ({reason}); {FIX}"


def _ods_password_protected(raw: bytes) -> bool:
    from rag.readers.odf import password_protected

    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            return password_protected(archive)
    except ZIP_FAILURES:
        return False


def _zip_problem(raw: bytes, fmt: str) -> str | None:
    """What is wrong with a zipped workbook's zip, or None when nothing is seen."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            names = set(archive.namelist())
            missing = next((part for part in MAIN_PARTS[fmt] if part not in names), None)
            if missing:
                return f"its part {missing} is missing"
            corrupt = archive.testzip()
            return f"its part {corrupt} is corrupt: its checksum does not match" if corrupt else None
    except ZIP_FAILURES as error:
        return zip_failure(error)
