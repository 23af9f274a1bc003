"""HTML with trafilatura: the main text of a page, without menus, scripts, sidebars or footers.

trafilatura is a maintained, widely used main-text extractor, and it keeps structure: headings, paragraphs, list items and table
rows come back as XML elements, so each becomes a block and headings label what follows them.
A page trafilatura finds no main text in falls back to all its visible text, one block a line.
"""

from __future__ import annotations

from pathlib import Path

from rag.readers.base import Block, ReadResult, Unreadable, one_line

_BLOCK_TAGS = {"head": "heading", "p": "paragraph", "item": "list_item", "row": "table_row",
               "code": "code", "quote": "paragraph"}


def read_html(path: Path, name: str) -> ReadResult:
    """Blocks of the page's main content, each under its nearest heading.

    Raises:
        Unreadable: the file cannot be read or holds no text.
    """
    import trafilatura

    try:
        data = path.read_bytes()
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from error
    blocks = _main_blocks(data, favor_recall=True)
    if b"<table" in data.lower() and not any(b.kind == "table_row" for b in blocks):
        blocks = _with_tables(blocks, _main_blocks(data, favor_recall=False))
    warnings: list[str] = []
    if not blocks:
        text = trafilatura.html2txt(data) or _visible_text(data)
        blocks = [Block(line) for line in (one_line(t) for t in text.split("\n")) if line]
        if blocks:
            warnings.append(f"{name}: no main text found; indexed all of the page's visible text")
    if not blocks:
        raise Unreadable("no text in the page")
    return ReadResult("html", tuple(blocks), tuple(warnings))


def _main_blocks(data: bytes, *, favor_recall: bool) -> list[Block]:
    import trafilatura

    xml = trafilatura.extract(
        data, output_format="xml", include_tables=True, include_comments=False,
        include_formatting=False, favor_recall=favor_recall, with_metadata=False,
    )
    return _xml_blocks(xml) if xml else []


def _with_tables(blocks: list[Block], precise: list[Block]) -> list[Block]:
    """Favouring recall, trafilatura drops some small tables (one with <th> header cells) that
    its precise reading keeps, while the precise reading drops headings and lists. The precise
    reading's table rows are put into the recall reading after the paragraph they follow there
    (at the end when it is not found), under that paragraph's heading."""
    merged = list(blocks)
    cursor = 0
    anchor: str | None = None
    run: list[Block] = []

    def place() -> None:
        nonlocal cursor
        at = next((i + 1 for i in range(cursor, len(merged)) if merged[i].text == anchor), len(merged))
        heading = merged[at - 1].heading if at else None
        merged[at:at] = [Block(row.text, row.page, heading, row.kind) for row in run]
        cursor = at + len(run)
        run.clear()

    for block in precise:
        if block.kind == "table_row":
            run.append(block)
            continue
        if run:
            place()
        anchor = block.text
    if run:
        place()
    return merged


def _visible_text(data: bytes) -> str:
    """The text of a fragment (`<div>...</div>`, a bare `<p>`, plain text saved as .html), which
    trafilatura reads as no page at all: every element's text but scripts and styles, one line per
    element that ends in a line break or a block."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.fromstring(data)
    except (etree.ParserError, ValueError):
        return ""
    for element in root.xpath("//script|//style|//noscript|//template"):
        element.drop_tree()
    for element in root.iter("p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "pre", "blockquote"):
        element.tail = "\n" + (element.tail or "")
    return root.text_content()


def _xml_blocks(xml: str) -> list[Block]:
    from lxml import etree

    root = etree.fromstring(xml.encode("utf-8"), etree.XMLParser(recover=True))
    blocks: list[Block] = []
    heading: str | None = None
    for element in root.iter(*_BLOCK_TAGS):
        if element.tag in ("p", "code", "quote") and _inside_block(element):
            continue
        if element.tag == "row":
            cells = [one_line("".join(c.itertext())) for c in element.iter("cell")]
            text = " | ".join(cells)
        else:
            text = one_line("".join(element.itertext()))
        if not text.strip(" |"):
            continue
        kind = _BLOCK_TAGS[element.tag]
        if kind == "heading":
            heading = text
        blocks.append(Block(text, None, heading, kind))
    return blocks


def _inside_block(element) -> bool:  # type: ignore[no-untyped-def]
    """A paragraph inside a list item or table cell is part of that item or row."""
    return any(parent.tag in ("item", "cell") for parent in element.iterancestors())
