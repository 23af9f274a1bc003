"""Hostile and odd corpus folders: every file is indexed, skipped with a warning, or named in a
one-line error; nothing hangs or ends in a traceback."""

import json
import os
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from conftest import ScriptedGenerator, read_corpus
from rag.cli import app

runner = CliRunner()
GOOD = "Kerry and Lavrov spoke for more than nine hours in Geneva.\n"


def test_index_of_missing_or_empty_folder(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", str(tmp_path / "nope")])
    assert (result.exit_code, result.output) == (
        1, f"error: corpus folder {tmp_path / 'nope'} does not exist; pass a folder of documents (.txt, .md, .rst, .pdf, .html, .docx, .pptx, .epub, .odt, .odp, .ipynb, e-mail (.eml, .mbox), spreadsheets (.xlsx, .xls, .ods, .csv), or plain text with no extension; any of them compressed as .gz, .bz2 or .xz)\n")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "zero.txt").write_bytes(b"")
    result = runner.invoke(app, ["index", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert result.output.endswith(  # why each file read was left out, then the error (tester-s48 M7)
        f"warning: skipped zero.txt: empty file\nerror: no document in {tmp_path / 'empty'} could be read: the one "
        "file read was left out (the warnings above say why); fix or replace them, add other documents, or pass another "
        "folder\n")
    (tmp_path / "empty" / "zero.txt").unlink()
    result = runner.invoke(app, ["index", str(tmp_path / "empty")])
    assert result.exit_code == 1
    assert result.output.endswith(f"error: no readable documents (.txt, .md, .rst, .pdf, .html, .docx, .pptx, .epub, .odt, .odp, .ipynb, e-mail (.eml, .mbox), spreadsheets (.xlsx, .xls, .ods, .csv), or plain text with no extension; any of them compressed as .gz, .bz2 or .xz) in {tmp_path / 'empty'}; add some or pass another folder\n")


def test_encodings_and_odd_files(tmp_path: Path) -> None:
    (tmp_path / "zero.txt").write_bytes(b"")
    (tmp_path / "image.txt").write_bytes(bytes(range(256)) * 4)
    (tmp_path / "latin.txt").write_bytes("Genève, café\n".encode("latin-1"))
    (tmp_path / "utf16.txt").write_text("Genève talks\n\nSecond paragraph\n", encoding="utf-16")
    (tmp_path / "bom.md").write_bytes("\ufeffHeading line\n".encode("utf-8"))
    corpus = read_corpus(tmp_path)
    texts = {d.path: d.text for d in corpus.documents}
    assert texts == {
        "bom.md": "Heading line\n",
        "latin.txt": "Genève, café\n",
        "utf16.txt": "Genève talks\n\nSecond paragraph\n",
    }
    assert [p.start_line for p in next(d for d in corpus.documents if d.path == "utf16.txt").paragraphs] == [1, 3]
    assert sorted(corpus.warnings) == [
        "decoded latin.txt as Latin-1: it is not valid UTF-8 (if its text reads wrong, save it as UTF-8)",
        "skipped image.txt: binary file",
        "skipped zero.txt: empty file",
    ]


def test_names_with_spaces_and_non_ascii_are_indexed_and_cited(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    corpus = tmp_path / "my docs"
    (corpus / "sous dossier").mkdir(parents=True)
    (corpus / "sous dossier" / "Genève notes é.txt").write_text(GOOD, encoding="utf-8")
    (corpus / "日本語.md").write_text("東京の会議は二時間続いた。\n", encoding="utf-8")
    result = runner.invoke(app, ["index", str(corpus)])
    assert result.exit_code == 0, result.output
    assert "Indexed 2 files" in result.output
    result = runner.invoke(app, ["search", "nine hours Geneva", "--k", "1"])
    assert result.output.startswith("1. sous dossier/Genève notes é.txt ¶1 (line 1)")


def test_symlink_loops_do_not_hang(tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(GOOD)
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "loop").symlink_to(tmp_path, target_is_directory=True)
    (tmp_path / "self.txt").symlink_to(tmp_path / "self.txt")
    (tmp_path / "a.txt").symlink_to(tmp_path / "b.txt")
    (tmp_path / "b.txt").symlink_to(tmp_path / "a.txt")
    started = time.perf_counter()
    corpus = read_corpus(tmp_path)
    assert time.perf_counter() - started < 10
    assert [d.path for d in corpus.documents] == ["real.txt"]
    from rag.corpus import list_folder

    note = list_folder(tmp_path).links_note()
    assert note is not None and note.startswith("not followed: a.txt, b.txt, self.txt, sub/loop/ (symbolic links to folders")


def test_a_pipe_in_the_folder_is_named_not_read(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    (tmp_path / "real.txt").write_text(GOOD)
    os.mkfifo(tmp_path / "fifo.txt")
    result = runner.invoke(app, ["index", str(tmp_path), "--index", str(tmp_path / ".idx")])
    assert result.exit_code == 0 and "Indexed 1 file" in result.output
    assert ("warning: not indexed: fifo.txt (a pipe, socket or device, not a file); copy what it holds into a file "
            "to index it") in result.output


def test_a_newline_in_a_file_name_keeps_each_listing_line_whole(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    (tmp_path / "two\nlines.txt").write_text(GOOD)
    index = str(tmp_path / ".idx")
    result = runner.invoke(app, ["index", str(tmp_path), "--index", index, "--dry-run"])
    assert "  added two␊lines.txt\n" in result.output
    result = runner.invoke(app, ["index", str(tmp_path), "--index", index])
    assert "  two␊lines.txt  [text]  1 passage\n" in result.output
    result = runner.invoke(app, ["search", "nine hours Geneva", "--index", index, "--k", "1"])
    assert result.output.startswith("1. two␊lines.txt ¶1 (line 1)")
    result = runner.invoke(app, ["search", "nine hours Geneva", "--index", index, "--k", "1", "--json"])
    assert json.loads(result.output)[0]["file"] == "two\nlines.txt"


def test_unreadable_file_is_skipped_with_a_warning(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    (tmp_path / "good.txt").write_text(GOOD)
    secret = tmp_path / "secret.txt"
    secret.write_text(GOOD)
    secret.chmod(0)
    corpus = read_corpus(tmp_path)
    assert [d.path for d in corpus.documents] == ["good.txt"]
    assert corpus.warnings == ("skipped secret.txt: Permission denied",)


def test_file_vanishing_while_indexing_is_skipped(fake_models: ScriptedGenerator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.corpus

    (tmp_path / "stays.txt").write_text(GOOD)
    (tmp_path / "goes.txt").write_text(GOOD)
    listed = rag.corpus.list_folder

    def list_then_delete(root: Path, text_suffixes: object = ()) -> rag.corpus.FolderListing:
        listing = listed(root, text_suffixes)  # type: ignore[arg-type]
        (root / "goes.txt").unlink()  # deleted between the listing and the read
        return listing

    monkeypatch.setattr("rag.indexing.list_folder", list_then_delete)
    result = runner.invoke(app, ["index", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "warning: skipped goes.txt: No such file or directory" in result.output
    assert "Indexed 1 file" in result.output


def test_a_50_mb_file(tmp_path: Path) -> None:
    paragraph = "Kerry and Lavrov met again in Geneva to talk about a ceasefire in Syria for many hours. " * 5
    block = (paragraph + "\n\n").encode()
    (tmp_path / "big.txt").write_bytes(block * (50 * 2**20 // len(block)))
    started = time.perf_counter()
    corpus = read_corpus(tmp_path)
    seconds = time.perf_counter() - started
    [document] = corpus.documents
    assert len(document.paragraphs) == 50 * 2**20 // len(block)
    print(f"read_corpus of 50 MB: {seconds:.1f}s")


FULL_DISK_RUN = """
import resource, sys
sys.path.insert(0, {tests!r})
import rag.embedding
from conftest import FakeEmbedder
rag.embedding.MiniLMEmbedder = FakeEmbedder
from rag.cli import app
resource.setrlimit(resource.RLIMIT_FSIZE, ({limit}, resource.RLIM_INFINITY))  # a write past it fails (EFBIG)
app(["index", {corpus!r}, "--index", {index!r}])
"""


def test_a_full_disk_while_indexing_is_one_line_and_the_index_in_use_stays(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    import subprocess
    import sys

    corpus, index = tmp_path / "corpus", tmp_path / "idx"
    corpus.mkdir()
    (corpus / "a.txt").write_text(GOOD)
    assert runner.invoke(app, ["index", str(corpus), "--index", str(index)]).exit_code == 0
    (corpus / "b.txt").write_text("\n\n".join(f"Paragraph {i} tells of the ferry timetable {i * 7}." for i in range(3000)))
    script = FULL_DISK_RUN.format(tests=str(Path(__file__).parent), limit=200_000, corpus=str(corpus), index=str(index))
    run = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert run.returncode == 1 and "Traceback" not in run.stderr, run.stderr
    assert f"error: cannot write the index at {index} (" in run.stderr and "free disk space" in run.stderr
    found = runner.invoke(app, ["search", "nine hours", "--index", str(index), "--no-server"])
    assert found.exit_code == 0 and "a.txt" in found.output and "b.txt" not in found.output
