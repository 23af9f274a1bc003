import csv
import json
from pathlib import Path

from typer.testing import CliRunner

from conftest import SEEDS, ScriptedGenerator
from rag.batch import read_questions
from rag.cli import app

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


def test_batch_resumes_without_repeating_answers(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    assert runner.invoke(app, ["index", str(SEEDS)]).exit_code == 0
    questions = tmp_path / "q.jsonl"
    out = tmp_path / "answers.jsonl"
    questions.write_text("".join(json.dumps({"id": f"q{i}", "question": f"How long in Geneva {i}?"}) + "\n" for i in range(3)))
    out.write_text(json.dumps({"id": "q0", "answer": "kept"}) + "\n")
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


def test_unknown_question_file_type_is_an_error(fake_models: ScriptedGenerator, tmp_path: Path) -> None:
    (tmp_path / "q.xlsx").write_text("x")
    result = runner.invoke(app, ["batch", str(tmp_path / "q.xlsx")])
    assert result.exit_code == 1
    assert "unknown question file type '.xlsx'; use .txt, .jsonl or .csv" in result.output
