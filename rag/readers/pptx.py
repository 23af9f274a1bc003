"""PowerPoint slides (.pptx, as PowerPoint, LibreOffice Impress and Keynote export them): each slide's
title, text, tables and speaker notes, slide by slide in the deck's order.

A slide is a page: its number is the block's page, so a citation reads `deck.pptx slide 4 ¶2`. The
title (a title placeholder) heads the slide's other blocks; each paragraph of a text box or
placeholder is a block (a bullet's paragraph a list item), each table row one `cell | cell` block,
as in Word files (an empty cell kept in its column, a cell merged down repeated in each row, the
columns empty in every row at the end left out), a SmartArt graphic's text node by node, a chart's
title, axis titles and series' values as lines (rag/readers/pptx_chart.py), and the speaker notes
follow the slide's own text under a heading of their own, "TITLE (speaker notes)", so a citation
and `rag extract` say where they are. Shapes are read in the order the slide lists them
(PowerPoint's reading order), shapes in a group in theirs, one branch of an alternate-content
choice. Hidden slides and shapes, slide-number, date and footer placeholders, and the notes page's
slide image are left out; a damaged slide, notes page,
diagram or chart (or one whose part is missing) is left out with a warning naming it, and the rest
of the deck is read.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from typing import Any

from rag.readers.base import (
    MAX_PART_BYTES, ZIP_FAILURES, Block, DamagedParts, ReadResult, Unreadable, file_bytes, one_line, table_lines,
    with_speaker_notes, xml_parser, zip_failure, zip_part,
)
from rag.readers.drawingml import A, paragraph_text, text_of
from rag.readers.pptx_chart import C, chart_lines

PRESENTATION = "ppt/presentation.xml"
BROKEN_FIX = "open and save it again in PowerPoint or Impress, or export it as PDF"

_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_RELS = "{http://schemas.openxmlformats.org/package/2006/relationships}"
_DGM = "{http://schemas.openxmlformats.org/drawingml/2006/diagram}"
_MC = "{http://schemas.openxmlformats.org/markup-compatibility/2006}"
_NOTES = "/relationships/notesSlide"
# A graphic frame's content kept in a part of its own: the element naming it, that element's
# attribute holding the relationship's id, the relationship's type, and what a warning calls it.
_SMARTART = (f"{_DGM}relIds", f"{_R}dm", "/relationships/diagramData", "SmartArt graphic on slide")
_CHART = (f"{C}chart", f"{_R}id", "/relationships/chart", "chart on slide")
_TITLES = {"title", "ctrTitle"}
_FURNITURE = {"sldNum", "dt", "ftr", "sldImg", "hdr"}  # placeholders repeating the deck's furniture
_SHAPES = {f"{_P}sp", f"{_P}graphicFrame"}
_DIAGRAM_TEXT_POINTS = {None, "node", "asst"}  # a SmartArt's text nodes (not its connectors or layout)
_BROKEN = (*ZIP_FAILURES, KeyError)


def read_pptx(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of every shown slide, its number as the page (from `data` when given, else the file).
    A damaged slide or notes page is left out with a warning naming it; the others are read.

    Raises:
        Unreadable: not a PowerPoint deck, its slide list is damaged, or no text on any slide.
    """
    from lxml import etree

    parser = xml_parser()
    broken = (*_BROKEN, etree.XMLSyntaxError)
    blocks: list[Block] = []
    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes(path, data))) as archive:
            if PRESENTATION not in archive.namelist():
                raise Unreadable(f"a zip without {PRESENTATION}, so no PowerPoint deck (an OpenDocument presentation, "
                                 "or another file renamed?); export it from its program as .pptx or PDF")
            deck = _Deck(archive, parser, broken)
            for number, slide_path in enumerate(deck.slide_paths(), start=1):
                blocks.extend(deck.slide_blocks(slide_path, number))
    except RecursionError:  # before RuntimeError, which it is
        raise Unreadable(f"PowerPoint file nested too deep to read; {BROKEN_FIX}") from None
    except broken as error:
        raise Unreadable(f"broken PowerPoint file ({zip_failure(error)}); {BROKEN_FIX}") from error
    if not blocks:
        damaged = f" that could be read (damaged: {deck.damaged})" if deck.damaged else ""
        raise Unreadable(f"no text on any slide{damaged}")
    return ReadResult("pptx", tuple(blocks), deck.damaged.warnings(name, "deck"))


class _Deck:
    """A deck's parts, parsed on demand, and the slides and notes pages found damaged."""

    def __init__(self, archive: zipfile.ZipFile, parser: Any, broken: tuple[type[BaseException], ...]) -> None:
        self._archive = archive
        self._names = set(archive.namelist())
        self._parser = parser
        self._broken = broken
        self.damaged = DamagedParts()  # "slide", "speaker notes of slide" and the like, by slide number

    def part(self, member: str) -> Any:
        from lxml import etree

        return etree.fromstring(zip_part(self._archive, member, MAX_PART_BYTES, "", "a slide", BROKEN_FIX), self._parser)

    def slide_paths(self) -> list[str]:
        """The slides' parts in the deck's order (presentation.xml's list, not the file names:
        slide10 follows slide9, and a moved slide keeps its file)."""
        relations = self.relations(PRESENTATION)
        listed = self.part(PRESENTATION).find(f"{_P}sldIdLst")
        return [relations.get(entry.get(f"{_R}id", ""), ("", ""))[1] for entry in ([] if listed is None else listed)]

    def relations(self, member: str) -> dict[str, tuple[str, str]]:
        """A part's relationships: id -> (type, the target part's path in the zip), a target written
        from the package's root ("/ppt/slides/slide1.xml") or from the part's folder."""
        folder, base = posixpath.split(member)
        rels = posixpath.join(folder, "_rels", f"{base}.rels")
        if rels not in self._names:
            return {}
        found = {}
        for rel in self.part(rels).iter(f"{_RELS}Relationship"):
            target = rel.get("Target", "")
            if rel.get("TargetMode") != "External":
                path = target.lstrip("/") if target.startswith("/") else posixpath.join(folder, target)
                found[rel.get("Id", "")] = (rel.get("Type", ""), posixpath.normpath(path))
        return found

    def slide_blocks(self, slide_path: str, number: int) -> list[Block]:
        """A shown slide's title first, then its other shapes' blocks under it, then its speaker
        notes; none for a hidden slide, or a damaged one (noted)."""
        try:
            slide = self.part(slide_path)
            relations = self.relations(slide_path)
        except self._broken:
            self.damaged.add("slide", number)
            return []
        if slide.get("show") in ("0", "false"):
            return []
        shapes = list(_shapes(slide))
        titles = [shape for shape in shapes if _placeholder(shape) in _TITLES]
        title = one_line(" ".join(paragraph_text(p) for shape in titles for p in _paragraphs(shape))) or None
        blocks = [Block(title, number, title, "heading")] if title else []
        for shape in shapes:
            if shape not in titles and _placeholder(shape) not in _FURNITURE:
                blocks.extend(_shape_blocks(shape, number, title))
                blocks.extend(self._diagram_blocks(shape, relations, number, title))
                blocks.extend(self._chart_blocks(shape, relations, number, title))
        return with_speaker_notes(blocks, self._notes_blocks(relations, number), title)

    def _related_part(self, path: str | None, what: str, number: int) -> Any | None:
        """A slide's notes page, diagram data or chart, parsed; None when it has none, or when the
        part is damaged (noted, so the rest of the slide is still read)."""
        if path is None or path not in self._names:
            return None
        try:
            return self.part(path)
        except self._broken:
            self.damaged.add(what, number)
            return None

    def _notes_blocks(self, relations: dict[str, tuple[str, str]], number: int) -> list[Block]:
        notes_path = next((path for kind, path in relations.values() if kind.endswith(_NOTES)), None)
        notes = self._related_part(notes_path, "speaker notes of slide", number)
        if notes is None:
            return []
        return [block for shape in _shapes(notes) if _placeholder(shape) == "body"
                for block in _shape_blocks(shape, number, None)]

    def _diagram_blocks(
        self, shape: Any, relations: dict[str, tuple[str, str]], number: int, title: str | None,
    ) -> list[Block]:
        """A SmartArt graphic's text, node by node, from its data part."""
        data = self._graphic_part(shape, _SMARTART, relations, number)
        if data is None:
            return []
        blocks = []
        for point in data.iter(f"{_DGM}pt"):
            text_body = point.find(f"{_DGM}t")
            if point.get("type") in _DIAGRAM_TEXT_POINTS and text_body is not None:
                text = text_of(text_body)
                if text:
                    blocks.append(Block(text, number, title, "list_item"))
        return blocks

    def _chart_blocks(
        self, shape: Any, relations: dict[str, tuple[str, str]], number: int, title: str | None,
    ) -> list[Block]:
        """A chart's title and axis titles, then its series one a line (rag/readers/pptx_chart.py)."""
        chart = self._graphic_part(shape, _CHART, relations, number)
        return [] if chart is None else [Block(line, number, title, "paragraph") for line in chart_lines(chart)]

    def _graphic_part(
        self, shape: Any, graphic: tuple[str, str, str, str], relations: dict[str, tuple[str, str]], number: int,
    ) -> Any | None:
        """The part holding a graphic frame's SmartArt data or chart (see _SMARTART), parsed; None
        when the shape holds no such graphic, or when its part is missing or damaged (noted)."""
        tag, attribute, relation, what = graphic
        reference = shape.find(f".//{tag}")
        if reference is None:
            return None
        kind, path = relations.get(reference.get(attribute, ""), ("", ""))
        if not kind.endswith(relation) or path not in self._names:
            self.damaged.add(what, number)
            return None
        return self._related_part(path, what, number)


def _shapes(part: Any) -> Any:
    """A slide's (or notes page's) visible text shapes and tables in the order it lists them, those
    of groups in place, and one branch of each alternate-content choice (the first the writer
    offered; PowerPoint wraps a shape holding an equation or ink so)."""
    tree = part.find(f"{_P}cSld/{_P}spTree")
    yield from () if tree is None else _visible(tree)


def _visible(container: Any) -> Any:
    for child in container:
        if _hidden(child):
            continue
        if child.tag == f"{_P}grpSp":
            yield from _visible(child)
        elif child.tag == f"{_MC}AlternateContent":
            branch = child.find(f"{_MC}Choice")
            yield from _visible(branch if branch is not None else child.find(f"{_MC}Fallback") or [])
        elif child.tag in _SHAPES:
            yield child


def _hidden(shape: Any) -> bool:
    """A shape or group hidden in the selection pane (its non-visual properties say so)."""
    properties = shape.find(f"*/{_P}cNvPr")
    return properties is not None and properties.get("hidden") in ("1", "true")


def _placeholder(shape: Any) -> str | None:
    """A placeholder's type ("title", "body", "sldNum"; "body" when it names none), or None."""
    found = shape.find(f"{_P}nvSpPr/{_P}nvPr/{_P}ph")
    return None if found is None else found.get("type", "body")


def _shape_blocks(shape: Any, number: int, title: str | None) -> list[Block]:
    """A text shape's paragraphs, a bullet's as a list item, or a table's rows."""
    blocks = [Block(text, number, title, "table_row") for text in _table_rows(shape)]
    for paragraph in _paragraphs(shape):
        text = one_line(paragraph_text(paragraph))
        if text:
            blocks.append(Block(text, number, title, "list_item" if _is_item(paragraph) else "paragraph"))
    return blocks


def _table_rows(shape: Any) -> list[str]:
    """Each row of a table "cell | cell", an empty cell kept in its place, a cell merged down
    repeated in each row it spans (as the HTML reader does) and one merged across empty; the
    columns empty in every row at the end left out (see table_lines)."""
    rows: list[list[str]] = []
    above: list[str] = []
    for row in shape.iter(f"{A}tr"):
        cells = []
        for column, cell in enumerate(row.findall(f"{A}tc")):
            if cell.get("vMerge") in ("1", "true"):
                cells.append(above[column] if column < len(above) else "")
            elif cell.get("hMerge") in ("1", "true"):
                cells.append("")
            else:
                cells.append(text_of(cell))
        above = cells
        rows.append(cells)
    return table_lines(rows)


def _paragraphs(shape: Any) -> list[Any]:
    body = shape.find(f"{_P}txBody")
    return [] if body is None else body.findall(f"{A}p")


def _is_item(paragraph: Any) -> bool:
    """A paragraph with a bullet or number of its own, or indented to a list's level."""
    properties = paragraph.find(f"{A}pPr")
    if properties is None:
        return False
    if properties.find(f"{A}buNone") is not None:
        return False
    return properties.find(f"{A}buChar") is not None or properties.find(f"{A}buAutoNum") is not None or (
        properties.get("lvl") not in (None, "0"))
