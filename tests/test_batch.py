import csv
import gzip
import json
import random
from pathlib import Path

from typer.testing import CliRunner

from conftest import SEEDS, ScriptedGenerator
from rag.batch import read_questions
from rag.cli import app
from rag.errors import RagError

runner = CliRunner()


def test_reads_all_three_formats(tmp_path: Path) -> None:
    (tmp_path / "q.txt").write_text("# comment\nFirst?\n\nSecond?\n")
    (tmp_path / "q.jsonl").write_text('{"id": "a", "question": "First?"}\nnot json\n{"id": "b"}\n')
    (tmp_path / "q.csv").write_text("id,question\nx,First?\ny,\n")
    assert [q.question for q in read_questions(tmp_path / "q.txt")[0]] == ["First?", "Second?"]
    questions, warnings = read_questions(tmp_path / "q.jsonl")
    assert [q.id for q in questions] == ["a"]
    assert [w.split(":")[1] for w in warnings] == ["2", "3"]
    questions, warnings = read_questions(tmp_path / "q.csv")
    assert [(q.id, q.question) for q in questions] == [("x", "First?")] and "q.csv:3" in warnings[0]


def test_an_id_shared_by_two_questions_is_named_in_a_warning(tmp_path: Path) -> None:
    (tmp_path / "q.jsonl").write_text(
        '{"id": "b1", "question": "First?"}\n{"id": "b1", "question": "Second?"}\n{"id": "b2", "question": "First?"}\n'
        '{"id": "b2", "question": "First?"}\n'
    )
    questions, warnings = read_questions(tmp_path / "q.jsonl")
    assert len(questions) == 4
    assert warnings == ["q.jsonl: id 'b1' is given to 2 different questions; each is answered, under the same id",
                        "q.jsonl: 1 question repeats an earlier one (id 'b2' is asked twice); each is answered once"]


def test_a_file_without_questions_is_an_error_not_an_empty_run(tmp_path: Path) -> None:
    (tmp_path / "empty.txt").write_text("# only a comment\n\n")
    (tmp_path / "broken.jsonl").write_text('{"question": "unclosed"\n')
    result = runner.invoke(app, ["batch", str(tmp_path / "empty.txt")])
    assert result.exit_code == 1
    assert result.output.startswith(f"error: question file {tmp_path / 'empty.txt'} holds no questions; write one a line")
    result = runner.invoke(app, ["batch", str(tmp_path / "broken.jsonl")])
    assert result.exit_code == 1 and "holds no questions; 1 malformed, the first: broken.jsonl:1: skipped" in result.output


def test_batch_resumes_without_repeating_answers(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions = tmp_path / "q.jsonl"
    out = tmp_path / "answers.jsonl"
    questions.write_text("".join(json.dumps({"id": f"q{i}", "question": f"How long in Geneva {i}?"}) + "\n" for i in range(3)))
    out.write_text(json.dumps({"id": "q0", "answer": "kept"}))  # whole, saved without its newline
    result = runner.invoke(app, ["batch", str(questions), "-o", str(out)])
    assert result.exit_code == 0, result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert [r["id"] for r in rows] == ["q0", "q1", "q2"] and rows[0]["answer"] == "kept"
    assert len(fake_models.prompts) == 2
    assert runner.invoke(app, ["batch", str(questions), "-o", str(out)]).exit_code == 0
    assert len(fake_models.prompts) == 2


def test_batch_csv_and_retrieve_only(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions = tmp_path / "q.txt"
    questions.write_text("How long did they talk in Geneva?\n")
    out = tmp_path / "a.csv"
    result = runner.invoke(app, ["batch", str(questions), "--retrieve-only", "--k", "3", "--format", "csv", "-o", str(out)])
    assert result.exit_code == 0, result.output
    [row] = list(csv.DictReader(out.open()))
    assert row["id"] == "line-1" and row["sources"].count("¶") == 3
    assert fake_models.prompts == []
    again = runner.invoke(app, ["batch", str(questions), "--retrieve-only", "--k", "3", "--format", "csv", "-o", str(out)])
    assert "0 retrieved, 1 from an earlier run" in again.output  # a retrieve-only run resumes over its own records
    full = runner.invoke(app, ["batch", str(questions), "--format", "csv", "-o", str(out)])
    assert full.exit_code == 0 and len(fake_models.prompts) == 1  # but they are no answers for a full run
    assert (f"note: {out} holds 1 --retrieve-only record (passages, no answer); their questions are answered "
            "and written after them, under the same id") in " ".join(full.output.split())
    assert [r["answer"] != "" for r in csv.DictReader(out.open())] == [False, True]
    markdown = tmp_path / "a.md"
    for retrieve_only in (["--retrieve-only"], []):  # the format from the extension
        result = runner.invoke(app, ["batch", str(questions), *retrieve_only, "-o", str(markdown)])
        assert result.exit_code == 0 and ("1 retrieved, 0 from an earlier run" if retrieve_only else "1 answered, 0 from an earlier run") in result.output
    assert len(fake_models.prompts) == 2 and markdown.read_text().count("(retrieval only)") == 1


def test_eval_output_never_replaces_the_gold_file_or_a_file_of_the_users(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    gold.write_text('{"id": "g1", "question": "How long did they talk?", "must_include": [["nine hours"]]}\n')
    notes = tmp_path / "notes.txt"
    notes.write_text("my notes\n")
    for output, problem in ((gold, "is the file being read"), (notes, "exists and is not rag's JSONL output")):
        result = runner.invoke(app, ["eval", str(gold), "-o", str(output)])
        assert result.exit_code == 1 and problem in result.output
    assert gold.read_text().startswith('{"id": "g1"') and notes.read_text() == "my notes\n"


def test_gold_and_question_lines_are_checked_and_named(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    gold = tmp_path / "gold.jsonl"
    for line, problem in (('{"question": "   "}', "the question is empty"), ('{"id": 3}', 'it has no "question" text'),
                          ('{"question": "Q?", "evidence": ["a.txt"]}', "evidence is not a list of"),
                          ('{"question": "' + "why " * 600 + '"}', "the question is 2399 characters long")):
        gold.write_text(line + "\n")
        result = runner.invoke(app, ["eval", str(gold)])
        assert result.exit_code == 1 and f"gold.jsonl:1: not a gold entry ({problem}" in result.output, result.output
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"line": "x"}\n{"question": 7}\n[1]\n{oops\n{"question": "Where?"}\n')
    warnings = read_questions(questions)[1]
    assert warnings == [
        'q.jsonl:1: skipped, the line has no "question" field', 'q.jsonl:2: skipped, the line has a "question" that is not text',
        "q.jsonl:3: skipped, the line is not a JSON object",
        'q.jsonl:4: skipped, not valid JSON; write one object a line, such as {"id": "q1", "question": "..."}',
    ]


def test_a_question_file_with_a_byte_that_is_not_utf8_is_read_with_a_warning_naming_the_line(tmp_path: Path) -> None:
    questions = tmp_path / "q.txt"
    questions.write_bytes("How long did they talk?\nWhere is the café?\n".encode("latin-1"))
    read, warnings = read_questions(questions)
    assert [q.question for q in read] == ["How long did they talk?", "Where is the café?"]
    assert warnings == ["q.txt: not UTF-8 text from line 2; read as Latin-1 (save it as UTF-8 to fix)"]
    questions.write_bytes("Où est le café à Genève?\nWho met in Genève?\n".encode() + b"Why \xff?\n")
    read, warnings = read_questions(questions)
    assert [q.question for q in read][:2] == ["Où est le café à Genève?", "Who met in Genève?"]
    assert warnings == ["q.txt: not UTF-8 text from line 3; read as UTF-8, its invalid bytes as \ufffd (save it as UTF-8 to fix)"]
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes('{"question": "Where?", "answer": "café"}\n'.encode("latin-1"))
    result = runner.invoke(app, ["eval", str(gold)])
    assert result.exit_code == 1 and f"gold file {gold} is not UTF-8 text (line 1); save it as UTF-8" in result.output


def test_a_binary_file_is_refused_not_read_as_latin1_questions(tmp_path: Path) -> None:
    """Random or compressed bytes are no question file: read as Latin-1, each of their lines was a
    garbage question answered by the model (tester-s45 M3); a Latin-1 text is still read, above."""
    random_bytes = tmp_path / "qbin.txt"
    random_bytes.write_bytes(random.Random(45).randbytes(3000))
    gzipped = tmp_path / "qgz.txt"
    gzipped.write_bytes(gzip.compress(b"Who met in Geneva?\nHow long did they talk?\n"))
    for path in (random_bytes, gzipped):
        result = runner.invoke(app, ["batch", str(path), "--retrieve-only"])
        assert (result.exit_code, result.output) == (
            1, f"error: {path} is binary data, not a question file; pass a .txt, .jsonl or .csv file\n")
    utf16 = tmp_path / "q16.txt"  # every other byte a NUL, yet text
    utf16.write_text("Who met in Geneva?\nHow long did they talk?\n", encoding="utf-16")
    assert [q.question for q in read_questions(utf16)[0]] == ["Who met in Geneva?", "How long did they talk?"]
    gold = tmp_path / "gold.jsonl"
    gold.write_bytes(random_bytes.read_bytes())
    result = runner.invoke(app, ["eval", str(gold)])
    assert (result.exit_code, result.output) == (1, f"error: {gold} is binary data, not a gold file; pass a JSONL file\n")


def test_unknown_question_file_type_is_an_error(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    (tmp_path / "q.xlsx").write_text("x")
    result = runner.invoke(app, ["batch", str(tmp_path / "q.xlsx")])
    assert result.exit_code == 1
    assert "unknown question file type '.xlsx'; use .txt, .jsonl or .csv" in result.output


def test_torn_last_record_is_cut_in_every_format() -> None:
    from rag.batch import complete_length

    jsonl = b'{"id": "a"}\n{"id": "b"}\n{"id": "c", "ans'
    assert complete_length(jsonl, "jsonl") == jsonl.index(b'{"id": "c"')
    assert complete_length(jsonl[: jsonl.index(b'{"id": "c"')], "jsonl") == jsonl.index(b'{"id": "c"')
    assert complete_length(b'{"id": "a"}\n{"id": "b"}', "jsonl") == len(b'{"id": "a"}\n{"id": "b"}')  # whole, no newline
    md = "# Answers\n\n## Q1?\n\nA1\n\n<!-- id: a -->\n\n## Q2?\n\nA2 é".encode()
    assert md[: complete_length(md, "md")].decode().endswith("<!-- id: a -->\n")
    assert complete_length(b"# Answers\n\n## Q1?\n", "md") == len(b"# Answers\n")
    header = "id,question,answer,abstained,confidence,sources\r\n"
    row = 'a,Q1?,"two\nlines",false,0.9,f.txt ¶1\r\n'
    torn = 'b,Q2?,"half an ans'
    data = (header + row + torn).encode()
    assert complete_length(data, "csv") == len((header + row).encode())
    assert complete_length((header + row + "b,Q2?,A,false,0.9,f.txt").encode(), "csv") == len((header + row).encode())


def test_unwritable_output_is_one_clear_line(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    import os

    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions = tmp_path / "q.txt"
    questions.write_text("How long in Geneva?\n")
    result = runner.invoke(app, ["batch", str(questions), "-o", str(tmp_path / "missing" / "a.jsonl")])
    assert result.exit_code == 1
    assert result.output == f"error: folder {tmp_path / 'missing'} does not exist; create it or pass another -o path\n"
    result = runner.invoke(app, ["batch", str(questions), "-o", str(tmp_path)])
    assert result.exit_code == 1 and result.output == f"error: {tmp_path} is a folder; pass a file path to -o\n"
    if os.geteuid() != 0:  # root writes anywhere
        locked = tmp_path / "locked"
        locked.mkdir(mode=0o555)
        result = runner.invoke(app, ["batch", str(questions), "-o", str(locked / "a.jsonl")])
        assert result.exit_code == 1
        assert result.output == f"error: cannot write {locked / 'a.jsonl'} (Permission denied); pass a writable -o path\n"
    assert fake_models.prompts == []


def test_markdown_output_resumes(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions = tmp_path / "q.txt"
    questions.write_text("How long in Geneva?\nWhere did they meet?\n")
    out = tmp_path / "a.md"
    assert runner.invoke(app, ["batch", str(questions), "-o", str(out), "--format", "md"]).exit_code == 0
    text = out.read_text()
    out.write_text(text + "\n## A third?\n\nhalf")  # a record torn by a kill
    result = runner.invoke(app, ["batch", str(questions), "-o", str(out), "--format", "md"])
    assert result.exit_code == 0 and "cut a half-written answer" in result.output
    assert out.read_text() == text and len(fake_models.prompts) == 2


def test_batch_killed_part_way_answers_each_question_exactly_once(fake_models: ScriptedGenerator, tmp_path: Path, isolated_index: Path) -> None:
    """A real process killed with SIGKILL mid-run, then the same command again."""
    import os
    import signal
    import subprocess
    import sys
    import time

    fake_cli = Path(__file__).resolve().parent / "fake_cli.py"
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parent.parent), "RAG_INDEX": str(isolated_index)}
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0  # the same fakes, in-process
    questions = tmp_path / "q.jsonl"
    ids = [f"q{i}" for i in range(12)]
    questions.write_text("".join(json.dumps({"id": i, "question": f"How long in Geneva, take {i}?"}) + "\n" for i in ids))
    out = tmp_path / "answers.jsonl"
    command = [sys.executable, str(fake_cli), "batch", str(questions), "-o", str(out)]
    process = subprocess.Popen(command, env={**env, "FAKE_DELAY": "0.2"}, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not out.exists() or out.read_text().count("\n") < 3):
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    before = out.read_text().count("\n")
    assert 3 <= before < len(ids)
    with open(out, "a", encoding="utf-8") as handle:  # as if the kill had landed mid-write
        handle.write('{"id": "q11", "answer": "They spo')
    rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
    assert rerun.returncode == 0, rerun.stderr
    assert "cut a half-written answer" in rerun.stderr
    assert f"resuming: {before} of {len(ids)} already answered" in rerun.stderr
    rows = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert sorted(r["id"] for r in rows) == sorted(ids)
    assert all(r["answer"] for r in rows)


def test_output_that_is_not_rags_is_refused_and_left_whole(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    (tmp_path / "q.txt").write_text("How long in Geneva?\n")
    notes = tmp_path / "notes.md"
    notes.write_text("# My notes\n\nDo not lose these.\n")
    result = runner.invoke(app, ["batch", str(tmp_path / "q.txt"), "-o", str(notes), "--format", "md"])
    assert result.exit_code == 1 and "notes.md exists and is not rag's md output" in result.output
    assert notes.read_text() == "# My notes\n\nDo not lose these.\n"
    ours = tmp_path / "answers.csv"
    assert runner.invoke(app, ["batch", str(tmp_path / "q.txt"), "-o", str(ours), "--format", "csv"]).exit_code == 0
    kept = ours.read_bytes()
    result = runner.invoke(app, ["batch", str(tmp_path / "q.txt"), "-o", str(ours), "--format", "jsonl"])
    assert result.exit_code == 1 and "is not rag's jsonl output" in result.output and ours.read_bytes() == kept
    result = runner.invoke(app, ["batch", str(tmp_path / "q.txt"), "-o", str(ours)])  # csv from the extension
    assert result.exit_code == 0 and "already answered" in result.output and ours.read_bytes() == kept


def test_resume_tells_questions_apart_by_text_when_line_ids_move(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions, out = tmp_path / "q.txt", tmp_path / "a.jsonl"
    questions.write_text("How long in Geneva?\nWho met in Geneva?\n")
    assert runner.invoke(app, ["batch", str(questions), "-o", str(out)]).exit_code == 0
    questions.write_text("What was agreed in Geneva?\nHow long in Geneva?\nWho met in Geneva?\n")
    result = runner.invoke(app, ["batch", str(questions), "-o", str(out)])
    assert result.exit_code == 0 and "resuming: 2 of 3 already answered" in result.output
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert sorted(r["question"] for r in rows) == sorted(questions.read_text().splitlines())


def test_a_byte_order_mark_does_not_rename_the_first_column(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_bytes("\ufeffid,question\n7,Who met?\n".encode())
    (tmp_path / "q.jsonl").write_bytes('\ufeff{"id": "a", "question": "Who met?"}\n'.encode())
    assert [q.id for q in read_questions(tmp_path / "q.csv")[0]] == ["7"]
    assert [q.id for q in read_questions(tmp_path / "q.jsonl")[0]] == ["a"]


def test_a_question_repeated_in_the_file_is_answered_once(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions, out = tmp_path / "q.txt", tmp_path / "a.jsonl"
    questions.write_text("How long in Geneva?\nWho met?\nHow long in Geneva?\n")
    result = runner.invoke(app, ["batch", str(questions), "-o", str(out)])
    assert result.exit_code == 0 and "2 answered, 0 from an earlier run" in result.output
    assert [json.loads(line)["question"] for line in out.read_text().splitlines()] == ["How long in Geneva?", "Who met?"]
    again = runner.invoke(app, ["batch", str(questions), "-o", str(out)])  # counts what the file holds: two
    assert "resuming: 2 of 2 already answered" in again.output and "0 answered, 2 from an earlier run" in again.output


def test_markdown_resume_knows_ids_with_odd_spacing_and_an_answer_with_a_heading_line(
    fake_models: ScriptedGenerator, tmp_path: Path
) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    fake_models.reply = "Kerry and Lavrov talked in Geneva [1].\n## Geneva\nThey met on Friday [1]."
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "q  1", "question": "Where did Kerry meet Lavrov?"}\n'
                         '{"id": " q2", "question": "Where did they talk?"}\n{"id": "", "question": "Who met?"}\n')
    out = tmp_path / "a.md"
    assert runner.invoke(app, ["batch", str(questions), "-o", str(out)]).exit_code == 0
    asked = len(fake_models.prompts)
    assert [line for line in out.read_text().splitlines() if line.startswith("## ")] == [
        "## Where did Kerry meet Lavrov?", "## Where did they talk?", "## Who met?"]
    assert runner.invoke(app, ["batch", str(questions), "-o", str(out)]).exit_code == 0
    assert len(fake_models.prompts) == asked  # nothing answered twice
    for output in (tmp_path / "a.csv", tmp_path / "a.jsonl"):
        assert runner.invoke(app, ["batch", str(questions), "-o", str(output)]).exit_code == 0
        asked = len(fake_models.prompts)
        assert runner.invoke(app, ["batch", str(questions), "-o", str(output)]).exit_code == 0
        assert len(fake_models.prompts) == asked, output.name


def test_a_csv_field_too_large_to_read_is_one_line_naming_the_line(tmp_path: Path) -> None:
    (tmp_path / "q.csv").write_text('id,question\na,"First?"\nb,"' + "x" * 200_000 + '"\n')
    result = runner.invoke(app, ["batch", str(tmp_path / "q.csv")])
    assert result.exit_code == 1
    assert result.output.startswith("error: q.csv:3: not readable as CSV (field larger than field limit")


def test_a_second_batch_writing_the_same_output_is_refused(tmp_path: Path) -> None:
    import fcntl

    from rag.batch import open_output
    from rag.errors import OutputError

    out = tmp_path / "answers.jsonl"
    first, _, _ = open_output(out, "jsonl")
    try:
        try:
            open_output(out, "jsonl")
        except OutputError as error:
            assert str(error) == f"another `rag batch` is writing {out}; wait for it to finish, or pass another -o path"
        else:
            raise AssertionError("the second run was let in")
    finally:
        first.close()
    second, _, _ = open_output(out, "jsonl")  # the first one done: free again
    fcntl.flock(second, fcntl.LOCK_UN)
    second.close()


def test_repeats_are_named_and_line_separators_inside_json_strings_split_nothing(tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"id": "a", "question": "Who met\u2028in Geneva?"}\n{"id": "a", "question": "Who met\u2028in Geneva?"}\n'
                         + "[" * 3000 + "\n", encoding="utf-8")
    found, warnings = read_questions(questions)
    assert [q.question for q in found] == ["Who met in Geneva?"] * 2
    assert warnings == [
        'q.jsonl:3: skipped, not valid JSON; write one object a line, such as {"id": "q1", "question": "..."}',
        "q.jsonl: 1 question repeats an earlier one (id 'a' is asked twice); each is answered once",
    ]


def test_a_failed_eval_leaves_its_output_file_whole(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    gold, out = tmp_path / "gold.jsonl", tmp_path / "answers.jsonl"
    gold.write_text('{"id": "g1", "question": "How long did they talk?", "must_include": [["nine hours"]]}\n')
    assert runner.invoke(app, ["batch", str(gold), "-o", str(out)]).exit_code == 0
    before = out.read_text()
    fake_models.generate = lambda *a, **k: (_ for _ in ()).throw(RagError("model file m.gguf not found"))  # type: ignore[method-assign]
    result = runner.invoke(app, ["eval", str(gold), "-o", str(out)])
    assert result.exit_code == 1 and out.read_text() == before


def test_resume_reads_no_pipe_and_knows_markdown_ids_as_shown(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    import os

    from rag.batch import check_fresh_output, output_keys

    os.mkfifo(tmp_path / "pipe.jsonl")
    assert output_keys(tmp_path / "pipe.jsonl", "jsonl") == (set(), set())  # returns, as reading a pipe would not
    check_fresh_output(tmp_path / "pipe.jsonl", tmp_path / "gold.jsonl")
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions, out = tmp_path / "q.jsonl", tmp_path / "a.md"
    questions.write_text('{"id": "e\\u001b2", "question": "Who met \u200e in Geneva?"}\n', encoding="utf-8")
    for done in ("1 answered, 0 from an earlier run", "0 answered, 1 from an earlier run"):
        result = runner.invoke(app, ["batch", str(questions), "-o", str(out)])
        assert done in result.output, result.output


def test_batch_never_writes_into_its_question_file_or_under_a_file(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    questions = tmp_path / "q.jsonl"
    questions.write_text('{"question": "Who met in Geneva?"}\n')
    for output, message in ((questions, f"error: {questions} is the question file being read; pass another -o path\n"),
                            (questions / "out.jsonl", f"error: {questions} is a file, not a folder; pass an -o path in a folder\n")):
        result = runner.invoke(app, ["batch", str(questions), "-o", str(output)])
        assert (result.exit_code, result.output) == (1, message)
    assert questions.read_text() == '{"question": "Who met in Geneva?"}\n'


def test_a_csv_separated_by_semicolons_or_tabs_is_told_so(tmp_path: Path) -> None:
    import pytest

    from rag.errors import InputError

    for separator, word in ((";", "semicolons"), ("\t", "tabs")):
        (tmp_path / "q.csv").write_text(f"id{separator}question\n1{separator}Where?\n")
        with pytest.raises(InputError, match=f"q.csv separates its columns with {word}; save it with commas"):
            read_questions(tmp_path / "q.csv")


def test_a_markdown_answer_opening_with_a_heading_mark_is_not_read_back_as_a_question(tmp_path: Path) -> None:
    from rag.batch import AnswerWriter, Question, output_keys, pending
    from rag.results import Answer

    out = tmp_path / "a.md"
    questions = [Question("line-1", "How long did they talk?", True), Question("line-2", "Who met?", True)]
    with open(out, "w", encoding="utf-8") as stream:
        writer = AnswerWriter(stream, "md", new_file=True)
        for question in questions:
            writer.write(question, Answer(question.question, "## Nine hours.", False, 0.9, [], [], [], {}))
    assert "\n\\## Nine hours.\n" in out.read_text()
    assert list(pending(questions, output_keys(out, "md")[0], "md")) == []


def test_a_run_failing_before_its_first_answer_leaves_no_new_file_and_two_question_columns_are_refused(
    fake_models: ScriptedGenerator, tmp_path: Path
) -> None:
    import pytest

    from rag.errors import InputError

    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions, out = tmp_path / "q.txt", tmp_path / "new.jsonl"
    questions.write_text("How long did they talk?\n")
    fake_models.generate = lambda *a, **k: (_ for _ in ()).throw(RagError("model file m.gguf not found"))  # type: ignore[method-assign]
    assert runner.invoke(app, ["batch", str(questions), "-o", str(out)]).exit_code == 1
    assert not out.exists()
    (tmp_path / "q.csv").write_text("id,question,Question\n1,a?,b?\n")
    with pytest.raises(InputError, match="q.csv has 2 'question' columns; keep one"):
        read_questions(tmp_path / "q.csv")


def test_a_folder_or_a_link_loop_given_as_the_question_file_is_named_so(tmp_path: Path) -> None:
    (tmp_path / "qdir").mkdir()
    (tmp_path / "loop1.txt").symlink_to(tmp_path / "loop2.txt")
    (tmp_path / "loop2.txt").symlink_to(tmp_path / "loop1.txt")
    folder = runner.invoke(app, ["batch", str(tmp_path / "qdir")])
    assert folder.exit_code == 1 and "qdir is a folder; pass a question file" in folder.output  # not "type ''"
    loop = runner.invoke(app, ["batch", str(tmp_path / "loop1.txt")])
    assert loop.exit_code == 1 and "(Too many levels of symbolic links); check the path" in loop.output
