"""OpenDocument text (.odt, as LibreOffice and others write it): paragraphs, headings, list items
and table rows of content.xml's body, in document order (rag/readers/odf.py opens the file).

The text is read from the XML as the word processor shows it: spaces written as `text:s`, tabs
and line breaks become spaces, tracked deletions, comments and the generated table of contents are
left out, and a footnote's or a text box's text follows its paragraph as a block of its own (not
glued into the sentence it is anchored in), as do an embedded chart's lines
(rag/readers/odf_chart.py). Each table row becomes one block "cell | cell", as in Word files: all
of a cell's paragraphs in it, those of its lists and sections too, an empty cell kept in its column
and a cell merged down repeated in each row; the trailing columns empty in every row (a
spreadsheet's padding) are left out. There are no fixed pages, so citations count
paragraphs.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.readers.base import Block, one_line, small_int, without_empty_last_columns

if TYPE_CHECKING:
    from rag.readers.odf_chart import ChartObjects

TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_PARAGRAPHS = (f"{TEXT}p", f"{TEXT}h")
_OBJECT = f"{DRAW}object"  # an embedded object's frame content: a chart (rag/readers/odf_chart.py), a formula
_ASIDE_BODIES = (f"{TEXT}note-body", f"{DRAW}text-box", _OBJECT)
# Inside a paragraph: what holds no text of its own there (a note's or text box's comes after the
# paragraph), and of a ruby its reading (the base is the text).
_NOT_INLINE = {f"{TEXT}note", f"{OFFICE}annotation", f"{DRAW}frame", f"{TEXT}tracked-changes", f"{TEXT}ruby-text"}
# Generated lists (tables of contents, indexes) and declarations: they repeat or hold no text.
_SKIPPED = {f"{TEXT}{name}" for name in (
    "tracked-changes", "table-of-content", "alphabetical-index", "illustration-index", "table-index",
    "object-index", "user-index", "bibliography", "sequence-decls", "variable-decls", "user-field-decls",
)} | {f"{OFFICE}annotation"}


def text_blocks(root: Any, body: Any, charts: ChartObjects | None = None) -> list[Block]:
    """The blocks of a text document's body (office:text), in order, its charts read from
    `charts`; root is content.xml's, whose styles tell a title paragraph."""
    reader = BodyReader(_title_styles(root), charts=charts)
    reader.container(body)
    return reader.blocks


_TITLE_STYLE = re.compile(r"(^|[-_ ])(title|subtitle)$", re.IGNORECASE)


def _title_styles(root: Any) -> frozenset[str]:
    """Paragraph styles of a title or subtitle ("Title", docutils' "rststyle-title"), and the
    automatic styles a paragraph names that are based on one: such a paragraph heads the text below it."""
    titles = set()
    for style in root.iter(f"{STYLE}style"):
        name = style.get(f"{STYLE}name") or ""
        if _TITLE_STYLE.search(name) or _TITLE_STYLE.search(style.get(f"{STYLE}parent-style-name") or ""):
            titles.add(name)
    return frozenset(titles)


class BodyReader:
    """Walks a text's body, or the shapes of a slide, in order, remembering the heading above each
    block; every block it reads is on `page` (a slide's number; None in a text, which has no pages).
    Embedded charts are read from `charts` (none without it)."""

    def __init__(self, title_styles: frozenset[str] = frozenset(), page: int | None = None,
                 heading: str | None = None, charts: ChartObjects | None = None) -> None:
        self.blocks: list[Block] = []
        self.heading = heading
        self.page = page
        self.title_styles = title_styles
        self.charts = charts

    def container(self, element: Any) -> None:
        """Sections, lists, tables and paragraphs, in order (anything else is looked into)."""
        for child in element:
            self.node(child)

    def node(self, element: Any) -> None:
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            return
        if tag == f"{TEXT}h":
            self.paragraph(element, "heading")
        elif tag == f"{TEXT}p":
            style = element.get(f"{TEXT}style-name") or ""
            titled = style in self.title_styles or bool(_TITLE_STYLE.search(style))  # a style of styles.xml
            self.paragraph(element, "heading" if titled else "paragraph")
        elif tag == f"{TEXT}list":
            self.list(element)
        elif tag == f"{TABLE}table":
            self.table(element)
        elif tag == _OBJECT:
            self.chart(element)
        else:
            self.container(element)

    def chart(self, element: Any) -> None:
        """An embedded chart's lines where its frame stands; one that cannot be read is noted as
        on this slide, or before the paragraph that would have come next in a text."""
        if self.charts is not None:
            where = ("chart on slide", self.page) if self.page is not None else (
                "chart before paragraph", len(self.blocks) + 1)
            for line in self.charts.lines(element, *where):
                self.blocks.append(Block(line, self.page, self.heading, "paragraph"))

    def list(self, element: Any) -> None:
        for item in element:
            if item.tag not in (f"{TEXT}list-item", f"{TEXT}list-header"):
                continue
            for child in item:
                if child.tag == f"{TEXT}h":  # a numbered heading, as converted Word files have them
                    self.paragraph(child, "heading")
                elif child.tag == f"{TEXT}p":
                    self.paragraph(child, "list_item")
                else:
                    self.node(child)

    def table(self, element: Any) -> None:
        """Each row "cell | cell" (see _row_texts), without the trailing columns empty in every row;
        a table, note or text box inside a cell follows its row as blocks of its own."""
        down: dict[int, tuple[str, int]] = {}
        rows = [[cell for cell in row if cell.tag in _CELLS] for row in table_rows(element)]
        texts = without_empty_last_columns([_row_texts(cells, down) for cells in rows])
        for cells, row in zip(rows, texts):
            if any(row):
                self.blocks.append(Block(one_line(" | ".join(row)), self.page, self.heading, "table_row"))
            for cell in cells:
                if cell.tag == f"{TABLE}table-cell":
                    self.cell_asides(cell)

    def cell_asides(self, element: Any) -> None:
        """What a cell's row leaves out of the cell's text: the notes and text boxes of its
        paragraphs (in lists and sections too) and the tables nested in it, in order."""
        for child in element:
            if not isinstance(child.tag, str) or child.tag in _SKIPPED:
                continue
            if child.tag in _PARAGRAPHS:
                self.asides(child)
            elif child.tag == f"{TABLE}table":
                self.table(child)
            else:
                self.cell_asides(child)

    def paragraph(self, element: Any, kind: str) -> None:
        text = one_line(paragraph_text(element))
        if text:
            if kind == "heading":
                self.heading = text
            self.blocks.append(Block(text, self.page, self.heading, kind))
        self.asides(element)

    def asides(self, element: Any) -> None:
        """The notes, text boxes and charts of a paragraph, after it; a heading in one heads nothing
        outside it."""
        for aside in _asides(element):
            outside, before = self.heading, len(self.blocks)
            if aside.tag == _OBJECT:
                self.chart(aside)
            else:
                self.container(aside)
            for index in range(before, len(self.blocks)):
                block = self.blocks[index]
                if block.kind == "heading":
                    self.blocks[index] = Block(block.text, self.page, outside, "paragraph")
            self.heading = outside


def _asides(element: Any) -> Iterator[Any]:
    """The note bodies, text boxes and embedded objects anchored in a paragraph, not those nested
    in them (their own paragraphs bring those)."""
    for child in element:
        if child.tag in _ASIDE_BODIES:
            yield child
        elif isinstance(child.tag, str):
            yield from _asides(child)


def table_rows(table: Any) -> Iterator[Any]:
    """A table's rows, in header and row groups too, but not those of a table nested in a cell."""
    for child in table:
        if child.tag == f"{TABLE}table-row":
            yield child
        elif child.tag in (f"{TABLE}table-header-rows", f"{TABLE}table-rows", f"{TABLE}table-row-group"):
            yield from table_rows(child)


_CELLS = (f"{TABLE}table-cell", f"{TABLE}covered-table-cell")
MAX_REPEATED_COLUMNS = 100  # a cell repeated more often is a spreadsheet's padding, read once


def _row_texts(cells: list[Any], down: dict[int, tuple[str, int]]) -> list[str]:
    """A row's cells' text in their columns: an empty cell kept ("Iberia | | 4100" stays under
    its header's columns), a cell merged down repeated in each row it covers, as the PowerPoint and
    HTML readers do, and a cell merged across once (the columns it covers empty).

    Args:
        down: column -> (text, rows still covered) of the cells merged down from rows above;
            updated for the rows below.
    """
    texts: list[str] = []
    for cell in cells:
        for _ in range(max(1, small_int(cell.get(f"{TABLE}number-columns-repeated"), 1, MAX_REPEATED_COLUMNS))):
            text, rows = down.pop(len(texts), ("", 0))
            if cell.tag != f"{TABLE}table-cell":  # covered by a merged cell
                if rows > 1:
                    down[len(texts)] = (text, rows - 1)
                texts.append(text if rows else "")
                continue
            text = one_line(" ".join(paragraph_text(p) for p in _cell_paragraphs(cell)))
            spanned = small_int(cell.get(f"{TABLE}number-rows-spanned"), 1)
            if spanned > 1:
                down[len(texts)] = (text, spanned - 1)
            texts.append(text)
    return texts


def _cell_paragraphs(element: Any) -> Iterator[Any]:
    """The paragraphs and headings of a cell in order, those of its lists and sections too, but not
    those of a table nested in it (its own rows) nor of generated indexes and comments."""
    for child in element:
        if not isinstance(child.tag, str) or child.tag in _SKIPPED or child.tag == f"{TABLE}table":
            continue
        if child.tag in _PARAGRAPHS:
            yield child
        else:
            yield from _cell_paragraphs(child)


def paragraph_text(element: Any) -> str:
    """A paragraph's own text: spans, links and fields read through; notes, comments and text
    boxes left for later; `text:s` as its count of spaces, tabs and line breaks as a space."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in _NOT_INLINE:
            if tag == f"{TEXT}s":
                parts.append(" " * _count(child.get(f"{TEXT}c")))
            elif tag in (f"{TEXT}tab", f"{TEXT}line-break"):
                parts.append(" ")
            else:
                parts.append(paragraph_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), 1000)
    except ValueError:
        return 1
