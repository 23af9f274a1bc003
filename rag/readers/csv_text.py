"""CSV and TSV files (data a spreadsheet or a database exported) as one table: each record a
table row "cell | cell", as the other readers write a table's rows, so rag/chunking.py finds its
header row and carries it into a long table's later passages.

The file is decoded as a text file is (UTF-8, else the legacy code page it is in, with the same
warnings), and its delimiter is the one of "," tab ";" "|" that splits its first lines into the
same number of cells most often: Excel writes ";" where the decimal mark is a comma. Lines of
unequal length (ragged rows) are read as they are. There are no pages: citations count the
file's paragraphs, one a row (blank rows left out), so in a file with neither blank lines nor
cells over several lines the row on line N is ¶N. Line numbers are not given: a passage is its
rows written "a | b", not the file's "a,b" (which the chunker would not take for a table's rows).
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from rag.readers.base import Block, ReadResult, decode_text, file_bytes, table_lines, without_trailing_empty_cells
from rag.readers.row_limits import MAX_COLUMNS, MAX_ROWS, part_read

DELIMITERS = (",", "\t", ";", "|")  # in order of preference where two split the sample alike
SNIFF_LINES = 50
_LINE = re.compile(r"[^\n]*\n|[^\n]+")


def read_csv(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of a CSV or TSV file, one a non-empty record, at most MAX_ROWS records of
    MAX_COLUMNS cells (a warning says how many were read of how many)."""
    warnings: list[str] = []
    text = decode_text(file_bytes(path, data), name, warnings)
    if text is None:
        return ReadResult("csv", (), tuple(warnings))
    records, rows, columns = _records(text, sniff_delimiter(text), name, warnings)
    cut = part_read(name, (len(records), rows), (min(columns, MAX_COLUMNS), columns))
    blocks = tuple(Block(line, None, None, "table_row") for line in table_lines(records))
    return ReadResult("csv", blocks, (*warnings, *([cut] if cut else [])))


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first SNIFF_LINES lines into rows of two cells or more, of
    one width most often (then the widest such rows); "," when none does (a single column)."""
    sample = [match.group() for match in itertools.islice(_LINE.finditer(text), SNIFF_LINES)]
    best, chosen = (0, 0), ","
    for delimiter in DELIMITERS:
        widths = Counter(len(record) for record in _sample_records(sample, delimiter) if len(record) > 1)
        if widths:
            width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
            if (count, width) > best:
                best, chosen = (count, width), delimiter
    return chosen


def _sample_records(lines: list[str], delimiter: str) -> list[list[str]]:
    """The records of a few lines (a quote the sample leaves open ends them)."""
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def _records(text: str, delimiter: str, name: str, warnings: list[str]) -> tuple[list[list[str]], int, int]:
    """The first MAX_ROWS non-empty records (each cut to MAX_COLUMNS cells), how many rows the
    file holds (those after the first MAX_ROWS counted by lines, exact unless a quoted cell spans
    lines) and its widest record's width. A line the csv module cannot read (a cell over its
    field limit, 128 KB) ends the reading, with a warning."""
    lines = _Lines(text)
    reader = csv.reader(lines, delimiter=delimiter)
    records: list[list[str]] = []
    width = 0
    try:
        for record in reader:
            if not any(cell.strip() for cell in record):
                continue
            width = max(width, len(record))
            records.append(without_trailing_empty_cells([cell.strip() for cell in record[:MAX_COLUMNS]]))
            if len(records) == MAX_ROWS:
                return records, MAX_ROWS + lines.left(), width
    except csv.Error as error:
        warnings.append(f"{name}: line {reader.line_num} is not readable as CSV ({error}); the rest of the file "
                        "is left out")
    return records, len(records), width


class _Lines:
    """A text's lines, with their line ends, one at a time (a 1 GB file is not copied as a list)."""

    def __init__(self, text: str) -> None:
        self._text = text
        self._matches = _LINE.finditer(text)
        self._end = 0

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        match = next(self._matches)
        self._end = match.end()
        return match.group()

    def left(self) -> int:
        """How many lines follow the last one given (blank ones too: one pass of str.count)."""
        rest = len(self._text) - self._end
        if rest == 0:
            return 0
        return self._text.count("\n", self._end) + (not self._text.endswith("\n"))
