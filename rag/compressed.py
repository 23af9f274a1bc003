"""Documents kept compressed (`changelog.Debian.gz`, `README.txt.gz`, `notes.md.xz`): read as the
file they hold.

A folder such as /usr/share/doc holds most of its notes gzipped; each is read, cited and opened as
the document inside it, named by its own file name, while its sha256, size and mtime (what tells
the index it changed) stay those of the compressed file. Decompression stops at a bound, so a
small archive that expands without end cannot fill the memory.
"""

from __future__ import annotations

import bz2
import io
import lzma
import zlib
from pathlib import Path

from rag.readers.base import Unreadable, is_binary

_MAGIC = {".gz": b"\x1f\x8b", ".bz2": b"BZh", ".xz": b"\xfd7zXZ\x00"}
SUFFIXES = tuple(_MAGIC)
# Far above any document (the largest page of /usr/share/doc is 8 MB) and below what a laptop holds.
MAX_DECOMPRESSED_BYTES = 256 * 1024 * 1024
_ERRORS = (OSError, EOFError, lzma.LZMAError, zlib.error)


def is_compressed(path: Path) -> bool:
    """Whether the file's name says it is compressed in a format read here."""
    return path.suffix.lower() in _MAGIC


def inner_path(path: Path) -> Path:
    """The path of the document a compressed file holds ("NEWS.md.gz" -> "NEWS.md"); the path itself otherwise."""
    return path.with_suffix("") if is_compressed(path) else path


def holds_plain_text(path: Path, data: bytes) -> bool:
    """A file named as compressed that holds plain text instead (no compressed data starts so)."""
    return (is_compressed(path) and not data.startswith(_MAGIC[path.suffix.lower()])
            and bool(data.strip()) and not is_binary(data[:1024]))


def decompressed(path: Path, data: bytes) -> bytes:
    """The document inside a compressed file's bytes (`data` itself for a file not compressed, or
    one that holds plain text under a compressed name, as rag reads a misnamed file by its content).

    Raises:
        Unreadable: the data is not in the format its name says, is cut short, or expands beyond
            MAX_DECOMPRESSED_BYTES.
    """
    if not is_compressed(path) or not data or holds_plain_text(path, data):
        return data
    try:
        inner = _inflated(path, data, MAX_DECOMPRESSED_BYTES + 1)
    except _ERRORS as error:
        kind = path.suffix.lower().lstrip(".")
        raise Unreadable(f"not a valid .{kind} file ({error}); decompress it to check it") from None
    if len(inner) > MAX_DECOMPRESSED_BYTES:
        raise Unreadable(f"it expands to more than {MAX_DECOMPRESSED_BYTES // 2**20} MB; decompress it and split it")
    return inner


def _inflated(path: Path, data: bytes, limit: int) -> bytes:
    """The first `limit` bytes of the document inside a compressed file's data.

    Raises:
        EOFError, OSError, lzma.LZMAError, zlib.error: the data is cut short or damaged.
    """
    suffix = path.suffix.lower()
    if suffix == ".gz":
        return _gunzipped(data, limit)
    opened = bz2.BZ2File if suffix == ".bz2" else lzma.LZMAFile
    with opened(io.BytesIO(data)) as stream:
        return stream.read(limit)


def _gunzipped(data: bytes, limit: int) -> bytes:
    """Every gzip member of data, in order, up to limit bytes; bytes after the last member are
    ignored, as gzip itself ignores them (with a warning) where Python's gzip module refuses the file.

    Raises:
        EOFError: a member is cut short.
        OSError: data does not start as gzip data.
        zlib.error: a member is damaged.
    """
    if not data.startswith(_MAGIC[".gz"]):
        raise OSError(f"Not a gzipped file ({data[:2]!r})")
    inner = bytearray()
    rest = data
    while rest.startswith(_MAGIC[".gz"]) and len(inner) < limit:
        member = zlib.decompressobj(wbits=31)
        inner += member.decompress(rest, limit - len(inner))
        if len(inner) < limit and not member.eof:
            raise EOFError("Compressed file ended before the end-of-stream marker was reached")
        rest = member.unused_data
    return bytes(inner)


def head(path: Path, size: int) -> bytes:
    """The first `size` bytes of the document, decompressed (b"" when the compressed data is
    broken, which reading the file then reports), for telling text from binary without reading
    a whole file.

    Raises:
        OSError: the file cannot be opened.
    """
    with path.open("rb") as raw:
        if not is_compressed(path):
            return raw.read(size)
        data = raw.read()
    try:
        return _inflated(path, data, size)
    except _ERRORS:
        return b""
