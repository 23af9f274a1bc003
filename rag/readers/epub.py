"""EPUB books: the chapters of the reading order (the spine), each read as the HTML page it is.

An EPUB is a zip holding XHTML chapters and a package file (OPF) that lists them in reading
order. Each chapter goes through the HTML reader, so headings, lists and tables come out as they
do for a web page, and a passage is cited by its paragraph in the whole book and the heading above
it. Chapters with no text (a cover image, a blank page) are passed over; a book whose chapters are
encrypted (DRM) is refused with a reason, as no reader could make sense of its bytes.
"""

from __future__ import annotations

import io
import posixpath
import zipfile
from pathlib import Path
from urllib.parse import unquote

from rag.readers.base import Block, ReadResult, Unreadable, file_bytes

CONTAINER = "META-INF/container.xml"
ENCRYPTION = "META-INF/encryption.xml"
CHAPTER_TYPES = ("application/xhtml+xml", "text/html")
MIN_WHOLE_PAGE_WORDS = 8  # a page with no main text and fewer words is a cover or a title page
MAX_CHAPTER_BYTES = 64 * 1024 * 1024  # a larger "chapter" is a zip bomb, not a chapter
BROKEN_FIX = "open and save it again in an e-book editor (such as Calibre), or convert it to HTML or text"


def read_epub(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of every chapter in reading order (from `data` when given, else the file).

    Raises:
        Unreadable: not a valid EPUB, its chapters are encrypted, or it holds no text.
    """
    from rag.readers.html import NO_MAIN_TEXT, read_html

    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes(path, data))) as book:
            chapters = _spine(book)
            locked = _encrypted(book) & set(chapters)
            if locked:
                raise Unreadable(f"encrypted EPUB (DRM on {len(locked)} of its {len(chapters)} chapters); "
                                 "export it without DRM from the shop or app it came from")
            blocks: list[Block] = []
            warnings: list[str] = []
            for href in chapters:
                page = _member(book, href)
                if page is None:
                    warnings.append(f"{name}: chapter {href} is listed but missing from the book; the rest is read")
                    continue
                try:
                    result = read_html(path, f"{name} ({href})", page)
                except Unreadable:
                    continue  # a blank page
                read_whole = [w for w in result.warnings if NO_MAIN_TEXT in w]
                if read_whole and sum(len(b.text.split()) for b in result.blocks) < MIN_WHOLE_PAGE_WORDS:
                    continue  # a cover or a part's title page: its title alone
                blocks.extend(result.blocks)
                warnings.extend(w for w in result.warnings if w not in read_whole)  # a chapter without markup is common
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError) as error:
        raise Unreadable(f"broken EPUB ({type(error).__name__}: {error}); {BROKEN_FIX}") from error
    if not blocks:
        raise Unreadable("no text in the book")
    return ReadResult("epub", tuple(blocks), tuple(warnings))


def _spine(book: zipfile.ZipFile) -> list[str]:
    """The chapters' paths inside the zip, in reading order.

    Raises:
        Unreadable: no package file, or a package file that lists no chapter.
    """
    package_path = _package_path(book)
    package = _xml(book.read(package_path))
    folder = posixpath.dirname(package_path)
    items = {
        item.get("id"): (item.get("href") or "", item.get("media-type") or "")
        for item in package.iter("{*}item")
    }
    chapters = []
    for reference in package.iter("{*}itemref"):
        href, media_type = items.get(reference.get("idref"), ("", ""))
        if href and media_type in CHAPTER_TYPES:
            chapters.append(posixpath.normpath(posixpath.join(folder, unquote(href))))
    if not chapters:
        raise Unreadable(f"EPUB whose package file {package_path} lists no chapter; {BROKEN_FIX}")
    return chapters


def _package_path(book: zipfile.ZipFile) -> str:
    """Where the package file (OPF) is: named by META-INF/container.xml, or the one .opf file."""
    names = book.namelist()
    if CONTAINER in names:
        for rootfile in _xml(book.read(CONTAINER)).iter("{*}rootfile"):
            full_path = rootfile.get("full-path")
            if full_path and full_path in names:
                return full_path
    packages = [n for n in names if n.lower().endswith(".opf")]
    if len(packages) != 1:
        raise Unreadable(f"EPUB without a package file (META-INF/container.xml names none); {BROKEN_FIX}")
    return packages[0]


def _encrypted(book: zipfile.ZipFile) -> set[str]:
    """Paths the book declares encrypted (fonts are, harmlessly, in many books; chapters only under DRM)."""
    if ENCRYPTION not in book.namelist():
        return set()
    return {
        posixpath.normpath(unquote(reference.get("URI") or ""))
        for reference in _xml(book.read(ENCRYPTION)).iter("{*}CipherReference")
    }


def _member(book: zipfile.ZipFile, href: str) -> bytes | None:
    try:
        info = book.getinfo(href)
    except KeyError:
        return None
    if info.file_size > MAX_CHAPTER_BYTES:
        raise Unreadable(f"EPUB chapter {href} unpacks to {info.file_size:,} bytes, too large to be text; {BROKEN_FIX}")
    return book.read(info)


def _xml(data: bytes):  # type: ignore[no-untyped-def]
    """An XML tree parsed without fetching or expanding anything outside it."""
    from lxml import etree

    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    try:
        return etree.fromstring(data, parser)
    except etree.XMLSyntaxError as error:
        raise ValueError(f"bad XML: {error}") from error
