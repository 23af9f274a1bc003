"""Small real documents of every format, written by the libraries people make them with."""

from __future__ import annotations

from pathlib import Path

HEADER = "Kelmscott Harbour Authority - Annual Report 2024"
STORM = (
    "The extraordinary storm of March damaged the northern breakwater of the harbour. "
    "Waves of nine metres broke over the wall for two days, and the authority closed the "
    "outer berths while divers surveyed the damage to the foundations. "
)
CRANE = (
    "The new container crane was delivered on 14 June by the Rotterdam yard of Hoekstra. "
    "It lifts 42 tonnes, twice the load of the old crane, and it unloaded its first ship "
    "in under six hours. "
)


def write_pdf(path: Path) -> Path:
    """Three pages: a heading and two paragraphs (one word hyphen-broken at a line end), the
    crane on page 2, and an image-only page 3; a running header and page numbers on pages 1-2."""
    from fpdf import FPDF
    from PIL import Image

    class Report(FPDF):
        furniture = True

        def header(self) -> None:
            if self.furniture:
                self.set_font("helvetica", size=9)
                self.cell(0, 8, HEADER, align="C")
                self.ln(12)

        def footer(self) -> None:
            if self.furniture:
                self.set_y(-15)
                self.set_font("helvetica", size=9)
                self.cell(0, 10, str(self.page_no()), align="C")

    pdf = Report()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 8, "Storm damage")
    pdf.ln(3)
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, STORM + "Repairs will cost 2.4 million pounds, the chief engi-\nneer told the board.")
    pdf.ln(4)
    pdf.multi_cell(0, 6, "Insurance covers most of the cost of the repairs, and the rest comes from reserves.")
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 8, "Equipment")
    pdf.ln(3)
    pdf.set_font("helvetica", size=11)
    pdf.multi_cell(0, 6, CRANE)
    pdf.ln(4)
    pdf.multi_cell(0, 6, "The dredging contract went to Marlow Dredging for 3.2 million pounds.")
    pdf.furniture = False
    pdf.add_page()
    image = path.with_suffix(".png")
    Image.new("RGB", (200, 100), "white").save(image)
    pdf.image(str(image), x=20, y=20, w=100)
    image.unlink()
    pdf.output(str(path))
    return path


STOCK_HEADER = ("Part number", "Stock level", "Reorder point")


def write_stock_pdf(path: Path, pages: int, rows_a_page: int, header_on_every_page: bool, title: str | None = None) -> Path:
    """A warehouse's stock table over `pages` pages of `rows_a_page` parts each, its header row on
    every page or on the first alone (a long table continued), under a title line on each page when given."""
    from fpdf import FPDF

    pdf = FPDF()
    parts = iter(range(pages * rows_a_page))
    for page in range(pages):
        pdf.add_page()
        pdf.set_font("helvetica", size=9)
        if title:
            pdf.cell(0, 10, title, new_x="LMARGIN", new_y="NEXT")
        rows = [(f"Part {n:03d}", str(100 + n), str(10 + n)) for n in [next(parts) for _ in range(rows_a_page)]]
        for row in [STOCK_HEADER] * (header_on_every_page or page == 0) + rows:
            for width, cell in zip((60, 40, 40), row):
                pdf.cell(width, 7, cell)
            pdf.ln(7)
    pdf.output(str(path))
    return path


def write_encrypted_pdf(source: Path, path: Path) -> Path:
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(source))
    writer.encrypt(user_password="secret", owner_password="owner", algorithm="RC4-128")
    writer.write(path)
    return path


HTML = """<!DOCTYPE html>
<html><head><title>Harbour news</title>
<script>var tracker = "analytics tracking code";</script><style>nav { color: red }</style></head>
<body>
<nav><ul><li><a href="/">Home</a></li><li><a href="/about">About us</a></li><li><a href="/jobs">Careers</a></li></ul></nav>
<div class="menu sidebar"><a href="/a">Subscribe to our newsletter</a></div>
<main><article>
<h1>Storm damages the breakwater</h1>
<p>The extraordinary storm of March damaged the northern breakwater of Kelmscott harbour, the authority said on Monday.</p>
<p>Repairs are expected to cost 2.4 million pounds and to take until October, according to the chief engineer.</p>
<h2>Crane delivery</h2>
<p>The new container crane arrived on 14 June from the Hoekstra yard in Rotterdam and lifts 42 tonnes.</p>
<ul><li>It unloaded its first ship in under six hours.</li><li>It replaces a crane built in 1979.</li></ul>
<table><tr><th>Year</th><th>Tonnage handled</th></tr><tr><td>2023</td><td>1.2 million</td></tr></table>
</article></main>
<footer><p>Copyright 2024 Kelmscott Harbour Authority. All rights reserved.</p></footer>
<script>console.log("more script text")</script>
</body></html>
"""


def write_html(path: Path) -> Path:
    path.write_text(HTML, encoding="utf-8")
    return path


def write_docx(path: Path) -> Path:
    """A title, headings, paragraphs, a bulleted list and a table."""
    import docx

    document = docx.Document()
    document.add_heading("Memo on harbour works", level=0)
    document.add_paragraph("This memo summarises the works planned for the coming year.")
    document.add_heading("Breakwater", level=1)
    document.add_paragraph("The northern breakwater will be rebuilt with granite blocks from Penryn.")
    document.add_paragraph("Divers start the survey in April.", style="List Bullet")
    document.add_heading("Budget", level=1)
    table = document.add_table(rows=3, cols=2)
    for row, cells in zip(table.rows, [("Item", "Cost"), ("Breakwater", "2.4 million"), ("Crane", "5.1 million")]):
        for cell, text in zip(row.cells, cells):
            cell.text = text
    document.add_paragraph("The board approved the budget on 3 May.")
    document.save(str(path))
    return path


MARKDOWN = """# Harbour handbook

Opening hours of the harbour office are
eight to six on weekdays.

## Mooring

- Visitors moor on the east pontoon.
- Fees are paid at the office.

```python
def fee(length_m):

    return 3 * length_m
```

The fee is three pounds a metre.
"""


def write_markdown(path: Path) -> Path:
    path.write_text(MARKDOWN, encoding="utf-8")
    return path


def write_folder(folder: Path) -> Path:
    """One document of every format, and a plain text file."""
    folder.mkdir(parents=True, exist_ok=True)
    write_pdf(folder / "report.pdf")
    write_html(folder / "news.html")
    write_docx(folder / "memo.docx")
    write_markdown(folder / "handbook.md")
    (folder / "notes.txt").write_text("The harbour master is Ada Pengelly.\n", encoding="utf-8")
    return folder


def zip_with_mimetype(path: Path, mimetype: str, members: dict[str, str]) -> Path:
    """A zip as EPUB and OpenDocument writers make it: the mimetype first and stored uncompressed."""
    import zipfile

    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        for name, text in members.items():
            archive.writestr(name, text, compress_type=zipfile.ZIP_DEFLATED)
    return path


def _chapter(title: str, body: str) -> str:
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<html xmlns="http://www.w3.org/1999/xhtml"><head>'
            f"<title>{title}</title></head><body>{body}</body></html>")


def write_epub(path: Path, encrypted: bool = False) -> Path:
    """A book of a cover page (an image only) and two chapters, listed in the spine out of their
    file order, with a paragraph, a list and a table; `encrypted` marks the chapters DRM-encrypted."""
    members = {
        "META-INF/container.xml": (
            '<?xml version="1.0"?><container version="1.0" xmlns="urn:oasis:names:tc:opendocument:xmlns:container">'
            '<rootfiles><rootfile full-path="OEBPS/content.opf" media-type="application/oebps-package+xml"/>'
            "</rootfiles></container>"),
        "OEBPS/content.opf": (
            '<?xml version="1.0"?><package xmlns="http://www.idpf.org/2007/opf" version="3.0"><manifest>'
            '<item id="cover" href="cover.xhtml" media-type="application/xhtml+xml"/>'
            '<item id="c1" href="text/ch%201.xhtml" media-type="application/xhtml+xml"/>'
            '<item id="c2" href="text/a.xhtml" media-type="application/xhtml+xml"/>'
            '<item id="css" href="style.css" media-type="text/css"/></manifest>'
            '<spine><itemref idref="cover"/><itemref idref="c1"/><itemref idref="c2"/></spine></package>'),
        "OEBPS/cover.xhtml": _chapter("Cover", '<div><img src="cover.jpg" alt=""/></div>'),
        "OEBPS/text/ch 1.xhtml": _chapter("The breakwater", (
            "<h1>The breakwater</h1><p>The northern breakwater was built of granite from Penryn in 1862.</p>"
            "<p>Storms breached it twice, in 1903 and in 1962, and each time it was rebuilt higher.</p>")),
        "OEBPS/text/a.xhtml": _chapter("The cranes", (
            "<h1>The cranes</h1><p>The harbour has had three cranes since the war.</p>"
            "<ul><li>A steam crane of 1948.</li><li>An electric crane of 1977.</li></ul>"
            "<table><tr><th>Crane</th><th>Load</th></tr><tr><td>Hoekstra</td><td>42 tonnes</td></tr></table>")),
        "OEBPS/style.css": "p { margin: 0 }",
    }
    if encrypted:
        members["META-INF/encryption.xml"] = (
            '<encryption xmlns="urn:oasis:names:tc:opendocument:xmlns:container" '
            'xmlns:enc="http://www.w3.org/2001/04/xmlenc#"><enc:EncryptedData><enc:CipherData>'
            '<enc:CipherReference URI="OEBPS/text/ch%201.xhtml"/></enc:CipherData></enc:EncryptedData></encryption>')
    return zip_with_mimetype(path, "application/epub+zip", members)


ODT_NAMESPACES = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0"'
)


def write_odt(path: Path) -> Path:
    """A document as LibreOffice writes one: a tracked deletion, a table of contents, headings, a
    paragraph with a footnote, spaces as text:s, a comment, a nested list and a table."""
    body = (
        "<text:tracked-changes><text:changed-region><text:deletion><text:p>Deleted draft text.</text:p>"
        "</text:deletion></text:changed-region></text:tracked-changes>"
        "<text:table-of-content><text:index-body><text:p>Contents 1</text:p></text:index-body></text:table-of-content>"
        '<text:h text:outline-level="1">Harbour dues</text:h>'
        "<text:p>Dues are <text:span>charged</text:span> per metre<text:note><text:note-citation>1</text:note-citation>"
        "<text:note-body><text:p>Measured over the hull.</text:p></text:note-body></text:note> of length."
        "<text:s/>Visitors<text:s text:c=\"2\"/>pay<text:tab/>on arrival.<office:annotation><text:p>check this</text:p>"
        "</office:annotation></text:p>"
        "<text:list><text:list-item><text:p>Yachts pay three pounds a metre.</text:p><text:list>"
        "<text:list-item><text:p>Multihulls pay half again.</text:p></text:list-item></text:list></text:list-item></text:list>"
        '<text:h text:outline-level="2">Fees</text:h>'
        "<table:table><table:table-header-rows><table:table-row><table:table-cell><text:p>Vessel</text:p></table:table-cell>"
        "<table:table-cell><text:p>Fee</text:p></table:table-cell></table:table-row></table:table-header-rows>"
        "<table:table-row><table:table-cell><text:p>Dinghy</text:p></table:table-cell><table:table-cell>"
        "<text:p>5 pounds</text:p></table:table-cell></table:table-row></table:table>"
        "<text:section><text:p>The harbour master may waive dues in a storm.</text:p></text:section>"
    )
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NAMESPACES}>'
               f"<office:body><office:text>{body}</office:text></office:body></office:document-content>")
    return zip_with_mimetype(path, "application/vnd.oasis.opendocument.text", {"content.xml": content})


ODS_MIMETYPE = "application/vnd.oasis.opendocument.spreadsheet"
ODS_MANIFEST = ('<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
                'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0"><manifest:file-entry '
                f'manifest:full-path="/" manifest:media-type="{ODS_MIMETYPE}"/><manifest:file-entry '
                'manifest:full-path="content.xml" manifest:media-type="text/xml"/></manifest:manifest>')


def ods_cell(value: object) -> str:
    """A cell as LibreOffice Calc writes it: a number with its value, a string as its text, a
    date with its date-value; ("<raw cell>",) as written."""
    if isinstance(value, tuple):
        return value[0]
    if value in ("", None):
        return "<table:table-cell/>"
    if isinstance(value, bool):
        return (f'<table:table-cell office:value-type="boolean" office:boolean-value="{str(value).lower()}">'
                f"<text:p>{str(value).upper()}</text:p></table:table-cell>")
    if isinstance(value, (int, float)):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def write_ods(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> Path:
    """A workbook as LibreOffice Calc writes one: each row padded to 1,024 columns and each sheet
    to a million rows with repeated empty cells, a hidden sheet styled display="false"."""
    hide = ' table:style-name="hidden"'
    tables = "".join(
        f'<table:table table:name="{name}"{hide if name in hidden else ""}>'
        + "".join("<table:table-row>" + "".join(map(ods_cell, row))
                  + '<table:table-cell table:number-columns-repeated="1000"/></table:table-row>' for row in rows)
        + '<table:table-row table:number-rows-repeated="1048000"><table:table-cell table:number-columns-repeated="1024"/>'
          "</table:table-row></table:table>"
        for name, rows in sheets.items())
    content = (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODT_NAMESPACES} '
               'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0"><office:automatic-styles>'
               '<style:style style:name="hidden" style:family="table"><style:table-properties table:display="false"/>'
               f"</style:style></office:automatic-styles><office:body><office:spreadsheet>{tables}"
               "</office:spreadsheet></office:body></office:document-content>")
    return zip_with_mimetype(path, ODS_MIMETYPE, {"content.xml": content, "META-INF/manifest.xml": ODS_MANIFEST})


def write_xlsx(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> Path:
    """A workbook as Excel writes one (XlsxWriter: shared strings, numbers as doubles), a date as a
    number under a date format; a value ("=FORMULA", cached) as a formula with its last result."""
    import datetime

    import xlsxwriter

    book = xlsxwriter.Workbook(str(path))
    formats = {datetime.date: book.add_format({"num_format": "yyyy-mm-dd"}),
               datetime.datetime: book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
               datetime.time: book.add_format({"num_format": "hh:mm"}),
               datetime.timedelta: book.add_format({"num_format": "[h]:mm"})}
    for name, rows in sheets.items():
        sheet = book.add_worksheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, tuple):
                    sheet.write_formula(r, c, value[0], None, value[1])
                elif type(value) in formats:
                    sheet.write_datetime(r, c, value, formats[type(value)])
                elif value is not None:
                    sheet.write(r, c, value)
        if name in hidden:
            sheet.hide()
    book.close()
    return path


def write_xls(path: Path, sheets: dict[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> Path:
    """An Office 97-2003 workbook (xlwt writes BIFF8 in an OLE2 container, as Excel 2003 did)."""
    import datetime

    import xlwt

    book = xlwt.Workbook()
    date = xlwt.easyxf(num_format_str="yyyy-mm-dd")
    for name, rows in sheets.items():
        sheet = book.add_sheet(name)
        for r, row in enumerate(rows):
            for c, value in enumerate(row):
                if isinstance(value, datetime.date):
                    sheet.write(r, c, value, date)
                elif value is not None:
                    sheet.write(r, c, value)
        sheet.visibility = int(name in hidden)
    book.save(str(path))
    return path


ODP_MIMETYPE = "application/vnd.oasis.opendocument.presentation"
ODP_NAMESPACES = (
    f"{ODT_NAMESPACES} "
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)
# Impress's Slide > Hide Slide: the slide's page style says it is not shown.
HIDDEN_PAGE_STYLE = ('<style:style style:name="dp3" style:family="drawing-page"><style:drawing-page-properties '
                     'presentation:visibility="hidden"/></style:style>')


def odp_content(pages: str, styles: str = "", declarations: str = "") -> str:
    """content.xml of a presentation: its automatic styles, then its footer declarations and slides."""
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODP_NAMESPACES}>'
            f"<office:automatic-styles>{styles}</office:automatic-styles><office:body><office:presentation>"
            f"{declarations}{pages}</office:presentation></office:body></office:document-content>")


def odp_frame(inner: str, placeholder: str | None = None) -> str:
    """A frame holding a text box of `inner` (paragraphs, lists), a placeholder of that
    presentation class ("title", "outline", "notes", "footer") when one is named."""
    kind = f' presentation:class="{placeholder}"' if placeholder else ""
    return f'<draw:frame draw:layer="layout"{kind}><draw:text-box>{inner}</draw:text-box></draw:frame>'


def write_odp(path: Path) -> Path:
    """A deck as Impress writes one, with write_pptx's slides: a title slide, an outline of bullets
    with a sub-bullet and speaker notes, a table and a text box grouped with a shape, and a hidden
    slide; a footer declared for every slide and one placed on a slide, and a slide number."""
    footer = odp_frame("<text:p>Harbour board, confidential</text:p>", "footer") + odp_frame(
        "<text:p>2</text:p>", "page-number")
    notes = ('<presentation:notes><draw:page-thumbnail draw:page-number="2" presentation:class="page"/>'
             + odp_frame("<text:p>Say that the grant covers half of the quay repair.</text:p>", "notes")
             + "</presentation:notes>")
    outline = ("<text:list><text:list-item><text:p>The quay repair costs 2.4 million pounds.</text:p></text:list-item>"
               "<text:list-item><text:list><text:list-item><text:p>Dredging adds 300,000 pounds.</text:p>"
               "</text:list-item></text:list></text:list-item></text:list>")
    table = ('<draw:frame draw:name="Table 1"><table:table><table:table-column table:number-columns-repeated="3"/>'
             + "".join("<table:table-row>" + "".join(f"<table:table-cell><text:p>{cell}</text:p></table:table-cell>"
                                                     for cell in row) + "</table:table-row>"
                       for row in (("Phase", "Start", "End"), ("Quay repair", "May 2025", "March 2026"),
                                   ("Dredging", "April 2026", "June 2026")))
             + "</table:table></draw:frame>")
    pages = (
        '<draw:page draw:name="page1" draw:style-name="dp1">'
        + odp_frame("<text:p>Harbour renewal plan</text:p>", "title")
        + odp_frame("<text:p>Town council, spring 2025</text:p>", "subtitle") + "</draw:page>"
        '<draw:page draw:name="page2" draw:style-name="dp1">' + odp_frame("<text:p>Budget</text:p>", "title")
        + odp_frame(outline, "outline") + footer + notes + "</draw:page>"
        '<draw:page draw:name="page3" draw:style-name="dp1">' + odp_frame("<text:p>Timeline</text:p>", "title") + table
        + '<draw:g><draw:custom-shape><text:p>Dates depend<text:line-break/>on the tides.</text:p>'
        "<draw:enhanced-geometry/></draw:custom-shape></draw:g></draw:page>"
        '<draw:page draw:name="page4" draw:style-name="dp3">' + odp_frame("<text:p>Old draft</text:p>", "title")
        + odp_frame("<text:p>Withdrawn figures.</text:p>", "outline") + "</draw:page>"
    )
    declarations = '<presentation:footer-decl presentation:name="ftr1">Harbour board, confidential</presentation:footer-decl>'
    styles = '<style:style style:name="dp1" style:family="drawing-page"/>' + HIDDEN_PAGE_STYLE
    return zip_with_mimetype(path, ODP_MIMETYPE, {"content.xml": odp_content(pages, styles, declarations)})


ODF_CHART_NAMESPACES = (
    f"{ODT_NAMESPACES} "
    'xmlns:chart="urn:oasis:names:tc:opendocument:xmlns:chart:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0"'
)


def _chart_cell(value: str) -> str:
    """A cell of a chart's table: "" empty, "=4.2" a float, "%0.42" a percentage, else a string."""
    if not value:
        return "<table:table-cell/>"
    if value[0] in "=%":
        kind = "float" if value[0] == "=" else "percentage"
        return (f'<table:table-cell office:value-type="{kind}" office:value="{value[1:]}">'
                f"<text:p>{value[1:]}</text:p></table:table-cell>")
    return f'<table:table-cell office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def odf_chart(rows: list[list[str]], title: str | None = None, axes: tuple[str | None, ...] = (),
              chart_class: str = "chart:bar", addressed: bool = True) -> str:
    """An embedded chart's content.xml as LibreOffice writes it: its title, its axes (x, y) with
    titles, a series a column of its own table (rows: the first the series' names over an empty
    corner, the first column the categories; cells as _chart_cell reads them), each series naming
    its cells unless not `addressed`; a scatter chart's series name the first column as x values."""
    last = len(rows)
    titled = (lambda text: f"<chart:title><text:p>{text}</text:p></chart:title>" if text else "")
    scatter = chart_class == "chart:scatter"
    categories = "" if scatter or not addressed else f'<chart:categories table:cell-range-address="local-table.$A$2:.$A${last}"/>'
    axis_xml = "".join(f'<chart:axis chart:dimension="{d}" chart:name="primary-{d}">{titled(text)}'
                       f"{categories if d == 'x' else ''}</chart:axis>" for d, text in zip("xy", axes or (None, None)))
    series = ""
    for column in "BCDEFG"[: len(rows[0]) - 1]:
        domain = f'<chart:domain table:cell-range-address="local-table.$A$2:.$A${last}"/>' if scatter else ""
        address = (f' chart:values-cell-range-address="local-table.${column}$2:.${column}${last}" '
                   f'chart:label-cell-address="local-table.${column}$1"') if addressed else ""
        series += f'<chart:series chart:class="{chart_class}"{address}>{domain}</chart:series>'
    table = ('<table:table table:name="local-table"><table:table-header-rows><table:table-row>'
             + "".join(_chart_cell(cell) for cell in rows[0]) + "</table:table-row></table:table-header-rows><table:table-rows>"
             + "".join("<table:table-row>" + "".join(_chart_cell(cell) for cell in row) + "</table:table-row>"
                       for row in rows[1:]) + "</table:table-rows></table:table>")
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODF_CHART_NAMESPACES}><office:body>'
            f'<office:chart><chart:chart chart:class="{chart_class}">{titled(title)}<chart:plot-area>{axis_xml}{series}'
            f"</chart:plot-area>{table}</chart:chart></office:chart></office:body></office:document-content>")


def odf_object_frame(name: str) -> str:
    """The frame that places an embedded object (Object 1/content.xml) on a slide or page."""
    return (f'<draw:frame draw:name="{name}" xmlns:xlink="http://www.w3.org/1999/xlink"><draw:object '
            f'xlink:href="./{name}" xlink:type="simple" xlink:show="embed" xlink:actuate="onLoad"/>'
            f'<draw:image xlink:href="./ObjectReplacements/{name}"/></draw:frame>')


def write_pptx(path: Path) -> Path:
    """A deck as PowerPoint writes it: a title slide, bullets with a sub-bullet and speaker notes, a
    table and a text box, and a hidden slide."""
    from pptx import Presentation
    from pptx.util import Inches

    deck = Presentation()
    slide = deck.slides.add_slide(deck.slide_layouts[0])
    slide.shapes.title.text = "Harbour renewal plan"
    slide.placeholders[1].text = "Town council, spring 2025"
    slide = deck.slides.add_slide(deck.slide_layouts[1])
    slide.shapes.title.text = "Budget"
    body = slide.placeholders[1].text_frame
    body.text = "The quay repair costs 2.4 million pounds."
    item = body.add_paragraph()
    item.text, item.level = "Dredging adds 300,000 pounds.", 1
    slide.notes_slide.notes_text_frame.text = "Say that the grant covers half of the quay repair."
    slide = deck.slides.add_slide(deck.slide_layouts[5])
    slide.shapes.title.text = "Timeline"
    table = slide.shapes.add_table(3, 3, Inches(1), Inches(2), Inches(8), Inches(2)).table
    for i, row in enumerate((("Phase", "Start", "End"), ("Quay repair", "May 2025", "March 2026"),
                             ("Dredging", "April 2026", "June 2026"))):
        for j, text in enumerate(row):
            table.cell(i, j).text = text
    slide.shapes.add_textbox(Inches(1), Inches(5), Inches(8), Inches(1)).text_frame.text = "Dates depend on the tides."
    hidden = deck.slides.add_slide(deck.slide_layouts[1])
    hidden.shapes.title.text = "Old draft"
    hidden.placeholders[1].text = "Withdrawn figures."
    hidden._element.set("show", "0")
    deck.save(str(path))
    return path
