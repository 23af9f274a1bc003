import dataclasses

from rag.chunking import chunk_document, embedding_text, sentence_spans
from rag.config import ChunkSettings
from rag.corpus import Document, split_paragraphs


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


def test_a_section_of_short_lines_ends_at_the_next_heading() -> None:
    text = ("# Customer service guide\n\nThis guide is for staff answering customer calls and emails at the desk.\n\n"
            "## Contacts\n\n- Billing team: extension 4410\n- Returns desk: extension 4420\n\n## Refunds\n\n"
            "Refunds are paid to the original payment method within 14 days of the item reaching us.\n")
    chunks = chunk_document(document(text), ChunkSettings(max_words=100, min_words=8))
    assert [(c.heading, c.text.split("\n")[0]) for c in chunks][1:] == [("Contacts", "## Contacts"), ("Refunds", "## Refunds")]


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
