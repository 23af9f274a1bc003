"""Reading a folder of documents into numbered paragraphs with exact line ranges.

The paragraph rule (also in the README):
  * Blank lines separate blocks of lines.
  * A block whose lines are all at most WRAP_WIDTH characters is hard-wrapped text: the block is
    one paragraph (a Markdown heading or list item inside it starts a new one).
  * A block with any longer line is "one paragraph per line" text: every line is a paragraph;
    unless it is prose wrapped at a wider width (see hard_wrapped).
Paragraphs are numbered from 1 in each file; line numbers are 1-based and inclusive.
Each paragraph keeps the nearest heading above it (or its own, when it is one): a line underlined
with = - ~ ^ * + (reStructuredText, AsciiDoc, setext Markdown; see _underlines for how long the
underline must be) or a "# " line. A paragraph that is
only an underlined title is its title's line alone (the rules above and below it are markup).

Other formats go through rag/readers: a Markdown file's blocks are spans of the file itself; a
PDF, HTML, DOCX, spreadsheet or CSV file's text is its extracted blocks joined by blank lines
(one paragraph each), so spans and quotes are verbatim in that extracted text, and each
paragraph keeps its page and heading for citations.
"""

from __future__ import annotations

import bisect
import dataclasses
import errno
import hashlib
import os
import re
from collections.abc import Collection, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag import compressed, readers
from rag.config import shown_path, utf8_path
from rag.errors import CorpusError, cannot_read
from rag.readers.base import decode_text, is_binary, without_surrogates
from rag.readers.ole2 import OLE2

SUFFIXES = tuple(readers.SUFFIXES)
FORMATS_HINT = "documents (.txt, .md, .rst, .pdf, .html, .docx, .pptx, .epub, .odt, .odp, .ipynb, e-mail (.eml, .mbox), spreadsheets (.xlsx, .xls, .ods, .csv), or plain text with no extension; any of them compressed as .gz, .bz2 or .xz)"
AS_TEXT_HINT = "name other extensions of plain text to read with `rag index DIR --as-text .py,.conf`"
BLOCK_SEPARATOR = "\n\n"
REPORT_IT = "please report it with the file"  # the end of the note of a reader's bug on one file
WRAP_WIDTH = 100
MAX_WRAP_WIDTH = 160  # the widest text wrapped by width that hard_wrapped recognises
# A column gap in a plain-text table: three spaces or more (prose puts at most two after a full stop), or tabs.
COLUMN_GAP = re.compile(r"(?<=\S)(?: {3,}|\t+)(?=\S)")
_BLOCK_START = re.compile(r"^\s{0,3}(#{1,6}\s|[-*+•◦▪‣·]\s|\d{1,3}[.)]\s)")
_RULE = r"([=\-~^*+#])\1{2,}"  # one mark repeated: a heading's underline or a ruler
UNDERLINE_RULE = re.compile(rf"^\s*{_RULE}\s*$")
RULE_LINE = re.compile(rf"(?m)^[ \t]*{_RULE}[ \t]*$")  # such a line inside a longer text
_HASH_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(\S.*?)[\s#]*$")
_HASH_LINE = re.compile(r"#{1,6}\s")  # unindented: an indented "# ..." is a comment in a code example
# up to four words in capitals, one space or "&", "/", "-" between them ("REVENUE   COSTS" is a table's header)
_CAPS_TITLE = re.compile(r"[A-Z][A-Z0-9]+(?:(?: | ?[&/-] ?)[A-Z0-9]+){0,3}")
HEADING_MAX_WORDS = 12
# "gstreamer1.0 (1.22.0-2) unstable; urgency=medium": a Debian changelog entry's first line
_CHANGELOG_ENTRY = re.compile(r"[a-z0-9][a-z0-9.+-]* \([^()\s]+\)(?: [\w.+/-]+)+; .*\burgency=\w+")
SHORT_UNDERLINE = 4  # marks: docutils' least underline shorter than its title (shorter is text there)
# marks of a rule that, over twice as long as the line above it or under a sentence, divides the page rather
# than underlines the line: bash's CHANGES ends each release's notes with one under its last entry
SEPARATOR_MARKS = 40
KINDS_LISTED = 8  # file types the note on files not indexed names, the most frequent first
_SENTENCE_END_MARKS = (".", "!", "?", ":", ";", ",")
_BULLET = re.compile(r"[-*+•◦▪‣·]\s")


@dataclass(frozen=True)
class Paragraph:
    """A paragraph as a character span [start, end) of its file, so its text is always verbatim."""

    number: int
    start_line: int
    end_line: int
    start: int
    end: int
    page: int | None = None
    page_paragraph: int | None = None
    heading: str | None = None


@dataclass(frozen=True)
class Document:
    """One decoded file of the corpus; `path` is relative to the corpus root, with '/'.

    `text` is the file itself for text and Markdown, the extracted text for PDF, HTML and DOCX;
    `sha256` is always of the file's raw bytes.
    """

    path: str
    text: str
    sha256: str
    paragraphs: tuple[Paragraph, ...]
    format: str = "text"
    code_paragraphs: frozenset[int] = frozenset()  # numbers of the paragraphs a reader read as code
    lead_in_paragraphs: frozenset[int] = frozenset()  # ... that lead into the next (an e-mail's header lines)

    def span(self, start: int, end: int) -> str:
        return self.text[start:end]

    def paragraph_text(self, paragraph: Paragraph) -> str:
        return self.text[paragraph.start : paragraph.end]


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


_QUOTE_LINE = re.compile(r"\s*(?:\|\s*|(?:>\s*)+)")  # "|", or ">", "> >", ">>" of a nested quote: its blank line


def _blocks(text: str, spans: list[tuple[int, int]]) -> list[list[int]]:
    """Runs of consecutive non-blank line indexes; a line of only a quote mark is blank (pydoc's
    " |  " between a class's paragraphs, an e-mail's ">"), so a quoted block is not one paragraph
    of hundreds of lines."""
    blocks: list[list[int]] = []
    current: list[int] = []
    for index, (start, end) in enumerate(spans):
        if text[start:end].strip() and not _QUOTE_LINE.fullmatch(text, start, end):
            current.append(index)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def _split_block(text: str, spans: list[tuple[int, int]], block: list[int]) -> list[list[int]]:
    """Apply the paragraph rule to one block of lines."""
    if _a_paragraph_a_line(text, spans, block):
        return [[i] for i in block]
    groups: list[list[int]] = []
    hashed = {index for index in block if _HASH_LINE.match(_line(text, spans[index]))}
    titles = {index for index in hashed if index - 1 not in hashed and index + 1 not in hashed}
    comments = hashed - titles
    for index in block:
        line = _line(text, spans[index])
        if not groups or (_BLOCK_START.match(line) and index not in comments) or groups[-1][-1] in titles:
            groups.append([index])
        else:
            groups[-1].append(index)
    return groups


def _a_paragraph_a_line(text: str, spans: list[tuple[int, int]], block: list[int]) -> bool:
    """Whether a block of lines is written a paragraph a line: a third of its lines or more are
    longer than WRAP_WIDTH, and not as prose wrapped at a wider width. One long line among
    wrapped ones (pydoc's signature of a function over its indented text) is a line of its
    paragraph: the block had been cut a paragraph a line, its section's heading ("FUNCTIONS")
    alone and its functions cited under the section before."""
    long = sum(1 for i in block if spans[i][1] - spans[i][0] > WRAP_WIDTH)
    return long > 0 and 3 * long >= len(block) and not hard_wrapped([_line(text, spans[i]) for i in block])


def hard_wrapped(lines: list[str]) -> bool:
    """Whether lines longer than WRAP_WIDTH are prose wrapped at a wider width (120, 132 columns),
    not one paragraph a line: each line but the last is as full as the next line's first word
    allows, at a width of half WRAP_WIDTH to MAX_WRAP_WIDTH. A line of one long word (a URL) wraps
    anywhere; lines with gaps of three spaces or a tab are a table's rows, as full as each other."""
    words = [line.split() for line in lines]
    width = max((len(line.rstrip()) for line, split in zip(lines, words) if len(split) > 1), default=0)
    if len(lines) < 2 or not WRAP_WIDTH // 2 <= width <= MAX_WRAP_WIDTH or any(COLUMN_GAP.search(line) for line in lines):
        return False
    return all(
        len(line.rstrip()) + 1 + len(following[0]) > width
        for line, split, following in zip(lines, words, words[1:])
        if len(split) > 1 and following
    )


_FRAME_RULE = re.compile(r"^(\s*)([*#])\2{9,}\s*$")


def unframed(text: str) -> str:
    """Text boxed in a frame of asterisks or hashes (a licence's warranty disclaimer, a README's
    banner) with the frame blanked: its sides would start and end every line and its top and bottom
    rules join the box to its neighbours. One space for each character of the frame, so offsets and
    line numbers still point into the file."""
    lines = text.split("\n")
    index = 0
    while index < len(lines):
        rule = _FRAME_RULE.match(lines[index])
        left, right = (len(rule.group(1)), len(lines[index].rstrip())) if rule else (0, 0)
        bottom = _box_bottom(lines, index, left, right, rule.group(2)) if rule else None
        if bottom is not None:
            for row in range(index, bottom + 1):
                line = lines[row]
                if row in (index, bottom):
                    lines[row] = " " * len(line.rstrip()) + line[len(line.rstrip()):]
                else:
                    lines[row] = f"{line[:left]} {line[left + 1:right - 1]} {line[right:]}"
            index = bottom + 1
        else:
            index += 1
    return "\n".join(lines)


def _box_bottom(lines: list[str], top: int, left: int, right: int, mark: str) -> int | None:
    """The row of the rule that closes a box opened at row top (its rule of `mark` from column left
    to right), when every row between is framed by mark at those two columns; None when it is no box."""

    def framed(line: str) -> bool:
        return len(line) == right and line[left] == mark == line[right - 1] and not line[:left].strip()

    row = top + 1
    while row < len(lines):
        line = lines[row].rstrip()
        if line == lines[top].rstrip():
            below = lines[row + 1].rstrip() if row + 1 < len(lines) else ""
            return row if row > top + 1 and not framed(below) else None  # a table's rule goes on
        if not framed(line) or mark in line[left + 1 : right - 1]:
            return None  # not framed, or the mark parts columns: a table drawn in it
        row += 1
    return None


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
    return tuple(_title_alone(text, p) for p in _with_headings(text, paragraphs))


def _title_alone(text: str, paragraph: Paragraph) -> Paragraph:
    """A paragraph that is only its own underlined (or over- and underlined) heading, narrowed to
    the title's line: "=====" shown in `rag extract` or quoted in a citation is markup, not words."""
    lines = text[paragraph.start : paragraph.end].split("\n")
    titles = [i for i, line in enumerate(lines) if not UNDERLINE_RULE.match(line)]
    if len(lines) == 1 or len(titles) != 1 or paragraph.heading != heading_of(
            text[paragraph.start : paragraph.end], _ruled_above(text, paragraph.start)):
        return paragraph
    (index,) = titles
    start = paragraph.start + sum(len(line) + 1 for line in lines[:index])
    start += len(lines[index]) - len(lines[index].lstrip())
    line = paragraph.start_line + index
    return dataclasses.replace(paragraph, start_line=line, end_line=line, start=start, end=start + len(lines[index].strip()))


def _ruled_above(text: str, start: int) -> bool:
    """Whether the line just above offset start (a paragraph's first) is a rule: the overline of a
    title framed by two ("-----" / "1. Background" / "-----" in valgrind's FAQ)."""
    newline = text.rfind("\n", 0, start)  # ends the line above
    if newline < 0:
        return False
    return UNDERLINE_RULE.match(text[text.rfind("\n", 0, newline) + 1 : newline]) is not None


def _with_headings(text: str, paragraphs: list[Paragraph]) -> tuple[Paragraph, ...]:
    """Give each paragraph the heading it sits under, so a passage deep in a section still
    carries the topic its heading names (for the embedding and the citation)."""
    current = None
    out = []
    for paragraph in paragraphs:
        indented = paragraph.start > text.rfind("\n", 0, paragraph.start) + 1
        own = text[paragraph.start : paragraph.end]
        found = heading_of(own, _ruled_above(text, paragraph.start))
        if indented and found and (own.startswith("#") or _CAPS_TITLE.fullmatch(found)):
            found = None  # a comment in a code example; a label in capitals inside a section's text
        current = found or current
        out.append(dataclasses.replace(paragraph, heading=current) if current else paragraph)
    return tuple(out)


def heading_of(paragraph: str, ruled_above: bool = False) -> str | None:
    """The title a paragraph opens with: a short line underlined (or over- and underlined) with
    one repeated punctuation mark, a "# title" line, a line in capitals over indented text or a
    Debian changelog entry's "package (version) distribution; urgency=..." line; None when it
    opens with none. ruled_above: the line above the paragraph is a rule (its overline, split off
    as a paragraph of its own)."""
    lines = paragraph.split("\n")
    framed = ruled_above or (len(lines) >= 3 and UNDERLINE_RULE.match(lines[0]) is not None
                             and UNDERLINE_RULE.match(lines[2]) is not None)
    if framed and UNDERLINE_RULE.match(lines[0]):
        lines = lines[1:]
    title = lines[0].strip()
    if not any(c.isalnum() for c in title) or len(title.split()) > HEADING_MAX_WORDS:
        return None  # a ruler ("# -----") or a banner's frame ("*      *") names nothing
    if len(lines) >= 2 and UNDERLINE_RULE.match(lines[1]) and _underlines(lines[1], title, framed):
        return title
    if len(lines) >= 2 and lines[1].lstrip().startswith("#"):
        return None  # a block of "#" lines: comments
    if len(lines) >= 2 and lines[1][:1].isspace() and _CAPS_TITLE.fullmatch(lines[0].rstrip()) and sum(map(str.isalpha, title)) >= 4:
        return title  # a manual page's or pydoc's "DESCRIPTION", "SEE ALSO" over its indented text
    if opens_changelog_entry(lines[0]):
        return title  # a changelog entry's version heads its changes and its trailer
    match = _HASH_HEADING.match(lines[0])
    if match and len(match.group(1).split()) > 3 and match.group(1).endswith("."):
        return None  # a sentence after a "#": "# of employees rose to 42." counts, it heads nothing
    return match.group(1) if match else None


def opens_changelog_entry(line: str) -> bool:
    """Whether a line opens a Debian changelog entry ("gstreamer1.0 (1.22.0-2) unstable;
    urgency=medium"): a heading of one of the file's sections, the first too, not its title."""
    return _CHANGELOG_ENTRY.match(line) is not None


def _underlines(rule: str, title: str, framed: bool = False) -> bool:
    """Whether a rule of one repeated mark under a short line underlines it as a title: when it is
    at least 0.6 of the line's length, or, as docutils reads reStructuredText, at least
    SHORT_UNDERLINE marks long ("Title underline too short", a warning there) from the line's
    first column, under a line that does not end as a sentence (a letter's "Thanks for reading."
    over a "----" divider), open as a bullet or hold a table's column gaps. docutils reads a
    shorter rule under a longer line ("==") as text, and so does rag; an indented one is a code
    example's ("function[abi:cxx11](int)" over "^^^^^^^^^^^" in gdb's NEWS). A rule of SEPARATOR_MARKS
    or more, over twice the line's length or under a sentence, divides the page, unless the line is
    framed (a rule above it too)."""
    marks = rule.strip()
    if not framed and len(marks) >= SEPARATOR_MARKS and (len(marks) > 2 * len(title) or _ends_a_sentence(title)):
        return False  # a rule across the page under a short last line or a sentence divides; it underlines nothing
    if len(marks) >= 0.6 * len(title):
        return True
    return (len(marks) >= SHORT_UNDERLINE and rule[0] == marks[0] and not title.endswith(_SENTENCE_END_MARKS)
            and not _BULLET.match(title) and not COLUMN_GAP.search(title))


def _ends_a_sentence(line: str) -> bool:
    """Whether a line ends with a sentence's full stop: not an ellipsis, nor a title's "etc."
    ("Performance, Internal Implementation, Development Support etc." heads git's release notes)."""
    return line.endswith(".") and not line.endswith("..") and not line.lower().endswith("etc.")


def without_rules(text: str) -> str:
    """text without its lines that are only one mark repeated ("=====", "-----"): a heading's
    underline or a ruler, markup that a one-line preview would show as a word."""
    return "\n".join(line for line in text.split("\n") if not UNDERLINE_RULE.match(line))


def _line(text: str, span: tuple[int, int]) -> str:
    return text[span[0] : span[1]]


def _leading_space(text: str, span: tuple[int, int]) -> int:
    line = text[span[0] : span[1]]
    return len(line) - len(line.lstrip())


@dataclass(frozen=True)
class FolderListing:
    """The files of a folder rag reads, and how many others it leaves out, by extension."""

    files: list[Path]
    others: dict[str, int]
    links: list[str] = field(default_factory=list)  # symlinked folders not entered, broken links
    misnamed: list[str] = field(default_factory=list)  # file names that are not valid UTF-8
    unreadable: list[str] = field(default_factory=list)  # folders that could not be listed
    special: list[str] = field(default_factory=list)  # pipes, sockets and devices: not documents

    def special_note(self) -> str | None:
        """One line naming the pipes, sockets and devices passed over (reading a pipe would wait
        for a writer forever)."""
        if not self.special:
            return None
        return (f"not indexed: {_listed(self.special, 3)} (a pipe, socket or device, not a file); "
                "copy what it holds into a file to index it")

    def unreadable_note(self) -> str | None:
        """One line naming the folders that could not be listed, so nothing is skipped silently."""
        if not self.unreadable:
            return None
        too_long = sum(TOO_LONG in name for name in self.unreadable)
        fix = ("check its permissions" if not too_long else "shorten its path (rename or move the folders above it)"
               if too_long == len(self.unreadable) else "check its permissions, or shorten its path")
        return f"not indexed: folder {_listed(self.unreadable, 3)} could not be read; {fix}"

    def misnamed_note(self) -> str | None:
        """One line naming the files left out for a name that is not UTF-8 (the index stores names as text)."""
        if not self.misnamed:
            return None
        return f"not indexed: {_listed(self.misnamed, 3)} (the file name is not valid UTF-8); rename the file"

    def links_note(self) -> str | None:
        """One line naming the symlinks not followed (None when there are none)."""
        if not self.links:
            return None
        return (f"not followed: {_listed(self.links, 5)} (symbolic links to folders, which could lead out of the folder or "
                f"loop, and links to nothing); link the files themselves, or index the folder they point to")

    def others_note(self) -> str | None:
        """One line naming what was left out, so nothing is skipped silently (None when nothing was)."""
        if not self.others:
            return None
        count = sum(self.others.values())
        ranked = sorted(self.others.items(), key=lambda item: (-item[1], item[0]))
        kinds = ", ".join(f"{suffix} {n}" for suffix, n in ranked[:KINDS_LISTED])
        if len(ranked) > KINDS_LISTED:
            kinds += f", {len(ranked) - KINDS_LISTED} more types"
        return (f"not indexed: {count} file{'s' if count != 1 else ''} of other types ({kinds}); "
                f"rag reads {FORMATS_HINT}; {AS_TEXT_HINT}")


def list_folder(root: Path, text_suffixes: Collection[str] = ()) -> FolderListing:
    """Document files under root, sorted, skipping hidden files and folders (such as the index).

    A file with no extension (README, NOTES), a project's note with a suffix of its own
    (README.Debian, changelog.Debian), or one of text_suffixes the user named (".py", ".conf"), is
    read as plain text unless its first bytes hold NULs, as binaries do; files of other extensions
    are counted, not read. A file compressed with gzip, bzip2 or xz (changelog.Debian.gz,
    guide.html.xz) is judged by the name and bytes inside it (rag.compressed).
    """
    files: list[Path] = []
    others: dict[str, int] = {}
    links: list[str] = []
    misnamed: list[str] = []
    unreadable: list[str] = []
    special: list[str] = []
    for path in _walk(root, links, unreadable, special):
        if not utf8_path(path.relative_to(root)):
            misnamed.append(shown_path(path.relative_to(root)))
            continue
        if is_document(path, text_suffixes):
            files.append(path)
        else:
            label = file_kind(path) or "binary without extension"
            others[label] = others.get(label, 0) + 1
    return FolderListing(sorted(files), others, sorted(links), sorted(misnamed), sorted(unreadable), sorted(special))


def is_document(path: Path, text_suffixes: Collection[str] = ()) -> bool:
    """Whether rag reads the file (see list_folder): by its extension, or, without one that any
    file type claims or with one the user named, by its first bytes."""
    document = compressed.inner_path(path)
    suffix = document.suffix.lower()
    return suffix in SUFFIXES or (
        (not suffix or suffix in text_suffixes or _is_project_note(document)) and _looks_like_text(path))


def file_kind(path: Path) -> str:
    """How a file left out is counted: its extension, with the inner one of a compressed file
    (".png", ".tar.gz"); "" when it has none, or when a compressed file's inner name has none
    (a binary in "data.gz" is left out for what it holds, not for being compressed)."""
    document = compressed.inner_path(path)
    if document == path:
        return path.suffix.lower()
    return (document.suffix + path.suffix).lower() if document.suffix else ""


# A project's notes named for what they are, with a suffix naming whom they are for (README.Debian,
# README.source, NEWS.old, changelog.Debian): plain text, as README alone is.
_PROJECT_NOTES = {"readme", "changelog", "changes", "news", "install", "copying", "license", "licence", "authors",
                  "todo", "hacking", "notice", "thanks", "bugs", "faq", "contributing"}


def _is_project_note(path: Path) -> bool:
    """README.Debian, changelog.source: a note's name with a suffix no file type claims (todo.py,
    install.sh and news.csv are code and data)."""
    import mimetypes

    return (path.name.split(".", 1)[0].lower() in _PROJECT_NOTES
            and mimetypes.guess_type(path.name) == (None, None))


def _listed(names: list[str], limit: int) -> str:
    """The first `limit` names, then how many more."""
    return ", ".join(names[:limit]) + (f" and {len(names) - limit} more" if len(names) > limit else "")




TOO_LONG = "longer than the system allows"
PATH_MAX = 4096  # Linux's, in bytes with the final NUL


def _walk(root: Path, links: list[str], unreadable: list[str], special: list[str]) -> Iterator[Path]:
    """Every file under root, not entering hidden folders, folder symlinks or a rag index kept
    inside the corpus (`rag index docs --index docs/idx`: its files change with every run); the
    folder symlinks and broken links passed over are added to links, folders that cannot be
    listed to unreadable, and pipes, sockets and devices to special, relative to root."""

    def note_unreadable(error: OSError) -> None:
        name = Path(error.filename).relative_to(root).as_posix() if error.filename else str(root)
        if error.errno == errno.ENAMETOOLONG:  # thousands of characters: its first and last folders tell it
            parts = name.split("/")
            name = f"{parts[0]}/…/{parts[-1]}" if len(parts) > 2 else name
            unreadable.append(f"{name} ({TOO_LONG})")
            return
        unreadable.append(f"{name or '.'} ({error.strerror or error})")

    for folder, subfolders, names in os.walk(root, onerror=note_unreadable):
        here = Path(folder)
        kept = []
        for name in subfolders:
            try:  # a stat fails on a path longer than the system allows (ENAMETOOLONG)
                if name.startswith(".") or is_index_folder(here / name):
                    continue
                if (here / name).is_symlink():
                    links.append((here / name).relative_to(root).as_posix() + "/")
            except OSError as error:
                note_unreadable(error)
                continue
            kept.append(name)
        subfolders[:] = kept
        for name in names:
            path = here / name
            if name.startswith("."):
                continue
            try:
                if len(os.fsencode(os.path.abspath(path))) >= PATH_MAX:  # read through a shorter relative path,
                    raise OSError(errno.ENAMETOOLONG, TOO_LONG, str(path))  # then never found again by its own
                if path.is_file():
                    yield path
                elif path.is_symlink() and not path.exists():
                    links.append(path.relative_to(root).as_posix())
                elif path.exists():
                    special.append(path.relative_to(root).as_posix())
            except OSError as error:
                note_unreadable(error)


def is_index_folder(folder: Path) -> bool:
    """A rag index: its CURRENT file names the live generation."""
    try:
        return (folder / "CURRENT").read_text(encoding="utf-8", errors="replace").startswith("gen-")
    except OSError:
        return False


def iter_files(root: Path, text_suffixes: Collection[str] = ()) -> list[Path]:
    """Document files under root, sorted (see list_folder)."""
    return list_folder(root, text_suffixes).files


def _looks_like_text(path: Path) -> bool:
    """Text, or a document its first bytes name (a PDF, a Word file or a workbook saved without an extension)."""
    try:
        head = compressed.head(path, readers.SNIFF_BYTES)
    except OSError:
        return False
    return not is_binary(head) or (head.startswith((b"%PDF-", b"PK\x03\x04", OLE2)) and readers.detect(path, head) != "text")


def _from_blocks(name: str, digest: str, result: readers.ReadResult) -> Document:
    """A document whose paragraphs are the reader's blocks, numbered in order and per page."""
    if result.source is not None:
        text = result.source
        spans = [b.span or (0, 0) for b in result.blocks]
    else:  # a lone surrogate (an escape for a byte a decoder could not read) cannot be hashed or printed
        text = without_surrogates(BLOCK_SEPARATOR.join(b.text for b in result.blocks))
        spans, position = [], 0
        for block in result.blocks:
            spans.append((position, position + len(block.text)))
            position += len(block.text) + len(BLOCK_SEPARATOR)
    line_starts = [0] + [i + 1 for i, ch in enumerate(text) if ch == "\n"]
    on_page: dict[int | None, int] = {}
    paragraphs = []
    for block, (start, end) in zip(result.blocks, spans):
        on_page[block.page] = on_page.get(block.page, 0) + 1
        first_line, last_line = block.lines or (
            bisect.bisect_right(line_starts, start), bisect.bisect_right(line_starts, max(start, end - 1)))
        paragraphs.append(
            Paragraph(
                len(paragraphs) + 1,
                first_line,
                last_line,
                start,
                end,
                block.page,
                on_page[block.page] if block.page is not None else None,
                without_surrogates(block.heading) if block.heading else None,
            )
        )
    def of_kind(kind: str) -> frozenset[int]:
        return frozenset(p.number for p, block in zip(paragraphs, result.blocks) if block.kind == kind)

    return Document(name, text, digest, tuple(paragraphs), result.format, of_kind("code"), of_kind("lead_in"))


def read_document(root: Path, path: Path) -> tuple[Document | None, list[str]]:
    """One file as a Document (None when it is skipped) and the warnings about it."""
    name = path.relative_to(root).as_posix()
    warnings: list[str] = []
    try:
        raw = path.read_bytes()
        data = compressed.decompressed(path, raw)
    except OSError as error:
        return None, [f"skipped {name}: {error.strerror}"]
    except readers.Unreadable as error:
        return None, [f"skipped {name}: {error}"]
    digest = hashlib.sha256(raw).hexdigest()
    document = compressed.inner_path(path)
    if compressed.holds_plain_text(path, raw):
        warnings.append(f"{name} holds plain text, not {path.suffix} data: read as text (rename it to {document.name})")
    fmt = readers.detect(document, data[: readers.SNIFF_BYTES], data)
    if fmt == "text":
        if readers.SUFFIXES.get(document.suffix.lower(), "text") != "text":
            warnings.append(f"{name} holds plain text, not {document.suffix}: read as text (rename it to .txt)")
        text = decode_text(data, name, warnings)
        if text is None:
            return None, warnings
        if not any(character.isalnum() for character in text):
            return None, [*warnings, f"skipped {name}: no letters or digits in it (only symbols or control characters)"]
        text = unframed(text)
        return Document(name, text, digest, split_paragraphs(text)), warnings
    try:
        result = readers.read(path, fmt, name, data)
    except Exception as error:  # a reader's bug on one odd file must not stop a folder's index
        return None, [*warnings, f"skipped {name}: the {fmt.upper()} reader failed on it ({type(error).__name__}: "
                                 f"{str(error)[:120]}); {REPORT_IT}"]
    warnings.extend(result.warnings)
    if not result.blocks:
        if not result.warnings:
            warnings.append(f"skipped {name}: no text found")
        return None, warnings
    return _from_blocks(name, digest, result), warnings


def check_corpus_root(root: Path) -> None:
    """Raises:
        CorpusError: root is not a folder (a file gets its own hint: `rag index notes.md`)."""
    if root.is_file():
        raise CorpusError(
            f"{root} is a file, not a folder; pass the folder that holds it ({root.parent}), or put it in a "
            f"folder of its own"
        )
    if not root.is_dir():
        raise CorpusError(f"corpus folder {root} does not exist; pass a folder of {FORMATS_HINT}")
    try:
        os.scandir(root).close()
    except PermissionError:  # else "no readable documents in it", which hides why
        raise CorpusError(cannot_read(f"corpus folder {root}")) from None
    if not utf8_path(root.resolve()):
        raise CorpusError(f"the path of corpus folder {shown_path(root)} is not valid UTF-8 (the index stores it as text); "
                          "rename it")


def no_documents_error(root: Path, warnings: Sequence[str] = (), left_out: int = 0) -> CorpusError:
    """The error for a folder with no document read, carrying the warnings of the run (the CLI
    shows them before it): it ends before they are reported, and a folder of damaged workbooks
    would be told only to add the formats it holds. left_out: the files read and left out."""
    if not left_out:
        return CorpusError(f"no readable {FORMATS_HINT} in {root}; add some or pass another folder", warnings)
    files = "the one file read was" if left_out == 1 else f"all {left_out} files read were"
    return CorpusError(f"no document in {root} could be read: {files} left out (the warnings above say why); fix or "
                       "replace them, add other documents, or pass another folder", warnings)
