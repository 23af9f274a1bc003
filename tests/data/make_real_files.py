"""Writes the two files beside it with the libraries people make EPUB and ODT files with, so the
readers are tested on a real writer's output (its navigation document, NCX, manifest and styles),
not only on the zips tests/documents.py writes by hand. Not part of the suite, and neither library
is a dependency of rag: run it with them installed (`pip install ebooklib odfpy`) to write the
files again.
"""

from pathlib import Path

HERE = Path(__file__).resolve().parent
CHAPTERS = (
    ("The Breakwater", ("The northern breakwater was built of granite from Penryn in 1862.", "Storms breached it in 1903.")),
    ("The Lighthouse", ("The lighthouse keeper, Mary Tregarthen, lit the lamp every night for 31 years.",
                        "Her log books are kept in the museum.")),
)


def write_book(path: Path) -> None:
    """Two chapters, the navigation document first in the spine, as ebooklib's examples make a book."""
    from ebooklib import epub

    book = epub.EpubBook()
    book.set_identifier("harbour-chronicle")
    book.set_title("Harbour Chronicle")
    book.set_language("en")
    chapters = []
    for number, (title, paragraphs) in enumerate(CHAPTERS, start=1):
        chapter = epub.EpubHtml(title=title, file_name=f"chap_{number}.xhtml", lang="en")
        chapter.content = f"<h1>{title}</h1>" + "".join(f"<p>{p}</p>" for p in paragraphs)
        book.add_item(chapter)
        chapters.append(chapter)
    book.toc = chapters
    book.add_item(epub.EpubNcx())
    book.add_item(epub.EpubNav())
    book.spine = ["nav", *chapters]
    epub.write_epub(str(path), book)


def write_document(path: Path) -> None:
    """A heading, a paragraph, a list item and a table row, written by odfpy."""
    from odf.opendocument import OpenDocumentText
    from odf.table import Table, TableCell, TableRow
    from odf.text import H, List, ListItem, P

    document = OpenDocumentText()
    document.text.addElement(H(outlinelevel=1, text="Dues"))
    document.text.addElement(P(text="Yachts pay three pounds a metre."))
    items, item = List(), ListItem()
    item.addElement(P(text="Dinghies pay five pounds."))
    items.addElement(item)
    document.text.addElement(items)
    table, row = Table(), TableRow()
    for value in ("Vessel", "Fee"):
        cell = TableCell()
        cell.addElement(P(text=value))
        row.addElement(cell)
    table.addElement(row)
    document.text.addElement(table)
    document.save(str(path))


if __name__ == "__main__":
    write_book(HERE / "ebooklib-book.epub")
    write_document(HERE / "odfpy-document.odt")
