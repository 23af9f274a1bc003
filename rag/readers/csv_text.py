"""CSV and TSV files (data a spreadsheet or a database exported) as one table: each record a
table row "cell | cell", as the other readers write a table's rows, so rag/chunking.py finds its
header row and carries it into a long table's later passages.

The file is decoded as a text file is (UTF-8, else the legacy code page it is in, with the same
warnings), and its delimiter is the one of ";" "," tab "|" that splits its first lines into the
same number of cells most often; where two split them alike, the one whose cells read as numbers
with a decimal comma ("12,50"), then ";" before ",": Excel writes ";" where the decimal mark is a
comma, so "Kaffe;12,50" is two cells, not "Kaffe;12" and "50". Lines of unequal length (ragged
rows) are read as they are. There are no pages: citations count the file's paragraphs, one a row
(blank rows left out), so in a file with neither blank lines nor cells over several lines the row
on line N is ¶N. Line numbers are not given: a passage is its rows written "a | b", not the
file's "a,b" (which the chunker would not take for a table's rows).

Only the file's first HEAD_BYTES are read and decoded, which hold its first MAX_ROWS rows unless
they are very wide, so a data dump of gigabytes takes no more memory than that; the lines after
them are counted, not decoded, for the warning of how many rows were read. A quote never closed
would swallow every row after it into one cell: it is read as a character instead, with a
warning naming its line.
"""

from __future__ import annotations

import csv
import io
import itertools
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

from rag.readers.base import Block, ReadResult, Unreadable, decode_text, table_lines, without_trailing_empty_cells
from rag.readers.row_limits import MAX_COLUMNS, MAX_ROWS, part_read

DELIMITERS = (";", ",", "\t", "|")  # in order of preference where two split the sample alike
_SEPARATOR_HINT = re.compile(r"\ufeff?sep=(.)\r?\n")
SNIFF_LINES = 50
HEAD_BYTES = 64 << 20  # 10,000 rows of 6 KB each; a cell may be as long (csv's own limit is 128 KB)
COUNT_BLOCK = 1 << 20  # the rest of the file is counted in blocks of this many bytes
_LINE = re.compile(r"[^\n]*\n|[^\n]+")
_DECIMAL_COMMA = re.compile(r"[-+]?\d+,\d+")


def read_csv(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of a CSV or TSV file, one a non-empty record, at most MAX_ROWS records of
    MAX_COLUMNS cells (a warning says how many were read of how many).

    Raises:
        Unreadable: the file cannot be read.
    """
    warnings: list[str] = []
    head, lines_after = _head(path, data)
    text = decode_text(head, name, warnings)
    if text is None:
        return ReadResult("csv", (), tuple(warnings))
    csv.field_size_limit(max(csv.field_size_limit(), HEAD_BYTES))  # a long cell is read, not the end of the file
    hint = _SEPARATOR_HINT.match(text)
    if hint:  # Excel's first line "sep=;" names the delimiter and is no row
        text = text[hint.end():]
    records, rows, columns = _records(text, hint[1] if hint else sniff_delimiter(text), name, warnings, lines_after)
    cut = part_read(name, (len(records), rows), (min(columns, MAX_COLUMNS), columns))
    blocks = tuple(Block(line, None, None, "table_row") for line in table_lines(records))
    return ReadResult("csv", blocks, (*warnings, *([cut] if cut else [])))


def _head(path: Path, data: bytes | None) -> tuple[bytes, int | None]:
    """The file's first HEAD_BYTES, ended at a line end, and how many lines follow them (None
    when the head is the whole file); `data`, when given, is the file.

    Raises:
        Unreadable: the file cannot be read.
    """
    try:
        with io.BytesIO(data) if data is not None else open(path, "rb") as handle:
            head = handle.read(HEAD_BYTES + 1)
            cut = _line_end_cut(head)
            if cut is None:
                return head, None
            counted, last = head.count(b"\n", cut), head[-1:]
            for block in iter(lambda: handle.read(COUNT_BLOCK), b""):
                counted, last = counted + block.count(b"\n"), block[-1:]
            return head[:cut], counted + (last != b"\n")  # a last line without a line end counts too
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from error


def _line_end_cut(head: bytes) -> int | None:
    """Where to cut a file's first HEAD_BYTES + 1 bytes: after their last line end (and the NULs
    of a UTF-16 or UTF-32 line end); None when they are the whole file."""
    if len(head) <= HEAD_BYTES:
        return None
    cut = head.rfind(b"\n", 0, HEAD_BYTES) + 1 or HEAD_BYTES
    while cut < len(head) and head[cut] == 0 and cut % 4:
        cut += 1
    return cut


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits the first SNIFF_LINES lines into rows of two cells or more, of
    one width most often (then the widest such rows, then the most cells that are numbers with a
    decimal comma, as ";" gives them); "," when none does (a single column)."""
    sample = [match.group() for match in itertools.islice(_LINE.finditer(text), SNIFF_LINES)]
    best, chosen = (0, 0, 0), ","
    for delimiter in DELIMITERS:
        records = [record for record in _sample_records(sample, delimiter) if len(record) > 1]
        widths = Counter(len(record) for record in records)
        if widths:
            width, count = max(widths.items(), key=lambda item: (item[1], item[0]))
            decimals = sum(bool(_DECIMAL_COMMA.fullmatch(cell.strip())) for record in records for cell in record)
            if (count, width, decimals) > best:
                best, chosen = (count, width, decimals), delimiter
    return chosen


def _sample_records(lines: list[str], delimiter: str) -> list[list[str]]:
    """The records of a few lines (a quote the sample leaves open ends them)."""
    try:
        return list(csv.reader(lines, delimiter=delimiter))
    except csv.Error:
        return []


def _records(text: str, delimiter: str, name: str, warnings: list[str],
             lines_after: int | None) -> tuple[list[list[str]], int, int]:
    """The first MAX_ROWS non-empty records (each cut to MAX_COLUMNS cells), how many rows the
    file holds (those after the first MAX_ROWS counted by lines, exact unless a quoted cell spans
    lines) and its widest record's width. A line the csv module cannot read ends the reading,
    with a warning.

    lines_after: the lines of the file after `text`, None when `text` is the whole file."""
    records: list[list[str]] = []
    width = 0
    rows = _Rows(text, delimiter, name, warnings, whole=lines_after is None)
    try:
        for record, end in rows:
            if not any(cell.strip() for cell in record):
                continue
            width = max(width, len(record))
            records.append(without_trailing_empty_cells([cell.strip() for cell in record[:MAX_COLUMNS]]))
            if len(records) == MAX_ROWS:
                return records, MAX_ROWS + _lines_from(text, end) + (lines_after or 0), width
    except _Unreadable as error:
        warnings.append(f"{name}: line {error.line} is not readable as CSV ({error.reason}); the rest of the file "
                        "is left out")
    if lines_after is not None:  # the head was read whole, and more lines follow it
        return records, len(records) + _lines_from(text, rows.end) + lines_after, width
    return records, len(records), width


class _Unreadable(Exception):
    def __init__(self, line: int, reason: str) -> None:
        super().__init__(reason)
        self.line, self.reason = line, reason


class _Rows:
    """The records of a text with the offset each ends at (self.end: that of the last one given).
    A quote never closed, which the csv module reads to the end of the text as one cell, is
    read as a character, with a warning, and so are the quotes of every line after it (read
    once, so a file of such lines is not read again from each); where the text is the head of
    a longer file (whole=False), a record it cuts off is not given.

    Raises (while iterated):
        _Unreadable: a line the csv module cannot read.
    """

    def __init__(self, text: str, delimiter: str, name: str, warnings: list[str], whole: bool) -> None:
        self._text, self._delimiter, self._name, self._warnings, self._whole = text, delimiter, name, warnings, whole
        self.end = 0

    def __iter__(self) -> Iterator[tuple[list[str], int]]:
        lines = _Lines(self._text)
        reader = csv.reader(lines, delimiter=self._delimiter)
        try:
            for record in reader:
                if lines.done:  # the text ended inside a quoted cell
                    break
                self.end = lines.end
                yield record, self.end
            else:
                return
        except csv.Error as error:
            raise _Unreadable(reader.line_num, str(error)) from None
        if not self._whole:
            return
        opened = self._text.count("\n", 0, self.end) + 1
        self._warnings.append(f"{self._name}: the quote on line {opened} is never closed, which would make the rest "
                              "of the file one cell; from that line on, quotes are read as characters")
        lines = _Lines(self._text, self.end)
        for record in csv.reader(lines, delimiter=self._delimiter, quoting=csv.QUOTE_NONE):
            self.end = lines.end
            yield record, self.end


def _lines_from(text: str, offset: int) -> int:
    """How many lines follow `offset` (blank ones too: one pass of str.count)."""
    if offset >= len(text):
        return 0
    return text.count("\n", offset) + (not text.endswith("\n"))


class _Lines:
    """A text's lines from an offset, with their line ends, one at a time (a 1 GB file is not
    copied as a list); `end` is where the last one given ends, `done` whether all were given."""

    def __init__(self, text: str, start: int = 0) -> None:
        self._matches = _LINE.finditer(text, start)
        self.end = start
        self.done = False

    def __iter__(self) -> Iterator[str]:
        return self

    def __next__(self) -> str:
        match = next(self._matches, None)
        if match is None:
            self.done = True
            raise StopIteration
        self.end = match.end()
        return match.group()
