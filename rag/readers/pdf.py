"""PDF with pypdf: lines with their positions, grouped into paragraphs by vertical gaps.

pypdf is pure Python, fast, maintained and decrypts RC4/AES files opened with an empty password.
Its text visitor gives each piece of text with its position, so paragraph breaks come from
the layout (a gap larger than the usual line spacing, a jump up to a new column, a change of
font size) rather than from guessing. A page's columns are read left to right, whichever its
content stream draws first. Then:
  * running headers and footers (the same top or bottom line on at least half the pages, digits
    ignored, unless the line ends a sentence and its numbers do not follow the page) and bare page
    numbers are dropped, and a dropped line whose other numbers change is named in a warning;
  * a word hyphen-broken at a line end is joined ("extra-" + "ordinary" -> "extraordinary"), but
    for a hyphen that is the word's own, as the document's other words tell ("long-term");
  * each entry of a table of contents is a paragraph, its leader dots one ellipsis;
  * a line in a clearly larger font than the body is a heading, remembered for the blocks below;
  * three or more lines in a row whose text stands in cells apart by wide gaps, in the same
    columns, are table rows, one `cell | cell` block each, as the HTML and Word readers give them
    (an empty cell kept in its place, a cell's wrapped lines joined in its row, the first column's
    too). With padding, rows are cut where every column's text leaves a gap wider than a cell's
    line pitch, so cells set in the middle of their row or drawn one after another stay in it; without,
    each line with cells starts a row. A bold header row is a row, not a heading;
  * a page with no text at all (a scan) is reported in one warning naming the pages.
"""

from __future__ import annotations

import io
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rag.readers.base import Block, ReadResult, Unreadable, number_ranges, one_line

PARAGRAPH_GAP = 1.4  # a gap this many times the usual line spacing starts a new paragraph
# A list item ends at a smaller one: its lines run at the usual spacing, and a list is often set with
# a little more space between its items and after it than between a paragraph's lines.
LIST_ITEM_GAP = 1.2
LIST_GAP_TOLERANCE = 0.15  # "about the same gap" as the one above the item, in line spacings
HEADING_SIZE = 1.15  # a line this many times the body font size is a heading
HEADING_MAX_WORDS = 14
# A body line's height is 1.15-1.5 times its font size; a most common gap wider than double
# spacing is a gap between one-line paragraphs, and the generous line height stands in for it.
USUAL_LINE_PITCH = 1.5
MAX_LINE_PITCH = 2.2
ONE_LINE_PARAGRAPHS = 0.6  # share of lines at that gap ending a sentence (double-spaced prose runs on)
EDGE_LINES = 2  # lines at the top and at the bottom of a page that may be running headers
FURNITURE_GAP = 1.5  # line-spacings between a running header or footer and the body
MARGIN_BAND = 0.15  # share of the page's height from its top or bottom edge where they stand
_PAGE_NUMBER = re.compile(r"^[-–—(\[]?\s*(page\s+)?(\d{1,4}|[ivxlcdm]{1,7})(\s*(/|of)\s*\d{1,4})?\s*[-–—)\]]?$", re.I)
_BULLET = re.compile(r"^([•◦▪‣∙·*-]|\d{1,3}[.)]|[a-zA-Z][.)]|\((\d{1,3}|[a-z]|[ivx]{1,5})\))\s")
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*$")
# A table's cells: text pieces of one line apart by more than this many font sizes, a piece's width
# guessed from its characters (real widths need the font's metrics): half the size for a
# proportional font, a little more than a monospaced font's 0.6, whose pieces of code sit in
# justified lines with wide spaces around them.
CELL_GAP = 1.0
CHARACTER_WIDTH = 0.5
MONOSPACED_WIDTH = 0.65
_MONOSPACED = re.compile(r"courier|mono|cmtt|consol|menlo|typewriter|code", re.I)
MIN_TABLE_ROWS = 3
COLUMN_TOLERANCE = 1.0  # font sizes a column's cells may start (or end) apart
TABLE_ROW_PITCH = 3.0  # lines of one table are at most this many line spacings apart,
CELL_PADDING = 2.0  # and the padding above and below a cell's text, of at most this many font sizes
ROW_GAP = 1.15  # a gap in every column this many times a table's line pitch parts two rows with padding
LEVEL_TOLERANCE = 0.5  # points between the baselines of text set on one line
COLUMN_GAP = 10.0  # font sizes between the starts of a page's columns, at the least
COLUMN_RUN_GAP = 4.0  # font sizes down to the next line of a column's text; further is another block


Cells = tuple[tuple[str, float, float], ...]  # text, left and right edge of each cell


@dataclass
class _Line:
    text: str
    y: float
    size: float
    cells: Cells = ()  # cells apart by wide gaps (2 or more)
    left: float | None = None  # where the line's first piece starts, when known
    right: float | None = None  # where its last piece ends, guessed as a cell's right edge is
    bold: bool = False  # every visible character in a bold font
    mono: bool = False  # every visible character in a monospaced font (a line of code)


@dataclass(frozen=True)
class _Fragment:
    """One cell's text on one line of a table."""

    column: int
    y: float
    text: str
    line: int  # the index of the line it is on


def read_pdf(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Paragraph blocks of every page, page numbers 1-based (from `data` when given, else the file).

    Raises:
        Unreadable: the file is encrypted with a password, or pypdf cannot parse it.
    """
    document = _open(path if data is None else io.BytesIO(data)).pages
    pages: list[list[_Line]] = []
    damaged: set[int] = set()
    with _PypdfErrors() as errors:
        for number, page in enumerate(document, start=1):
            errors.clear()
            pages.append(_in_column_order(_page_lines(page)))
            if errors:
                damaged.add(number)
    return _blocks(pages, name, [_frame(page) for page in document], damaged)


_DECODING_FAILED = re.compile(r"decompress|decod|corrupt|ended unexpectedly", re.IGNORECASE)


class _PypdfErrors(list):
    """What pypdf says, while active, of content it cannot decode (it warns of a page's content
    stream it cannot decompress and reads that page as empty): a blank page that drew such a
    warning is damaged, not a scan. Nothing is printed: the reader's own warning says it."""

    def __enter__(self) -> _PypdfErrors:
        import logging

        self._logger = logging.getLogger("pypdf")
        self._level = self._logger.level
        self._handler = logging.Handler(logging.WARNING)
        self._handler.emit = self._note  # type: ignore[method-assign]
        self._logger.addHandler(self._handler)
        self._logger.setLevel(logging.WARNING)
        return self

    def _note(self, record: Any) -> None:
        if _DECODING_FAILED.search(record.getMessage()):
            self.append(record.getMessage())

    def __exit__(self, *exc: object) -> None:
        self._logger.removeHandler(self._handler)
        self._logger.setLevel(self._level)


def _frame(page: Any) -> tuple[float, float]:
    """The page's bottom and top edges (its media box: where text is placed); (0, 0) when unknown."""
    try:
        box = page.mediabox
        return float(box.bottom), float(box.top)
    except Exception:  # a damaged page dictionary: no band check for this page
        return 0.0, 0.0


def _open(path: Path | io.BytesIO) -> Any:
    import logging

    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    logging.getLogger("pypdf").setLevel(logging.ERROR)  # damage is reported as one warning instead
    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise Unreadable("encrypted PDF; save a copy without a password and index that")
        len(reader.pages)
    except Unreadable:
        raise
    except (PdfReadError, OSError, ValueError, KeyError, TypeError) as error:
        raise Unreadable(_broken(error)) from error
    except Exception as error:  # pypdf signals a malformed file with many exception types
        if type(error).__name__ == "DependencyError":
            raise Unreadable(f"encrypted PDF that needs the cryptography package ({error})") from error
        raise Unreadable(_broken(error)) from error
    return reader


BROKEN_PDF_FIX = "re-download it or save it again from its source, or export it as text"


def _broken(error: Exception) -> str:
    """The warning for a PDF pypdf cannot open (truncated, garbage, only a header, empty): what
    failed, and what the user can do about it."""
    return f"broken PDF ({_failure_words(error)}); {BROKEN_PDF_FIX}"


_CUT_SHORT = ("Stream has ended unexpectedly", "EOF marker not found", "Unexpected end of stream")


def _failure_words(error: Exception) -> str:
    """pypdf's own message, which says what it found ("Could not find xref table"), without its
    exception's name; a file cut short in the words a user knows. Other errors keep their type,
    their message alone being a bare key or number."""
    message = str(error)
    if not type(error).__module__.startswith("pypdf") or not message:
        return f"{type(error).__name__}: {message}"
    if any(message.startswith(cut) for cut in _CUT_SHORT):
        return "it ends early: cut short, or not a whole PDF"
    return message[:1].lower() + message[1:]


def _pages(numbers: list[int]) -> str:
    return f"page{'s' if len(numbers) > 1 else ''} {number_ranges(numbers)}"


def _page_lines(page: Any) -> list[_Line]:
    """The page's lines in content order, each with the baseline height of its first visible piece
    and the larger of that piece's font size and the size of most of its characters: a list's
    bullet is often set smaller than its text (the line must match the lines its item runs on to),
    while a heading in small capitals opens with its largest letter and a line of prose with some
    smaller inline code is still prose."""
    lines: list[_Line] = []
    current: list[str] = []
    position: list[float] = []  # y and size of the current line's first visible piece
    sizes: Counter[float] = Counter()  # font size -> visible characters of the current line
    pieces: list[tuple[float, float, str]] = []  # x, width a character and text of the current line's visible pieces
    bold_characters = [0]  # visible characters of the current line in a bold font
    mono_characters = [0]  # and in a monospaced one

    def flush() -> None:
        text = "".join(current).strip()
        if text:
            whole = "".join(piece[2] for piece in pieces).split() == text.split()  # no piece's place unknown
            size = max(position[1], sizes.most_common(1)[0][0])
            visible = sum(sizes.values())
            lines.append(_Line(text, position[0], size, _cells(pieces) if whole else (), pieces[0][0] if whole else None,
                               _end(pieces[-1]) if whole else None, bold_characters[0] == visible,
                               mono_characters[0] == visible))
        current.clear()
        position.clear()
        sizes.clear()
        pieces.clear()
        bold_characters[0] = 0
        mono_characters[0] = 0

    def visit(text: str, cm: list[float], tm: list[float], font: object, size: float) -> None:
        parts = text.translate(_LIGATURES).split("\n")
        for index, part in enumerate(parts):
            if index:
                flush()
            if part.strip():
                scaled = round(size * (abs(tm[3] * cm[3]) or 1.0), 2)
                if not position:
                    position.extend((tm[4] * cm[1] + tm[5] * cm[3] + cm[5], scaled))
                sizes[scaled] += len(part.strip())
                bold_characters[0] += len(part.strip()) if _is_bold(font) else 0
                mono_characters[0] += len(part.strip()) if _is_monospaced(font) else 0
                if index == 0:  # a part after a line break starts where the text's position no longer says
                    pieces.append((tm[4] * cm[0] + tm[5] * cm[2] + cm[4], scaled * _width(font), part))
            current.append(part)

    try:
        page.extract_text(visitor_text=visit)
    except Exception:  # one damaged page content stream must not lose the other pages
        return lines
    flush()
    return lines


def _in_column_order(lines: list[_Line]) -> list[_Line]:
    """The page's lines with its columns left to right: a content stream may draw the right column
    (or a sidebar) before the text to its left. Lines run down a column until a jump up or aside, a
    change of font size (a title over the columns) or a wide gap (a footnote under them) starts the
    next run; of two runs side by side, the one wholly to the left comes first. Runs with a line of
    unknown position stay where they are."""
    runs: list[list[_Line]] = []
    for line in lines:
        if runs and _runs_on(line, runs[-1][-1]):
            runs[-1].append(line)
        else:
            runs.append([line])
    for _ in range(len(runs)):  # a bubble sort's passes, bounded: "wholly left of" is no total order
        moved = False
        for i in range(len(runs) - 1):
            if _left_of(runs[i + 1], runs[i]):
                runs[i], runs[i + 1] = runs[i + 1], runs[i]
                moved = True
        if not moved:
            break
    return [line for run in runs for line in run]


def _runs_on(line: _Line, above: _Line) -> bool:
    """Whether line goes on down the column of the line above it."""
    size = max(line.size, above.size)
    return (0 < above.y - line.y <= COLUMN_RUN_GAP * size and not _aside(line, above)
            and abs(line.size - above.size) <= 0.1 * size)


def _aside(line: _Line, above: _Line) -> bool:
    """Whether line starts a column's width away from the line above it."""
    return line.left is not None and above.left is not None and (
        abs(line.left - above.left) > COLUMN_GAP * max(line.size, above.size))


def _left_of(run: list[_Line], other: list[_Line]) -> bool:
    """Whether run is a column wholly left of other, beside it on the page: every line of run starts
    more than COLUMN_GAP font sizes left of every line of other, and their heights overlap."""
    lefts = [line.left for line in run]
    other_lefts = [line.left for line in other]
    if None in lefts or None in other_lefts:
        return False
    size = max(line.size for line in run + other)
    beside = run[-1].y < other[0].y and run[0].y > other[-1].y
    return beside and min(other_lefts) - max(lefts) > COLUMN_GAP * size  # type: ignore[type-var, operator]


# Typeset ligatures as the letters they join: "ﬁnal" must match a `grep -F "final"` of a quote.
_LIGATURES = str.maketrans({"\ufb00": "ff", "\ufb01": "fi", "\ufb02": "fl", "\ufb03": "ffi", "\ufb04": "ffl",
                            "\ufb05": "st", "\ufb06": "st"})
_BOLD = re.compile(r"bold|black|heavy|semibold|demi", re.I)


def _is_bold(font: object) -> bool:
    """Whether a font is a bold face, by its name ("DejaVuSans-Bold", "Arial,Bold")."""
    return isinstance(font, dict) and bool(_BOLD.search(str(font.get("/BaseFont", ""))))


def _width(font: object) -> float:
    """A character's guessed width in font sizes."""
    return MONOSPACED_WIDTH if _is_monospaced(font) else CHARACTER_WIDTH


def _is_monospaced(font: object) -> bool:
    return isinstance(font, dict) and bool(_MONOSPACED.search(str(font.get("/BaseFont", ""))))


def _cells(pieces: list[tuple[float, float, str]]) -> tuple[tuple[str, float, float], ...]:
    """The line's text cut where a piece starts well right of where the text before it ends, each
    cell with its left edge and its guessed right edge; none when a piece starts left of the one
    before (a right-aligned label written first, a line's pieces out of order) or the first cell is
    a list's bullet."""
    cells: list[list] = []  # [text, left, right]
    start = end = float("-inf")
    for x, width, text in pieces:
        if x < start:
            return ()
        end_here = _end((x, width, text))
        if x > end + CELL_GAP * width / CHARACTER_WIDTH:
            cells.append([text, x, end_here])
        else:
            cells[-1][0] += text
            cells[-1][2] = end_here
        start, end = x, end_here
    found = tuple((one_line(text), left, right) for text, left, right in cells)
    if len(found) < 2 or not all(text for text, _, _ in found) or _BULLET.match(found[0][0] + " "):
        return ()
    return found


def _end(piece: tuple[float, float, str]) -> float:
    """Where a piece of text ends, guessed from its characters (x is where its leading spaces start)."""
    x, width, text = piece
    return x + len(text.rstrip()) * width


def _blocks(pages: list[list[_Line]], name: str, frames: list[tuple[float, float]] | None = None,
            damaged: set[int] | frozenset[int] = frozenset()) -> ReadResult:
    """The document's blocks from its pages' lines; frames are the pages' bottom and top edges,
    damaged the pages whose content pypdf could not decode."""
    if not pages:
        raise Unreadable("the PDF has no pages")
    blank = [number for number, lines in enumerate(pages, start=1) if not lines]
    broken = [number for number in blank if number in damaged]
    scanned = [number for number in blank if number not in damaged]
    warnings = []
    if len(blank) == len(pages) and broken:
        raise Unreadable(f"broken PDF (the content of {_pages(broken)} is damaged); {BROKEN_PDF_FIX}")
    if len(blank) == len(pages):
        raise Unreadable("no text layer on any page (a scan?); run OCR on it first")
    if broken:
        warnings.append(f"{name}: the content of {_pages(broken)} is damaged; {'that page is' if len(broken) == 1 else 'those pages are'} "
                        f"not indexed ({BROKEN_PDF_FIX})")
    if scanned:
        warnings.append(f"{name}: no text layer on page{'s' if len(scanned) > 1 else ''} "
                        f"{number_ranges(scanned)} (scanned?); those pages are not indexed")
    running = _running_lines(pages)
    hyphenation = _hyphenation(pages)
    page_numbered = _page_numbered(pages)
    body_size = _body_size(pages)
    spacing = _line_spacing(pages, body_size)
    blocks: list[Block] = []
    heading: str | None = None
    dropped: dict[str, set[str]] = {}  # a running line's key -> its texts, those carrying page numbers aside
    for number, lines in enumerate(pages, start=1):
        furniture = _furniture(lines, running, page_numbered, body_size, spacing, frames[number - 1] if frames else None)
        for i in furniture:
            if not _PAGE_NUMBER.match(lines[i].text.strip()) and _key(lines[i].text) not in page_numbered:
                dropped.setdefault(_key(lines[i].text), set()).add(one_line(lines[i].text))
        kept = [line for i, line in enumerate(lines) if i not in furniture]
        groups = _paragraphs_and_rows(kept, body_size, spacing)
        for index, (group, row) in enumerate(groups):
            if row is not None:
                if row:  # a wrapped cell's line is in its row's text
                    blocks.append(Block(row, number, heading, "table_row"))
                continue
            text = _join(group, hyphenation)
            if not text:
                continue
            is_heading = not _LEADER.search(group[-1].text) and ((
                group[0].size >= body_size * HEADING_SIZE and len(text.split()) <= HEADING_MAX_WORDS
            ) or (len(group) == 1 and _bold_heading(group[0]) and _stands_alone(groups, index)))
            if is_heading:
                heading = text
            blocks.append(Block(text, number, heading, "heading" if is_heading else "paragraph"))
    varying = [min(texts) for texts in dropped.values() if len(texts) > 1]
    if varying:  # identical lines are surely furniture; lines that differ in their numbers may be text
        shown = "; ".join(f"'{text[:60]}'" for text in varying[:2]) + (" and more" if len(varying) > 2 else "")
        warnings.append(f"{name}: left out as running headers/footers (they repeat at page edges, numbers "
                        f"aside): {shown}")
    return ReadResult("pdf", tuple(blocks), tuple(warnings))


def _key(text: str) -> str:
    return re.sub(r"\d+", "#", one_line(text).lower())


def _edges(lines: list[_Line]) -> list[int]:
    indexes = list(range(len(lines)))
    return sorted(set(indexes[:EDGE_LINES] + indexes[-EDGE_LINES:]))


def _running_lines(pages: list[list[_Line]]) -> set[str]:
    """Top and bottom lines repeated on at least half the pages with text (and at least two), by
    their text and by their text with digits masked."""
    with_text = [lines for lines in pages if lines]
    counts = Counter(
        key for lines in with_text
        for key in {key for i in _edges(lines) for key in (_key(lines[i].text), _exact(lines[i].text))}
    )
    needed = max(2, (len(with_text) + 1) // 2)
    return {key for key, count in counts.items() if count >= needed}


def _exact(text: str) -> str:
    return "=" + one_line(text).lower()


def _is_running(text: str, running: set[str], page_numbered: set[str]) -> bool:
    """Repeated at the page edges as it stands, or with other numbers when they follow the page
    ("Acme report 2023 | 5.") or the line ends no sentence; a templated body sentence ("In 1910
    the harbour had 4 boats.") is text."""
    key = _key(text)
    if text.rstrip().endswith("?"):  # a form's or a quiz's question, numbered as its page is
        return _exact(text) in running
    return _exact(text) in running or (key in running and (key in page_numbered or not _ENDS_SENTENCE.search(text)))


def _page_numbered(pages: list[list[_Line]]) -> set[str]:
    """Digit-masked edge lines that carry the page number: on every page a line is on, one of its
    numbers is the page's position plus the same constant."""
    offsets: dict[str, list[set[int]]] = {}
    for position, lines in enumerate(pages):
        for i in _edges(lines):
            numbers = {int(n) - position for n in re.findall(r"\d{1,6}", lines[i].text)}
            if numbers:
                offsets.setdefault(_key(lines[i].text), []).append(numbers)
    return {key for key, found in offsets.items() if len(found) >= 2 and set.intersection(*found)}


def _furniture(
    lines: list[_Line], running: set[str], page_numbered: set[str], body_size: float, spacing: float,
    frame: tuple[float, float] | None,
) -> set[int]:
    """The page's running header and footer lines and page numbers: at the top or the bottom of its
    lines, one or two of them repeated on other pages (or a page number) that stand apart from the
    body by more than a line-spacing and lie in the outer band of the page. A body line that repeats
    on every page (a letter's closing, a form's question line) sits one line-spacing from the text
    it belongs to, or far from the page's edge."""
    found: set[int] = set()
    for edge, step in ((0, 1), (len(lines) - 1, -1)):
        for size in (EDGE_LINES, 1):
            block = [edge + step * k for k in range(size)]
            beyond = edge + step * size
            if not all(0 <= i < len(lines) for i in block) or (found & set(block)):
                continue
            body = lines[beyond] if 0 <= beyond < len(lines) else None
            if all(_may_be_furniture(lines, i, running, page_numbered, body_size, spacing) for i in block) and (
                    _stands_apart(lines[block[-1]], body, spacing, body_size)) and all(
                    frame is None or _in_outer_band(lines[i].y, frame, body) for i in block):
                found.update(block)
                break
    return found


def _may_be_furniture(
    lines: list[_Line], index: int, running: set[str], page_numbered: set[str], body_size: float, spacing: float,
) -> bool:
    """Repeated at page edges (or a page number), not set larger than the body ("Chapter 3" under a
    running header is a heading), and no row of a table."""
    line = lines[index]
    if line.size > body_size * HEADING_SIZE or _in_table(lines, index, spacing):
        return False
    return _is_running(line.text, running, page_numbered) or bool(_PAGE_NUMBER.match(line.text.strip()))


def _stands_apart(line: _Line, body: _Line | None, spacing: float, body_size: float) -> bool:
    """More than a line-spacing and a half from the body: the usual spacing, or a generous line
    height for the body font where fewer lines than headers make the usual spacing (a short page)."""
    pitch = min(spacing, body_size * USUAL_LINE_PITCH) if body_size > 0 else spacing
    return body is None or pitch <= 0 or abs(body.y - line.y) > FURNITURE_GAP * pitch


def _in_outer_band(y: float, frame: tuple[float, float], body: _Line | None) -> bool:
    """Within the page's band on the far side from the body: a header above it near the top edge, a
    footer below it near the bottom (the page's text may all sit near its top)."""
    bottom, top = frame
    band = (top - bottom) * MARGIN_BAND
    if top <= bottom:
        return True
    if body is None:
        return y <= bottom + band or y >= top - band
    return y >= top - band if y > body.y else y <= bottom + band


def _in_table(lines: list[_Line], index: int, spacing: float) -> bool:
    """Whether the line is a row of a table: a long table's header row repeats at the top of every
    page and its rows at the bottom differ only in their numbers, as running headers and footers do."""
    start = max(0, index - MIN_TABLE_ROWS)
    return bool(lines[index].cells) and index - start in _table_rows(lines[start:index + MIN_TABLE_ROWS + 1], spacing)


def _body_size(pages: list[list[_Line]]) -> float:
    """The font size of most of the text (counted in characters: a short header line on every
    page must not outvote the body)."""
    sizes: Counter[float] = Counter()
    for lines in pages:
        for line in lines:
            sizes[round(line.size, 1)] += len(line.text)
    return sizes.most_common(1)[0][0] if sizes else 0.0


def _line_spacing(pages: list[list[_Line]], body_size: float) -> float:
    """The document's usual distance between consecutive lines of a paragraph: the most
    common gap, since body lines outnumber paragraph breaks. But when that gap is wider than
    double spacing and the lines above it mostly end a sentence, the paragraphs are one line each
    and it is their gap: a generous line height for the body font stands in for it."""
    gaps: Counter[int] = Counter()
    sentence_ends: Counter[int] = Counter()
    for lines in pages:
        for i in range(1, len(lines)):
            if lines[i - 1].y > lines[i].y:
                gap = round(lines[i - 1].y - lines[i].y)
                gaps[gap] += 1
                sentence_ends[gap] += bool(_ENDS_SENTENCE.search(lines[i - 1].text.strip()))
    if not gaps:
        return 0.0
    gap, count = gaps.most_common(1)[0]
    if body_size > 0 and gap > body_size * MAX_LINE_PITCH and sentence_ends[gap] > ONE_LINE_PARAGRAPHS * count:
        return body_size * USUAL_LINE_PITCH
    return float(gap)


def _paragraphs_and_rows(lines: list[_Line], body_size: float, spacing: float) -> list[tuple[list[_Line], str | None]]:
    """Paragraphs of lines, each with None, and each row of a table alone, with its text."""
    rows = _table_rows(lines, spacing)
    groups: list[tuple[list[_Line], str | None]] = []
    start = 0
    for i in sorted(rows) + [len(lines)]:
        groups.extend((group, None) for group in _paragraphs(lines[start:i], body_size, spacing))
        if i < len(lines):
            groups.append(([lines[i]], rows[i]))
        start = i + 1
    return groups


def _table_rows(lines: list[_Line], spacing: float) -> dict[int, str]:
    """The text of each line that is in a table's row, by index: the row's text at its first line,
    "" at its others. A table is a zone of lines (see _table_zone) around a line with cells, of at
    least three rows, two or more of them full. Two lines with cells could be a label and its value
    twice; a justified line with wide spaces has cells too, but the lines around it not in the same
    places."""
    rows: dict[int, str] = {}
    floor = 0  # the lines before it are in a table found already
    for start, line in enumerate(lines):
        found = _zone_rows(lines, *_table_zone(lines, start, floor, spacing)) if start >= floor and line.cells else {}
        if found:
            rows.update(found)
            floor = max(found) + 1
    return rows


def _table_zone(lines: list[_Line], start: int, floor: int, spacing: float) -> tuple[list[int], Cells]:
    """The indexes of the lines around lines[start] (a line with cells) that stand in a table's
    columns, and the cells of its fullest line, whose columns they are: after it, lines with cells
    in the columns of the line with cells before (see _in_columns) and lines of one cell's text
    (see _cell_column); before it, back to floor, lines of one cell's text (a first row's cell
    wrapped above the others). Each is near the lines before it: at most TABLE_ROW_PITCH line
    spacings and a cell's padding above and below from them; a cell's lines may run up from where
    the cells beside it stand (cells set in the middle of their row, or drawn one after another)."""
    zone, columns = [start], lines[start].cells
    top = bottom = lines[start].y
    above = start  # the zone's last line with cells
    for i in range(start + 1, len(lines)):
        line = lines[i]
        if not _near(line, top, bottom, spacing):
            break
        if line.cells:
            if not (line.y < lines[above].y and _in_columns(line.cells, lines[above].cells, columns, line.size)):
                break
            above = i
            columns = line.cells if len(line.cells) > len(columns) else columns
        elif _cell_column(line, columns) is None:
            break
        zone.append(i)
        top, bottom = max(top, line.y), min(bottom, line.y)
    for i in range(start - 1, floor - 1, -1):
        if lines[i].cells or not _near(lines[i], top, bottom, spacing) or _cell_column(lines[i], columns) is None:
            break
        zone.insert(0, i)
        top = max(top, lines[i].y)
    return zone, columns


def _near(line: _Line, top: float, bottom: float, spacing: float) -> bool:
    """Whether the line is near a zone of lines from top to bottom: rows are apart by their padding
    as well as by their line spacing."""
    reach = TABLE_ROW_PITCH * max(spacing, line.size) + 2 * CELL_PADDING * line.size
    return bottom - reach <= line.y <= top + reach


def _cell_column(line: _Line, columns: Cells) -> int | None:
    """The column a line without cells stands in: it starts where the column does and ends before
    the next one starts (one cell's text, not a paragraph's line across the table)."""
    if line.cells or line.left is None:
        return None
    tolerance = COLUMN_TOLERANCE * max(line.size, 1.0)
    for column, (_, left, _) in enumerate(columns):
        if abs(line.left - left) <= tolerance:
            last = column + 1 == len(columns)
            return column if last or line.right is None or line.right <= columns[column + 1][1] + tolerance else None
    return None


def _in_columns(cells: Cells, above: Cells, fullest: Cells, size: float) -> bool:
    """As many cells as the row above, each starting or ending where the one above it does (a column
    set left or right); or, with fewer or more cells than the run's fullest row, the cells of the
    one in columns of the other, in order: a row with an empty cell. A justified paragraph set word
    by word has gaps too, but its words do not line up from line to line."""
    tolerance = COLUMN_TOLERANCE * max(size, 1.0)
    if len(cells) == len(above) and all(
        abs(left - left_above) <= tolerance or abs(right - right_above) <= tolerance
        for (_, left, right), (_, left_above, right_above) in zip(cells[1:], above[1:])
    ):
        return True
    if len(cells) == len(fullest):
        return _columns(cells, fullest, tolerance) is not None  # a full row after one with empty cells
    fewer, more = sorted((cells, fullest), key=len)
    return _columns(fewer, more, tolerance) is not None


def _columns(cells: Cells, columns: Cells, tolerance: float) -> list[int] | None:
    """The column each cell stands in, in order (its left or right edge at the column's), or None."""
    placed: list[int] = []
    for _, left, right in cells:
        column = next((j for j in range(placed[-1] + 1 if placed else 0, len(columns))
                       if abs(left - columns[j][1]) <= tolerance or abs(right - columns[j][2]) <= tolerance), None)
        if column is None:
            return None
        placed.append(column)
    return placed


def _zone_rows(lines: list[_Line], zone: list[int], columns: Cells) -> dict[int, str]:
    """The zone's rows as _table_rows gives them, or none when they make no table."""
    rows = _rows(lines, [fragment for i in zone for fragment in _fragments(lines[i], i, columns)], len(columns))
    cells = [_row_texts(row, len(columns)) for row in rows]
    if len(rows) < MIN_TABLE_ROWS or sum(all(texts) for texts in cells) < 2:
        return {}
    found: dict[int, str] = {}
    for row, texts in zip(rows, cells):
        first, *others = sorted({fragment.line for fragment in row})
        found[first] = one_line(" | ".join(texts))
        found.update((i, "") for i in others)
    return found


def _rows(lines: list[_Line], fragments: list[_Fragment], width: int) -> list[list[_Fragment]]:
    """A table's rows. They are cut where the text of every column leaves a gap, and below a bold
    header row; when the gaps show the rows padded (they part at least half as many rows as there
    are lines with cells in the first column), a stretch between cuts is one row, unless it holds
    two cells of a column; else, as in a table without padding, a stretch's rows start at its lines
    with cells (see _rows_by_lines). Rows at either end holding lines of the first column alone are
    a paragraph's lines."""
    pitch = _line_pitch(fragments, width)
    first_column_lines = len({f.line for f in fragments if f.column == 0 and lines[f.line].cells})
    padded = 2 * len(_trimmed(_rows_by_gaps(fragments, lines, pitch, width, False), lines)) > first_column_lines
    stretches = _trimmed(_rows_by_gaps(fragments, lines, pitch, width, True), lines)
    return _trimmed([row for n, stretch in enumerate(stretches) for row in (
        [stretch] if padded and not _stacked_cells(stretch, pitch) else _rows_by_lines(stretch, lines, pitch, n == 0))],
        lines)


def _trimmed(rows: list[list[_Fragment]], lines: list[_Line]) -> list[list[_Fragment]]:
    """The rows without those at either end that are a paragraph's lines (see _paragraph_line)."""
    start, end = 0, len(rows)
    while start < end and _paragraph_line(rows[end - 1], lines):
        end -= 1
    while start < end and _paragraph_line(rows[start], lines):
        start += 1
    return rows[start:end]


def _fragments(line: _Line, index: int, columns: Cells) -> list[_Fragment]:
    """The line's cells in the table's columns; a line without cells is one cell's text (in the first
    column when it stands in none: it was placed before the fullest row came)."""
    if not line.cells:
        return [_Fragment(_cell_column(line, columns) or 0, line.y, line.text, index)]
    placed = _columns(line.cells, columns, COLUMN_TOLERANCE * max(line.size, 1.0)) or range(len(line.cells))
    return [_Fragment(column, line.y, text, index) for (text, _, _), column in zip(line.cells, placed)]


def _column_heights(fragments: list[_Fragment], width: int) -> list[list[float]]:
    """The baselines of each column's lines, top to bottom."""
    return [sorted((f.y for f in fragments if f.column == column), reverse=True) for column in range(width)]


def _line_pitch(fragments: list[_Fragment], width: int) -> float:
    """The table's line pitch: the least distance between two lines of a column (0 for none)."""
    return min((upper - lower for heights in _column_heights(fragments, width)
                for upper, lower in zip(heights, heights[1:]) if upper - lower > LEVEL_TOLERANCE), default=0.0)


def _rows_by_gaps(
    fragments: list[_Fragment], lines: list[_Line], pitch: float, width: int, under_header: bool,
) -> list[list[_Fragment]]:
    """The fragments cut where the text of every column leaves a gap wider than ROW_GAP line pitches
    (rows apart by their cells' padding; a cell's lines are a pitch apart), and when asked below a
    bold header row where lines not in bold start."""
    heights = _column_heights(fragments, width)
    levels = sorted({f.y for f in fragments}, reverse=True)
    stretches: list[list[_Fragment]] = []
    ceiling = float("inf")
    for upper, lower in zip(levels, levels[1:] + [float("-inf")]):
        cut = (upper + lower) / 2
        stretch = [f for f in fragments if cut < f.y < ceiling]
        if lower == float("-inf") or (upper - lower > LEVEL_TOLERANCE and all(
                _gap_at(column, cut) > ROW_GAP * pitch for column in heights)) or (
                under_header and _under_header(stretch, fragments, lower, lines)):
            stretches.append(stretch)
            ceiling = cut
    return stretches


def _under_header(stretch: list[_Fragment], fragments: list[_Fragment], level: float, lines: list[_Line]) -> bool:
    """Whether the stretch above a height is all in bold and the text at that height is not."""
    return all(lines[f.line].bold for f in stretch) and not any(lines[f.line].bold for f in fragments if f.y == level)


def _gap_at(heights: list[float], cut: float) -> float:
    """The distance between a column's lines on either side of a height (infinite without both)."""
    above = [y for y in heights if y > cut]
    below = [y for y in heights if y < cut]
    return min(above) - max(below) if above and below else float("inf")


def _stacked_cells(stretch: list[_Fragment], pitch: float) -> bool:
    """Whether a stretch holds two cells of one column: lines of a column more than a line pitch apart."""
    width = max(f.column for f in stretch) + 1
    return any(upper - lower > ROW_GAP * pitch for heights in _column_heights(stretch, width)
               for upper, lower in zip(heights, heights[1:]))


def _paragraph_line(row: list[_Fragment], lines: list[_Line]) -> bool:
    """Whether a row holds nothing but lines without cells in the first column."""
    return all(fragment.column == 0 and not lines[fragment.line].cells for fragment in row)


def _rows_by_lines(
    fragments: list[_Fragment], lines: list[_Line], pitch: float, opens_table: bool,
) -> list[list[_Fragment]]:
    """The rows of a table without padding: a line with cells starts one when the row before has one
    too, or a cell of its columns ended more than a line pitch above it; the lines of one cell's
    text are in the row they follow, those before the first line with cells in its row. But a
    paragraph before or after a table may start where its first column does: lines of the first
    column alone before the table's first line with cells, and after the last line of another
    column, are rows of their own."""
    end = len(fragments)
    while end and _paragraph_line(fragments[end - 1:end], lines):
        end -= 1
    start = next((i for i, f in enumerate(fragments) if lines[f.line].cells), end)
    leading = fragments[:start] if opens_table and _paragraph_line(fragments[:start], lines) else []
    rows: list[list[_Fragment]] = [leading] if leading else []
    for fragment in fragments[len(leading):end]:
        if not rows or (lines[fragment.line].cells and rows[-1][-1].line != fragment.line and
                        _starts_row([f for f in fragments if f.line == fragment.line], rows[-1], lines, pitch)):
            rows.append([])
        rows[-1].append(fragment)
    return rows + ([fragments[end:]] if end < len(fragments) else [])


def _starts_row(line: list[_Fragment], row: list[_Fragment], lines: list[_Line], pitch: float) -> bool:
    """Whether a line with cells (its fragments) starts a row after the row so far."""
    columns = {f.column for f in line}
    return any(lines[f.line].cells for f in row) or any(
        f.column in columns and f.y - line[0].y > ROW_GAP * pitch for f in row)


def _row_texts(row: list[_Fragment], width: int) -> list[str]:
    """The row's text in each column ("" where it has none), its lines top to bottom."""
    ordered = sorted(row, key=lambda fragment: (-fragment.y, fragment.line))
    return [one_line(" ".join(f.text for f in ordered if f.column == column)) for column in range(width)]


def _paragraphs(lines: list[_Line], body_size: float, spacing: float) -> list[list[_Line]]:
    """Lines grouped into paragraphs by gap, upward jumps, font size and list bullets."""
    gaps = [lines[i - 1].y - lines[i].y for i in range(1, len(lines))]
    groups: list[list[_Line]] = []
    opening_gaps: list[float] = []  # the gap above each group's first line
    for i, line in enumerate(lines):
        if i == 0:
            groups.append([line])
            opening_gaps.append(0.0)
            continue
        previous = lines[i - 1]
        gap = gaps[i - 1]
        new = (
            gap <= 0
            or gap > _pitch(spacing, min(line.size, previous.size), body_size) * PARAGRAPH_GAP
            or _ends_list_item(groups[-1], opening_gaps[-1], line, gap, body_size, spacing)
            or abs(line.size - previous.size) > 0.1 * max(body_size, 1.0)
            or line.mono != previous.mono  # code set apart from prose with no gap (Texinfo, LaTeX manuals)
            or bool(_BULLET.match(line.text))
            or bool(_LEADER.search(previous.text))  # one table of contents' entry a paragraph
            or (previous.bold and not line.bold and _bold_heading(previous))
            or (line.bold and not previous.bold and _bold_heading(line))
        )
        if new:
            groups.append([line])
            opening_gaps.append(gap)
        else:
            groups[-1].append(line)
    return groups


def _pitch(spacing: float, size: float, body_size: float) -> float:
    """The usual distance between the lines of a paragraph set in `size`: the body's spacing, or
    as much larger as the font (a title wrapped over two lines in 18 points over a 10-point body)."""
    return spacing * max(1.0, size / body_size) if body_size > 0 else spacing


def _stands_alone(groups: list[tuple[list[_Line], str | None]], index: int) -> bool:
    """Whether the bold line of groups[index] is followed by a line that is not bold (a heading
    over its text), not by more bold lines (a bold paragraph's first line)."""
    return index + 1 == len(groups) or not groups[index + 1][0][0].bold


def _bold_heading(line: _Line) -> bool:
    """A short line all in bold that ends no sentence: a heading set in the body's size ("Fire
    procedure"), which the text below it follows at the usual line spacing."""
    return line.bold and not line.cells and len(line.text.split()) <= HEADING_MAX_WORDS and not _ENDS_SENTENCE.search(
        line.text.strip())


def _ends_list_item(
    item: list[_Line], opening_gap: float, line: _Line, gap: float, body_size: float, spacing: float
) -> bool:
    """Whether line, below a list item, starts what follows the list: a list is often set with a
    little more space between its items than between a paragraph's lines, and as much after its
    last item. The item must open with a bullet (not be a numbered heading), the gap be wider
    than the usual spacing and about the one above the item (not one tall line inside it)."""
    return (
        bool(_BULLET.match(item[0].text))
        and line.size < body_size * HEADING_SIZE
        and gap > spacing * LIST_ITEM_GAP
        and abs(gap - opening_gap) <= LIST_GAP_TOLERANCE * spacing
    )


_COMPOUND = re.compile(r"(?<![\w-])([^\W\d_]+)-([^\W\d_]+)")
_WORD_BEFORE_HYPHEN = re.compile(r"[^\W\d_]+-$")
_FIRST_WORD = re.compile(r"[^\W\d_]+")
# A table of contents' entry: its title, a leader of dots, its page ("Scope ........ 3").
_LEADER = re.compile(r"\s*(?:[.·…]\s?){4,}\s*(\d{1,4}|[ivxlcdm]{1,7})\s*$", re.I)


@dataclass(frozen=True)
class _Hyphenation:
    """What the document's own words tell of a hyphen at a line end."""

    compounds: frozenset[str]  # hyphenated words written within a line ("self-employed"), lower-cased
    counts: Counter[str]  # each word's occurrences, lower-cased, line-end pieces among them

    def keeps(self, before: str, after: str) -> bool:
        """Whether the hyphen between a line's last word and the next line's first is the word's
        own: the document hyphenates it elsewhere, or never writes it whole while it writes both
        parts as words of their own ("long-" "term" where "long" and "term" stand apart elsewhere;
        "infor-" "mation" is a line break)."""
        word = f"{before}{after}".lower()
        if f"{before}-{after}".lower() in self.compounds:
            return True
        return not self.counts[word] and min(self.counts[before.lower()], self.counts[after.lower()]) >= 2


def _hyphenation(pages: list[list[_Line]]) -> _Hyphenation:
    texts = [line.text for lines in pages for line in lines]
    return _Hyphenation(
        frozenset(match.group(0).lower() for text in texts for match in _COMPOUND.finditer(text)),
        Counter(word.lower() for text in texts for word in _FIRST_WORD.findall(text)),
    )


def _join(lines: list[_Line], hyphenation: _Hyphenation | None = None) -> str:
    """One paragraph's lines as one line of text, hyphen-broken words joined ("extra-" "ordinary",
    "SE-" "QUENCE"), but for a word whose hyphen is its own ("self-" "employed", see _Hyphenation);
    a hyphen before a capitalised word or a digit stays ("Anglo-Saxon", "COVID-19"); a table of
    contents' leader dots are one ellipsis."""
    text = ""
    for line in lines:
        piece = _LEADER.sub(r" … \1", one_line(line.text))
        before = _WORD_BEFORE_HYPHEN.search(text)
        after = _FIRST_WORD.match(piece)
        if before and after and (piece[:1].islower() or (before.group(0)[:-1].isupper() and after.group(0)[:2].isupper())):
            kept = hyphenation is not None and hyphenation.keeps(before.group(0)[:-1], after.group(0))
            text = (text if kept else text[:-1]) + piece
        elif text.endswith("-") and text[-2:-1].isalnum() and piece[:1].isalnum():
            text += piece  # "COVID-" "19", "Anglo-" "Saxon": a hyphen that stays
        else:
            text = f"{text} {piece}" if text else piece
    return text
