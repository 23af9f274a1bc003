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


def test_an_odd_sender_a_utf7_body_and_8bit_text_without_a_charset_read_without_losing_the_mailbox(tmp_path: Path) -> None:
    odd = b"From: . <user@example.com>\nSubject: Odd sender\n\nThe list moved to a new server.\n"
    utf7 = (b"From: a@b\nSubject: Seven\nContent-Type: text/plain; charset=\"UTF-7\"\n\n"
            b"Thanks +2D0- and +AD4 quoted.\nThe vote passed.\n")
    eight_bit = "From: Björn <b@example.org>\nSubject: Gruss\n\nGrüße aus Köln.\n".encode()
    latin = "From: c@d\nSubject: Latin\n\nGrüße aus Köln.\n".encode("latin-1")
    path = tmp_path / "odd.mbox"
    path.write_bytes(b"".join(b"From x@y Mon Jun  3 10:00:00 2024\n" + m + b"\n" for m in (odd, utf7, eight_bit, latin)))
    read = readers.read(path)
    assert read.warnings == ()
    texts = [b.text for b in read.blocks]
    assert "The list moved to a new server." in texts and read.blocks[0].heading == "Odd sender (. <user@example.com>)"
    assert all("\ud800" > ch or ch > "\udfff" for text in texts for ch in text)  # no lone surrogate
    assert "The vote passed." in "\n".join(texts)
    assert texts.count("Grüße aus Köln.") == 2


def test_a_message_the_email_package_fails_on_is_left_out_with_a_warning_and_the_rest_read(
        tmp_path: Path, monkeypatch) -> None:
    import rag.readers.mail as mail

    real = mail._body

    def failing(message, path, name):  # type: ignore[no-untyped-def]
        if "boom" in str(message["Subject"]):
            raise AttributeError("'str' object has no attribute 'token_type'")
        return real(message, path, name)

    monkeypatch.setattr(mail, "_body", failing)
    path = mbox_of(tmp_path / "box.mbox", message("a@b", "boom", "x"), html_only())
    read = readers.read(path)
    assert read.warnings == ("box.mbox: message 1 left out, the email package cannot read it (AttributeError: 'str' "
                             "object has no attribute 'token_type'); the rest is read",)
    assert {b.page for b in read.blocks} == {2}


def test_a_stub_plain_part_gives_way_to_its_html_and_an_html_reply_leaves_out_what_it_quotes(tmp_path: Path) -> None:
    stub = message("news@pycon.example", "Schedule", "This is an HTML e-mail. Please use an HTML capable mail program.")
    stub.add_alternative("<html><body><h1>The schedule is online</h1><p>The keynote on 22 April is given by "
                         "Dr. Lena Vogt. Doors open at 08:00.</p></body></html>", subtype="html")
    reply = message("carolina@tidewater.dev", "Re: Logo", "<html><body><div>The blue wave won, 41 of 63 votes.</div>"
                    "<div class='gmail_quote'><div>On Wed, 27 Mar 2024 at 11:00, Bob wrote:</div><blockquote>Who won "
                    "the logo contest?</blockquote></div></body></html>", "html")
    (tmp_path / "stub.eml").write_bytes(bytes(stub))
    (tmp_path / "reply.eml").write_bytes(bytes(reply))
    assert [b.text for b in readers.read(tmp_path / "stub.eml").blocks][1:] == [
        "The schedule is online", "The keynote on 22 April is given by Dr. Lena Vogt. Doors open at 08:00."]
    assert [b.text for b in readers.read(tmp_path / "reply.eml").blocks][1:] == ["The blue wave won, 41 of 63 votes."]


def test_a_message_forwarded_as_an_attachment_is_read_inline_after_the_one_forwarding_it(tmp_path: Path) -> None:
    forwarding = message("Alice <alice@tidewater.dev>", "Fwd: Your talk was accepted", "See the attached message.")
    forwarding.add_attachment(message("program@pycon.example", "Your talk was accepted",
                                      "Slot: Tuesday 23 April, 11:30, room B07."))
    (tmp_path / "fwd.eml").write_bytes(bytes(forwarding))
    read = readers.read(tmp_path / "fwd.eml")
    assert [(b.kind, b.text) for b in read.blocks][1:] == [
        ("paragraph", "See the attached message."),
        ("lead_in", "Forwarded message:\nFrom: program@pycon.example\nSubject: Your talk was accepted"),
        ("paragraph", "Slot: Tuesday 23 April, 11:30, room B07."),
    ]
    assert {b.heading for b in read.blocks} == {"Fwd: Your talk was accepted (Alice)"}
