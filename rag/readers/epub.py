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
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urldefrag

from rag.readers.base import (
    MAX_PART_BYTES, ZIP_FAILURES, Block, DamagedPart, ReadResult, Unreadable, file_bytes, xml_parser, zip_failure, zip_part,
)

CONTAINER = "META-INF/container.xml"
ENCRYPTION = "META-INF/encryption.xml"
CHAPTER_TYPES = ("application/xhtml+xml", "text/html")
MIN_WHOLE_PAGE_WORDS = 8  # a page with no main text and fewer words is a cover or a title page
MAX_BOOK_BYTES = 256 * 1024 * 1024  # all chapters together, as for a compressed file (rag.compressed)
BROKEN_FIX = "open and save it again in an e-book editor (such as Calibre), or convert it to HTML or text"
# Reading errors of a zip or its XML, besides those the format's own checks raise.
_BROKEN = (*ZIP_FAILURES, ValueError, KeyError)


def read_epub(path: Path, name: str, data: bytes | None = None) -> ReadResult:
    """Blocks of every chapter in reading order (from `data` when given, else the file).

    Raises:
        Unreadable: not a valid EPUB, its chapters are encrypted, or it holds no text.
    """
    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes(path, data))) as book:
            chapters = _spine(book)
            locked = _encrypted(book) & set(chapters)
            if locked:
                raise Unreadable(f"encrypted EPUB (DRM on {len(locked)} of its {len(chapters)} chapters); "
                                 "export it without DRM from the shop or app it came from")
            if sum(_size(book, href) for href in chapters) > MAX_BOOK_BYTES:
                raise Unreadable(f"EPUB whose chapters unpack to more than {MAX_BOOK_BYTES:,} bytes, too much to be "
                                 f"text; {BROKEN_FIX}")
            blocks, warnings = _chapters(book, chapters, path, name)
    except _BROKEN as error:
        raise Unreadable(f"broken EPUB ({zip_failure(error)}); {BROKEN_FIX}") from error
    if not blocks:
        raise Unreadable("no text in the book")
    return ReadResult("epub", tuple(blocks), tuple(warnings))


def _chapters(book: zipfile.ZipFile, chapters: list[str], path: Path, name: str) -> tuple[list[Block], list[str]]:
    """The blocks of each chapter through the HTML reader, and the warnings; a chapter that
    cannot be read is named and the rest read. A chapter opening with no heading of its own (a
    long chapter split over files) stays under the last heading."""
    from rag.readers.html import NO_MAIN_TEXT, read_html

    blocks: list[Block] = []
    warnings: list[str] = []
    for href in chapters:
        try:
            page = _read(book, href)
        except KeyError:
            warnings.append(f"{name}: chapter {href} is listed but missing from the book; the rest is read")
            continue
        except ZIP_FAILURES as error:
            warnings.append(f"{name}: chapter {href} cannot be unpacked ({zip_failure(error)}); the rest is read")
            continue
        try:
            result = read_html(path, f"{name} ({href})", page)
        except Unreadable:
            continue  # a blank page
        read_whole = [w for w in result.warnings if NO_MAIN_TEXT in w]
        if read_whole and sum(len(b.text.split()) for b in result.blocks) < MIN_WHOLE_PAGE_WORDS:
            continue  # a cover or a part's title page: its title alone
        above = blocks[-1].heading if blocks else None
        blocks.extend(replace(b, heading=above) if b.heading is None else b for b in result.blocks)
        warnings.extend(w for w in result.warnings if w not in read_whole)  # a chapter without markup is common
    return blocks, warnings


def _spine(book: zipfile.ZipFile) -> list[str]:
    """The chapters' paths inside the zip, in reading order, each once; the book's own table of
    contents (the EPUB 3 navigation document) is left out, as ODT's and Word's are.

    Raises:
        Unreadable: no package file, or a package file that lists no chapter.
    """
    package_path = _package_path(book)
    package = _xml(book, package_path)
    folder = posixpath.dirname(package_path)
    items = {
        item.get("id"): (item.get("href") or "", (item.get("media-type") or "").split(";")[0].strip().lower(),
                         (item.get("properties") or "").split())
        for item in package.iter("{*}item")
    }
    chapters = []
    for reference in package.iter("{*}itemref"):
        href, media_type, properties = items.get(reference.get("idref"), ("", "", []))
        if href and media_type in CHAPTER_TYPES and "nav" not in properties:
            chapters.append(posixpath.normpath(posixpath.join(folder, unquote(urldefrag(href).url))))
    if not chapters:
        raise Unreadable(f"EPUB whose package file {package_path} lists no chapter; {BROKEN_FIX}")
    return list(dict.fromkeys(chapters))


def _package_path(book: zipfile.ZipFile) -> str:
    """Where the package file (OPF) is: named by META-INF/container.xml, or the one .opf file."""
    names = book.namelist()
    if CONTAINER in names:
        try:
            rootfiles = list(_xml(book, CONTAINER).iter("{*}rootfile"))
        except ValueError:
            rootfiles = []  # a broken container: the book's one package file may still be found
        for rootfile in rootfiles:
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
        for reference in _xml(book, ENCRYPTION).iter("{*}CipherReference")
    }


def _size(book: zipfile.ZipFile, href: str) -> int:
    try:
        return book.getinfo(href).file_size
    except KeyError:
        return 0


def _read(book: zipfile.ZipFile, member: str) -> bytes:
    """A part of the book, refused when it would unpack to more than a book's part can be.

    Raises:
        KeyError: no such part. Unreadable: too large.
    """
    return zip_part(book, member, MAX_PART_BYTES, "EPUB part ", "text", BROKEN_FIX)


def _xml(book: zipfile.ZipFile, member: str) -> Any:
    """A part's XML tree, parsed without fetching or expanding anything outside it.

    Raises:
        DamagedPart: not well-formed XML ("damaged XML at line 1, column 25 in OEBPS/content.opf").
        KeyError, one of ZIP_FAILURES, Unreadable: as _read.
    """
    from lxml import etree

    parser = xml_parser(huge_tree=False)
    try:
        return etree.fromstring(_read(book, member), parser)
    except etree.XMLSyntaxError as error:
        raise DamagedPart(f"{zip_failure(error)} in {member}") from error
