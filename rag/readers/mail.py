"""E-mail: one message (.eml) or a mailbox of them (.mbox, and a mail program's mbox file with no
extension, "Inbox"), read as the mail program shows them, not as their MIME source.

A message is its header lines (From, To, Cc, Date, Subject, decoded from their RFC 2047 words),
then its text: the plain-text body, or the HTML one through the HTML reader when it has no plain
text; base64 and quoted-printable are decoded with the charset the message names. Its subject, with
its sender and day, heads its paragraphs, and its header lines lead into its first paragraph (a
passage of the header alone would not say what was written). What a reply quotes (its "> " lines,
the "On ... wrote:" line before them, and an Outlook reply's "-----Original Message-----" and all
below) is left out, being the earlier message, which a mailbox holds already. Attachments are named in one line ("Attached: report.pdf,
photo.jpg"), not read. In a mailbox each message is a page, cited `list.mbox message 12 ¶3`.
"""

from __future__ import annotations

import email.header
import email.policy
import email.utils
import mmap
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from email.message import EmailMessage
from email.parser import BytesParser
from pathlib import Path
from typing import cast

from rag.readers.base import (
    Block, ReadResult, Unreadable, blank_line_paragraphs, decode_bytes, file_bytes, without_surrogates,
)

NO_MESSAGE = "no message in the mailbox (an mbox file opens each message with a \"From \" line, then its header)"
HEADERS = ("From", "To", "Cc", "Date", "Subject")
STUB_WORDS = 40  # a plain part this short beside an HTML one may be only "use an HTML mail program"
MAX_FORWARDED, MAX_DEPTH = 20, 3  # messages forwarded as attachments read inline, and how deep
# Where a reply's HTML holds the message it quotes (Gmail, Apple Mail and Thunderbird).
_HTML_QUOTES = ("//div[contains(concat(' ', normalize-space(@class), ' '), ' gmail_quote ')]"
                " | //blockquote[@type='cite'] | //div[contains(@class, 'moz-cite-prefix')]")
# An mbox message opens with a "From " line (the envelope sender, then a date) at the file's start
# or after a blank line, and its header lines follow.
_ENVELOPE = re.compile(rb"(?:\A|(?<=\n\n)|(?<=\r\n\r\n))From [^\r\n]*\r?\n(?=[!-9;-~]+:)")
_HEADER_LINE = re.compile(rb"[!-9;-~]+:[ \t]")
_ESCAPED_FROM = re.compile(rb"^>(>*From )", re.MULTILINE)
_QUOTED = re.compile(r"[ \t]*>")
_ATTRIBUTION = re.compile(r"(?:On|Am|Le|El|Il|Op)\b.{4,300}(?:wrote|schrieb|a écrit|escribió|ha scritto|schreef)\s*:\s*",
                          re.IGNORECASE | re.DOTALL)
_ORIGINAL = re.compile(r"^[ \t]*(?:-{3,}[ \t]*Original Message[ \t]*-{3,}|_{20,}[ \t]*\n[ \t]*From:)", re.MULTILINE | re.IGNORECASE)


def looks_like_mbox(head: bytes) -> bool:
    """A mailbox file: a "From " envelope line, then header lines (a mail program's "Inbox", no
    extension); a note that opens with "From my desk" is text."""
    match = _ENVELOPE.match(head)
    return bool(match) and bool(_HEADER_LINE.match(head, match.end()))


def read_mail(path: Path, name: str, fmt: str, data: bytes | None = None) -> ReadResult:
    """Blocks of one message (fmt "email") or of every message of a mailbox ("mbox"), each then
    its number as the page (from `data` when given, else the file; a mailbox file is mapped, not
    read whole, so a mail export of gigabytes holds one message at a time in memory).

    Raises:
        Unreadable: no message in it holds a header or text.
    """
    warnings: list[str] = []
    if fmt != "mbox":
        try:
            blocks = _message_blocks(file_bytes(path, data), None, path, name)
        except Unreadable:
            raise
        except Exception as error:  # the email package's bug on one odd message
            raise Unreadable(f"a message the email package cannot read ({type(error).__name__}: "
                             f"{str(error)[:80]})") from error
    elif data is not None:
        blocks = _mailbox_blocks(data, path, name, warnings)
    else:
        with _mapped(path) as mapped:
            blocks = _mailbox_blocks(mapped, path, name, warnings)
    if not blocks and fmt == "mbox":  # no message, or each one left out: the first warning says why
        raise Unreadable(warnings[0].removeprefix(f"{name}: ") if warnings else NO_MESSAGE)
    if not blocks:
        raise Unreadable("no header or text in the message")
    return ReadResult(fmt, tuple(blocks), tuple(warnings))


@contextmanager
def _mapped(path: Path) -> Iterator[mmap.mmap]:
    """The file mapped into memory, read-only.

    Raises:
        Unreadable: it cannot be opened or mapped (an empty file cannot be).
    """
    try:
        handle = open(path, "rb")
    except OSError as error:
        raise Unreadable(error.strerror or str(error)) from error
    with handle:
        try:
            mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        except (OSError, ValueError) as error:
            raise Unreadable(getattr(error, "strerror", None) or str(error)) from error
        with mapped:
            yield mapped


def _mailbox_blocks(mailbox: bytes | mmap.mmap, path: Path, name: str, warnings: list[str]) -> list[Block]:
    """The blocks of each message of an mbox file, its number the page; a message the email package
    cannot read is left out with a warning naming it, the rest read."""
    blocks: list[Block] = []
    for number, message in enumerate(_mailbox_messages(mailbox), start=1):
        try:
            blocks.extend(_message_blocks(message, number, path, name))
        except Exception as error:  # the email package's bug on one odd message must not lose the mailbox
            warnings.append(f"{name}: message {number} left out, the email package cannot read it "
                            f"({type(error).__name__}: {str(error)[:80]}); the rest is read")
    return blocks


def _mailbox_messages(mailbox: bytes | mmap.mmap) -> Iterator[bytes]:
    """Each message of an mbox file in turn, without its envelope line, its escaped ">From " lines
    restored."""
    start = None
    for envelope in _ENVELOPE.finditer(mailbox):
        if start is not None:
            yield _ESCAPED_FROM.sub(rb"\1", mailbox[start : envelope.start()])
        start = envelope.end()
    if start is not None:
        yield _ESCAPED_FROM.sub(rb"\1", mailbox[start:])


def _message_blocks(raw: bytes | EmailMessage, page: int | None, path: Path, name: str, depth: int = 0) -> list[Block]:
    """A message's header lines, its text under its subject, then each message it forwards as an
    attachment (read as a mail program shows it, inline) and its other attachments' names."""
    message = raw if isinstance(raw, EmailMessage) else cast(
        EmailMessage, BytesParser(policy=email.policy.default).parsebytes(raw))
    title = _title(message)
    header = "\n".join(f"{field}: {value}" for field in HEADERS if (value := " ".join(_header(message, field).split())))
    blocks = [Block(header, page, title, "lead_in")] if header else []
    blocks.extend(Block(text, page, title, kind) for text, kind in _body(message, path, name))
    attached, forwarded = _attachments(message)
    if attached:
        blocks.append(Block("Attached: " + ", ".join(attached), page, title))
    for inner in forwarded[: MAX_FORWARDED if depth < MAX_DEPTH else 0]:
        inner_blocks = _message_blocks(inner, page, path, name, depth + 1)
        if inner_blocks:
            lead = replace(inner_blocks[0], text=f"Forwarded message:\n{inner_blocks[0].text}")
            blocks.extend(replace(b, heading=title) for b in [lead, *inner_blocks[1:]])
    return blocks


def _title(message: EmailMessage) -> str | None:
    """What heads a message's paragraphs: its subject, who sent it and the day ("Re: Dredging
    contract (Bob Stone, 2024-06-05)"), so a passage from the middle of a long message is still
    embedded and cited with its sender and date, and two replies under one subject are two sections."""
    subject = " ".join(_header(message, "Subject").split())
    sender = _sender(message)
    try:
        day = email.utils.parsedate_to_datetime(_header(message, "Date")).date().isoformat()
    except (TypeError, ValueError, IndexError, OverflowError):
        day = ""
    about = ", ".join(filter(None, (sender, day)))
    return " ".join(filter(None, (subject, f"({about})" if about else ""))) or None


def _sender(message: EmailMessage) -> str:
    """The sender's name, else address (its header as written when it cannot be parsed as one)."""
    try:
        addresses = message["From"].addresses if message["From"] is not None else ()
        first = addresses[0] if addresses else None
        return " ".join((first.display_name or first.addr_spec).split()) if first else ""
    except Exception:  # the email package's header parser fails on odd addresses ("From: . <a@b>")
        return " ".join(_header(message, "From").split())


def _header(message: EmailMessage, field: str) -> str:
    """A header's decoded value ("" when it is missing); one the email package's parser fails on
    (malformed encoded words, odd addresses, unknown charsets) decoded as written."""
    try:
        value = message.get(field)
        return without_surrogates(str(value)) if value is not None else ""
    except Exception:
        written = next((value for key, value in message.raw_items() if key.lower() == field.lower()), "")
        try:
            return without_surrogates(str(email.header.make_header(email.header.decode_header(written))))
        except Exception:
            return without_surrogates(str(written))


def _body(message: EmailMessage, path: Path, name: str) -> list[tuple[str, str]]:
    """The (text, kind) paragraphs of the message's body: its plain text without what it quotes,
    else (or when the plain text is only a stub beside its HTML, "Please use an HTML capable mail
    program") its HTML's blocks, also without what they quote (a heading of a newsletter is a
    paragraph of the message, which its subject, sender and day head)."""
    part = message.get_body(preferencelist=("plain", "html"))
    if part is None:
        return []
    if part.get_content_subtype() == "html":
        return _html_paragraphs(_content(part), path, name)
    paragraphs = [(p, "paragraph") for p in blank_line_paragraphs(_own_words(_content(part)))]
    plain_words = sum(len(text.split()) for text, _ in paragraphs)
    if plain_words < STUB_WORDS:
        html = message.get_body(preferencelist=("html",))
        shown = _html_paragraphs(_content(html), path, name) if html is not None else []
        html_words = sum(len(text.split()) for text, _ in shown)
        if html_words >= 1.5 * plain_words and html_words >= plain_words + 5:  # the plain part says less
            return shown
    return paragraphs


def _html_paragraphs(markup: str, path: Path, name: str) -> list[tuple[str, str]]:
    """An HTML body's blocks through the HTML reader, without the message it quotes."""
    from rag.readers.html import read_html

    try:
        blocks = read_html(path, name, _without_html_quotes(markup).encode("utf-8")).blocks
    except Unreadable:
        return []
    shown = [(b.text, "paragraph" if b.kind == "heading" else b.kind) for b in blocks]
    while shown and _ATTRIBUTION.fullmatch(shown[-1][0].strip()):  # "On ... wrote:" over the quote left out
        shown.pop()
    return shown


def _without_html_quotes(markup: str) -> str:
    """An HTML reply without the message it quotes: Gmail's gmail_quote, a cited blockquote
    (Apple Mail, Thunderbird) and Thunderbird's "On ... wrote:" line, Outlook's reply header and
    all after it."""
    from lxml import etree, html

    try:
        root = html.document_fromstring(markup)
    except (etree.ParserError, ValueError):
        return markup
    for element in root.xpath(_HTML_QUOTES):
        if element.getparent() is not None:
            element.getparent().remove(element)
    for element in root.xpath("//*[@id='divRplyFwdMsg' or @id='appendonsend']"):
        parent = element.getparent()
        if parent is not None:
            for later in [element, *element.itersiblings()]:
                parent.remove(later)
    return html.tostring(root, encoding="unicode")


def _content(part: EmailMessage) -> str:
    """A text part decoded with its charset; with the one the bytes look like when it names none
    (8-bit text sent as ASCII) or one that is unknown or wrong."""
    payload = part.get_payload(decode=True)
    declared = part.get_content_charset()
    if isinstance(payload, bytes) and declared in (None, "us-ascii", "ascii") and not payload.isascii():
        return decode_bytes(payload)[0].replace("\r\n", "\n")
    try:
        content = part.get_content()
    except (LookupError, UnicodeError, ValueError):
        content = None
    if not isinstance(content, str):
        content = decode_bytes(payload)[0] if isinstance(payload, bytes) else ""
    return without_surrogates(content.replace("\r\n", "\n"))


def _own_words(text: str) -> str:
    """A plain-text body without what it quotes: the "> " lines and the attribution line before
    them, and an Outlook reply's original message below its separator."""
    original = _ORIGINAL.search(text)
    if original:
        text = text[: original.start()]
    lines = text.split("\n")
    kept: list[str] = []
    for index, line in enumerate(lines):
        if _QUOTED.match(line):
            continue
        if _opens_quote(lines, index, kept):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _opens_quote(lines: list[str], index: int, kept: list[str]) -> bool:
    """Whether lines[index] ends an attribution ("On 3 June, Bob wrote:") that a quote follows; an
    attribution over two lines takes the kept line before it along."""
    following = next((line for line in lines[index + 1:] if line.strip()), "")
    if not _QUOTED.match(following) or not lines[index].rstrip().endswith(":"):
        return False
    if _ATTRIBUTION.fullmatch(lines[index].strip()):
        return True
    if kept and kept[-1].strip() and _ATTRIBUTION.fullmatch(f"{kept[-1].strip()} {lines[index].strip()}"):
        kept.pop()
        return True
    return False


def _attachments(message: EmailMessage) -> tuple[list[str], list[EmailMessage]]:
    """The attachments' file names, and the messages it forwards as attachments."""
    names: list[str] = []
    forwarded: list[EmailMessage] = []
    for part in message.iter_attachments():
        if not isinstance(part, EmailMessage):
            continue
        if part.get_content_type() == "message/rfc822":
            inner = part.get_content()
            if isinstance(inner, EmailMessage):
                forwarded.append(inner)
            continue
        filename = part.get_filename()
        if filename:
            names.append(" ".join(without_surrogates(filename).split()))
    return names, forwarded
