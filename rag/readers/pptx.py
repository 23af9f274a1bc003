"""PowerPoint slides (.pptx, as PowerPoint, LibreOffice Impress and Keynote export them): each slide's
title, text, tables and speaker notes, slide by slide in the deck's order.

A slide is a page: its number is the block's page, so a citation reads `deck.pptx slide 4 ¶2`. The
title (a title placeholder) heads the slide's other blocks; each paragraph of a text box or
placeholder is a block (a bullet's paragraph a list item), each table row one `cell | cell` block,
as in Word files, and the speaker notes follow the slide's own text, under "TITLE (speaker notes)"
so a citation says where they are. Shapes are read in the order
the slide lists them (PowerPoint's reading order), shapes in a group in theirs. Hidden slides,
slide-number, date and footer placeholders, and the notes page's slide image are left out.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from typing import Any

from rag.readers.base import ZIP_FAILURES, Block, ReadResult, Unreadable, file_bytes, one_line, zip_failure, zip_part

PRESENTATION = "ppt/presentation.xml"
MAX_PART_BYTES = 64 * 1024 * 1024  # far more than any real slide's XML
BROKEN_FIX = "open and save it again in PowerPoint or Impress, or export it as PDF"

_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_NOTES_TYPE = "/notesSlide"
_TITLES = {"title", "ctrTitle"}
_FURNITURE = {"sldNum", "dt", "ftr", "sldImg", "hdr"}  # placeholders repeating the deck's furniture
_BROKEN = (*ZIP_FAILURES, KeyError)


def read_pptx(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of every shown slide, its number as the page (from `data` when given, else the file).

    Raises:
        Unreadable: not a valid PowerPoint file, or no text on any slide.
    """
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    blocks: list[Block] = []
    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes(path, data))) as archive:
            def part(member: str) -> Any:
                return etree.fromstring(zip_part(archive, member, MAX_PART_BYTES, "", "a slide", BROKEN_FIX), parser)

            for number, slide_path in enumerate(_slide_paths(archive, part), start=1):
                slide = part(slide_path)
                if slide.get("show") in ("0", "false"):
                    continue
                notes = _related(archive, part, slide_path, _NOTES_TYPE)
                blocks.extend(_slide_blocks(slide, None if notes is None else part(notes), number))
    except RecursionError:  # before RuntimeError, which it is
        raise Unreadable(f"PowerPoint file nested too deep to read; {BROKEN_FIX}") from None
    except (*_BROKEN, etree.XMLSyntaxError) as error:
        raise Unreadable(f"broken PowerPoint file ({zip_failure(error)}); {BROKEN_FIX}") from error
    if not blocks:
        raise Unreadable("no text on any slide")
    return ReadResult("pptx", tuple(blocks))


def _slide_paths(archive: zipfile.ZipFile, part: Any) -> list[str]:
    """The slides' parts in the deck's order (presentation.xml's list, not the file names: slide10
    follows slide9, and a moved slide keeps its file)."""
    relations = {id_: path for id_, _, path in _relations(archive, part, PRESENTATION)}
    listed = part(PRESENTATION).find(f"{_P}sldIdLst")
    ids = [] if listed is None else [entry.get(f"{_R}id") for entry in listed]
    return [relations[i] for i in ids if i in relations]


def _relations(archive: zipfile.ZipFile, part: Any, member: str) -> list[tuple[str, str, str]]:
    """A part's relationships: (id, type, the target part's path in the zip), a target written
    from the package's root ("/ppt/slides/slide1.xml") or from the part's folder."""
    folder, base = posixpath.split(member)
    rels = posixpath.join(folder, "_rels", f"{base}.rels")
    if rels not in archive.namelist():
        return []
    found = []
    for rel in part(rels).iter(f"{_RELS}Relationship"):
        target = rel.get("Target", "")
        if rel.get("TargetMode") != "External":
            path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
            found.append((rel.get("Id", ""), rel.get("Type", ""), posixpath.normpath(path)))
    return found


def _related(archive: zipfile.ZipFile, part: Any, member: str, kind: str) -> str | None:
    """The part a slide relates to by a relationship of that type (its notes), if any."""
    return next((path for _, type_, path in _relations(archive, part, member)
                 if type_.endswith(kind) and path in archive.namelist()), None)


def _slide_blocks(slide: Any, notes: Any | None, number: int) -> list[Block]:
    """The slide's title first, then its other shapes' blocks under it, then its speaker notes."""
    tree = slide.find(f"{_P}cSld/{_P}spTree")
    shapes = [] if tree is None else list(_shapes(tree))
    titles = [shape for shape in shapes if _placeholder(shape) in _TITLES]
    title = one_line(" ".join(_paragraph_text(p) for shape in titles for p in _paragraphs(shape))) or None
    blocks = [Block(title, number, title, "heading")] if title else []
    for shape in shapes:
        if shape not in titles and _placeholder(shape) not in _FURNITURE:
            blocks.extend(_shape_blocks(shape, number, title))
    notes_tree = None if notes is None else notes.find(f"{_P}cSld/{_P}spTree")
    for shape in [] if notes_tree is None else _shapes(notes_tree):
        if _placeholder(shape) == "body":
            blocks.extend(_shape_blocks(shape, number, f"{title} (speaker notes)" if title else "speaker notes"))
    return blocks


def _shapes(tree: Any) -> Any:
    """Text shapes and tables in the order the slide lists them, those of groups in place."""
    for child in tree:
        if child.tag == f"{_P}grpSp":
            yield from _shapes(child)
        elif child.tag in (f"{_P}sp", f"{_P}graphicFrame"):
            yield child


def _placeholder(shape: Any) -> str | None:
    """A placeholder's type ("title", "body", "sldNum"; "body" when it names none), or None."""
    found = shape.find(f"{_P}nvSpPr/{_P}nvPr/{_P}ph")
    return None if found is None else found.get("type", "body")


def _shape_blocks(shape: Any, number: int, title: str | None) -> list[Block]:
    """A text shape's paragraphs, a bullet's as a list item, or a table's rows."""
    blocks = []
    for row in shape.iter(f"{_A}tr"):
        cells = [one_line(" ".join(_paragraph_text(p) for p in cell.iter(f"{_A}p"))) for cell in row.iter(f"{_A}tc")]
        text = " | ".join(cell for cell in cells if cell)
        if text:
            blocks.append(Block(text, number, title, "table_row"))
    for paragraph in _paragraphs(shape):
        text = one_line(_paragraph_text(paragraph))
        if text:
            blocks.append(Block(text, number, title, "list_item" if _is_item(paragraph) else "paragraph"))
    return blocks


def _paragraphs(shape: Any) -> list[Any]:
    body = shape.find(f"{_P}txBody")
    return [] if body is None else body.findall(f"{_A}p")


def _is_item(paragraph: Any) -> bool:
    """A paragraph with a bullet or number of its own, or indented to a list's level."""
    properties = paragraph.find(f"{_A}pPr")
    if properties is None:
        return False
    if properties.find(f"{_A}buNone") is not None:
        return False
    return properties.find(f"{_A}buChar") is not None or properties.find(f"{_A}buAutoNum") is not None or (
        properties.get("lvl") not in (None, "0"))


def _paragraph_text(paragraph: Any) -> str:
    """Runs and fields as written, a line break as a space."""
    parts = []
    for child in paragraph:
        if child.tag in (f"{_A}r", f"{_A}fld"):
            parts.append(child.findtext(f"{_A}t") or "")
        elif child.tag == f"{_A}br":
            parts.append(" ")
    return "".join(parts)
