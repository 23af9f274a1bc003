"""Reading a folder of documents into numbered paragraphs with exact line ranges.

The paragraph rule (also in the README):
  * Blank lines separate blocks of lines.
  * A block whose lines are all at most WRAP_WIDTH characters is hard-wrapped text: the block is
    one paragraph (a Markdown heading or list item inside it starts a new one).
  * A block with any longer line is "one paragraph per line" text: every line is a paragraph.
Paragraphs are numbered from 1 in each file; line numbers are 1-based and inclusive.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from rag.errors import CorpusError

SUFFIXES = (".txt", ".md")
WRAP_WIDTH = 100
_BLOCK_START = re.compile(r"^\s{0,3}(#{1,6}\s|[-*+]\s|\d{1,3}[.)]\s)")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph as a character span [start, end) of its file, so its text is always verbatim."""

    number: int
    start_line: int
    end_line: int
    start: int
    end: int


@dataclass(frozen=True)
class Document:
    """One decoded file of the corpus; `path` is relative to the corpus root, with '/'."""

    path: str
    text: str
    sha256: str
    paragraphs: tuple[Paragraph, ...]

    def span(self, start: int, end: int) -> str:
        return self.text[start:end]

    def paragraph_text(self, paragraph: Paragraph) -> str:
        return self.text[paragraph.start : paragraph.end]


@dataclass(frozen=True)
class Corpus:
    root: Path
    documents: tuple[Document, ...]
    warnings: tuple[str, ...]


def _line_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) offsets of each line, without its newline or a trailing carriage return."""
    spans = []
    position = 0
    for line in text.split("\n"):
        end = position + len(line)
        visible_end = end - 1 if line.endswith("\r") else end
        spans.append((position, visible_end))
        position = end + 1
    return spans


def _blocks(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Runs of consecutive non-blank line indexes."""
    blocks: list[list[int]] = []
    current: list[int] = []
    for index, (start, end) in enumerate(spans):
        if text[start:end].strip():
            current.append(index)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _split_block(text: str, spans: list[tuple[int, int]], block: list[int]) -> list[list[int]]:
    """Apply the paragraph rule to one block of lines."""
    if any(spans[i][1] - spans[i][0] > WRAP_WIDTH for i in block):
        return [[i] for i in block]
    groups: list[list[int]] = []
    for index in block:
        line = _line(text, spans[index])
        if not groups or _BLOCK_START.match(line) or _is_heading(_line(text, spans[groups[-1][-1]])):
            groups.append([index])
        else:
            groups[-1].append(index)
    return groups


def split_paragraphs(text: str) -> tuple[Paragraph, ...]:
    """Number the paragraphs of a text according to the module's rule."""
    spans = _line_spans(text)
    paragraphs = []
    for block in _blocks(text, spans):
        for group in _split_block(text, spans, block):
            first, last = group[0], group[-1]
            start = spans[first][0] + _leading_space(text, spans[first])
            end = spans[last][1]
            while end > start and text[end - 1].isspace():
                end -= 1
            paragraphs.append(
                Paragraph(len(paragraphs) + 1, first + 1, last + 1, start, end)
            )
    return tuple(paragraphs)


def _line(text: str, span: tuple[int, int]) -> str:
    return text[span[0] : span[1]]


def _is_heading(line: str) -> bool:
    return line.lstrip().startswith("#")


def _leading_space(text: str, span: tuple[int, int]) -> int:
    line = text[span[0] : span[1]]
    return len(line) - len(line.lstrip())


def _decode(data: bytes, name: str, warnings: list[str]) -> str | None:
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


def iter_files(root: Path) -> list[Path]:
    """Text files under root, sorted, skipping hidden files and folders (such as the index)."""
    return sorted(
        path
        for path in root.rglob("*")
        if path.suffix.lower() in SUFFIXES
        and path.is_file()
        and not any(part.startswith(".") for part in path.relative_to(root).parts)
    )


def read_document(root: Path, path: Path, warnings: list[str]) -> Document | None:
    """One file of the corpus, or None (with a warning) when it is unreadable, binary or empty."""
    name = path.relative_to(root).as_posix()
    try:
        data = path.read_bytes()
    except OSError as error:
        warnings.append(f"skipped {name}: {error.strerror}")
        return None
    text = _decode(data, name, warnings)
    if text is None:
        return None
    return Document(name, text, hashlib.sha256(data).hexdigest(), split_paragraphs(text))


def check_corpus_root(root: Path) -> None:
    """Raises:
        CorpusError: root is not a folder."""
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} does not exist; pass a folder of .txt or .md files")


def no_documents_error(root: Path) -> CorpusError:
    return CorpusError(f"no readable .txt or .md files in {root}; add some or pass another folder")


def read_corpus(root: Path) -> Corpus:
    """Read every .txt and .md file under root.

    Raises:
        CorpusError: root is not a folder, or it holds no readable text file.
    """
    check_corpus_root(root)
    warnings: list[str] = []
    documents = [d for d in (read_document(root, p, warnings) for p in iter_files(root)) if d is not None]
    if not documents:
        raise no_documents_error(root)
    return Corpus(root, tuple(documents), tuple(warnings))
