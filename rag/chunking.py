"""Paragraphs to chunks: whole paragraphs, short ones merged, long ones split at sentences.

A chunk is bounded in words and in characters: a run of text with few spaces (a base64 blob, a
minified line, text in a script written without spaces) is cut into consecutive spans of at most
max_chars(settings) characters, at a space or a punctuation mark near the limit where there is
one, else anywhere.

Every chunk is a character span of its document's text (the file itself, or the extracted text
of a PDF, HTML or DOCX file), so its text is verbatim and its line and paragraph ranges follow
from the span; page comes from its first paragraph, heading from its first paragraph that is not
itself a heading. A chunk's heading is its section's: the document's own title (a heading that is
its first paragraph) is not one, since it would be the same for every chunk of the file (a news
article's headline, a memo's title). A chunk that continues a table without holding its header row
carries that row as its table_header, context beside its text as the heading is.
"""

from __future__ import annotations

import bisect
import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from rag.config import ChunkSettings
from rag.corpus import COLUMN_GAP, RULE_LINE, UNDERLINE_RULE, Document, Paragraph, heading_of, opens_changelog_entry
from rag.file_labels import name_words
from rag.results import PARAGRAPH_LINE_FORMATS

# Bump when a change to the readers, the paragraph rule or the chunking changes the passages of a
# file already indexed: the next `rag index` splits every file again (reusing cached embeddings of
# passages that did not change), and until then ask and search say the index is out of date.
# 2: short text ending a section stays in it; a chunk is under its first non-heading paragraph's heading.
# 3: PDF: one-line paragraphs are not merged when their gap is the commonest one.
# 4: a section number ("5.3.") is one sentence with the sentence it numbers.
# 5: HTML: prose directly in the body kept, nested blocks read once, words spaced; non-UTF-8 text
#    read as Windows-1252 where it defines every byte.
# 6: HTML: headings of pages with no main container kept, Texinfo link bars and menus dropped, a
#    lone leading <h1> heads the text, a cell or list item that is one share-button word ("Print",
#    "PDF") kept. PDF: a line's font size is that of most of its characters (a
#    smaller bullet split list items), and a list item ends at a slightly wider gap.
# 7: a title ("Dr.", "Mr.") or a numbered abbreviation ("Fig. 3") ends no sentence. DOCX: text in
#    tracked insertions, moves, fields, content controls and nested tables read. HTML: list items
#    that are mostly words keep their links as text (API parameter lists).
# 8: PDF: three or more lines of as many cells apart by wide gaps are table rows, "cell | cell".
# 9: text that is UTF-8 but for a few stray bytes is read as UTF-8 (it was read as Windows-1252).
# 10: UTF-16 text without a byte order mark is read (it was skipped as binary).
# 11: a lone carriage return ends a line and a NUL is a space in text with only a few (such text was
#     one paragraph, or skipped as binary); Markdown front matter is a passage, its title a heading.
# 12: HTML: figure and table captions are paragraphs. PDF: a table's row may leave cells empty, and
#     a cell wrapped over several lines is read whole in its row.
# 13: HTML: a heading in a button or a link, an <aside> in the article and hidden answers or tabs in
#     it are read; a page in Windows-1252 that declares no charset is read as such. Text: a block of
#     "#" lines, or an indented one, is a comment (code), not headings.
# 14: HTML and DOCX: a superscript is written "^2" (it ran into the number before it: "2^32" read
#     "232"), an HTML footnote mark left out; DOCX: equations and Symbol-font characters read.
# 15: PDF: a table row at a page edge is not a running header or footer.
# 16: HTML: an item of a numbered list opens with its number ("3. Connect ...").
# 17: text and Markdown wrapped wider than 100 columns (up to 160) are paragraphs, not a paragraph a line.
# 18: a section of short lines (a list, rows) ends at the next heading; a chunk is under its innermost
#     reader heading. DOCX: list numbers, text boxes and footnotes read.
# 19: HTML: preformatted text keeps its lines (and the code after a <br> in it); <br><br> ends a paragraph.
# 20: PDF: a word broken at its own hyphen keeps it when the document writes it hyphenated; capitals joined.
# 21: HTML: a cell spanning rows is repeated in each row it spans.
# 22: text: a line opening with a typed bullet (•, o) starts a paragraph. PDF: a short bold line is a heading.
# 23: lines with columns aligned by spaces (a plain-text table, an option list) are rows, as "a | b" lines are.
# 24: fixes from a review: bold prose is no heading, a full row after one with an empty cell stays in its
#     table, "o" opens prose, aligned rows must line up, layout cells and <pre> with blocks read once.
# 25: DOCX: numbered paragraphs in table cells are numbered and counted; text boxes in tables are read.
# 26: HTML: block elements inside <pre> (a highlighter's line <div>s) are lines of code; a list the
#     page's stylesheet letters or unmarks is not numbered.
# 27: HTML: a heading's permalink mark ("Assert#", "Copyright¶") is not part of the heading.
# 28: text: a box framed in asterisks or hashes is read without its frame; a line without a letter or
#     digit ("# -----") is no heading.
# 29: review fixes to 26-28: a <pre> holding headings or lists is structure again; only letter types
#     of a stylesheet count; a permalink word needs its class; a table drawn in * or # is no box.
# 30: a chunk holds at most 16 characters for each word of the word limit (6,400 for 400 words): a
#     line without spaces (a 5 MB base64 blob) was one passage of the whole line.
# 31: formats pass s42: a lead-in that ends its section, and a document's short last section, stay
#     in their section; PDF: a repeated line away from the page's edge bands is text, lettered items
#     are items, ligatures are letters; HTML: captions, metadata and bylines, footnote asides and
#     fragments; DOCX: outline-level and bold headings, hidden text out; legacy code pages detected.
# 32: formats pass s43: PDF columns read left to right whatever the drawing order, a table of
#     contents' entries apart, a hyphen the document's words show is the word's own kept; a chunk
#     that continues a table without its header row carries that row (embedded, shown to the model);
#     Markdown and underlined text headings read without their marks; keyword terms cut a run of
#     Chinese, Japanese or Korean characters into pairs (rag.text); PDF tables with cell padding:
#     rows cut where every column leaves a gap, wrapped (first-column) cells kept in their row, a
#     bold header row a row and no heading.
# 33: formats pass s44: OpenDocument presentations read; PowerPoint chart text (title, axes, a line
#     a series); OpenDocument tables keep empty cells in their columns and repeat merged-down cells.
#     Markdown: a heading's context is its words without inline markup, an empty heading no passage,
#     a block quote's passages start after its ">" marks and a heading in a quote ends with it.
#     Text: an underline shorter than its title underlines it from four marks, as in docutils.
#     Tables: a list in an OpenDocument cell read in the cell, last columns empty in every row left
#     out (ODT, ODP, PowerPoint, Word); chart values as their number format shows them (dates,
#     percentages, money).
# 34: formats pass s45: an EPUB or OpenDocument file is known by its mimetype entry when deflated
#     or not first too (an .odp zipped again and named .pptx was skipped as no PowerPoint deck);
#     charts in OpenDocument texts and presentations read as PowerPoint charts are.
# 35: text: a file of UTF-8 lines and Latin-1 or Windows-1252 lines is read line by line, each line
#     in its own (two such lines had been decoded as Nordic ISO-8859-10).
# 36: charts: every digit of a whole number (1234567890123, was 1.23456789012e+12); an OpenDocument
#     chart's quoted table names with spaces or dots, a scatter point with no x left out; a Word file
#     or deck with a stray mimetype entry read as Word or PowerPoint again; an object link
#     percent-encoded ("./Object%201"), a range with no table name or backwards, a mimetype after
#     spaces or in capitals read.
# 37: an OpenDocument chart's money as its cell shows it ("£1,234,567", was "1234567"), a number cell
#     with no value read from its text (was dropped); an OpenDocument spreadsheet or drawing with no
#     extension or named .txt named as one (was "binary file", or not read).
# 38: spreadsheets read (.xlsx, .xls, .ods, .csv: a row a passage paragraph, a sheet a page; they
#     were not indexed); a table ends where the heading changes (one sheet's rows are not the table
#     of the sheet before); a header cell such as "Q2" or "FY24" is a label, not a number, so a
#     header row of quarters is carried into the table's later passages; a first paragraph under a
#     heading it is not (a sheet's first row) is no document title joining the next section.
# 39: a line of only a quote mark ("|", ">") is blank (pydoc's classes were paragraphs of 200
#     lines); an unindented line in capitals over indented text is a heading ("FUNCTIONS", "SEE ALSO").
# 40: a paragraph of a title and its own text ("COPYRIGHT" over its indented lines, an AsciiDoc
#     "NAME" underlined over its line) is its section's text, not a heading joining the next section;
#     a line in capitals with column gaps (a table's header) or indented heads nothing; spreadsheets:
#     a cell merged down repeated in each row, a formula with no saved value empty, a CSV's decimal
#     commas keep ";" its delimiter.
# 41: a nested quote's blank line (">>", "> >") is blank; a CSV's first line "sep=;" names its
#     delimiter and is no row.
# 42: a passage is embedded under its file name's words (embedding_text): every chunk's key changes;
#     a spreadsheet's hidden rows and columns are left out; a long table's chunks share no row;
#     a changelog entry is a section under its version, its trailer closing it, a short one whole; a name's
#     initial ends no sentence;
#     a block is a paragraph a line only when a third of its lines are long; HTML: an author's heading is text.
# 43: a rule across the page (40 marks, over twice its line's length or under a sentence) underlines
#     nothing unless a rule stands above the line too (an overline split off as its own paragraph counts).
# 44: HTML: a heading linking back to the contents keeps its words; a <dd> of paragraphs or code is
#     read as its blocks; an element whose role is navigation is not text.
# 45: HTML: DocBook's note, tip or warning box is its text opened by its label, not a table row.
# 46: a long code block (a reader's code: Markdown's fences, HTML's <pre>) is cut between its lines,
#     not at a full stop inside them.
# 47: a .rst page is read by docutils (sections, code, tables, Sphinx roles and directives as Sphinx shows them).
# 48: HTML: a table of contents (DocBook's, Sphinx's toctree, docutils' contents) that is mostly links is not text.
# 49: a Sphinx build's copy of a source (name.rst.txt) is read as reStructuredText.
# 50: a .rst passage keeps the lines of its file; a simple table's header over a blank first column is kept;
#     an API entry's short last line (Default: False) stays with it; a directive holding code is code.
# 51: a paragraph ending in a colon is read with what it introduces, up to the next introduction.
# 52: a version note with no text of its own leads into the text after it; an introduction and what
#     it introduced stand alone only when they reach the chunk's minimum of words.
# 53: .rst: a :doc: or :ref: without a title reads as the title of the page or section it names.
# 54: e-mail: a message's header lines lead into its first paragraph; its subject, sender and day head it.
# 55: e-mail: a message forwarded as an attachment read inline, a stub plain part gives way to the
#     HTML, an HTML reply's quote left out, 8-bit text without a charset decoded as it looks.
# 56: notebooks: a passage ends with a cell, code is no lead-in; HTML and Markdown outputs read,
#     widgets, tags and images' data left out, a heading with code in it read as its words.
PASSAGE_RULES = 56
# A chunk's characters are capped as well as its words: a "word" can be a whole line (base64, a
# minified script, hex). 16 characters a word is well over prose's 5 to 7 with its space (400 words
# of English are ~2,500 characters, of German ~3,000), so prose is bounded by words as before; the
# floor keeps a very small word limit from cutting an ordinary long word or URL.
CHUNK_CHARS_PER_WORD = 16
MIN_CHUNK_CHARS = 1024
TITLE_MAX_WORDS = 20
FIRST_TITLE_MAX_WORDS = 30
# Characters of a Markdown heading with its markup (links' addresses and all): a longer line is text,
# not parsed (about 50 us a line, asked of each chunk's first line).
MAX_WRITTEN_HEADING = 500
_ENDS_SENTENCE = re.compile(r"[.!?][\"'”’)\]]*\s*$")
SECTION_LABEL = r"[(\[]?(?:[0-9]+(?:\.[0-9]+)*|[a-z])[.)\]]"  # "5.3.", "2)", "(a)": numbers what follows
_SECTION_LABEL = re.compile(rf"\s*{SECTION_LABEL}\s*")
_SENTENCE_END = re.compile(r"(?<=[.!?])([\"'”’)\]]*)\s+(?=[\"“‘(\[]?[A-Z0-9])")
# A title before a name ("Dr. Ingrid Solberg") or an abbreviation before its number ("Fig. 3"):
# its full stop ends no sentence. ("Jr.", "St.", "Inc.", "U.S." and "etc." end sentences too often.)
_TITLE_BEFORE = re.compile(r"(?<![\w.])(?:Mr|Mrs|Ms|Dr|Prof|Gen|Col|Lt|Sgt|Capt|Gov|Sen|Rep|Rev|Hon)\.$")
_NUMBERED_BEFORE = re.compile(r"(?<![\w.])(?:Fig|Figs|No|Nos|Vol|Sec|Eq)\.$")
_BLANK_LINE = re.compile(r"[ \t]*\n(?:[ \t]*\n)+[ \t]*")
# "Philip A. Nelson", "J. R. Hartley": a middle initial after a name or another initial, before a
# capitalised word that seldom opens a sentence (after "Appendix A." one does: "The ...")
_INITIAL_BEFORE = re.compile(r"(?<![\w.])(?:[A-Z][a-z]+|[A-Z]\.) [A-Z]\.$")
_LONE_INITIAL = re.compile(r"(?<![\w.])[A-Z]\.$")
_SENTENCE_OPENERS = frozenset(
    "A An And As At But By For From He Her His However If In It Its No Now Of On One Our She So Some That The "
    "Their There These They This Those Thus To We When Where While With You".split())


@dataclass(frozen=True)
class Chunk:
    """A retrievable passage: file (relative path), paragraph and line ranges, verbatim text.

    format: the document's format ("text", "markdown", "pdf", "html", "docx"); page,
    page_paragraph and heading locate the chunk's first paragraph where a format has them.
    table_header: the header row of a table the chunk continues but does not hold (its rows alone,
    "| Oslo | 709,000 |", do not say what their numbers are); context, as the heading is, not text.
    """

    id: str
    file: str
    first_paragraph: int
    last_paragraph: int
    start_line: int
    end_line: int
    start: int
    end: int
    text: str
    format: str = "text"
    page: int | None = None
    page_paragraph: int | None = None
    heading: str | None = None
    table_header: str | None = None  # last: stores read a chunk's columns in this order

    @property
    def text_hash(self) -> str:
        """The key of the chunk's vector: it covers what is embedded with the text (file name, heading
        and table header)."""
        embedded = embedding_text(self.text, self.heading, self.table_header, self.file)
        return hashlib.sha256(embedded.encode("utf-8")).hexdigest()[:16]


def embedding_text(text: str, heading: str | None, table_header: str | None = None, file: str | None = None) -> str:
    """What a chunk is embedded as: the words of its file's name, its section heading, unless the
    chunk opens with it, then the header of the table it continues.

    A paragraph deep in a section rarely repeats the topic its heading names ("Default - 8MB"
    under "multipart_chunksize"), nor a short section the program its file is about (git-subtree's
    "AUTHOR" section); a question worded unlike the paragraph often names that topic. (Gold
    paragraph in the dense top 5 for 18 more of 731 questions of twelve sets with the file's name,
    in the hybrid top 5 for 5 more: bench/retrieval_types.py, all splits.)
    """
    shown = under_table_header(text, table_header)
    if heading and not _opens_with(text, heading):
        shown = f"{heading}\n{shown}"
    words = name_words(file) if file else None
    return f"{words}\n{shown}" if words else shown


def under_table_header(text: str, table_header: str | None) -> str:
    """text with the header row of the table it continues on a line above it (as the embedding,
    the model and the evidence check read a continued table's rows), or text alone."""
    return f"{table_header}\n{text}" if table_header else text


def _opens_with(text: str, heading: str) -> bool:
    """Whether heading is the chunk's first line or one of the headings it opens with (a section
    and its first subsection, "## Installation" then "### As a plugin")."""
    if text.lstrip().startswith(heading) or _is_written_heading(text.lstrip().partition("\n")[0], heading):
        return True
    for block in re.split(r"\n\s*\n", text.strip()):
        found = heading_of(block)
        if found is None:
            return False
        if found == heading:
            return True
    return False


_LOOKS_LIKE_ROW = re.compile(r"^\s*\|.*\|\s*$|\S \| \S")  # "| a | b |" (Markdown) or "a | b" (PDF, HTML, Word)
_LINE = re.compile(r"[^\n]+")
_CODE_LINE = re.compile(r"[^\n]*\S[^\n]*")  # a line with any text, its indent kept


def table_row_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """(start, end) of each line of text[start:end] that is a table's row: it reads as one, and so
    does the next or the previous line with text (one such line alone is as often a syntax's
    "no | yes | auto" as a table)."""
    return [row for table in table_runs(text, start, end) for row in table]


def table_runs(text: str, start: int = 0, end: int | None = None) -> list[list[tuple[int, int]]]:
    """The tables of text[start:end], each as the (start, end) of its rows: two or more lines with
    text, one after another (blank lines between them aside), each reading as a row of the same
    table as the line before it."""
    end = len(text) if end is None else end
    tables: list[list[tuple[int, int]]] = []
    run: list[tuple[int, int]] = []
    shape_before = None
    for match in _LINE.finditer(text, start, end):
        if not text[match.start() : match.end()].strip():
            continue
        shape = _row_shape(match.group())
        if not (run and _same_table(shape_before, shape)):
            if len(run) > 1:
                tables.append(run)
            run = []
        if shape:
            run.append(match.span())
        shape_before = shape
    if len(run) > 1:
        tables.append(run)
    return tables


_DELIMITER_ROW = re.compile(r"\s*\|?\s*:?-+:?\s*(?:\|\s*:?-+:?\s*)*\|?\s*")  # Markdown's "|---|:--:|" under a header
# A digit and no word: "709,000", "8 MB", "06:30", "2019"; not a label of letters and digits
# ("Q2", "FY24", "H1 2024").
_NUMBER_CELL = re.compile(r"(?=.*\d)(?!.*[^\W\d_]{4})(?![^\W\d_]+\d)")


def table_header(text: str, rows: list[tuple[int, int]]) -> tuple[int, int] | None:
    """The span of the row naming a table's columns: its first row, when a Markdown delimiter row
    follows it, or when none of its cells is a number (years over columns of numbers aside) and most
    rows below hold one ("| City | Population |" over "| Oslo | 709,000 |"). None when no row says what the columns are: a table
    of numbers alone, one of words alone (an option list, whose first row is an option), or one
    whose first row holds a number (a table cut off from its header, as a PDF's next page is)."""
    if len(rows) < 2:
        return None
    first, *below = rows
    if _DELIMITER_ROW.fullmatch(text[below[0][0] : below[0][1]]):
        return first
    cells = _cells(text[first[0] : first[1]])
    below_cells = [_cells(text[a:b]) for a, b in below if not _DELIMITER_ROW.fullmatch(text[a:b])]
    with_numbers = sum(any(_NUMBER_CELL.match(cell) for cell in row) for row in below_cells)
    if any(cells) and _names_columns(cells, below_cells) and 2 * with_numbers >= len(below_cells) > 0:
        return first
    return None


_YEAR = re.compile(r"(1[89]|20)\d\d")


def _names_columns(cells: list[str], below: list[list[str]]) -> bool:
    """Whether a first row's cells name columns: none is a number, or those that are are years over
    columns of other numbers ("| Segment | 2024 | 2025 |" over "| Retail | 4.2 | 4.6 |"), not a row
    of data cut off from its header ("| Oslo | 2019 | opened |" over "| Bergen | 2020 | closed |")."""
    numbers = [j for j, cell in enumerate(cells) if _NUMBER_CELL.match(cell)]
    if len(numbers) == len(cells) or not all(_YEAR.fullmatch(cells[j]) for j in numbers):
        return not numbers
    return all(2 * sum(j < len(row) and bool(_NUMBER_CELL.match(row[j])) and not _YEAR.fullmatch(row[j]) for row in below)
               >= len(below) for j in numbers)


def headed_tables(
    text: str, start: int = 0, end: int | None = None
) -> list[tuple[tuple[int, int], list[tuple[int, int]]]]:
    """The span of each table's header row in text[start:end], with the spans of its rows (the
    header's among them), for the tables whose header table_header recognises."""
    found = []
    for rows in table_runs(text, start, end):
        header = table_header(text, rows)
        if header is not None:
            found.append((header, rows))
    return found


def header_above(text: str, position: int, carried: str | None = None) -> str | None:
    """The header row of the table whose row holds text[position]: the header `carried` for the
    table a chunk continues (its first rows), else the table's own when table_header recognises
    it. None for text that is no table row, a header row itself, or a table without a header."""
    shown = under_table_header(text, carried)
    at = position + len(shown) - len(text)
    for rows in table_runs(shown):
        if rows[0][0] <= at < rows[-1][1]:
            header = rows[0] if carried and rows[0][0] == 0 else table_header(shown, rows)
            if header is None or at < header[1]:
                return None
            return shown[header[0] : header[1]].strip()
    return None


def _cells(row: str) -> list[str]:
    """A row's cells, stripped: apart by "|" ("| a | b |", "a | b") or by a column gap."""
    if "|" in row:
        return [cell.strip() for cell in row.strip().strip("|").split("|")]
    return [cell.strip() for cell in COLUMN_GAP.split(row.strip())]


def _row_shape(line: str) -> tuple[str, frozenset[int]] | None:
    """How a line reads as a table's row: ("pipes", {}) for cells apart by "|", ("tabs", {cells})
    for tab-separated cells, ("spaces", {where its columns start}) for columns aligned by spaces;
    None for a line that is no row."""
    if "|" in line and _LOOKS_LIKE_ROW.search(line):  # "in" first: a line can be megabytes
        return "pipes", frozenset()
    if "   " not in line and "\t" not in line:
        return None  # no gap of three spaces or a tab: no columns
    gaps = list(COLUMN_GAP.finditer(line))
    if not gaps:
        return None
    if any("\t" in gap.group(0) for gap in gaps):
        return "tabs", frozenset({len(gaps)})
    return "spaces", frozenset(gap.end() for gap in gaps)


def _same_table(above: tuple[str, frozenset[int]] | None, below: tuple[str, frozenset[int]] | None) -> bool:
    """Whether two lines are rows of one table: both with pipes, as many tab-separated cells, or
    most columns of one starting where columns of the other do (a justified line's wide spaces
    fall anywhere)."""
    if above is None or below is None or above[0] != below[0]:
        return False
    if above[0] == "spaces":
        fewer, more = sorted((above[1], below[1]), key=len)
        lined_up = sum(any(start + shift in more for shift in (-1, 0, 1)) for start in fewer)
        return 2 * lined_up >= len(fewer) + 1  # most of its columns: a wide space lines up by chance now and then
    return above[1] == below[1]


def sentence_spans(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int]]:
    """Sentence (start, end) offsets within text[start:end]; a paragraph's end ends a sentence (a
    title or a bullet ends in no full stop), a table's row is a sentence of its own
    (its cells end in no full stop, so the next row would run on into it), and a heading's
    underline or a ruler ("=====") parts the sentences around it and is in none (a quote showed
    "man-db 2.11.1 (15 November 2022) ===== Build: ...")."""
    end = len(text) if end is None else end
    cuts: list[tuple[int, int]] = []  # (where a sentence ends, where the next begins)
    for match in _SENTENCE_END.finditer(text, start, end):
        before = max(start, match.start() - 6), match.start()
        numbered = text[match.end()].isdigit() and _NUMBERED_BEFORE.search(text, *before)
        if _TITLE_BEFORE.search(text, *before) or numbered or _is_initial(text, match.start(), match.end()):
            continue
        cuts.append((match.end(1), match.end()))
    for row_start, row_end in table_row_spans(text, start, end):
        cuts.extend(((row_start, row_start), (row_end, row_end)))
    for gap in _BLANK_LINE.finditer(text, start, end):  # a paragraph's end ends its last sentence
        cuts.append((gap.start(), gap.end()))
    for rule in RULE_LINE.finditer(text, start, end):  # a heading's underline: no sentence's words
        before = rule.start()
        while before > start and text[before - 1].isspace():
            before -= 1
        cuts.append((before, rule.end()))
    spans = []
    cursor = start
    for cut, following in sorted(cuts):
        if cut > cursor:
            spans.append((cursor, cut))
        cursor = max(cursor, following)
        while cursor < end and text[cursor].isspace():  # after a row's line break
            cursor += 1
    if cursor < end:
        spans.append((cursor, end))
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if not text[a:b].strip():
            continue
        if merged and _SECTION_LABEL.fullmatch(text[merged[-1][0] : merged[-1][1]]):
            a = merged.pop()[0]  # "5.3." numbers the sentence after it: one sentence with it
        merged.append((a, b))
    return merged


def _units(document: Document, paragraph: Paragraph) -> list[tuple[int, int]]:
    """What a long paragraph is cut between: its sentences, or a code block's lines (a full stop
    inside code ends no sentence: a passage ended inside a string, "print('Whoops!")."""
    if paragraph.number in document.code_paragraphs:
        return [m.span() for m in _CODE_LINE.finditer(document.text, paragraph.start, paragraph.end)]
    return sentence_spans(document.text, paragraph.start, paragraph.end)


def _is_initial(text: str, after_stop: int, following: int) -> bool:
    """Whether the full stop before text[after_stop] ends a name's initial ("Philip A. Nelson"), not a
    sentence: a sentence cut there was quoted as "Author: Philip A." and answered "Philip A. [1]
    Nelson. [1]"."""
    before_another = re.match(r"[A-Z]\.\s", text[following : following + 3])
    if before_another and _LONE_INITIAL.search(text, max(0, after_stop - 3), after_stop):
        return True  # "J. R. Hartley": an initial before another
    if not _INITIAL_BEFORE.search(text, max(0, after_stop - 24), after_stop):
        return False
    word = re.match(r"[A-Z][a-z]+", text[following : following + 20])
    return word is not None and word.group(0) not in _SENTENCE_OPENERS


def _word_count(text: str) -> int:
    return len(text.split())


def max_chars(settings: ChunkSettings) -> int:
    """The most characters a chunk holds: CHUNK_CHARS_PER_WORD for each word of settings.max_words."""
    return max(CHUNK_CHARS_PER_WORD * settings.max_words, MIN_CHUNK_CHARS)


def is_lead_in(text: str) -> bool:
    """A title, byline or "X said:" line: short and not ending a sentence."""
    return _word_count(text) <= TITLE_MAX_WORDS and not _ENDS_SENTENCE.search(text)


def _group_short_paragraphs(document: Document, min_words: int) -> list[list[Paragraph]]:
    """Merge short paragraphs, lead-ins and a title-like first paragraph into the next one
    (the last into the previous).

    Short text is not carried into the next section: a chunk that began under one heading and
    held the next section's paragraphs would cite the first heading for them. It joins the
    group before it in its own section, or stands alone.
    """
    groups: list[list[Paragraph]] = []
    pending: list[Paragraph] = []
    words = 0  # in pending, counted as they come (a sheet's rows, all lead-ins, are one group of thousands)
    whole = _in_short_entries(document)
    inside_cells = _inside_cells(document)
    for paragraph in document.paragraphs:
        if pending and paragraph.heading != pending[-1].heading and _has_text(document, pending):
            _close(groups, pending, document, min_words)
            pending, words = [], 0
        text = document.paragraph_text(paragraph)
        if signs_off(text):
            _signed_off(groups, pending, paragraph)
            pending, words = [], 0
            continue
        if _introduces(text) and _has_introduced(document, pending, min_words):  # the next example: the last one is whole
            groups.append(pending)
            pending, words = [], 0
        pending.append(paragraph)
        words += _word_count(text)
        leads_in = ((is_lead_in(text) and not _is_cell_code(document, paragraph))
                    or paragraph.number in document.lead_in_paragraphs)
        if (words >= min_words and not leads_in and not _introduces(text)
                and not _is_title(document, paragraph) and paragraph.number not in whole
                and paragraph.number not in inside_cells):
            groups.append(pending)
            pending, words = [], 0
    if pending:
        if groups and not _has_text(document, pending):
            groups[-1].extend(pending)  # a heading that ends the document
        else:
            _close(groups, pending, document, min_words)
    return groups


def _inside_cells(document: Document) -> frozenset[int]:
    """A notebook's paragraphs that a paragraph of the same cell follows: a passage ends with a
    cell, so a cell's code and its output are not parted ("print(...)" in one passage, "DONE
    checkpoint saved" in the next)."""
    if document.format != "notebook":
        return frozenset()
    paragraphs = document.paragraphs
    return frozenset(p.number for p, after in zip(paragraphs, paragraphs[1:]) if p.page == after.page)


def _is_cell_code(document: Document, paragraph: Paragraph) -> bool:
    """A notebook's code or output: short and ending no sentence, it read as a lead-in, so a
    notebook's run of short cells after a long training log all joined the log's last passage,
    where its facts ("Out[8]: {'top5': 0.9951}") were not found (tester-s53 M-g)."""
    return document.format == "notebook" and paragraph.number in document.code_paragraphs


def _introduces(text: str) -> bool:
    """A paragraph ending in a colon introduces what follows, so a passage does not end with it:
    "For instance, you can ask for a valid integer:" ended a passage whose example began the next
    (223 passages of Click's and Flask's docs)."""
    return text.rstrip().endswith(":")


def _has_introduced(document: Document, pending: list[Paragraph], min_words: int) -> bool:
    """Whether pending holds a paragraph that introduces and what it introduced, min_words in all:
    a short example between two introductions is the first's, not a lead-in to the second (an
    "Example:" over one line of code is still too little to stand alone)."""
    texts = [document.paragraph_text(p) for p in pending]
    return any(_introduces(t) for t in texts[:-1]) and sum(map(_word_count, texts)) >= min_words


SHORT_ENTRY_WORDS = 40  # a changelog entry of its version line, a few bullets and its trailer


def _in_short_entries(document: Document) -> frozenset[int]:
    """The paragraphs of changelog entries of at most SHORT_ENTRY_WORDS, kept one passage: a
    bullet ending in a full stop had cut "gstreamer1.0 (1.20.3-1) ..." from its trailer, who
    uploaded it and when. A longer entry's paragraphs are passages of their own (OpenSSH's
    NEWS.Debian, entries of 42 to 400 words, kept whole answered 4 questions worse)."""
    runs: dict[str, list[Paragraph]] = {}
    for paragraph in document.paragraphs:
        if paragraph.heading and opens_changelog_entry(paragraph.heading):
            runs.setdefault(paragraph.heading, []).append(paragraph)
    return frozenset(p.number for run in runs.values()
                     if sum(_word_count(document.paragraph_text(p)) for p in run) <= SHORT_ENTRY_WORDS for p in run)


# " -- Jeremy Bicha <jbicha@ubuntu.com>  Sat, 28 Jan 2023 11:11:15 -0500": a Debian changelog
# entry's trailer; or a mail's "-- " signature delimiter on a line of its own
_SIGN_OFF = re.compile(r"[ \t]*--[ \t]+\S[^\n]*<[^<>@\s]+@[^<>\s]+>|[ \t]*-- ?\n")


def signs_off(text: str) -> bool:
    """Whether a paragraph closes the text above it: a changelog entry's trailer naming who
    uploaded it and when, or a mail's signature. It is short and ends no sentence, so it read
    as a lead-in of the next paragraph: each passage paired one entry's version with the entry
    before's date and uploader."""
    return _SIGN_OFF.match(text) is not None and _word_count(text) <= TITLE_MAX_WORDS


def _signed_off(groups: list[list[Paragraph]], pending: list[Paragraph], paragraph: Paragraph) -> None:
    """Close pending (the entry the sign-off ends) with it, or the group before it in its section."""
    if pending:
        groups.append([*pending, paragraph])
    elif groups and groups[-1][-1].heading == paragraph.heading:
        groups[-1].append(paragraph)
    else:
        groups.append([paragraph])


def _is_title(document: Document, paragraph: Paragraph) -> bool:
    """A short first paragraph, under no heading but its own: text under a heading it is not (a
    workbook's first row, under its sheet's name) is that section's, not the document's title."""
    return (paragraph.number == 1 and _word_count(document.paragraph_text(paragraph)) <= FIRST_TITLE_MAX_WORDS
            and (paragraph.heading is None or is_heading(document, paragraph)))


def _has_text(document: Document, paragraphs: list[Paragraph]) -> bool:
    """Whether any of paragraphs is text of its section, not a heading or the document's title: a
    lead-in that ends its section ("Contact:", "Address of the mill: ...") closes with it, or the
    next section's text would be cited under this section's heading."""
    return any(not is_heading(document, p) and not _is_title(document, p) for p in paragraphs)


def _close(groups: list[list[Paragraph]], short: list[Paragraph], document: Document, min_words: int) -> None:
    """Put short text that ends its section after the group before it, when that group is in the same
    section, unless it is an introduction and what it introduced (an example ending the section)."""
    if groups and groups[-1][-1].heading == short[0].heading and not _has_introduced(document, short, min_words):
        groups[-1].extend(short)
    else:
        groups.append(short)


def _word_windows(text: str, span: tuple[int, int], max_words: int) -> list[tuple[int, int]]:
    """A sentence longer than max_words cut into runs of max_words words (a transcript or a table
    row with no full stop would otherwise be one chunk whose end the embedding never sees)."""
    run = re.compile(rf"\S+(?:\s+\S+){{0,{max_words - 1}}}")  # up to max_words words; re caches it
    windows = [m.span() for m in run.finditer(text, *span)]  # no copy of the sentence, no list of its words
    return windows if len(windows) > 1 else [span]


_SPACES = re.compile(r"\s*")
_TO_LAST_SPACE = re.compile(r"(?s).*\S(?=\s)")  # matched from a point: up to the last word's end before a space
_TO_LAST_MARK = re.compile(r"(?s).*[^\w\s]")  # up to and with the last punctuation mark ("/", "," or "。")
_CUT_REACH = 4  # a soft cut is looked for in the last quarter of the limit: no cut piece is shorter than 3/4 of it


def _char_windows(text: str, span: tuple[int, int], limit: int) -> list[tuple[int, int]]:
    """A span longer than limit characters cut into consecutive spans of at most limit: each ends
    at the last space near the limit (the space itself left out, as between words), else after the
    last punctuation mark near it, else at the limit. Each cut looks at no more than limit + 1
    characters, so a span of any length is cut in time linear in it."""
    start, end = span
    if end - start <= limit:
        return [span]
    windows = []
    while end - start > limit:
        reach = start + limit - limit // _CUT_REACH
        space = _TO_LAST_SPACE.match(text, reach, start + limit + 1)
        if space:
            cut = space.end()
        else:
            mark = _TO_LAST_MARK.match(text, reach, start + limit)
            cut = mark.end() if mark else start + limit
        windows.append((start, cut))
        start = _SPACES.match(text, cut, end).end()
    if start < end:
        windows.append((start, end))
    return windows


def _pack_sentences(
    text: str, sentences: list[tuple[int, int]], max_words: int, overlap: int, limit: int | None = None
) -> list[tuple[int, int]]:
    """Greedy runs of whole sentences under max_words (and spanning at most limit characters),
    neighbours sharing `overlap` sentences, but for a table's row: a long table's next chunk
    carries its header row instead, and a row in two chunks was cited twice."""
    pieces: list[tuple[int, int]] = []
    first = 0
    while first < len(sentences):
        last = first
        words = _word_count(text[sentences[first][0] : sentences[first][1]])
        while last + 1 < len(sentences):
            if limit is not None and sentences[last + 1][1] - sentences[first][0] > limit:
                break
            more = _word_count(text[sentences[last + 1][0] : sentences[last + 1][1]])
            if words + more > max_words:
                break
            words += more
            last += 1
        pieces.append((sentences[first][0], sentences[last][1]))
        if last + 1 >= len(sentences):
            break
        first = max(first + 1, last + 1 - (0 if _is_row_line(text, *sentences[last]) else overlap))
    return pieces


def _is_row_line(text: str, start: int, end: int) -> bool:
    """Whether text[start:end] is a whole line that reads as a table's row (a sentence of prose
    with a gap of spaces in it is none)."""
    whole = (start == 0 or text[start - 1] == "\n") and (end == len(text) or text[end] == "\n")
    return whole and _row_shape(text[start:end]) is not None


class _LineIndex:
    """Maps character offsets of one document to 1-based line numbers."""

    def __init__(self, text: str) -> None:
        self._starts = [0] + [m.end() for m in re.finditer("\n", text)]

    def line_of(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


class _TableHeaders:
    """The header rows of one document's tables, found the first time a chunk starts on a row (most
    documents have no table to look for). A table ends where the heading changes: a workbook's
    sheets, each under its name, follow one another with no line between them that is not a row,
    and a sheet's rows are not the table of the sheet before it."""

    def __init__(self, document: Document) -> None:
        self._document = document
        self._text = document.text
        self._tables: list[tuple[int, int, str]] | None = None  # (header start, last row's end, header)

    def continued(self, start: int, end: int) -> str | None:
        """The header row of the table that the chunk text[start:end] continues: it starts after
        that header and before the table's end, and holds no copy of the header (a PDF repeats it
        on every page)."""
        line_end = self._text.find("\n", start)
        if _row_shape(self._text[start : line_end if line_end >= 0 else len(self._text)]) is None:
            return None
        if self._tables is None:
            self._tables = self._headed_tables()
        at = bisect.bisect_left(self._tables, (start,)) - 1
        if at < 0 or start >= self._tables[at][1]:
            return None
        header = self._tables[at][2]
        return header if self._text.find(header, start, end) < 0 else None

    def _headed_tables(self) -> list[tuple[int, int, str]]:
        return [(header[0], rows[-1][1], self._text[header[0] : header[1]].strip())
                for start, end in self._sections() for header, rows in headed_tables(self._text, start, end)]

    def _sections(self) -> Iterator[tuple[int, int]]:
        """(start, end) of each run of paragraphs under one heading (the whole text when it has none)."""
        paragraphs = self._document.paragraphs
        if not paragraphs:
            return
        first = paragraphs[0]
        for before, after in zip(paragraphs, paragraphs[1:]):
            if after.heading != before.heading:
                yield first.start, before.end
                first = after
        yield first.start, len(self._text)


def is_heading(document: Document, paragraph: Paragraph) -> bool:
    """Whether the paragraph is the heading it sits under (an underlined or "#" title, or a
    reader's heading block), not text of its section: the first paragraph under that heading,
    and its text is the heading's."""
    heading = paragraph.heading
    before = document.paragraphs[paragraph.number - 2] if paragraph.number > 1 else None
    if not heading or (before is not None and before.heading == heading):
        return False
    own = document.paragraph_text(paragraph).strip()  # only now: a paragraph can be megabytes
    return (own == heading or own.lstrip("#").strip() == heading or (heading_of(own) == heading and _title_only(own))
            or (document.format == "markdown" and _is_written_heading(own, heading)))


def _title_only(paragraph: str) -> bool:
    """Whether a paragraph heading_of titles holds nothing but its title and rules: a manual page's
    "COPYRIGHT" over its indented text is that section's text too, and a short section so written
    had joined the next one under its own heading."""
    return sum(1 for line in paragraph.split("\n") if line.strip() and not UNDERLINE_RULE.match(line)) <= 1


def _is_written_heading(own: str, heading: str) -> bool:
    """Whether a Markdown paragraph is heading as written, inline markup and all: its block keeps
    the markup ("`rag index` with *bold*"), its heading is the words ("rag index with bold")."""
    from rag.readers.markdown import heading_words

    return len(heading) <= len(own) <= MAX_WRITTEN_HEADING and heading_words(own) == heading


def document_title(document: Document) -> str | None:
    """The heading that is the document's first paragraph, if any: a title, not a section (but
    a changelog's first entry, a section as the others are)."""
    if document.paragraphs and is_heading(document, document.paragraphs[0]):
        heading = document.paragraphs[0].heading
        return None if heading and opens_changelog_entry(heading) else heading
    return None


def _section(
    document: Document, paragraphs: list[Paragraph], title: str | None, headings: dict[int, bool]
) -> str | None:
    """The heading a chunk's text sits under: that of its first paragraph that is not itself a
    heading (an empty section's heading leads into the next section), never the document's title.
    headings remembers is_heading by paragraph number (a paragraph cut into thousands of chunks is
    read once)."""
    def heads(p: Paragraph) -> bool:
        if p.number not in headings:
            headings[p.number] = is_heading(document, p)
        return headings[p.number]

    heading = next((p.heading for p in paragraphs if not heads(p)), paragraphs[0].heading)
    return heading if heading != title else None


def chunk_document(document: Document, settings: ChunkSettings) -> list[Chunk]:
    """Chunks of one document, in reading order."""
    lines = _LineIndex(document.text)
    by_paragraph = document.format in PARAGRAPH_LINE_FORMATS  # lines of the file, not of the extracted text
    title = document_title(document)
    headings: dict[int, bool] = {}
    tables = _TableHeaders(document)
    limit = max_chars(settings)
    chunks = []
    for group in _group_short_paragraphs(document, settings.min_words):
        start, end = group[0].start, group[-1].end
        if end - start <= limit and _word_count(document.span(start, end)) <= settings.max_words:
            spans = [(start, end)]
        else:
            sentences = [
                piece
                for p in group
                for s in _units(document, p)
                for words in _word_windows(document.text, s, settings.max_words)
                for piece in _char_windows(document.text, words, limit)
            ]
            spans = _pack_sentences(
                document.text, sentences, settings.max_words, settings.overlap_sentences, limit
            )
        for piece, (a, b) in enumerate(spans, start=1):
            inside = [p for p in group if p.start < b and a < p.end]
            first, last = inside[0].number, inside[-1].number
            label = f"p{first}" if first == last else f"p{first}-{last}"
            if len(spans) > 1:
                label += f".{piece}"
            chunks.append(
                Chunk(
                    id=f"{document.path}#{label}",
                    file=document.path,
                    first_paragraph=first,
                    last_paragraph=last,
                    start_line=inside[0].start_line if by_paragraph else lines.line_of(a),
                    end_line=inside[-1].end_line if by_paragraph else lines.line_of(b - 1),
                    start=a,
                    end=b,
                    text=document.span(a, b),
                    format=document.format,
                    page=inside[0].page,
                    page_paragraph=inside[0].page_paragraph,
                    heading=_section(document, inside, title, headings),
                    table_header=tables.continued(a, b),
                )
            )
    return chunks
