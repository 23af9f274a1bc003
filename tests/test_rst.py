"""reStructuredText pages, as a Sphinx project writes them, read by rag.readers.rst."""

from __future__ import annotations

from pathlib import Path

from rag import readers
from rag.chunking import chunk_document
from rag.config import ChunkSettings
from rag.corpus import read_document

PAGE = """\
Quickstart
==========

Follow :doc:`the installation guide <installation>` first, then import :class:`~flask.Flask`.

.. _minimal-app:

A Minimal Application
---------------------

Use the :meth:`~flask.Flask.route` decorator to bind a function to a URL. ::

    @app.route("/")
    def index():
        return "Index Page. Done!"

.. code-block:: text

    $ flask --app hello run

.. versionadded:: 2.2
    The ``--app`` option replaces ``FLASK_APP``.

.. warning::

    Never run the debugger in production.

Converters
``````````

========== ================================
``string`` accepts any text without a slash
``int``    accepts positive integers
========== ================================

.. autofunction:: flask.url_for

.. function:: range([start,] stop[, step])

    Return a list containing an arithmetic progression of integers.

- Fix a crash in the reloader. :issue:`2581`
"""


def _blocks(tmp_path: Path, text: str) -> list[readers.Block]:
    path = tmp_path / "page.rst"
    path.write_text(text)
    return list(readers.read(path).blocks)


def test_a_sphinx_page_is_read_as_headings_prose_code_and_rows_without_its_markup(tmp_path: Path) -> None:
    blocks = _blocks(tmp_path, PAGE)
    shown = [(b.kind, b.text) for b in blocks]
    assert shown == [
        ("heading", "Quickstart"),
        ("paragraph", "Follow the installation guide first, then import Flask."),
        ("heading", "A Minimal Application"),
        ("paragraph", "Use the route() decorator to bind a function to a URL."),
        ("code", '@app.route("/")\ndef index():\n    return "Index Page. Done!"'),
        ("code", "$ flask --app hello run"),
        ("paragraph", "Added in version 2.2: The --app option replaces FLASK_APP."),
        ("paragraph", "Warning: Never run the debugger in production."),
        ("heading", "Converters"),
        ("table_row", "string | accepts any text without a slash"),
        ("table_row", "int | accepts positive integers"),
        ("paragraph", "range([start,] stop[, step]): Return a list containing an arithmetic progression of integers."),
        ("list_item", "Fix a crash in the reloader. #2581"),
    ]
    assert [b.heading for b in blocks if b.kind == "code"] == ["A Minimal Application"] * 2
    assert blocks[-1].heading == "Converters"


def test_a_version_note_without_text_and_a_label_over_code_lead_into_what_follows(tmp_path: Path) -> None:
    page = "Title\n=====\n\n.. versionchanged:: 3.0\n\n.. tab:: ``netstat`` (Linux)\n\n    .. code-block:: text\n\n        $ netstat -nlp\n"
    assert [b.text for b in _blocks(tmp_path, page)] == ["Title", "Changed in version 3.0", "netstat (Linux):", "$ netstat -nlp"]


def test_an_include_or_a_url_reads_nothing_outside_the_page(tmp_path: Path) -> None:
    (tmp_path / "secret.txt").write_text("The vault code is 7781.\n")
    page = ("Notes\n=====\n\n.. include:: secret.txt\n\n.. literalinclude:: secret.txt\n\n"
            ".. csv-table:: Remote\n   :url: http://127.0.0.1:9/x.csv\n\n.. raw:: html\n   :file: secret.txt\n\nThe end.\n")
    texts = [b.text for b in _blocks(tmp_path, page)]
    assert texts == ["Notes", "The end."]


def test_a_page_docutils_cannot_parse_is_read_as_plain_text_with_a_warning(tmp_path: Path, monkeypatch) -> None:
    import rag.readers.rst as rst

    def broken(_text: str) -> None:
        raise RecursionError("maximum recursion depth exceeded")

    monkeypatch.setattr(rst, "_parse", broken)
    path = tmp_path / "deep.rst"
    path.write_text("Title\n=====\n\nFirst paragraph.\n\nSecond paragraph.\n")
    result = readers.read(path)
    assert [b.text for b in result.blocks] == ["Title\n=====", "First paragraph.", "Second paragraph."]
    assert result.warnings == ("deep.rst: read as plain text, docutils could not parse it (RecursionError)",)


def test_an_rst_page_is_indexed_with_its_sections_as_headings_and_its_code_whole(tmp_path: Path) -> None:
    (tmp_path / "guide.rst").write_text(PAGE)
    document, warnings = read_document(tmp_path, tmp_path / "guide.rst")
    assert document is not None and warnings == []
    assert document.format == "rst"
    chunks = chunk_document(document, ChunkSettings(max_words=60, min_words=3))
    code = next(c for c in chunks if "Index Page" in c.text)
    assert code.heading == "A Minimal Application"
    assert 'return "Index Page. Done!"' in code.text
    assert not any(".. " in c.text or ":meth:`" in c.text for c in chunks)


def test_a_sphinx_builds_copy_of_its_source_is_read_as_rst(tmp_path: Path) -> None:
    (tmp_path / "usage.rst.txt").write_text("Usage\n=====\n\nCall :func:`~pkg.run` once.\n")
    document, _ = read_document(tmp_path, tmp_path / "usage.rst.txt")
    assert document is not None and document.format == "rst"
    assert document.text == "Usage\n\nCall run() once."


def test_each_block_keeps_the_lines_of_the_file_it_was_read_from(tmp_path: Path) -> None:
    blocks = _blocks(tmp_path, PAGE)
    lines = PAGE.split("\n")
    where = {b.text: b.lines for b in blocks}
    assert where["Quickstart"] == (1, 1)
    assert where['@app.route("/")\ndef index():\n    return "Index Page. Done!"'] == (13, 15)
    assert lines[12].strip() == '@app.route("/")'
    assert where["Added in version 2.2: The --app option replaces FLASK_APP."] == (21, 22)
    assert where["Warning: Never run the debugger in production."] == (24, 26)
    assert where["int | accepts positive integers"] == (33, 33)
    assert all(a <= b for a, b in (block.lines for block in blocks))
    assert [b.lines[0] for b in blocks] == sorted(b.lines[0] for b in blocks)


def test_an_rst_citation_names_the_lines_of_the_file(tmp_path: Path) -> None:
    from rag.render import location
    from rag.results import Passage

    (tmp_path / "guide.rst").write_text(PAGE)
    document, _ = read_document(tmp_path, tmp_path / "guide.rst")
    assert document is not None
    chunk = next(c for c in chunk_document(document, ChunkSettings(max_words=60, min_words=3)) if "Index Page" in c.text)
    assert (chunk.start_line, chunk.end_line) == (13, 15)
    passage = Passage(chunk.file, chunk.first_paragraph, (chunk.start_line, chunk.end_line), chunk.text, 0.5,
                      format=chunk.format, heading=chunk.heading, last_paragraph=chunk.last_paragraph)
    assert location(passage) == f'guide.rst ¶{chunk.first_paragraph} (lines 13–15, under "A Minimal Application")'


def test_a_simple_tables_header_over_a_blank_first_column_is_kept(tmp_path: Path) -> None:
    # docutils takes such a row for a continuation and drops it: sklearn's dataset cards lost "Min Max"
    page = ("Statistics\n==========\n\n============== ===== =====\n                Min   Max\n"
            "============== ===== =====\nradius (mean): 6.981 28.11\narea (mean):   143.5 2501.0\n"
            "============== ===== =====\n")
    rows = [(b.text, b.lines) for b in _blocks(tmp_path, page) if b.kind == "table_row"]
    assert rows == [("| Min | Max", (5, 5)), ("radius (mean): | 6.981 | 28.11", (7, 7)), ("area (mean): | 143.5 | 2501.0", (8, 8))]


def test_an_api_entrys_short_last_line_stays_with_its_entry(tmp_path: Path) -> None:
    # alone, "Default: False" led into the next entry: SESSION_COOKIE_SECURE's default read as SAMESITE's
    page = (".. py:data:: SESSION_COOKIE_SECURE\n\n    Browsers only send a secure cookie over HTTPS.\n\n"
            "    Default: ``False``\n\n.. py:data:: SESSION_COOKIE_SAMESITE\n\n    Restrict cookies sent from other sites.\n\n"
            "    Default: ``None``\n")
    assert [(b.text, b.lines) for b in _blocks(tmp_path, page)] == [
        ("SESSION_COOKIE_SECURE: Browsers only send a secure cookie over HTTPS. Default: False", (1, 5)),
        ("SESSION_COOKIE_SAMESITE: Restrict cookies sent from other sites. Default: None", (7, 11))]


def test_a_page_that_only_includes_another_says_so(tmp_path: Path) -> None:
    (tmp_path / "contributing.rst").write_text(".. include:: ../CONTRIBUTING.rst\n")
    document, warnings = read_document(tmp_path, tmp_path / "contributing.rst")
    assert document is None
    assert warnings == ["skipped contributing.rst: it only brings in text from elsewhere (.. include::), which rag does "
                        "not follow; the files it names are read on their own when they are in the folder"]


def test_a_reference_without_a_title_reads_as_the_title_of_the_page_or_section_it_names(tmp_path: Path) -> None:
    docs = tmp_path / "project" / "docs"
    (docs / "tutorial").mkdir(parents=True)
    (docs / "conf.py").write_text("project = 'Harbour'\n")
    (docs / "tutorial" / "index.rst").write_text(".. _tutorial:\n\n=============\nTutorial\n=============\n\nSteps.\n")
    (docs / "api.rst").write_text("API\n===\n\n.. _moorings:\n.. _berths:\n\nMooring ``Lines``\n-----------------\n\nText.\n")
    (tmp_path / "project" / "secret.rst").write_text("Vault code 7781\n===============\n")
    (docs / "tutorial" / "next.rst").write_text(
        "Next\n====\n\nSee :doc:`index`, :doc:`/api`, :doc:`the API </api>`, :ref:`moorings`, :ref:`Berths`,\n"
        ":ref:`tutorial`, :doc:`../../secret`, :doc:`missing` and :ref:`nowhere`.\n")
    assert [b.text for b in readers.read(docs / "tutorial" / "next.rst").blocks] == [
        "Next", "See Tutorial, API, the API, Mooring Lines, Mooring Lines, Tutorial, ../../secret, missing and nowhere."]
