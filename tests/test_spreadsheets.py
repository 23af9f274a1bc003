"""Spreadsheets and CSV files (tests/documents.py writes the workbooks as Excel, Excel 2003 and
LibreOffice Calc do): what becomes a passage, how it is cited, and what is left out with a warning."""

from __future__ import annotations

import datetime
import json
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ScriptedGenerator
from documents import ODS_MANIFEST, ODS_MIMETYPE, write_ods, write_xls, write_xlsx, zip_with_mimetype
from rag import readers
from rag.chunking import chunk_document, embedding_text
from rag.cli import app
from rag.config import ChunkSettings
from rag.corpus import is_document, read_document
from rag.readers.ole2 import stream_names

runner = CliRunner()
Writer = Callable[..., Path]
WRITERS = [pytest.param(write_xlsx, "xlsx", id="xlsx"), pytest.param(write_xls, "xls", id="xls"),
           pytest.param(write_ods, "ods", id="ods")]
REVENUE = [["Region", "Q1", "Q2", "Q3", "Q4"], ["North", 1200, 1350.5, 1410, 1500], ["South", 980, 1010, 990, 1100]]
CUT_NOTE = ("the rest is left out (rag reads at most 10,000 rows and 256 columns of a table: a data dump's every row "
            "would take hours to embed)")
FIX = "open it and save it again in Excel or LibreOffice Calc, or export its sheets as CSV"


def texts(result: readers.ReadResult) -> list[str]:
    return [block.text for block in result.blocks]


def test_cells_read_as_a_person_reads_them_on_the_sheet(tmp_path: Path) -> None:
    """Whole numbers without ".0", no binary noise, TRUE/FALSE, ISO dates, a time of day, a
    duration past 24 hours, a formula's cached value; an empty cell in a row keeps its column and
    the empty ones after a row's last value are left out. calamine gives an error cell (#DIV/0!)
    as an empty one."""
    rows = [["Item", "Count", "Share", "Paid", "Due", "Updated", "Opens", "Length", "Ratio", "Total", "Note"],
            ["Widget", 1200, 0.1 + 0.2, True, datetime.date(2024, 3, 1), datetime.datetime(2024, 3, 1, 14, 30),
             datetime.time(8, 15), datetime.timedelta(hours=26, minutes=30), ("=1/0", "#DIV/0!"), ("=B2*2", 2400), None],
            ["Gadget", None, 12345678901234, False, None, None, None, None, None, None, "  spaced   out  "]]
    result = readers.read(write_xlsx(tmp_path / "stock.xlsx", {"Stock": rows}))
    assert (result.format, result.warnings) == ("xlsx", ())
    assert texts(result) == [
        "Item | Count | Share | Paid | Due | Updated | Opens | Length | Ratio | Total | Note",
        "Widget | 1200 | 0.3 | TRUE | 2024-03-01 | 2024-03-01 14:30 | 08:15 | 26:30 | | 2400",
        "Gadget | | 12345678901234 | FALSE | | | | | | | spaced out",
    ]
    assert {(block.page, block.heading, block.kind) for block in result.blocks} == {(1, "Stock", "table_row")}


@pytest.mark.parametrize(("write", "fmt"), WRITERS)
def test_each_sheet_read_is_a_page_under_its_name_and_hidden_or_empty_sheets_are_passed_over(
    tmp_path: Path, write: Writer, fmt: str,
) -> None:
    book = write(tmp_path / f"book.{fmt}", {"Notes": [], "Secret": [["Password", "hunter2"]], "Budget": REVENUE,
                                          "Costs": [["Depot", "Fuel"], ["Oslo", 3]]}, hidden=("Secret",))
    result = readers.read(book)
    assert (result.format, result.warnings) == (fmt, ())
    assert [(block.text, block.page, block.heading) for block in result.blocks] == [
        ("Region | Q1 | Q2 | Q3 | Q4", 1, "Budget"), ("North | 1200 | 1350.5 | 1410 | 1500", 1, "Budget"),
        ("South | 980 | 1010 | 990 | 1100", 1, "Budget"), ("Depot | Fuel", 2, "Costs"), ("Oslo | 3", 2, "Costs")]


SALES = [["Name", "Amount", "Working", "Note"], ["Alice", 10, "x1", "paid"], ["Bob", 99999, "x2", "hidden row zebra"],
         ["Carol", 30, "x3", "paid"], ["Dan", 40, "x4", "filtered out"]]
SHOWN_SALES = ["Name | Amount | Note", "Alice | 10 | paid", "Carol | 30 | paid"]


def test_hidden_rows_and_columns_of_an_xlsx_sheet_are_left_out(tmp_path: Path) -> None:
    """A hidden row (by hand, or filtered out) and a hidden column were read (tester-s48 L1),
    though a hidden sheet, hidden text in Word and a hidden slide are left out."""
    import xlsxwriter

    book = xlsxwriter.Workbook(str(tmp_path / "sales.xlsx"))
    sheet = book.add_worksheet("Sales")
    for row, values in enumerate(SALES):
        sheet.write_row(row + 2, 1, values)  # from B3: rows and columns counted from A1
    sheet.set_row(4, None, None, {"hidden": True})
    sheet.set_column(3, 3, None, None, {"hidden": True})
    sheet.autofilter(2, 1, 6, 4)
    sheet.filter_column(3, "x != x4")
    sheet.set_row(6, None, None, {"hidden": True})  # XlsxWriter leaves hiding filtered rows to the writer
    book.close()
    assert texts(readers.read(tmp_path / "sales.xlsx")) == SHOWN_SALES


def test_hidden_and_filtered_rows_and_hidden_columns_of_an_ods_sheet_are_left_out(tmp_path: Path) -> None:
    write_ods(tmp_path / "plain.ods", {"Sales": SALES})
    with zipfile.ZipFile(tmp_path / "plain.ods") as plain:
        content = plain.read("content.xml").decode()
    row = '<table:table-row><table:table-cell office:value-type="string"><text:p>{}'
    content = (content.replace(row.format("Bob"), row.format("Bob").replace("-row>", '-row table:visibility="collapse">'))
               .replace(row.format("Dan"), row.format("Dan").replace("-row>", '-row table:visibility="filter">'))
               .replace('"Sales">', '"Sales"><table:table-column table:number-columns-repeated="2"/>'
                                    '<table:table-column table:visibility="collapse"/>'))
    zip_with_mimetype(tmp_path / "sales.ods", ODS_MIMETYPE, {"content.xml": content, "META-INF/manifest.xml": ODS_MANIFEST})
    assert texts(readers.read(tmp_path / "plain.ods"))[2] == "Bob | 99999 | x2 | hidden row zebra"
    assert texts(readers.read(tmp_path / "sales.ods")) == SHOWN_SALES


def test_a_long_sheets_later_passages_carry_its_own_header_row(tmp_path: Path) -> None:
    """Every sheet is its own table: the second sheet's passages carry its header, not the first's
    (the sheets' rows follow one another with no line between them), and a header of quarters
    ("Q2") names columns."""
    regions = [["Region", "Q1", "Q2", "Q3", "Q4"], *([f"Region {n}", n, 2 * n, 3 * n, 4 * n] for n in range(150))]
    depots = [["Depot", "Staff", "Parcels per week"], *([f"Depot {n}", n, 10 * n] for n in range(150))]
    write_xlsx(tmp_path / "ops.xlsx", {"Regions": regions, "Depots": depots})
    document, warnings = read_document(tmp_path, tmp_path / "ops.xlsx")
    assert document is not None and warnings == []
    chunks = chunk_document(document, ChunkSettings(max_words=60))
    for page, sheet, header in ((1, "Regions", "Region | Q1 | Q2 | Q3 | Q4"),
                                (2, "Depots", "Depot | Staff | Parcels per week")):
        first, *later = [chunk for chunk in chunks if chunk.page == page]
        assert first.text.startswith(header) and first.table_header is None
        assert len(later) > 3 and all(chunk.table_header == header and chunk.heading == sheet for chunk in later)
    north = next(chunk for chunk in chunks if "Region 140 |" in chunk.text)
    assert embedding_text(north.text, north.heading, north.table_header).startswith("Regions\nRegion | Q1 | Q2 | Q3 | Q4\n")


def test_a_sheet_is_read_to_10000_rows_and_256_columns_with_a_warning_saying_how_much(tmp_path: Path) -> None:
    rows = [[f"Row {n}", n] for n in range(10_050)]
    rows[0] = [f"Column {n}" for n in range(300)]
    result = readers.read(write_xlsx(tmp_path / "dump.xlsx", {"Data": rows, "Small": REVENUE}))
    assert result.warnings == (
        f'dump.xlsx, sheet "Data": read the first 10,000 of its 10,050 rows and 256 of its 300 columns; {CUT_NOTE}',)
    data = [block for block in result.blocks if block.page == 1]
    assert len(data) == 10_000 and data[0].text.endswith("| Column 255") and data[-1].text == "Row 9999 | 9999"
    assert texts(result)[10_000:] == texts(readers.read(write_xlsx(tmp_path / "small.xlsx", {"Small": REVENUE})))


def test_a_workbook_is_known_by_its_content_whatever_its_name(tmp_path: Path) -> None:
    xlsx = write_xlsx(tmp_path / "book.xlsx", {"Budget": REVENUE}).read_bytes()
    ods = write_ods(tmp_path / "book.ods", {"Budget": REVENUE}).read_bytes()
    xls = write_xls(tmp_path / "book.xls", {"Budget": REVENUE}).read_bytes()
    for data, fmt in ((xlsx, "xlsx"), (ods, "ods"), (xls, "xls")):
        for name in ("budget.docx", "budget.odt", "budget.xlsx", "budget.ods", "budget.xls", "budget"):
            (tmp_path / name).write_bytes(data)
            assert is_document(tmp_path / name), (fmt, name)
            document, warnings = read_document(tmp_path, tmp_path / name)
            assert document is not None and (document.format, warnings) == (fmt, []), (fmt, name)
            assert document.paragraph_text(document.paragraphs[1]) == "North | 1200 | 1350.5 | 1410 | 1500"
    (tmp_path / "notes.xlsx").write_text("Plain notes, saved under a spreadsheet's name.\n", encoding="utf-8")
    document, warnings = read_document(tmp_path, tmp_path / "notes.xlsx")
    assert document is not None and document.format == "text"
    assert warnings == ["notes.xlsx holds plain text, not .xlsx: read as text (rename it to .txt)"]


def _renamed_stream(data: bytes, old: str, new: str) -> bytes:
    """An OLE2 file with a directory entry renamed (a workbook made to look like a Word file)."""
    shift, first = struct.unpack_from("<H", data, 0x1E)[0], struct.unpack_from("<I", data, 0x30)[0]
    directory = (first + 1) << shift
    name = old.encode("utf-16-le")
    at = directory + next(n * 128 for n in range(64) if data[directory + n * 128 :].startswith(name))
    renamed = (new + "\0").encode("utf-16-le")
    return data[:at] + renamed.ljust(64, b"\0") + struct.pack("<H", len(renamed)) + data[at + 66 :]


def test_an_office_97_file_is_read_when_it_holds_a_workbook_and_named_otherwise(tmp_path: Path) -> None:
    xls = write_xls(tmp_path / "book.xls", {"Budget": REVENUE}).read_bytes()
    assert stream_names(tmp_path / "book.xls") >= {"Workbook"}
    word = _renamed_stream(xls, "Workbook", "WordDocument")
    assert "WordDocument" in stream_names(Path("-"), word)
    (tmp_path / "memo.docx").write_bytes(word)
    (tmp_path / "memo.xls").write_bytes(word)
    assert readers.read(tmp_path / "memo.docx").warnings == (
        "skipped memo.docx: an old Word or PowerPoint file (Office 97-2003); save it as .docx or .pptx, or export it "
        "as PDF, and index that",)
    assert readers.read(tmp_path / "memo.xls").warnings == (
        "skipped memo.xls: an Office 97-2003 file without a workbook in it (damaged, or a Word or PowerPoint file named "
        ".xls); open it and save it again in Excel, Word or PowerPoint",)
    excel5 = _renamed_stream(xls, "Workbook", "Book")  # Excel 5's stream name: routed to the reader
    assert readers.detect(Path("old.bin"), excel5[:1024], excel5) == "xls"


def test_a_damaged_workbook_is_one_line_of_warning_and_never_stops_the_reading(tmp_path: Path) -> None:
    """calamine runs in a process of its own: a loop in an .xls file's sector chain, or one value
    at XFD1048576 (a grid of 17 billion cells), would make it abort the process it runs in."""
    xls = bytearray(write_xls(tmp_path / "book.xls", {"Budget": REVENUE}).read_bytes())
    fat = (struct.unpack_from("<I", xls, 0x4C)[0] + 1) * 512
    xls[fat : fat + 512] = bytes(512)  # every chain now loops on sector 0
    (tmp_path / "loop.xls").write_bytes(bytes(xls))
    far = write_xlsx(tmp_path / "far.xlsx", {"Sheet1": [["Total", 4]]})
    with zipfile.ZipFile(far) as original, zipfile.ZipFile(tmp_path / "far2.xlsx", "w") as copy:
        for item in original.infolist():
            part = original.read(item)
            if item.filename == "xl/worksheets/sheet1.xml":
                part = part.replace(b"</sheetData>", b'<row r="1048576"><c r="XFD1048576"><v>1</v></c></row></sheetData>')
            copy.writestr(item, part)
    memory = ("reading it takes over 2 GB of memory: the file is damaged, or a value far below or to the right of the "
              "rest makes a sheet huge (it is read as a grid from its first cell to its last); delete stray cells and "
              "save it again, or export its sheets as CSV")
    started = time.monotonic()
    assert readers.read(tmp_path / "loop.xls").warnings == (f"skipped loop.xls: {memory}",)
    assert readers.read(tmp_path / "far2.xlsx").warnings == (f"skipped far2.xlsx: {memory}",)
    assert time.monotonic() - started < 60
    whole = write_xlsx(tmp_path / "whole.xlsx", {"Budget": REVENUE}).read_bytes()
    (tmp_path / "cut.xlsx").write_bytes(whole[: len(whole) // 2])
    assert readers.read(tmp_path / "cut.xlsx").warnings == (
        "skipped cut.xlsx: broken spreadsheet (not a whole zip archive, which such a file must be: cut short, or another "
        f"kind of file renamed); {FIX}",)
    with zipfile.ZipFile(tmp_path / "whole.xlsx") as original, zipfile.ZipFile(tmp_path / "headless.xlsx", "w") as copy:
        for item in original.infolist():
            if item.filename != "xl/workbook.xml":
                copy.writestr(item, original.read(item))
    assert readers.read(tmp_path / "headless.xlsx").warnings == (
        f"skipped headless.xlsx: broken spreadsheet (its part xl/workbook.xml is missing); {FIX}",)
    with zipfile.ZipFile(tmp_path / "binary", "w") as binary:  # an .xlsb (Excel's binary workbook), no extension
        binary.writestr("xl/workbook.bin", b"\x83\x01\x00 not BIFF12 records")
    assert readers.read(tmp_path / "binary").warnings == (
        f"skipped binary: broken spreadsheet (its parts do not make a workbook that can be read); {FIX}",)


def test_a_damaged_sheet_is_left_out_and_named_and_the_rest_of_the_workbook_read(tmp_path: Path) -> None:
    write_xlsx(tmp_path / "two.xlsx", {"Budget": REVENUE, "Costs": [["Depot", "Fuel"], ["Oslo", 3]]})
    with zipfile.ZipFile(tmp_path / "two.xlsx") as original, zipfile.ZipFile(tmp_path / "torn.xlsx", "w") as copy:
        for item in original.infolist():
            part = original.read(item)
            copy.writestr(item, part[: len(part) // 2] if item.filename == "xl/worksheets/sheet2.xml" else part)
    result = readers.read(tmp_path / "torn.xlsx")
    assert texts(result) == texts(readers.read(write_xlsx(tmp_path / "one.xlsx", {"Budget": REVENUE})))
    [warning] = result.warnings
    assert warning.startswith('torn.xlsx: left out, damaged: sheet "Costs" (') and warning.endswith(
        "); the rest of the workbook is indexed")


def test_an_ods_saved_with_a_password_or_holding_no_text_is_named_as_such(tmp_path: Path) -> None:
    locked = zip_with_mimetype(tmp_path / "locked.ods", ODS_MIMETYPE, {
        "content.xml": "ciphertext", "META-INF/manifest.xml": ODS_MANIFEST.replace(
            "</manifest:manifest>", "<manifest:encryption-data/></manifest:manifest>")})
    assert readers.read(locked).warnings == (
        "skipped locked.ods: password-protected OpenDocument file; save a copy without the password in LibreOffice Calc",)
    hidden = write_ods(tmp_path / "hidden.ods", {"Blank": [], "Secret": [["hunter2"]]}, hidden=("Secret",))
    assert readers.read(hidden).warnings == ("skipped hidden.ods: no text in any visible sheet",)


@pytest.mark.parametrize(("name", "data", "rows"), [
    ("quotes.csv", 'Region,Q1,Q2\r\nNorth,1200,"1,350.5"\r\n"South\nEast",980\r\n\r\nWest,1,,3\r\n',
     ["Region | Q1 | Q2", "North | 1200 | 1,350.5", "South East | 980", "West | 1 | | 3"]),
    ("excel.csv", "\ufeffName;Amount;Note\nMüller;1,5\nSchmidt;2,25;paid, late\n",
     ["Name | Amount | Note", "Müller | 1,5", "Schmidt | 2,25 | paid, late"]),
    ("tabs.tsv", "Depot\tStaff\nOslo\t12\nBergen\t9\n", ["Depot | Staff", "Oslo | 12", "Bergen | 9"]),
    ("bars.csv", "Depot|Staff\nOslo|12\n", ["Depot | Staff", "Oslo | 12"]),
    ("names.csv", "Name\nAda Lovelace\nGrace Hopper\n", ["Name", "Ada Lovelace", "Grace Hopper"]),
    # no header: "," and ";" split every line in two; ";" gives numbers with a decimal comma (tester-s48 M1)
    ("euro.csv", "Kaffe;12,50\nTe;9,75\nKakao;15,00\n", ["Kaffe | 12,50", "Te | 9,75", "Kakao | 15,00"]),
    # Excel's "sep=" first line names the delimiter and is no row (tester-s48 L8)
    ("excel_sep.csv", "sep=;\r\nName;Towns, ports\nOslo;1, 2\n", ["Name | Towns, ports", "Oslo | 1, 2"]),
])
def test_a_csv_file_is_a_table_whatever_its_delimiter(tmp_path: Path, name: str, data: str, rows: list[str]) -> None:
    (tmp_path / name).write_text(data, encoding="utf-8", newline="")
    result = readers.read(tmp_path / name)
    assert (result.format, texts(result), result.warnings) == ("csv", rows, ())
    assert {(block.page, block.heading, block.kind) for block in result.blocks} == {(None, None, "table_row")}


def test_a_csv_file_is_decoded_as_text_is(tmp_path: Path) -> None:
    (tmp_path / "legacy.csv").write_bytes("Name;Town\nMüller;Zürich\n".encode("cp1252"))
    result = readers.read(tmp_path / "legacy.csv")
    assert texts(result) == ["Name | Town", "Müller | Zürich"]
    assert result.warnings == ("decoded legacy.csv as Latin-1: it is not valid UTF-8 (if its text reads wrong, save it "
                               "as UTF-8)",)
    (tmp_path / "binary.csv").write_bytes(b"\x00\x01\x02" * 100)
    assert readers.read(tmp_path / "binary.csv").warnings == ("skipped binary.csv: binary file",)


def test_a_long_csv_file_is_read_to_10000_rows_and_its_later_passages_carry_its_header(tmp_path: Path) -> None:
    lines = ["Region,Q1,Q2", *(f"Region {n},{n},{2 * n}" for n in range(10_050))]
    (tmp_path / "dump.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    document, warnings = read_document(tmp_path, tmp_path / "dump.csv")
    assert warnings == [f"dump.csv: read the first 10,000 of its 10,051 rows; {CUT_NOTE}"]
    assert document is not None and len(document.paragraphs) == 10_000
    assert document.paragraph_text(document.paragraphs[41]) == "Region 40 | 40 | 80"  # the row on line 42 is ¶42
    first, *later = chunk_document(document, ChunkSettings(max_words=60))[:20]
    assert first.table_header is None and all(chunk.table_header == "Region | Q1 | Q2" for chunk in later)


def test_a_folder_with_a_workbook_is_indexed_and_a_row_found_and_cited_by_sheet(
    fake_models: ScriptedGenerator, tmp_path: Path,
) -> None:
    corpus = tmp_path / "docs"
    corpus.mkdir()
    regions = [*REVENUE, *([f"Region {n}", n, n, n, n] for n in range(40))]
    write_xlsx(corpus / "sales.xlsx", {"Notes": [["Figures are unaudited."]], "Revenue": regions})
    (corpus / "depots.csv").write_text("Depot,Staff\nOslo,12\nBergen,9\n", encoding="utf-8")
    (corpus / "broken.xlsx").write_bytes(b"PK\x03\x04" + bytes(100))
    index = str(tmp_path / "idx")
    result = runner.invoke(app, ["index", str(corpus), "--index", index])
    assert result.exit_code == 0, result.output
    assert "sales.xlsx  [xlsx]" in result.output and "depots.csv  [csv]" in result.output
    assert "warning: skipped broken.xlsx: broken spreadsheet (" in result.output
    result = runner.invoke(app, ["search", "North revenue Q2", "--index", index, "--k", "1"])
    assert result.output.startswith('1. sales.xlsx sheet 2 ¶1 and '), result.output
    assert '(under "Revenue")' in result.output.splitlines()[0] and "North | 1200 | 1350.5" in result.output
    [hit] = json.loads(runner.invoke(app, ["search", "Bergen staff", "--index", index, "--k", "1", "--json"]).output)
    assert (hit["file"], hit["format"], hit["page"], hit["paragraph"]) == ("depots.csv", "csv", None, 1)
    result = runner.invoke(app, ["extract", str(corpus / "sales.xlsx")])
    assert result.output.splitlines()[:3] == [
        "sheet 1 ¶1 | Figures are unaudited.", "sheet 2 ¶1 | Region | Q1 | Q2 | Q3 | Q4",
        "sheet 2 ¶2 | North | 1200 | 1350.5 | 1410 | 1500"]


def test_the_workbook_reader_runs_no_rag_py_of_the_current_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The worker is started with -P: `python -m` puts the current folder first on the path, and
    a user's own rag.py there ran once per workbook and made every one fail (tester-s48 H1)."""
    (tmp_path / "rag.py").write_text(f"open({str(tmp_path / 'ran')!r}, 'a').write('ran')\n", encoding="utf-8")
    book = write_xlsx(tmp_path / "book.xlsx", {"Budget": REVENUE})
    monkeypatch.chdir(tmp_path)
    result = readers.read(book)
    assert (texts(result)[0], result.warnings) == ("Region | Q1 | Q2 | Q3 | Q4", ())
    assert not (tmp_path / "ran").exists()


def test_a_formula_with_no_saved_value_reads_empty_with_a_warning(tmp_path: Path) -> None:
    """XlsxWriter writes a 0 beside a formula given no result (and asks for all to be computed on
    opening), openpyxl the formula alone: a made-up 0 was indexed, silently (tester-s48 M2)."""
    rows = [["Item", "Cost"], ["Crane", 100], ["Pier", 50], ["Total", ("=SUM(B2:B3)", 0)], ["Double", ("=B2*2", 200)]]
    book = write_xlsx(tmp_path / "script.xlsx", {"Costs": rows, "More": [["Sum", ("=1+1", 0)]]})
    result = readers.read(book)
    assert texts(result) == ["Item | Cost", "Crane | 100", "Pier | 50", "Total", "Double | 200", "Sum"]
    assert result.warnings == (
        "script.xlsx: 2 formulas have no saved value (the file was never opened and saved in a spreadsheet program); "
        "their cells read empty: open and save it in Excel or LibreOffice Calc to store them",)
    with zipfile.ZipFile(book) as original, zipfile.ZipFile(tmp_path / "bare.xlsx", "w") as copy:
        for item in original.infolist():  # as openpyxl writes it: <f> with no <v>, no fullCalcOnLoad
            part = original.read(item).replace(b' fullCalcOnLoad="1"', b"").replace(b"</f><v>0</v>", b"</f>")
            copy.writestr(item, part)
    result = readers.read(tmp_path / "bare.xlsx")
    assert texts(result)[3:] == ["Total", "Double | 200", "Sum"] and len(result.warnings) == 1


def test_a_cell_merged_down_is_repeated_in_each_row_it_covers(tmp_path: Path) -> None:
    """A region's label merged down over its product rows was read in the first row only, so a
    later passage's rows lost it (tester-s48 M3); one merged across is read once."""
    import xlsxwriter
    import xlwt

    book = xlsxwriter.Workbook(str(tmp_path / "merged.xlsx"))
    sheet = book.add_worksheet("Sales")
    sheet.write_row(2, 1, ["Region", "Product", "Q2"])
    sheet.merge_range(3, 1, 5, 1, "West")
    for row, (product, q2) in enumerate([("Anchors", 572), ("Buoys", 219), ("Lanterns", 5353)], start=3):
        sheet.write_row(row, 2, [product, q2])
    sheet.merge_range(6, 1, 7, 3, "Note merged across and down")
    book.close()
    expected = ["Region | Product | Q2", "West | Anchors | 572", "West | Buoys | 219", "West | Lanterns | 5353",
                "Note merged across and down"]
    assert texts(readers.read(tmp_path / "merged.xlsx")) == expected
    old = xlwt.Workbook()
    sheet = old.add_sheet("Sales")
    for column, value in enumerate(["Region", "Product", "Q2"]):
        sheet.write(0, column, value)
    sheet.write_merge(1, 3, 0, 0, "West")
    for row, (product, q2) in enumerate([("Anchors", 572), ("Buoys", 219), ("Lanterns", 5353)], start=1):
        sheet.write(row, 1, product)
        sheet.write(row, 2, q2)
    old.save(str(tmp_path / "merged.xls"))
    assert texts(readers.read(tmp_path / "merged.xls")) == expected[:4]


def test_a_sheet_too_large_is_named_as_such_not_as_broken(tmp_path: Path) -> None:
    """calamine is told the format it cannot detect, so it says why it fails: an .ods with one
    value in its last cell was called "broken" (tester-s48 M4)."""
    content = write_ods(tmp_path / "far.ods", {"Data": [["Total", 4]]})
    with zipfile.ZipFile(content) as original:
        xml = original.read("content.xml").decode()
    far = ('<table:table-row table:number-rows-repeated="1048570"><table:table-cell/></table:table-row><table:table-row>'
           '<table:table-cell table:number-columns-repeated="16383"/><table:table-cell office:value-type="string">'
           "<text:p>corner</text:p></table:table-cell></table:table-row></table:table>")
    xml = xml.replace("</table:table>", far, 1)
    zip_with_mimetype(tmp_path / "far.ods", ODS_MIMETYPE, {"content.xml": xml, "META-INF/manifest.xml": ODS_MANIFEST})
    [warning] = readers.read(tmp_path / "far.ods").warnings
    assert warning.startswith("skipped far.ods: too large to read: a value far below or to the right of the rest")


def test_a_datetime_a_moment_before_midnight_reads_as_the_next_day(tmp_path: Path) -> None:
    """23:59:59.6 was rounded to "24:00" of its own day (tester-s48 L2)."""
    moment = datetime.datetime(2024, 3, 1, 23, 59, 59, 600_000)
    assert texts(readers.read(write_xlsx(tmp_path / "late.xlsx", {"Log": [["At", moment]]})))[0] == "At | 2024-03-02 00:00"


def test_a_csv_cell_over_128_kb_is_read_and_the_rows_after_it_too(tmp_path: Path) -> None:
    """csv's field limit (128 KB) ended the reading at such a cell (tester-s48 M5)."""
    (tmp_path / "huge.csv").write_text('id,text\n1,"' + "word " * 40_000 + '"\n2,after the huge cell\n', encoding="utf-8")
    result = readers.read(tmp_path / "huge.csv")
    assert (len(texts(result)), texts(result)[2], result.warnings) == (3, "2 | after the huge cell", ())


def test_a_quote_never_closed_is_read_as_a_character_with_a_warning(tmp_path: Path) -> None:
    """It made every row after it one cell, silently (tester-s48 M6); a quoted cell over lines is read whole."""
    (tmp_path / "open.csv").write_text('a,b\n1,"two\nlines"\n2,"unterminated\n3,x\n4,y\n', encoding="utf-8")
    result = readers.read(tmp_path / "open.csv")
    assert texts(result) == ["a | b", "1 | two lines", '2 | "unterminated', "3 | x", "4 | y"]
    assert result.warnings == ("open.csv: the quote on line 4 is never closed, which would make the rest of the file "
                               "one cell; from that line on, quotes are read as characters",)


@pytest.mark.parametrize("given", [False, True], ids=["file", "bytes"])
def test_only_the_head_of_a_large_csv_file_is_read(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, given: bool) -> None:
    """A data dump of gigabytes was decoded whole to read its first 10,000 rows (tester-s48 M10);
    the lines after the head are counted for the warning, and a row the head cuts off is left out."""
    from rag.readers import csv_text

    monkeypatch.setattr(csv_text, "HEAD_BYTES", 1000)
    lines = ["Region,Q1", '"Region\nzero",0', *(f"Region {n},{n}" for n in range(1, 500))]
    data = ("\n".join(lines) + "\n").encode()
    (tmp_path / "dump.csv").write_bytes(data)
    result = readers.read(tmp_path / "dump.csv", data=data if given else None)
    read = texts(result)
    assert read[:2] == ["Region | Q1", "Region zero | 0"] and len(data[:1000].decode().splitlines()) - 2 == len(read)
    assert result.warnings == (f"dump.csv: read the first {len(read):,} of its 501 rows; {CUT_NOTE}",)


def test_a_folder_whose_every_file_is_left_out_shows_why_before_the_error(
    fake_models: ScriptedGenerator, tmp_path: Path,
) -> None:
    """Only "no readable documents (.xlsx ...)" was printed for a folder of damaged workbooks (tester-s48 M7)."""
    (tmp_path / "docs").mkdir()
    (tmp_path / "docs" / "cut.xlsx").write_bytes(b"PK\x03\x04 cut short")
    result = runner.invoke(app, ["index", str(tmp_path / "docs"), "--index", str(tmp_path / "index")])
    assert result.exit_code == 1
    assert result.output == (
        "warning: skipped cut.xlsx: broken spreadsheet (not a whole zip archive, which such a file must be: cut short, "
        f"or another kind of file renamed); {FIX}\n"
        f"error: no document in {tmp_path / 'docs'} could be read: the one file read was left out (the warnings above "
        "say why); fix or replace them, add other documents, or pass another folder\n")
