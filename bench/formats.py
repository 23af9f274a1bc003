"""Indexing throughput per document format: extraction alone, and `rag index` end to end.

The seeds articles are written out in every format (PDF with a running header and page numbers
via fpdf2, an HTML page with navigation and a footer, a DOCX with headings, Markdown, plain
text), `--copies` times over. For each format we time the reader on every file (best of three)
and then a fresh `build_index` with the real MiniLM embedder on a folder of that format alone.

    .venv/bin/python bench/formats.py [--copies 3]

Writes bench/results/formats.json and prints a table.
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


def write_folders(copies: int) -> dict[str, tuple[Path, int]]:
    """A folder per format; returns it with its page count (PDF) or 0."""
    shutil.rmtree(WORK, ignore_errors=True)
    folders: dict[str, tuple[Path, int]] = {}
    pages = 0
    for fmt in ("pdf", "html", "docx", "markdown", "text"):
        (WORK / fmt).mkdir(parents=True)
    for copy in range(copies):
        for number, (title, paragraphs) in enumerate(articles()):
            stem = f"{copy}-{number}"
            pages += write_pdf(WORK / "pdf" / f"{stem}.pdf", title, paragraphs)
            write_html(WORK / "html" / f"{stem}.html", title, paragraphs)
            write_docx(WORK / "docx" / f"{stem}.docx", title, paragraphs)
            (WORK / "markdown" / f"{stem}.md").write_text(f"# {title}\n\n" + "\n\n".join(paragraphs) + "\n")
            (WORK / "text" / f"{stem}.txt").write_text(f"{title}\n\n" + "\n\n".join(paragraphs) + "\n")
    for fmt in ("pdf", "html", "docx", "markdown", "text"):
        folders[fmt] = (WORK / fmt, pages if fmt == "pdf" else 0)
    return folders


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
    args = parser.parse_args()
    from rag.config import ChunkSettings
    from rag.embedding import MiniLMEmbedder
    from rag.indexing import build_index

    embedder = MiniLMEmbedder()
    embedder.embed_passages(["warm up"])
    results = {}
    for fmt, (folder, pages) in write_folders(args.copies).items():
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
    out = ROOT / "bench" / "results" / "formats.json"
    out.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    print(f"{'format':<10}{'files':>6}{'MB':>8}{'pages':>7}{'extract s':>11}{'MB/s':>8}{'pages/s':>9}{'passages':>10}{'index s':>9}{'passages/s':>12}")
    for fmt, r in results.items():
        print(f"{fmt:<10}{r['files']:>6}{r['megabytes']:>8.2f}{r['pages'] or '–':>7}{r['extract_seconds']:>11.3f}"
              f"{r['extract_mb_per_s']:>8.2f}{r['extract_pages_per_s'] or '–':>9}{r['passages']:>10}"
              f"{r['index_seconds']:>9.2f}{r['passages_per_s']:>12.1f}")


if __name__ == "__main__":
    main()
