"""Question files in (.txt, .jsonl, .csv) and answers out (JSONL, CSV, Markdown), resumable.

Every answer is written and flushed as soon as it exists; a rerun with the same output file skips
the questions already answered there (by id, else by question text). A run killed in the middle of
writing an answer leaves a torn record at the end: the rerun cuts it off before appending, so every
question ends up answered exactly once. A Markdown record ends with its id comment for that reason.
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

from rag.errors import InputError, OutputError
from rag.questions import check_question
from rag.results import Answer

FORMATS = ("jsonl", "csv", "md")
CSV_FIELDS = ["id", "question", "answer", "abstained", "confidence", "sources"]
_MD_ID = re.compile(r"^<!-- id: (.*) -->$")
_MD_RECORD_END = re.compile(rb"^<!-- id: .* -->\n", re.MULTILINE)
MD_HEADER = "# Answers\n"


@dataclass(frozen=True)
class Question:
    id: str
    question: str


def read_questions(path: Path) -> tuple[list[Question], list[str]]:
    """Questions from a file, and a warning for each malformed line (which is skipped).

    Raises:
        InputError: the file is missing, unreadable, of an unknown type, or holds no question.
    """
    questions, warnings = _read_questions(path)
    if not questions:
        malformed = f"; {len(warnings)} malformed, the first: {warnings[0]}" if warnings else ""
        raise InputError(f"question file {path} holds no questions{malformed}; write one a line (.txt), "
                         f"one {{\"question\": ...}} object a line (.jsonl) or id,question rows (.csv)")
    return questions, warnings


def _read_questions(path: Path) -> tuple[list[Question], list[str]]:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError(f"question file {path} not found; pass an existing .txt, .jsonl or .csv file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InputError(f"cannot read question file {path} ({error}); save it as UTF-8 text") from None
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _from_text(text, path.name)
    if suffix == ".jsonl":
        return _from_jsonl(text, path.name)
    if suffix == ".csv":
        return _from_csv(text, path.name)
    raise InputError(f"unknown question file type {path.suffix!r}; use .txt, .jsonl or .csv")


def _from_text(text: str, name: str) -> tuple[list[Question], list[str]]:
    questions, warnings = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                questions.append(Question(f"line-{number}", check_question(line)))
            except InputError as error:
                warnings.append(f"{name}:{number}: skipped, {error}")
    return questions, warnings


def _from_jsonl(text: str, name: str) -> tuple[list[Question], list[str]]:
    questions, warnings = [], []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            question = str(row["question"])
        except (ValueError, KeyError, TypeError) as error:
            warnings.append(f"{name}:{number}: skipped, not a JSON object with a question ({error})")
            continue
        try:
            questions.append(Question(str(row.get("id", f"line-{number}")), check_question(question)))
        except InputError as error:
            warnings.append(f"{name}:{number}: skipped, {error}")
    return questions, warnings


def _from_csv(text: str, name: str) -> tuple[list[Question], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    if not reader.fieldnames or "question" not in reader.fieldnames:
        raise InputError(f"{name} has no 'question' column; add a header row with id,question")
    questions, warnings = [], []
    for row in reader:
        number = reader.line_num
        try:
            question = check_question(row.get("question") or "")
        except InputError as error:
            warnings.append(f"{name}:{number}: skipped, {error}")
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


def open_output(path: Path, fmt: str) -> tuple[TextIO, bool, str | None]:
    """The output file opened for appending, whether it is new, and a warning when a torn record
    left by a killed run was cut off.

    Raises:
        OutputError: the folder is missing or the file cannot be written.
    """
    if not path.parent.is_dir():
        raise OutputError(f"folder {path.parent} does not exist; create it or pass another -o path")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; pass a file path to -o")
    try:
        dropped = _cut_torn_record(path, fmt)
        stream = open(path, "a", encoding="utf-8", newline="")
    except OSError as error:
        raise OutputError(f"cannot write {path} ({error.strerror}); pass a writable -o path") from None
    warning = f"cut a half-written answer off the end of {path}; that question is answered again" if dropped else None
    return stream, path.stat().st_size == 0, warning


def _cut_torn_record(path: Path, fmt: str) -> bool:
    """Truncate path to its complete records; True if anything was cut."""
    if not path.exists():
        return False
    data = path.read_bytes()
    keep = complete_length(data, fmt)
    if keep == len(data):
        return False
    with open(path, "r+b") as handle:
        handle.truncate(keep)
    return True


def complete_length(data: bytes, fmt: str) -> int:
    """How many leading bytes of an output file hold complete records."""
    if fmt == "jsonl":  # one record per line, no newline inside a record
        return data.rfind(b"\n") + 1
    if fmt == "md":
        ends = [m.end() for m in _MD_RECORD_END.finditer(data)]
        header = len(MD_HEADER) if data.startswith(MD_HEADER.encode()) else 0
        return ends[-1] if ends else header
    text = data.decode("utf-8", errors="replace")
    lines = io.StringIO(text, newline="")
    consumed = complete = 0

    def counted() -> Iterator[str]:
        nonlocal consumed
        for line in lines:
            consumed += len(line)
            yield line

    for row in csv.reader(counted()):
        if len(row) == len(CSV_FIELDS) and text[consumed - 1 : consumed] == "\n":
            complete = consumed
    return len(text[:complete].encode("utf-8"))


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
            stream.write(MD_HEADER)

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

    lines = ["", f"## {question.question}", "", answer.answer or "(retrieval only)", ""]
    for number, citation in enumerate(answer.citations, start=1):
        quote = f" — “{citation.quote}”" if citation.quote else ""
        lines.append(f"{number}. {location(citation)}{quote}")
    if not answer.citations and answer.retrieved:
        lines.extend(f"- {location(p)} (score {p.score})" for p in answer.retrieved)
    lines.append(f"<!-- id: {_one_line(question.id)} -->")  # last, so a torn record has none
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())
