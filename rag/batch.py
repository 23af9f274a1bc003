"""Question files in (.txt, .jsonl, .csv) and answers out (JSONL, CSV, Markdown), resumable.

Every answer is written and flushed as soon as it exists; a rerun with the same output file skips
the questions already answered there (by id, else by question text). A run killed in the middle of
writing an answer leaves a torn record at the end: the rerun cuts it off before appending, so every
question ends up answered exactly once. A Markdown record ends with its id comment for that reason.
"""

from __future__ import annotations

import csv
import fcntl
import io
import json
import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from rag.errors import InputError, OutputError, cannot_read
from rag.questions import check_question, lines_of, read_input_file
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
    numbered: bool = False  # the id is the line number rag gave it, which moves when lines are added


def read_questions(path: Path) -> tuple[list[Question], list[str]]:
    """Questions from a file, and a warning for each malformed line (which is skipped).

    Raises:
        InputError: the file is missing, unreadable, of an unknown type, or holds no question.
    """
    questions, warnings = _read_questions(path)
    warnings += _shared_ids(questions, path.name) + _repeated(questions, path.name)
    if not questions:
        malformed = f"; {len(warnings)} malformed, the first: {warnings[0]}" if warnings else ""
        raise InputError(f"question file {path} holds no questions{malformed}; write one a line (.txt), "
                         f"one {{\"question\": ...}} object a line (.jsonl) or id,question rows (.csv)")
    return questions, warnings


def _shared_ids(questions: list[Question], name: str) -> list[str]:
    """A warning for each id that two different questions share: both are answered, and the
    output then holds two records under that id (the same question twice is answered once)."""
    texts: dict[str, set[str]] = {}
    for q in questions:
        if not q.numbered:
            texts.setdefault(q.id, set()).add(q.question)
    return [f"{name}: id {qid!r} is given to {len(found)} different questions; each is answered, under the same id"
            for qid, found in texts.items() if len(found) > 1]


def _repeated(questions: list[Question], name: str) -> list[str]:
    """One warning for the questions that repeat an earlier one (the same text, under the same id
    when ids are given): each is answered once, so the output holds fewer records than the file."""
    first: dict[object, Question] = {}
    repeats: list[tuple[Question, Question]] = []
    for q in questions:
        key = _identity(q)
        if key in first:
            repeats.append((q, first[key]))
        else:
            first[key] = q
    if not repeats:
        return []
    again, earlier = repeats[0]
    example = (f"{again.id.replace('-', ' ')} repeats {earlier.id.replace('-', ' ')}" if again.numbered
               else f"id {again.id!r} is asked twice")
    count = f"{len(repeats)} questions repeat" if len(repeats) > 1 else "1 question repeats"
    return [f"{name}: {count} an earlier one ({example}); each is answered once"]


def _read_questions(path: Path) -> tuple[list[Question], list[str]]:
    readers = {".txt": _from_text, ".jsonl": _from_jsonl, ".csv": _from_csv}
    decoding: list[str] = []
    # read first: a folder or a missing file is told as such, not as an unknown type
    text = read_input_file(path, "question file", ".txt, .jsonl or .csv", decoding)  # spreadsheets write CSV with a byte-order mark
    reader = readers.get(path.suffix.lower())
    if reader is None:
        raise InputError(f"unknown question file type {path.suffix!r}; use .txt, .jsonl or .csv")
    questions, warnings = reader(text, path.name)
    return questions, decoding + warnings


def _from_text(text: str, name: str) -> tuple[list[Question], list[str]]:
    questions, warnings = [], []
    for number, line in enumerate(lines_of(text), start=1):
        line = line.strip()
        if line and not line.startswith("#"):
            try:
                questions.append(Question(f"line-{number}", check_question(line), numbered=True))
            except InputError as error:
                warnings.append(f"{name}:{number}: skipped, {error}")
    return questions, warnings


def _from_jsonl(text: str, name: str) -> tuple[list[Question], list[str]]:
    questions, warnings = [], []
    for number, line in enumerate(lines_of(text), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except (ValueError, RecursionError):  # RecursionError: arrays nested thousands deep
            warnings.append(f"{name}:{number}: skipped, not valid JSON; write one object a line, such as "
                            '{"id": "q1", "question": "..."}')
            continue
        question = row.get("question") if isinstance(row, dict) else None
        if not isinstance(question, str):
            problem = ("has no \"question\" field" if isinstance(row, dict) and "question" not in row
                       else "has a \"question\" that is not text" if isinstance(row, dict) else "is not a JSON object")
            warnings.append(f"{name}:{number}: skipped, the line {problem}")
            continue
        given = _given_id(row.get("id"))
        try:
            questions.append(
                Question(f"line-{number}" if given is None else given, check_question(question), given is None)
            )
        except InputError as error:
            warnings.append(f"{name}:{number}: skipped, {error}")
    return questions, warnings


def _from_csv(text: str, name: str) -> tuple[list[Question], list[str]]:
    reader = csv.DictReader(io.StringIO(text))
    try:
        header = reader.fieldnames
    except csv.Error as error:
        raise InputError(f"{name}:1: not readable as CSV ({error}); fix that line") from error
    if header:  # "ID,Question" as a spreadsheet writes it
        reader.fieldnames = [column.strip().lower() for column in header]
        if reader.fieldnames.count("question") > 1:
            raise InputError(f"{name} has {reader.fieldnames.count('question')} 'question' columns; keep one")
    if not reader.fieldnames or "question" not in reader.fieldnames:
        first = reader.fieldnames[0] if reader.fieldnames else ""
        if re.search(r"\bquestion\b", first) and re.search(r"[;\t|]", first):
            separator = {";": "semicolons", "\t": "tabs", "|": "bars"}[next(ch for ch in first if ch in ";\t|")]
            raise InputError(f"{name} separates its columns with {separator}; save it with commas (CSV), "
                             "or as .jsonl or .txt")
        raise InputError(f"{name} has no 'question' column; add a header row with id,question")
    questions, warnings = [], []
    try:
        for row in reader:
            number = reader.line_num
            try:
                question = check_question(row.get("question") or "")
            except InputError as error:
                warnings.append(f"{name}:{number}: skipped, {error}")
                continue
            given = _given_id(row.get("id"))
            questions.append(Question(given or f"line-{number}", question, given is None))
    except csv.Error as error:
        raise InputError(f"{name}:{reader.line_num + 1}: not readable as CSV ({error}); fix that line") from error
    return questions, warnings


def _given_id(value: object) -> str | None:
    """A question's id as every output format writes it (on one line), or None when it has none."""
    given = _one_line(str(value)) if value is not None else ""
    return given or None


Answered = tuple[str, str | None]  # (id, question); the question None when a record lacks it


def format_of(output: Path | None) -> str:
    """The output format an -o file's extension names (answers.csv: csv), else jsonl."""
    suffix = output.suffix.lower().lstrip(".") if output else ""
    return {"csv": "csv", "md": "md", "markdown": "md"}.get(suffix, "jsonl")


RETRIEVAL_ONLY = "(retrieval only)"  # a Markdown record's answer line when none was drafted


def output_keys(path: Path, fmt: str) -> tuple[set[Answered], set[Answered]]:
    """The (id, question) of the records in an output file, read once: those with an answer, and
    those with passages only (--retrieve-only) whose question no record answers. Both id and
    question, because an id alone would pass over a new question that took an answered one's line
    number (see `pending`); empty sets when there is no file."""
    if not path.is_file():  # none yet, or a pipe or device: nothing to resume (reading a pipe would wait)
        return set(), set()
    answered: set[Answered] = set()
    retrieved: set[Answered] = set()
    text = path.read_text(encoding="utf-8", errors="replace")
    if fmt == "jsonl":
        for line in lines_of(text):
            try:
                row = json.loads(line)
            except (ValueError, RecursionError):
                continue
            if isinstance(row, dict) and "id" in row:
                key = (str(row["id"]), str(row["question"]) if "question" in row else None)
                (answered if row.get("answer") else retrieved).add(key)
    elif fmt == "csv":
        try:
            for row in csv.DictReader(io.StringIO(text)):
                if row.get("id"):
                    (answered if row.get("answer") else retrieved).add((row["id"], row.get("question")))
        except csv.Error as error:
            raise OutputError(f"{path} cannot be read as CSV ({error}); pass a new -o path") from None
    else:
        question, answer = None, None
        for line in lines_of(text):
            if line.startswith("## "):
                question, answer = line[3:], None
            elif answer is None and line.strip():
                answer = line
            elif match := _MD_ID.match(line):
                (retrieved if answer == RETRIEVAL_ONLY else answered).add((match.group(1), question))
    return answered, retrieved - answered


def open_output(path: Path, fmt: str, source: Path | None = None) -> tuple[TextIO, bool, str | None]:
    """The output file opened for appending, whether it is new, and a warning when a torn record
    left by a killed run was cut off.

    Raises:
        OutputError: the folder is missing, path is the question file `source`, or the file cannot be written.
    """
    if source is not None and path.exists() and path.resolve() == source.resolve():
        raise OutputError(f"{path} is the question file being read; pass another -o path")
    _check_file_path(path)
    if not _is_our_output(path, fmt):
        raise OutputError(
            f"{path} exists and is not rag's {fmt} output, which -o appends to (to resume a run); "
            f"pass a new -o path, or the --format it was written in"
        )
    try:
        stream = open(path, "a", encoding="utf-8", newline="")
    except OSError as error:
        raise OutputError(f"cannot write {path} ({error.strerror}); pass a writable -o path") from None
    try:  # before a torn record is cut: the other run may be writing it
        fcntl.flock(stream, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        stream.close()
        raise OutputError(f"another `rag batch` is writing {path}; wait for it to finish, or pass another -o path") from None
    except OSError:  # a file system without locks (some network mounts): write unlocked, as before
        pass
    try:
        dropped = _cut_torn_record(path, fmt)
    except PermissionError:  # opened to append, so writable: it cannot be read back to resume
        stream.close()
        raise OutputError(f"{cannot_read(str(path))} (-o is read back to resume a run), or pass another -o path") from None
    except OSError as error:
        stream.close()
        raise OutputError(f"cannot write {path} ({error.strerror}); pass a writable -o path") from None
    except OutputError:
        stream.close()
        raise
    warning = f"cut a half-written answer off the end of {path}; that question is answered again" if dropped else None
    return stream, path.stat().st_size == 0, warning


def open_fresh_output(path: Path, source: Path) -> TextIO:
    """A JSONL output written afresh (eval does not resume), after check_fresh_output.

    Raises:
        OutputError: as check_fresh_output, or the file cannot be written.
    """
    check_fresh_output(path, source)
    try:
        return open(path, "w", encoding="utf-8")
    except OSError as error:
        raise OutputError(f"cannot write {path} ({error.strerror}); pass a writable -o path") from None


def check_fresh_output(path: Path, source: Path) -> None:
    """Refuse to replace the file being read (`rag eval gold.jsonl -o gold.jsonl`) or any file rag
    did not write; called before models load, so the refusal is immediate.

    Raises:
        OutputError: path is the source, a folder, in a missing folder, or a file of the user's.
    """
    if path.resolve() == source.resolve():
        raise OutputError(f"{path} is the file being read; pass another -o path")
    _check_file_path(path)
    if not os.access(path if path.exists() else path.parent, os.W_OK):  # found now, not after the first answer
        raise OutputError(f"cannot write {path} (Permission denied); pass a writable -o path")
    if not _is_our_output(path, "jsonl"):
        raise OutputError(f"{path} exists and is not rag's JSONL output, which -o replaces; pass a new -o path")


def _check_file_path(path: Path) -> None:
    """Raises: OutputError when path's folder is missing or path is itself a folder."""
    if path.parent.exists() and not path.parent.is_dir():
        raise OutputError(f"{path.parent} is a file, not a folder; pass an -o path in a folder")
    if not path.parent.is_dir():
        raise OutputError(f"folder {path.parent} does not exist; create it or pass another -o path")
    if path.is_dir():
        raise OutputError(f"{path} is a folder; pass a file path to -o")


def _is_our_output(path: Path, fmt: str) -> bool:
    """Whether an existing file is empty or starts as `batch` writes fmt: never append to, let
    alone cut, a file of the user's (notes, a spreadsheet) given to -o by mistake."""
    if path.exists() and not path.is_file():
        return True  # a pipe or a device (-o /dev/stdout): written to, never read
    try:
        with open(path, "rb") as handle:
            start = handle.read(65536)
    except FileNotFoundError:
        return True
    except OSError:
        return True  # the write that follows names the problem
    if not start.strip():
        return True
    if fmt == "md":
        return start.startswith(MD_HEADER.encode())
    if fmt == "csv":
        return start.split(b"\n", 1)[0].rstrip(b"\r").decode("utf-8", "replace") == ",".join(CSV_FIELDS)
    first = start.split(b"\n", 1)[0]
    try:
        row = json.loads(first)
    except (ValueError, RecursionError):
        return b"\n" not in start and start.lstrip().startswith(b'{"')  # one torn record, cut below
    return isinstance(row, dict) and "answer" in row


def _cut_torn_record(path: Path, fmt: str) -> bool:
    """Truncate path to its complete records; True if anything was cut.

    Raises:
        OutputError: a CSV file holds a field the csv module refuses.
    """
    if not path.is_file():
        return False
    data = path.read_bytes()
    try:
        keep = complete_length(data, fmt)
    except OutputError as error:
        raise OutputError(f"{path}: {error}") from None
    if keep == len(data):
        if data and not data.endswith(b"\n"):  # a whole last record saved without its newline
            with open(path, "ab") as handle:
                handle.write(b"\n")
        return False
    with open(path, "r+b") as handle:
        handle.truncate(keep)
    return True


def complete_length(data: bytes, fmt: str) -> int:
    """How many leading bytes of an output file hold complete records."""
    if fmt == "jsonl":  # one record per line, no newline inside a record
        lines_end = data.rfind(b"\n") + 1
        return len(data) if _is_record(data[lines_end:]) else lines_end
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

    try:
        for row in csv.reader(counted()):
            if len(row) == len(CSV_FIELDS) and text[consumed - 1 : consumed] == "\n":  # else its last field may be cut
                complete = consumed
    except csv.Error as error:
        raise OutputError(f"the CSV output cannot be read back to resume it ({error}); pass a new -o path") from None
    return len(text[:complete].encode("utf-8"))


def _is_record(line: bytes) -> bool:
    """Whether a JSONL line is a whole JSON object (not one cut off mid-write)."""
    try:
        return isinstance(json.loads(line), dict)
    except (ValueError, RecursionError):
        return False


def pending(questions: list[Question], done: set[Answered], fmt: str = "jsonl") -> Iterator[Question]:
    """The questions not yet answered: by id and text, or by text alone when the id is a line number;
    a question repeated in the file is answered once, as a resumed run would. A Markdown output
    holds ids and questions as shown to people (control characters as pictures), so they are
    compared as shown."""
    shown = _md_shown if fmt == "md" else str
    texts = {question for _, question in done}
    seen: set[object] = set()
    for q in questions:
        qid, text = shown(q.id), shown(q.question)
        answered = text in texts if q.numbered else (qid, text) in done or (qid, None) in done
        if not answered and _identity(q) not in seen:
            seen.add(_identity(q))
            yield q


@dataclass(frozen=True)
class Resume:
    """Where a batch run into an output file starts: the questions left, out of how many."""

    todo: list[Question]
    asked: int  # the file's questions, a repeated one counted once
    resumed: bool  # the output already held records this run counts as done
    passages_only: int  # --retrieve-only records whose questions a full run answers now

    @property
    def done(self) -> int:
        return self.asked - len(self.todo)


def resume_from(output: Path | None, questions: list[Question], fmt: str, *, retrieve_only: bool = False) -> Resume:
    """What is left to do after the records already in output (none when writing to stdout); a
    --retrieve-only record counts as done only for another --retrieve-only run."""
    answered, passages_only = output_keys(output, fmt) if output else (set(), set())
    done = answered | passages_only if retrieve_only else answered
    return Resume(list(pending(questions, done, fmt)), distinct_count(questions), bool(done),
                  0 if retrieve_only else len(passages_only))


def distinct_count(questions: list[Question]) -> int:
    """How many questions a file asks, a repeated one counted once (it is answered once)."""
    return len({_identity(q) for q in questions})


def _identity(question: Question) -> object:
    """What makes two questions of a file the same: the text when the id is only a line number."""
    return question.question if question.numbered else (question.id, question.question)


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
    """A record for people to read: control characters a document held are shown, not sent."""
    from rag.render import location, terminal_safe

    # each on one line (a question is already): a line break in an answer or quote could start a
    # line the reader takes for the next record's "## question" or id
    answer_line = _one_line(answer.answer) or RETRIEVAL_ONLY
    answer_line = "\\" + answer_line if answer_line.startswith("#") else answer_line  # not read back as a question
    lines = ["", f"## {_one_line(question.question)}", "", answer_line, ""]
    for number, citation in enumerate(answer.citations, start=1):
        quote = f" — “{_one_line(citation.quote)}”" if citation.quote else ""
        lines.append(f"{number}. {location(citation)}{quote}")
    if not answer.citations and answer.retrieved:
        lines.extend(f"- {location(p)} (score {p.score})" for p in answer.retrieved)
    lines.append(f"<!-- id: {_one_line(question.id)} -->")  # last, so a torn record has none
    return terminal_safe("\n".join(lines)) + "\n"


def _one_line(text: str) -> str:
    return " ".join(text.split())


def _md_shown(text: str) -> str:
    """An id or question as a Markdown record shows it."""
    from rag.render import terminal_safe

    return terminal_safe(_one_line(text))
