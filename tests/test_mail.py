"""E-mail read by rag.readers.mail: messages as a mail program shows them, not their MIME source."""

from __future__ import annotations

import mailbox
from email.message import EmailMessage
from pathlib import Path

from typer.testing import CliRunner

from rag import readers
from rag.chunking import chunk_document
from rag.cli import app
from rag.config import ChunkSettings
from rag.corpus import is_document, read_document
from rag.pipeline import hit_passage
from rag.render import location
from rag.retrieval import Hit

runner = CliRunner()

REPLY = """\
Hello all,

The dredging contract went to Marlow Dredging for 3.2 million pounds.
Work starts on 1 July.

On Mon, 3 Jun 2024 at 18:00, Bob Stone <bob@harbour.example>
wrote:
> Who won the dredging tender?
> We need to know by Friday.

Best,
Åsa
"""


def contract() -> EmailMessage:
    message = EmailMessage()
    message["From"] = "Åsa Lind <asa@harbour.example>"
    message["To"] = "Port board <board@harbour.example>"
    message["Subject"] = "Dredging contract: décision"
    message["Date"] = "Tue, 04 Jun 2024 09:12:00 +0200"
    message.set_content(REPLY, charset="utf-8", cte="quoted-printable")
    message.add_alternative("<html><body><p>Hello all, in HTML.</p></body></html>", subtype="html")
    message.add_attachment(b"%PDF-1.4", maintype="application", subtype="pdf", filename="contract.pdf")
    return message


def message(sender: str, subject: str, body: str, subtype: str = "plain") -> EmailMessage:
    written = EmailMessage()
    written["From"], written["Subject"] = sender, subject
    written.set_content(body, subtype=subtype)
    return written


def html_only() -> EmailMessage:
    return message("office@harbour.example", "=?utf-8?b?w4VyZXQ=?= report",
                   "<html><body><h1>Annual report</h1><p>Traffic rose by 12 percent to 4,100 ships.</p></body></html>",
                   "html")


def outlook_reply() -> EmailMessage:
    return message("Bob Stone <bob@harbour.example>", "RE: Dredging contract",
                   "Thanks. I will ask earlier next time.\n\nFrom the archive: nothing new.\n\n"
                   "-----Original Message-----\nFrom: Åsa Lind\nSent: Tuesday\n\nThe dredging contract went to Marlow.\n")


def mbox_of(path: Path, *messages: EmailMessage) -> Path:
    box = mailbox.mbox(path)
    for message in messages:
        box.add(message)
    box.flush()
    box.close()
    return path


def test_a_message_reads_as_its_header_lines_and_own_words_under_its_subject(tmp_path: Path) -> None:
    path = tmp_path / "contract.eml"
    path.write_bytes(bytes(contract()))
    read = readers.read(path)
    assert read.format == "email" and read.warnings == ()
    assert {b.heading for b in read.blocks} == {"Dredging contract: décision (Åsa Lind, 2024-06-04)"}
    assert [(b.page, b.kind, b.text) for b in read.blocks] == [
        (None, "lead_in", "From: Åsa Lind <asa@harbour.example>\nTo: Port board <board@harbour.example>\n"
                          "Date: Tue, 04 Jun 2024 09:12:00 +0200\nSubject: Dredging contract: décision"),
        (None, "paragraph", "Hello all,"),
        (None, "paragraph", "The dredging contract went to Marlow Dredging for 3.2 million pounds.\nWork starts on 1 July."),
        (None, "paragraph", "Best,\nÅsa"),
        (None, "paragraph", "Attached: contract.pdf"),
    ]


def test_a_message_with_only_html_is_read_by_the_html_reader_and_its_subject_decoded(tmp_path: Path) -> None:
    path = tmp_path / "report.eml"
    path.write_bytes(bytes(html_only()))
    assert [(b.heading, b.text) for b in readers.read(path).blocks] == [
        ("Året report (office@harbour.example)", "From: office@harbour.example\nSubject: Året report"),
        ("Året report (office@harbour.example)", "Annual report"),
        ("Året report (office@harbour.example)", "Traffic rose by 12 percent to 4,100 ships."),
    ]


def test_an_outlook_reply_leaves_out_the_original_message_below_its_separator(tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    path.write_bytes(bytes(outlook_reply()))
    assert [b.text for b in readers.read(path).blocks][1:] == [
        "Thanks. I will ask earlier next time.", "From the archive: nothing new."]


def test_a_mailbox_reads_each_message_as_a_page_and_cites_it_by_number(tmp_path: Path) -> None:
    path = mbox_of(tmp_path / "board.mbox", contract(), html_only(), outlook_reply())
    assert b"\n>From the archive" in path.read_bytes()  # escaped by the writer, restored by the reader
    assert is_document(path)
    document, warnings = read_document(tmp_path, path)
    assert document is not None and warnings == [] and document.format == "mbox"
    assert [p.page for p in document.paragraphs] == [1, 1, 1, 1, 1, 2, 2, 2, 3, 3, 3]
    assert "From the archive: nothing new." in document.text and ">From" not in document.text
    chunk = next(c for c in chunk_document(document, ChunkSettings(max_words=12, min_words=2)) if "4,100 ships" in c.text)
    assert location(hit_passage(Hit(chunk, 0.9, 0.9, 0.0))).startswith("board.mbox message 2 ¶")


def test_a_mail_programs_mailbox_without_an_extension_is_read_as_one_and_a_note_opening_with_from_is_text(
        tmp_path: Path) -> None:
    mbox_of(tmp_path / "Inbox", contract(), html_only())
    (tmp_path / "NOTES").write_text("From my desk\nI checked the tide tables.\n", encoding="utf-8")
    assert readers.detect(tmp_path / "Inbox", (tmp_path / "Inbox").read_bytes()[:1024]) == "mbox"
    assert readers.detect(tmp_path / "NOTES", (tmp_path / "NOTES").read_bytes()) == "text"
    outcome = runner.invoke(app, ["extract", str(tmp_path / "Inbox")])
    assert outcome.exit_code == 0, outcome.output
    assert "message 2 ¶3 | Traffic rose by 12 percent to 4,100 ships." in outcome.output


def test_a_part_in_an_unknown_charset_is_decoded_as_its_bytes_look(tmp_path: Path) -> None:
    path = tmp_path / "odd.eml"
    path.write_bytes(b"From: a@b\nSubject: Tides\nContent-Type: text/plain; charset=x-unknown-8\n\n"
                     b"High water at 06:12, caf\xc3\xa9 open.\n")
    assert [b.text for b in readers.read(path).blocks] == ["From: a@b\nSubject: Tides", "High water at 06:12, café open."]


def test_an_mbox_file_without_messages_is_skipped_saying_what_an_mbox_holds(tmp_path: Path) -> None:
    (tmp_path / "empty.mbox").write_text("These are not messages.\n", encoding="utf-8")
    document, warnings = read_document(tmp_path, tmp_path / "empty.mbox")
    assert document is None
    assert warnings == ['skipped empty.mbox: no message in the mailbox (an mbox file opens each message with a '
                        '"From " line, then its header)']


def test_an_outlook_msg_file_named_eml_is_named_for_what_it_is(tmp_path: Path) -> None:
    header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600)
    (tmp_path / "saved.eml").write_bytes(header + "__substg1.0_0037001F".encode("utf-16-le") + bytes(100))
    assert readers.read(tmp_path / "saved.eml").warnings == (
        "skipped saved.eml: an Outlook message (.msg), which rag does not read; save it from Outlook as .eml (or "
        "drag it to a folder from a mail program that writes .eml) and index that",)


def test_each_passage_of_a_thread_holds_one_message_and_opens_with_who_wrote_it(tmp_path: Path) -> None:
    first = message("Bob Stone <bob@harbour.example>", "Re: Budget", "Agreed, the budget is fine.")
    second = message("Carla Diaz <carla@harbour.example>", "Re: Budget", "I object: the dredging line is too low.")
    first["Date"], second["Date"] = "Wed, 05 Jun 2024 11:00:00 +0000", "Thu, 06 Jun 2024 08:30:00 +0000"
    path = mbox_of(tmp_path / "thread.mbox", first, second)
    document, _ = read_document(tmp_path, path)
    assert document is not None
    chunks = chunk_document(document, ChunkSettings())
    assert [(c.page, c.heading, c.text.splitlines()[0]) for c in chunks] == [
        (1, "Re: Budget (Bob Stone, 2024-06-05)", "From: Bob Stone <bob@harbour.example>"),
        (2, "Re: Budget (Carla Diaz, 2024-06-06)", "From: Carla Diaz <carla@harbour.example>"),
    ]
    assert chunks[1].text.endswith("I object: the dredging line is too low.")
