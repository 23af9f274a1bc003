"""DrawingML's text (the `a:` namespace): the runs of a paragraph as PowerPoint shows them, shared by
a slide's shapes, its SmartArt and its charts."""

from __future__ import annotations

from typing import Any

from rag.readers.base import one_line

A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"


def paragraph_text(paragraph: Any) -> str:
    """Runs and fields as written, a line break as a space."""
    parts = []
    for child in paragraph:
        if child.tag in (f"{A}r", f"{A}fld"):
            parts.append(child.findtext(f"{A}t") or "")
        elif child.tag == f"{A}br":
            parts.append(" ")
    return "".join(parts)


def text_of(element: Any) -> str:
    """Every paragraph under element (a table cell, a SmartArt node, a chart's title), on one line."""
    return one_line(" ".join(paragraph_text(p) for p in element.iter(f"{A}p")))
