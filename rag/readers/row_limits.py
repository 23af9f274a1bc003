"""How much of a table of data rag reads: a spreadsheet's sheet or a CSV file is read row by row,
each row a passage's line, so a data dump of millions of rows would be millions of rows to embed
(at some 40 passages a second, hours for a file nobody asks about row by row). The first rows
are read; the warning says how many of how many.
"""

from __future__ import annotations

MAX_ROWS = 10_000
MAX_COLUMNS = 256  # Excel 97-2003's own limit: wider is a matrix of numbers, not rows to read


def part_read(name: str, rows: tuple[int, int], columns: tuple[int, int]) -> str | None:
    """The warning for a table read in part ("book.xlsx, sheet "Data": read the first 10,000 of
    its 25,000 rows; ..."), given (read, of) for rows and for columns; None when all was read.

    name: the file, with the sheet when it has sheets."""
    cut = [f"{read:,} of its {total:,} {what}" for (read, total), what in ((rows, "rows"), (columns, "columns"))
           if read < total]
    if not cut:
        return None
    return (f"{name}: read the first {' and '.join(cut)}; the rest is left out (rag reads at most {MAX_ROWS:,} rows "
            f"and {MAX_COLUMNS} columns of a table: a data dump's every row would take hours to embed)")
