"""The types every reader returns, and helpers they share."""

from __future__ import annotations

from dataclasses import dataclass

BLOCK_KINDS = ("paragraph", "heading", "list_item", "table_row", "code")


class Unreadable(Exception):
    """The file cannot be read at all; the message says why (it becomes a one-line warning)."""


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of a document, where a reader finds it in the original.

    page: 1-based page (PDF only). heading: the nearest heading above the block, if any.
    span: (start, end) offsets in ReadResult.source, for formats whose text is the file itself.
    """

    text: str
    page: int | None = None
    heading: str | None = None
    kind: str = "paragraph"
    span: tuple[int, int] | None = None


@dataclass(frozen=True)
class ReadResult:
    """A document's blocks in reading order.

    source: the decoded file when blocks are spans of it (Markdown); None when the text is
    extracted (PDF, HTML, DOCX), in which case the document's text is its blocks joined.
    """

    format: str
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...] = ()
    source: str | None = None


def one_line(text: str) -> str:
    """Whitespace runs collapsed to single spaces: the normal form of an extracted block."""
    return " ".join(text.split())


def decode_text(data: bytes, name: str, warnings: list[str]) -> str | None:
    """UTF-8 (Latin-1 as a fallback, with a warning); None with a warning for binary or empty."""
    if b"\x00" in data[:8192]:
        warnings.append(f"skipped {name}: binary file")
        return None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        warnings.append(f"decoded {name} as Latin-1: it is not valid UTF-8")
        text = data.decode("latin-1")
    if not text.strip():
        warnings.append(f"skipped {name}: empty file")
        return None
    return text
