"""DOCX with python-docx: paragraphs and tables in document order, headings remembered.

python-docx is the maintained standard for reading Word files without Word. Headings are told
by their style ("Heading 1", "Title"), list items by a list style or numbering, and each table
row becomes one block "cell | cell | cell" (a merged cell repeated across columns once).
A Word file has no fixed pages (they depend on the printer), so citations count paragraphs.
"""

from __future__ import annotations

from pathlib import Path

from rag.readers.base import Block, ReadResult, Unreadable, one_line


def read_docx(path: Path, name: str) -> ReadResult:
    """Blocks of the document body, in order.

    Raises:
        Unreadable: the file is not a valid DOCX (python-docx cannot open it) or has no text.
    """
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path))
    except Exception as error:  # python-docx raises zip, XML and KeyError failures alike
        raise Unreadable(f"broken DOCX ({type(error).__name__}: {error}); open and save it again in a word "
                         "processor, or give it the extension of what it holds (.txt, .html)") from error
    blocks: list[Block] = []
    heading: str | None = None
    for item in document.iter_inner_content():
        if isinstance(item, Table):
            blocks.extend(Block(row, None, heading, "table_row") for row in _rows(item))
            continue
        text = one_line(item.text)
        if not text:
            continue
        kind = _kind(item)
        if kind == "heading":
            heading = text
        blocks.append(Block(text, None, heading, kind))
    if not blocks:
        raise Unreadable("no text in the document")
    return ReadResult("docx", tuple(blocks))


def _kind(paragraph) -> str:  # type: ignore[no-untyped-def]
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style.startswith(("Heading", "Title")):
        return "heading"
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if style.startswith("List") or numbered:
        return "list_item"
    return "paragraph"


def _rows(table) -> list[str]:  # type: ignore[no-untyped-def]
    rows = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            cells.append(one_line(cell.text))
        if any(cells):
            rows.append(" | ".join(cells))
    return rows
