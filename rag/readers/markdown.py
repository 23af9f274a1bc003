"""Markdown with markdown-it-py: blocks are exact spans of the file, so quotes stay verbatim.

markdown-it-py is the CommonMark parser rich already depends on; its tokens carry the line range
of every block. Headings, paragraphs and list items each become a block (a list item's marker
stays in its text; a heading is its words, without its "#" marks or setext underline), and a
fenced or indented code block, a table or an HTML block is kept whole as one block. A paragraph with a line longer than the plain-text wrap width is "one paragraph
per line" text, as in rag/corpus.py's rule for .txt files.

A heading's block stays a span of the file, inline markup and all (`rag index` with *emphasis*
and [a link](url)), so a quote from it can be found in the file; the heading as context (what a
passage is cited "under" and embedded with) is its words as a reader sees them
(heading_words: rag index with emphasis and a link). An empty heading ("###### ") heads nothing
and is no block. A block in a block quote starts after its first line's ">" marks; a paragraph
over several quoted lines is still one span, from its first word to its last, so the marks of its
later lines stay in its text (split into a block a line, its sentences would be cut apart). A
heading inside a block quote heads the rest of the quote, not the text after it.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

from rag.readers.base import Block, ReadResult, decode_text, file_bytes

if TYPE_CHECKING:
    from markdown_it import MarkdownIt

_WHOLE = {"fence": "code", "code_block": "code", "html_block": "paragraph", "table_open": "table_row"}


def read_markdown(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks with spans into the decoded file (`data` when given, else the file's bytes).

    Raises:
        Unreadable: the file cannot be read.
    """
    from markdown_it import MarkdownIt

    warnings: list[str] = []
    text = decode_text(file_bytes(path, data), name, warnings)
    if text is None:
        return ReadResult("markdown", (), tuple(warnings))
    parser = MarkdownIt("commonmark").enable("table")
    front_matter, front_end = _front_matter(text)
    parsed = _blanked(text, front_end)
    tokens = parser.parse(parsed)
    lines = _line_offsets(text)
    blocks: list[Block] = [front_matter] if front_matter else []
    heading = _title(front_matter)
    in_item = 0
    outside_quotes: list[str | None] = []  # the heading around each open block quote, innermost last
    for index, token in enumerate(tokens):
        if token.type == "list_item_open":
            in_item += 1
        elif token.type == "list_item_close":
            in_item -= 1
        elif token.type == "blockquote_open":
            outside_quotes.append(heading)
        elif token.type == "blockquote_close":
            heading = outside_quotes.pop()
        if token.map is None:
            continue
        quotes = len(outside_quotes)
        if token.type == "heading_open":
            written = tokens[index + 1].content.strip()
            if heading_words(written):
                heading = heading_words(written)
                blocks.append(_heading_block(text, lines, token.map, written, heading))
        elif token.type == "paragraph_open":
            kind = "list_item" if in_item else "paragraph"
            blocks.extend(_paragraph_blocks(text, lines, token.map, heading, kind, quotes))
        elif token.type in _WHOLE:
            blocks.append(_span_block(text, lines, token.map, heading, _WHOLE[token.type], quotes))
    blocks = [b for b in blocks if b.span and b.span[0] < b.span[1]]
    if max((token.level for token in tokens), default=0) >= parser.options["maxNesting"] - 1:
        dropped = _dropped_lines(parsed, lines, blocks)
        if dropped:
            count = sum(len(b.text.splitlines()) for b in dropped)
            warnings.append(
                f"read {count} line{'s' if count > 1 else ''} of {name} as plain text: nested more than "
                f"{parser.options['maxNesting']} levels deep, past what the Markdown parser reads"
            )
            blocks = _under_headings(sorted(blocks + dropped, key=lambda b: b.span or (0, 0)))
    return ReadResult("markdown", tuple(blocks), tuple(warnings), source=text)


_FRONT_MATTER = re.compile(r"\A(?:\ufeff)?---[ \t]*\r?\n((?:.*\r?\n){0,200}?)(?:---|\.\.\.)[ \t]*(?:\r?\n|\Z)")
_TITLE = re.compile(r"^title:[ \t]*(.*?)[ \t]*\r?$", re.MULTILINE)


def _front_matter(text: str) -> tuple[Block | None, int]:
    """A leading YAML front matter block (Jekyll, Hugo, MkDocs) as one block of its fields, without
    its `---` lines (their title, author and date answer questions about the file), and where the
    front matter ends (0 when there is none)."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return None, 0
    if not match.group(1).strip():
        return None, match.end()
    fields = match.group(1)
    start = match.start(1) + len(fields) - len(fields.lstrip())
    end = match.start(1) + len(fields.rstrip())
    return Block(text[start:end], None, None, "paragraph", (start, end)), match.end()


def _title(front_matter: Block | None) -> str | None:
    """The front matter's title, unquoted: the heading of what comes before the first heading."""
    match = _TITLE.search(front_matter.text) if front_matter else None
    title = match.group(1).strip("'\"").strip() if match else ""
    return title or None


def _blanked(text: str, end: int) -> str:
    """The text with its first `end` characters (the front matter) blanked out, line breaks kept so
    every offset still points into the file: parsed as Markdown, its `---` and `title: ...` lines
    made a setext heading that every citation of the file was put under."""
    return re.sub(r"[^\r\n]", " ", text[:end]) + text[end:] if end else text


_LINK_DEFINITION = re.compile(r"^ {0,3}\[[^\]]+\]:\s*\S")


def _dropped_lines(text: str, lines: list[int], blocks: list[Block]) -> list[Block]:
    """Runs of lines with letters or digits that no block covers, each one paragraph block.

    markdown-it stops reading a block quote or list nested deeper than its limit and leaves its
    text out; a link definition is the one kind of line it drops on purpose."""
    covered = [False] * (len(lines) - 1)
    for start, end in (block.span for block in blocks if block.span):
        first = bisect.bisect_right(lines, start) - 1
        last = bisect.bisect_left(lines, end)
        covered[first:last] = [True] * (last - first)
    runs: list[list[int]] = []
    for number in range(len(lines) - 1):
        line = text[lines[number]:lines[number + 1] - 1]
        if covered[number] or _LINK_DEFINITION.match(line) or not any(ch.isalnum() for ch in line):
            continue
        if runs and runs[-1][1] == number:
            runs[-1][1] = number + 1
        else:
            runs.append([number, number + 1])
    return [_span_block(text, lines, run, None, "paragraph") for run in runs]


def _under_headings(blocks: list[Block]) -> list[Block]:
    """Blocks with no heading put under the heading of the block before them (the recovered lines
    sit in that section)."""
    heading: str | None = None
    placed = []
    for block in blocks:
        if block.heading is None and heading is not None:
            block = replace(block, heading=heading)
        heading = block.heading
        placed.append(block)
    return placed


def _line_offsets(text: str) -> list[int]:
    """Start offset of every line, plus one past the end."""
    starts = [0]
    for i, ch in enumerate(text):
        if ch == "\n":
            starts.append(i + 1)
    starts.append(len(text) + 1)
    return starts


def _span(text: str, lines: list[int], first: int, last: int) -> tuple[int, int]:
    """Offsets of lines [first, last), without leading and trailing whitespace."""
    start = lines[first]
    end = min(lines[min(last, len(lines) - 1)] - 1, len(text))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _span_block(
    text: str, lines: list[int], lines_map: list[int], heading: str | None, kind: str, quotes: int = 0
) -> Block:
    """Lines [first, last) as a block; in `quotes` nested block quotes, from after its first line's
    ">" marks (markup, not words of what is quoted)."""
    start, end = _span(text, lines, lines_map[0], lines_map[1])
    start = _after_quote_marks(text, start, end, quotes)
    return Block(text[start:end], None, heading, kind, (start, end))


_QUOTE_MARK = re.compile(r"[ \t]{0,3}>[ \t]?")


def _after_quote_marks(text: str, start: int, end: int, quotes: int) -> int:
    """Where a block's words start after up to `quotes` ">" marks at `start` (a lazy continuation
    line has none; a ">" past the quotes' own is the block's, as in a quoted shell prompt)."""
    for _ in range(quotes):
        mark = _QUOTE_MARK.match(text, start, end)
        if not mark:
            break
        start = mark.end()
    while start < end and text[start].isspace():
        start += 1
    return start


def _heading_block(text: str, lines: list[int], lines_map: list[int], words: str, heading: str | None) -> Block:
    """A heading's words alone, a span of the file without the "#" marks or the setext underline
    around them (markup, which `rag extract`, search and citations would show); its whole lines when
    the words are not written in them as the parser gives them."""
    start, end = _span(text, lines, lines_map[0], lines_map[1])
    at = text.find(words, start, end) if words else -1
    if at >= 0:
        start, end = at, at + len(words)
    return Block(text[start:end], None, heading, "heading", (start, end))


def _paragraph_blocks(
    text: str, lines: list[int], lines_map: list[int], heading: str | None, kind: str, quotes: int
) -> list[Block]:
    from rag.corpus import WRAP_WIDTH, hard_wrapped

    first, last = lines_map
    rows = [text[lines[i]:lines[i + 1] - 1] for i in range(first, last)]
    if last - first > 1 and max(map(len, rows)) > WRAP_WIDTH and not hard_wrapped(rows):
        return [_span_block(text, lines, [i, i + 1], heading, kind, quotes) for i in range(first, last)]
    return [_span_block(text, lines, lines_map, heading, kind, quotes)]


def heading_words(written: str) -> str:
    """A heading's words as a reader sees them, its inline markup left out: "`rag index` — the
    *command* with [a link](http://x.y)" is "rag index — the command with a link" (code, emphasis
    and links their text, an image its alt text, HTML tags nothing), runs of spaces one space."""
    if not any(mark in written for mark in _INLINE_MARKUP):
        return " ".join(written.split())  # no markup to read: most headings, without a parse
    words = []
    for token in _inline_parser().parseInline(written)[0].children or []:
        if token.type in ("text", "code_inline", "image"):
            words.append(token.content)
        elif token.type in ("softbreak", "hardbreak"):
            words.append(" ")
    return " ".join("".join(words).split())


_INLINE_MARKUP = "`*_[]<>&\\!"


@lru_cache(maxsize=1)
def _inline_parser() -> MarkdownIt:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark")
