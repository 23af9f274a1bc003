"""End to end on a mixed folder (PDF, HTML, DOCX, Markdown, text), on an EPUB and an ODT, and on a slide deck, with the real models."""

from __future__ import annotations

import pytest

from conftest import real_engine
from documents import write_folder
from rag.pipeline import Engine
from rag.render import location

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """These tests are about where citations point in each format, so the fitted abstention
    threshold is lowered: the decision is tested in test_e2e.py (a right draft about Penryn gets
    P(answerable) 0.32 against the fitted 0.35, and would be withheld without its citations)."""
    folder = write_folder(tmp_path_factory.mktemp("mixed") / "docs")
    return real_engine(folder, tmp_path_factory.mktemp("mixed-index") / "index", threshold=0.05)


def test_answer_on_page_two_of_a_pdf_cites_page_two(engine: Engine) -> None:
    answer = engine.ask("Which company won the dredging contract?")
    assert not answer.abstained, answer
    assert "Marlow" in answer.answer
    citation = answer.citations[0]
    assert (citation.file, citation.page, citation.page_paragraph) == ("report.pdf", 2, 3)
    assert location(citation).startswith("report.pdf p.2 ¶3")
    assert citation.quote and citation.quote in citation.text


@pytest.mark.parametrize(
    ("question", "word", "file", "where"),
    [
        ("Where do the granite blocks for the breakwater come from?", "Penryn", "memo.docx", "memo.docx ¶4"),
        ("Until which month are the breakwater repairs expected to take?", "October", "news.html", "news.html ¶3"),
    ],
)
def test_answers_from_docx_and_html_cite_the_paragraph(
    engine: Engine, question: str, word: str, file: str, where: str
) -> None:
    answer = engine.ask(question)
    assert not answer.abstained, answer
    assert word in answer.answer
    assert location(answer.citations[0]).startswith(where)


@pytest.fixture(scope="module")
def book_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An EPUB and an ODT alone (their invented harbour facts would crowd the mixed folder's)."""
    from documents import write_epub, write_odt

    folder = tmp_path_factory.mktemp("books") / "docs"
    folder.mkdir()
    write_epub(folder / "history.epub")
    write_odt(folder / "dues.odt")
    return real_engine(folder, tmp_path_factory.mktemp("books-index") / "index", threshold=0.05)


@pytest.mark.parametrize(
    ("question", "word", "where"),
    [
        ("How much does a dinghy pay?", "5 pounds", "dues.odt ¶"),
        ("In which year was the steam crane built?", "1948", 'history.epub ¶6 (under "The cranes")'),
    ],
)
def test_answers_from_epub_and_odt_cite_their_paragraph(book_engine: Engine, question: str, word: str, where: str) -> None:
    answer = book_engine.ask(question)
    assert not answer.abstained, answer
    assert word in answer.answer
    assert location(answer.citations[0]).startswith(where)


@pytest.fixture(scope="module")
def deck_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    from documents import write_pptx

    folder = tmp_path_factory.mktemp("deck") / "docs"
    folder.mkdir()
    write_pptx(folder / "harbour.pptx")
    return real_engine(folder, tmp_path_factory.mktemp("deck-index") / "index", threshold=0.05)


def test_an_answer_from_a_slide_deck_cites_its_slide(deck_engine: Engine) -> None:
    answer = deck_engine.ask("How much does the quay repair cost?")
    assert not answer.abstained, answer
    assert "2.4 million" in answer.answer
    assert location(answer.citations[0]).startswith('harbour.pptx slide 2 ¶')
