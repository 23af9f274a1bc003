"""Question files in (.txt, .jsonl, .csv) and answers out (JSONL, CSV, Markdown), resumable.

Every answer is written and flushed as soon as it exists; a rerun with the same output file skips
the questions already answered there (by id, else by question text).
"""

from __future__ import annotations

import csv
import io
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rag.errors import InputError
from rag.results import Answer

FORMATS = ("jsonl", "csv", "md")
CSV_FIELDS = ["id", "question", "answer", "abstained", "confidence", "sources"]
_MD_ID = re.compile(r"^<!-- id: (.*) -->$")


@dataclass(frozen=True)
class Question:
    id: str
    question: str


def read_questions(path: Path) -> tuple[list[Question], list[str]]:
    """Questions from a file, and a warning for each malformed line (which is skipped).

    Raises:
        InputError: the file is missing, unreadable, or of an unknown type.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"question file {path} not found; pass an existing .txt, .jsonl or .csv file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read question file {path} ({error}); save it as UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _from_text(text), []
    if suffix == ".jsonl":
        return _from_jsonl(text, path.name)
    if suffix == ".csv":
        return _from_csv(text, path.name)
    raise InputError(f"unknown question file type {path.suffix!r}; use .txt, .jsonl or .csv")


def _from_text(text: str) -> list[Question]:
    questions = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            questions.append(Question(f"line-{number}", line))
    return questions


def _from_jsonl(text: str, name: str) -> tuple[list[Question], list[str]]:
    questions, warnings = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = str(row["question"]).strip()
            if not question:
                raise ValueError("empty question")
            questions.append(Question(str(row.get("id", f"line-{number}")), question))
        except (ValueError, KeyError, TypeError) as error:
            warnings.append(f"{name}:{number}: skipped, not a JSON object with a question ({error})")
    return questions, warnings


def _from_csv(text: str, name: str) -> tuple[list[Question], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "question" not in reader.fieldnames:
        raise InputError(f"{name} has no 'question' column; add a header row with id,question")
    questions, warnings = [], []
    for row in reader:
        number = reader.line_num
        question = (row.get("question") or "").strip()
        if not question:
            warnings.append(f"{name}:{number}: skipped, empty question")
            continue
        questions.append(Question((row.get("id") or f"line-{number}").strip(), question))
    return questions, warnings


def answered_keys(path: Path, fmt: str) -> set[str]:
    """Ids and question texts already present in an output file (empty if there is none)."""
    if not path.exists():
        return set()
    keys: set[str] = set()
    text = path.read_text(encoding="utf-8", errors="replace")
    if fmt == "jsonl":
        for line in text.splitlines():
            try:
                row = json.loads(line)
            except ValueError:
                continue
            keys.update(str(row[k]) for k in ("id", "question") if k in row)
    elif fmt == "csv":
        for row in csv.DictReader(io.StringIO(text)):
            keys.update(v for v in (row.get("id"), row.get("question")) if v)
    else:
        keys.update(m.group(1) for m in map(_MD_ID.match, text.splitlines()) if m)
    return keys


def pending(questions: list[Question], done: set[str]) -> Iterator[Question]:
    return (q for q in questions if q.id not in done and q.question not in done)


class AnswerWriter:
    """Appends one formatted answer at a time and flushes it."""

    def __init__(self, stream: TextIO, fmt: str, *, new_file: bool) -> None:
        self.stream = stream
        self.fmt = fmt
        self._csv = csv.DictWriter(stream, CSV_FIELDS) if fmt == "csv" else None
        if new_file and self._csv is not None:
            self._csv.writeheader()
        if new_file and fmt == "md":
            stream.write("# Answers\n")

    def write(self, question: Question, answer: Answer) -> None:
        from rag.render import answer_json, location

        if self.fmt == "jsonl":
            self.stream.write(answer_json(answer, id=question.id) + "\n")
        elif self._csv is not None:
            self._csv.writerow({
                "id": question.id,
                "question": question.question,
                "answer": answer.answer,
                "abstained": str(answer.abstained).lower(),
                "confidence": answer.confidence,
                "sources": "; ".join(location(c) for c in answer.citations or answer.retrieved),
            })
        else:
            self.stream.write(_markdown(question, answer))
        self.stream.flush()


def _markdown(question: Question, answer: Answer) -> str:
    from rag.render import location

    lines = ["", f"<!-- id: {question.id} -->", f"## {question.question}", "", answer.answer or "(retrieval only)", ""]
    for number, citation in enumerate(answer.citations, start=1):
        quote = f" — “{citation.quote}”" if citation.quote else ""
        lines.append(f"{number}. {location(citation)}{quote}")
    if not answer.citations and answer.retrieved:
        lines.extend(f"- {location(p)} (score {p.score})" for p in answer.retrieved)
    return "\n".join(lines) + "\n"
