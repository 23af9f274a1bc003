from rag.chunking import chunk_document, sentence_spans
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
