"""OpenDocument presentations (.odp, as LibreOffice Impress writes them): each slide's title, text,
tables and speaker notes, slide by slide, read as the PowerPoint reader reads a deck.

A slide (`draw:page`) is a page: its number is the block's page, so a citation reads
`deck.odp slide 4 ¶2`. The title (the frame of presentation class "title") heads the slide's other
blocks. A slide without one has no heading: its name (`draw:name`, "page1" unless renamed in the
slide pane) is not shown on the slide, so a reader could not find it there. The other shapes are
read in the order the slide lists them (Impress's reading order), those of a group in theirs, with
the text reader's rules (rag/readers/odt.py): each paragraph of a text box, outline or shape a
block (an outline's bullet a list item), each table row one `cell | cell` block (a list in a cell
read in it, an empty cell kept in its column, a cell merged down repeated, the columns empty in
every row at the end left out), spaces, tabs and line breaks as shown. The speaker
notes (`presentation:notes`) follow the slide's own text under a heading of their own,
"TITLE (speaker notes)", as in PowerPoint decks. A chart is read where its frame stands, as its
title, axis titles and a line a series (rag/readers/odf_chart.py). Hidden slides (their page style's
presentation:visibility "hidden"), hidden shapes (draw:display "none"), comments, the header,
footer, date and slide-number placeholders and the notes page's slide image are left out, and so
are embedded objects other than charts (a formula).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.readers.base import Block, one_line, with_speaker_notes
from rag.readers.odt import DRAW, OFFICE, STYLE, TEXT, BodyReader, paragraph_text

if TYPE_CHECKING:
    from rag.readers.odf_chart import ChartObjects

PRESENTATION = "{urn:oasis:names:tc:opendocument:xmlns:presentation:1.0}"
# Placeholders repeating the deck's furniture, and the notes page's image of its slide.
_FURNITURE = {"header", "footer", "date-time", "page-number", "page", "handout"}
# A slide's children that are not its shapes: its notes page (read after it) and comments (left
# out, as in text documents; Impress wrote them in its own namespace before ODF 1.3 had one).
_NOT_SHAPES = {f"{PRESENTATION}notes", f"{OFFICE}annotation", "{http://openoffice.org/2009/office}annotation"}


def slide_blocks(root: Any, body: Any, charts: ChartObjects | None = None) -> list[Block]:
    """The blocks of every shown slide of a presentation's body (office:presentation), its number
    as the page, its charts read from `charts`; root is content.xml's, whose styles tell a hidden slide."""
    hidden = _hidden_page_styles(root)
    blocks: list[Block] = []
    for number, page in enumerate(body.iterfind(f"{DRAW}page"), start=1):
        if page.get(f"{DRAW}style-name") not in hidden:
            blocks.extend(_slide(page, number, charts))
    return blocks


def _slide(page: Any, number: int, charts: ChartObjects | None) -> list[Block]:
    """A slide's title first, then its other shapes' blocks under it, then its speaker notes."""
    shapes = list(_shapes(page))
    titles = [shape for shape in shapes if _class(shape) == "title"]
    title = one_line(" ".join(paragraph_text(p) for shape in titles for p in shape.iter(f"{TEXT}p"))) or None
    reader = BodyReader(page=number, heading=title, charts=charts)
    if title:
        reader.blocks.append(Block(title, number, title, "heading"))
    for shape in shapes:
        if shape not in titles:
            reader.node(shape)
    notes = page.find(f"{PRESENTATION}notes")
    notes_reader = BodyReader(page=number, charts=charts)
    for shape in [] if notes is None else _shapes(notes):
        notes_reader.node(shape)
    return with_speaker_notes(reader.blocks, notes_reader.blocks, title)


def _shapes(container: Any) -> Iterator[Any]:
    """A slide's (or notes page's) shown shapes in the order it lists them, those of groups in
    place; its notes page, comments, hidden shapes and furniture left out."""
    for child in container:
        if not isinstance(child.tag, str) or child.tag in _NOT_SHAPES:
            continue
        if child.get(f"{DRAW}display") == "none" or _class(child) in _FURNITURE:
            continue
        if child.tag == f"{DRAW}g":
            yield from _shapes(child)
        else:
            yield child


def _class(shape: Any) -> str | None:
    """A placeholder's presentation class ("title", "outline", "notes", "footer"), or None."""
    return shape.get(f"{PRESENTATION}class")


def _hidden_page_styles(root: Any) -> frozenset[str]:
    """The names of the page styles that hide a slide (Impress's Hide Slide writes
    presentation:visibility="hidden" into the slide's automatic style)."""
    return frozenset(
        style.get(f"{STYLE}name") or "" for style in root.iter(f"{STYLE}style")
        if any(properties.get(f"{PRESENTATION}visibility") == "hidden"
               for properties in style.iterfind(f"{STYLE}drawing-page-properties")))
