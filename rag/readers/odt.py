"""OpenDocument text (.odt, as LibreOffice and others write it): paragraphs, headings, list items
and table rows of content.xml, in document order.

The text is read from the XML as the word processor shows it: spaces written as `text:s`, tabs
and line breaks become spaces, tracked deletions, comments and the generated table of contents are
left out, and a footnote's or a text box's text follows its paragraph as a block of its own (not
glued into the sentence it is anchored in). Each table row becomes one block "cell | cell", as in
Word files. There are no fixed pages, so citations count paragraphs.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from rag.readers.base import Block, ReadResult, Unreadable, file_bytes, one_line

CONTENT = "content.xml"
MAX_CONTENT_BYTES = 256 * 1024 * 1024  # more than any real document: a zip bomb
BROKEN_FIX = "open and save it again in a word processor, or export it as .docx or text"

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
# Inside a paragraph: what holds no text of its own there (its text, if any, comes after the paragraph).
_ASIDE = {f"{_TEXT}note", f"{_OFFICE}annotation", f"{_DRAW}frame", f"{_TEXT}tracked-changes"}
_SKIPPED = {f"{_TEXT}tracked-changes", f"{_TEXT}table-of-content", f"{_OFFICE}annotation",
            f"{_TEXT}sequence-decls", f"{_TEXT}variable-decls", f"{_TEXT}user-field-decls"}


def read_odt(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of the document body, in order (from `data` when given, else the file).

    Raises:
        Unreadable: not a valid OpenDocument text, or no text in it.
    """
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes(path, data))) as archive:
            info = archive.getinfo(CONTENT)
            if info.file_size > MAX_CONTENT_BYTES:
                raise Unreadable(f"{CONTENT} unpacks to {info.file_size:,} bytes, too large to be a document; {BROKEN_FIX}")
            content = archive.read(info)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        root = etree.fromstring(content, parser)
    except (zipfile.BadZipFile, KeyError, OSError, EOFError, etree.XMLSyntaxError) as error:
        raise Unreadable(f"broken OpenDocument file ({type(error).__name__}: {error}); {BROKEN_FIX}") from error
    body = root.find(f"{_OFFICE}body/{_OFFICE}text")
    if body is None:
        raise Unreadable(f"an OpenDocument file with no text body (a spreadsheet or slides?); {BROKEN_FIX}")
    reader = _Reader()
    reader.container(body)
    if not reader.blocks:
        raise Unreadable("no text in the document")
    return ReadResult("odt", tuple(reader.blocks))


class _Reader:
    """Walks the body in order, remembering the heading above each block."""

    def __init__(self) -> None:
        self.blocks: list[Block] = []
        self.heading: str | None = None

    def container(self, element) -> None:  # type: ignore[no-untyped-def]
        """Sections, lists, tables and paragraphs, in order (anything else is looked into)."""
        for child in element:
            tag = child.tag
            if not isinstance(tag, str) or tag in _SKIPPED:
                continue
            if tag == f"{_TEXT}h":
                self.paragraph(child, "heading")
            elif tag == f"{_TEXT}p":
                self.paragraph(child, "paragraph")
            elif tag == f"{_TEXT}list":
                self.list(child)
            elif tag == f"{_TABLE}table":
                self.table(child)
            else:
                self.container(child)

    def list(self, element) -> None:  # type: ignore[no-untyped-def]
        for item in element:
            if item.tag not in (f"{_TEXT}list-item", f"{_TEXT}list-header"):
                continue
            for child in item:
                if child.tag in (f"{_TEXT}p", f"{_TEXT}h"):
                    self.paragraph(child, "list_item")
                elif child.tag == f"{_TEXT}list":
                    self.list(child)
                elif isinstance(child.tag, str):
                    self.container(child)

    def table(self, element) -> None:  # type: ignore[no-untyped-def]
        for row in element.iter(f"{_TABLE}table-row"):
            cells = [one_line(" ".join(_text(p) for p in cell.iter(f"{_TEXT}p", f"{_TEXT}h")))
                     for cell in row if cell.tag == f"{_TABLE}table-cell"]
            text = " | ".join(cell for cell in cells if cell)
            if text:
                self.blocks.append(Block(text, None, self.heading, "table_row"))

    def paragraph(self, element, kind: str) -> None:  # type: ignore[no-untyped-def]
        text = one_line(_text(element))
        if text:
            if kind == "heading":
                self.heading = text
            self.blocks.append(Block(text, None, self.heading, kind))
        for aside in element.iter(f"{_TEXT}note-body", f"{_DRAW}text-box"):
            before = len(self.blocks)
            self.container(aside)
            for index in range(before, len(self.blocks)):
                if self.blocks[index].kind == "heading":  # a heading in a text box heads nothing outside it
                    block = self.blocks[index]
                    self.blocks[index] = Block(block.text, None, self.heading, "paragraph")


def _text(element) -> str:  # type: ignore[no-untyped-def]
    """A paragraph's own text: spans, links and fields read through; notes, comments and text
    boxes left for later; `text:s` as its count of spaces, tabs and line breaks as a space."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in _ASIDE:
            if tag == f"{_TEXT}s":
                parts.append(" " * _count(child.get(f"{_TEXT}c")))
            elif tag in (f"{_TEXT}tab", f"{_TEXT}line-break"):
                parts.append(" ")
            else:
                parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _count(value: str | None) -> int:
    try:
        return min(max(int(value or 1), 1), 1000)
    except ValueError:
        return 1
