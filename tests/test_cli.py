"""The CLI through typer's CliRunner, with the fake models behind the real interfaces."""

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from conftest import SEEDS, ScriptedGenerator
from rag.cli import app
from rag.generation import LlamaGenerator

runner = CliRunner()


@pytest.fixture
def indexed(fake_models: ScriptedGenerator) -> ScriptedGenerator:
    result = runner.invoke(app, ["index", str(SEEDS)])
    assert result.exit_code == 0, result.output
    assert "Indexed 5 files" in result.output
    return fake_models


def test_help_does_not_import_heavy_libraries() -> None:
    code = (
        "import sys; from typer.testing import CliRunner; from rag.cli import app; "
        "r = CliRunner().invoke(app, ['--help']); assert r.exit_code == 0; "
        "heavy = {'torch', 'sentence_transformers', 'faiss', 'llama_cpp', 'numpy', 'python_calamine'} & set(sys.modules); "
        "print(sorted(heavy))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


@pytest.mark.parametrize("command", ["ask", "index", "batch", "search", "", "server", "server status"])
def test_help_shows_flags_without_a_type_and_choices_by_name(command: str) -> None:
    result = runner.invoke(app, [*command.split(), "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    flag_lines = [line for line in result.output.splitlines() if "--" in line]
    assert flag_lines and not any("<bool>" in line for line in flag_lines)
    if command in ("ask", "batch", "search"):
        assert "hybrid|dense|keyword" in result.output


def test_ask_prints_answer_and_sources(indexed: ScriptedGenerator) -> None:
    result = runner.invoke(app, ["ask", "How long did Kerry and Lavrov talk in Geneva?"])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("They spoke for more than nine hours in Geneva. [1]")
    assert "000_8d13b83e7b516537.txt ¶2 (line 3)" in result.output
    assert "Kerry and Lavrov spoke for more than nine hours in Geneva" in result.output


def test_ask_json_has_the_documented_shape(indexed: ScriptedGenerator) -> None:
    result = runner.invoke(app, ["ask", "How long did Kerry and Lavrov talk in Geneva?", "--json"])
    answer = json.loads(result.output)
    assert {"question", "answer", "abstained", "citations", "retrieved", "timings"} <= set(answer)
    citation = answer["citations"][0]
    assert (citation["file"], citation["paragraph"], citation["lines"]) == ("000_8d13b83e7b516537.txt", 2, [3, 3])
    assert citation["text"] in (SEEDS / citation["file"]).read_text(encoding="utf-8")
    assert answer["abstained"] is False and len(answer["retrieved"]) == 6


def test_declined_answer_abstains_without_citations(indexed: ScriptedGenerator) -> None:
    indexed.reply = "NOT FOUND"
    result = runner.invoke(app, ["ask", "Who is the mayor of Aleppo?", "--json"])
    answer = json.loads(result.output)
    assert answer["abstained"] is True and answer["citations"] == []
    assert answer["answer"] == "The documents do not answer this."


def test_an_abstention_on_the_terminal_names_the_nearest_passages_read(indexed: ScriptedGenerator) -> None:
    indexed.reply = "NOT FOUND"
    shown = runner.invoke(app, ["ask", "How long did Kerry and Lavrov talk in Geneva?"])
    answer = json.loads(runner.invoke(app, ["ask", "How long did Kerry and Lavrov talk in Geneva?", "--json"]).output)
    assert shown.exit_code == 0, shown.output
    lines = shown.output.splitlines()
    assert lines[:3] == ["The documents do not answer this.", "", "Nearest passages read:"]
    nearest = [f"{p['file']} ¶{p['paragraph']}" for p in answer["retrieved"][:3]]
    assert len(lines) == 6 and all(line.strip().startswith(place) for line, place in zip(lines[3:], nearest, strict=True))


def test_search_shows_ranked_passages(indexed: ScriptedGenerator) -> None:
    result = runner.invoke(app, ["search", "nine hours Geneva", "--k", "2"])
    assert result.exit_code == 0
    assert result.output.startswith("1. 000_8d13b83e7b516537.txt ¶1–2 (lines 1–3)")
    assert "\n2. " in result.output and "\n3. " not in result.output
    assert "fused" in result.output and "None of these passages" not in result.output


def test_search_says_when_no_passage_holds_a_word_of_the_query(indexed: ScriptedGenerator) -> None:
    result = runner.invoke(app, ["search", "banana bread recipe", "--k", "2"])
    assert result.exit_code == 0
    assert result.output.startswith("None of these passages holds a word of the query; they are only the nearest in meaning.\n1. ")


def test_ask_without_index_is_one_clear_line(fake_models: ScriptedGenerator, isolated_index: Path) -> None:
    result = runner.invoke(app, ["ask", "anything"])
    assert result.exit_code == 1
    assert result.output.strip() == f"error: no index at {isolated_index}; build one with `rag index DIR --index {isolated_index}`"


def test_index_of_missing_folder_fails_cleanly(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    result = runner.invoke(app, ["index", str(tmp_path / "nope")])
    assert result.exit_code == 1
    assert "does not exist; pass a folder of documents (.txt, .md, .rst, .pdf, .html, .docx, .pptx, .epub, .odt, .odp, .ipynb, e-mail (.eml, .mbox), spreadsheets (.xlsx, .xls, .ods, .csv), or plain text with no extension; any of them compressed as .gz, .bz2 or .xz)" in result.output


def test_index_without_a_folder_refreshes_the_folder_the_index_was_built_from(
    fake_models: ScriptedGenerator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = tmp_path / "notes"
    folder.mkdir()
    (folder / "pier.txt").write_text("Boats moor at pier 4 from April to October.\n", encoding="utf-8")
    index = str(tmp_path / "index")
    assert runner.invoke(app, ["index", str(folder), "--index", index]).exit_code == 0
    (folder / "pier.txt").write_text("Boats moor at pier 5 from April to October.\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)  # no seeds folder here: the recorded folder must be the one read
    result = runner.invoke(app, ["index", "--index", index])
    assert result.exit_code == 0, result.output
    assert f"note: indexing {folder.resolve()}, the folder this index was built from" in result.output
    assert "1 changed" in result.output
    folder.rename(tmp_path / "moved")
    result = runner.invoke(app, ["index", "--index", index])
    assert result.exit_code == 1
    assert result.output == (f"error: {folder.resolve()}, the folder this index was built from, is gone; pass the folder "
                             f"where it is now: `rag index DIR --index {index}`\n")


def test_usage_errors_exit_2(indexed: ScriptedGenerator) -> None:
    assert runner.invoke(app, ["ask", "q", "--mode", "magic"]).exit_code == 2
    assert runner.invoke(app, ["ask", "  "]).exit_code == 2
    for command in ("ask", "batch"):
        result = runner.invoke(app, [command, "q", "--threshold", "nan"])  # NaN passes a range check
        assert result.exit_code == 2 and "'--threshold': nan is not a number" in result.output
    for option, value, said in (("-k", "abc", "'abc' is not a whole number"), ("--threshold", "x", "'x' is not a number")):
        result = runner.invoke(app, ["ask", "q", option, value])  # not click's "not a valid int range"
        assert result.exit_code == 2 and said in result.output


@pytest.mark.parametrize(("args", "line"), [
    (["ask"], "error: rag ask: missing argument 'question' (see `rag ask --help`)\n"),
    (["serch", "x"], "error: rag: no such command 'serch'. Did you mean 'search'? (see `rag --help`)\n"),
    (["search", "x", "--mode", "magic"],
     "error: rag search: invalid value for --mode: must be one of dense, keyword, hybrid (see `rag search --help`)\n"),
])
def test_a_usage_error_is_one_line_and_exit_2(args: list[str], line: str) -> None:
    result = runner.invoke(app, args, prog_name="rag")
    assert (result.exit_code, result.output) == (2, line)


def test_a_bare_rag_shows_the_help() -> None:
    result = runner.invoke(app, [], prog_name="rag")
    assert result.exit_code == 2 and "Usage: rag" in result.output and "error" not in result.output


def test_missing_model_file_says_how_to_fix(indexed: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setattr("rag.generation.LlamaGenerator", LlamaGenerator)
    result = runner.invoke(app, ["ask", "q", "--model", str(tmp_path / "none.gguf")])
    assert result.exit_code == 1
    assert "model file" in result.output and "not found; run `make setup`" in result.output


def test_unsupported_core_claim_is_rewritten_to_supported_sentences(indexed: ScriptedGenerator) -> None:
    indexed.reply = "Putin flew to Beijing with Xi Jinping. They spoke for more than nine hours in Geneva [1]."
    answer = json.loads(runner.invoke(app, ["ask", "How long did they talk in Geneva?", "--json", "--threshold", "0"]).output)
    assert answer["answer"] == "They spoke for more than nine hours in Geneva."
    assert [c["supported"] for c in answer["claims"]] == [True]


def test_unsupported_later_claim_is_flagged(indexed: ScriptedGenerator) -> None:
    indexed.reply = "They spoke for more than nine hours in Geneva [1]. Putin flew to Beijing with Xi Jinping."
    result = runner.invoke(app, ["ask", "How long did they talk in Geneva?", "--threshold", "0"])
    assert "Putin flew to Beijing with Xi Jinping. [unsupported]" in result.output


def test_a_lead_in_is_cited_with_the_paragraph_it_introduces(indexed: ScriptedGenerator) -> None:
    indexed.reply = "The Secretary of State told reporters they do not want a deal for the sake of the deal [1]."
    answer = json.loads(runner.invoke(app, ["ask", "What deal does the US not want?", "--json", "--threshold", "0"]).output)
    citation = answer["citations"][0]
    assert (citation["file"], citation["paragraph"], citation["lines"]) == ("000_8d13b83e7b516537.txt", 3, [5, 7])
    assert citation["text"].startswith("The Secretary of State told reporters:\n\nWe don’t want to have a deal")


def test_unwritable_index_directory_is_one_clear_line(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    import os

    blocker = tmp_path / "file"
    blocker.write_text("")
    result = runner.invoke(app, ["index", str(SEEDS), "--index", str(blocker / "index")])
    assert result.exit_code == 1
    assert result.output == f"error: cannot write to {blocker / 'index'} (Not a directory); pass a writable folder with --index or RAG_INDEX\n"
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        result = runner.invoke(app, ["index", str(SEEDS), "--index", str(locked)])
        assert result.output == f"error: cannot write to {locked} (Permission denied); pass a writable folder with --index or RAG_INDEX\n"


def test_a_draft_cut_short_on_a_terminal_leaves_normal_text_and_exit_130(monkeypatch: pytest.MonkeyPatch) -> None:
    import typer.testing

    from rag import client
    from rag.render import DIM, RESET

    def interrupted(settings: object, question: str, *, on_token: object = None, **options: object) -> None:
        assert callable(on_token)
        on_token("Syria's ambassador is")
        raise KeyboardInterrupt

    monkeypatch.setattr(typer.testing._NamedTextIOWrapper, "isatty", lambda self: True, raising=False)
    monkeypatch.setattr(client, "ask", interrupted)
    result = runner.invoke(app, ["ask", "Who is Syria's ambassador to the UN?"])
    assert result.exit_code == 130
    assert result.stdout == f"{DIM}Syria's ambassador is{RESET}\n(stopped: no answer)\n"


def test_a_stopped_index_says_what_it_left(fake_models: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch) -> None:
    import rag.indexing

    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(rag.indexing, "build_index", interrupted)
    result = runner.invoke(app, ["index", str(SEEDS)])
    assert result.exit_code == 130
    assert result.output == (
        "stopped (Ctrl-C): the index is as it was; the next `rag index` reuses the passages embedded so far (saved 256 at a time)\n"
    )


def test_an_empty_index_option_is_a_usage_error() -> None:
    result = runner.invoke(app, ["search", "Geneva", "--index", ""])
    assert result.exit_code == 2 and "is empty; pass an index folder" in result.output


@pytest.mark.parametrize(("redirect", "message"), [
    (">&-", "error: standard output is closed; send it to a terminal, a file or /dev/null"),
    ("> /dev/full", "error: cannot write (No space left on device); check the free disk space, or where the output goes"),
])
def test_output_that_cannot_be_written_is_one_line(redirect: str, message: str, tmp_path: Path) -> None:
    if redirect.startswith(">") and "full" in redirect and not Path("/dev/full").exists():
        pytest.skip("no /dev/full here")
    command = f"{sys.executable} -m rag extract {SEEDS / '000_8d13b83e7b516537.txt'} {redirect}"
    result = subprocess.run(command, shell=True, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and result.stderr.strip() == message


def test_an_index_option_naming_a_file_says_so(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not an index")
    result = runner.invoke(app, ["search", "Geneva", "--index", str(tmp_path / "notes.txt")])
    assert result.exit_code == 1
    assert result.output == f"error: {tmp_path / 'notes.txt'} is a file, not an index folder; pass a folder to --index\n"


def test_erasing_a_streamed_draft_counts_wide_characters_as_two_cells() -> None:
    from rag.render import erase

    assert erase("x" * 60, 80).endswith("\r\x1b[J")  # one row
    assert erase("会" * 60, 80).endswith("\x1b[1F\x1b[J")  # 120 cells: two rows
    assert erase("first line\n" + "y" * 81, 80).endswith("\x1b[2F\x1b[J")


@pytest.mark.parametrize("after", [0.1, 0.2, 0.3])  # once Python itself has started (~30 ms): rag's imports
def test_ctrl_c_while_the_cli_starts_ends_quietly_with_130(tmp_path: Path, after: float) -> None:
    import signal
    import subprocess
    import sys
    import time

    command = Path(sys.executable).with_name("rag")  # the console script, whose entry point catches it
    started = subprocess.Popen([str(command), "search", "Geneva", "--index", str(tmp_path / "none")],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    time.sleep(after)
    started.send_signal(signal.SIGINT)
    _, err = started.communicate(timeout=60)
    assert "Traceback" not in err, err
    assert started.returncode in (130, -signal.SIGINT, 1), err  # 1: it had already failed (no index) on its own


def test_version_and_an_option_missing_its_value_name_the_command() -> None:
    import subprocess
    import sys

    from rag import __version__

    for flag in ("--version", "-V"):
        shown = subprocess.run([sys.executable, "-m", "rag", flag], capture_output=True, text=True, timeout=60)
        assert (shown.returncode, shown.stdout) == (0, f"rag {__version__}\n")
    missing = subprocess.run([sys.executable, "-m", "rag", "search", "x", "-k"], capture_output=True, text=True, timeout=60)
    assert missing.returncode == 2
    assert missing.stderr == "error: rag search: option '-k' requires an argument (see `rag search --help`)\n"


def test_no_path_parameter_is_checked_for_readability_by_click() -> None:
    """Typer checks every Path parameter's readability unless told not to, and refuses an unreadable
    one as a usage error (exit 2) in click's words ("Path 'q.jsonl' is not readable"); rag reads
    each path itself and says what to fix, with exit 1, as for a missing one (tester-s45 M4)."""
    import typer.main

    def parameters(command: Any, path: str) -> Iterator[tuple[str, Any]]:
        for name, sub in getattr(command, "commands", {}).items():
            yield from parameters(sub, f"{path} {name}")
        for parameter in command.params:
            yield f"{path} {parameter.name}", parameter

    checked = [name for name, parameter in parameters(typer.main.get_command(app), "rag")
               if getattr(parameter.type, "readable", False)]
    assert checked == []


@pytest.mark.parametrize(("command", "name", "what"), [
    (["batch"], "q0.jsonl", "question file "),
    (["eval"], "gold.jsonl", "gold file "),
    (["extract"], "notes.txt", ""),
    (["index"], "docs", "corpus folder "),
])
def test_an_unreadable_file_or_folder_is_named_with_the_fix_and_exit_1(
    command: list[str], name: str, what: str, unreadable: set[Path], tmp_path: Path
) -> None:
    path = tmp_path / name
    if name == "docs":
        path.mkdir()
        (path / "a.txt").write_text("Boats moor at pier 4.\n")
    else:
        path.write_text('{"id": "a", "question": "Who met?"}\n')
    unreadable.add(path)
    result = runner.invoke(app, [*command, str(path)])
    assert (result.exit_code, result.output) == (1, f"error: cannot read {what}{path} (permission denied); fix its permissions\n")


def test_an_unreadable_model_file_is_named_with_the_fix(
    indexed: ScriptedGenerator, monkeypatch: pytest.MonkeyPatch, unreadable: set[Path], tmp_path: Path
) -> None:
    monkeypatch.setattr("rag.generation.LlamaGenerator", LlamaGenerator)
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    unreadable.add(model)
    result = runner.invoke(app, ["ask", "q", "--model", str(model)])
    assert (result.exit_code, result.output) == (1, f"error: cannot read model file {model} (permission denied); fix its permissions\n")


def test_an_output_file_that_can_be_written_but_not_read_back_says_so(
    indexed: ScriptedGenerator, unreadable: set[Path], tmp_path: Path
) -> None:
    (tmp_path / "q.txt").write_text("Who met?\n")
    out = tmp_path / "out.jsonl"
    out.write_text("")
    unreadable.add(out)
    result = runner.invoke(app, ["batch", str(tmp_path / "q.txt"), "-o", str(out), "--retrieve-only"])
    assert result.exit_code == 1
    assert result.output == (f"error: cannot read {out} (permission denied); fix its permissions (-o is read back to resume "
                             "a run), or pass another -o path\n")
