"""Documents kept compressed are read, cited and checked as the file inside them."""

import bz2
import gzip
import hashlib
import io
import lzma
import tarfile
from pathlib import Path

import pytest

from conftest import read_corpus
from rag import compressed
from rag.corpus import list_folder, read_document
from rag.doctor import corpus_changes


def _folder(tmp_path: Path) -> Path:
    (tmp_path / "changelog.Debian.gz").write_bytes(gzip.compress(
        b"mypkg (1.2-3) unstable; urgency=medium\n\n  * Fix the crash on empty input.\n"))
    (tmp_path / "guide.html.xz").write_bytes(lzma.compress(
        b"<html><body><h1>Guide</h1><p>The harbour opens at dawn every day of the year.</p></body></html>"))
    (tmp_path / "README.md.bz2").write_bytes(bz2.compress(b"# Ferries\n\nThe ferry leaves at nine.\n"))
    archive = io.BytesIO()
    with tarfile.open(fileobj=archive, mode="w:gz") as tar:
        tar.addfile(tarfile.TarInfo("empty.txt"), io.BytesIO(b""))
    (tmp_path / "bundle.tar.gz").write_bytes(archive.getvalue())
    (tmp_path / "photo.png.gz").write_bytes(gzip.compress(b"\x89PNG\r\n\x1a\n\x00\x00"))
    return tmp_path


def test_compressed_documents_are_read_as_the_file_inside(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    listing = list_folder(root)
    assert [p.name for p in listing.files] == ["README.md.bz2", "changelog.Debian.gz", "guide.html.xz"]
    assert listing.others == {".tar.gz": 1, ".png.gz": 1}
    corpus = read_corpus(root)
    documents = {d.path: d for d in corpus.documents}
    assert {path: d.format for path, d in documents.items()} == {
        "README.md.bz2": "markdown", "changelog.Debian.gz": "text", "guide.html.xz": "html"}
    changelog = documents["changelog.Debian.gz"]
    assert changelog.paragraph_text(changelog.paragraphs[1]) == "* Fix the crash on empty input."
    assert changelog.paragraphs[1].start_line == 3
    guide = documents["guide.html.xz"]
    assert guide.paragraph_text(guide.paragraphs[-1]) == "The harbour opens at dawn every day of the year."
    # what tells the index that the file changed is the compressed file's own hash
    assert changelog.sha256 == hashlib.sha256((root / "changelog.Debian.gz").read_bytes()).hexdigest()
    assert corpus_changes(root, {path: d.sha256 for path, d in documents.items()}) == ""


def test_broken_or_endless_compressed_files_are_skipped_with_one_line_each(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "notes.txt.gz").write_bytes(gzip.compress(b"The pier opened in 1871.\n")[:-12])
    (tmp_path / "cut.md.xz").write_bytes(lzma.compress(b"# Title\n\nBody text.\n" * 50)[:40])
    (tmp_path / "huge.txt.gz").write_bytes(gzip.compress(b"word " * 600_000))
    monkeypatch.setattr(compressed, "MAX_DECOMPRESSED_BYTES", 2 * 2**20)
    warnings = [read_document(tmp_path, path)[1] for path in list_folder(tmp_path).files]
    assert warnings[0][0].startswith("skipped cut.md.xz: not a valid .xz file (")
    assert warnings[1] == ["skipped huge.txt.gz: it expands to more than 2 MB; decompress it and split it"]
    assert warnings[2][0].startswith("skipped notes.txt.gz: not a valid .gz file (")
    assert all(w[0].endswith("decompress it to check it") for w in (warnings[0], warnings[2]))


def test_extract_reads_a_compressed_file_and_refuses_what_the_index_leaves_out(tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from rag.cli import app

    root = _folder(tmp_path)
    runner = CliRunner()
    result = runner.invoke(app, ["extract", str(root / "changelog.Debian.gz")])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[1] == "¶2 | * Fix the crash on empty input."
    result = runner.invoke(app, ["extract", str(root / "bundle.tar.gz")])
    assert result.exit_code == 1
    assert f"{root / 'bundle.tar.gz'} is not a document rag reads (.tar.gz files are left out of the index)" in result.output


def test_a_compressed_name_on_plain_text_a_docx_inside_and_a_binary_inside(tmp_path: Path) -> None:
    import zipfile

    (tmp_path / "notes.txt.gz").write_bytes(b"The pier opened in 1871.\n")
    memo = io.BytesIO()
    with zipfile.ZipFile(memo, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    (tmp_path / "memo.txt.gz").write_bytes(gzip.compress(memo.getvalue()))
    (tmp_path / "data.gz").write_bytes(gzip.compress(bytes(range(256)) * 8))
    listing = list_folder(tmp_path)
    assert [p.name for p in listing.files] == ["memo.txt.gz", "notes.txt.gz"]
    assert listing.others == {"binary without extension": 1}
    notes, warnings = read_document(tmp_path, tmp_path / "notes.txt.gz")
    assert notes is not None and notes.text == "The pier opened in 1871.\n"
    assert warnings == ["notes.txt.gz holds plain text, not .gz data: read as text (rename it to notes.txt)"]
    memo_read, warnings = read_document(tmp_path, tmp_path / "memo.txt.gz")
    assert memo_read is None and warnings[0].startswith("skipped memo.txt.gz: broken DOCX")  # read as the DOCX it is


def test_doctor_names_an_indexed_compressed_file_that_broke(tmp_path: Path) -> None:
    root = _folder(tmp_path)
    indexed = {d.path: d.sha256 for d in read_corpus(root).documents}
    (root / "guide.html.xz").write_bytes(b"\xfd7zXZ\x00 cut short")
    assert corpus_changes(root, indexed) == "1 file changed"


def test_gzip_members_are_read_in_turn_and_bytes_after_the_last_are_ignored_as_gzip_does(tmp_path: Path) -> None:
    (tmp_path / "notes.txt.gz").write_bytes(
        gzip.compress(b"The pier opened in 1871.\n\n") + gzip.compress(b"The ferry leaves at nine.\n") + b"\x00\x00junk")
    document, warnings = read_document(tmp_path, tmp_path / "notes.txt.gz")
    assert document is not None and warnings == []
    assert document.text == "The pier opened in 1871.\n\nThe ferry leaves at nine.\n"
