"""One interface over every document format: a file in, its text blocks with locations out.

    result = read(Path("report.pdf"))
    for block in result.blocks:
        block.text, block.page, block.heading, block.kind

The format is chosen by content first (a PDF's `%PDF-` magic, a zip holding `word/document.xml`,
`ppt/presentation.xml` or `xl/workbook.xml` or an EPUB's or OpenDocument text's, presentation's or
spreadsheet's `mimetype` entry, an Office 97-2003 file holding a workbook, a leading `<html` or
`<!doctype html`) and by extension otherwise, so a misnamed file is still read by the right
reader. Plain text is not read here: rag/corpus.py keeps its paragraph rule.
Each reader imports its library only when called, so importing this package stays cheap.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

from rag.readers.base import OFFICE_PASSWORD, ZIP_FAILURES, Block, ReadResult, Unreadable, is_binary
from rag.readers.ole2 import OLE2, bytes_at, is_workbook

__all__ = ["Block", "ReadResult", "Unreadable", "SHEET_FORMATS", "SUFFIXES", "detect", "read"]

SUFFIXES: dict[str, str] = {
    ".txt": "text",
    ".text": "text",
    ".rst": "rst",
    ".rest": "rst",
    ".adoc": "text",
    ".asciidoc": "text",
    ".org": "text",
    ".tex": "text",
    ".md": "markdown",
    ".markdown": "markdown",
    ".pdf": "pdf",
    ".html": "html",
    ".htm": "html",
    ".xhtml": "html",
    ".docx": "docx",
    ".epub": "epub",
    ".odt": "odt",
    ".ott": "odt",  # a template: a text with its styles, read as one (tester-s46 L6)
    ".odp": "odp",
    ".otp": "odp",
    ".pptx": "pptx",
    ".csv": "csv",
    ".tsv": "csv",
    ".xlsx": "xlsx",
    ".xlsm": "xlsx",  # a workbook with macros (left unrun), and the templates, read as workbooks
    ".xltx": "xlsx",
    ".xltm": "xlsx",
    ".xlsb": "xlsb",
    ".xls": "xls",
    ".ods": "ods",
    ".ots": "ods",
    ".ipynb": "notebook",
    ".eml": "email",
    ".mbox": "mbox",
}
# The formats whose files are containers (a PDF, a zip), not text: their readers cannot open text.
CONTAINER_FORMATS = frozenset(SUFFIXES.values()) - {"text", "markdown", "rst", "html", "csv", "notebook", "email", "mbox"}
SHEET_FORMATS = frozenset({"xlsx", "xlsb", "xls", "ods"})  # workbooks: their pages are sheets
# EPUB and OpenDocument files name what they are in a "mimetype" entry (a template's or master
# document's type opens with its document's: "...opendocument.text-template").
ZIP_MIMETYPES = {b"application/epub+zip": "epub", b"application/vnd.oasis.opendocument.text": "odt",
                 b"application/vnd.oasis.opendocument.presentation": "odp",
                 b"application/vnd.oasis.opendocument.spreadsheet": "ods"}
ODF_MIMETYPE = b"application/vnd.oasis.opendocument."
MAX_MIMETYPE_BYTES = 256  # a mimetype entry is one short line
SNIFF_BYTES = 1024


def detect(path: Path, head: bytes, data: bytes | None = None) -> str:
    """The format of a file from its first bytes, falling back to its extension; `data`, when
    given, is the whole document (a compressed file's contents), else path is the file."""
    if _is_pdf(head):
        return "pdf"
    if head.startswith(OLE2) and is_workbook(path, data):
        return "xls"  # an Office 97-2003 workbook, whatever its name; a .doc or .ppt is refused in read()
    if head.startswith(b"PK\x03\x04"):
        zipped = _zip_format(head, path if data is None else io.BytesIO(data))
        if zipped:
            return zipped
    start = head[:SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if start.startswith((b"<!doctype html", b"<html")):
        return "html"
    fmt = SUFFIXES.get(path.suffix.lower(), "text")
    from rag.readers.mail import looks_like_mbox  # here: the email package is not imported with rag.readers

    if fmt == "text" and looks_like_mbox(head):
        return "mbox"  # a mail program's mailbox file, "Inbox", with no extension
    if path.name.lower().endswith(".rst.txt"):
        return "rst"  # a Sphinx build's copy of its sources (_sources/usage.rst.txt)
    if fmt in CONTAINER_FORMATS and _is_plain_text(head):
        return "text"  # text saved under a PDF or Word name: neither reader could open it
    return fmt


# An Office file saved with a password is an OLE2 container of its encrypted package (MS-OFFCRYPTO).
ENCRYPTED_PACKAGE = "EncryptedPackage".encode("utf-16-le")
OUTLOOK_PROPERTIES = "__substg1.0_".encode("utf-16-le")  # the streams of an Outlook .msg's properties
OLE2_SCAN_BYTES = 1 << 20  # the stream names stand in the container's directory, near its start


def _refuse_unreadable(head: bytes, path: Path, data: bytes | None, fmt: str) -> None:
    """Raises:
        Unreadable: the file is empty, or an Office file no reader here opens: one saved with a
            password, or an Office 97-2003 file other than a workbook (.doc, .ppt), each named as
            such, not as a broken file (an .xls without a workbook in it as damaged)."""
    if not head:
        raise Unreadable("empty file")
    if head.startswith(OLE2):
        directory = bytes_at(path, data, 0, OLE2_SCAN_BYTES)
        if ENCRYPTED_PACKAGE in directory:
            raise Unreadable(OFFICE_PASSWORD)
        if OUTLOOK_PROPERTIES in directory:
            raise Unreadable("an Outlook message (.msg), which rag does not read; save it from Outlook as .eml (or drag "
                             "it to a folder from a mail program that writes .eml) and index that")
        if fmt != "xls":
            raise Unreadable("an old Word or PowerPoint file (Office 97-2003); save it as .docx or .pptx, or export it "
                             "as PDF, and index that")
        if not is_workbook(path, data):
            raise Unreadable("an Office 97-2003 file without a workbook in it (damaged, or a Word or PowerPoint file "
                             "named .xls); open it and save it again in Excel, Word or PowerPoint")


def _is_pdf(head: bytes) -> bool:
    """A PDF's header opens the file, or stands in its first KB after bytes that are not text (as
    readers allow); notes that mention "%PDF-1.7" near their top are text."""
    window = head[:SNIFF_BYTES]
    return window.lstrip(b"\xef\xbb\xbf \t\r\n\x00").startswith(b"%PDF-") or (
        b"%PDF-" in window and not _is_plain_text(head))


def _is_plain_text(head: bytes) -> bool:
    """Words in UTF-8, not the start of a zip, a PDF or an RTF file (an empty file is no text)."""
    if not head.strip() or head.lstrip().startswith((b"PK", b"%PDF", b"{\\rtf")) or is_binary(head):
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as error:
        return error.start >= len(head) - 3  # only a character cut by the end of the sample
    return True


OFFICE_PARTS = {"word/document.xml": "docx", "ppt/presentation.xml": "pptx", "xl/workbook.xml": "xlsx",
                "xl/workbook.bin": "xlsb"}


def _zip_format(head: bytes, source: Path | io.BytesIO) -> str | None:
    """The format a zip's content names: its mimetype entry's (see _mimetype_format), else "docx",
    "pptx", "xlsx" or "xlsb" for a zip holding a Word document's, a slide deck's or a workbook's
    main part.

    The standards put the mimetype first and stored, where the head shows it; a file zipped again
    by hand or by another tool has it deflated, or later in the zip (an .odp named .pptx so was
    named "no PowerPoint deck"), so the zip is opened when the head does not say; there a Word
    document's or deck's main part outweighs a stray mimetype entry."""
    if head[8:10] == b"\x00\x00" and head[26:30] == b"\x08\x00\x00\x00" and head[30:38] == b"mimetype":
        stored = _mimetype_format(head[38:38 + MAX_MIMETYPE_BYTES])  # stored, no extra field
        if stored:
            return stored
    try:
        with zipfile.ZipFile(source) as archive:
            names = set(archive.namelist())
            mimetype = _mimetype_entry(archive) if "mimetype" in names else b""
    except (*ZIP_FAILURES, KeyError):
        return None
    office = next((fmt for part, fmt in OFFICE_PARTS.items() if part in names), None)
    return office or _mimetype_format(mimetype)  # a Word file's stray mimetype entry does not make it ODF


def _mimetype_entry(archive: zipfile.ZipFile) -> bytes:
    """The first bytes of a zip's mimetype entry, stored or deflated (b"" when it cannot be unpacked)."""
    try:
        with archive.open("mimetype") as entry:
            return entry.read(MAX_MIMETYPE_BYTES)
    except (*ZIP_FAILURES, KeyError):
        return b""


def _mimetype_format(mimetype: bytes) -> str | None:
    """The format a mimetype names ("epub", "odt", "odp", "ods"); "odt" too for another OpenDocument
    kind (a drawing, a formula) whatever the file's name, so the OpenDocument reader says what it is
    rather than the PowerPoint or Word reader calling it broken, or the text reader a binary file
    (tester-s46 L7: an .odg with no extension or named .txt). Read as a tool may have written it:
    after a byte order mark or spaces, in capitals."""
    mimetype = mimetype.removeprefix(b"\xef\xbb\xbf").lstrip().lower()
    found = next((fmt for prefix, fmt in ZIP_MIMETYPES.items() if mimetype.startswith(prefix)), None)
    return found or ("odt" if mimetype.startswith(ODF_MIMETYPE) else None)


def read(path: Path, fmt: str | None = None, name: str | None = None, data: bytes | None = None) -> ReadResult:
    """Text blocks of a PDF, HTML, DOCX, PowerPoint, EPUB, OpenDocument text or presentation,
    Markdown, spreadsheet or CSV file, in reading order.

    Args:
        fmt: the format, when already detected; otherwise sniffed from the file.
        name: how warnings name the file (default: its file name).
        data: the document's bytes, when the caller holds them (a compressed file's contents);
            otherwise the file is read.

    Returns:
        The blocks and warnings; a file that cannot be read at all (encrypted, broken) gives
        no blocks and one warning saying why, so the rest of a folder is still indexed.
    """
    name = name or path.name
    if data is not None:
        head = data[:SNIFF_BYTES]
    else:
        with open(path, "rb") as handle:
            head = handle.read(SNIFF_BYTES)
    fmt = fmt or detect(path, head, data)
    try:
        _refuse_unreadable(head, path, data, fmt)
        if fmt == "pdf":
            from rag.readers.pdf import read_pdf

            return read_pdf(path, name, data)
        if fmt == "html":
            from rag.readers.html import read_html

            return read_html(path, name, data)
        if fmt == "docx":
            from rag.readers.docx import read_docx

            return read_docx(path, name, data)
        if fmt == "markdown":
            from rag.readers.markdown import read_markdown

            return read_markdown(path, name, data)
        if fmt == "rst":
            from rag.readers.rst import read_rst

            return read_rst(path, name, data)
        if fmt == "epub":
            from rag.readers.epub import read_epub

            return read_epub(path, name, data)
        if fmt in ("odt", "odp"):
            from rag.readers.odf import read_odf

            return read_odf(path, name, fmt, data)
        if fmt == "pptx":
            from rag.readers.pptx import read_pptx

            return read_pptx(path, name, data)
        if fmt in SHEET_FORMATS:
            from rag.readers.spreadsheet import read_spreadsheet

            return read_spreadsheet(path, name, fmt, data)
        if fmt == "csv":
            from rag.readers.csv_text import read_csv

            return read_csv(path, name, data)
        if fmt in ("email", "mbox"):
            from rag.readers.mail import read_mail

            return read_mail(path, name, fmt, data)
        if fmt == "notebook":
            from rag.readers.notebook import read_notebook

            return read_notebook(path, name, data)
    except Unreadable as error:
        return ReadResult(fmt, (), (f"skipped {name}: {error}",))
    raise ValueError(f"no reader for format {fmt!r}")
