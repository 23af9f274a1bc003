import dataclasses
import re
from pathlib import Path

import pytest

from documents import write_stock_pdf
from rag.chunking import (
    Chunk, chunk_document, embedding_text, header_above, max_chars, sentence_spans, table_header, table_runs,
)
from rag.config import ChunkSettings
from rag.corpus import Document, read_document, split_paragraphs
from rag.file_labels import name_words


def document(text: str) -> Document:
    return Document("doc.txt", text, "hash", split_paragraphs(text))


def test_title_merges_into_the_next_paragraph() -> None:
    text = "A Title Without A Full Stop\n\n" + "Body sentence here. " * 5 + "\n"
    chunks = chunk_document(document(text), ChunkSettings(max_words=100, min_words=8))
    assert len(chunks) == 1
    assert (chunks[0].first_paragraph, chunks[0].last_paragraph, chunks[0].start_line, chunks[0].end_line) == (1, 2, 1, 3)
    assert chunks[0].id == "doc.txt#p1-2"


def test_a_chunk_is_embedded_under_its_heading_unless_it_opens_with_it() -> None:
    text = "S3 configuration\n================\n\nThese values are optional for every S3 transfer command.\n\n" + (
        "multipart_chunksize\n-------------------\n\n" + "Once the S3 commands split a file, each part has this size. " * 2
        + "\n\n" + "The default value is eight megabytes for every transfer. " * 2 + "\n"
    )
    intro, first, second = chunk_document(document(text), ChunkSettings(max_words=30, min_words=8))
    assert intro.heading is None  # the document's title is the same for every chunk: not a section
    assert first.heading == second.heading == "multipart_chunksize"
    assert embedding_text(first.text, first.heading) == first.text
    assert embedding_text(second.text, second.heading) == "multipart_chunksize\n" + second.text
    assert second.text_hash != dataclasses.replace(second, heading=None).text_hash  # a new heading is embedded anew


@pytest.mark.parametrize(
    ("file", "label"),
    [
        ("man/git-subtree.txt", "git subtree"),
        ("sklearn-breast_cancer.rst", "sklearn breast cancer"),
        ("awscli-s3-config.rst", "awscli s3 config"),
        ("Annual report 2024.docx", "Annual report 2024"),
        ("000_4e5ac2a29323691a.txt", None),  # a digest names nothing
        ("10365749.txt", None),
        ("a1.md", None),
    ],
)
def test_a_chunk_is_embedded_under_the_words_of_its_files_name(file: str, label: str | None) -> None:
    # a short section ("AUTHOR") never names the program its file is about; a question does
    assert name_words(file) == label
    text = "Written by Avery Pennarun."
    assert embedding_text(text, "AUTHOR", None, file) == (f"{label}\nAUTHOR\n{text}" if label else f"AUTHOR\n{text}")


def test_a_headline_is_not_embedded_with_every_paragraph_of_its_article() -> None:
    text = "# Kerry announces clarity with Russia\n\n" + "Kerry and Lavrov spoke for nine hours in Geneva. " * 3 + "\n"
    chunks = chunk_document(document(text), ChunkSettings(max_words=100, min_words=8))
    assert [c.heading for c in chunks] == [None]


def test_short_text_ending_a_section_is_not_cited_under_it_for_the_next_section() -> None:
    body = "The daemon reads its settings once at start and keeps them until it is restarted. "
    text = (
        "# Manual\n\nIntroduction to the daemon for every reader of this manual, old and new.\n\n"
        f"## Settings\n\n{body}\n\nSee below.\n\n## Logging\n\nLogs rotate every night at two and are kept for a week.\n\n"
        "## Empty\n\n## Limits\n\nShort.\n\n## Security\n\nThe socket is readable by its owner only, never by others.\n"
    )
    chunks = chunk_document(document(text), ChunkSettings(max_words=100, min_words=8))
    by_heading = {c.heading: c.text for c in chunks}
    assert by_heading["Settings"].endswith("See below.")  # joins its own section's paragraph before it
    assert by_heading["Logging"].startswith("## Logging")
    assert by_heading["Limits"].startswith("## Empty")  # an empty section's heading still leads on
    assert by_heading["Limits"].endswith("Short.")  # alone: no paragraph of its own section before it
    assert by_heading["Security"].startswith("## Security")


def test_a_lead_in_ending_its_section_and_a_short_last_section_stay_in_their_sections() -> None:
    text = ("# Restoring the mill\n\n## Clearing\n\nVolunteers removed forty-two tonnes of mud by hand in the first summer.\n\n"
            "Address of the mill: Mill Lane 4 Lower Ashby\n\n## Timber\n\n"
            "The new wheel needed oak that had seasoned for at least five years, found at a sawmill in Wales.\n\n"
            "## Hours\n\nOpen Saturdays.\n")
    chunks = chunk_document(document(text), ChunkSettings(max_words=100, min_words=8))
    assert [(c.heading, c.text.split("\n")[0], c.text.split("\n")[-1]) for c in chunks] == [
        ("Clearing", "# Restoring the mill", "Address of the mill: Mill Lane 4 Lower Ashby"),
        ("Timber", "## Timber", "The new wheel needed oak that had seasoned for at least five years, found at a sawmill in Wales."),
        ("Hours", "## Hours", "Open Saturdays."),
    ]


def test_a_section_of_short_lines_ends_at_the_next_heading() -> None:
    text = ("# Customer service guide\n\nThis guide is for staff answering customer calls and emails at the desk.\n\n"
            "## Contacts\n\n- Billing team: extension 4410\n- Returns desk: extension 4420\n\n## Refunds\n\n"
            "Refunds are paid to the original payment method within 14 days of the item reaching us.\n")
    chunks = chunk_document(document(text), ChunkSettings(max_words=100, min_words=8))
    assert [(c.heading, c.text.split("\n")[0]) for c in chunks][1:] == [("Contacts", "## Contacts"), ("Refunds", "## Refunds")]


def test_a_short_section_titled_over_its_own_text_is_not_cited_under_the_next() -> None:
    # tester-s48 M8: a manual page's "REPORTING BUGS" over one line joined "COPYRIGHT" under its own
    # heading; an AsciiDoc "NAME" with its underline and text so joined "SYNOPSIS"
    man = ("NAME\n       ls - list directory contents\n\nREPORTING BUGS\n       GNU coreutils online help.\n\n"
           "COPYRIGHT\n       Copyright 2022 Free Software Foundation, License GPLv3+: GNU GPL version 3 or later.\n")
    chunks = chunk_document(document(man), ChunkSettings(max_words=100, min_words=8))
    assert [(c.heading, c.text.split("\n")[0]) for c in chunks][-1] == ("COPYRIGHT", "COPYRIGHT")
    assert not any("REPORTING BUGS" in c.text and "COPYRIGHT" in c.text for c in chunks)
    asciidoc = "NAME\n----\ngit-subtree - Merge subtrees\n\nSYNOPSIS\n--------\ngit subtree add --prefix=<prefix> <commit>\n"
    chunks = chunk_document(document(asciidoc), ChunkSettings(max_words=100, min_words=8))
    assert [c.heading for c in chunks] == ["NAME", "SYNOPSIS"]
    # a table's header in capitals, and an indented label, head nothing (M9)
    table = "REVENUE     COSTS     PROFIT\n    1200      800       400\n\nThe plan was approved by both reviewers on 3 May.\n"
    assert all(p.heading is None for p in split_paragraphs(table))
    label = "Setup\n=====\n\n    NOTE\n        Run it as root.\n\nThe daemon starts at boot.\n"
    assert [p.heading for p in split_paragraphs(label)] == ["Setup", "Setup", "Setup"]


def test_a_chunk_under_nested_reader_headings_is_cited_under_the_innermost() -> None:
    from rag.corpus import _from_blocks
    from rag.readers import Block, ReadResult

    blocks = (Block("Annual report", None, "Annual report", "heading"),
              Block("This report summarises the company's year, ending in December, for its owners.", None, "Annual report"),
              Block("People", None, "People", "heading"), Block("Hiring", None, "Hiring", "heading"),
              Block("The company hired 57 new engineers, most of them in the Lisbon and Porto offices.", None, "Hiring"))
    chunks = chunk_document(_from_blocks("report.html", "hash", ReadResult("html", blocks)), ChunkSettings(max_words=100, min_words=8))
    assert [(c.heading, c.text.split("\n")[0]) for c in chunks][1:] == [("Hiring", "People")]


def test_long_paragraph_splits_at_sentences_with_overlap() -> None:
    sentences = [f"Sentence number {i} has exactly seven words." for i in range(10)]
    text = " ".join(sentences) + "\n"
    chunks = chunk_document(document(text), ChunkSettings(max_words=21, min_words=3, overlap_sentences=1))
    assert [c.id for c in chunks][:2] == ["doc.txt#p1.1", "doc.txt#p1.2"]
    assert chunks[0].text == " ".join(sentences[:3])
    assert chunks[1].text.startswith(sentences[2])
    assert all(c.text in text for c in chunks)
    assert chunks[-1].text.endswith(sentences[-1])


def test_a_long_code_block_is_cut_between_its_lines(tmp_path: Path) -> None:
    code = "\n".join(f"    print('Step {i} failed! Problem: the value was {i}.', file=sys.stderr)" for i in range(40))
    (tmp_path / "guide.md").write_text(f"# Logging\n\nThe worker reports its progress.\n\n```python\n{code}\n```\n")
    document, _ = read_document(tmp_path, tmp_path / "guide.md")
    chunks = chunk_document(document, ChunkSettings(max_words=120, min_words=3, overlap_sentences=1))
    pieces = [c.text for c in chunks if "print(" in c.text]
    assert len(pieces) > 2
    assert all(re.fullmatch(r"(?:```python\n)?(?: {4}print\('Step \d+ [^\n]*\n?)+(?:```)?", p) for p in pieces)


def test_a_paragraph_ending_in_a_colon_is_read_with_what_it_introduces() -> None:
    # "For instance, you can ask for a valid integer:" ended a passage; its example began the next one,
    # led into the next introduction and its example (tester-s52 M2)
    first = ("To manually ask for user input, you can use the prompt function. By default it accepts any "
             "string, but you can ask for any other type. For instance, you can ask for a valid integer:\n\n"
             "    value = prompt('Please enter a valid integer', type=int)\n")
    second = ("Additionally, the type will be determined automatically if a default value is supplied. "
              "For example, the following will only accept floats:\n\n    value = prompt('Please enter a number', default=42.0)\n")
    chunks = chunk_document(document(f"{first}\n{second}"), ChunkSettings(max_words=100, min_words=8))
    assert [c.text for c in chunks] == [first.rstrip("\n"), second.rstrip("\n")]


def test_sentence_spans_keep_quotes_and_abbreviation_numbers() -> None:
    text = 'He said "stop." Then 5 1/2 years passed. Done'
    assert [text[a:b] for a, b in sentence_spans(text)] == ['He said "stop."', "Then 5 1/2 years passed.", "Done"]


def test_a_sentence_longer_than_a_chunk_is_cut_into_word_runs() -> None:
    from rag.corpus import Document, split_paragraphs

    settings = dataclasses.replace(ChunkSettings(), max_words=100)
    text = " ".join(f"w{i}" for i in range(250)) + "\n"
    chunks = chunk_document(Document("row.txt", text, "x", split_paragraphs(text)), settings)
    assert [len(c.text.split()) for c in chunks] == [100, 100, 50]
    assert chunks[1].text.startswith("w100 ") and chunks[-1].text.endswith("w249")


def test_a_section_number_is_one_sentence_with_the_sentence_it_numbers() -> None:
    text = "5.3. In the event of termination under Sections 5.1 or 5.2, the licences survive. 2) Run it. It costs 5.3. Then more."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "5.3. In the event of termination under Sections 5.1 or 5.2, the licences survive.",
        "2) Run it.",
        "It costs 5.3.",
        "Then more.",
    ]


def test_a_title_or_a_numbered_abbreviation_ends_no_sentence() -> None:
    text = ("The site manager, Dr. Ingrid Solberg, keeps the key. See Fig. 3 for the gate. He said No. Then he left. "
            "It was signed by Martin Luther King Jr. He died in 1968.")
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "The site manager, Dr. Ingrid Solberg, keeps the key.", "See Fig. 3 for the gate.", "He said No.", "Then he left.",
        "It was signed by Martin Luther King Jr.", "He died in 1968.",
    ]


def test_a_headings_underline_is_in_no_sentence() -> None:
    # a quote had shown "man-db 2.11.1 (15 November 2022) ===== Build: ..." (tester-s49 L2)
    text = "man-db 2.11.1 (15 November 2022)\n================================\n\nBuild:\n  * Require C99.\n\nMore. Text."
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "man-db 2.11.1 (15 November 2022)", "Build:\n  * Require C99.", "More.", "Text."]


def test_a_paragraphs_end_ends_its_sentence() -> None:
    # a changelog's bullet, ending in no full stop, ran on into the trailer below it in a quote (tester-s49 L7)
    text = "Keeping cells under control\n\nCellular senescence is a stress response. It stops growth.\n\n  * Fix overflow (CVE-1)\n\n -- Ann <a@b.org>  Fri"
    assert [text[a:b].strip() for a, b in sentence_spans(text)] == [
        "Keeping cells under control", "Cellular senescence is a stress response.", "It stops growth.",
        "* Fix overflow (CVE-1)", "-- Ann <a@b.org>  Fri"]


def test_a_name_with_a_middle_initial_is_one_sentence() -> None:
    text = ("Program: GNU bc Author: Philip A. Nelson Email: phil@example.org. Written by J. R. Hartley. "
            "See Appendix A. The table lists it.")
    assert [text[a:b] for a, b in sentence_spans(text)] == [
        "Program: GNU bc Author: Philip A. Nelson Email: phil@example.org.", "Written by J. R. Hartley.",
        "See Appendix A.", "The table lists it."]


CHANGELOG = """gstreamer1.0 (1.22.0-2) unstable; urgency=medium

  * Non-maintainer upload by the Security Team.
  * allocator: Avoid integer overflow when allocating sysmem (CVE-2024-47606)

 -- Salvatore Bonaccorso <carnil@debian.org>  Fri, 13 Dec 2024 06:13:42 +0100

gstreamer1.0 (1.20.3-1) unstable; urgency=medium

  * New upstream bugfix release

 -- Sebastian Dröge <slomo@debian.org>  Thu, 16 Jun 2022 12:00:00 +0300

gstreamer1.0 (1.20.2-1) unstable; urgency=medium

  * New upstream bugfix release

 -- Sebastian Dröge <slomo@debian.org>  Tue, 03 May 2022 10:00:00 +0300
"""


def test_a_changelog_entry_is_cited_under_its_version_with_its_own_trailer() -> None:
    # the " -- uploader  date" trailer, short and ending no sentence, had been a lead-in of the next
    # entry: each passage paired a version with the entry before's date and uploader
    chunks = chunk_document(document(CHANGELOG), ChunkSettings())
    assert [c.heading for c in chunks] == [line for line in CHANGELOG.splitlines() if "urgency" in line]  # the first no title
    entries = [entry.strip() for entry in re.split(r"(?<=00)\n\n", CHANGELOG)]
    assert [c.text for c in chunks] == entries  # short entries whole, a bullet's full stop or not
    longer = CHANGELOG.replace("Security Team.", "Security Team. " + "It fixes a sysmem overflow. " * 6)
    first, second, *_ = chunk_document(document(longer), ChunkSettings())  # a longer entry's paragraphs are passages
    assert first.text.endswith("overflow.") and second.text.endswith("+0100") and first.heading == second.heading


BLOB_BODY = "".join("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"[i * 7 % 64] for i in range(100_000))
BLOB_TEXT = (
    "Attachment\n\nThe certificate below is encoded in base64 and was sent with the request of 3 May.\n"
    + BLOB_BODY + "\nIt expires at the end of the year and must be renewed before then.\n\nA closing paragraph of prose.\n"
)


def test_a_line_without_spaces_is_cut_into_verbatim_spans_of_at_most_the_cap() -> None:
    settings = ChunkSettings()
    chunks = chunk_document(document(BLOB_TEXT), settings)
    limit = max_chars(settings)
    assert limit == 6400 and all(len(c.text) <= limit for c in chunks)
    assert all(c.text == BLOB_TEXT[c.start : c.end] for c in chunks)
    assert [c.start for c in chunks] == sorted(c.start for c in chunks)
    blob_start = BLOB_TEXT.index(BLOB_BODY)
    inside = [c for c in chunks if blob_start < c.start and c.end <= blob_start + len(BLOB_BODY)]
    assert len(inside) >= 100_000 // limit - 1
    cover = "".join(BLOB_TEXT[max(c.start, blob_start) : min(c.end, blob_start + len(BLOB_BODY))]
                    for c in chunks if c.start < blob_start + len(BLOB_BODY) and blob_start < c.end)
    assert cover == BLOB_BODY  # the blob's pieces joined in order are the blob: none repeated, none lost
    covered = set()
    for c in chunks:
        covered.update(range(c.start, c.end))
    assert all(ch.isspace() for i, ch in enumerate(BLOB_TEXT) if i not in covered)  # nothing but spaces left out
    assert chunks[0].text.startswith("Attachment") and chunks[-1].text.endswith("A closing paragraph of prose.")


def test_a_line_without_spaces_is_cut_with_its_line_numbers() -> None:
    chunks = chunk_document(document(BLOB_TEXT), ChunkSettings())
    for c in chunks:
        assert (c.start_line, c.end_line) == (BLOB_TEXT.count("\n", 0, c.start) + 1, BLOB_TEXT.count("\n", 0, c.end - 1) + 1)
    blob_start = BLOB_TEXT.index(BLOB_BODY)
    blob_end = blob_start + len(BLOB_BODY)
    assert BLOB_TEXT[:blob_start].count("\n") + 1 == 4  # the blob is line 4, in paragraph 2 (lines 3-5)
    pieces = [c for c in chunks if blob_start <= c.start < blob_end]
    assert len(pieces) >= -(-len(BLOB_BODY) // 6400)
    assert all(c.start_line == 4 and c.first_paragraph == 2 for c in pieces)
    assert all((c.end_line, c.last_paragraph) == (4, 2) for c in pieces if c.end <= blob_end)
    assert (pieces[-1].end_line, pieces[-1].last_paragraph) == (7, 3)  # the blob's end runs on to the next lines
    assert (chunks[0].start_line, chunks[0].end_line) == (1, 3)


def test_a_long_line_is_cut_at_a_space_or_a_mark_near_the_cap_where_it_has_one() -> None:
    settings = ChunkSettings(max_words=400)
    words = ("x" * 3000 + " ") * 5 + "y" * 3000
    marks = ("z" * 3000 + "/") * 5 + "z" * 3000
    for line, gap in ((words, " "), (marks, "")):
        chunks = chunk_document(document(line + "\n"), settings)
        assert all(len(c.text) <= max_chars(settings) for c in chunks)
        assert gap.join(c.text for c in chunks) == line  # cut at the spaces (left out) or after the marks
        assert all(len(c.text) > 4000 for c in chunks[:-1])


def test_prose_chunks_are_the_same_as_before_the_character_cap() -> None:
    prose = (
        "Field notes on the river survey\n\n"
        "The survey team left the northern camp at dawn and walked the east bank for six hours. "
        "Water levels were lower than in any spring since the records began in 1962. "
        "Three gauging stations were found damaged by winter ice and were marked for repair. "
        "The team logged fourteen otter sightings, most of them near the old mill weir. "
        "Sediment samples were taken at every bend and sealed in numbered jars for the laboratory.\n\n"
        "Weather held.\n\n"
        "On the second day the team crossed to the west bank by the footbridge at Hollin. "
        "Dr. Amara Okafor measured flow rates at twelve points, see Fig. 4 for the readings. "
        "The readings agree with the model to within five percent at all but two points.\n\n"
        "Recommendations\n---------------\n\n"
        "Repair the three gauging stations before the autumn floods. "
        "Repeat the otter count in September with the same route and the same observers. "
        "Send the sediment jars to the county laboratory by the end of the month.\n"
    )
    doc = Document("notes.txt", prose, "hash", split_paragraphs(prose))

    def spans(max_words: int) -> list[tuple[str, int, int, int, int]]:
        return [(c.id, c.start, c.end, c.start_line, c.end_line) for c in chunk_document(doc, ChunkSettings(max_words=max_words))]

    # observed before chunks were capped in characters (PASSAGE_RULES 29)
    assert spans(400) == [("notes.txt#p1-2", 0, 448, 1, 3), ("notes.txt#p3-4", 450, 709, 5, 7), ("notes.txt#p5-6", 711, 956, 9, 12)]
    assert spans(40) == [
        ("notes.txt#p1-2.1", 0, 195, 1, 3), ("notes.txt#p2.2", 120, 279, 3, 3), ("notes.txt#p2.3", 196, 358, 3, 3),
        ("notes.txt#p2.4", 280, 448, 3, 3), ("notes.txt#p3-4.1", 450, 629, 5, 7), ("notes.txt#p4.2", 546, 709, 7, 7),
        ("notes.txt#p5-6", 711, 956, 9, 12),
    ]


HEADER = "| City | Population | Area |"
CITY_ROWS = [f"| Town {n} | {1000 * n + 7:,} | {n + 30} |" for n in range(60)]
CITY_ROWS[40] = "| Oslo | 709,000 | 454 |"


def markdown_chunks(tmp_path: Path, text: str, max_words: int) -> list[Chunk]:
    (tmp_path / "cities.md").write_text(text, encoding="utf-8")
    read, _ = read_document(tmp_path, tmp_path / "cities.md")
    assert read is not None
    return chunk_document(read, ChunkSettings(max_words=max_words))


def test_every_passage_that_continues_a_long_table_carries_its_header_row(tmp_path: Path) -> None:
    text = ("# Cities\n\nThe towns of the region, with their population and their area.\n\n"
            + "\n".join([HEADER, "|------|-----------:|-----:|", *CITY_ROWS]) + "\n\nFigures from the last census.\n")
    chunks = markdown_chunks(tmp_path, text, 80)
    first, *continued = [c for c in chunks if "| Town" in c.text]
    assert len(continued) >= 3 and first.text.startswith(HEADER) and first.table_header is None
    assert all(c.table_header == HEADER and HEADER not in c.text for c in continued)
    assert all(c.text == text[c.start : c.end] for c in chunks)  # the header is context, not the passage's text
    oslo = next(c for c in chunks if "| Oslo |" in c.text)
    assert embedding_text(oslo.text, oslo.heading, oslo.table_header) == f"{HEADER}\n{oslo.text}"
    assert oslo.text_hash != dataclasses.replace(oslo, table_header=None).text_hash
    # the passages share no row: the one after carries the header instead (a row in two was cited twice)
    rows = [row for c in [first, *continued] for row in c.text.splitlines() if row in CITY_ROWS]
    assert len(rows) == len(set(rows)) == len(CITY_ROWS)


def test_a_table_that_fits_one_passage_is_unchanged(tmp_path: Path) -> None:
    text = "\n".join([HEADER, "|---|---|---|", *CITY_ROWS[38:42]]) + "\n"
    [chunk] = markdown_chunks(tmp_path, text, 400)
    assert (chunk.text, chunk.table_header) == (text.strip(), None)
    assert embedding_text(chunk.text, chunk.heading, chunk.table_header) == chunk.text


@pytest.mark.parametrize("rows", [
    [f"| {n} | {n * n} | {n * 7} |" for n in range(1, 80)],  # numbers alone: no row names the columns
    [f"--option-{n}      sets the {n}th value" for n in range(80)],  # an option list: its first row is an option
    [f"{n * 10} | {n} kg | {n + 3}" for n in range(80)],  # a table cut off from its header (a PDF's next page)
])
def test_a_table_without_a_recognisable_header_carries_none(rows: list[str]) -> None:
    text = "\n".join(rows) + "\n"
    chunks = chunk_document(document(text), ChunkSettings(max_words=40))
    assert len(table_runs(text)) == 1 and len(chunks) > 2 and all(c.table_header is None for c in chunks)


def test_a_pdf_table_continued_on_the_next_page_carries_its_header_row_there(tmp_path: Path) -> None:
    write_stock_pdf(tmp_path / "stock.pdf", 2, 20, header_on_every_page=False)
    read, _ = read_document(tmp_path, tmp_path / "stock.pdf")
    assert read is not None
    first, *continued = chunk_document(read, ChunkSettings(max_words=40))
    assert first.table_header is None and first.text.startswith("Part number | Stock level | Reorder point")
    assert {c.page for c in continued} == {1, 2}
    assert all(c.table_header == "Part number | Stock level | Reorder point" for c in continued)


def test_a_chunk_holding_a_repeated_header_row_carries_no_copy_of_it() -> None:
    header = "Part number | Stock level | Reorder point"
    page = [header, *(f"Part {n:03d} | {100 + n} | {10 + n}" for n in range(8))]
    chunks = chunk_document(document("\n\n".join(page * 3) + "\n"), ChunkSettings(max_words=30))
    holding = [c for c in chunks if header in c.text]
    assert len(holding) == 3 and all(c.table_header is None for c in holding)
    assert all(c.table_header == header for c in chunks if c not in holding)


def test_a_table_header_is_its_first_row_when_the_table_says_so_or_it_names_columns_of_numbers() -> None:
    def header(*rows: str) -> str | None:
        text = "\n".join(rows)
        span = table_header(text, table_runs(text)[0])
        return text[span[0] : span[1]] if span else None

    assert header("| Term | Meaning |", "|---|---|", "| API | a program's interface |") == "| Term | Meaning |"
    assert header("Depot | Staff | Opens", "North | 12 | 06:30", "South | 9 | 07:00") == "Depot | Staff | Opens"
    assert header("Term | Meaning", "API | a program's interface", "CLI | a command line") is None  # words alone
    assert header("North | 12 | 06:30", "South | 9 | 07:00", "East | 4 | 08:00") is None  # data from the first row
    assert header("Segment | 2024 | 2025 | Change", "Retail | 4.2 | 4.6 | +9%", "Freight | 3.1 | 3.0 | -3%") == (
        "Segment | 2024 | 2025 | Change")  # years over columns of other numbers name them
    assert header("Oslo | 2019 | opened", "Bergen | 2020 | closed", "Molde | 2021 | 12") is None  # a year of data
    assert header("2019 | 2020", "4.2 | 4.6", "3.1 | 3.0") is None  # numbers alone


def test_header_above_names_the_header_of_a_row_of_the_chunk_or_of_the_table_it_continues() -> None:
    own = "Depot | Staff\n\nNorth | 12\n\nSouth | 9"
    assert header_above(own, own.index("South")) == "Depot | Staff"
    assert header_above(own, own.index("Depot")) is None  # the header itself
    continued = "South | 9\n\nEast | 4\n\nThe depots close on holidays."
    assert header_above(continued, continued.index("East"), "Depot | Staff") == "Depot | Staff"
    assert header_above(continued, continued.index("close"), "Depot | Staff") is None  # prose after the table
