"""Indexing throughput per document format: extraction alone, and `rag index` end to end.

The seeds articles are written out in every format (PDF with a running header and page numbers
via fpdf2, an HTML page with navigation and a footer, a DOCX with headings, an EPUB of a cover
and one chapter, an ODT, a PowerPoint and an Impress deck of bullet slides, Markdown, plain text),
`--copies` times over. For each format we time the reader on every file (best of three)
and then a fresh `build_index` with the real MiniLM embedder on a folder of that format alone.

    .venv/bin/python bench/formats.py [--copies 3] [--formats epub,odt]

Writes bench/results/formats.json (merged with the formats it holds) and prints a table.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
WORK = ROOT / "bench" / "work" / "formats"
ASCII = str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'", "—": "-", "–": "-", "…": "..."})


def articles() -> list[tuple[str, list[str]]]:
    """(title, paragraphs) of each seeds article: its first line is the title."""
    found = []
    for path in sorted((ROOT / "seeds").glob("*.txt")):
        lines = [line.strip() for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
        found.append((lines[0], lines[1:]))
    return found


def write_pdf(path: Path, title: str, paragraphs: list[str]) -> int:
    from fpdf import FPDF

    class Report(FPDF):
        def header(self) -> None:
            self.set_font("helvetica", size=9)
            self.cell(0, 8, "Seeds news digest", align="C")
            self.ln(12)

        def footer(self) -> None:
            self.set_y(-15)
            self.set_font("helvetica", size=9)
            self.cell(0, 10, str(self.page_no()), align="C")

    def safe(text: str) -> str:
        return text.translate(ASCII).encode("latin-1", "replace").decode("latin-1")

    pdf = Report()
    pdf.add_page()
    pdf.set_font("helvetica", "B", 15)
    pdf.multi_cell(0, 8, safe(title))
    pdf.set_font("helvetica", size=11)
    for paragraph in paragraphs:
        pdf.ln(4)
        pdf.multi_cell(0, 6, safe(paragraph))
    pdf.output(str(path))
    return pdf.page_no()


def write_html(path: Path, title: str, paragraphs: list[str]) -> None:
    from html import escape

    body = "\n".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    path.write_text(
        "<!DOCTYPE html><html><head><title>News</title><script>var t = 1;</script></head><body>"
        '<nav><a href="/">Home</a> <a href="/world">World</a></nav>'
        f"<main><article><h1>{escape(title)}</h1>\n{body}</article></main>"
        "<footer>Copyright the publisher</footer></body></html>",
        encoding="utf-8",
    )


def write_docx(path: Path, title: str, paragraphs: list[str]) -> None:
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    for paragraph in paragraphs:
        document.add_paragraph(paragraph)
    document.save(str(path))


def _zipped(path: Path, mimetype: str, members: dict[str, str]) -> None:
    import zipfile

    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(zipfile.ZipInfo("mimetype"), mimetype, compress_type=zipfile.ZIP_STORED)
        for name, text in members.items():
            archive.writestr(name, text)


def write_epub(path: Path, title: str, paragraphs: list[str]) -> None:
    from html import escape

    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    page = '<?xml version="1.0"?><html xmlns="http://www.w3.org/1999/xhtml"><head><title>{}</title></head><body>{}</body></html>'
    _zipped(path, "application/epub+zip", {
        "META-INF/container.xml": '<container xmlns="urn:oasis:names:tc:opendocument:xmlns:container"><rootfiles>'
                                  '<rootfile full-path="OPS/book.opf"/></rootfiles></container>',
        "OPS/book.opf": '<package xmlns="http://www.idpf.org/2007/opf"><manifest>'
                        '<item id="a" href="cover.xhtml" media-type="application/xhtml+xml"/>'
                        '<item id="b" href="one.xhtml" media-type="application/xhtml+xml"/></manifest>'
                        '<spine><itemref idref="a"/><itemref idref="b"/></spine></package>',
        "OPS/cover.xhtml": page.format("Cover", '<img src="cover.png" alt=""/>'),
        "OPS/one.xhtml": page.format(escape(title), f"<h1>{escape(title)}</h1>{body}"),
    })


def write_odt(path: Path, title: str, paragraphs: list[str]) -> None:
    from html import escape

    text = f'<text:h text:outline-level="1">{escape(title)}</text:h>' + "".join(f"<text:p>{escape(p)}</text:p>" for p in paragraphs)
    _zipped(path, "application/vnd.oasis.opendocument.text", {
        "content.xml": '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0"><office:body><office:text>'
                       f"{text}</office:text></office:body></office:document-content>",
    })


def write_pptx(path: Path, title: str, paragraphs: list[str]) -> None:
    """A deck as PowerPoint writes it (python-pptx, a test extra): a title slide, then a slide of
    bullets for every three paragraphs."""
    from pptx import Presentation

    deck = Presentation()
    deck.slides.add_slide(deck.slide_layouts[0]).shapes.title.text = title
    for start in range(0, len(paragraphs), 3):
        slide = deck.slides.add_slide(deck.slide_layouts[1])
        slide.shapes.title.text = f"{title} ({start // 3 + 1})"
        body = slide.placeholders[1].text_frame
        body.text = paragraphs[start]
        for paragraph in paragraphs[start + 1:start + 3]:
            body.add_paragraph().text = paragraph
    deck.save(str(path))


def write_odp(path: Path, title: str, paragraphs: list[str]) -> None:
    """A deck as Impress writes it, write_pptx's slides: a title slide, then a slide with an outline
    of bullets for every three paragraphs."""
    from html import escape

    def slide(heading: str, inner: str) -> str:
        frames = "".join(f'<draw:frame presentation:class="{kind}"><draw:text-box>{text}</draw:text-box></draw:frame>'
                         for kind, text in (("title", f"<text:p>{escape(heading)}</text:p>"), ("outline", inner)) if text)
        return f"<draw:page>{frames}</draw:page>"

    pages = slide(title, "") + "".join(
        slide(f"{title} ({start // 3 + 1})", "<text:list>" + "".join(
            f"<text:list-item><text:p>{escape(p)}</text:p></text:list-item>" for p in paragraphs[start:start + 3])
            + "</text:list>")
        for start in range(0, len(paragraphs), 3))
    _zipped(path, "application/vnd.oasis.opendocument.presentation", {
        "content.xml": '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
                       'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
                       'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
                       'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0">'
                       f"<office:body><office:presentation>{pages}</office:presentation></office:body>"
                       "</office:document-content>",
    })


FORMATS = ("pdf", "html", "docx", "pptx", "odp", "epub", "odt", "markdown", "text")


def write_folders(copies: int, formats: tuple[str, ...] = FORMATS) -> dict[str, tuple[Path, int]]:
    """A folder per format; returns it with its page count (PDF) or 0."""
    for fmt in formats:
        shutil.rmtree(WORK / fmt, ignore_errors=True)
        shutil.rmtree(WORK / f"index-{fmt}", ignore_errors=True)
        (WORK / fmt).mkdir(parents=True)
    pages = 0
    writers = {
        "html": write_html, "docx": write_docx, "pptx": write_pptx, "odp": write_odp, "epub": write_epub,
        "odt": write_odt,
        "markdown": lambda path, title, paragraphs: path.write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n"),
        "text": lambda path, title, paragraphs: path.write_text(f"{title}\n\n" + "\n\n".join(paragraphs) + "\n"),
    }
    suffixes = {"markdown": "md", "text": "txt"}
    for copy in range(copies):
        for number, (title, paragraphs) in enumerate(articles()):
            stem = f"{copy}-{number}"
            for fmt in formats:
                path = WORK / fmt / f"{stem}.{suffixes.get(fmt, fmt)}"
                if fmt == "pdf":
                    pages += write_pdf(path, title, paragraphs)
                else:
                    writers[fmt](path, title, paragraphs)
    return {fmt: (WORK / fmt, pages if fmt == "pdf" else 0) for fmt in formats}


def extraction(folder: Path) -> tuple[float, int]:
    """Best-of-three seconds to read every file of a folder, and the paragraphs read."""
    from rag.corpus import read_document

    best, paragraphs = float("inf"), 0
    for _ in range(3):
        started = time.perf_counter()
        documents = [read_document(folder, path)[0] for path in sorted(folder.iterdir())]
        best = min(best, time.perf_counter() - started)
        paragraphs = sum(len(d.paragraphs) for d in documents if d)
    return best, paragraphs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--copies", type=int, default=3)
    parser.add_argument("--formats", default=",".join(FORMATS), help="Comma-separated subset of " + ", ".join(FORMATS))
    args = parser.parse_args()
    formats = tuple(args.formats.split(","))
    if not set(formats) <= set(FORMATS) or not formats:
        parser.error(f"--formats takes some of {', '.join(FORMATS)}")
    from rag.config import ChunkSettings
    from rag.embedding import MiniLMEmbedder
    from rag.indexing import build_index

    embedder = MiniLMEmbedder()
    embedder.embed_passages(["warm up"])
    out = ROOT / "bench" / "results" / "formats.json"
    results = json.loads(out.read_text(encoding="utf-8")) if out.exists() else {}
    for fmt, (folder, pages) in write_folders(args.copies, formats).items():
        megabytes = sum(p.stat().st_size for p in folder.iterdir()) / 1e6
        seconds, paragraphs = extraction(folder)
        index_dir = WORK / f"index-{fmt}"
        report = build_index(folder, index_dir, embedder, ChunkSettings())
        results[fmt] = {
            "files": report.files,
            "megabytes": round(megabytes, 3),
            "pages": pages or None,
            "paragraphs": paragraphs,
            "extract_seconds": round(seconds, 3),
            "extract_mb_per_s": round(megabytes / seconds, 2),
            "extract_pages_per_s": round(pages / seconds, 1) if pages else None,
            "passages": report.chunks,
            "index_seconds": round(report.seconds, 2),
            "passages_per_s": round(report.chunks / report.seconds, 1),
        }
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'format':<10}{'files':>6}{'MB':>8}{'pages':>7}{'extract s':>11}{'MB/s':>8}{'pages/s':>9}{'passages':>10}{'index s':>9}{'passages/s':>12}")
    for fmt, r in results.items():
        print(f"{fmt:<10}{r['files']:>6}{r['megabytes']:>8.2f}{r['pages'] or '–':>7}{r['extract_seconds']:>11.3f}"
              f"{r['extract_mb_per_s']:>8.2f}{r['extract_pages_per_s'] or '–':>9}{r['passages']:>10}"
              f"{r['index_seconds']:>9.2f}{r['passages_per_s']:>12.1f}")


if __name__ == "__main__":
    main()
