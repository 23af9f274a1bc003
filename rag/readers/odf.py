"""OpenDocument files (LibreOffice, OpenOffice): the zip's content.xml, opened and checked once,
then read as the kind of document its body says it is (a text or a presentation), whatever the
file is named; spreadsheets are rag/readers/spreadsheet.py's.

The checks live here: a password (the manifest lists encryption data, so content.xml is
ciphertext), a part too large to be a document, a damaged zip or XML, and a body of a kind rag does
not read; each is one Unreadable message that names the fix in the program that writes the file.
The zip stays open while the body is read, for the charts embedded in it (rag/readers/odf_chart.py);
one that cannot be read is named in the file's warning.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

from rag.readers.base import (
    MAX_PART_BYTES, ZIP_FAILURES, Block, ReadResult, Unreadable, file_bytes, xml_parser, zip_failure, zip_part,
)
from rag.readers.odf_chart import ChartObjects
from rag.readers.odp import slide_blocks
from rag.readers.odt import OFFICE, text_blocks

CONTENT = "content.xml"
MANIFEST = "META-INF/manifest.xml"
# Where to fix a file, by the format its name or mimetype gave: a word processor's or Impress's.
PROGRAMS = {"odt": "the word processor", "odp": "Impress"}
FIXES = {"odt": "open and save it again in a word processor, or export it as .docx or text",
         "odp": "open and save it again in Impress, or export it as .pptx or PDF"}
NO_TEXT = {"odt": "no text in the document", "odp": "no text on any slide"}
WHOLE = {"odt": "document", "odp": "deck"}  # what "the rest of the ..." is read in a warning
# Reading errors of a zip or its XML, besides those the format's own checks raise.
_BROKEN = (*ZIP_FAILURES, KeyError)


def read_odf(path: Path, name: str, fmt: str, data: bytes | None = None) -> ReadResult:
    """Blocks of an OpenDocument text ("odt") or presentation ("odp"), as its body says it is, so
    a presentation named .odt is read as slides (from `data` when given, else the file). A chart
    that cannot be read is left out with a warning naming where it stood; the rest is read.

    Args:
        fmt: what the file's mimetype or name says it is; it picks the fix a message names.

    Raises:
        Unreadable: not a valid OpenDocument file, protected by a password, a drawing (or a
            spreadsheet its mimetype calls a text), or no text in it.
    """
    from lxml import etree

    fix = FIXES[fmt]
    try:
        with zipfile.ZipFile(io.BytesIO(file_bytes(path, data))) as archive:
            charts = ChartObjects(archive)
            fmt, blocks = _blocks(_content(archive, fmt), charts, fix)
    except RecursionError:  # before RuntimeError, which it is
        raise Unreadable(f"OpenDocument file nested too deep to read; {fix}") from None
    except (*_BROKEN, etree.XMLSyntaxError) as error:
        raise Unreadable(f"broken OpenDocument file ({zip_failure(error)}); {fix}") from error
    if not blocks:
        raise Unreadable(NO_TEXT[fmt] + (f" that could be read (damaged: {charts.damaged})" if charts.damaged else ""))
    return ReadResult(fmt, tuple(blocks), charts.damaged.warnings(name, WHOLE[fmt]))


def _blocks(root: Any, charts: ChartObjects, fix: str) -> tuple[str, list[Block]]:
    """The format the body says the file is ("odt" or "odp") and its blocks.

    Raises:
        Unreadable: no body, or a body of a kind this reader does not read (a spreadsheet, a drawing).
    """
    kind, body = _body(root)
    if kind == "text":
        return "odt", text_blocks(root, body, charts)
    if kind == "presentation":
        return "odp", slide_blocks(root, body, charts)
    if kind is None:
        raise Unreadable(f"an OpenDocument file with no body; {fix}")
    if kind == "spreadsheet":  # its mimetype entry or its name says otherwise (rag/readers/spreadsheet.py reads .ods)
        raise Unreadable("an OpenDocument spreadsheet under another kind's mimetype or name; open and save it again "
                         "in LibreOffice Calc as .ods")
    raise Unreadable(f"an OpenDocument {kind}, which rag does not read (it reads OpenDocument text, presentations and "
                     "spreadsheets); export it as PDF and index that")


def _content(archive: zipfile.ZipFile, fmt: str) -> Any:
    """content.xml's root element.

    Raises:
        Unreadable: protected by a password, or content.xml too large. One of _BROKEN or
            XMLSyntaxError: damaged.
    """
    from lxml import etree

    if password_protected(archive):
        raise Unreadable(f"password-protected OpenDocument file; save a copy without the password in {PROGRAMS[fmt]}")
    return etree.fromstring(zip_part(archive, CONTENT, MAX_PART_BYTES, "", "a document", FIXES[fmt]), xml_parser())


def _body(root: Any) -> tuple[str | None, Any]:
    """The body's kind ("text", "presentation", "spreadsheet", ...) and element; (None, None)
    when there is none."""
    body = root.find(f"{OFFICE}body")
    for child in [] if body is None else body:
        if isinstance(child.tag, str) and child.tag.startswith(OFFICE):
            return child.tag[len(OFFICE):], child
    return None, None


def password_protected(archive: zipfile.ZipFile) -> bool:
    """The manifest lists encryption data for the content: it is ciphertext, not XML."""
    try:
        manifest = archive.read(MANIFEST) if archive.getinfo(MANIFEST).file_size < MAX_PART_BYTES else b""
    except KeyError:
        return False
    return b"encryption-data" in manifest

