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
