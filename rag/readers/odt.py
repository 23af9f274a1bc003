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
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.readers.base import ZIP_FAILURES, Block, ReadResult, Unreadable, file_bytes, one_line, zip_failure, zip_part

CONTENT = "content.xml"
MANIFEST = "META-INF/manifest.xml"
MAX_CONTENT_BYTES = 64 * 1024 * 1024  # more than any real document (its parsed tree takes ~10 times as much)
BROKEN_FIX = "open and save it again in a word processor, or export it as .docx or text"

_TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_DRAW = "{urn:oasis:names:tc:opendocument:xmlns:drawing:1.0}"
_PARAGRAPHS = (f"{_TEXT}p", f"{_TEXT}h")
_ASIDE_BODIES = (f"{_TEXT}note-body", f"{_DRAW}text-box")
# Inside a paragraph: what holds no text of its own there (a note's or text box's comes after the
# paragraph), and of a ruby its reading (the base is the text).
_NOT_INLINE = {f"{_TEXT}note", f"{_OFFICE}annotation", f"{_DRAW}frame", f"{_TEXT}tracked-changes", f"{_TEXT}ruby-text"}
# Generated lists (tables of contents, indexes) and declarations: they repeat or hold no text.
_SKIPPED = {f"{_TEXT}{name}" for name in (
    "tracked-changes", "table-of-content", "alphabetical-index", "illustration-index", "table-index",
    "object-index", "user-index", "bibliography", "sequence-decls", "variable-decls", "user-field-decls",
)} | {f"{_OFFICE}annotation"}
# Reading errors of a zip or its XML, besides those the format's own checks raise.
_BROKEN = (*ZIP_FAILURES, KeyError)


def read_odt(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of the document body, in order (from `data` when given, else the file).

    Raises:
        Unreadable: not a valid OpenDocument text, protected by a password, or no text in it.
    """
    from lxml import etree

    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes(path, data))) as archive:
            if _password_protected(archive):
                raise Unreadable("password-protected OpenDocument file; save a copy without the password in the "
                                 "word processor")
            content = zip_part(archive, CONTENT, MAX_CONTENT_BYTES, "", "a document", BROKEN_FIX)
        parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
        root = etree.fromstring(content, parser)
        body = root.find(f"{_OFFICE}body/{_OFFICE}text")
        if body is None:
            raise Unreadable(f"an OpenDocument file with no text body (a spreadsheet or slides?); {BROKEN_FIX}")
        reader = _Reader(_title_styles(root))
        reader.container(body)
    except RecursionError:  # before RuntimeError, which it is
        raise Unreadable(f"OpenDocument file nested too deep to read; {BROKEN_FIX}") from None
    except (*_BROKEN, etree.XMLSyntaxError) as error:
        raise Unreadable(f"broken OpenDocument file ({zip_failure(error)}); {BROKEN_FIX}") from error
    if not reader.blocks:
        raise Unreadable("no text in the document")
    return ReadResult("odt", tuple(reader.blocks))


_STYLE = "{urn:oasis:names:tc:opendocument:xmlns:style:1.0}"
_TITLE_STYLE = re.compile(r"(^|[-_ ])(title|subtitle)$", re.IGNORECASE)


def _title_styles(root: Any) -> frozenset[str]:
    """Paragraph styles of a title or subtitle ("Title", docutils' "rststyle-title"), and the
    automatic styles a paragraph names that are based on one: such a paragraph heads the text below it."""
    titles = set()
    for style in root.iter(f"{_STYLE}style"):
        name = style.get(f"{_STYLE}name") or ""
        if _TITLE_STYLE.search(name) or _TITLE_STYLE.search(style.get(f"{_STYLE}parent-style-name") or ""):
            titles.add(name)
    return frozenset(titles)


def _password_protected(archive: zipfile.ZipFile) -> bool:
    """The manifest lists encryption data for the content: it is ciphertext, not XML."""
    try:
        manifest = archive.read(MANIFEST) if archive.getinfo(MANIFEST).file_size < MAX_CONTENT_BYTES else b""
    except KeyError:
        return False
    return b"encryption-data" in manifest


class _Reader:
    """Walks the body in order, remembering the heading above each block."""

    def __init__(self, title_styles: frozenset[str] = frozenset()) -> None:
        self.blocks: list[Block] = []
        self.heading: str | None = None
        self.title_styles = title_styles

    def container(self, element: Any) -> None:
        """Sections, lists, tables and paragraphs, in order (anything else is looked into)."""
        for child in element:
            self.node(child)

    def node(self, element: Any) -> None:
        tag = element.tag
        if not isinstance(tag, str) or tag in _SKIPPED:
            return
        if tag == f"{_TEXT}h":
            self.paragraph(element, "heading")
        elif tag == f"{_TEXT}p":
            style = element.get(f"{_TEXT}style-name") or ""
            titled = style in self.title_styles or bool(_TITLE_STYLE.search(style))  # a style of styles.xml
            self.paragraph(element, "heading" if titled else "paragraph")
        elif tag == f"{_TEXT}list":
            self.list(element)
        elif tag == f"{_TABLE}table":
            self.table(element)
        else:
            self.container(element)

    def list(self, element: Any) -> None:
        for item in element:
            if item.tag not in (f"{_TEXT}list-item", f"{_TEXT}list-header"):
                continue
            for child in item:
                if child.tag == f"{_TEXT}h":  # a numbered heading, as converted Word files have them
                    self.paragraph(child, "heading")
                elif child.tag == f"{_TEXT}p":
                    self.paragraph(child, "list_item")
                else:
                    self.node(child)

    def table(self, element: Any) -> None:
        """Each row "cell | cell"; a table, note or text box inside a cell follows as blocks of its own."""
        for row in _rows(element):
            cells, inside = [], []
            for cell in row:
                if cell.tag != f"{_TABLE}table-cell":
                    continue
                paragraphs = [child for child in cell if child.tag in _PARAGRAPHS]
                cells.append(one_line(" ".join(_text(p) for p in paragraphs)))
                inside.append(cell)
            text = " | ".join(cell for cell in cells if cell)
            if text:
                self.blocks.append(Block(text, None, self.heading, "table_row"))
            for cell in inside:
                for child in cell:
                    if child.tag in _PARAGRAPHS:
                        self.asides(child)
                    else:
                        self.node(child)

    def paragraph(self, element: Any, kind: str) -> None:
        text = one_line(_text(element))
        if text:
            if kind == "heading":
                self.heading = text
            self.blocks.append(Block(text, None, self.heading, kind))
        self.asides(element)

    def asides(self, element: Any) -> None:
        """The notes and text boxes of a paragraph, after it; a heading in one heads nothing outside it."""
        for aside in _asides(element):
            outside, before = self.heading, len(self.blocks)
            self.container(aside)
            for index in range(before, len(self.blocks)):
                block = self.blocks[index]
                if block.kind == "heading":
                    self.blocks[index] = Block(block.text, None, outside, "paragraph")
            self.heading = outside


def _asides(element: Any) -> Iterator[Any]:
    """The note bodies and text boxes anchored in a paragraph, not those nested in them (their
    own paragraphs bring those)."""
    for child in element:
        if child.tag in _ASIDE_BODIES:
            yield child
        elif isinstance(child.tag, str):
            yield from _asides(child)


def _rows(table: Any) -> Iterator[Any]:
    """A table's rows, in header and row groups too, but not those of a table nested in a cell."""
    for child in table:
        if child.tag == f"{_TABLE}table-row":
            yield child
        elif child.tag in (f"{_TABLE}table-header-rows", f"{_TABLE}table-rows", f"{_TABLE}table-row-group"):
            yield from _rows(child)


def _text(element: Any) -> str:
    """A paragraph's own text: spans, links and fields read through; notes, comments and text
    boxes left for later; `text:s` as its count of spaces, tabs and line breaks as a space."""
    parts = [element.text or ""]
    for child in element:
        tag = child.tag
        if isinstance(tag, str) and tag not in _NOT_INLINE:
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
