"""End to end on a mixed folder (PDF, HTML, DOCX, Markdown, text), on an EPUB and an ODT, on a slide deck,
and on a notebook and a mailbox, with the real models."""

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


@pytest.fixture(scope="module")
def notes_engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """A Jupyter notebook and a mailbox: their pages are cells and messages."""
    import json
    import mailbox
    from email.message import EmailMessage

    folder = tmp_path_factory.mktemp("notes") / "docs"
    folder.mkdir()
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": ["# Harbour traffic\n", "\n", "Ships counted by the port radar."]},
        {"cell_type": "code", "execution_count": 1, "metadata": {}, "source": "print('ships counted in 2024:', 4100)",
         "outputs": [{"output_type": "stream", "name": "stdout", "text": "ships counted in 2024: 4100\n"}]},
    ]
    (folder / "traffic.ipynb").write_text(json.dumps({"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": cells}))
    box = mailbox.mbox(folder / "board.mbox")
    for sender, subject, body in [
        ("Åsa Lind <asa@harbour.example>", "Dredging contract", "The dredging contract went to Marlow Dredging for 3.2 million pounds."),
        ("Bob Stone <bob@harbour.example>", "Crane repairs", "The steam crane will be repainted in green next spring."),
    ]:
        message = EmailMessage()
        message["From"], message["Subject"], message["Date"] = sender, subject, "Tue, 04 Jun 2024 09:12:00 +0200"
        message.set_content(body)
        box.add(message)
    box.close()
    return real_engine(folder, tmp_path_factory.mktemp("notes-index") / "index", threshold=0.05)


@pytest.mark.parametrize(
    ("question", "word", "where"),
    [
        ("How many ships were counted in 2024?", "4100", 'traffic.ipynb cell 2 ¶'),
        ("What colour will the steam crane be repainted?", "green", 'board.mbox message 2 ¶'),
    ],
)
def test_answers_from_a_notebook_and_a_mailbox_cite_the_cell_and_the_message(
    notes_engine: Engine, question: str, word: str, where: str
) -> None:
    answer = notes_engine.ask(question)
    assert not answer.abstained, answer
    assert word in answer.answer
    assert location(answer.citations[0]).startswith(where)
