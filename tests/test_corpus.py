import os
from pathlib import Path

import pytest

from conftest import read_corpus
from rag.corpus import heading_of, list_folder, split_paragraphs
from rag.errors import CorpusError


def texts(text: str) -> list[tuple[int, int, int, str]]:
    return [(p.number, p.start_line, p.end_line, text[p.start : p.end]) for p in split_paragraphs(text)]


def test_one_paragraph_per_long_line() -> None:
    long_a, long_b = "A" * 120 + ".", "B" * 150 + "."
    text = f"Title\n\n{long_a}\n{long_b}\n\nshort last line\n"
    assert texts(text) == [(1, 1, 1, "Title"), (2, 3, 3, long_a), (3, 4, 4, long_b), (4, 6, 6, "short last line")]


def test_hard_wrapped_paragraphs_are_joined_by_blank_lines() -> None:
    text = "First line of one\nparagraph goes on.\n\n  Second paragraph\nalso wrapped.\n"
    assert texts(text) == [
        (1, 1, 2, "First line of one\nparagraph goes on."),
        (2, 4, 5, "Second paragraph\nalso wrapped."),
    ]


def test_markdown_headings_and_list_items_start_paragraphs() -> None:
    text = "# Heading\nIntro text\n- item one\n- item two\n"
    assert [t[3] for t in texts(text)] == ["# Heading", "Intro text", "- item one", "- item two"]


def test_plain_text_paragraphs_carry_the_heading_above_them() -> None:
    text = (
        "Configuration Values\n====================\n\nThese values are optional.\n\n"
        "max_queue_size\n--------------\n\n**Default** - ``1000``\n\nMore about queues.\n"
    )
    paragraphs = split_paragraphs(text)
    assert [p.heading for p in paragraphs] == [
        "Configuration Values", "Configuration Values", "max_queue_size", "max_queue_size", "max_queue_size",
    ]


def test_what_counts_as_a_heading() -> None:
    assert heading_of("Introduction\n------------") == "Introduction"
    assert heading_of("=====\nTRIGGERS\n=====") == "TRIGGERS"
    assert heading_of("## Installing a version ##") == "Installing a version"
    assert heading_of("Intro\n---\nBody under the title on the next line.") == "Intro"
    assert heading_of("A long underline shorter than its line of text\n---") is None  # a rule, not a title
    assert heading_of("#hashtag trending today") is None
    assert heading_of("An ordinary sentence of text.") is None
    assert all(p.heading is None for p in split_paragraphs("News title\n\nA story in two paragraphs.\n"))


def test_a_manual_page_or_pydoc_text_is_split_under_its_capitalised_sections(tmp_path: Path) -> None:
    # tester-s47 M3, L3: a class's "|"-quoted lines were one paragraph of 200 lines, cited
    # "lines 26-226", and every function was "under" the docstring's last underlined heading
    pydoc = (
        "NAME\n    secrets - Generate secrets.\n\nDESCRIPTION\n    Exceptions\n    ----------\n\n"
        "    StatisticsError is raised.\n\nCLASSES\n    class SystemRandom(Random)\n     |  SystemRandom(x=None)\n     |  \n"
        "     |  Alternate random number generator using sources\n     |  provided by the operating system.\n     |  \n"
        "     |  Method resolution order:\n     |      SystemRandom\n\nFUNCTIONS\n    token_bytes(nbytes=None)\n"
        "        Return a random byte string containing *nbytes* bytes.\n"
    )
    paragraphs = split_paragraphs(pydoc)
    alternate = next(p for p in paragraphs if "Alternate random" in pydoc[p.start : p.end])
    assert (alternate.start_line, alternate.end_line, alternate.heading) == (14, 15, "CLASSES")
    assert paragraphs[-1].heading == "FUNCTIONS" and paragraphs[0].heading == "NAME"
    # a signature longer than a line among wrapped lines (tester-s49 M4): the block is no paragraph
    # a line, so "FUNCTIONS" heads its functions, which had been cited under "CLASSES"
    signature = "    dumps(obj, *, skipkeys=False, ensure_ascii=True, check_circular=True, allow_nan=True, cls=None, indent=None)\n"
    long_signature = pydoc.replace("    token_bytes(nbytes=None)\n", signature) + (
        "        Serialize ``obj`` to a JSON formatted ``str``.\n        \n        If ``skipkeys`` is true.\n")
    assert [p.heading for p in split_paragraphs(long_signature)][-1] == "FUNCTIONS"
    assert len(split_paragraphs("A line of its own.\n" + "x " * 60 + "\nAnother.\n")) == 3  # a paragraph a line
    assert heading_of("SEE ALSO\n       ls(1)") == "SEE ALSO"
    # not a title: a capitalised line alone, over unindented text, a short one, or a sentence
    assert heading_of("NO WARRANTY") is None and heading_of("ARCHITECTURE-VENDOR-OS") is None
    assert heading_of("WARNING\nDo not run this as root.") is None and heading_of("OK\n    fine") is None
    assert heading_of("THIS SOFTWARE IS PROVIDED AS IS\n    by the authors") is None
    quoted = split_paragraphs("> First quoted paragraph.\n>\n> Second one.\n>> Nested.\n>>\n> > Nested again.\n> >\n> Back.\n")
    assert [(p.start_line, p.end_line) for p in quoted] == [(1, 1), (3, 4), (6, 6), (8, 8)]  # ">>", "> >" too (tester-s48 L16)


def test_an_underline_shorter_than_its_title_underlines_it_from_four_marks_as_in_docutils() -> None:
    text = "Guide\n=====\n\nUnderline shorter than title\n====\n\nUnder short underline.\n"
    paragraphs = split_paragraphs(text)
    assert [(text[p.start : p.end], p.heading) for p in paragraphs] == [
        ("Guide", "Guide"), ("Underline shorter than title", "Underline shorter than title"),
        ("Under short underline.", "Underline shorter than title")]
    assert heading_of("Underline shorter than title\n==") is None  # docutils: text, too short to be an underline
    assert heading_of("Thanks for reading the whole report.\n----") is None  # a sentence over a divider
    assert heading_of("- a list item of some length\n----") is None
    assert heading_of("Name     Value of the setting\n----") is None  # a table's header over a rule
    assert heading_of("function[abi:cxx11](int)\n        ^^^^^^^^^^^") is None  # an indented rule: a code example's


def test_a_rule_across_the_page_under_a_short_line_divides_and_heads_nothing() -> None:
    # tester-s50 M3: bash's CHANGES ends each release under its last entry with a 78-dash rule, and
    # "4.  New Features in Readline" headed the 800 passages of every later release
    rule = "-" * 78
    text = (f"3.  New Features in Bash\n\n4.  New Features in Readline\n{rule}\nThis document details the changes "
            "between bash-4.4-rc2 and bash-4.4-beta2.\n\na.  Fixed an out-of-bounds read.\n")
    assert [p.heading for p in split_paragraphs(text)] == [None, None, None]
    assert heading_of(f"to cause an error (not a bug)\n{'-' * 69}") is None
    assert heading_of(f"a.  `readarray' is now a synonym for `mapfile'.\n{rule}") is None  # a sentence over it
    assert heading_of(f"Performance, Internal Implementation, Development Support etc.\n{'-' * 62}") is not None
    assert heading_of(f"Installation\n{'=' * 24}") == "Installation"  # twice its length: still an underline
    assert heading_of(f"{'#' * 78}\n1. Documentation\n{'#' * 78}") == "1. Documentation"  # framed: a title
    framed = f"{rule}\n\n{rule}\n1. Background\n{rule}\n\n1.1. How do you pronounce it?\n"
    assert [p.heading for p in split_paragraphs(framed)][-2:] == ["1. Background", "1. Background"]  # the overline split off


def test_crlf_text_stays_verbatim() -> None:
    text = "one\r\ntwo\r\n\r\nthree\r\n"
    assert [t[3] for t in texts(text)] == ["one\r\ntwo", "three"]


def test_classic_mac_line_ends_split_paragraphs_and_offsets_stay_true(tmp_path: Path) -> None:
    data = b"The pier opened in 1871\rand closed in 1990.\r\rBoats now moor at pier 4.\r"
    (tmp_path / "mac.txt").write_bytes(data)
    document = read_corpus(tmp_path).documents[0]
    assert [(document.paragraph_text(p), p.start_line) for p in document.paragraphs] == [
        ("The pier opened in 1871\nand closed in 1990.", 1), ("Boats now moor at pier 4.", 4),
    ]
    assert all(document.text[p.start:p.end].encode() == data[p.start:p.end].replace(b"\r", b"\n")
               for p in document.paragraphs)


def test_text_with_a_stray_nul_is_read_with_a_warning_and_binaries_are_still_skipped(tmp_path: Path) -> None:
    (tmp_path / "log.txt").write_bytes(b"The backup ran at 02:00.\x00\n\nIt finished at 02:40.\n")
    (tmp_path / "tool").write_bytes(b"\x7fELF\x02\x01\x01\x00\x00\x00\x00\x00\x00\x00\x00\x00\x02\x00>\x00")
    (tmp_path / "image.txt").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01")
    corpus = read_corpus(tmp_path)
    assert [(d.path, [d.paragraph_text(p) for p in d.paragraphs]) for d in corpus.documents] == [
        ("log.txt", ["The backup ran at 02:00.", "It finished at 02:40."]),
    ]
    assert sorted(corpus.warnings) == ["read log.txt with 1 NUL byte shown as space", "skipped image.txt: binary file"]


def test_hash_comments_in_code_examples_are_not_headings() -> None:
    text = ("Installation\n============\n\nBuild it:\n\n  # install the build dependencies first\n  make\n\n"
            "Lines that start with a hash are comments:\n\n# frob.conf\n# worker threads\nworkers = 8\n\n"
            "# Uninstalling\n\nRun make uninstall.\n")
    paragraphs = split_paragraphs(text)
    assert [(text[p.start:p.end], p.heading) for p in paragraphs] == [
        ("Installation", "Installation"), ("Build it:", "Installation"),
        ("# install the build dependencies first\n  make", "Installation"),
        ("Lines that start with a hash are comments:", "Installation"),
        ("# frob.conf\n# worker threads\nworkers = 8", "Installation"),
        ("# Uninstalling", "Uninstalling"), ("Run make uninstall.", "Uninstalling"),
    ]
    counted = "Staff\n\n# of employees rose to 42 in 2025, up from 37.\n\nThe rest.\n"
    assert [p.heading for p in split_paragraphs(counted)] == [None, None, None]  # a sentence after "#" heads nothing


def test_prose_wrapped_wider_than_100_columns_is_one_paragraph_and_long_lines_are_not() -> None:
    words = ("Operators must announce the maintenance window in the status channel at least 48 hours in advance and "
             "confirm that the backup snapshot completed before starting any schema migration on the primary "
             "database cluster, and they must write down who approved it.").split()
    wrapped, line = [], ""
    for word in words:
        if line and len(line) + 1 + len(word) > 120:
            wrapped.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    text = "\n".join(wrapped + [line]) + "\n"
    assert max(map(len, wrapped)) > 100 and [text[p.start:p.end] for p in split_paragraphs(text)] == [text.strip()]
    url = "To configure the corporate proxy, download the PAC file from\nhttps://intranet.example.com/" + "x" * 110 + "\nand install it.\n"
    assert len(split_paragraphs(url)) == 1
    one_a_line = "A first paragraph of one long line " * 4 + "\nA second, shorter one " * 2 + "\n"
    table = "Variable    Option       Description of what this variable is for, in words enough to pass the width of it\n" * 3
    assert len(split_paragraphs(one_a_line)) == 3 and len(split_paragraphs(table)) == 3


def test_bad_files_are_skipped_or_decoded_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("Hello there.\n", encoding="utf-8")
    (tmp_path / "empty.txt").write_text("  \n", encoding="utf-8")
    (tmp_path / "binary.txt").write_bytes(b"\x00\x01\x02abc")
    (tmp_path / "latin.md").write_bytes("caf\xe9 au lait".encode("latin-1"))
    (tmp_path / "broken.pdf").write_bytes(b"%PDF")
    (tmp_path / ".hidden").mkdir()
    (tmp_path / ".hidden" / "x.txt").write_text("not read")
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["good.txt", "latin.md"]
    assert corpus.documents[1].text == "café au lait"
    assert sorted(corpus.warnings) == [
        "decoded latin.md as Latin-1: it is not valid UTF-8 (if its text reads wrong, save it as UTF-8)",
        "skipped binary.txt: binary file",
        "skipped broken.pdf: broken PDF (it ends early: cut short, or not a whole PDF); re-download it or save it "
        "again from its source, or export it as text",
        "skipped empty.txt: only blank space",
    ]


def test_a_stray_byte_in_utf8_text_is_replaced_not_read_as_a_code_page(tmp_path: Path) -> None:
    (tmp_path / "mostly.txt").write_bytes("Der Bürgermeister von Köln heißt Müller.\n\n".encode() + b"stray caf\xe9\n")
    (tmp_path / "windows.txt").write_bytes("Ærøskøbing’s café — «open»".encode("cp1252"))
    corpus = read_corpus(tmp_path)
    texts_by_file = {d.path: d.text for d in corpus.documents}
    assert texts_by_file["mostly.txt"] == "Der Bürgermeister von Köln heißt Müller.\n\nstray caf\ufffd\n"
    assert texts_by_file["windows.txt"] == "Ærøskøbing’s café — «open»"
    assert sorted(corpus.warnings) == [
        "decoded mostly.txt as UTF-8 with 1 invalid byte sequence(s) shown as \ufffd: re-save it as UTF-8 to fix them",
        "decoded windows.txt as Windows-1252: it is not valid UTF-8 (if its text reads wrong, save it as UTF-8)",
    ]


def test_missing_or_empty_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(CorpusError, match="does not exist"):
        read_corpus(tmp_path / "nope")
    with pytest.raises(CorpusError, match=r"no readable documents \(.txt, .md, .rst, .pdf"):
        read_corpus(tmp_path)


def test_a_file_given_as_the_corpus_names_its_folder(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text("A note.\n", encoding="utf-8")
    with pytest.raises(CorpusError, match=rf"notes.md is a file, not a folder; pass the folder that holds it \({tmp_path}\)"):
        read_corpus(notes)


def test_seed_paragraphs_match_their_lines() -> None:
    corpus = read_corpus(Path(__file__).resolve().parent.parent / "seeds")
    assert len(corpus.documents) == 5
    for document in corpus.documents:
        lines = document.text.split("\n")
        for p in document.paragraphs:
            assert document.paragraph_text(p) == "\n".join(lines[p.start_line - 1 : p.end_line]).strip()


def test_plain_text_of_other_kinds_is_read_and_the_rest_is_counted(tmp_path: Path) -> None:
    (tmp_path / "guide.rst").write_text("Install\n=======\n\nRun the installer twice.\n", encoding="utf-8")
    (tmp_path / "notes.adoc").write_text("The key is in the vault.\n", encoding="utf-8")
    (tmp_path / "README").write_text("Read me first.\n", encoding="utf-8")
    (tmp_path / "tool").write_bytes(b"\x7fELF\x02\x01\x00\x00binary")
    (tmp_path / "a.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "b.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    (tmp_path / "budget.numbers").write_bytes(b"PK")
    listing = list_folder(tmp_path)
    assert [p.name for p in listing.files] == ["README", "guide.rst", "notes.adoc"]
    assert listing.others == {".png": 2, ".numbers": 1, "binary without extension": 1}
    assert listing.others_note() == (
        "not indexed: 4 files of other types (.png 2, .numbers 1, binary without extension 1); rag reads documents "
        "(.txt, .md, .rst, .pdf, .html, .docx, .pptx, .epub, .odt, .odp, .ipynb, e-mail (.eml, .mbox), spreadsheets (.xlsx, .xls, .ods, .csv), or plain "
        "text with no extension; any of them compressed as .gz, .bz2 or .xz); name other extensions of plain text to "
        "read with `rag index DIR --as-text .py,.conf`"
    )
    assert [p.name for p in list_folder(tmp_path, {".png"}).files] == ["README", "guide.rst", "notes.adoc"]  # not text
    for n in range(9):
        (tmp_path / f"x.k{n}").write_bytes(b"x")
    assert list_folder(tmp_path).others_note().startswith(  # type: ignore[union-attr]
        "not indexed: 13 files of other types (.png 2, .k0 1, .k1 1, .k2 1, .k3 1, .k4 1, .k5 1, .k6 1, 4 more types); ")
    for n in range(9):
        (tmp_path / f"x.k{n}").unlink()
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["README", "guide.rst", "notes.adoc"]
    assert corpus.documents[1].paragraph_text(corpus.documents[1].paragraphs[-1]) == "Run the installer twice."


def test_a_pdf_or_word_file_saved_without_an_extension_is_read_by_its_first_bytes(tmp_path: Path) -> None:
    from fpdf import FPDF

    pdf = FPDF()
    pdf.add_page()
    pdf.set_font("helvetica", size=12)
    pdf.cell(text="The pier closes at dusk.")
    (tmp_path / "report").write_bytes(bytes(pdf.output()))
    (tmp_path / "tool").write_bytes(b"\x7fELF\x02\x01\x00\x00binary")
    listing = list_folder(tmp_path)
    assert [p.name for p in listing.files] == ["report"] and listing.others == {"binary without extension": 1}
    assert [(d.path, d.format) for d in read_corpus(tmp_path).documents] == [("report", "pdf")]


def test_a_file_name_that_is_not_utf8_is_left_out_with_a_note(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Kerry met Lavrov in Geneva.\n")
    with open(os.path.join(os.fsencode(tmp_path), b"bad\xffname.txt"), "wb") as handle:
        handle.write(b"Lavrov met Kerry.\n")
    listing = list_folder(tmp_path)
    assert [p.name for p in listing.files] == ["ok.txt"]
    assert listing.misnamed_note() == "not indexed: bad?name.txt (the file name is not valid UTF-8); rename the file"


def test_a_corpus_folder_whose_path_is_not_utf8_is_refused_in_one_line(tmp_path: Path) -> None:
    root = Path(os.fsdecode(os.path.join(os.fsencode(tmp_path), b"x\xffroot")))
    root.mkdir()
    (root / "ok.txt").write_text("Kerry met Lavrov in Geneva.\n")
    with pytest.raises(CorpusError, match=r"the path of corpus folder .*x\?root is not valid UTF-8 .*; rename it"):
        read_corpus(root)


def test_a_path_longer_than_the_system_allows_is_named_in_a_note_and_the_rest_is_read(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Kerry met Lavrov in Geneva.\n")
    os.makedirs(tmp_path / "a")
    here = os.getcwd()
    try:  # built relative to each folder: no path given to the system is too long while making it
        os.chdir(tmp_path / "a")
        for _ in range(250):
            os.mkdir("d" * 20)
            os.chdir("d" * 20)
        Path("deep.txt").write_text("Too deep to reach.\n")
    finally:
        os.chdir(here)
    listing = list_folder(tmp_path)  # a stat of the deepest folder failed with ENAMETOOLONG: a traceback
    assert [p.name for p in listing.files] == ["ok.txt"]
    assert listing.unreadable_note() == (f"not indexed: folder a/…/{'d' * 20} (longer than the system allows) "
                                         "could not be read; shorten its path (rename or move the folders above it)")


def test_a_file_reached_by_a_short_relative_path_but_too_long_a_whole_one_is_named_not_indexed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Indexed through `rag index corpus`, such a file was then never found by its whole path:
    reported removed on every check (tester-s46 M5)."""
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "ok.txt").write_text("Kerry met Lavrov in Geneva.\n")
    monkeypatch.chdir(tmp_path / "c")
    for _ in range(20):
        os.mkdir("d" * 201)
        os.chdir("d" * 201)
    Path("deep.txt").write_text("Deep but reachable from c.\n")
    monkeypatch.chdir(tmp_path)
    deep = Path("c", *["d" * 201] * 20, "deep.txt")
    assert len(os.fsencode(deep)) < 4096 <= len(os.fsencode(os.path.abspath(deep)))
    listing = list_folder(Path("c"))
    assert [p.name for p in listing.files] == ["ok.txt"]
    assert "deep.txt (longer than the system allows) could not be read" in (listing.unreadable_note() or "")


def test_a_folder_that_cannot_be_listed_is_named_in_a_note(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "ok.txt").write_text("Kerry met Lavrov in Geneva.\n")
    real_walk = os.walk

    def walk(root, onerror=None):  # type: ignore[no-untyped-def]  # as os.walk does for a folder it may not list
        onerror(PermissionError(13, "Permission denied", str(tmp_path / "secret")))
        yield from real_walk(root, onerror=onerror)

    monkeypatch.setattr(os, "walk", walk)
    listing = list_folder(tmp_path)
    assert [p.name for p in listing.files] == ["ok.txt"]
    assert listing.unreadable_note() == "not indexed: folder secret (Permission denied) could not be read; check its permissions"


def test_a_text_file_without_letters_or_digits_is_skipped_with_a_warning(tmp_path: Path) -> None:
    (tmp_path / "ok.txt").write_text("Kerry met Lavrov in Geneva.\n")
    (tmp_path / "noise.txt").write_bytes(b"\x01\x02\x03\x1b\x7f ---\n")
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["ok.txt"]
    assert "skipped noise.txt: no letters or digits in it (only symbols or control characters)" in corpus.warnings


def test_text_saved_under_a_pdf_or_word_name_is_read_as_text_with_a_warning_but_not_an_empty_or_rtf_file(tmp_path: Path) -> None:
    (tmp_path / "notes.pdf").write_text("The east gate opens at 06:30.\n", encoding="utf-8")
    (tmp_path / "memo.docx").write_text("Fuel arrives on Tuesdays.\n", encoding="utf-8")
    (tmp_path / "empty.pdf").write_bytes(b"")
    (tmp_path / "letter.docx").write_bytes(b"{\\rtf1\\ansi Dear sir}")
    corpus = read_corpus(tmp_path)
    assert [(d.path, d.text) for d in corpus.documents] == [
        ("memo.docx", "Fuel arrives on Tuesdays.\n"), ("notes.pdf", "The east gate opens at 06:30.\n")
    ]
    warnings = sorted(corpus.warnings)
    assert warnings[:2] == [
        "memo.docx holds plain text, not .docx: read as text (rename it to .txt)",
        "notes.pdf holds plain text, not .pdf: read as text (rename it to .txt)",
    ]
    assert warnings[2] == "skipped empty.pdf: empty file" and warnings[3].startswith("skipped letter.docx: broken DOCX")


def test_a_projects_notes_with_a_suffix_of_their_own_are_read_as_text(tmp_path: Path) -> None:
    (tmp_path / "README.Debian").write_text("The package is built with dh.\n")
    (tmp_path / "changelog.source").write_text("Version 2 fixed the build.\n")
    (tmp_path / "changelog.Debian.gz").write_bytes(b"\x1f\x8b\x08\x00compressed")
    (tmp_path / "photo.Debian").write_text("not a note by its name\n")
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["README.Debian", "changelog.source"]


def test_utf16_text_without_a_byte_order_mark_is_read_and_binary_is_still_skipped(tmp_path: Path) -> None:
    (tmp_path / "le.txt").write_bytes("The ferry to Ærø leaves at noon.\n".encode("utf-16-le"))
    (tmp_path / "be.txt").write_bytes("The lighthouse was built in 1871.\n".encode("utf-16-be"))
    (tmp_path / "data.txt").write_bytes(bytes(range(256)) * 4)
    corpus = read_corpus(tmp_path)
    assert {d.path: d.text for d in corpus.documents} == {
        "be.txt": "The lighthouse was built in 1871.\n", "le.txt": "The ferry to Ærø leaves at noon.\n"}
    assert list(corpus.warnings) == ["skipped data.txt: binary file"]


def test_bullets_typed_as_characters_start_paragraphs() -> None:
    text = "Packing list:\n* Sun cream with factor 50.\n▪ Torch with spare batteries.\n• A paper map, since phone\n  signal is poor.\n"
    assert [text[p.start:p.end] for p in split_paragraphs(text)] == [
        "Packing list:", "* Sun cream with factor 50.", "▪ Torch with spare batteries.", "• A paper map, since phone\n  signal is poor."]
    portuguese = "Depois da reunião, o ministro disse que\no acordo seria assinado em março.\n"
    assert len(split_paragraphs(portuguese)) == 1  # "o" opens a line of prose, not a list


def test_a_reader_failing_on_one_file_skips_it_with_a_warning_and_reads_the_rest(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.readers.html

    def broken(path: Path, name: str, data: bytes | None = None) -> None:
        raise ValueError("invalid literal for int()")

    monkeypatch.setattr(rag.readers.html, "read_html", broken)
    (tmp_path / "page.html").write_text("<html><body><p>Never read.</p></body></html>")
    (tmp_path / "notes.txt").write_text("The pier opened in 1871.\n")
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["notes.txt"]
    assert list(corpus.warnings) == ["skipped page.html: the HTML reader failed on it (ValueError: invalid literal for "
                                     "int()); please report it with the file"]


def test_a_box_framed_in_asterisks_is_read_without_its_frame_and_a_ruler_is_no_heading(tmp_path: Path) -> None:
    from rag.corpus import read_document

    rule = "*" * 40
    framed = "".join(f"*  {line:<36}*\n" for line in ("", "6. Disclaimer of Warranty", "-" * 25, "",
                                                       "The software is provided as is.", ""))
    text = ("5. Termination\n--------------\n\nRights end when you stop complying.\n\n"
            f"{rule}\n{framed}{rule}\n\n# {'-' * 30}\n\nThe rest of the notice.\n")
    (tmp_path / "licence.txt").write_text(text)
    document, _ = read_document(tmp_path, tmp_path / "licence.txt")
    assert document is not None and len(document.text) == len(text)
    assert document.text.count("\n") == text.count("\n")
    paragraphs = {document.paragraph_text(p).strip(): p.heading for p in document.paragraphs}
    assert paragraphs["The software is provided as is."] == "6. Disclaimer of Warranty"
    assert paragraphs["The rest of the notice."] == "6. Disclaimer of Warranty"
    assert "*" not in "".join(paragraphs)


def test_a_table_drawn_in_hashes_is_no_box() -> None:
    from rag.corpus import unframed

    rule = "#" * 34
    table = f"{rule}\n# Model    # Flow    # Voltage   #\n{rule}\n# P-100    # 12 l/m  # 230 V     #\n{rule}\n"
    assert unframed(table) == table
