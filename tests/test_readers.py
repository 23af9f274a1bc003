"""The format readers on small real files the tests write themselves (tests/documents.py)."""

from __future__ import annotations

import json
import re
import zipfile
from collections.abc import Callable
import os
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ScriptedGenerator, read_corpus
from documents import (
    HEADER,
    MARKDOWN,
    write_docx,
    write_encrypted_pdf,
    write_epub,
    write_folder,
    write_html,
    write_markdown,
    write_odp,
    write_odt,
    write_ods,
    write_pdf,
    write_pptx,
    write_stock_pdf,
    zip_with_mimetype,
    HIDDEN_PAGE_STYLE,
    ODP_MIMETYPE,
    ODT_NAMESPACES,
    ODF_CHART_NAMESPACES,
    odf_chart,
    odf_object_frame,
    odp_content,
    odp_frame,
)
from rag import readers
from rag.chunking import Chunk, chunk_document, embedding_text
from rag.cli import app
from rag.config import ChunkSettings
from rag.corpus import read_document
from rag.results import Answer, Claim, Passage
from rag.render import location, sources_text

runner = CliRunner()


@pytest.fixture(scope="module")
def folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_folder(tmp_path_factory.mktemp("formats") / "docs")


def texts(result: readers.ReadResult) -> list[str]:
    return [block.text for block in result.blocks]


def test_pdf_keeps_paragraphs_and_pages_and_drops_running_headers_and_page_numbers(folder: Path) -> None:
    result = readers.read(folder / "report.pdf")
    assert [(b.page, b.kind) for b in result.blocks] == [
        (1, "heading"), (1, "paragraph"), (1, "paragraph"), (2, "heading"), (2, "paragraph"), (2, "paragraph"),
    ]
    body = "\n".join(texts(result))
    assert HEADER not in body
    assert not any(text.strip().isdigit() for text in texts(result))
    assert "the chief engineer told the board." in body  # "engi-" + "neer" joined
    assert result.blocks[4].text.startswith("The new container crane") and result.blocks[4].heading == "Equipment"


def test_pdf_page_without_text_layer_is_one_warning(folder: Path) -> None:
    result = readers.read(folder / "report.pdf")
    assert result.warnings == ("report.pdf: no text layer on page 3 (scanned?); those pages are not indexed",)


def test_encrypted_and_broken_pdfs_are_skipped_and_the_rest_indexed(tmp_path: Path, folder: Path) -> None:
    write_encrypted_pdf(folder / "report.pdf", tmp_path / "locked.pdf")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\n1 0 obj <<")
    (tmp_path / "notes.txt").write_text("Still indexed.\n", encoding="utf-8")
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["notes.txt"]
    assert "skipped locked.pdf: encrypted PDF; save a copy without a password and index that" in corpus.warnings
    assert any(w.startswith("skipped broken.pdf: broken PDF") for w in corpus.warnings)


@pytest.mark.parametrize("damage", ["truncated", "garbage", "header only", "empty"])
def test_a_broken_pdf_is_skipped_with_what_to_do_about_it(tmp_path: Path, damage: str) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="The pier closes at dusk.")
    whole = bytes(pdf.output())
    (tmp_path / "whole.pdf").write_bytes(whole)
    assert texts(readers.read(tmp_path / "whole.pdf")) == ["The pier closes at dusk."]
    data = {"truncated": whole[: len(whole) // 2], "garbage": b"%PDF-1.4\n" + bytes(range(256)) * 4,
            "header only": b"%PDF-1.7\n", "empty": b""}[damage]
    (tmp_path / "bad.pdf").write_bytes(data)
    result = readers.read(tmp_path / "bad.pdf", "pdf")
    assert not result.blocks and len(result.warnings) == 1
    if damage == "empty":
        assert result.warnings == ("skipped bad.pdf: empty file",)
        return
    assert result.warnings[0].startswith("skipped bad.pdf: broken PDF (")
    assert result.warnings[0].endswith("); re-download it or save it again from its source, or export it as text")


def test_a_damaged_office_file_or_pdf_is_named_in_words_not_in_python_exception_text(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    document.add_paragraph("The lease runs for five years.")
    document.save(str(tmp_path / "good.docx"))
    whole = (tmp_path / "good.docx").read_bytes()
    with zipfile.ZipFile(tmp_path / "good.docx") as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    (tmp_path / "cut.docx").write_bytes(whole[: len(whole) // 2])
    rezip(tmp_path / "no-body.docx", {k: v for k, v in parts.items() if k != "word/document.xml"})
    rezip(tmp_path / "bad-xml.docx", {**parts, "word/document.xml": parts["word/document.xml"][:300]})
    said = {name: readers.read(tmp_path / name).warnings[0] for name in ("cut.docx", "no-body.docx", "bad-xml.docx")}
    fix = "; open and save it again in a word processor"
    assert said["cut.docx"].startswith("skipped cut.docx: broken DOCX (not a whole zip archive, which such a file must "
                                       "be: cut short, or another kind of file renamed)" + fix)
    assert said["no-body.docx"].startswith("skipped no-body.docx: broken DOCX (its part word/document.xml is missing)"
                                           + fix)
    assert re.match(r"skipped bad-xml\.docx: broken DOCX \(damaged XML at line \d+, column \d+ in word/document\.xml\); "
                    r"open", said["bad-xml.docx"])
    (tmp_path / "cut.pdf").write_bytes(b"%PDF-1.4\n" + bytes(range(256)) * 4)
    assert readers.read(tmp_path / "cut.pdf").warnings == (
        "skipped cut.pdf: broken PDF (it ends early: cut short, or not a whole PDF); re-download it or save it again "
        "from its source, or export it as text",)


def test_a_pdf_page_whose_content_cannot_be_decoded_is_named_damaged_not_a_scan(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    for text in ("The first page names the axolotl. " * 20, "The second page names the olm. " * 20):
        pdf.add_page()
        pdf.multi_cell(0, 10, text)
    whole = bytes(pdf.output())
    damaged = bytearray(whole)
    first, second = (whole.find(b">>\nstream\n", start) + 20 for start in (0, whole.find(b"endstream")))  # pages' content
    damaged[second : second + 30] = bytes(30)
    (tmp_path / "one-bad-page.pdf").write_bytes(bytes(damaged))
    result = readers.read(tmp_path / "one-bad-page.pdf")
    assert {block.page for block in result.blocks} == {1}
    assert result.warnings == ("one-bad-page.pdf: the content of page 2 is damaged; that page is not indexed "
                               "(re-download it or save it again from its source, or export it as text)",)
    for start in (first, second):
        damaged[start : start + 30] = bytes(30)
    (tmp_path / "all-bad.pdf").write_bytes(bytes(damaged))
    assert readers.read(tmp_path / "all-bad.pdf").warnings == (
        "skipped all-bad.pdf: broken PDF (the content of pages 1-2 is damaged); re-download it or save it again "
        "from its source, or export it as text",)


def rezip(path: Path, parts: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w") as archive:
        for name, data in parts.items():
            archive.writestr(name, data)


def test_binary_data_named_html_is_skipped_and_utf16_pages_are_read(tmp_path: Path) -> None:
    import gzip
    import random

    noise = random.Random(7).randbytes(2000)
    page = "<html><body><p>The pier closes at dusk.</p></body></html>"
    files = {
        "noise.html": noise,
        "no-nul.htm": noise.replace(b"\x00", b"\x01"),  # control bytes, but not one NUL
        "page.html.gz-saved-as.html": gzip.compress(page.encode() * 20),
        "utf16.html": page.encode("utf-16"),
        "utf16-le.html": page.encode("utf-16-le"),
        "chinese-utf16.html": ("<html><body><p>" + "码头在黄昏时关闭。" * 30 + "</p></body></html>").encode("utf-16-le"),
        "plain.html": page.encode(),
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    skipped = ("skipped {}: binary data, not HTML; save the page again from its browser or source, or give the file "
               "the extension of what it holds")
    for name in ("noise.html", "no-nul.htm", "page.html.gz-saved-as.html"):
        result = readers.read(tmp_path / name)
        assert (result.blocks, result.warnings) == ((), (skipped.format(name),))
    for name in ("utf16.html", "utf16-le.html", "plain.html"):
        result = readers.read(tmp_path / name)
        assert (texts(result), result.warnings) == (["The pier closes at dusk."], ())
    assert texts(readers.read(tmp_path / "chinese-utf16.html")) == ["码头在黄昏时关闭。" * 30]
    corpus = read_corpus(tmp_path)
    assert sorted(d.path for d in corpus.documents) == ["chinese-utf16.html", "plain.html", "utf16-le.html", "utf16.html"]
    assert skipped.format("noise.html") in corpus.warnings


def test_html_nested_past_the_parser_limit_keeps_all_its_text_with_a_warning(tmp_path: Path) -> None:
    flat = ("{}: elements nested more than 255 deep, past the HTML parser's limit; indexed all of the page's text "
            "with its tags stripped, without headings, lists or tables")
    for depth in (300, 100_000):
        (tmp_path / "deep.html").write_text(
            "<p>Intro</p>" + "<div>" * depth + "deep text" + "</div>" * depth + "<p>Tail</p>", encoding="utf-8")
        result = readers.read(tmp_path / "deep.html")
        assert (texts(result), result.warnings) == (["Intro", "deep text", "Tail"], (flat.format("deep.html"),))
    (tmp_path / "page.html").write_text(
        "<html><head><title>Pier</title><style>p {color: red}</style></head><body><h1>Mooring</h1>"
        + "<div><span>Boats</span>" * 260 + "<script>var x = '<p>no</p>';</script><!-- <p>no</p> -->"
        + " moor at <b>pier</b> 4 &amp; 5.<br>Fees<table><tr><td>Day</td><td>$5</td></tr></table>" + "</div>" * 260
        + "<p>The pier closes at dusk.</p></body></html>", encoding="utf-8")
    result = readers.read(tmp_path / "page.html")
    assert texts(result) == ["Pier", "Mooring", *["Boats"] * 259, "Boats moor at pier 4 & 5.", "Fees", "Day $5",
                             "The pier closes at dusk."]
    assert result.warnings == (flat.format("page.html"),)
    (tmp_path / "empty.html").write_text("<div>" * 300 + "</div>" * 300, encoding="utf-8")
    result = readers.read(tmp_path / "empty.html")
    assert result.warnings == (
        "skipped empty.html: no text in the page (elements nested more than 255 deep, past the HTML parser's limit)",)
    (tmp_path / "shallow.html").write_text(
        "<html><body>" + "<div>" * 200 + "<p>The pier closes at dusk.</p>" + "</div>" * 200 + "</body></html>")
    result = readers.read(tmp_path / "shallow.html")
    assert (texts(result), result.warnings) == (["The pier closes at dusk."], ())


def test_html_main_text_without_navigation_scripts_or_footer(tmp_path: Path) -> None:
    result = readers.read(write_html(tmp_path / "news.html"))
    body = "\n".join(texts(result))
    for boilerplate in ("Home", "About us", "newsletter", "tracking", "console.log", "Copyright"):
        assert boilerplate not in body
    assert ("Crane delivery", "heading") in [(b.text, b.kind) for b in result.blocks]
    crane = next(b for b in result.blocks if "42 tonnes" in b.text)
    assert crane.heading == "Crane delivery"
    assert "Year | Tonnage handled" in texts(result)
    assert ("It unloaded its first ship in under six hours.", "list_item") in [(b.text, b.kind) for b in result.blocks]


def test_a_lone_leading_h1_that_trafilatura_takes_for_the_title_heads_the_text(tmp_path: Path) -> None:
    page = tmp_path / "notes.html"
    page.write_text(
        "<html><head><title>Widget</title></head><body><h1>Release notes for Widget 3</h1>"
        "<p>The widget now supports sprockets of every size, as users asked for in the last survey.</p>"
        "<h2>Installing</h2><p>Installation needs Python 3.11 or newer and about 40 MB of disk space.</p>"
        "</body></html>",
        encoding="utf-8",
    )
    result = readers.read(page)
    assert [(b.text[:20], b.kind, b.heading) for b in result.blocks] == [
        ("Release notes for Wi", "heading", "Release notes for Widget 3"),
        ("The widget now suppo", "paragraph", "Release notes for Widget 3"),
        ("Installing", "heading", "Installing"),
        ("Installation needs P", "paragraph", "Installing"),
    ]


@pytest.mark.parametrize(
    "page",
    [
        # after the text, with the title's words in <title>
        "<html><head><title>Release notes - Site</title></head><body><article>{p}</article>"
        "<aside><h1>Release notes</h1></aside></body></html>",
        # a site's name in its header
        "<html><head><title>A day at sea</title></head><body><header><h1><a href='/'>Bob's Blog</a></h1>"
        "<nav><a href='/a'>About</a></nav></header><main><article>{p}</article></main></body></html>",
    ],
)
def test_an_h1_after_the_text_or_in_the_site_header_heads_nothing(tmp_path: Path, page: str) -> None:
    path = tmp_path / "page.html"
    text = "<p>The widget now supports sprockets of every size, as users asked for in the last survey.</p>"
    path.write_text(page.format(p=text), encoding="utf-8")
    assert [(b.kind, b.heading) for b in readers.read(path).blocks] == [("paragraph", None)]


TEXINFO_PAGE = "\n".join([
    '<html><head><title>bc Command Manual</title><meta name="Generator" content="makeinfo"></head>',
    '<body lang="en">',
    '<h1 class="settitle">bc Command Manual</h1>',
    '<span id="Top"></span><div class="header"><p>Next: <a href="#Introduction">Introduction</a>, Previous: <a href="dir.html">(dir)</a>, Up: <a href="dir.html">(dir)</a> [<a href="#SEC_Contents">Contents</a>]</p></div>',
    '<h1 class="node-heading">Top</h1>',
    '<table class="menu"><tr><td>&bull; <a href="#Introduction">Introduction</a></td><td>&nbsp;</td><td></td></tr>',
    '<tr><td>&bull; <a href="#Basics">Basic Elements</a></td><td>&nbsp;</td><td></td></tr></table>',
    '<hr>',
    '<span id="Introduction"></span><div class="header"><p>Next: <a href="#Basics">Basic Elements</a>, Previous: <a href="#Top">Top</a>, Up: <a href="#Top">Top</a> [<a href="#SEC_Contents">Contents</a>]</p></div>',
    '<span id="Introduction-1"></span><h2 class="chapter">1 Introduction</h2>',
    '<table class="menu"><tr><td>&bull; <a href="#Description">Description</a></td><td>&nbsp;</td><td></td></tr></table>',
    '<hr>',
    '<span id="Description"></span><div class="header"><p>Next: <a href="#Options">Options</a>, Up: <a href="#Introduction">Introduction</a> [<a href="#SEC_Contents">Contents</a>]</p></div>',
    '<span id="Description-1"></span><h3 class="section">1.1 Description</h3>',
    '<p><code>bc</code> is a language that supports arbitrary precision numbers with interactive execution of statements.</p>',
    '<p>A standard math library is available by command line option, and is defined before any file is read.</p>',
    '<p>All code is executed as it is read, and a file that halts the processor stops it reading standard input.</p>',
    '</body></html>',
])


def test_a_texinfo_manual_keeps_its_headings_and_drops_its_link_bars_and_menus(tmp_path: Path) -> None:
    """GNU manuals in HTML: headings stand in <body> between link bars and menu tables; trafilatura
    kept none of the headings and every link bar and menu line as text."""
    path = tmp_path / "bc.html"
    path.write_text(TEXINFO_PAGE, encoding="utf-8")
    blocks = readers.read(path).blocks
    headings = [b.text for b in blocks if b.kind == "heading"]
    assert headings == ["bc Command Manual", "Top", "1 Introduction", "1.1 Description"]
    assert [(b.text[:20], b.heading) for b in blocks if b.kind != "heading"] == [
        ("bc is a language tha", "1.1 Description"),
        ("A standard math libr", "1.1 Description"),
        ("All code is executed", "1.1 Description"),
    ]


def test_a_page_with_its_own_main_container_or_a_site_header_is_not_wrapped_whole(tmp_path: Path) -> None:
    """The <main> put around a body with headings must not override a container trafilatura knows
    (id="main"), nor pull the site's header and footer into the text."""
    prose = ("<p>Download the source tarball, unpack it and run make menuconfig to pick the drivers that your "
             "machine needs.</p><h2>Booting</h2><p>Add an entry to the boot loader configuration and reboot, "
             "choosing the new kernel from the menu.</p>")
    main_div = ("<html><body><div id='top'><div class='sitename'>Kernel notes by John</div><p>Writing about "
                "kernels, compilers and other low-level things I tinker with on weekends.</p></div><div id='leftcol'>"
                "<h3>Elsewhere</h3><p>I also write a weekly column for a hardware magazine about retro computers.</p>"
                "</div><div id='main'><h2>Building the kernel</h2>" + prose + "<p>Then run make and make "
                "modules_install as root; the build takes about an hour on an older laptop.</p></div><div id='bottom'>"
                "<p>All content on this site is licensed under a Creative Commons licence unless noted otherwise.</p>"
                "</div></body></html>")
    site_header = (f"<html><body><header><h1>Widget Co</h1><nav><a href='/'>Home</a></nav></header>"
                   f"<p>Welcome to the documentation; this page explains the first steps for new users.</p>"
                   f"<h2>Building the kernel</h2>{prose}<footer><p>Copyright 2024 Widget Co.</p></footer></body></html>")
    for name, page in (("main.html", main_div), ("header.html", site_header)):
        (tmp_path / name).write_text(page, encoding="utf-8")
        blocks = readers.read(tmp_path / name).blocks
        text = " ".join(b.text for b in blocks)
        assert not any(words in text for words in ("Kernel notes", "weekly column", "Creative Commons", "Copyright"))
        assert all(b.heading != "Widget Co" for b in blocks)
        assert ("Booting", "heading") in [(b.text, b.kind) for b in blocks]


def test_a_menu_table_and_a_next_line_are_kept_outside_texinfo_pages(tmp_path: Path) -> None:
    page = ("<html><body><div class='content'><h2>The File menu</h2><p>The File menu holds the commands that "
            "open and save documents; each has a keyboard shortcut.</p><table class='menu'>"
            "<tr><td>Open</td><td>Ctrl+O</td><td>Opens an existing document from disk in a new tab</td></tr></table>"
            "<div class='header'><p>Next: install the spell checker plug-in from the Tools menu.</p></div>"
            "</div></body></html>")
    (tmp_path / "editor.html").write_text(page, encoding="utf-8")
    text = " ".join(texts(readers.read(tmp_path / "editor.html")))
    assert "Ctrl+O" in text and "Next: install the spell checker" in text


def test_html_cells_and_list_items_that_are_one_share_button_word_are_kept(tmp_path: Path) -> None:
    """trafilatura drops an element whose text is "Print", "PDF", "Email" and the like (share
    buttons); in a manual they are a command's name in a table or a format in a list."""
    prose = ("<p>The converter reads these formats and writes each of them back out unchanged when asked, keeping "
             "every table, heading and footnote of the original document in place.</p>")
    page = (f"<html><body><article><h2>Formats</h2>{prose}{prose}<ul><li>PDF</li><li>HTML</li><li>Email</li></ul>"
            f"{prose}<table><tr><td>Print</td><td>Ctrl+P</td></tr><tr><td>Save</td><td>Ctrl+S</td></tr></table>"
            f"</article></body></html>")
    (tmp_path / "formats.html").write_text(page, encoding="utf-8")
    found = texts(readers.read(tmp_path / "formats.html"))
    assert {"PDF", "HTML", "Email", "Print | Ctrl+P", "Save | Ctrl+S"} <= set(found)
    assert not any("\u2060" in text for text in found)


def test_an_api_parameter_list_linking_its_types_is_kept_and_a_menu_of_links_is_not(tmp_path: Path) -> None:
    types = '<a href="https://developer.mozilla.org/string" class="type">&lt;string&gt;</a>'
    menu = "".join(f'<li><a href="/{n}.html">{n.title()} module</a></li>' for n in ("fs", "path", "http", "net"))
    prose = "".join(f"<p>Paragraph {n} of the reference explains how paths are joined and resolved.</p>" for n in range(4))
    (tmp_path / "path.html").write_text(
        f"<html><body><nav><ul>{menu}</ul></nav><main><h2>path.join([...paths])</h2>{prose}"
        f"<ul><li><code>...paths</code> {types} A sequence of path segments</li><li>Returns: {types}</li></ul>"
        "<p>The path.join() method joins all given path segments together.</p></main></body></html>",
        encoding="utf-8",
    )
    found = texts(readers.read(tmp_path / "path.html"))
    assert "...paths <string> A sequence of path segments" in found and "Returns: <string>" in found
    assert not any("module" in text for text in found)


def test_docx_paragraphs_headings_and_table_rows(tmp_path: Path) -> None:
    result = readers.read(write_docx(tmp_path / "memo.docx"))
    assert texts(result) == [
        "Memo on harbour works",
        "This memo summarises the works planned for the coming year.",
        "Breakwater",
        "The northern breakwater will be rebuilt with granite blocks from Penryn.",
        "Divers start the survey in April.",
        "Budget",
        "Item | Cost",
        "Breakwater | 2.4 million",
        "Crane | 5.1 million",
        "The board approved the budget on 3 May.",
    ]
    assert [b.kind for b in result.blocks][:5] == ["heading", "paragraph", "heading", "paragraph", "list_item"]
    assert result.blocks[7].heading == "Budget"


def test_docx_text_inside_insertions_moves_fields_content_controls_and_nested_tables_is_read_once(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    limit = document.add_paragraph("Speed limit on site is ")
    limit._p.append(parse_xml(f'<w:ins {w} w:id="1" w:author="a"><w:r><w:t xml:space="preserve">15 km/h</w:t></w:r></w:ins>'))
    limit._p.append(parse_xml(f'<w:del {w} w:id="2" w:author="a"><w:r><w:delText> or 20 km/h</w:delText></w:r></w:del>'))
    limit.add_run(" for all vehicles.")
    moved = document.add_paragraph("Park in bay 12.")
    moved._p.append(parse_xml(f'<w:moveFrom {w} w:id="3" w:author="a"><w:r><w:t> Lock the van.</w:t></w:r></w:moveFrom>'))
    moved._p.append(parse_xml(f'<w:moveTo {w} w:id="4" w:author="a"><w:r><w:t> Hand in the key.</w:t></w:r></w:moveTo>'))
    washed = document.add_paragraph("Vans are washed every ")
    washed._p.append(parse_xml(f'<w:fldSimple {w} w:instr=" MERGEFIELD day "><w:r><w:t>Friday</w:t></w:r></w:fldSimple>'))
    washed.add_run(" afternoon.")
    body = document.element.body
    body.insert(len(body) - 1, parse_xml(
        f"<w:sdt {w}><w:sdtPr/><w:sdtContent><w:p><w:r><w:t>The fuel card PIN is reset every 90 days.</w:t>"
        "</w:r></w:p></w:sdtContent></w:sdt>"
    ))
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Tyres"
    inner = table.cell(0, 1).add_table(rows=1, cols=1)
    inner.cell(0, 0).text = "2.4 bar"
    document.save(str(tmp_path / "fleet.docx"))
    assert texts(readers.read(tmp_path / "fleet.docx")) == [
        "Speed limit on site is 15 km/h for all vehicles.",
        "Park in bay 12. Hand in the key.",
        "Vans are washed every Friday afternoon.",
        "The fuel card PIN is reset every 90 days.",
        "Tyres | 2.4 bar",
    ]


def test_docx_headings_by_outline_level_and_by_hand_and_hidden_text_left_out(tmp_path: Path) -> None:
    import docx
    from docx.enum.style import WD_STYLE_TYPE
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    chapter = document.styles.add_style("Chapter Title", WD_STYLE_TYPE.PARAGRAPH)
    chapter.element.get_or_add_pPr().append(parse_xml(f'<w:outlineLvl {w} w:val="0"/>'))
    document.add_paragraph("Moving out", style="Chapter Title")
    document.add_paragraph("Tenants must give three months notice in writing.")
    document.add_paragraph().add_run("Keys and locks").bold = True
    document.add_paragraph("Lost keys are replaced for a fee of 45 euros.")
    document.add_paragraph().add_run("Note:").bold = True
    parking = document.add_paragraph("Visible sentence about parking.")
    hidden = parking.add_run(" HIDDEN INTERNAL NOTE")
    hidden.font.hidden = True
    document.save(str(tmp_path / "handbook.docx"))
    blocks = readers.read(tmp_path / "handbook.docx").blocks
    assert [(b.kind, b.text, b.heading) for b in blocks] == [
        ("heading", "Moving out", "Moving out"),
        ("paragraph", "Tenants must give three months notice in writing.", "Moving out"),
        ("heading", "Keys and locks", "Keys and locks"),
        ("paragraph", "Lost keys are replaced for a fee of 45 euros.", "Keys and locks"),
        ("paragraph", "Note:", "Keys and locks"),
        ("paragraph", "Visible sentence about parking.", "Keys and locks"),
    ]


def test_a_docx_table_laying_out_a_page_is_read_cell_by_cell_and_a_data_table_by_rows(tmp_path: Path) -> None:
    import docx

    document = docx.Document()
    layout = document.add_table(rows=1, cols=2)
    left, right = layout.cell(0, 0), layout.cell(0, 1)
    left.paragraphs[0].text = "Experience"
    left.paragraphs[0].style = document.styles["Heading 1"]
    left.add_paragraph("2019-2024: Senior hydrologist at the Baltic Water Institute.")
    right.paragraphs[0].text = "Skills"
    right.paragraphs[0].style = document.styles["Heading 1"]
    right.add_paragraph("Python and R")
    data = document.add_table(rows=2, cols=2)
    for row, (unit, rent) in enumerate((("Studio", "640"), ("Two-room", "890"))):
        data.cell(row, 0).text, data.cell(row, 1).text = unit, rent
    document.save(str(tmp_path / "cv.docx"))
    assert [(b.kind, b.text, b.heading) for b in readers.read(tmp_path / "cv.docx").blocks] == [
        ("heading", "Experience", "Experience"),
        ("paragraph", "2019-2024: Senior hydrologist at the Baltic Water Institute.", "Experience"),
        ("heading", "Skills", "Skills"), ("paragraph", "Python and R", "Skills"),
        ("table_row", "Studio | 640", "Skills"), ("table_row", "Two-room | 890", "Skills")]


def test_docx_importing_an_html_chunk_is_read_through_the_html_reader(tmp_path: Path) -> None:
    """Web exporters write a whole document as one w:altChunk of MHT; it read as "no text"."""
    import zipfile

    import docx

    docx.Document().save(str(tmp_path / "plain.docx"))
    mht = ('MIME-Version: 1.0\nContent-Type: multipart/related; type="text/html"; boundary="part"\n\n--part\n'
           'Content-Type: text/html; charset="utf-8"\n\n<html><body><h1>Exported report</h1><p>The sales rose by '
           "eleven percent in the last quarter.</p></body></html>\n--part--\n")
    with zipfile.ZipFile(tmp_path / "plain.docx") as source, zipfile.ZipFile(tmp_path / "export.docx", "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "word/document.xml":
                data = data.replace(b"<w:body>", b'<w:body><w:altChunk r:id="htmlChunk"/>', 1)
            elif item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="htmlChunk" Type="http://schemas.openxmlformats'
                                    b'.org/officeDocument/2006/relationships/aFChunk" Target="afchunk.mht"/></Relationships>')
            elif item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Default Extension="mht" ContentType="message/rfc822"/></Types>')
            target.writestr(item, data)
        target.writestr("word/afchunk.mht", mht)
    assert texts(readers.read(tmp_path / "export.docx")) == [
        "Exported report", "The sales rose by eleven percent in the last quarter."]


@pytest.mark.parametrize(("name", "data", "said"), [
    ("zero.docx", b"", "empty file"), ("zero.epub", b"", "empty file"),
    ("old.docx", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600, "an old Word or PowerPoint file"),
])
def test_an_empty_or_office_97_file_under_a_document_name_is_named_as_such(
    tmp_path: Path, name: str, data: bytes, said: str
) -> None:
    (tmp_path / name).write_bytes(data)
    assert readers.read(tmp_path / name).warnings[0].startswith(f"skipped {name}: {said}")


def test_docx_superscripts_equations_and_symbols_are_read_apart(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    m = 'xmlns:m="http://schemas.openxmlformats.org/officeDocument/2006/math"'
    document = docx.Document()
    opened = document.add_paragraph("The bridge opened in 1932")
    opened.add_run("2").font.superscript = True
    opened.add_run(" and cost 6.25 million pounds.")
    dose = document.add_paragraph("The maximum daily dose is ")
    dose._p.append(parse_xml(f"<m:oMath {m}><m:r><m:t>15 mg/kg</m:t></m:r></m:oMath>"))
    dose.add_run(" of body weight.")
    area = document.add_paragraph("Area: ")
    area._p.append(parse_xml(f"<m:oMath {m}><m:r><m:t>A=πr</m:t></m:r><m:sSup><m:e><m:r><m:t/></m:r></m:e>"
                             "<m:sup><m:r><m:t>2</m:t></m:r></m:sup></m:sSup></m:oMath>"))
    band = document.add_paragraph("Tolerance ")
    band._p.append(parse_xml(f'<w:r {w}><w:sym w:font="Symbol" w:char="F0B1"/><w:t>5 degrees</w:t>'
                             '<w:sym w:font="Wingdings" w:char="F04A"/></w:r>'))
    document.save(str(tmp_path / "bridge.docx"))
    assert texts(readers.read(tmp_path / "bridge.docx")) == [
        "The bridge opened in 1932^2 and cost 6.25 million pounds.",
        "The maximum daily dose is 15 mg/kg of body weight.", "Area: A=πr^2", "Tolerance ±5 degrees",
    ]


def test_docx_list_numbers_text_boxes_and_footnotes_are_read_where_they_stand(tmp_path: Path) -> None:
    import zipfile

    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    document.add_paragraph("Breach of condition 2 ends the tenancy.")
    for condition in ("The rent is due on the first day.", "No pets may be kept.", "Access is allowed yearly."):
        document.add_paragraph(condition, style="List Number")
    document.add_paragraph("A note on bullets.", style="List Bullet")
    boxed = document.add_paragraph("See the box.")
    boxed._p.append(parse_xml(f"<w:r {w}><w:pict><w:txbxContent><w:p><w:r><w:t>Hotline: 0800 123 456.</w:t></w:r></w:p>"
                              "</w:txbxContent></w:pict></w:r>"))
    noted = document.add_paragraph("Stock was short by 312 units.")
    noted._p.append(parse_xml(f'<w:r {w}><w:footnoteReference w:id="1"/></w:r>'))
    document.add_paragraph("The board accepted the finding.")
    document.save(str(tmp_path / "plain.docx"))
    notes = (f'<w:footnotes {w}><w:footnote w:type="separator" w:id="-1"><w:p><w:r><w:t>-</w:t></w:r></w:p></w:footnote>'
             '<w:footnote w:id="1"><w:p><w:r><w:t>Traced to a scanner fault in bay 7.</w:t></w:r></w:p></w:footnote></w:footnotes>')
    with zipfile.ZipFile(tmp_path / "plain.docx") as source, zipfile.ZipFile(tmp_path / "lease.docx", "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "[Content_Types].xml":
                data = data.replace(b"</Types>", b'<Override PartName="/word/footnotes.xml" ContentType="application/'
                                    b'vnd.openxmlformats-officedocument.wordprocessingml.footnotes+xml"/></Types>')
            if item.filename == "word/_rels/document.xml.rels":
                data = data.replace(b"</Relationships>", b'<Relationship Id="rIdNotes" Type="http://schemas.openxmlformats'
                                    b'.org/officeDocument/2006/relationships/footnotes" Target="footnotes.xml"/></Relationships>')
            target.writestr(item, data)
        target.writestr("word/footnotes.xml", notes)
    assert texts(readers.read(tmp_path / "lease.docx")) == [
        "Breach of condition 2 ends the tenancy.", "1. The rent is due on the first day.", "2. No pets may be kept.",
        "3. Access is allowed yearly.", "A note on bullets.", "See the box.", "Hotline: 0800 123 456.",
        "Stock was short by 312 units.", "Traced to a scanner fault in bay 7.", "The board accepted the finding.",
    ]


def test_html_footnote_marks_are_left_out_and_superscripts_kept_apart(tmp_path: Path) -> None:
    (tmp_path / "bridge.html").write_text(
        "<!DOCTYPE html><html><head><title>Bridge</title></head><body><article><h1>The Harbour Bridge</h1>\n"
        "<p>It opened in 1932<sup>2</sup> and its arch spans 503 metres<sup><a href='#n4'>4</a></sup>; "
        "about 10<sup>6</sup> rivets hold it.</p></article></body></html>"
    )
    assert texts(readers.read(tmp_path / "bridge.html"))[1] == (
        "It opened in 1932^2 and its arch spans 503 metres; about 10^6 rivets hold it.")


def test_a_heading_that_links_back_to_the_contents_keeps_its_words(tmp_path: Path) -> None:
    # Sphinx's FAQ pages: every question was lost, its answer left under no heading (tester-s51 H1)
    (tmp_path / "design.html").write_text(
        '<!DOCTYPE html><html><body><main><h1>Design and History FAQ</h1>'
        '<section id="why"><h2><a class="toc-backref" href="#id3" role="doc-backlink">Why can’t I use an '
        'assignment in an expression?</a><a class="headerlink" href="#why">¶</a></h2>'
        "<p>Starting in Python 3.8, you can!</p><p>The text of a footnote.<a role='doc-backlink' href='#r1'>↩</a></p>"
        "</section></main></body></html>")
    blocks = readers.read(tmp_path / "design.html").blocks
    assert [b.text for b in blocks if b.kind == "heading"] == [
        "Design and History FAQ", "Why can’t I use an assignment in an expression?"]
    assert [(b.text, b.heading) for b in blocks if b.kind != "heading"] == [
        ("Starting in Python 3.8, you can!", "Why can’t I use an assignment in an expression?"),
        ("The text of a footnote.", "Why can’t I use an assignment in an expression?")]


def test_an_api_entrys_paragraphs_and_code_are_blocks_and_the_sidebar_is_not_text(tmp_path: Path) -> None:
    # Sphinx's <dd> of a function: its paragraphs and examples had run into one line; a page of
    # little text had its sidebar read as its only passage (tester-s51 M1, M4)
    (tmp_path / "time.html").write_text(
        '<!DOCTYPE html><html><body><div class="sphinxsidebar" role="navigation"><h3>Previous topic</h3>'
        '<p><a href="os.html">os — Miscellaneous operating system interfaces</a></p><ul><li>Report a Bug</li>'
        '<li>Show Source</li></ul></div><main><h1>time — Time access</h1><dl class="py function">'
        '<dt id="time.tzset">time.tzset()</dt><dd><p>Reset the time conversion rules used by the library.</p>'
        '<div class="highlight"><pre><span class="gp">&gt;&gt;&gt; </span>time.tzset()\n'
        "<span class=\"go\">'02:07:36 05/08/03 EDT'</span>\n</pre></div>"
        '<p>On many Unix <a href="a.html">systems</a> it is more <a href="b.html">convenient</a> to use the '
        '<a href="z.html"><code>zoneinfo</code></a> database.</p>'
        '<dl class="py method"><dt>Clock.read()</dt><dt>Clock.read(unit)</dt><dd><p>Returns the time in '
        '<a href="u.html">seconds</a> or in <a href="u.html">unit</a>.</p></dd></dl></dd></dl>'
        "</main></body></html>")
    blocks = readers.read(tmp_path / "time.html").blocks
    assert [(b.kind, b.text) for b in blocks][1:] == [
        ("paragraph", "time.tzset()"),
        ("paragraph", "Reset the time conversion rules used by the library."),
        ("code", ">>> time.tzset()\n'02:07:36 05/08/03 EDT'"),
        ("paragraph", "On many Unix systems it is more convenient to use the zoneinfo database."),
        ("paragraph", "Clock.read()"), ("paragraph", "Clock.read(unit)"),
        ("paragraph", "Returns the time in seconds or in unit.")]
    assert not any("Report a Bug" in b.text or "Previous topic" in b.text for b in blocks)


def test_a_docbook_tip_is_its_text_opened_by_its_label_not_a_table_row(tmp_path: Path) -> None:
    # "| Tip" had ended the key table's passage, apart from the tip's text (tester-s51 L2)
    (tmp_path / "keys.html").write_text(
        "<html><body><main><h1>Keys</h1><table><tr><th>key</th><th>meaning</th></tr><tr><td>Ctrl-C</td>"
        "<td>terminate a running program</td></tr></table><div class='tip'><table border='0' summary='Tip'><tr>"
        "<td rowspan='2'><img alt='[Tip]' src='images/tip.png'/></td><th align='left'>Tip</th></tr><tr><td>"
        "<p>The terminal feature of <code>Ctrl-S</code> can be disabled using stty(1).</p></td></tr></table>"
        "</div><div class='note'><table summary='Note'><tr><td><img alt='[Note]' src='n.png'/></td>"
        "<th>Note</th></tr><tr><td>Plain text in the cell.</td></tr></table></div></main></body></html>")
    blocks = readers.read(tmp_path / "keys.html").blocks
    assert [(b.kind, b.text) for b in blocks][1:] == [
        ("table_row", "key | meaning"), ("table_row", "Ctrl-C | terminate a running program"),
        ("paragraph", "Tip: The terminal feature of Ctrl-S can be disabled using stty(1)."),
        ("paragraph", "Note: Plain text in the cell.")]


def test_a_table_of_contents_is_not_text_but_a_single_page_builds_documents_stay(tmp_path: Path) -> None:
    # the Debian Reference's "Table of Contents" and its entries were passages before its preface (tester-s51 L4)
    (tmp_path / "pr01.html").write_text(
        "<html><body><div class='preface'><h1>Preface</h1><div class='toc'><p><b>Table of Contents</b></p>"
        "<dl class='toc'><dt><a href='#d'>1. Disclaimer</a></dt><dt><a href='#w'>2. What is Debian</a></dt></dl></div>"
        "<p>This Debian Reference is intended to provide a broad overview of the Debian system.</p>"
        "<h2 id='d'>1. Disclaimer</h2><p>All warranties are disclaimed.</p></div></body></html>")
    texts = [b.text for b in readers.read(tmp_path / "pr01.html").blocks]
    assert texts == ["Preface", "This Debian Reference is intended to provide a broad overview of the Debian system.",
                     "1. Disclaimer", "All warranties are disclaimed."]
    (tmp_path / "single.html").write_text(  # Sphinx's single-page build: the documents inside its toctree
        "<html><body><main><h1>Policy</h1><div class='toctree-wrapper compound'><section><h2>1. Copyright</h2>"
        "<p>This document is released under the GNU General Public License, version 2 or later.</p></section>"
        "</div></main></body></html>")
    assert "1. Copyright" in [b.text for b in readers.read(tmp_path / "single.html").blocks]


def test_a_docbook_title_pages_authors_are_lines_of_it_not_headings(tmp_path: Path) -> None:
    # the licence notice after <h3 class="author"> was cited under "David Mandelberg" (tester-s49 M4)
    (tmp_path / "guide.html").write_text(
        '<HTML><BODY><DIV CLASS="BOOK"><DIV CLASS="TITLEPAGE"><H1 CLASS="TITLE">Users and Groups</H1>'
        '<H3 CLASS="AUTHOR"><A NAME="AEN6"></A>Joey Hess</H3><H3 CLASS="AUTHOR">David Mandelberg</H3>'
        "<P>This document is free; you can redistribute it under the terms of the GNU General Public License.</P>"
        '</DIV><H1 CLASS="CHAPTER">Chapter 1. Introduction</H1><P>The base-passwd package holds the master files.</P>'
        "</DIV></BODY></HTML>")
    blocks = readers.read(tmp_path / "guide.html").blocks
    assert [(b.kind, b.heading) for b in blocks if "Mandelberg" in b.text or "free" in b.text] == [
        ("paragraph", "Users and Groups"), ("paragraph", "Users and Groups")]
    assert [b.text for b in blocks if b.kind == "heading"] == ["Users and Groups", "Chapter 1. Introduction"]


def test_markdown_blocks_are_verbatim_spans_with_code_kept_whole(tmp_path: Path) -> None:
    result = readers.read(write_markdown(tmp_path / "handbook.md"))
    assert result.source == MARKDOWN
    for block in result.blocks:
        assert block.span and MARKDOWN[block.span[0] : block.span[1]] == block.text
    code = next(b for b in result.blocks if b.kind == "code")
    assert code.text == "```python\ndef fee(length_m):\n\n    return 3 * length_m\n```"
    assert [b.kind for b in result.blocks] == ["heading", "paragraph", "heading", "list_item", "list_item", "code", "paragraph"]
    assert code.heading == "Mooring"


def test_content_sniffing_beats_a_wrong_extension(tmp_path: Path, folder: Path) -> None:
    misnamed = tmp_path / "report.txt"
    misnamed.write_bytes((folder / "report.pdf").read_bytes())
    document, _ = read_document(tmp_path, misnamed)
    assert document is not None and document.format == "pdf"
    html = tmp_path / "saved.txt"
    html.write_text("<!DOCTYPE html><html><body><p>Hello from a page saved as text.</p></body></html>")
    assert readers.detect(html, html.read_bytes()) == "html"
    assert readers.detect(folder / "memo.docx", (folder / "memo.docx").read_bytes()[:1024]) == "docx"


@pytest.mark.parametrize(("name", "text", "fmt"), [
    ("notes.txt", "Tools that write PDFs produce a %PDF-1.7 file with a cross-reference table.\n", "text"),
    ("notes.md", "# PDF notes\n\nA file starts with a header such as %PDF-1.7.\n", "markdown"),
    ("page.html", "<!DOCTYPE html><html><head><title>The %PDF-1.7 header</title></head></html>", "html"),
])
def test_a_text_that_mentions_the_pdf_header_is_not_a_pdf(tmp_path: Path, name: str, text: str, fmt: str) -> None:
    path = tmp_path / name
    path.write_text(text)
    assert readers.detect(path, path.read_bytes()) == fmt


def test_a_pdf_header_after_junk_bytes_is_still_a_pdf(tmp_path: Path, folder: Path) -> None:
    path = tmp_path / "mailed.bin"
    path.write_bytes(b"\x00\xff\xfe junk from a mail gateway\r\n" + (folder / "report.pdf").read_bytes())
    assert readers.detect(path, path.read_bytes()[:1024]) == "pdf"


def test_extracted_text_is_blocks_joined_and_chunks_carry_page_and_heading(folder: Path) -> None:
    document, _ = read_document(folder, folder / "report.pdf")
    assert document is not None
    result = readers.read(folder / "report.pdf")
    assert document.text == "\n\n".join(texts(result))
    assert document.sha256 and document.format == "pdf"
    chunks = chunk_document(document, ChunkSettings())
    crane = next(c for c in chunks if "42 tonnes" in c.text)
    assert crane.text in document.text and (crane.format, crane.page) == ("pdf", 2)


@pytest.mark.parametrize(
    ("passage", "expected"),
    [
        (Passage("report.pdf", 5, (9, 9), "x", 1.0, format="pdf", page=12, page_paragraph=3), "report.pdf p.12 ¶3"),
        (Passage("page.html", 7, (13, 13), "x", 1.0, format="html", heading="Crane delivery"),
         'page.html ¶7 (under "Crane delivery")'),
        (Passage("memo.docx", 14, (27, 27), "x", 1.0, format="docx"), "memo.docx ¶14"),
        (Passage("book.xlsx", 9, (17, 17), "x", 1.0, format="xlsx", page=2, page_paragraph=5, heading="Budget"),
         'book.xlsx sheet 2 ¶5 (under "Budget")'),
        (Passage("old.xls", 3, (5, 5), "x", 1.0, format="xls", page=1, page_paragraph=3, last_paragraph=4),
         "old.xls sheet 1 ¶3 and 1 more"),
        (Passage("data.csv", 6, (11, 11), "x", 1.0, format="csv"), "data.csv ¶6"),
        (Passage("a.txt", 2, (3, 5), "x", 1.0), "a.txt ¶2 (lines 3–5)"),
        (Passage("b.md", 4, (8, 8), "x", 1.0, format="markdown", heading="Mooring"), 'b.md ¶4 (line 8, under "Mooring")'),
        (Passage("a.txt", 2, (3, 9), "x", 1.0, last_paragraph=4), "a.txt ¶2–4 (lines 3–9)"),
        (Passage("report.pdf", 5, (9, 9), "x", 1.0, format="pdf", page=12, page_paragraph=3, last_paragraph=7),
         "report.pdf p.12 ¶3 and 2 more"),
    ],
)
def test_citation_locations_per_format(passage: Passage, expected: str) -> None:
    assert location(passage) == expected


def test_a_quote_from_hard_wrapped_text_prints_on_one_line() -> None:
    text = "If you \nuse the option --num-callers, then traces \n  get longer."
    passage = Passage("FAQ.txt", 56, (205, 207), text, 1.0, quote=text, heading="4. Questions")
    answer = Answer("q", "--num-callers", False, 0.9, [passage], [Claim("--num-callers", True, (0,))], [], {})
    assert sources_text(answer).splitlines() == [
        "Sources:",
        '  [1] FAQ.txt ¶56 (lines 205–207, under "4. Questions")',
        "      “If you use the option --num-callers, then traces get longer.”",
    ]


def test_index_lists_files_with_passages_and_warnings(fake_models: ScriptedGenerator, folder: Path) -> None:
    result = runner.invoke(app, ["index", str(folder)])
    assert result.exit_code == 0, result.output
    assert "warning: report.pdf: no text layer on page 3" in result.output
    for line in ("report.pdf  [pdf]", "news.html  [html]", "memo.docx  [docx]", "handbook.md  [markdown]", "notes.txt  [text]"):
        assert line in result.output
    assert "Indexed 5 files" in result.output


def test_search_json_and_chat_open_show_pdf_pages(fake_models: ScriptedGenerator, folder: Path) -> None:
    assert runner.invoke(app, ["index", str(folder)]).exit_code == 0
    found = json.loads(runner.invoke(app, ["search", "twice the load of the old crane", "--json", "-k", "1"]).output)
    assert (found[0]["file"], found[0]["page"], found[0]["format"]) == ("report.pdf", 2, "pdf")
    assert found[0]["last_paragraph"] >= found[0]["paragraph"]  # the span, as the terminal shows it
    fake_models.reply = "The new crane lifts 42 tonnes, twice the load of the old crane [1]."
    result = runner.invoke(app, ["chat", "--threshold", "0"], input="What is twice the load of the old crane?\n/open 1\n/quit\n")
    assert result.exit_code == 0, result.output
    assert "report.pdf p.2 ¶2" in result.output
    shown = [line.split() for line in result.output.splitlines() if " | " in line]
    assert [">", "p.2", "¶2", "|", "The", "new", "container"] in [row[:7] for row in shown]
    assert ["p.2", "¶1", "|", "Equipment"] in shown


def test_extract_prints_what_is_indexed_with_locations(folder: Path) -> None:
    result = runner.invoke(app, ["extract", str(folder / "report.pdf")])
    assert result.exit_code == 0, result.output
    assert "p.2 ¶3 | The dredging contract went to Marlow Dredging for 3.2 million pounds." in result.output


def test_extract_marks_the_paragraphs_taken_for_section_headings(tmp_path: Path) -> None:
    (tmp_path / "guide.rst").write_text("Guide\n=====\n\nIntro.\n\nInstall\n-------\n\nRun it.\n", encoding="utf-8")
    (tmp_path / "page.html").write_text(
        "<html><body><h1>Guide</h1><p>Intro text.</p><h2>Install</h2><p>Install</p><p>Run it.</p></body></html>",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["extract", str(tmp_path / "guide.rst")])
    assert result.output == "¶1 § | Guide\n¶2 | Intro.\n¶3 § | Install\n¶4 | Run it.\n"  # the title alone, no underline
    result = runner.invoke(app, ["extract", str(tmp_path / "page.html")])
    assert result.output == "¶1 § | Guide\n¶2 | Intro text.\n¶3 § | Install\n¶4 | Install\n¶5 | Run it.\n"


def test_extract_plain_gives_the_text_alone_and_it_reads_back_as_the_same_paragraphs_and_headings(tmp_path: Path) -> None:
    (tmp_path / "page.html").write_text(
        "<html><body><h1>Guide</h1><p>Intro text,\nwrapped.</p><h2>Install</h2><p>Run it.</p></body></html>",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["extract", "--plain", str(tmp_path / "page.html")])
    assert result.exit_code == 0 and result.output == (
        "Guide\n=====\n\nIntro text, wrapped.\n\nInstall\n=======\n\nRun it.\n")  # headings read back as headings
    (tmp_path / "page.txt").write_text(result.output, encoding="utf-8")
    again = runner.invoke(app, ["extract", str(tmp_path / "page.txt")])
    assert again.output == runner.invoke(app, ["extract", str(tmp_path / "page.html")]).output == (
        "¶1 § | Guide\n¶2 | Intro text, wrapped.\n¶3 § | Install\n¶4 | Run it.\n")
    long_title = " ".join(["word"] * 20)  # too long for the text reader's heading: written as it is, no underline
    (tmp_path / "long.html").write_text(f"<html><body><h1>{long_title}</h1><p>Body.</p></body></html>", encoding="utf-8")
    assert runner.invoke(app, ["extract", "--plain", str(tmp_path / "long.html")]).output == f"{long_title}\n\nBody.\n"


def test_extract_prints_a_wrapped_paragraph_on_one_line_and_a_failure_as_one_error(tmp_path: Path) -> None:
    (tmp_path / "wrapped.txt").write_bytes(b"The harbour opens\r\nat dawn.\r\n\r\nSecond.\r\n")
    result = runner.invoke(app, ["extract", str(tmp_path / "wrapped.txt")])
    assert result.output == "¶1 | The harbour opens at dawn.\n¶2 | Second.\n"
    (tmp_path / "broken.docx").write_bytes(b"PK not a zip")
    result = runner.invoke(app, ["extract", str(tmp_path / "broken.docx")])
    assert result.exit_code == 1 and len(result.output.splitlines()) == 1
    assert result.output.startswith(f"error: no text read from {tmp_path / 'broken.docx'}: broken DOCX (not a whole zip")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02 not text \x00\x03" * 20)
    result = runner.invoke(app, ["extract", str(tmp_path / "binary.txt")])  # once named, not "…: skipped binary.txt: …"
    assert (result.exit_code, result.output) == (1, f"error: no text read from {tmp_path / 'binary.txt'}: binary file\n")
    (tmp_path / "photo.png").write_bytes(b"\x89PNG\r\n")
    result = runner.invoke(app, ["extract", str(tmp_path / "photo.png")])
    assert result.exit_code == 1 and "photo.png is not a document rag reads (.png files are left out" in result.output
    (tmp_path / "loop1.txt").symlink_to(tmp_path / "loop2.txt")
    (tmp_path / "loop2.txt").symlink_to(tmp_path / "loop1.txt")
    for missing, said in ((tmp_path, "is a folder; pass one document file (`rag index "), (tmp_path / "gone.txt", "not found"),
                          (tmp_path / "loop1.txt", "(Too many levels of symbolic links); check the path")):
        result = runner.invoke(app, ["extract", str(missing)])  # exit 1, as batch and eval say it of their files
        assert result.exit_code == 1 and said in result.output, result.output


def test_chat_open_notices_a_changed_pdf(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    write_pdf(folder / "report.pdf")
    assert runner.invoke(app, ["index", str(folder)]).exit_code == 0
    fake_models.reply = "The new crane lifts 42 tonnes, twice the load of the old crane [1]."
    write_html(folder / "report.pdf")  # replaced after indexing
    result = runner.invoke(app, ["chat", "--threshold", "0"], input="What is twice the load of the old crane?\n/open 1\n/quit\n")
    assert "report.pdf has changed since it was indexed; run /reindex" in result.output


def test_pdf_keeps_a_repeated_heading_and_a_repeated_last_body_line(tmp_path: Path) -> None:
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("helvetica", size=9)
            self.cell(0, 8, "ACME Confidential Report", align="C")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("helvetica", size=9)
            self.cell(0, 10, f"Page {self.page_no()}", align="C")

    pdf = Report()
    for chapter in (1, 2, 3):
        pdf.add_page()
        pdf.set_font("helvetica", "B", 16)
        pdf.multi_cell(0, 8, f"Chapter {chapter}")
        pdf.ln(3)
        pdf.set_font("helvetica", size=11)
        pdf.multi_cell(0, 6, f"In chapter {chapter} the inspectors counted broken valves in the pump-\n"
                             "house and recommended replacement within six weeks of the survey date.")
    pdf.output(str(tmp_path / "chapters.pdf"))
    result = readers.read(tmp_path / "chapters.pdf")
    body = texts(result)
    assert [b.text for b in result.blocks if b.kind == "heading"] == ["Chapter 1", "Chapter 2", "Chapter 3"]
    assert all(text.endswith("within six weeks of the survey date.") for text in body if text.startswith("In chapter"))
    assert not any("ACME" in text or text.startswith("Page ") for text in body)


def test_an_html_fragment_is_read_as_its_visible_text(tmp_path: Path) -> None:
    (tmp_path / "note.htm").write_text("<div>Quick note: the vending machine on floor four takes only coins."
                                       "<script>var hidden = 1;</script></div>")
    result = readers.read(tmp_path / "note.htm")
    assert texts(result) == ["Quick note: the vending machine on floor four takes only coins."]
    assert result.warnings == ()  # read as a page's main text: an <html> around it is implied


def test_markdown_front_matter_is_a_passage_of_its_own_not_a_heading_and_lines_stay_true(tmp_path: Path) -> None:
    (tmp_path / "notes.md").write_text("---\ntitle: Harbor Notes\nauthor: Ann\n---\n\n# Mooring\n\nBoats moor at pier 4.\n")
    document = read_document(tmp_path, tmp_path / "notes.md")[0]
    assert document is not None
    assert [(document.text[p.start:p.end], p.start_line, p.heading) for p in document.paragraphs] == [
        ("title: Harbor Notes\nauthor: Ann", 2, None), ("Mooring", 6, "Mooring"), ("Boats moor at pier 4.", 8, "Mooring"),
    ]


def test_a_front_matter_title_heads_the_text_before_the_first_heading(tmp_path: Path) -> None:
    (tmp_path / "guide.md").write_text("---\ntitle: 'Deploying the Widget'\ndate: 2024-03-01\n---\n\nRead this first.\n\n## Setup\n\nRun it.\n")
    result = readers.read(tmp_path / "guide.md")
    assert [(block.text, block.heading) for block in result.blocks] == [
        ("title: 'Deploying the Widget'\ndate: 2024-03-01", None), ("Read this first.", "Deploying the Widget"),
        ("Setup", "Setup"), ("Run it.", "Setup"),
    ]
    (tmp_path / "empty.md").write_text("---\n---\n\nBody only.\n")
    assert texts(readers.read(tmp_path / "empty.md")) == ["Body only."]


def test_markdown_nested_past_the_parser_limit_is_read_as_plain_text_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "deep.md").write_text(
        "[home]: https://example.org\n\n" + ">" * 30 + " The pier closes at dusk.\n\nBoats moor at pier 4.\n"
    )
    result = readers.read(tmp_path / "deep.md")
    assert texts(result) == [">" * 30 + " The pier closes at dusk.", "Boats moor at pier 4."]
    assert result.warnings == (
        "read 1 line of deep.md as plain text: nested more than 20 levels deep, past what the Markdown parser reads",
    )
    (tmp_path / "fm.md").write_text("---\ntitle: Pier notes\n---\n\n# Mooring\n\n" + ">" * 25 + " Pier 4 is deep.\n")
    result = readers.read(tmp_path / "fm.md")
    assert [(block.text, block.heading) for block in result.blocks] == [
        ("title: Pier notes", None), ("Mooring", "Mooring"), (">" * 25 + " Pier 4 is deep.", "Mooring"),
    ]
    shallow = tmp_path / "shallow.md"
    shallow.write_text("[home]: https://example.org\n\n> Boats moor at pier 4.\n")
    assert texts(readers.read(shallow)) == ["Boats moor at pier 4."] and not readers.read(shallow).warnings


def test_a_utf8_page_with_one_stray_byte_and_a_short_table_row_are_read_as_written(tmp_path: Path) -> None:
    prose = "".join(f"<p>Paragraph {i} is about the café in Łódź, with enough words to be read as prose.</p>" for i in range(4))
    (tmp_path / "stray.html").write_bytes(
        f'<html><head><meta charset="utf-8"><title>T</title></head><body>{prose}<p>One stray byte: it'.encode()
        + b"\x92s here.</p></body></html>"
    )
    assert "Paragraph 0 is about the café in Łódź, with enough words to be read as prose." in texts(readers.read(tmp_path / "stray.html"))
    (tmp_path / "ferry.html").write_text(
        "<!DOCTYPE html><html><head><title>Ferry timetable</title></head><body>\n<h1>Ferry timetable</h1>\n"
        "<h2>Summer</h2>\n<p>The first ferry leaves at 06:15 and the last returns at 23:40.</p>\n"
        "<table><tr><th>Route</th><th>Minutes</th></tr><tr><td>1</td><td>5</td></tr></table>\n"
        "<ul><li>Bikes travel free.</li><li>Dogs need a &lt;leash&gt;.</li></ul>\n<h2>Winter</h2>\n"
        "<p>In winter only three crossings run each day, weather permitting.</p>\n</body></html>\n"
    )
    assert "1 | 5" in texts(readers.read(tmp_path / "ferry.html"))  # though "15" is in "06:15"


def test_a_small_html_table_with_header_cells_is_kept_in_place(tmp_path: Path) -> None:
    (tmp_path / "ferry.html").write_text(
        "<!DOCTYPE html><html><head><title>Ferry timetable</title></head><body>\n<h1>Ferry timetable</h1>\n"
        "<h2>Summer</h2>\n<p>The first ferry leaves at 06:15 and the last returns at 23:40.</p>\n"
        "<table><tr><th>Route</th><th>Minutes</th></tr><tr><td>Ost&ndash;West</td><td>35</td></tr></table>\n"
        "<pre>code line one\ncode line two</pre>\n"
        "<ul><li>Bikes travel free.</li><li>Dogs need a &lt;leash&gt;.</li></ul>\n"
        "<h2>Winter</h2>\n<p>In winter only three crossings run each day, weather permitting.</p>\n</body></html>\n"
    )
    result = readers.read(tmp_path / "ferry.html")
    body = texts(result)
    at = body.index("The first ferry leaves at 06:15 and the last returns at 23:40.")
    assert body[at + 1 : at + 3] == ["Route | Minutes", "Ost–West | 35"]
    assert "Winter" in body and "Bikes travel free." in body


def test_a_pdf_passage_of_several_paragraphs_is_located_by_its_first_and_a_count() -> None:
    from rag.chunking import Chunk
    from rag.render import hits_text
    from rag.retrieval import Hit

    chunk = Chunk(id="r.pdf#p4-6", file="r.pdf", first_paragraph=4, last_paragraph=6, start_line=9, end_line=14,
                  start=0, end=30, text="Dredging began. It ended. Costs rose.", format="pdf", page=2, page_paragraph=3)
    assert hits_text([Hit(chunk, 0.9, 0.8, 1.0)]).startswith("1. r.pdf p.2 ¶3 and 2 more  fused 0.900")
    alone = Chunk(id="r.pdf#p4", file="r.pdf", first_paragraph=4, last_paragraph=4, start_line=9, end_line=9,
                  start=0, end=15, text="Dredging began.", format="pdf", page=2, page_paragraph=3)
    assert hits_text([Hit(alone, 0.9, 0.8, 1.0)]).startswith("1. r.pdf p.2 ¶3  fused 0.900 (dense 0.800, keyword 1.00)")
    assert hits_text([Hit(alone, 2.5, 0.0, 2.5)], "keyword").startswith("1. r.pdf p.2 ¶3  keyword score 2.500\n")


def test_a_search_snippet_shows_a_continued_tables_header_in_brackets_and_no_heading_underline(tmp_path: Path) -> None:
    from rag.render import hits_text
    from rag.retrieval import Hit

    rows = "| Oslo | 709,000 | 454 |\n| Bergen | 285,000 | 465 |"
    chunk = Chunk("t.md#p3.2", "t.md", 3, 3, 40, 41, 900, 950, rows, "markdown", table_header="| City | Population | Area |")
    assert hits_text([Hit(chunk, 0.9, 0.8, 1.0)]).endswith(
        "\n   [| City | Population | Area |] | Oslo | 709,000 | 454 | | Bergen | 285,000 | 465 |")
    from rag.pipeline import hit_passage

    assert hit_passage(Hit(chunk, 0.9, 0.8, 1.0)).table_header == "| City | Population | Area |"  # in --json too
    (tmp_path / "guide.rst").write_text("Mooring\n=======\nBoats moor at pier 4 from April to October.\n", encoding="utf-8")
    document, _ = read_document(tmp_path, tmp_path / "guide.rst")
    assert document is not None
    [passage] = chunk_document(document, ChunkSettings())
    assert hits_text([Hit(passage, 0.9, 0.8, 1.0)]).endswith("\n   Mooring Boats moor at pier 4 from April to October.")


def test_markdown_and_underlined_headings_are_their_words_alone(tmp_path: Path) -> None:
    text = "Harbour guide\n=============\n\nIntro.\n\n## Mooring ##\n\nPier 4.\n"
    (tmp_path / "guide.md").write_text(text, encoding="utf-8")
    result = readers.read(tmp_path / "guide.md")
    assert [(b.text, b.heading) for b in result.blocks if b.kind == "heading"] == [
        ("Harbour guide", "Harbour guide"), ("Mooring", "Mooring")]
    assert all(b.span and text[b.span[0] : b.span[1]] == b.text for b in result.blocks)  # still spans of the file
    rst = text.replace("## Mooring ##", "Mooring\n-------") + "\n=======\n  Fees\n=======\n\nFive pounds.\n"
    (tmp_path / "guide.txt").write_text(rst, encoding="utf-8")  # plain text underlined as reStructuredText is
    document, _ = read_document(tmp_path, tmp_path / "guide.txt")
    assert document is not None
    headings = [(document.text[p.start : p.end], p.start_line, p.end_line, p.heading) for p in document.paragraphs
                if p.heading == document.text[p.start : p.end]]
    assert headings == [("Harbour guide", 1, 1, "Harbour guide"), ("Mooring", 6, 6, "Mooring"), ("Fees", 12, 12, "Fees")]


def test_an_empty_markdown_heading_is_no_block_and_heads_nothing(tmp_path: Path) -> None:
    text = "## Mooring\n\nPier 4.\n\n###### \n\nParagraph after an empty heading.\n"
    (tmp_path / "guide.md").write_text(text, encoding="utf-8")
    result = readers.read(tmp_path / "guide.md")
    assert [(b.text, b.heading, b.kind) for b in result.blocks] == [
        ("Mooring", "Mooring", "heading"), ("Pier 4.", "Mooring", "paragraph"),
        ("Paragraph after an empty heading.", "Mooring", "paragraph")]


def test_a_hash_line_that_is_a_sentence_heads_text_in_markdown_only(tmp_path: Path) -> None:
    """CommonMark makes "# of employees rose ..." an ATX heading, so a .md file keeps it one; in a
    .txt file it is a sentence (tester-s43 L5, decided s45: .txt keeps its own rule)."""
    text = "Staff\n\n# of employees rose to 42 in 2025, up from 37.\n\nThe rest.\n"
    (tmp_path / "staff.md").write_text(text, encoding="utf-8")
    assert [(b.text, b.kind) for b in readers.read(tmp_path / "staff.md").blocks] == [
        ("Staff", "paragraph"), ("of employees rose to 42 in 2025, up from 37.", "heading"), ("The rest.", "paragraph")]
    (tmp_path / "staff.txt").write_text(text, encoding="utf-8")
    document, _ = read_document(tmp_path, tmp_path / "staff.txt")
    assert document is not None and [p.heading for p in document.paragraphs] == [None, None, None]


def test_a_block_quotes_paragraphs_start_after_its_marks_and_its_heading_ends_with_it(tmp_path: Path) -> None:
    text = ("# Notes\n\n> # quoted heading\n> quoted text under it\n\n> A quote over\n> two lines.\n\n"
            "> > - nested item\n\n>     > a quoted prompt in code\n\nAfter the quotes.\n")
    (tmp_path / "notes.md").write_text(text, encoding="utf-8")
    result = readers.read(tmp_path / "notes.md")
    assert [(b.text, b.heading) for b in result.blocks] == [
        ("Notes", "Notes"), ("quoted heading", "quoted heading"), ("quoted text under it", "quoted heading"),
        ("A quote over\n> two lines.", "Notes"),  # one span: a later line's mark stays in it
        ("- nested item", "Notes"), ("> a quoted prompt in code", "Notes"), ("After the quotes.", "Notes")]
    assert all(b.span and text[b.span[0] : b.span[1]] == b.text for b in result.blocks)


def test_a_markdown_headings_context_is_its_words_and_its_block_the_written_span(tmp_path: Path) -> None:
    written = "`rag index` — the *command* with **bold** and [a link](http://x.y)"
    text = f"# Guide\n\nIntro to the guide.\n\n### {written}\n\nIt builds the index of a folder of documents.\n"
    (tmp_path / "guide.md").write_text(text, encoding="utf-8")
    result = readers.read(tmp_path / "guide.md")
    words = "rag index — the command with bold and a link"
    assert [(b.text, b.heading) for b in result.blocks[2:]] == [
        (written, words), ("It builds the index of a folder of documents.", words)]
    extracted = runner.invoke(app, ["extract", str(tmp_path / "guide.md")]).output
    assert f"¶3 § | {written}\n" in extracted  # still taken for the heading it is
    document, _ = read_document(tmp_path, tmp_path / "guide.md")
    assert document is not None
    [_, chunk] = chunk_document(document, ChunkSettings())
    assert chunk.heading == words and chunk.text.startswith(written)
    assert embedding_text(chunk.text, words) == chunk.text  # it opens with its heading: not repeated


def test_pdf_one_line_paragraphs_stay_apart_and_templated_sentences_are_text(tmp_path: Path) -> None:
    from fpdf import FPDF

    class Survey(FPDF):
        def header(self) -> None:
            self.set_font("helvetica", size=9)
            self.cell(0, 8, f"Printed 2024-03-{10 + 7 * self.page_no()}")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("helvetica", size=9)
            self.cell(0, 10, f"{self.page_no()} | All rights reserved.")

    pdf = Survey()
    for year, boats in ((1900, 3), (1910, 7), (1920, 5)):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 6, f"The mill was rebuilt in {year + 5} by the town.")
        pdf.ln(5)
        pdf.multi_cell(0, 6, f"Its wheel turned for {boats} decades, the survey of {year} says.")
        pdf.ln(5)
        pdf.multi_cell(0, 6, f"In year {year} the harbour had {boats} boats.")
    pdf.output(str(tmp_path / "mill.pdf"))
    result = readers.read(tmp_path / "mill.pdf")
    assert [(b.page, b.text) for b in result.blocks][:3] == [
        (1, "The mill was rebuilt in 1905 by the town."), (1, "Its wheel turned for 3 decades, the survey of 1900 says."),
        (1, "In year 1900 the harbour had 3 boats.")]
    assert len(result.blocks) == 9  # the footer carrying the page number is dropped, though it ends in a full stop
    assert result.warnings == ("mill.pdf: left out as running headers/footers (they repeat at page edges, numbers "
                               "aside): 'Printed 2024-03-17'",)


def test_pdf_list_items_with_a_smaller_bullet_keep_their_wrapped_lines(tmp_path: Path) -> None:
    """A bullet set in a smaller font than its item's text (as DocBook's PDFs do) must not make the
    item's first line a paragraph of its own; the paragraph after the list, set a little further
    down than the items' own lines, is not run into the last item."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 5, "There are two requirements for the way the database is stored and read:")
    pdf.ln(3)
    items = (("Applications must be able to extend the database in any way when they are installed,",
              "to add new rules for determining type and information about specific types."),
             ("It must be possible to install applications in the system folders or the home directory",
              "and have their information used in the same way."))
    for first, second in items:
        pdf.set_font("helvetica", size=7)
        pdf.cell(5, 5, "-")
        pdf.set_font("helvetica", size=11)
        pdf.cell(0, 5, first, new_x="LMARGIN", new_y="NEXT")
        pdf.set_x(pdf.l_margin + 5)
        pdf.cell(0, 5, second, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.multi_cell(0, 5, "Further, the existing databases have been merged into a single package.")
    pdf.output(str(tmp_path / "spec.pdf"))
    assert texts(readers.read(tmp_path / "spec.pdf")) == [
        "There are two requirements for the way the database is stored and read:",
        "- " + " ".join(items[0]),
        "- " + " ".join(items[1]),
        "Further, the existing databases have been merged into a single package.",
    ]


def test_pdf_a_wrapped_numbered_heading_and_a_tall_line_in_a_numbered_paragraph_stay_whole() -> None:
    from rag.readers.pdf import _Line, _paragraphs

    heading = [_Line("1. Obligations of the supplier regarding delivery,", 700, 14.0),
               _Line("inspection and acceptance of goods", 683, 14.0)]
    body = [_Line(f"The parties agree on line {n} of the clause.", 660 - 13 * n, 11.0) for n in range(4)]
    assert [len(group) for group in _paragraphs(heading + body, 11.0, 13.0)] == [2, 4]
    numbered = [_Line("1. The parties agree that the supplier shall deliver", 700, 11.0),
                _Line("the goods to the buyer's premises within thirty days", 700 - 13 * 1.3, 11.0),
                _Line("of the order, as the schedule says.", 700 - 13 * 2.3, 11.0)]
    assert [len(group) for group in _paragraphs(numbered, 11.0, 13.0)] == [3]


def test_pdf_double_spaced_lines_of_one_paragraph_stay_together() -> None:
    from rag.readers.pdf import _blocks, _Line

    words = ("The survey of the {} harbour", "was carried out in spring", "by the {} council.")
    pages = [[_Line(words[i % 3].format(place), 700 - 27.6 * i, 12.0) for i in range(6)] for place in ("north", "south")]
    result = _blocks(pages, "thesis.pdf")
    assert [b.text for b in result.blocks] == [  # a paragraph a page, not a paragraph a line
        " ".join(line.text for line in lines) for lines in pages]


def test_pdf_table_rows_are_rows_of_cells_and_a_label_with_its_value_is_not_a_table(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "The depots and their opening hours follow; each serves one district of the city.")
    pdf.ln(4)
    with pdf.table() as table:
        for cells in (("Depot", "District", "Opens"), ("Northgate", "Harbour", "06:00"), ("Elm Street", "Old Town", "07:30")):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    for label, value in (("Manager:", "Ines Duarte"), ("Phone:", "555 0199")):  # two label lines are no table
        pdf.cell(40, 6, label)
        pdf.cell(0, 6, value, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "depots.pdf"))
    blocks = readers.read(tmp_path / "depots.pdf").blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("paragraph", "The depots and their opening hours follow; each serves one district of the city."),
        ("table_row", "Depot | District | Opens"), ("table_row", "Northgate | Harbour | 06:00"),
        ("table_row", "Elm Street | Old Town | 07:30"), ("paragraph", "Manager: Ines Duarte Phone: 555 0199")]


@pytest.mark.parametrize("v_align", ["TOP", "MIDDLE", "BOTTOM"])
def test_pdf_table_rows_keep_empty_cells_in_their_columns_and_wrapped_cells_whole(tmp_path: Path, v_align: str) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Each depot and what it handles this winter; a blank means none.")
    pdf.ln(4)
    with pdf.table(col_widths=(30, 30, 90), v_align=v_align) as table:
        for cells in (("Depot", "Staff", "Handles"), ("Northgate", "12", "Road salt, grit and the snow ploughs for the harbour district and the ring road"),
                      ("Elm Street", "", "Parcels"), ("Riverside", "22", "")):
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    pdf.multi_cell(0, 6, "All depots close on public holidays.")
    pdf.output(str(tmp_path / "depots.pdf"))
    assert [(b.kind, b.text) for b in readers.read(tmp_path / "depots.pdf").blocks] == [
        ("paragraph", "Each depot and what it handles this winter; a blank means none."),
        ("table_row", "Depot | Staff | Handles"),
        ("table_row", "Northgate | 12 | Road salt, grit and the snow ploughs for the harbour district and the ring road"),
        ("table_row", "Elm Street | | Parcels"), ("table_row", "Riverside | 22 |"),
        ("paragraph", "All depots close on public holidays.")]


BRANCHES = (("Branch", "Opening hours", "Notes"),
            ("Central library on the market square", "09:00-20:00", "Closed on public holidays and on the first Monday "
             "of every month for stocktaking, and longer over the winter break when the heating is serviced"),
            ("Harbour", "10:00-16:00", "Reading room only"),
            ("Hillside", "12:00-18:00",
             "Children's story hour on Saturdays at eleven, run by volunteers from the school"),
            ("Mill Lane", "09:00-13:00", "Mornings only"))


@pytest.mark.parametrize(("padding", "line_height", "v_align", "first_wraps"), [
    (2, 8, "MIDDLE", True), (3, 6, "MIDDLE", True), (6, 5, "MIDDLE", False), (8, 5, "MIDDLE", True),
    (4, 4, "TOP", True), (3, 6, "BOTTOM", True), (0, 8, "MIDDLE", True)])
def test_pdf_table_rows_with_padding_keep_wrapped_cells_in_their_row_and_the_bold_header_a_row(
        tmp_path: Path, padding: float, line_height: float, v_align: str, first_wraps: bool) -> None:
    """Cells with padding, set in the middle of their row: a row's cells on different baselines, a
    cell's lines (three or four) starting above the others, a wrapped first column, rows further
    apart than a cell's lines; the bold header row is a row, no heading; a short line after the
    table, standing where its first column does, is a paragraph. Without padding, the bold header
    row and the rows' first columns tell the rows."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "Opening hours of the branch libraries this winter, by branch.", new_x="LMARGIN", new_y="NEXT")
    pdf.ln(4)
    rows = [BRANCHES[0], (BRANCHES[1][0] if first_wraps else "Central", *BRANCHES[1][1:]), *BRANCHES[2:]]
    with pdf.table(padding=padding, line_height=line_height, col_widths=(30, 30, 60), v_align=v_align) as table:
        for cells in rows:
            row = table.row()
            for cell in cells:
                row.cell(cell)
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Source: council.", new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "hours.pdf"))
    assert [(b.kind, b.text) for b in readers.read(tmp_path / "hours.pdf").blocks] == [
        ("paragraph", "Opening hours of the branch libraries this winter, by branch."),
        *(("table_row", " | ".join(cells)) for cells in rows), ("paragraph", "Source: council.")]


def test_pdf_a_bold_line_of_cells_apart_by_wide_gaps_is_no_heading() -> None:
    from rag.readers.pdf import _blocks, _Line

    header = _Line("Branch Opening hours", 700.0, 11.0, (("Branch", 30.0, 63.0), ("Opening hours", 165.0, 236.5)), 30.0,
                   236.5, bold=True)
    below = _Line("Central 09:00-20:00", 686.0, 11.0, (("Central", 30.0, 68.5), ("09:00-20:00", 165.0, 225.5)),
                  30.0, 225.5)
    assert [b.kind for b in _blocks([[header, below]], "hours.pdf").blocks] == ["paragraph"]


def test_pdf_body_lines_repeated_on_every_page_away_from_its_edges_are_text(tmp_path: Path) -> None:
    """A mail-merged letter's closing ends its body far above the page's foot, and a quiz's
    question line is numbered as its page: neither is a running header or footer."""
    from fpdf import FPDF

    pdf = FPDF()
    for number, name in enumerate(("Ahmed", "Brook", "Chen"), start=1):
        pdf.add_page()
        pdf.set_font("helvetica", size=12)
        pdf.multi_cell(0, 7, f"Question {number}: What is {number} times {number + 6}?")
        pdf.ln(8)
        pdf.multi_cell(0, 7, f"Dear {name}, your bill for the spring quarter is {number * 40} pounds, payable by "
                             "direct debit; check the sum against the key.")
        pdf.ln(5)
        pdf.multi_cell(0, 7, "Yours sincerely,\nHelen Marsh, Customer Services Director")
    pdf.output(str(tmp_path / "letters.pdf"))
    body = texts(readers.read(tmp_path / "letters.pdf"))
    assert sum("Helen Marsh, Customer Services Director" in text for text in body) == 3
    assert sum(text.endswith("against the key.") for text in body) == 3
    assert [text for text in body if text.startswith("Question")] == [
        "Question 1: What is 1 times 7?", "Question 2: What is 2 times 8?", "Question 3: What is 3 times 9?"]


def test_pdf_code_set_in_a_monospaced_font_with_no_gap_is_a_paragraph_of_its_own(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for font, line in (("helvetica", "The configuration file must follow the syntax below:"),
                       ("courier", "BEGIN option = value END"),
                       ("helvetica", "The equals sign must be separated from the option name by spaces.")):
        pdf.set_font(font, size=11)
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "syntax.pdf"))
    assert texts(readers.read(tmp_path / "syntax.pdf")) == [
        "The configuration file must follow the syntax below:", "BEGIN option = value END",
        "The equals sign must be separated from the option name by spaces."]


def test_pdf_lettered_items_are_items_and_ligatures_are_letters(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, "The hirer agrees to these terms of hire for every item on the order form.",
                   new_x="LMARGIN", new_y="NEXT")
    for item in ("(a) The hirer must return the equipment clean.", "(b) Late returns are charged in full.",
                 "A. Use in the title page a distinct title.", "B. List on the title page the authors."):
        pdf.multi_cell(0, 6, item, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "terms.pdf"))
    assert texts(readers.read(tmp_path / "terms.pdf"))[1:] == [
        "(a) The hirer must return the equipment clean.", "(b) Late returns are charged in full.",
        "A. Use in the title page a distinct title.", "B. List on the title page the authors."]
    from rag.readers.pdf import _LIGATURES

    assert "The \ufb01nal \ufb02ood report".translate(_LIGATURES) == "The final flood report"


def test_a_pdf_table_header_repeated_on_every_page_is_kept_and_the_running_header_dropped(tmp_path: Path) -> None:
    stock = write_stock_pdf(tmp_path / "stock.pdf", 3, 4, header_on_every_page=True, title="Warehouse stock report")
    blocks = readers.read(stock).blocks
    assert [(b.page, b.text) for b in blocks if b.page == 2] == [
        (2, "Part number | Stock level | Reorder point"), (2, "Part 004 | 104 | 14"), (2, "Part 005 | 105 | 15"),
        (2, "Part 006 | 106 | 16"), (2, "Part 007 | 107 | 17")]


def test_pdf_line_cells_need_a_wide_gap_and_pieces_in_order() -> None:
    from rag.readers.pdf import _cells

    assert [text for text, _, _ in _cells([(30.0, 5.5, "Depot"), (165.0, 5.5, " District")])] == ["Depot", "District"]
    assert _cells([(30.0, 5.0, "    return"), (80.0, 5.0, " compute(x)")]) == ()  # indented code: its spaces count
    assert _cells([(119.6, 5.0, "the files should be loaded from the"), (259.8, 5.0, " mime")]) == ()  # inline code
    assert _cells([(30.0, 5.0, "Returns:"), (75.0, 5.0, " ASN1_SUCCESS")]) == ()  # a word space, not a column gap
    assert _cells([(474.0, 5.0, "[Function]"), (90.0, 6.0, "int asn1_create")]) == ()  # a right-set label first
    assert _cells([(30.0, 4.0, "•"), (129.5, 5.0, " A standard way to install")]) == ()  # a bullet


def test_extract_refuses_a_pipe_instead_of_waiting_on_it(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "pipe.txt")
    result = runner.invoke(app, ["extract", str(tmp_path / "pipe.txt")])
    assert result.exit_code == 1 and result.output == f"error: {tmp_path / 'pipe.txt'} is not a regular file; pass a document file\n"


PUMP_PARTS = ("intake", "outlet", "seal", "bearing", "impeller", "casing", "motor", "valve")


def bare_prose_page() -> str:
    """A manual written as zlib's "zlib Usage Example" is: prose directly in <body>, between code
    blocks, and here a menu and a footer around it."""
    parts = ['<!DOCTYPE html><html><head><title>Pump manual</title></head><body>',
             '<nav><a href="/">Home</a> | <a href="/pumps">All pumps</a> | <a href="/contact">Contact the sales team</a></nav>',
             '<h2>Servicing the pump</h2>\n',
             'We often get questions about how the pump should be serviced, so this page walks through it.\n<p>\n']
    for n, part in enumerate(PUMP_PARTS, 1):
        parts.append(f"Step {n} looks at the <tt>{part}</tt>: check the {part} for wear before every season,\n"
                     f"and replace the {part} when its marks are worn away.\n")
        parts.append(f"<pre><b>\n$ pumpctl inspect --part {part}\nok\n</b></pre><!-- -->\n")
    parts.append("<footer>Copyright 2024 Pumpworks Ltd. All rights reserved. Privacy policy and cookie settings.</footer>")
    return "".join(parts) + "</body></html>\n"


def test_html_prose_directly_in_the_body_is_kept_in_order_without_menu_or_footer(tmp_path: Path) -> None:
    (tmp_path / "pump.html").write_text(bare_prose_page())
    result = readers.read(tmp_path / "pump.html")
    body = texts(result)
    steps = [f"Step {n} looks at the {part}: check the {part} for wear before every season, and replace the {part} "
             f"when its marks are worn away." for n, part in enumerate(PUMP_PARTS, 1)]
    assert body[:4] == ["Servicing the pump", "We often get questions about how the pump should be serviced, so "
                        "this page walks through it.", steps[0], "$ pumpctl inspect --part intake\nok"]
    assert [text for text in body if text.startswith("Step ")] == steps
    assert body.index(steps[3]) == body.index("$ pumpctl inspect --part seal\nok") + 1
    joined = "\n".join(body)
    for boilerplate in ("Home", "All pumps", "sales team", "Copyright", "cookie"):
        assert boilerplate not in joined
    assert not result.warnings


NESTED_PAGE = """<!DOCTYPE html><html><head><title>Closures</title></head><body><main>
<h1>The closure API</h1>
<p><code>libffi</code> also provides a way to write a generic function that can decode any combination of arguments.</p>
<dl>
<dt>Function: ffi_prep_closure_loc</dt>
<dd><p>Prepare a closure function. The arguments to ffi_prep_closure_loc are:</p>
<dl><dt>closure</dt><dd><p>The address of a ffi_closure object, as returned by the allocator.</p></dd>
<dt>cif</dt><dd><p>The ffi_cif describing the function parameters, kept alive until the closure is freed.</p></dd></dl>
<p>It returns FFI_OK if everything went well, and another status value on error.</p></dd>
</dl>
<ol><li>Passing parameters on the command line does not work
<p>xsltproc --param test alpha foo.xsl foo.xml</p><p>the param does not get passed and ends up as an empty string.</p>
<ul><li>Escape the quotes twice at the shell prompt.</li><li>Or use the stringparam option instead.</li></ul></li></ol>
</main></body></html>
"""


def test_html_nested_lists_give_each_piece_of_text_once_with_spaces_between_blocks(tmp_path: Path) -> None:
    (tmp_path / "closures.html").write_text(NESTED_PAGE)
    body = texts(readers.read(tmp_path / "closures.html"))
    pieces = ["libffi also provides a way to write a generic function", "Prepare a closure function.",
              "The address of a ffi_closure object", "The ffi_cif describing", "It returns FFI_OK",
              "xsltproc --param test alpha foo.xsl foo.xml the param does not get passed",
              "Escape the quotes twice", "Or use the stringparam option"]
    for piece in pieces:
        assert sum(text.count(piece) for text in body) == 1, (piece, body)
    assert "libffi" not in body  # inline code is part of its paragraph, not a block of its own
    at = [next(i for i, text in enumerate(body) if piece in text) for piece in pieces]
    assert at == sorted(at)  # in reading order
    assert "Escape the quotes twice at the shell prompt." in body


def test_html_layout_table_text_is_read_once(tmp_path: Path) -> None:
    """A page laid out in a table (old generated manuals): its cells' headings, paragraphs and
    lists are the text, each once, and no one-cell "row" repeats them."""
    (tmp_path / "bugs.html").write_text(
        "<!DOCTYPE html><html><head><title>Bugs</title></head><body><table><tr><td><h1>Reporting bugs</h1></td></tr></table>"
        "<table><tr><td><p>Bugs or missing features are always possible, and we fix them in a timely fashion.</p>"
        "<p>Check the following before posting a report to the list:</p>"
        "<ul><li>use the search engine to look for your problem first.</li>"
        "<li>make sure you are using a recent version of the library.</li></ul>"
        "<p>Then send the bug with the information needed to reproduce it.</p></td></tr></table></body></html>")
    body = texts(readers.read(tmp_path / "bugs.html"))
    assert body == ["Reporting bugs", "Bugs or missing features are always possible, and we fix them in a timely fashion.",
                    "Check the following before posting a report to the list:",
                    "use the search engine to look for your problem first.",
                    "make sure you are using a recent version of the library.",
                    "Then send the bug with the information needed to reproduce it."]


CP1252 = "Le prix est de 20 € et l’entrée est gratuite pour les «enfants» — voilà.\n"


def test_windows_1252_text_is_decoded_as_such_and_named_in_the_warning(tmp_path: Path) -> None:
    from rag.readers.base import decode_bytes

    (tmp_path / "prix.txt").write_bytes(CP1252.encode("cp1252"))
    document, warnings = read_document(tmp_path, tmp_path / "prix.txt")
    assert document is not None and document.text == CP1252
    assert warnings == ["decoded prix.txt as Windows-1252: it is not valid UTF-8 (if its text reads wrong, save it as UTF-8)"]
    assert decode_bytes("café\n".encode("latin-1")) == ("café\n", "latin-1")  # no byte where the two differ
    assert decode_bytes(b"caf\xe9 \x81\x9d") == ("caf\xe9 \x81\x9d", "latin-1")  # bytes Windows-1252 leaves undefined


def test_a_file_of_utf8_lines_and_latin1_lines_is_read_line_by_line() -> None:
    """One UTF-8 "Café" line and one Latin-1 were taken for Nordic ISO-8859-10, "CafÃĐ" (tester-s45
    L4): too little UTF-8 for its stray bytes to be damage, too many runs of high bytes for Western."""
    from rag.readers.base import decode_bytes, decode_text

    warnings: list[str] = []
    mixed = "Café UTF-8 line one about lemurs.\n".encode() + "Latin line café about lemurs too.\n".encode("latin-1")
    assert decode_text(mixed, "mixed.txt", warnings) == "Café UTF-8 line one about lemurs.\nLatin line café about lemurs too.\n"
    assert warnings == ["decoded mixed.txt as UTF-8 and Latin-1, line by line: it is not valid UTF-8 (if its text reads "
                        "wrong, save it as UTF-8)"]
    assert decode_bytes("\ufeffThe café – open.\r\n".encode() + CP1252.encode("cp1252")) == (
        "The café – open.\r\n" + CP1252, "utf-8 and cp1252 lines")  # its lines' bytes 0x80-0x9F: Windows-1252
    russian = "Москва — столица России.\n".encode("cp1251") + "Café line.\n".encode()  # runs of high bytes: not Western
    assert decode_bytes(russian)[1] not in ("utf-8 and cp1252 lines", "utf-8 and latin-1 lines")


def test_html_declared_latin_1_is_read_as_windows_1252(tmp_path: Path) -> None:
    page = ("<!DOCTYPE html><html><head><meta charset=\"iso-8859-1\"><title>Prix</title></head><body>"
            f"<p>{CP1252.strip()} Le maire l’a annoncé hier soir devant le conseil.</p></body></html>")
    (tmp_path / "prix.html").write_bytes(page.encode("cp1252"))
    assert texts(readers.read(tmp_path / "prix.html")) == [
        f"{CP1252.strip()} Le maire l’a annoncé hier soir devant le conseil."]


def test_figure_and_table_captions_are_paragraphs_in_place(tmp_path: Path) -> None:
    (tmp_path / "pump.html").write_text(
        "<!DOCTYPE html><html><head><title>Pump manual</title></head><body>\n<h1>Pump manual</h1>\n"
        "<p>The pump moves water from the tank to the roof garden every morning.</p>\n"
        '<figure><img src="pump.png" alt="pump"><figcaption>Figure 2: The pump draws 40 watts at full speed.'
        "</figcaption></figure>\n<table><caption>Table 1: Power by speed</caption><tr><th>Speed</th><th>Watts</th>"
        "</tr><tr><td>Low</td><td>12</td></tr><tr><td>High</td><td>40</td></tr></table>\n"
        "<h2>Warranty</h2>\n<p>The warranty covers parts for two years from the date of purchase.</p>\n</body></html>\n"
    )
    assert texts(readers.read(tmp_path / "pump.html")) == [
        "Pump manual", "The pump moves water from the tank to the roof garden every morning.",
        "Figure 2: The pump draws 40 watts at full speed.", "Table 1: Power by speed", "Speed | Watts", "Low | 12",
        "High | 40", "Warranty", "The warranty covers parts for two years from the date of purchase.",
    ]


def test_html_text_a_reader_sees_or_opens_is_kept(tmp_path: Path) -> None:
    (tmp_path / "faq.html").write_text(
        "<!DOCTYPE html><html><head><title>FAQ</title></head><body><main><article>\n<h1>Parcel questions</h1>\n"
        '<h2><button type="button">How heavy can a parcel be?</button></h2>\n'
        '<div style="display: none;"><p>A standard parcel may weigh up to 31.5 kg.</p></div>\n'
        '<a href="#q2"><h2>How long does delivery take?</h2></a>\n<p hidden>Domestic parcels arrive within two working days.</p>\n'
        '<aside class="note"><p>Parcels to islands take one day more.</p></aside>\n</article></main></body></html>\n'
    )
    result = readers.read(tmp_path / "faq.html")
    assert [(block.text, block.heading) for block in result.blocks] == [
        ("Parcel questions", "Parcel questions"), ("How heavy can a parcel be?", "How heavy can a parcel be?"),
        ("A standard parcel may weigh up to 31.5 kg.", "How heavy can a parcel be?"),
        ("How long does delivery take?", "How long does delivery take?"),
        ("Domestic parcels arrive within two working days.", "How long does delivery take?"),
        ("Parcels to islands take one day more.", "How long does delivery take?"),
    ]


def test_html_captions_version_notes_bylines_and_footnote_asides_are_text(tmp_path: Path) -> None:
    """Classes trafilatura takes for a site's chrome name facts as often (mdBook's span.caption,
    Node's div.api_metadata, a byline), and an EPUB 3 footnote is an <aside> outside any article."""
    (tmp_path / "docs.html").write_text(
        "<!DOCTYPE html><html><head><title>Docs</title></head><body>\n"
        '<nav class="menu"><a href="/">Home</a> <a href="/api">API</a></nav>\n'
        "<main><h1>process.abort()</h1>\n"
        '<div class="byline">By Ada Fernsby, 3 May 2024</div>\n'
        '<div class="api_metadata"><span>Added in: v0.7.0</span></div>\n'
        "<p>The process.abort() method causes the Node.js process to exit immediately and generate a core file.</p>\n"
        '<p><img src="s.svg" alt="s"><span class="caption">Figure 4-1: A String holding the value hello</span></p>\n'
        '<div class="post-meta"><a href="/t/a">news</a> <a href="/t/b">events</a> <a href="/t/c">mills</a></div>\n'
        "</main></body></html>\n")
    assert texts(readers.read(tmp_path / "docs.html")) == [
        "process.abort()", "By Ada Fernsby, 3 May 2024", "Added in: v0.7.0",
        "The process.abort() method causes the Node.js process to exit immediately and generate a core file.",
        "Figure 4-1: A String holding the value hello"]
    (tmp_path / "chapter.xhtml").write_text(
        '<html><body><section epub:type="chapter"><h1>The barn owl</h1>\n'
        '<p>The barn owl hunts over open fields at dusk, and some birds are strikingly pale.<a epub:type="noteref" '
        'href="#n1"><sup>1</sup></a></p>\n'
        '<aside epub:type="footnote" id="n1"><p>1. The pale colouring is called leucism. <a href="#r1" '
        'class="footnote-back" role="doc-backlink">\u21a9\ufe0e</a></p></aside>\n'
        "</section></body></html>\n")
    assert texts(readers.read(tmp_path / "chapter.xhtml", "html"))[1:] == [
        "The barn owl hunts over open fields at dusk, and some birds are strikingly pale.",
        "1. The pale colouring is called leucism."]


@pytest.mark.parametrize("markup", [
    "<h2>Fragment heading</h2>\n<p>This fragment tells of the narwhal tusk exhibit in room 12.</p>\n<p>Second paragraph.</p>\n",
    "<body><h2>Fragment heading</h2><p>This fragment tells of the narwhal tusk exhibit in room 12.</p>"
    "<p>Second paragraph.</p></body>",
])
def test_an_html_fragment_without_an_html_element_keeps_its_headings_and_paragraphs(tmp_path: Path, markup: str) -> None:
    (tmp_path / "snippet.html").write_text(markup)
    blocks = readers.read(tmp_path / "snippet.html").blocks
    assert [(b.kind, b.text) for b in blocks] == [
        ("heading", "Fragment heading"),
        ("paragraph", "This fragment tells of the narwhal tusk exhibit in room 12."), ("paragraph", "Second paragraph.")]


RUSSIAN = ("Москва — столица России, крупнейший по численности населения город страны. Город стоит на реке Москве "
           "в центре Восточно-Европейской равнины. В Москве находятся органы государственной власти, многие музеи, "
           "театры и университеты. Первое упоминание о городе относится к 1147 году.")
CHINESE = "北京是中华人民共和国的首都，也是全国的政治中心和文化中心。北京有三千多年的建城史，八百多年的建都史。长城和故宫都是世界文化遗产。"
POLISH = "Zażółć gęślą jaźń. Wszystkie dzieci chodzą do szkoły w Krakowie, gdzie uczą się języka polskiego i historii."


@pytest.mark.parametrize(("text", "encoding"), [(RUSSIAN, "cp1251"), (CHINESE, "gb18030"), (POLISH, "cp1250")])
def test_a_text_file_in_a_legacy_code_page_is_read_in_the_one_detected(tmp_path: Path, text: str, encoding: str) -> None:
    from rag.readers.base import decode_text

    warnings: list[str] = []
    assert decode_text(text.encode(encoding), "notes.txt", warnings) == text
    assert warnings == [f"decoded notes.txt as {encoding} (detected): it is not valid UTF-8 (if its text reads wrong, "
                        "save it as UTF-8)"]


def test_a_short_legacy_text_too_short_to_tell_is_read_as_western_with_the_fix_and_utf_32_by_its_mark() -> None:
    from rag.readers.base import decode_text

    warnings: list[str] = []
    assert decode_text("Привет, мир.".encode("koi8_r"), "hi.txt", warnings) is not None
    assert warnings == ["decoded hi.txt as Latin-1: it is not valid UTF-8 (if its text reads wrong, save it as UTF-8)"]
    warnings.clear()
    assert decode_text("UTF-32 text about the lighthouse.".encode("utf-32"), "u.txt", warnings) == \
        "UTF-32 text about the lighthouse."
    assert warnings == []


def test_an_html_page_in_windows_1252_that_declares_no_charset_is_read_as_windows_1252(tmp_path: Path) -> None:
    page = ("<html><head><title>Horario</title></head><body><h1>Horario</h1><p>Los niños menores de un año tienen "
            "consulta los miércoles por la mañana; la señora Peña coordina las vacunas.</p></body></html>")
    (tmp_path / "es.html").write_bytes(page.encode("cp1252"))
    (tmp_path / "ru.html").write_bytes("<html><body><p>Москва — столица России, крупнейший город страны.</p></body></html>"
                                       .encode("cp1251"))
    assert texts(readers.read(tmp_path / "es.html"))[1].startswith("Los niños menores de un año")
    assert texts(readers.read(tmp_path / "ru.html")) == ["Москва — столица России, крупнейший город страны."]


def test_numbered_html_list_items_open_with_their_number_and_link_menus_do_not(tmp_path: Path) -> None:
    (tmp_path / "install.html").write_text(
        "<!DOCTYPE html><html><head><title>Install</title></head><body><main><h1>Installing the sensor</h1>\n"
        "<p>Follow these steps in order. If step 3 fails, repeat step 2.</p>\n<ol><li>Switch off the mains power.</li>"
        "<li>Remove the cover plate.</li><li>Connect the brown wire to terminal L.</li></ol>\n"
        '<ol start="7"><li>Register the sensor in the app.</li></ol>\n<ol reversed><li>Two left.</li><li>One left.</li></ol>\n'
        '<ol type="a"><li>Lettered item.</li></ol>\n</main></body></html>\n'
    )
    assert texts(readers.read(tmp_path / "install.html"))[2:] == [
        "1. Switch off the mains power.", "2. Remove the cover plate.", "3. Connect the brown wire to terminal L.",
        "7. Register the sensor in the app.", "2. Two left.", "1. One left.", "Lettered item."]


def test_docx_list_levels_count_and_format_as_word_shows_them() -> None:
    from docx.oxml import parse_xml

    from rag.readers.docx_numbering import Numbering, _Level

    levels = {"7": {0: _Level(1, "decimal", "%1."), 1: _Level(1, "lowerLetter", "(%2)"), 2: _Level(1, "lowerRoman", "%1.%2.%3")},
              "8": {0: _Level(5, "upperRoman", "%1"), 1: _Level(1, "bullet", "•")}}
    numbering = Numbering(levels, {"Clause": ("7", 0)})
    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'

    def item(list_id: str, level: int) -> str | None:
        return numbering.label(parse_xml(f'<w:p {w}><w:pPr><w:numPr><w:ilvl w:val="{level}"/><w:numId w:val="{list_id}"/>'
                                         "</w:numPr></w:pPr></w:p>"))

    styled = numbering.label(parse_xml(f'<w:p {w}><w:pPr><w:pStyle w:val="Clause"/></w:pPr></w:p>'))
    assert [styled, item("7", 1), item("7", 1), item("7", 2), item("7", 0), item("7", 1)] == ["1.", "(a)", "(b)", "1.b.i", "2.", "(a)"]
    assert [item("8", 0), item("8", 1), item("8", 0), item("0", 0), item("9", 0)] == ["V", None, "VI", None, None]


def test_html_preformatted_text_keeps_its_lines_and_double_breaks_end_paragraphs(tmp_path: Path) -> None:
    (tmp_path / "notes.html").write_text(
        "<!DOCTYPE html><html><head><title>Release notes</title></head><body><main><h1>Supported versions</h1>\n"
        "<p>The following table lists the end-of-support dates for each release.</p>\n"
        "<pre>\nVersion   End of support\n-------   --------------\n4.2       2025-03-01<br>4.1       2024-09-15\n</pre>\n"
        "</main></body></html>\n"
    )
    assert texts(readers.read(tmp_path / "notes.html"))[2] == (
        "Version   End of support\n-------   --------------\n4.2       2025-03-01\n4.1       2024-09-15")
    (tmp_path / "club.html").write_text(
        "<html><head><title>Club rules</title></head><body><div class='post'><b>Membership</b><br><br>\n"
        "Membership costs 40 pounds a year. Juniors under 16 pay half.<br><br>\n<b>Guests</b><br><br>\n"
        "Each member may bring two guests a month.<br>They sign the visitors' book.</div></body></html>"
    )
    assert texts(readers.read(tmp_path / "club.html")) == [
        "Membership", "Membership costs 40 pounds a year. Juniors under 16 pay half.", "Guests",
        "Each member may bring two guests a month. They sign the visitors' book."]
    (tmp_path / "poems.html").write_text(
        "<html><body><article><h1>Poems</h1><p>Roses are red,<br>violets are <em>blue</em>,<br><br>this second "
        "stanza is in the same paragraph element, about tulips.</p></article></body></html>")
    assert texts(readers.read(tmp_path / "poems.html")) == [
        "Poems", "Roses are red, violets are blue,", "this second stanza is in the same paragraph element, about tulips."]


def test_pdf_words_broken_at_a_line_end_are_joined_unless_the_document_hyphenates_them() -> None:
    from rag.readers.pdf import _blocks, _Line

    lines = [_Line("Self-employed staff claim their own travel. The extra-", 700.0, 11.0),
             _Line("ordinary cost of a long trip is shared with the self-", 687.0, 11.0),
             _Line("employed person's client, as agreed in the COVID-", 674.0, 11.0),
             _Line("19 rules.", 661.0, 11.0)]
    assert [b.text for b in _blocks([lines], "travel.pdf").blocks] == [
        "Self-employed staff claim their own travel. The extraordinary cost of a long trip is shared with the "
        "self-employed person's client, as agreed in the COVID-19 rules."]


def test_pdf_keeps_a_hyphen_the_document_writes_as_two_words_and_joins_a_broken_word() -> None:
    """"long-" "term" stays long-term where the document writes "long" and "term" as words of their
    own and never "longterm"; "infor-" "mation" is a line break."""
    from rag.readers.pdf import _blocks, _Line

    lines = [_Line("A long wait and a short term of office. The long-", 700.0, 11.0),
             _Line("term plan is a long one, for the term of the lease, with infor-", 687.0, 11.0),
             _Line("mation for the tenants.", 674.0, 11.0)]
    assert [b.text for b in _blocks([lines], "plan.pdf").blocks] == [
        "A long wait and a short term of office. The long-term plan is a long one, for the term of the lease, "
        "with information for the tenants."]


def _columns_pdf(path: Path, title: str, left: str, right: str, footnote: str | None = None) -> Path:
    """A page with a bold title over two columns that its content stream draws right column first
    (a layout program's text frames come in any order), and a footnote at the foot."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", "B", size=18)
    pdf.multi_cell(120, 9, title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=10)
    for x, text in ((110, right), (10, left)):
        pdf.set_xy(x, 50)
        pdf.multi_cell(85, 5, text)
    if footnote:
        pdf.set_xy(10, 270)
        pdf.set_font("helvetica", size=8)
        pdf.multi_cell(0, 4, footnote)
    pdf.output(str(path))
    return path


def test_pdf_columns_are_read_left_to_right_whichever_is_drawn_first(tmp_path: Path) -> None:
    left = ("The harbour opened in 1890 and served the fishing fleet. Its first master was Tomas Berg, "
            "who kept the tide tables by hand for thirty years.")
    right = ("The lighthouse came later, in 1921, after the storm that sank two trawlers. Its lamp "
             "burned paraffin until the war.")
    result = readers.read(_columns_pdf(tmp_path / "harbour.pdf", "The old harbour", left, right))
    assert texts(result) == ["The old harbour", left, right]


def test_pdf_a_title_wrapped_over_two_lines_is_one_heading_and_a_footnote_follows_both_columns(tmp_path: Path) -> None:
    left = "The harbour authority approved the new quay on Monday after a long debate on its cost."
    right = "Critics point to the cost overruns of the previous project, which ended three years late."
    result = readers.read(_columns_pdf(tmp_path / "quay.pdf", "Harbour Council Approves the Quay After a Long Debate on "
                                       "Costs", left, right, "1 Figures from the authority's press release of 3 March."))
    assert [(b.kind, b.text) for b in result.blocks] == [
        ("heading", "Harbour Council Approves the Quay After a Long Debate on Costs"), ("paragraph", left),
        ("paragraph", right), ("paragraph", "1 Figures from the authority's press release of 3 March.")]


def test_pdf_table_of_contents_entries_are_paragraphs_without_their_leader_dots(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=11)
    pdf.set_font("helvetica", "B", size=11)
    pdf.multi_cell(0, 6, "Contents", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", size=11)
    for line in ("1 Scope and purpose of the rules " + "." * 40 + " 3", "2 Who may use the workshop " + "." * 48 + " 4",
                 "3 Machines that need a trained person present at all times, and the",
                 "staff introduction before first use " + "." * 30 + " 7",
                 "The rules apply to every member and visitor."):
        pdf.multi_cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "rules.pdf"))
    assert texts(readers.read(tmp_path / "rules.pdf")) == [
        "Contents", "1 Scope and purpose of the rules … 3", "2 Who may use the workshop … 4",
        "3 Machines that need a trained person present at all times, and the staff introduction before first use … 7",
        "The rules apply to every member and visitor."]


def test_an_html_cell_spanning_rows_is_repeated_in_each_row(tmp_path: Path) -> None:
    (tmp_path / "bus.html").write_text(
        "<!DOCTYPE html><html><head><title>Timetable</title></head><body><main><h1>Bus timetable</h1>\n"
        "<p>Buses run from the station to the airport. Times are departures from the station.</p>\n<table>"
        "<thead><tr><th>Route</th><th>Day</th><th>First bus</th></tr></thead><tbody>"
        '<tr><td rowspan="2">X1 Express</td><td>Weekdays</td><td>05:10</td></tr><tr><td>Weekends</td><td>06:30</td></tr>'
        '<tr><td>42 Local</td><td colspan="2">No service</td></tr></tbody></table>\n</main></body></html>\n'
    )
    assert texts(readers.read(tmp_path / "bus.html"))[2:] == [
        "Route | Day | First bus", "X1 Express | Weekdays | 05:10", "X1 Express | Weekends | 06:30", "42 Local | No service |"]


def test_a_pdf_heading_set_bold_in_the_body_size_is_a_heading_of_its_own(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    for title, body in (("Safety rules", "Everyone entering the workshop must wear safety glasses at all times."),
                        ("Fire procedure", "On hearing the alarm, leave by the nearest exit and gather in the north car park.")):
        pdf.set_font("helvetica", "B", 11)
        pdf.multi_cell(0, 6, title, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
        pdf.set_font("helvetica", "", 11)
        pdf.multi_cell(0, 6, body, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(2)
    pdf.output(str(tmp_path / "rules.pdf"))
    assert [(b.kind, b.text, b.heading) for b in readers.read(tmp_path / "rules.pdf").blocks] == [
        ("heading", "Safety rules", "Safety rules"),
        ("paragraph", "Everyone entering the workshop must wear safety glasses at all times.", "Safety rules"),
        ("heading", "Fire procedure", "Fire procedure"),
        ("paragraph", "On hearing the alarm, leave by the nearest exit and gather in the north car park.", "Fire procedure")]


def test_malformed_numbers_in_markup_never_stop_the_reading(tmp_path: Path) -> None:
    (tmp_path / "odd.html").write_text(
        "<!DOCTYPE html><html><head><title>Odd</title></head><body><main><h1>Odd markup</h1>\n"
        "<p>The steps below come from a page whose markup was written by hand, numbers and all.</p>\n"
        '<ol start="--2"><li value="²">Open the valve.</li><li>Close the tap.</li></ol>\n'
        '<table><tr><td rowspan="99999999999999999999">A</td><td>1</td></tr><tr><td rowspan="x">2</td></tr></table>\n'
        "</main></body></html>\n"
    )
    assert texts(readers.read(tmp_path / "odd.html"))[2:4] == ["1. Open the valve.", "2. Close the tap."]
    from docx.oxml import parse_xml

    from rag.readers.docx import _symbol
    from rag.readers.docx_numbering import Numbering, _Level

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    assert [_symbol(parse_xml(f'<w:sym {w} w:font="Arial" w:char="{char}"/>')) for char in ("FFFFFFFFFF", "-41", "D800", "2126")] == [
        "", "", "", "\u2126"]
    numbering = Numbering({"1": {0: _Level(1, "decimal", "%1.%5.")}}, {})
    paragraph = parse_xml(f'<w:p {w}><w:pPr><w:numPr><w:ilvl w:val="x"/><w:numId w:val="1"/></w:numPr></w:pPr></w:p>')
    assert numbering.label(paragraph) == "1."


def test_layout_tables_and_block_content_in_pre_are_read_once_and_whole(tmp_path: Path) -> None:
    (tmp_path / "club.html").write_text(
        '<!doctype html><html><head><title>Club</title></head><body><table width="100%"><tr><td rowspan="2">'
        "<h2>Membership rules</h2><p>Members must complete a capsize drill before taking a single scull out.</p>"
        "<p>Juniors under fourteen must be accompanied by a coach at every outing, including regattas.</p></td>"
        "<td>News: spring regatta on 12 May, entries close on 1 May.</td></tr><tr><td>Weather warning: the river "
        "closes when the red flag flies.</td></tr></table><pre>first<div>in a box</div>after it</pre></body></html>"
    )
    joined = "\n".join(texts(readers.read(tmp_path / "club.html")))
    assert joined.count("capsize drill") == 1 and "first\nin a box\nafter it" in joined


def test_lines_a_highlighter_writes_as_blocks_in_pre_stay_lines(tmp_path: Path) -> None:
    (tmp_path / "setup.html").write_text(
        "<!doctype html><html><head><title>Setup</title></head><body><main><h1>Setup</h1><p>Run these commands "
        "to configure the pump controller before the first start.</p><pre><div class=\"line\">$ pumpctl init "
        "--site north</div><div class=\"line\">$ pumpctl calibrate --flow 12</div><div>ok: calibrated</div></pre>"
        "<p>The second command takes about two minutes on an older controller.</p></main></body></html>"
    )
    blocks = readers.read(tmp_path / "setup.html").blocks
    assert ("code", "$ pumpctl init --site north\n$ pumpctl calibrate --flow 12\nok: calibrated") in [
        (b.kind, b.text) for b in blocks]


def test_pdf_bold_prose_stays_a_paragraph_and_a_full_row_follows_one_with_an_empty_cell(tmp_path: Path) -> None:
    from rag.readers.pdf import _blocks, _Line

    bold = [_Line("Never use the goods lift during a fire alarm; use the east", 700.0, 11.0, bold=True),
            _Line("stairs to reach the ground floor.", 687.0, 11.0, bold=True),
            _Line("Visitors sign in at the gate house.", 674.0, 11.0)]
    assert [(b.kind, b.text) for b in _blocks([bold], "rules.pdf").blocks] == [
        ("paragraph", "Never use the goods lift during a fire alarm; use the east stairs to reach the ground floor. "
                      "Visitors sign in at the gate house.")]
    cells = {"Machine": 30.0, "Count": 130.0, "Hours": 230.0}
    rows = [("Machine", "Count", "Hours"), ("Excavator", "4", "4100"), ("Forklift", None, "3100"), ("Loader", "3", "700")]
    lines = [_Line(" ".join(c for c in row if c), 700.0 - 14 * n, 11.0,
                   tuple((c, left, left + 5.5 * len(c)) for c, left in zip(row, cells.values()) if c))
             for n, row in enumerate(rows)]
    assert [b.text for b in _blocks([lines], "hire.pdf").blocks] == [
        "Machine | Count | Hours", "Excavator | 4 | 4100", "Forklift | | 3100", "Loader | 3 | 700"]


def test_docx_numbered_paragraphs_and_text_boxes_in_a_table_are_read_and_counted(tmp_path: Path) -> None:
    import docx
    from docx.oxml import parse_xml

    w = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'
    document = docx.Document()
    document.add_paragraph("Rent is due monthly.", style="List Number")
    table = document.add_table(rows=1, cols=2)
    table.cell(0, 0).text = "Rule"
    table.cell(0, 1).paragraphs[0].style = document.styles["List Number"]
    table.cell(0, 1).paragraphs[0].add_run("No pets in the flat.")
    table.cell(0, 1).paragraphs[0]._p.append(parse_xml(
        f"<w:r {w}><w:pict><w:txbxContent><w:p><w:r><w:t>Hotline 0800 123 456.</w:t></w:r></w:p></w:txbxContent></w:pict></w:r>"))
    document.add_paragraph("The tenant must not sublet.", style="List Number")
    document.save(str(tmp_path / "lease.docx"))
    assert texts(readers.read(tmp_path / "lease.docx")) == [
        "1. Rent is due monthly.", "Rule | 2. No pets in the flat.", "Hotline 0800 123 456.", "3. The tenant must not sublet."]


def test_list_the_page_stylesheet_letters_gets_no_numbers(tmp_path: Path) -> None:
    (tmp_path / "wiring.html").write_text(
        "<!doctype html><html><head><title>Wiring</title><style>/* sub-steps */ ol ol { list-style-type: "
        "lower-alpha; } ol.steps ol { list-style-type: decimal } ul.toc > li { list-style: lower-roman } "
        "@media screen { #faq li { list-style-type: upper-roman } } @media print { ol { list-style: upper-alpha } }"
        " p:hover { list-style-type: lower-alpha }</style></head><body><main><h1>Wiring</h1><p>Follow these steps "
        "in order when you replace the thermostat.</p><ol><li>Turn off the power at the breaker.<ol><li>Check "
        "the display is blank.</li></ol></li><li>Connect the brown wire to terminal L.</li></ol><ol class=\"steps\">"
        "<li>Keep the old thermostat.<ol><li>Note its model number.</li></ol></li></ol><ul class=\"toc\"><li>"
        "Tools<ol><li>Take a tester.</li></ol></li></ul><div id=\"faq\"><ol><li>Why is the display blank after "
        "wiring?</li></ol></div></main></body></html>"
    )
    items = [b.text for b in readers.read(tmp_path / "wiring.html").blocks if b.kind == "list_item"]
    assert items == ["1. Turn off the power at the breaker.", "Check the display is blank.",
                     "2. Connect the brown wire to terminal L.", "1. Keep the old thermostat.",
                     "1. Note its model number.", "Tools", "1. Take a tester.", "Why is the display blank after wiring?"]


def test_stylesheet_without_braces_for_long_stretches_is_read_in_one_pass() -> None:
    from rag.readers.html import _style_rules

    # an unclosed <style> holds the rest of the page; a pattern retried at each position took minutes
    assert _style_rules("x" * 200_000 + " ol { list-style: lower-alpha }") == [("x" * 200_000 + " ol", " list-style: lower-alpha ")]


def test_html_reader_strips_nested_tags_as_trafilatura_does_in_linear_time() -> None:
    import importlib.util

    import trafilatura.xml
    from lxml import etree

    from rag.readers.html import _without_quadratic_union

    spec = importlib.util.spec_from_file_location("trafilatura.pristine_xml", trafilatura.xml.__file__)
    pristine = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(pristine)
    _without_quadratic_union()
    markup = ("<doc><head>T<head>U</head></head><p>a<p>b<code>c</code></p> d</p><code>x<code>y</code>z</code>"
              "<item><p>c<p>d</p></p></item><quote><p>e</p></quote></doc>")
    ours, theirs = etree.fromstring(markup), etree.fromstring(markup)
    trafilatura.xml.strip_double_tags(ours)
    pristine.strip_double_tags(theirs)
    assert trafilatura.xml.strip_double_tags is not pristine.strip_double_tags
    assert etree.tostring(ours) == etree.tostring(theirs)


def test_a_headings_link_to_itself_is_not_part_of_it(tmp_path: Path) -> None:
    (tmp_path / "api.html").write_text(
        '<!doctype html><html><head><title>API</title></head><body><main><h2>Strict assertion mode<a class="mark" '
        'href="#strict">#</a></h2><p>In strict assertion mode, non-strict methods behave like their strict '
        'counterparts.</p><dl><dt>ffi_type_void<a class="headerlink" href="#void">¶</a></dt><dd>The type for '
        'void, used only as a return type.</dd></dl><p>See <a href="#strict">#</a> above for the mode.</p>'
        "</main></body></html>"
    )
    texts_read = [b.text for b in readers.read(tmp_path / "api.html").blocks]
    assert "Strict assertion mode" in texts_read and any(t.startswith("ffi_type_void") and "¶" not in t
                                                          for t in texts_read)


def test_epub_chapters_in_spine_order_with_headings(tmp_path: Path) -> None:
    result = readers.read(write_epub(tmp_path / "history.epub"))
    assert result.format == "epub" and result.warnings == ()
    assert texts(result) == [
        "The breakwater",
        "The northern breakwater was built of granite from Penryn in 1862.",
        "Storms breached it twice, in 1903 and in 1962, and each time it was rebuilt higher.",
        "The cranes",
        "The harbour has had three cranes since the war.",
        "A steam crane of 1948.",
        "An electric crane of 1977.",
        "Crane | Load",
        "Hoekstra | 42 tonnes",
    ]
    assert result.blocks[2].heading == "The breakwater" and result.blocks[8].heading == "The cranes"


def test_epub_misnamed_or_with_drm_or_broken(tmp_path: Path) -> None:
    assert readers.read(write_epub(tmp_path / "history.zip")).format == "epub"  # told by its mimetype
    locked = readers.read(write_epub(tmp_path / "locked.epub", encrypted=True))
    assert locked.blocks == () and locked.warnings == (
        "skipped locked.epub: encrypted EPUB (DRM on 1 of its 3 chapters); export it without DRM from the shop or "
        "app it came from",)
    (tmp_path / "cut.epub").write_bytes(write_epub(tmp_path / "whole.epub").read_bytes()[:300])
    [warning] = readers.read(tmp_path / "cut.epub").warnings
    assert warning.startswith("skipped cut.epub: broken EPUB (") and warning.endswith("or convert it to HTML or text")
    with zipfile.ZipFile(tmp_path / "whole.epub") as archive:
        parts = {info.filename: archive.read(info) for info in archive.infolist()}
    package = next(name for name in parts if name.endswith(".opf"))
    rezip(tmp_path / "bad-package.epub", {**parts, package: b"<package><manifest><item"})
    [warning] = readers.read(tmp_path / "bad-package.epub").warnings
    assert warning.startswith(f"skipped bad-package.epub: broken EPUB (damaged XML at line 1, column 25 in {package}); ")


def test_odt_reads_what_the_word_processor_shows(tmp_path: Path) -> None:
    result = readers.read(write_odt(tmp_path / "dues.odt"))
    assert result.format == "odt"
    assert [(b.text, b.kind, b.heading) for b in result.blocks] == [
        ("Harbour dues", "heading", "Harbour dues"),
        ("Dues are charged per metre of length. Visitors pay on arrival.", "paragraph", "Harbour dues"),
        ("Measured over the hull.", "paragraph", "Harbour dues"),
        ("Yachts pay three pounds a metre.", "list_item", "Harbour dues"),
        ("Multihulls pay half again.", "list_item", "Harbour dues"),
        ("Fees", "heading", "Fees"),
        ("Vessel | Fee", "table_row", "Fees"),
        ("Dinghy | 5 pounds", "table_row", "Fees"),
        ("The harbour master may waive dues in a storm.", "paragraph", "Fees"),
    ]


def test_epub_and_odt_are_indexed_and_cited_by_paragraph(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    write_epub(tmp_path / "history.epub")
    write_odt(tmp_path / "dues.odt")
    result = runner.invoke(app, ["index", str(tmp_path), "--index", str(tmp_path / ".idx")])
    assert result.exit_code == 0 and "Indexed 2 files" in result.output, result.output
    assert "history.epub  [epub]" in result.output and "dues.odt  [odt]" in result.output
    result = runner.invoke(app, ["search", "steam crane 1948", "--index", str(tmp_path / ".idx"), "--k", "1"])
    assert result.output.startswith('1. history.epub ¶6–9 (under "The cranes")'), result.output
    result = runner.invoke(app, ["search", "multihulls pay half again", "--index", str(tmp_path / ".idx"), "--k", "1"])
    assert result.output.startswith('1. dues.odt ¶3–5  '), result.output  # its first heading is the title


def test_pptx_slides_are_pages_with_their_titles_notes_and_tables(tmp_path: Path) -> None:
    from rag.corpus import read_document
    from rag.render import document_text

    write_pptx(tmp_path / "harbour.pptx")
    blocks = readers.read(tmp_path / "harbour.pptx").blocks
    assert [(b.page, b.kind, b.text, b.heading) for b in blocks] == [
        (1, "heading", "Harbour renewal plan", "Harbour renewal plan"),
        (1, "paragraph", "Town council, spring 2025", "Harbour renewal plan"),
        (2, "heading", "Budget", "Budget"),
        (2, "paragraph", "The quay repair costs 2.4 million pounds.", "Budget"),
        (2, "list_item", "Dredging adds 300,000 pounds.", "Budget"),
        (2, "heading", "Budget (speaker notes)", "Budget (speaker notes)"),
        (2, "paragraph", "Say that the grant covers half of the quay repair.", "Budget (speaker notes)"),
        (3, "heading", "Timeline", "Timeline"),
        (3, "table_row", "Phase | Start | End", "Timeline"),
        (3, "table_row", "Quay repair | May 2025 | March 2026", "Timeline"),
        (3, "table_row", "Dredging | April 2026 | June 2026", "Timeline"),
        (3, "paragraph", "Dates depend on the tides.", "Timeline")]  # the hidden slide 4 left out
    (tmp_path / "harbour.pptx").rename(tmp_path / "deck")
    document, _ = read_document(tmp_path, tmp_path / "deck")
    assert document is not None and document.format == "pptx"
    assert document_text(document).splitlines()[3:5] == [
        "slide 2 ¶2 | The quay repair costs 2.4 million pounds.", "slide 2 ¶3 | Dredging adds 300,000 pounds."]


def test_a_pptx_whose_parts_are_named_from_the_package_root_is_read(tmp_path: Path) -> None:
    import zipfile

    write_pptx(tmp_path / "deck.pptx")
    with zipfile.ZipFile(tmp_path / "deck.pptx") as source, zipfile.ZipFile(tmp_path / "rooted.pptx", "w") as copy:
        for member in source.namelist():
            data = source.read(member)
            if member == "ppt/_rels/presentation.xml.rels":
                data = data.replace(b'Target="slides/', b'Target="/ppt/slides/')
            copy.writestr(member, data)
    assert texts(readers.read(tmp_path / "rooted.pptx")) == texts(readers.read(tmp_path / "deck.pptx"))


def _rewritten(source: Path, target: Path, changes: dict[str, Callable[[bytes], bytes]], extra: dict[str, str]) -> Path:
    """A copy of a zip with some members' bytes changed and members added."""
    import zipfile

    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w") as copy:
        for member in original.namelist():
            data = original.read(member)
            copy.writestr(member, changes.get(member, lambda same: same)(data))
        for member, text in extra.items():
            copy.writestr(member, text)
    return target


def test_pptx_tables_keep_empty_and_merged_cells_and_hidden_shapes_are_left_out(tmp_path: Path) -> None:
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Machines"
    table = slide.shapes.add_table(4, 4, Inches(1), Inches(2), Inches(8), Inches(2)).table  # the 4th column empty
    for i, row in enumerate((("Region", "Machine", "Cost"), ("Nordic", "Excavator", ""), ("", "Crane", "12"),
                             ("Iberia", "", "4100"))):
        for j, text in enumerate(row):
            table.cell(i, j).text = text
    table.cell(1, 0).merge(table.cell(2, 0))  # "Nordic" spans two rows
    box = slide.shapes.add_textbox(Inches(1), Inches(5), Inches(8), Inches(1))
    box.text_frame.text = "Draft figure: 41 percent margin."
    box._element.nvSpPr.cNvPr.set("hidden", "1")
    deck.save(str(tmp_path / "machines.pptx"))
    assert texts(readers.read(tmp_path / "machines.pptx")) == [
        "Machines", "Region | Machine | Cost", "Nordic | Excavator |", "Nordic | Crane | 12", "Iberia | | 4100"]


def test_a_docx_table_keeps_an_empty_cell_and_leaves_out_a_last_column_empty_in_every_row(tmp_path: Path) -> None:
    """As the PowerPoint and OpenDocument readers read a table (tester-s44 L6)."""
    import docx

    document = docx.Document()
    table = document.add_table(rows=2, cols=4)
    for (row, column), text in {(0, 0): "Region", (0, 1): "Machine", (0, 2): "Cost", (1, 0): "Iberia", (1, 2): "4100"}.items():
        table.cell(row, column).text = text
    document.save(str(tmp_path / "machines.docx"))
    assert texts(readers.read(tmp_path / "machines.docx")) == ["Region | Machine | Cost", "Iberia | | 4100"]


def test_pptx_reads_alternate_content_and_smartart_and_skips_a_damaged_part_with_a_warning(tmp_path: Path) -> None:
    write_pptx(tmp_path / "deck.pptx")
    choice = ('<mc:AlternateContent xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006">'
              '<mc:Choice Requires="a14"><p:sp><p:nvSpPr><p:cNvPr id="90" name="Eq"/><p:cNvSpPr/><p:nvPr/></p:nvSpPr>'
              '<p:spPr/><p:txBody><a:bodyPr/><a:p><a:r><a:t>The growth rate is 4 percent a year.</a:t></a:r></a:p>'
              '</p:txBody></p:sp></mc:Choice><mc:Fallback><p:sp><p:nvSpPr><p:cNvPr id="91" name="Eq"/><p:cNvSpPr/>'
              '<p:nvPr/></p:nvSpPr><p:spPr/></p:sp></mc:Fallback></mc:AlternateContent>')
    smartart = ('<p:graphicFrame><p:nvGraphicFramePr><p:cNvPr id="92" name="Steps"/><p:cNvGraphicFramePr/><p:nvPr/>'
                '</p:nvGraphicFramePr><p:xfrm/><a:graphic><a:graphicData uri="http://schemas.openxmlformats.org/'
                'drawingml/2006/diagram"><dgm:relIds xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/'
                'diagram" r:dm="rIdData" r:lo="rIdL" r:qs="rIdQ" r:cs="rIdC"/></a:graphicData></a:graphic>'
                '</p:graphicFrame>')
    data = ('<dgm:dataModel xmlns:dgm="http://schemas.openxmlformats.org/drawingml/2006/diagram" '
            'xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main"><dgm:ptLst>'
            '<dgm:pt modelId="0" type="doc"><dgm:t><a:p><a:r><a:t>ignored</a:t></a:r></a:p></dgm:t></dgm:pt>'
            '<dgm:pt modelId="1"><dgm:t><a:p><a:r><a:t>Survey the quay</a:t></a:r></a:p></dgm:t></dgm:pt>'
            '<dgm:pt modelId="2"><dgm:t><a:p><a:r><a:t>Repair the wall</a:t></a:r></a:p></dgm:t></dgm:pt>'
            '</dgm:ptLst></dgm:dataModel>')
    relation = ('<Relationship Id="rIdData" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
                'relationships/diagramData" Target="../diagrams/data1.xml"/></Relationships>')
    _rewritten(tmp_path / "deck.pptx", tmp_path / "more.pptx", {
        "ppt/slides/slide3.xml": lambda xml: xml.replace(b"</p:spTree>", (choice + smartart).encode() + b"</p:spTree>"),
        "ppt/slides/_rels/slide3.xml.rels": lambda xml: xml.replace(b"</Relationships>", relation.encode()),
        "ppt/notesSlides/notesSlide1.xml": lambda xml: xml[: len(xml) // 2],
    }, {"ppt/diagrams/data1.xml": data})
    result = readers.read(tmp_path / "more.pptx")
    assert result.warnings == ("more.pptx: left out, damaged: speaker notes of slide 2; the rest of the deck is indexed",)
    slide3 = [(b.text, b.kind) for b in result.blocks if b.page == 3]
    assert slide3[-3:] == [("The growth rate is 4 percent a year.", "paragraph"), ("Survey the quay", "list_item"),
                           ("Repair the wall", "list_item")]
    assert "Say that the grant covers half of the quay repair." not in texts(result)


def test_rag_extract_marks_a_decks_speaker_notes_and_plain_keeps_their_heading(tmp_path: Path) -> None:
    """The notes stand under "TITLE (speaker notes)", a heading (§) in `rag extract` and underlined
    in --plain (tester-s43 L8: they read as the slide's own "slide 2 ¶6 | Mention that ...")."""
    for deck in (write_pptx(tmp_path / "harbour.pptx"), write_odp(tmp_path / "harbour.odp")):
        shown = runner.invoke(app, ["extract", str(deck)]).output.splitlines()
        assert shown[5:7] == ["slide 2 ¶4 § | Budget (speaker notes)",
                              "slide 2 ¶5 | Say that the grant covers half of the quay repair."], deck.name
        plain = runner.invoke(app, ["extract", "--plain", str(deck)]).output
        assert ("Budget (speaker notes)\n======================\n\nSay that the grant covers half of the quay repair."
                in plain), deck.name


def _chart_deck(path: Path) -> Path:
    """Three slides of charts as PowerPoint holds them (python-pptx writes the same parts): columns
    with a title, axis titles and two series; a pie of percentages; a scatter chart."""
    from pptx import Presentation
    from pptx.chart.data import CategoryChartData, XyChartData
    from pptx.enum.chart import XL_CHART_TYPE
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Sales"
    data = CategoryChartData()
    data.categories = ["North", "South"]
    data.add_series("2024", (4.2, 3.1))
    data.add_series("2025", (4.6, 3.3))
    chart = slide.shapes.add_chart(XL_CHART_TYPE.COLUMN_CLUSTERED, Inches(1), Inches(2), Inches(6), Inches(4), data).chart
    chart.chart_title.text_frame.text = "Revenue by region"
    for axis, text in ((chart.category_axis, "Region"), (chart.value_axis, "Million pounds")):
        axis.axis_title.text_frame.text = text
    shares = CategoryChartData(number_format="0%")
    shares.categories = ["Ferries", "Freight"]
    shares.add_series("Share of berths", (0.42, 0.58))
    deck.slides.add_slide(deck.slide_layouts[6]).shapes.add_chart(
        XL_CHART_TYPE.PIE, Inches(1), Inches(1), Inches(4), Inches(4), shares)
    depths = XyChartData()
    series = depths.add_series("Depth")
    series.add_data_point(1, 0.1 + 0.2)  # cached as 0.30000000000000004
    series.add_data_point(2, 4.5)
    deck.slides.add_slide(deck.slide_layouts[6]).shapes.add_chart(
        XL_CHART_TYPE.XY_SCATTER, Inches(1), Inches(1), Inches(4), Inches(4), depths)
    deck.save(str(path))
    return path


def test_pptx_charts_read_as_their_title_axes_and_a_line_a_series(tmp_path: Path) -> None:
    assert [(b.page, b.text, b.heading) for b in readers.read(_chart_deck(tmp_path / "charts.pptx")).blocks] == [
        (1, "Sales", "Sales"),
        (1, "Revenue by region (chart; axes: Region, Million pounds)", "Sales"),
        (1, "2024: North 4.2, South 3.1", "Sales"),
        (1, "2025: North 4.6, South 3.3", "Sales"),
        (2, "Share of berths: Ferries 42%, Freight 58%", None),
        (3, "Depth: (1, 0.3), (2, 4.5)", None)]


def test_a_chart_titled_from_a_cell_with_a_deleted_axis_and_many_points_reads_in_short_lines() -> None:
    from lxml import etree

    from rag.readers.chart_text import MAX_POINTS
    from rag.readers.pptx_chart import chart_lines

    def cache(tag: str, values: list[str]) -> str:
        return f"<c:{tag}>" + "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(values)) + f"</c:{tag}>"

    cell_title = f"<c:title><c:tx><c:strRef>{cache('strCache', ['Tide height'])}</c:strRef></c:tx></c:title>"
    axes = ('<c:catAx><c:delete val="1"/><c:title><c:tx><c:rich><a:p><a:r><a:t>Hidden axis</a:t></a:r></a:p></c:rich>'
            '</c:tx></c:title></c:catAx><c:valAx><c:delete val="0"/><c:title><c:tx><c:rich><a:p><a:r><a:t>Metres'
            "</a:t></a:r><a:br/><a:r><a:t>above datum</a:t></a:r></a:p></c:rich></c:tx></c:title></c:valAx>")
    hours = [str(hour) for hour in range(150)]
    series = (f"<c:ser><c:cat><c:numRef>{cache('numCache', hours)}</c:numRef></c:cat><c:val><c:numRef>"
              f"{cache('numCache', ['2.50000000000001'] * 150)}</c:numRef></c:val></c:ser>")
    space = etree.fromstring(
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart" xmlns:a="http://schemas.'
        f'openxmlformats.org/drawingml/2006/main"><c:chart>{cell_title}<c:plotArea><c:lineChart>{series}</c:lineChart>'
        f"{axes}</c:plotArea></c:chart></c:chartSpace>")
    title, line = chart_lines(space)
    assert title == "Tide height (chart; axes: Metres above datum)"
    assert line.startswith("0 2.5, 1 2.5, ") and line.endswith(f"{MAX_POINTS - 1} 2.5, … (150 points)")


def _chart_space(plot: str, date1904: bool = False) -> object:
    from lxml import etree

    return etree.fromstring(
        '<c:chartSpace xmlns:c="http://schemas.openxmlformats.org/drawingml/2006/chart">'
        f'<c:date1904 val="{int(date1904)}"/><c:chart><c:plotArea>{plot}</c:plotArea></c:chart></c:chartSpace>')


def _number_cache(code: str, values: list[str]) -> str:
    return (f"<c:numRef><c:numCache><c:formatCode>{code}</c:formatCode>"
            + "".join(f'<c:pt idx="{i}"><c:v>{v}</c:v></c:pt>' for i, v in enumerate(values)) + "</c:numCache></c:numRef>")


def test_chart_values_read_as_their_number_format_shows_them() -> None:
    """Dates, percentages, money and grouped categories as the slide shows them (tester-s44 M1)."""
    from rag.readers.pptx_chart import chart_lines

    def series(categories: str, code: str, values: list[str]) -> str:
        return f"<c:ser><c:cat>{categories}</c:cat><c:val>{_number_cache(code, values)}</c:val></c:ser>"

    months, iso = ["45292.0", "45323.0"], "yyyy\\-mm\\-dd"
    assert chart_lines(_chart_space(f"<c:lineChart>{series(_number_cache(iso, months), '0%', ['0.425', '0.5751'])}"
                                    "</c:lineChart>")) == ["2024-01-01 43%, 2024-02-01 58%"]
    assert chart_lines(_chart_space(f"<c:lineChart>{series(_number_cache('[$-409]mmm-yy', months), '0.0%', ['0.425', '1'])}"
                                    "</c:lineChart>")) == ["Jan 2024 42.5%, Feb 2024 100.0%"]
    on_date_axis = f"<c:lineChart>{series(_number_cache('General', ['43831']), '#,##0.00', ['1234.5'])}</c:lineChart><c:dateAx/>"
    assert chart_lines(_chart_space(on_date_axis)) == ["2020-01-01 1,234.50"]
    assert chart_lines(_chart_space(on_date_axis, date1904=True)) == ["2024-01-02 1,234.50"]
    groups = ("<c:multiLvlStrRef><c:multiLvlStrCache><c:lvl>" + "".join(
        f'<c:pt idx="{i}"><c:v>{town}</c:v></c:pt>' for i, town in enumerate(["Oslo", "Bergen", "Tromso"]))
        + '</c:lvl><c:lvl><c:pt idx="0"><c:v>West</c:v></c:pt><c:pt idx="2"><c:v>North</c:v></c:pt></c:lvl>'
        "</c:multiLvlStrCache></c:multiLvlStrRef>")
    money = series(groups, "&quot;£&quot;#,##0;[Red]\\-&quot;£&quot;#,##0", ["1234567", "-2500", "0.4"])
    assert chart_lines(_chart_space(f"<c:barChart>{money}</c:barChart>")) == [
        "West Oslo £1,234,567, West Bergen -£2,500, North Tromso £0"]
    odd = series(_number_cache("0.0E+00", ["12000"]), "# ?/?;[>=100]0", ["0.5"])  # formats not read: as before
    assert chart_lines(_chart_space(f"<c:barChart>{odd}</c:barChart>")) == ["12000 0.5"]


@pytest.mark.parametrize(("number", "code", "shown"), [
    (45292.0, "yyyy\\-mm\\-dd", "2024-01-01"), (45352, "m/d/yyyy", "2024-03-01"), (45292, "mmm yyyy", "Jan 2024"),
    (45292.75, "dd/mm/yyyy hh:mm", "2024-01-01"), (1, "yyyy-mm-dd", "1900-01-01"), (59, "yyyy-mm-dd", "1900-02-28"),
    (60, "yyyy-mm-dd", "1900-02-29"), (61, "yyyy-mm-dd", "1900-03-01"), (0, "yyyy-mm-dd", None), (-3, "d-mmm", None),
    (1e9, "yyyy-mm-dd", None), (1.5, "h:mm", None), (30, "[h]:mm", None), (0.425, "0%", "43%"), (0.425, "0.0%", "42.5%"),
    (1234.5, "#,##0.00", "1,234.50"), (-0.01, "0.0", "0.0"), (2.5, "0", "3"), (-2.5, "0", "-3"), (1.5, "0.##", "1.5"),
    (2, "0.##", "2"), (-1234, "#,##0;(#,##0)", "(1,234)"), (7, '0 "kg"', "7 kg"), (1234.5, "[$€-407] #,##0.00", "€ 1,234.50"),
    (1234.5, '_("$"* #,##0.00_)', "$1,234.50"), (5000, "#,##0,", None), (3, "0.0E+00", None), (7, "@", None),
    (7, "General", None), (7, "", None), (7, '"', None), (1e300, "#,##0.00", None), (7, "x0", None),
])
def test_a_number_format_shows_simple_formats_and_leaves_the_rest(number: float, code: str, shown: str | None) -> None:
    from rag.readers.number_format import formatted

    assert formatted(number, code) == shown


def test_a_pptx_chart_missing_or_damaged_is_left_out_with_a_warning(tmp_path: Path) -> None:
    import re

    def twice(xml: bytes) -> bytes:  # the damaged chart shown twice on its slide: one slide to name
        frame = re.search(rb"<p:graphicFrame>.*</p:graphicFrame>", xml)
        assert frame is not None
        return xml.replace(frame.group(), frame.group() * 2)

    _rewritten(_chart_deck(tmp_path / "charts.pptx"), tmp_path / "damaged.pptx", {
        "ppt/charts/chart1.xml": lambda xml: xml[: len(xml) // 2], "ppt/slides/slide1.xml": twice,
        "ppt/slides/_rels/slide2.xml.rels": lambda xml: xml.replace(b"chart2.xml", b"chart9.xml"),
    }, {})
    result = readers.read(tmp_path / "damaged.pptx")
    assert result.warnings == ("damaged.pptx: left out, damaged: chart on slides 1-2; the rest of the deck is indexed",)
    assert texts(result) == ["Sales", "Depth: (1, 0.3), (2, 4.5)"]


def test_an_office_file_saved_with_a_password_is_named_as_such(tmp_path: Path) -> None:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000)
    (tmp_path / "locked.pptx").write_bytes(header + "EncryptedPackage".encode("utf-16-le") + bytes(100))
    (tmp_path / "old.docx").write_bytes(header + "WordDocument".encode("utf-16-le") + bytes(100))
    assert readers.read(tmp_path / "locked.pptx").warnings == (
        "skipped locked.pptx: an Office file protected by a password; save a copy without the password and index that",)
    assert readers.read(tmp_path / "old.docx").warnings[0].startswith("skipped old.docx: an old Word or PowerPoint")


def test_a_broken_or_empty_pptx_is_skipped_with_its_reason(tmp_path: Path) -> None:
    zip_with_mimetype(tmp_path / "cut.pptx", "x", {"[Content_Types].xml": "<Types/>", "ppt/presentation.xml": "<p:pres"})
    assert readers.read(tmp_path / "cut.pptx").warnings[0].startswith("skipped cut.pptx: broken PowerPoint file (")
    zip_with_mimetype(tmp_path / "blank.pptx", "x", {"ppt/presentation.xml": "<presentation/>"})
    assert readers.read(tmp_path / "blank.pptx").warnings == ("skipped blank.pptx: no text on any slide",)


def test_odp_slides_are_pages_with_their_titles_notes_and_tables_as_pptx_reads_them(tmp_path: Path) -> None:
    from rag.render import document_text

    result = readers.read(write_odp(tmp_path / "harbour.odp"))
    assert result.format == "odp" and result.warnings == ()
    deck = [(b.page, b.kind, b.text, b.heading) for b in readers.read(write_pptx(tmp_path / "harbour.pptx")).blocks]
    deck[3] = (2, "list_item", "The quay repair costs 2.4 million pounds.", "Budget")  # an Impress outline's bullet
    # the hidden slide 4, the footer and the slide number left out
    assert [(b.page, b.kind, b.text, b.heading) for b in result.blocks] == deck
    document, _ = read_document(tmp_path, tmp_path / "harbour.odp")
    assert document is not None and document.format == "odp"
    assert document_text(document).splitlines()[3:5] == [
        "slide 2 ¶2 | The quay repair costs 2.4 million pounds.", "slide 2 ¶3 | Dredging adds 300,000 pounds."]


def test_an_odp_renamed_is_read_as_slides(tmp_path: Path) -> None:
    """By its mimetype whatever its name, also with its mimetype not first in the zip (zipped again
    by hand); named .pptx so, it was named as no PowerPoint deck."""
    import zipfile

    expected = texts(readers.read(write_odp(tmp_path / "deck.odp")))
    for name in ("deck.odt", "deck.pptx", "deck"):
        result = readers.read(write_odp(tmp_path / name))
        assert (result.format, texts(result)) == ("odp", expected), name
    with zipfile.ZipFile(tmp_path / "deck.odp") as source:
        content = source.read("content.xml")
    for name in ("rezipped.odt", "rezipped.pptx"):
        with zipfile.ZipFile(tmp_path / name, "w") as archive:
            archive.writestr("content.xml", content)
            archive.writestr("mimetype", ODP_MIMETYPE)
    for name in ("rezipped.odt", "rezipped.pptx"):
        result = readers.read(tmp_path / name)
        assert (result.format, texts(result)) == ("odp", expected), name


def _rezipped_deflated(source: Path, target: Path) -> Path:
    """source zipped again with every entry deflated, its mimetype first (as `zip -r` writes it)."""
    with zipfile.ZipFile(source) as original, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as copy:
        for member in original.namelist():
            copy.writestr(member, original.read(member))
    return target


def test_an_opendocument_file_with_its_mimetype_deflated_is_known_by_it_whatever_its_name(tmp_path: Path) -> None:
    """A deflated mimetype entry names the file as a stored one does (tester-s45: an .odp so
    zipped and named .pptx was "a zip without ppt/presentation.xml, so no PowerPoint deck")."""
    from rag.corpus import is_document

    deck, text = write_odp(tmp_path / "deck.odp"), write_odt(tmp_path / "dues.odt")
    for source, fmt in ((deck, "odp"), (text, "odt")):
        expected = texts(readers.read(source))
        for name in ("renamed.pptx", "renamed.docx", "renamed.odt", "renamed.odp", "renamed"):
            copy = _rezipped_deflated(source, tmp_path / name)
            with zipfile.ZipFile(copy) as archive:
                assert archive.getinfo("mimetype").compress_type == zipfile.ZIP_DEFLATED
            result = readers.read(copy)
            assert (result.format, texts(result), result.warnings) == (fmt, expected, ()), (fmt, name)
        assert is_document(tmp_path / "renamed")
    sheet = write_ods(tmp_path / "sheet.ods", {"Dues": [["Vessel", "Fee"], ["Dinghy", 5]]})
    result = readers.read(_rezipped_deflated(sheet, tmp_path / "sheet.pptx"))
    assert (result.format, texts(result), result.warnings) == ("ods", ["Vessel | Fee", "Dinghy | 5"], ())
    for written in (" " + ODP_MIMETYPE, "\ufeff" + ODP_MIMETYPE, ODP_MIMETYPE.upper()):  # tester-s46 L5
        with zipfile.ZipFile(deck) as original, zipfile.ZipFile(tmp_path / "odd.pptx", "w") as copy:
            for member in original.namelist():
                copy.writestr(member, written if member == "mimetype" else original.read(member))
        assert readers.read(tmp_path / "odd.pptx").format == "odp", written


def test_an_opendocument_spreadsheet_or_drawing_with_no_extension_or_named_txt_is_known_by_its_mimetype(
    tmp_path: Path,
) -> None:
    """As under a document's name: such a file was skipped as a "binary file", or not read at all
    (tester-s46 L7), its mimetype stored first or deflated; a spreadsheet is read, a drawing named."""
    from rag.corpus import is_document, read_document

    content = (f"<office:document-content {ODT_NAMESPACES}><office:body><office:drawing/></office:body>"
               "</office:document-content>")
    drawing = zip_with_mimetype(tmp_path / "drawing.zip", "application/vnd.oasis.opendocument.graphics",
                                {"content.xml": content})
    sheet = write_ods(tmp_path / "sheet.zip", {"Dues": [["Vessel", "Fee"], ["Dinghy", 5]]})
    for stored, what in ((drawing, "drawing"), (sheet, "spreadsheet")):
        for name in (what, f"{what}.txt", f"deflated-{what}", f"deflated-{what}.txt"):
            path = tmp_path / name
            if name.startswith("deflated"):
                _rezipped_deflated(stored, path)
            else:
                path.write_bytes(stored.read_bytes())
            assert is_document(path), name
            document, warnings = read_document(tmp_path, path)
            if what == "spreadsheet":
                assert document is not None and (document.format, warnings) == ("ods", []), name
                assert [document.paragraph_text(p) for p in document.paragraphs] == ["Vessel | Fee", "Dinghy | 5"]
            else:
                assert (document, warnings) == (None, [
                    f"skipped {name}: an OpenDocument drawing, which rag does not read (it reads OpenDocument text, "
                    "presentations and spreadsheets); export it as PDF and index that"]), name


def test_a_word_file_or_deck_with_a_stray_mimetype_entry_is_read_as_what_its_main_part_says(tmp_path: Path) -> None:
    """An Office file some tool added a mimetype entry to (tester-s46 M1: "broken OpenDocument
    file (its part content.xml is missing)", read as Word before the mimetype was looked for
    throughout the zip)."""
    for source, fmt in ((write_docx(tmp_path / "plain.docx"), "docx"), (write_pptx(tmp_path / "plain.pptx"), "pptx")):
        expected = texts(readers.read(source))
        for stray in ("application/vnd.oasis.opendocument.text", "application/epub+zip"):
            copy = tmp_path / f"stray-{stray.rsplit('.', 1)[-1].replace('/', '-')}.{fmt}"
            with zipfile.ZipFile(source) as original, zipfile.ZipFile(copy, "w", zipfile.ZIP_DEFLATED) as out:
                for member in original.namelist():
                    out.writestr(member, original.read(member))
                out.writestr("mimetype", stray)
            result = readers.read(copy)
            assert (result.format, texts(result)) == (fmt, expected), (fmt, stray)


REVENUE = [["", "2024", "2025"], ["North", "=4.2", "=4.6"], ["South", "=3.1", "=3.3"]]


def _odp_chart_deck(path: Path, charts: dict[str, str]) -> Path:
    """_chart_deck's three slides as Impress holds them: each chart an embedded object."""
    pages = (f'<draw:page>{odp_frame("<text:p>Sales</text:p>", "title")}{odf_object_frame("Object 1")}</draw:page>'
             f'<draw:page>{odf_object_frame("Object 2")}</draw:page><draw:page>{odf_object_frame("Object 3")}</draw:page>')
    return zip_with_mimetype(path, ODP_MIMETYPE, {"content.xml": odp_content(pages), **charts})


ODP_CHARTS = {
    "Object 1/content.xml": odf_chart(REVENUE, "Revenue by region", ("Region", "Million pounds")),
    "Object 2/content.xml": odf_chart([["", "Share of berths"], ["Ferries", "%0.42"], ["Freight", "%0.58"]],
                                      chart_class="chart:circle"),
    "Object 3/content.xml": odf_chart([["", "Depth"], ["=1", "=0.30000000000000004"], ["=2", "=4.5"]],
                                      chart_class="chart:scatter"),
}


def test_odp_charts_read_as_pptx_charts_are(tmp_path: Path) -> None:
    """Title and axes, then a line a series, on the chart's slide under its title: the same blocks
    as the PowerPoint deck of the same charts (were not read at all)."""
    result = readers.read(_odp_chart_deck(tmp_path / "charts.odp", ODP_CHARTS))
    assert result.warnings == ()
    assert [(b.page, b.text, b.heading, b.kind) for b in result.blocks] == [
        (b.page, b.text, b.heading, b.kind) for b in readers.read(_chart_deck(tmp_path / "charts.pptx")).blocks]


def test_odt_charts_read_where_their_frame_stands(tmp_path: Path) -> None:
    """After the paragraph it is anchored in, under its heading; a chart that names no cells read by
    columns; an embedded formula, which the manifest names as one, passed over."""
    body = ('<text:h text:outline-level="1">Port traffic</text:h>'
            f"<text:p>Traffic grew in both regions.{odf_object_frame('Object 1')}</text:p>"
            f"<text:p>{odf_object_frame('Object 2')}</text:p><text:p>{odf_object_frame('Object 3')}</text:p>"
            "<text:p>The south grew least.</text:p>")
    manifest = ('<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                '<manifest:file-entry manifest:full-path="Object 3/" '
                'manifest:media-type="application/vnd.oasis.opendocument.formula"/></manifest:manifest>')
    path = zip_with_mimetype(tmp_path / "traffic.odt", "application/vnd.oasis.opendocument.text", {
        "content.xml": (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NAMESPACES}>'
                        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"),
        "META-INF/manifest.xml": manifest,
        "Object 1/content.xml": odf_chart(REVENUE, "Revenue by region", ("Region", "Million pounds")),
        "Object 2/content.xml": odf_chart([["", "Calls"], ["Monday", "=12"], ["Tuesday", ""]], addressed=False),
        "Object 3/content.xml": odf_chart([["", "x"], ["a", "=1"]], "A formula's part, never read"),
    })
    result = readers.read(path)
    assert result.warnings == ()
    assert [(b.text, b.heading) for b in result.blocks] == [
        ("Port traffic", "Port traffic"), ("Traffic grew in both regions.", "Port traffic"),
        ("Revenue by region (chart; axes: Region, Million pounds)", "Port traffic"),
        ("2024: North 4.2, South 3.1", "Port traffic"), ("2025: North 4.6, South 3.3", "Port traffic"),
        ("Calls: Monday 12", "Port traffic"), ("The south grew least.", "Port traffic")]


def test_an_odf_chart_framed_on_many_slides_is_unpacked_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Frames are cheap and a chart's part may unpack to 64 MB: each part is read once, however often framed."""
    import rag.readers.odf_chart as odf_chart_module

    pages = "".join(f'<draw:page>{odf_object_frame("Object 1")}</draw:page>' for _ in range(50))
    path = zip_with_mimetype(tmp_path / "same.odp", ODP_MIMETYPE, {
        "content.xml": odp_content(pages), "Object 1/content.xml": ODP_CHARTS["Object 1/content.xml"]})
    unpacked: list[str] = []
    real = odf_chart_module._part
    monkeypatch.setattr(odf_chart_module, "_part", lambda archive, name: unpacked.append(name) or real(archive, name))
    result = readers.read(path)
    assert len(result.blocks) == 150 and result.blocks[-1].page == 50
    assert unpacked.count("Object 1/content.xml") == 1


def test_an_odf_chart_missing_damaged_or_too_large_is_left_out_with_a_warning(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    charts = {**ODP_CHARTS, "Object 1/content.xml": ODP_CHARTS["Object 1/content.xml"][:300]}
    del charts["Object 2/content.xml"]
    result = readers.read(_odp_chart_deck(tmp_path / "damaged.odp", charts))
    assert result.warnings == ("damaged.odp: left out, damaged: chart on slides 1-2; the rest of the deck is indexed",)
    assert texts(result) == ["Sales", "Depth: (1, 0.3), (2, 4.5)"]
    body = f"<text:p>Traffic grew.</text:p><text:p>{odf_object_frame('Object 1')}</text:p><text:p>Then fell.</text:p>"
    path = zip_with_mimetype(tmp_path / "traffic.odt", "application/vnd.oasis.opendocument.text", {
        "content.xml": (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NAMESPACES}>'
                        f"<office:body><office:text>{body}</office:text></office:body></office:document-content>"),
        "Object 1/content.xml": ODP_CHARTS["Object 1/content.xml"]})
    monkeypatch.setattr("rag.readers.odf_chart.MAX_PART_BYTES", 1000)  # a zip bomb's part, unpacked to no more
    result = readers.read(path)
    assert result.warnings == (
        "traffic.odt: left out, damaged: chart before paragraph 2; the rest of the document is indexed",)
    assert texts(result) == ["Traffic grew.", "Then fell."]
    alone = zip_with_mimetype(tmp_path / "alone.odp", ODP_MIMETYPE, {
        "content.xml": odp_content(f"<draw:page>{odf_object_frame('Object 1')}</draw:page>")})
    assert readers.read(alone).warnings == (
        "skipped alone.odp: no text on any slide that could be read (damaged: chart on slide 1)",)


def test_odp_tables_keep_empty_cells_and_hidden_shapes_comments_and_slide_names_are_left_out(tmp_path: Path) -> None:
    table = _odf_table([["Region", "Machine", "Cost"], ["Nordic", "Excavator", ""], ["^", "Crane", "12"],
                        ["Iberia", "", "4100"]])
    hidden_box = '<draw:frame draw:display="none"><draw:text-box><text:p>Draft: 41 percent margin.</text:p></draw:text-box></draw:frame>'
    comment = ('<officeooo:annotation xmlns:officeooo="http://openoffice.org/2009/office"><text:p>Check the cost.</text:p>'
               "</officeooo:annotation><office:annotation><text:p>Ask Ada.</text:p></office:annotation>")
    spaced = "<text:p>Crews<text:s text:c=\"2\"/>work<text:tab/>in shifts.</text:p>"
    pages = (f'<draw:page draw:name="Machines">{odp_frame("<text:p>Machines</text:p>", "title")}<draw:frame>{table}'
             f"</draw:frame>{hidden_box}{comment}</draw:page>"
             f'<draw:page draw:name="Crew notes">{odp_frame(spaced)}'
             + odp_frame("<text:p>1 May</text:p>", "date-time") + "</draw:page>")
    path = zip_with_mimetype(tmp_path / "machines.odp", ODP_MIMETYPE, {"content.xml": odp_content(pages)})
    assert [(b.page, b.text, b.heading) for b in readers.read(path).blocks] == [
        (1, "Machines", "Machines"), (1, "Region | Machine | Cost", "Machines"), (1, "Nordic | Excavator |", "Machines"),
        (1, "Nordic | Crane | 12", "Machines"), (1, "Iberia | | 4100", "Machines"),
        (2, "Crews work in shifts.", None)]  # a slide's name is not on it: no heading


def test_a_hidden_odp_slide_keeps_its_number_for_the_slides_after_it(tmp_path: Path) -> None:
    pages = "".join(f'<draw:page draw:style-name="{style}">{odp_frame(f"<text:p>{text}</text:p>", "title")}</draw:page>'
                    for style, text in (("dp1", "Shown"), ("dp3", "Hidden"), ("dp1", "Third")))
    path = zip_with_mimetype(tmp_path / "d.odp", ODP_MIMETYPE, {"content.xml": odp_content(pages, HIDDEN_PAGE_STYLE)})
    assert [(b.page, b.text) for b in readers.read(path).blocks] == [(1, "Shown"), (3, "Third")]


def test_an_odp_protected_damaged_empty_or_of_another_kind_is_skipped_with_its_reason(tmp_path: Path) -> None:
    slide = odp_content(f'<draw:page>{odp_frame("<text:p>Budget</text:p>", "title")}</draw:page>')
    locked = zip_with_mimetype(tmp_path / "locked.odp", ODP_MIMETYPE, {
        "content.xml": "ciphertext", "META-INF/manifest.xml": "<manifest:encryption-data/>"})
    assert readers.read(locked).warnings == (
        "skipped locked.odp: password-protected OpenDocument file; save a copy without the password in Impress",)
    cut = zip_with_mimetype(tmp_path / "cut.odp", ODP_MIMETYPE, {"content.xml": slide[: len(slide) // 2]})
    [warning] = readers.read(cut).warnings
    assert warning.startswith("skipped cut.odp: broken OpenDocument file (damaged XML at line ") and warning.endswith(
        "); open and save it again in Impress, or export it as .pptx or PDF")
    blank = zip_with_mimetype(tmp_path / "blank.odp", ODP_MIMETYPE, {"content.xml": odp_content("<draw:page/>")})
    assert readers.read(blank).warnings == ("skipped blank.odp: no text on any slide",)
    sheet = zip_with_mimetype(tmp_path / "sheet.odt", "application/vnd.oasis.opendocument.text", {
        "content.xml": f"<office:document-content {ODT_NAMESPACES}><office:body><office:spreadsheet/></office:body>"
                       "</office:document-content>"})
    assert readers.read(sheet).warnings == (
        "skipped sheet.odt: an OpenDocument spreadsheet under another kind's mimetype or name; open and save it again "
        "in LibreOffice Calc as .ods",)


def test_an_odp_is_indexed_and_cited_by_slide(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    write_odp(tmp_path / "harbour.odp")
    result = runner.invoke(app, ["index", str(tmp_path), "--index", str(tmp_path / ".idx")])
    assert result.exit_code == 0 and "harbour.odp  [odp]" in result.output, result.output
    result = runner.invoke(app, ["search", "dredging June 2026", "--index", str(tmp_path / ".idx"), "--k", "1"])
    assert result.output.startswith('1. harbour.odp slide 3 ¶'), result.output


def test_a_passage_running_onto_the_next_slide_is_cited_from_one_slide_to_the_other(
    fake_models: ScriptedGenerator, tmp_path: Path,
) -> None:
    """A title-only divider slide joins the next slide's passage: its location names both slides,
    not "slide 1 ¶1 and 2 more" for text a reader finds on slide 2 (tester-s44 M5)."""
    from pptx import Presentation

    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[5]).shapes.title.text = "Part 2: Results"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Sales"
    slide.placeholders[1].text = "Sales rose 12 percent in the north."
    deck.save(str(tmp_path / "sections.pptx"))
    assert runner.invoke(app, ["index", str(tmp_path), "--index", str(tmp_path / ".idx")]).exit_code == 0
    result = runner.invoke(app, ["search", "sales rose in the north", "--index", str(tmp_path / ".idx"), "--k", "1"])
    assert result.output.startswith("1. sections.pptx slide 1 ¶1 to slide 2 ¶2 (under \"Sales\")"), result.output
    found = json.loads(runner.invoke(app, ["search", "sales rose", "--index", str(tmp_path / ".idx"), "--json"]).output)
    assert (found[0]["page"], found[0]["last_page"], found[0]["last_page_paragraph"]) == (1, 2, 2)


def _odt(path: Path, body: str, manifest: str | None = None) -> Path:
    members = {"content.xml": f'<office:document-content {ODT_NAMESPACES}><office:body><office:text>{body}'
                              "</office:text></office:body></office:document-content>"}
    if manifest is not None:
        members["META-INF/manifest.xml"] = manifest
    return zip_with_mimetype(path, "application/vnd.oasis.opendocument.text", members)


def test_odt_nested_tables_text_boxes_and_notes_are_each_read_once(tmp_path: Path) -> None:
    nested = ("<table:table><table:table-row><table:table-cell><text:p>A</text:p><table:table><table:table-row>"
              "<table:table-cell><text:p>inner1</text:p></table:table-cell><table:table-cell><text:p>inner2</text:p>"
              "</table:table-cell></table:table-row></table:table></table:table-cell><table:table-cell><text:p>B"
              "<text:note><text:note-body><text:p>Cell note.</text:p></text:note-body></text:note></text:p>"
              "</table:table-cell></table:table-row></table:table>")
    boxed = ('<text:h>Real heading</text:h><text:p>Para<draw:frame><draw:text-box><text:h>Box heading</text:h>'
             "<text:p>In the box<text:note><text:note-body><text:p>Box note.</text:p></text:note-body></text:note>"
             "</text:p></draw:text-box></draw:frame></text:p><text:p>After the box.</text:p>")
    result = readers.read(_odt(tmp_path / "a.odt", nested + boxed))
    assert [(b.text, b.kind, b.heading) for b in result.blocks] == [
        ("A | B", "table_row", None), ("inner1 | inner2", "table_row", None), ("Cell note.", "paragraph", None),
        ("Real heading", "heading", "Real heading"), ("Para", "paragraph", "Real heading"),
        ("Box heading", "paragraph", "Real heading"), ("In the box", "paragraph", "Box heading"),
        ("Box note.", "paragraph", "Box heading"), ("After the box.", "paragraph", "Real heading"),
    ]
    deep = "<text:p>x" + "<draw:frame><draw:text-box><text:p>x" * 30 + "</text:p></draw:text-box></draw:frame>" * 30 + "</text:p>"
    assert len(readers.read(_odt(tmp_path / "deep.odt", deep)).blocks) == 31  # one a box, not 2^30


def _odf_table(rows: list[list[str]]) -> str:
    """A table:table of rows of cells: "" an empty cell, "^" one covered by the cell above (which
    spans down to it), "<" one covered by the cell to its left, "*3" an empty cell repeated 3 times,
    "<text:..." a cell of that markup."""
    def cell(text: str, row: int, column: int) -> str:
        if text in ("^", "<"):
            return "<table:covered-table-cell/>"
        if text.startswith("*"):
            return f'<table:table-cell table:number-columns-repeated="{text[1:]}"/>'
        if text.startswith("<text:"):
            return f"<table:table-cell>{text}</table:table-cell>"
        spans = sum(1 for below in rows[row + 1:] if column < len(below) and below[column] == "^")
        across = sum(1 for right in rows[row][column + 1:] if right == "<")
        attributes = (f' table:number-rows-spanned="{spans + 1}"' if spans else "") + (
            f' table:number-columns-spanned="{across + 1}"' if across else "")
        return f"<table:table-cell{attributes}><text:p>{text}</text:p></table:table-cell>" if text else "<table:table-cell/>"

    return "<table:table>" + "".join(
        "<table:table-row>" + "".join(cell(text, r, c) for c, text in enumerate(row)) + "</table:table-row>"
        for r, row in enumerate(rows)) + "</table:table>"


def test_odt_tables_keep_empty_and_merged_cells_in_their_columns(tmp_path: Path) -> None:
    table = _odf_table([["Region", "Machine", "Cost"], ["Nordic", "Excavator", ""], ["^", "Crane", "12"],
                        ["Iberia", "", "4100"], ["Total", "<", "4112"], ["Spare", "*2"], ["Padded", "*1024"]])
    assert texts(readers.read(_odt(tmp_path / "machines.odt", table))) == [
        "Region | Machine | Cost", "Nordic | Excavator |", "Nordic | Crane | 12", "Iberia | | 4100",
        "Total | | 4112", "Spare | |", "Padded |"]  # a spreadsheet's padding of 1024 empty cells read once


def test_odt_and_odp_cells_hold_their_lists_and_sections_in_their_columns(tmp_path: Path) -> None:
    """A bulleted list in a cell is the cell's text, as PowerPoint's and Word's tables read (tester-s44
    M2); a note in it still follows the row, a comment stays out, a nested table follows as its rows."""
    steps = ("<text:list><text:list-item><text:p>Design the box</text:p><text:list><text:list-item><text:p>Print"
             "<text:note><text:note-body><text:p>Two colours.</text:p></text:note-body></text:note> it</text:p>"
             "</text:list-item></text:list></text:list-item><text:list-item><text:p>Ship to stores</text:p>"
             "<office:annotation><text:p>late?</text:p></office:annotation></text:list-item></text:list>")
    inner = _odf_table([["Day", "Task"]])
    table = _odf_table([["Plan", "Steps", "Owner"], ["Launch", steps, "Maria"],
                        ["Review", f"<text:section><text:h>Check</text:h><text:p>the proofs</text:p>{inner}</text:section>", "Lee"]])
    expected = ["Plan | Steps | Owner", "Launch | Design the box Print it Ship to stores | Maria", "Two colours.",
                "Review | Check the proofs | Lee", "Day | Task"]
    assert texts(readers.read(_odt(tmp_path / "plan.odt", table))) == expected
    pages = f'<draw:page>{odp_frame("<text:p>Plan</text:p>", "title")}<draw:frame>{table}</draw:frame></draw:page>'
    deck = zip_with_mimetype(tmp_path / "plan.odp", ODP_MIMETYPE, {"content.xml": odp_content(pages)})
    assert texts(readers.read(deck)) == ["Plan", *expected]


def test_odt_table_drops_the_trailing_columns_empty_in_every_row(tmp_path: Path) -> None:
    """A spreadsheet's paste pads each row with empty cells: no phantom last column (tester-s44 L6);
    a column empty in some rows only keeps its place in them."""
    pasted = _odf_table([["Name", "Value", "*1021"], ["Pens", "", "*3"], ["Ink", "4", "*3"]])
    kept = _odf_table([["Name", "Value", "Note"], ["Pens", "3", "*2"]])
    assert texts(readers.read(_odt(tmp_path / "paste.odt", pasted + kept))) == [
        "Name | Value", "Pens |", "Ink | 4", "Name | Value | Note", "Pens | 3 |"]


def test_odt_protected_or_too_deep_is_skipped_with_its_reason(tmp_path: Path) -> None:
    protected = _odt(tmp_path / "locked.odt", "<text:p>x</text:p>", manifest="<manifest:encryption-data/>")
    assert readers.read(protected).warnings == (
        "skipped locked.odt: password-protected OpenDocument file; save a copy without the password in the word processor",)
    deep = _odt(tmp_path / "deep.odt", "<text:section>" * 1500 + "<text:p>x</text:p>" + "</text:section>" * 1500)
    [warning] = readers.read(deep).warnings
    assert warning.startswith("skipped deep.odt: OpenDocument file nested too deep to read; ")


def _epub(path: Path, items: str, spine: str, pages: dict[str, str]) -> Path:
    package = (f'<package xmlns="http://www.idpf.org/2007/opf"><manifest>{items}</manifest><spine>{spine}</spine></package>')
    return zip_with_mimetype(path, "application/epub+zip", {"book.opf": package, **pages})


def test_epub_spine_hrefs_with_fragments_and_parameters_once_each_without_its_navigation(tmp_path: Path) -> None:
    page = '<html xmlns="http://www.w3.org/1999/xhtml"><body>{}</body></html>'
    book = _epub(
        tmp_path / "b.epub",
        '<item id="n" href="nav.xhtml" media-type="application/xhtml+xml" properties="nav"/>'
        '<item id="a" href="a.xhtml#start" media-type="application/xhtml+xml; charset=utf-8"/>'
        '<item id="b" href="a_split_001.xhtml" media-type="application/xhtml+xml"/>',
        '<itemref idref="n"/><itemref idref="a"/><itemref idref="a"/><itemref idref="b"/>',
        {"nav.xhtml": page.format("<nav><ol><li>Chapter One</li></ol></nav>"),
         "a.xhtml": page.format("<h1>Chapter One</h1><p>The lighthouse keeper counted the ships at dawn.</p>"),
         "a_split_001.xhtml": page.format("<p>He counted them until the harbour froze in 1947.</p>")},
    )
    result = readers.read(book)
    assert [(b.text, b.heading) for b in result.blocks] == [
        ("Chapter One", "Chapter One"), ("The lighthouse keeper counted the ships at dawn.", "Chapter One"),
        ("He counted them until the harbour froze in 1947.", "Chapter One"),
    ]


def test_epub_and_odt_as_ebooklib_and_odfpy_write_them() -> None:
    data = Path(__file__).resolve().parent / "data"  # written by data/make_real_files.py
    book = readers.read(data / "ebooklib-book.epub")
    assert [(b.text, b.kind) for b in book.blocks][:3] == [
        ("The Breakwater", "heading"), ("The northern breakwater was built of granite from Penryn in 1862.", "paragraph"),
        ("Storms breached it in 1903.", "paragraph"),
    ]
    assert len(book.blocks) == 6 and book.blocks[4].heading == "The Lighthouse"  # the navigation document left out
    document = readers.read(data / "odfpy-document.odt")
    assert [(b.text, b.kind) for b in document.blocks] == [
        ("Dues", "heading"), ("Yachts pay three pounds a metre.", "paragraph"),
        ("Dinghies pay five pounds.", "list_item"), ("Vessel | Fee", "table_row"),
    ]


def test_a_docbook_page_keeps_its_headings_and_its_side_notes(tmp_path: Path) -> None:
    """DocBook marks headings and index terms with empty anchors, and sets side notes in a
    "sidebar" box among the paragraphs; a site's own sidebar of links stays out."""
    def section(title: str, inner: str) -> str:
        return (f'<div class="section"><div class="titlepage"><div><div><h3 class="title"><a id="{title[:3]}"></a>'
                f'{title}</h3></div></div></div><a id="i-{title[:3]}" class="indexterm"></a>{inner}</div>')

    note = ('<div class="sidebar"><div class="titlepage"><div><div><p class="title"><strong>TOOL Developer\'s '
            'database</strong></p></div></div></div><div class="para">Debian has a database of all registered '
            'developers with their addresses, their keys and the places where they live on the map.</div></div>')
    page = tmp_path / "handbook.html"
    page.write_text(
        "<html><body><div class='layout'><div class='content'>"
        + section("1.3.1. The Debian Developers", "<div class='para'>Debian developers maintain packages and fix "
                  "the bugs that users report in the tracking system every week.</div>" + note
                  + "<div class='para'>Package maintenance is a regimented activity with rules set out in policy.</div>")
        + section("1.3.2. The Active Role of Users", "<div class='para'>Users report bugs, translate "
                  "documentation and send fixes that developers review before they upload them.</div>")
        + "</div><div class='sidebar'><a href='/a'>Archive of the first week of the year</a> <a href='/b'>"
        "Archive of the second week of the year</a> <a href='/c'>Archive of the third week of the year</a> "
        "<a href='/d'>Archive of the fourth week of the year</a></div></div></body></html>",
        encoding="utf-8",
    )
    result = readers.read(page)
    headings = [b.text for b in result.blocks if b.kind == "heading"]
    assert headings == ["1.3.1. The Debian Developers", "1.3.2. The Active Role of Users"]
    body = "\n".join(texts(result))
    assert "Debian has a database of all registered developers" in body
    assert "Archive of the" not in body


def test_odt_title_and_subtitle_paragraphs_head_the_text_below_them(tmp_path: Path) -> None:
    """docutils writes its title as a paragraph of an automatic style based on rststyle-title."""
    body = ('<text:p text:style-name="P1">Widget User Guide</text:p><text:p text:style-name="rststyle-subtitle">'
            'Introduction</text:p><text:p text:style-name="rststyle-textbody">The widget measures humidity.</text:p>')
    style = 'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"'
    members = {"content.xml": f'<office:document-content {ODT_NAMESPACES} {style}><office:automatic-styles><style:style '
                              'style:name="P1" style:family="paragraph" style:parent-style-name="rststyle-title"/>'
                              f"</office:automatic-styles><office:body><office:text>{body}</office:text></office:body>"
                              "</office:document-content>"}
    path = zip_with_mimetype(tmp_path / "guide.odt", "application/vnd.oasis.opendocument.text", members)
    assert [(b.kind, b.text, b.heading) for b in readers.read(path).blocks] == [
        ("heading", "Widget User Guide", "Widget User Guide"), ("heading", "Introduction", "Introduction"),
        ("paragraph", "The widget measures humidity.", "Introduction")]


def test_a_chart_number_keeps_every_digit_a_double_holds_and_drops_only_its_binary_noise() -> None:
    from rag.readers.chart_text import plain_number

    assert plain_number(0.1 + 0.2) == "0.3"
    assert plain_number(1234567890123) == "1234567890123"  # tester-s46 M6: "1.23456789012e+12", a digit lost
    assert plain_number(105000000000000) == "105000000000000"  # was "1.05e+14"
    assert plain_number(0.425, percent=True) == "42.5%"


def _odf_chart_lines(content: str) -> list[str]:
    from lxml import etree

    from rag.readers.odf_chart import CHART, chart_lines
    from rag.readers.odt import OFFICE

    return chart_lines(etree.fromstring(content.encode()).find(f"{OFFICE}body/{OFFICE}chart/{CHART}chart"))


def test_an_opendocument_chart_reads_a_quoted_table_name_with_spaces_and_dots_and_skips_a_point_with_no_x() -> None:
    rows = [["", "2024"], ["N", "=1"], ["S", "=2"], ["E", "=3"], ["W", "=4"]]
    for name in ("'My Table'", "'v.AB12'"):  # tester-s46 H3: "2024: N 1, W 4", or no series at all
        quoted = odf_chart(rows, "Ports").replace("local-table.", f"{name}.").replace(":.", f":{name}.")
        assert _odf_chart_lines(quoted) == ["Ports (chart)", "2024: N 1, S 2, E 3, W 4"]
    unnamed = odf_chart(rows, "Ports").replace("local-table.", "").replace(":.", ":")  # tester-s46 L2: no series
    backwards = odf_chart(rows, "Ports").replace("$B$2:.$B$5", "$B$5:.$B$2").replace("$A$2:.$A$5", "$A$5:.$A$2")
    assert _odf_chart_lines(unnamed) == _odf_chart_lines(backwards) == ["Ports (chart)", "2024: N 1, S 2, E 3, W 4"]
    scatter = odf_chart([["", "y"], ["", "=0"], ["=1", "=0.3"]], "Scatter", chart_class="chart:scatter")
    assert _odf_chart_lines(scatter) == ["Scatter (chart)", "y: (1, 0.3)"]  # tester-s46 L1: "(, 0)" first


def _with_cells(chart: str, cells: dict[str, str]) -> str:
    """An odf_chart whose string cells named as keys are the cells given (a currency, a float with
    no value), which odf_chart does not write."""
    for text, cell in cells.items():
        chart = chart.replace(f'<table:table-cell office:value-type="string"><text:p>{text}</text:p></table:table-cell>', cell)
    return chart


def test_an_opendocument_chart_keeps_a_currency_cell_as_the_document_shows_it() -> None:
    """Money as its cell's text shows it (rounded too), as the .pptx reader shows it under its
    format; with its currency's code when the text shows another number (tester-s46 L3: "a 1234567")."""
    from rag.readers.number_format import formatted

    money = ('<table:table-cell office:value-type="currency" office:currency="{code}" office:value="{value}">'
             "<text:p>{text}</text:p></table:table-cell>")
    cells = {f"c{n}": money.format(code=code, value=value, text=text) for n, (code, value, text) in enumerate((
        ("GBP", "1234567", "£1,234,567"), ("EUR", "1234567", "1.234.567 €"), ("GBP", "1234.5678", "£1,234.57"),
        ("EUR", "-500", "-500,00 €"), ("GBP", "4200000", "£4.2M"), ("EUR", "7", ""), ("", "8", "")))}
    rows = [["", "Revenue"], *([region, f"c{n}"] for n, region in enumerate(("N", "S", "E", "W", "X", "Y", "Z")))]
    assert _odf_chart_lines(_with_cells(odf_chart(rows, "Ports"), cells)) == [
        "Ports (chart)", "Revenue: N £1,234,567, S 1.234.567 €, E £1,234.57, W -500,00 €, X GBP 4200000, Y EUR 7, Z 8"]
    assert formatted(1234567, '"£"#,##0') == "£1,234,567"  # the .pptx reader's
    shares = [["", "Share", "Depth"], ["Ferries", "%0.42", "=0.30000000000000004"], ["Freight", "%0.58", "=1234567"]]
    assert _odf_chart_lines(odf_chart(shares)) == ["Share: Ferries 42%, Freight 58%", "Depth: Ferries 0.3, Freight 1234567"]


def test_an_opendocument_chart_reads_a_number_cell_with_no_value_from_its_text() -> None:
    """A float cell whose office:value is missing or no number, its text a number, was dropped
    (tester-s46 L2); one whose text is none, or whose value is NaN (a point not drawn), still is."""
    float_cell = '<table:table-cell office:value-type="float"{value}><text:p>{text}</text:p></table:table-cell>'
    cells = {f"c{n}": float_cell.format(value=value, text=text) for n, (value, text) in enumerate((
        ("", "12"), (' office:value=""', "7"), (' office:value="twelve"', "1,5"), ("", "n/a"),
        (' office:value="NaN"', "1.#NAN"), (' office:value="NaN"', "9")))}
    rows = [["", "Calls"], *([day, f"c{n}"] for n, day in enumerate(("Mon", "Tue", "Wed", "Thu", "Fri", "Sat")))]
    assert _odf_chart_lines(_with_cells(odf_chart(rows), cells)) == ["Calls: Mon 12, Tue 7, Wed 1,5"]
    assert _odf_chart_lines(_with_cells(odf_chart(rows, addressed=False), cells)) == ["Calls: Mon 12, Tue 7, Wed 1,5"]


def test_an_opendocument_charts_repeated_rows_and_cells_are_read_only_up_to_a_bound() -> None:
    from rag.readers.odf_chart import MAX_COLUMNS, MAX_ROWS, _Table
    from lxml import etree

    row = ('<table:table-row table:number-rows-repeated="1000"><table:table-cell table:number-columns-repeated="1000" '
           'office:value-type="float" office:value="1"><text:p>1</text:p></table:table-cell></table:table-row>')
    table = etree.fromstring(f'<table:table {ODF_CHART_NAMESPACES}><table:table-rows>{row * 300}</table:table-rows></table:table>')
    read = _Table(table)  # 300 million cells as written (tester-s46 H2: a 3 KB file, gigabytes of memory)
    assert len(read.rows) == MAX_ROWS and {len(cells) for cells in read.rows} == {MAX_COLUMNS}


def test_an_opendocument_object_link_is_read_as_a_url_within_the_file() -> None:
    from rag.readers.odf_chart import _object_folder

    assert _object_folder("./Object%201") == _object_folder("Object 1/../Object 1") == "Object 1"  # tester-s46 L4
    assert [_object_folder(link) for link in ("../x", "./../x", "/etc", "file:///x", ".")] == [None] * 5


def test_an_opendocument_template_is_read_as_its_document(tmp_path: Path) -> None:
    """A template named .ott was 'left out of the index' while the same file named .docx was read
    (tester-s46 L6)."""
    from rag.corpus import is_document

    for source, template in ((write_odt(tmp_path / "dues.odt"), "dues.ott"), (write_odp(tmp_path / "deck.odp"), "deck.otp")):
        copy = tmp_path / template
        with zipfile.ZipFile(source) as original, zipfile.ZipFile(copy, "w") as out:
            for member in original.namelist():
                data = original.read(member)
                out.writestr(member, data + b"-template" if member == "mimetype" else data)
        assert is_document(copy)
        assert texts(readers.read(copy)) == texts(readers.read(source))
