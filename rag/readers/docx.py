"""DOCX with python-docx: paragraphs and tables in document order, headings remembered.

python-docx is the maintained standard for reading Word files without Word. Headings are told
by their style ("Heading 1", "Title"), list items by a list style or numbering, and each table
row becomes one block "cell | cell | cell" (a merged cell repeated across columns once).
A Word file has no fixed pages (they depend on the printer), so citations count paragraphs.

The text is read from the XML itself rather than python-docx's `.text`, which leaves out what
Word shows inside tracked insertions, fields, content controls around paragraphs and tables, and
nested tables: every `w:t` of a paragraph counts (deleted text is `w:delText`, field codes
`w:instrText`, so neither does), except those listed in _NOT_OWN_TEXT. A text box's paragraphs
and the footnotes and endnotes a paragraph refers to follow it as blocks of their own, and a
numbered paragraph opens with the number Word shows (rag/readers/docx_numbering.py).
"""

from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from rag.readers.base import (
    MAX_PART_BYTES, Block, ReadResult, Unreadable, file_bytes, one_line, table_lines, xml_parser, zip_failure,
)
from rag.readers.docx_numbering import Numbering, read_numbering


def _damaged_part(data: bytes, error: Exception) -> str | None:
    """The XML part of a DOCX that failed to parse with `error` (python-docx's error does not name
    it): the part failing at the same place, else the first that fails."""
    from lxml import etree

    parser = xml_parser()
    failing = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for info in archive.infolist():
            if info.filename.endswith((".xml", ".rels")) and info.file_size <= MAX_PART_BYTES:
                try:
                    etree.fromstring(archive.read(info), parser)
                except etree.XMLSyntaxError as found:
                    if found.position == getattr(error, "position", None):
                        return info.filename
                    failing.append(info.filename)
    return failing[0] if failing else None


def read_docx(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of the document body, in order (from `data` when given, else the file).

    Raises:
        Unreadable: the file is not a valid DOCX (python-docx cannot open it) or has no text.
    """
    import docx
    from docx.table import Table

    try:
        document = docx.Document(str(path) if data is None else io.BytesIO(data))
    except Exception as error:  # python-docx raises zip, XML and KeyError failures alike
        where = _damaged_part(file_bytes(path, data), error) if type(error).__name__ == "XMLSyntaxError" else None
        raise Unreadable(f"broken DOCX ({zip_failure(error)}{f' in {where}' if where else ''}); open and save it "
                         "again in a word processor, or give it the extension of what it holds (.txt, .html)") from error
    notes = _notes(document)
    numbering = read_numbering(document)
    styles = _Styles(document)
    blocks: list[Block] = []
    heading: str | None = None

    def add_paragraph(paragraph: Any) -> None:
        nonlocal heading
        text = one_line(_text(paragraph))
        kind = styles.kind(paragraph)
        if kind == "paragraph" and _bold_title(paragraph, text):
            kind = "heading"
        text = _numbered(numbering.label(paragraph), text)
        if text:
            if kind == "heading":
                heading = text
            blocks.append(Block(text, None, heading, kind))
        blocks.extend(Block(box, None, heading) for box in _text_boxes(paragraph))
        blocks.extend(Block(note, None, heading) for note in _noted(paragraph, notes))

    for item in _body_items(document):
        if isinstance(item, Table) and _lays_out_text(item._tbl, styles):
            for paragraph in _cell_paragraphs(item._tbl):
                add_paragraph(paragraph)
        elif isinstance(item, Table):
            blocks.extend(Block(row, None, heading, "table_row") for row in _rows(item, numbering))
            blocks.extend(Block(box, None, heading) for box in _text_boxes(item._tbl))
            blocks.extend(Block(note, None, heading) for note in _noted(item._tbl, notes))
        else:
            add_paragraph(item._p)
    blocks.extend(_imported_chunks(document, name))
    if not blocks:
        raise Unreadable("no text in the document")
    return ReadResult("docx", tuple(blocks))


LAYOUT_CELL_PARAGRAPHS = 3  # paragraphs of text in one cell that make a table a page's layout


def _lays_out_text(table: Any, styles: _Styles) -> bool:
    """A table that lays a page out in columns (a CV, a newsletter, a form) rather than holding
    data: a cell holds a heading, or several paragraphs of text. Read as rows, its columns ran into
    one "cell | cell" paragraph and its headings were lost."""
    for cell in table.iter(f"{_W}tc"):
        paragraphs = [p for p in cell.iterchildren(f"{_W}p") if one_line(_text(p))]
        if len(paragraphs) >= LAYOUT_CELL_PARAGRAPHS or any(styles.kind(p) == "heading" for p in paragraphs):
            return True
    return False


def _cell_paragraphs(table: Any) -> Iterator[Any]:
    """The paragraphs of a layout table, cell by cell in reading order (a merged cell is one w:tc,
    its continuations empty), those of a table nested in a cell included."""
    for row in table.iterchildren(f"{_W}tr"):
        for cell in row.iterchildren(f"{_W}tc"):
            for child in cell.iterchildren():
                if child.tag == f"{_W}p":
                    yield child
                elif child.tag == f"{_W}tbl":
                    yield from _cell_paragraphs(child)


_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _imported_chunks(document: Any, name: str) -> list[Block]:
    """The blocks of the HTML or MHT parts the body imports (w:altChunk, as web exporters write a
    whole document), read by the HTML reader; Word shows them where they stand, rag after the body."""
    from rag.readers.html import read_html

    blocks: list[Block] = []
    for chunk in document.element.body.iter(f"{_W}altChunk"):
        part = document.part.related_parts.get(chunk.get(f"{_R}id") or "")
        markup = _html_of(part.blob) if part is not None else None
        if markup:
            try:
                blocks.extend(read_html(Path(name), name, markup).blocks)
            except Unreadable:
                continue
    return blocks


def _html_of(blob: bytes) -> bytes | None:
    """The HTML of an imported part: the part itself, or the text/html part of an MHT archive."""
    import email
    from email.message import Message

    if not blob.lstrip()[:200].lower().startswith(b"mime-version") and b"content-type:" not in blob[:400].lower():
        return blob
    message = email.message_from_bytes(blob)
    for section in message.walk():
        if isinstance(section, Message) and section.get_content_type() == "text/html":
            payload = section.get_payload(decode=True)
            return payload if isinstance(payload, bytes) else None
    return None


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_M = "{http://schemas.openxmlformats.org/officeDocument/2006/math}"
def _numbered(label: str | None, text: str) -> str:
    """The paragraph's text after the number Word shows before it, if any and not typed in too."""
    return f"{label} {text}" if label and text and not text.startswith(label) else text


_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
# Text not read as the paragraph's own: a drawing's fallback copy, the source of a tracked move
# (its text is read where it moved to), and a text box (its own paragraphs, blocks after the
# paragraph: joined in, they ran into the paragraph's words).
_NOT_OWN_TEXT = {
    _FALLBACK, f"{_W}moveFrom", f"{_W}txbxContent",
}
# Elements that only wrap block content (a content control, custom XML) and are read through.
_WRAPPERS = {f"{_W}sdt": f"{_W}sdtContent", f"{_W}customXml": None}
_CHARACTERS = {f"{_W}tab": "\t", f"{_W}br": "\n", f"{_W}cr": "\n", f"{_W}noBreakHyphen": "-"}


def _text_boxes(paragraph: Any) -> list[str]:
    """The paragraphs of the text boxes anchored in a paragraph (a call-out: "Emergency hotline:
    ..."), each a block after it; a drawing's fallback copy of the same box is not read again."""
    texts = []
    for box in paragraph.iter(f"{_W}txbxContent"):
        if any(ancestor.tag in (_FALLBACK, f"{_W}txbxContent") for ancestor in box.iterancestors()):
            continue
        texts.extend(text for text in (one_line(_text(p)) for p in box.iter(f"{_W}p")) if text)
    return texts


_NOTE_PARTS = {"footnotes": ("footnote", "footnoteReference"), "endnotes": ("endnote", "endnoteReference")}


def _notes(document: Any) -> dict[tuple[str, str], str]:
    """The text of every footnote and endnote, by (reference tag, id)."""
    from lxml import etree

    notes: dict[tuple[str, str], str] = {}
    for relationship in document.part.rels.values():
        kind = relationship.reltype.rsplit("/", 1)[-1]
        if kind not in _NOTE_PARTS or relationship.is_external:
            continue
        note_tag, reference_tag = _NOTE_PARTS[kind]
        try:
            root = etree.fromstring(relationship.target_part.blob)
        except etree.XMLSyntaxError:
            continue
        for note in root.iter(f"{_W}{note_tag}"):
            if note.get(f"{_W}type") in (None, "normal"):
                text = one_line(" ".join(_text(p) for p in note.iter(f"{_W}p")))
                if text:
                    notes[(f"{_W}{reference_tag}", note.get(f"{_W}id") or "")] = text
    return notes


def _noted(element: Any, notes: dict[tuple[str, str], str]) -> list[str]:
    """The footnotes and endnotes an element refers to, in order: each a block after it."""
    if not notes:
        return []
    keys = [(ref.tag, ref.get(f"{_W}id") or "") for ref in element.iter(*{tag for tag, _ in notes})
            if _own(ref, element)]  # not a moved-away copy
    return [notes[key] for key in keys if key in notes]


def _body_items(document: Any) -> Iterator[Any]:
    """The body's paragraphs and tables in order, those inside content controls included."""
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    container = document._body

    def walk(parent: Any) -> Iterator[Any]:
        for child in parent.iterchildren():
            if child.tag == f"{_W}p":
                yield Paragraph(child, container)
            elif child.tag == f"{_W}tbl":
                yield Table(child, container)
            elif child.tag in _WRAPPERS:
                inner = child.find(_WRAPPERS[child.tag]) if _WRAPPERS[child.tag] else child
                if inner is not None:
                    yield from walk(inner)

    return walk(document.element.body)


def _text(element: Any) -> str:
    """The text Word shows for a paragraph (or a table cell): its runs wherever they are nested."""
    pieces = []
    after_raised = False
    for node in element.iter(f"{_W}t", f"{_M}t", f"{_W}sym", *_CHARACTERS):
        if not _own(node, element) or _hidden(node):
            continue
        if node.tag == f"{_W}sym":
            text = _symbol(node)
        else:
            text = (node.text or "") if node.tag in (f"{_W}t", f"{_M}t") else _CHARACTERS[node.tag]
        raised = bool(text) and _superscript(node)
        pieces.append("^" + text if raised and not text.startswith(" ") and not after_raised else text)
        after_raised = raised if text else after_raised  # "10" in one run, "1" "2" in two raised ones: "10^12"
    return "".join(pieces)


def _hidden(node: Any) -> bool:
    """Whether node's run is hidden text (w:vanish), which Word neither shows nor prints."""
    run = node.getparent()
    return run is not None and run.tag == f"{_W}r" and _is_on(run.find(f"{_W}rPr"), "vanish")


def _superscript(node: Any) -> bool:
    """Whether node is set as a superscript (its run's, or an equation's), written "^2" so that it
    stays apart from the number before it ("1932" and a note mark "2" read "19322")."""
    if node.tag == f"{_M}t":
        return next(node.iterancestors(f"{_M}sup"), None) is not None
    run = node.getparent()
    properties = run.find(f"{_W}rPr") if run is not None and run.tag == f"{_W}r" else None
    align = properties.find(f"{_W}vertAlign") if properties is not None else None
    return align is not None and align.get(f"{_W}val") == "superscript"


# Adobe Symbol's codes for the characters Word inserts with Insert > Symbol most (w:sym w:char="F0B1").
_SYMBOL_FONT = dict(zip(
    (0xB1, 0xB0, 0xB4, 0xB8, 0xA3, 0xB3, 0xB9, 0xBB, 0xA5, 0xAE, 0xAC, 0xD6, 0xB7, 0x6D, 0x70, 0x61, 0x62, 0x67,
     0x64, 0x44, 0x57, 0x77, 0x53, 0x73, 0x71, 0x6C, 0x72, 0x74, 0x66, 0x65),
    "±°×÷≤≥≠≈∞→←√•μπαβγδΔΩωΣσθλρτφε",
))


def _symbol(node: Any) -> str:
    """The character a w:sym shows: Symbol font codes mapped to Unicode, other fonts' (Wingdings'
    pictures) left out."""
    char = node.get(f"{_W}char") or ""
    if not re.fullmatch(r"[0-9A-Fa-f]{1,6}", char):
        return ""
    code = int(char, 16)
    if (node.get(f"{_W}font") or "").lower() == "symbol":
        return _SYMBOL_FONT.get(code & 0xFF, "")
    private_or_surrogate = 0xD800 <= code <= 0xF8FF
    return chr(code) if code <= 0x10FFFF and not private_or_surrogate and (code >= 0x20 or code in (9, 10)) else ""


def _own(node: Any, element: Any) -> bool:
    """Whether node, inside element, is read as element's text (see _NOT_OWN_TEXT)."""
    for ancestor in node.iterancestors():
        if ancestor is element:
            return True
        if ancestor.tag in _NOT_OWN_TEXT:
            return False
    return True


class _Styles:
    """The document's paragraph styles, read once: python-docx's `paragraph.style` scans every
    style for the default on each call (96 % of the time of a 12,000-paragraph file)."""

    def __init__(self, document: Any) -> None:
        self._names: dict[str, str] = {}
        self._based_on: dict[str, str] = {}
        self._outlined: set[str] = set()
        self._default = ""
        for style in document.styles.element.iter(f"{_W}style"):
            if style.get(f"{_W}type") != "paragraph":
                continue
            key = style.get(f"{_W}styleId") or ""
            name = style.find(f"{_W}name")
            self._names[key] = (name.get(f"{_W}val") if name is not None else None) or key
            based = style.find(f"{_W}basedOn")
            if based is not None:
                self._based_on[key] = based.get(f"{_W}val") or ""
            if _outline_level(style.find(f"{_W}pPr")):
                self._outlined.add(key)
            if style.get(f"{_W}default") in ("1", "true"):
                self._default = key

    def chain(self, paragraph: Any) -> list[str]:
        """The style ids of the paragraph's style and of those it is based on, in order."""
        properties = paragraph.pPr
        style = properties.find(f"{_W}pStyle") if properties is not None else None
        key = (style.get(f"{_W}val") if style is not None else None) or self._default
        keys: list[str] = []
        while key and key not in keys and len(keys) < 10:
            keys.append(key)
            key = self._based_on.get(key, "")
        return keys

    def kind(self, paragraph: Any) -> str:
        """A heading by a Heading or Title style, or an outline level (a template's own heading
        style, shown in Word's navigation pane) of its style or its own; a list item by a List
        style or numbering; else a paragraph."""
        keys = self.chain(paragraph)
        name = self._names.get(keys[0], keys[0]) if keys else ""
        if (name.startswith(("Heading", "Title", "heading", "title")) or any(k in self._outlined for k in keys)
                or _outline_level(paragraph.pPr)):
            return "heading"
        numbered = paragraph.pPr is not None and paragraph.pPr.numPr is not None
        return "list_item" if name.startswith("List") or numbered else "paragraph"


BOLD_TITLE_WORDS = 10


def _bold_title(paragraph: Any, text: str) -> bool:
    """A short line all in bold that ends no sentence or clause ("Keys and locks"): a heading made
    by hand, as the PDF reader takes one (a bold "Note:" or a bold sentence stays a paragraph)."""
    if not text or len(text.split()) > BOLD_TITLE_WORDS or text[-1] in ".!?:;,":
        return False
    runs = [run for run in paragraph.iter(f"{_W}r") if _own(run, paragraph) and "".join(
        t.text or "" for t in run.iter(f"{_W}t")).strip()]
    return bool(runs) and all(_is_on(run.find(f"{_W}rPr"), "b") for run in runs)


def _is_on(properties: Any, flag: str) -> bool:
    """Whether run properties turn a toggle on (<w:b/>, <w:vanish/>; w:val="0" or "false" is off)."""
    element = properties.find(f"{_W}{flag}") if properties is not None else None
    return element is not None and (element.get(f"{_W}val") or "true") not in ("0", "false", "off")


def _outline_level(properties: Any) -> bool:
    """Whether paragraph properties give an outline level of a heading (0-8; 9 is body text)."""
    level = properties.find(f"{_W}outlineLvl") if properties is not None else None
    return level is not None and (level.get(f"{_W}val") or "9") in tuple("012345678")


def _rows(table: Any, numbering: Numbering) -> list[str]:
    """Each row as "cell | cell", a numbered paragraph in a cell with its number (and counted, so
    the list goes on right after the table); the columns empty in every row at the end left out."""
    rows: list[list[str]] = []
    for row in table.rows:
        cells: list[str] = []
        seen: set[int] = set()
        for cell in row.cells:
            if id(cell._tc) in seen:
                continue
            seen.add(id(cell._tc))
            paragraphs = [p for p in cell._tc.iter(f"{_W}p") if _own(p, cell._tc)]
            cells.append(" ".join(filter(None, (_numbered(numbering.label(p), one_line(_text(p))) for p in paragraphs))))
        rows.append(cells)
    return table_lines(rows)
