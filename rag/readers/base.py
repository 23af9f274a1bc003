"""The types every reader returns, and helpers they share."""

from __future__ import annotations

import codecs
import re
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class Unreadable(Exception):
    """The file cannot be read at all; the message says why (it becomes a one-line warning)."""


OFFICE_PASSWORD = "an Office file protected by a password; save a copy without the password and index that"


def file_bytes(path: Path, data: bytes | None) -> bytes:
    """`data` when the caller already holds the document's bytes (a compressed file's contents),
    else the file's.

    Raises:
        Unreadable: the file cannot be read.
    """
    if data is not None:
        return data
    try:
        return path.read_bytes()
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from error


@dataclass(frozen=True)
class Block:
    """One paragraph-like unit of a document, where a reader finds it in the original.

    page: 1-based page (PDF only). heading: the nearest heading above the block, if any.
    span: (start, end) offsets in ReadResult.source, for formats whose text is the file itself.
    lines: the (first, last) 1-based lines of the file the block was read from, for a format whose
    text is extracted but whose blocks know their lines (reStructuredText).
    """

    text: str
    page: int | None = None
    heading: str | None = None
    kind: str = "paragraph"
    span: tuple[int, int] | None = None
    lines: tuple[int, int] | None = None


@dataclass(frozen=True)
class ReadResult:
    """A document's blocks in reading order.

    source: the decoded file when blocks are spans of it (Markdown); None when the text is
    extracted (PDF, HTML, DOCX), in which case the document's text is its blocks joined.
    """

    format: str
    blocks: tuple[Block, ...]
    warnings: tuple[str, ...] = ()
    source: str | None = None


def small_int(value: str | None, default: int, limit: int = 100_000) -> int:
    """An attribute's number ("3", "-2"), or default when it is none, malformed ("--2", "²") or
    beyond ±limit: a document's bad markup never stops its reading."""
    text = (value or "").strip()
    if re.fullmatch(r"-?[0-9]{1,9}", text) and abs(int(text)) <= limit:
        return int(text)
    return default


# The most a container's part (a slide, content.xml, a chapter) may unpack to: more than any real
# document's (its parsed tree takes ~10 times as much); a larger one is a zip bomb.
MAX_PART_BYTES = 64 * 1024 * 1024


def xml_parser(huge_tree: bool = True) -> Any:
    """An lxml parser that fetches and expands nothing outside the document (no entities, DTDs or
    network): the one every container reader parses its parts with."""
    from lxml import etree

    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=huge_tree)


# What unpacking a zip's part may raise besides KeyError (no such part): a cut or corrupt file, a
# password, a compression method Python lacks.
ZIP_FAILURES = (zipfile.BadZipFile, OSError, EOFError, zlib.error, RuntimeError, NotImplementedError)


def zip_part(archive: zipfile.ZipFile, name: str, limit: int, label: str, kind: str, fix: str) -> bytes:
    """A zip's part, refused when it would unpack to more than `limit` bytes (a zip bomb).

    Raises:
        KeyError: no such part. Unreadable: too large ("{label}{name} unpacks to N bytes, too large
        to be {kind}; {fix}"). One of ZIP_FAILURES: it cannot be unpacked.
    """
    info = archive.getinfo(name)
    if info.file_size > limit:
        raise Unreadable(f"{label}{name} unpacks to {info.file_size:,} bytes, too large to be {kind}; {fix}")
    return archive.read(info)


class DamagedPart(ValueError):
    """A container's part that cannot be parsed, its message already in words (zip_failure)."""


def zip_failure(error: Exception) -> str:
    """Why a zip container (DOCX, PowerPoint, EPUB, OpenDocument) or one of its parts could not be
    read, in words: zlib, zipfile and lxml name it tersely, in their own terms."""
    if isinstance(error, DamagedPart):
        return str(error)
    if isinstance(error, zlib.error):
        return "corrupt compressed data"
    if isinstance(error, RuntimeError) and "password" in str(error):
        return "a password-protected zip part"
    if isinstance(error, NotImplementedError):
        return "a compression method Python cannot unpack"
    message = str(error.args[0]) if isinstance(error, KeyError) and error.args else str(error)
    missing = _MISSING_PART.fullmatch(message)
    if isinstance(error, KeyError) and missing:
        return f"its part {missing.group(1)} is missing"
    corrupt = _BAD_CHECKSUM.fullmatch(message)
    if isinstance(error, zipfile.BadZipFile) and corrupt:
        return f"its part {corrupt.group(1)} is corrupt: its checksum does not match"
    if isinstance(error, zipfile.BadZipFile) or type(error).__name__ == "PackageNotFoundError":  # python-docx's
        return "not a whole zip archive, which such a file must be: cut short, or another kind of file renamed"
    if isinstance(error, EOFError):
        return "the file ends early: cut short"
    if type(error).__name__ == "XMLSyntaxError":
        line, column = getattr(error, "position", None) or (getattr(error, "lineno", 0), 0)
        return f"damaged XML at line {line}, column {column}"
    return f"{type(error).__name__}: {error}"


_MISSING_PART = re.compile(r"There is no item named '(.+)' in the archive")
_BAD_CHECKSUM = re.compile(r"Bad CRC-32 for file '(.+)'")


_SURROGATE = re.compile("[\ud800-\udfff]")


def without_surrogates(text: str) -> str:
    """Text with each lone surrogate (a decoder's escape for a byte it could not read, as the email
    package's and UTF-7's) as U+FFFD: it cannot be written as UTF-8, and hashing or printing it failed."""
    return _SURROGATE.sub("\ufffd", text)


_BLANK_LINE = re.compile(r"\n[ \t]*\n")


def blank_line_paragraphs(text: str) -> list[str]:
    """The runs of lines between blank lines, without the line breaks around them (a mail's body,
    a notebook's raw cell: text with no markup of its own)."""
    return [part.strip("\n") for part in _BLANK_LINE.split(text) if part.strip()]


def one_line(text: str) -> str:
    """Whitespace runs collapsed to single spaces: the normal form of an extracted block."""
    return " ".join(text.split())


def without_empty_last_columns(rows: list[list[str]]) -> list[list[str]]:
    """A table's rows of cell texts cut after the last column with text in some row: a
    spreadsheet's paste pads every row with empty cells, and a column empty in every row says
    nothing; an empty cell before it, or in a column other rows fill, keeps its place."""
    width = max((column + 1 for row in rows for column, text in enumerate(row) if text), default=0)
    return [row[:width] for row in rows]


def without_trailing_empty_cells(row: list[str]) -> list[str]:
    """A row of cell texts ending at its last cell with text: a sheet's or a CSV file's row ends
    where its values do ("North | 1200", not "North | 1200 | |" under a wider header)."""
    end = len(row)
    while end and not row[end - 1]:
        end -= 1
    return row[:end]


def table_lines(rows: list[list[str]]) -> list[str]:
    """Each row with text "cell | cell", without the columns empty in every row at the end."""
    return [one_line(" | ".join(row)) for row in without_empty_last_columns(rows) if any(row)]


_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))  # UTF-32 LE's opens like UTF-16 LE's
ENCODING_NAMES = {"cp1252": "Windows-1252", "latin-1": "Latin-1",  # the fallbacks, named in warnings
                  "utf-8 and cp1252 lines": "UTF-8 and Windows-1252, line by line",
                  "utf-8 and latin-1 lines": "UTF-8 and Latin-1, line by line"}
_C1_BYTES = re.compile(rb"[\x80-\x9f]")


def decode_bytes(data: bytes) -> tuple[str, str]:
    """The text and the encoding used, with its line breaks and NULs made plain (see _plain)."""
    text, encoding = _decoded(data)
    return _plain(text), encoding


_LONE_CARRIAGE_RETURN = re.compile(r"\r(?!\n)")


def _plain(text: str) -> str:
    """A lone carriage return (classic Mac OS line ends) as a line feed, and a NUL as a space: each
    is one character for one, so offsets into the text still point into the file. Every paragraph
    rule splits at line feeds, so a file of CR-only lines was one paragraph."""
    if "\r" in text:
        text = _LONE_CARRIAGE_RETURN.sub("\n", text)
    return text.replace("\x00", " ")


def _decoded(data: bytes) -> tuple[str, str]:
    """The text and the encoding used: the one its byte order mark names, else UTF-8 (with stray
    invalid bytes replaced when most of its non-ASCII text is valid UTF-8), else UTF-8 and Western
    lines each in its own (see _utf8_and_western_lines), else a single-byte code page, so a stray
    byte never loses a file (see _single_byte)."""
    for bom, encoding in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(encoding), encoding
            except UnicodeDecodeError:
                break
    utf16 = _utf16_without_bom(data) if b"\x00" in data[:8192] else None
    if utf16 is not None:
        try:
            return data.decode(utf16), utf16
        except UnicodeDecodeError:
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    text = data.decode("utf-8", errors="replace")
    if _valid_utf8_characters(text, data) >= UTF8_DOMINANCE * _stray_bytes(text, data):
        return text, UTF8_REPAIRED  # UTF-8 text with a few stray bytes: a code page would garble the rest
    if single_byte_western(data):
        return _single_byte(data)
    return _utf8_and_western_lines(data) or _detected(data) or _single_byte(data)


def _utf8_and_western_lines(data: bytes) -> tuple[str, str] | None:
    """A file of UTF-8 lines and Windows-1252 or Latin-1 lines (text pasted or appended from
    another file), each line in its own: when some line holds UTF-8 beyond ASCII and every line
    that is not UTF-8 reads as Western single-byte text (see single_byte_western). Its UTF-8 runs
    of high bytes are what keep the whole file from reading as Western, and charset-normalizer
    took two such lines for Nordic ISO-8859-10 ("CafÃĐ"). None for any other file: the lines of
    a Cyrillic or CJK code page write their letters in runs of high bytes."""
    lines: list[tuple[bytes, str | None]] = []  # each line, and its text when it is UTF-8
    for line in data.splitlines(keepends=True):
        try:
            lines.append((line, line.decode("utf-8")))
        except UnicodeDecodeError:
            if not single_byte_western(line):
                return None
            lines.append((line, None))
    if all(text is None or text.isascii() for _, text in lines):
        return None
    encoding = _single_byte(b"".join(line for line, text in lines if text is None))[1]
    text = "".join(line.decode(encoding) if text is None else text for line, text in lines).removeprefix("\ufeff")
    return text, UTF8_AND_WESTERN[encoding]


def _detected(data: bytes) -> tuple[str, str] | None:
    """Text in the encoding charset-normalizer finds (a Cyrillic, Greek, Japanese or Chinese code
    page: letters written in runs of high bytes, which Windows-1252 would garble), when it finds
    one it trusts; charset-normalizer comes with trafilatura and guesses the same for HTML."""
    from charset_normalizer import from_bytes

    best = from_bytes(data[:DETECTION_BYTES]).best()
    if (best is None or best.encoding in ("ascii", "utf_8") or best.chaos > MAX_CHAOS
            or best.coherence < MIN_COHERENCE or best.language in _WINDOWS_1252_LANGUAGES):
        return None  # a short text's guess is no better than chance; Western text is Windows-1252's
    try:
        return data.decode(best.encoding), best.encoding
    except (UnicodeDecodeError, LookupError):
        return None


DETECTION_BYTES = 1 << 20  # a sample: detection takes time in proportion
MAX_CHAOS = 0.2  # charset-normalizer's mess ratio of its best guess, above which it is a guess too far
# Its language coherence, below which the guess is not trusted: 0 for a sentence or two of
# KOI8-R (taken for Windows-1255 Hebrew) or GB18030 (for Korean), 0.14 for two lines of Shift-JIS.
MIN_COHERENCE = 0.1
_WINDOWS_1252_LANGUAGES = {"English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch", "Danish",
                           "Swedish", "Norwegian", "Finnish", "Icelandic", "Catalan", "Indonesian", "Malay"}


UTF8_REPAIRED = "utf-8, stray bytes replaced"
UTF8_AND_WESTERN = {"cp1252": "utf-8 and cp1252 lines", "latin-1": "utf-8 and latin-1 lines"}
UTF8_DOMINANCE = 4  # valid UTF-8 characters needed for each stray byte


def _stray_bytes(text: str, data: bytes) -> int:
    """The replacement characters decoding put in (not those the file held)."""
    return text.count("\ufffd") - data.count("\ufffd".encode())


def _valid_utf8_characters(text: str, data: bytes) -> int:
    """Characters beyond ASCII that decoded (a U+FFFD the file held among them): a code page's text
    forms one now and then ("„G" is a valid pair), never as many as its stray bytes."""
    return sum(ord(c) > 0x7F and c != "\ufffd" for c in text) + data.count("\ufffd".encode())


_HIGH_BYTE_RUN = re.compile(rb"[\x80-\xff]+")


def single_byte_western(data: bytes) -> bool:
    """Most bytes above ASCII stand alone, between ASCII letters: Windows-1252 text ("ni\xf1os"),
    which trafilatura took for Windows-1250 or Windows-1251; the CJK and Cyrillic encodings it
    guesses well write their letters in runs of such bytes."""
    if b"\x00" in data[:8192]:
        return False  # UTF-16
    runs = _HIGH_BYTE_RUN.findall(data)
    return bool(runs) and sum(len(run) == 1 for run in runs) >= 0.9 * len(runs)


def _single_byte(data: bytes) -> tuple[str, str]:
    """Windows-1252 when the file has bytes 0x80-0x9F and it defines them all: there it puts the
    € ’ « » — of Windows text, which Latin-1 would read as invisible control characters. Else
    Latin-1, which decodes anything (the two agree on every other byte)."""
    if _C1_BYTES.search(data):
        try:
            return data.decode("cp1252"), "cp1252"
        except UnicodeDecodeError:
            pass
    return data.decode("latin-1"), "latin-1"


def is_binary(head: bytes) -> bool:
    """NULs in the first 8 KB, as binaries have and text does not (UTF-16 with a BOM, or without
    one but plainly so, aside; and text with a stray NUL or two, see _text_with_stray_nuls)."""
    return (b"\x00" in head[:8192] and not head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
            and _utf16_without_bom(head) is None and not _text_with_stray_nuls(head[:8192]))


_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0e-\x1a\x1c-\x1f\x7f]")
STRAY_NULS = 4  # at most this many NULs in a text's first 8 KB
CONTROL_SHARE = 0.05  # text, in any encoding but UTF-16 and UTF-32, has next to no control bytes


def looks_binary(head: bytes) -> bool:
    """is_binary, or many_control_bytes: random or compressed data has a NUL in none of its first
    8 KB now and then."""
    return is_binary(head) or many_control_bytes(head)


def many_control_bytes(head: bytes) -> bool:
    """Control bytes (not tab, line ends, form feed or escape) in more than 1 of 20 of the first
    8 KB, and more than STRAY_NULS: random or compressed data holds them in 1 of 10, text next to
    none, so a line or two of them is still text. UTF-16 with a byte order mark, or plainly so
    without one, is text."""
    sample = head[:8192]
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)) or _utf16_without_bom(sample):
        return False
    return len(_CONTROL_BYTES.findall(sample)) > max(STRAY_NULS, CONTROL_SHARE * len(sample))


def _text_with_stray_nuls(sample: bytes) -> bool:
    """A text a tool left a NUL or two in (a truncated write, a copy from a terminal): binaries
    hold NULs by the dozen or control bytes in every few hundred (an ELF or SQLite header, a
    PNG's chunk lengths, compressed data), so a sample with a few NULs and no other control byte
    is read as text."""
    nuls = sample.count(0)
    return nuls <= STRAY_NULS and len(_CONTROL_BYTES.findall(sample)) == nuls


def _utf16_without_bom(head: bytes) -> str | None:
    """'utf-16-le' or 'utf-16-be' when the first 8 KB read as UTF-16 text of a Latin-script
    language without a byte order mark (every other byte NUL, the others mostly printable), else None."""
    sample = head[:8192]
    sample = sample[: len(sample) - len(sample) % 2]
    if len(sample) < 8:
        return None
    for encoding, zeros, chars in (("utf-16-le", sample[1::2], sample[0::2]), ("utf-16-be", sample[0::2], sample[1::2])):
        if zeros.count(0) >= 0.9 * len(zeros) and sum(32 <= c < 127 or c in (9, 10, 13) for c in chars) >= 0.9 * len(chars):
            return encoding
    return None


def decode_text(data: bytes, name: str, warnings: list[str]) -> str | None:
    """Decoded text (Windows-1252 or Latin-1 as a fallback, with a warning naming the one used);
    None with a warning for binary or empty."""
    if is_binary(data):
        warnings.append(f"skipped {name}: binary file")
        return None
    text, encoding = decode_bytes(data)
    if b"\x00" in data and not encoding.startswith(("utf-16", "utf-32")):
        nuls = data.count(0)
        warnings.append(f"read {name} with {nuls} NUL byte{'s' if nuls > 1 else ''} shown as space{'s' if nuls > 1 else ''}")
    if encoding in ENCODING_NAMES:
        warnings.append(f"decoded {name} as {ENCODING_NAMES[encoding]}: it is not valid UTF-8 (if its text reads wrong, "
                        "save it as UTF-8)")
    elif encoding not in (UTF8_REPAIRED, "utf-8", "utf-8-sig") and not encoding.startswith(("utf-16", "utf-32")):
        warnings.append(f"decoded {name} as {encoding} (detected): it is not valid UTF-8 (if its text reads wrong, "
                        "save it as UTF-8)")
    elif encoding == UTF8_REPAIRED:
        warnings.append(f"decoded {name} as UTF-8 with {_stray_bytes(text, data)} invalid byte sequence(s) "
                        "shown as \ufffd: re-save it as UTF-8 to fix them")
    if not text.strip():
        warnings.append(f"skipped {name}: {'empty file' if not text else 'only blank space'}")
        return None
    return text


def with_speaker_notes(blocks: list[Block], notes: list[Block], title: str | None) -> list[Block]:
    """A slide's blocks, then its speaker notes under a heading of their own, "TITLE (speaker
    notes)" ("Speaker notes" on a slide with no title), so a citation and `rag extract` say where
    they are; shared by the PowerPoint and Impress readers."""
    if not notes:
        return blocks
    heading = f"{title} (speaker notes)" if title else "Speaker notes"
    return [*blocks, Block(heading, notes[0].page, heading, "heading"),
            *(Block(block.text, block.page, heading, block.kind) for block in notes)]


class DamagedParts:
    """The parts of a container left out as damaged or missing, by what they are ("slide", "chart
    on slide") with the numbers of where they stand, for the one warning that names them all
    (shared by the PowerPoint and OpenDocument readers, which read the rest of the file)."""

    def __init__(self) -> None:
        self._numbers: dict[str, list[int]] = {}

    def add(self, what: str, number: int) -> None:
        self._numbers.setdefault(what, []).append(number)

    def __bool__(self) -> bool:
        return bool(self._numbers)

    def __str__(self) -> str:
        """"slides 3-5; speaker notes of slide 2": the last word plural where it counts several."""
        return "; ".join(f"{what + 's' if len(set(numbers)) > 1 else what} {number_ranges(sorted(set(numbers)))}"
                         for what, numbers in self._numbers.items())

    def warnings(self, name: str, whole: str) -> tuple[str, ...]:
        """The file's warning ("deck.pptx: left out, damaged: chart on slide 3; the rest of the
        deck is indexed"), or none when nothing was left out."""
        return (f"{name}: left out, damaged: {self}; the rest of the {whole} is indexed",) if self else ()


def number_ranges(numbers: list[int]) -> str:
    """[1, 2, 3, 7] -> "1-3, 7"."""
    parts = []
    start = previous = numbers[0]
    for number in numbers[1:] + [None]:  # type: ignore[list-item]
        if number is not None and number == previous + 1:
            previous = number
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if number is not None:
            start = previous = number
    return ", ".join(parts)
