"""The directory of an OLE2 compound file, the container of Office 97-2003 documents (.doc, .xls,
.ppt): the names of the streams it holds tell an Excel workbook (a "Workbook" stream, "Book" in
Excel 5) from a Word document or a slide deck whatever the file is named, without reading them.

The header says where the directory starts; its entries are 128 bytes each, a name in UTF-16 and
the entry's type. Only the directory's first sectors are read, where the streams of a file an
Office program wrote are listed (a later sector may stand anywhere in the file).
"""

from __future__ import annotations

from pathlib import Path

OLE2 = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the signature opening every compound file
WORKBOOK_STREAMS = frozenset({"Workbook", "Book"})
HEADER_BYTES = 512
DIRECTORY_BYTES = 64 * 1024
ENTRY_BYTES = 128
STREAM = 2  # an entry's type: 1 a storage (a folder), 2 a stream, 5 the root
_SECTOR_SHIFTS = (9, 12)  # 512-byte sectors (version 3) or 4096-byte ones (version 4)
_LAST_SECTOR = 0xFFFFFFFA  # higher numbers mark free, end-of-chain and FAT sectors


def is_workbook(path: Path, data: bytes | None = None) -> bool:
    """Whether an OLE2 file holds an Excel workbook's stream (`data`, when given, is the file)."""
    return bool(stream_names(path, data) & WORKBOOK_STREAMS)


def stream_names(path: Path, data: bytes | None = None) -> frozenset[str]:
    """The names of the streams in the first sectors of an OLE2 file's directory; none when the
    header is not a compound file's or the file cannot be read."""
    header = bytes_at(path, data, 0, HEADER_BYTES)
    shift = int.from_bytes(header[0x1E:0x20], "little")
    first = int.from_bytes(header[0x30:0x34], "little")
    sound = header.startswith(OLE2) and len(header) == HEADER_BYTES and shift in _SECTOR_SHIFTS
    if not sound or first >= _LAST_SECTOR:
        return frozenset()
    directory = bytes_at(path, data, (first + 1) << shift, DIRECTORY_BYTES)
    entries = (directory[at : at + ENTRY_BYTES] for at in range(0, len(directory) - ENTRY_BYTES + 1, ENTRY_BYTES))
    return frozenset(name for name in map(_stream_name, entries) if name)


def _stream_name(entry: bytes) -> str:
    """A directory entry's name when it is a stream's, else ""."""
    size = int.from_bytes(entry[64:66], "little")  # in bytes, with the closing NUL
    if entry[66] != STREAM or not 2 <= size <= 64 or size % 2:
        return ""
    try:
        return entry[: size - 2].decode("utf-16-le")
    except UnicodeDecodeError:
        return ""


def bytes_at(path: Path, data: bytes | None, offset: int, size: int) -> bytes:
    """`size` bytes of a file (or of `data`, the whole file when the caller holds it) from
    `offset`; b"" when it cannot be read."""
    if data is not None:
        return data[offset : offset + size]
    try:
        with open(path, "rb") as handle:
            handle.seek(offset)
            return handle.read(size)
    except OSError:
        return b""
