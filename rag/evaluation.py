"""`rag eval`: answer a gold file and measure answers, abstentions, citations and retrieval.

Gold file: JSONL, one question a line:
    {"id", "type", "question", "answer", "must_include": [[alias, ...], ...],
     "evidence": [{"file", "line", "quote"}, ...]}
A question with type "unanswerable" (or neither must_include nor evidence) should be abstained on. An answer is right
when, for every group of must_include, one alias appears in it as whole words (case, accents and
punctuation ignored).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from rag.errors import InputError
from rag.questions import check_question, lines_of, read_input_file
from rag.results import Answer, Passage

HIT_KS = (1, 3, 5)


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    type: str
    question: str
    must_include: list[list[str]]
    evidence: list[tuple[str, int]]

    @property
    def answerable(self) -> bool:
        return self.type != "unanswerable" and bool(self.evidence or self.must_include)


@dataclass
class Scores:
    """Counts for one group of questions; the rates are derived from them."""

    answerable: int = 0
    with_evidence: int = 0  # answerable questions whose gold names evidence: citations and retrieval are scored on them
    correct: int = 0
    draft_correct: int = 0
    false_abstentions: int = 0
    unanswerable: int = 0
    correct_abstentions: int = 0
    shown: int = 0  # answers shown rather than abstained on, to any question
    citations: int = 0
    correct_citations: int = 0
    evidence_recall_sum: float = 0.0
    hits: dict[int, int] = field(default_factory=lambda: {k: 0 for k in HIT_KS})
    reciprocal_rank_sum: float = 0.0

    def rates(self) -> dict[str, float | int | None]:
        def rate(part: float, whole: int) -> float | None:
            return round(100 * part / whole, 1) if whole else None

        return {
            "answerable": self.answerable,
            "unanswerable": self.unanswerable,
            "answer_accuracy": rate(self.correct, self.answerable),
            "draft_accuracy": rate(self.draft_correct, self.answerable),
            "false_abstention": rate(self.false_abstentions, self.answerable),
            "abstention_accuracy": rate(self.correct_abstentions, self.unanswerable),
            # of the answers a user sees, the share that is right: what a lower threshold trades away
            "answer_precision": rate(self.correct, self.shown),
            "citation_precision": rate(self.correct_citations, self.citations),
            "citation_recall": rate(self.evidence_recall_sum, self.with_evidence),
            **{f"hit@{k}": rate(v, self.with_evidence) for k, v in self.hits.items()},
            "mrr": round(self.reciprocal_rank_sum / self.with_evidence, 3) if self.with_evidence else None,
        }


def normalise(text: str) -> str:
    text = unicodedata.normalize("NFKC", text).lower().replace("’", "'")
    text = re.sub(r"(?<=\d),(?=\d{3}\b)", "", text)
    return " ".join(re.sub(r"[^\w\s]", " ", text).split())


def contains_alias(answer: str, alias: str) -> bool:
    wanted = normalise(alias)
    return bool(wanted) and re.search(rf"(?<!\w){re.escape(wanted)}(?:s|es)?(?!\w)", normalise(answer)) is not None


def answer_is_correct(gold: GoldQuestion, answer: str) -> bool:
    return bool(answer.strip()) and all(any(contains_alias(answer, a) for a in group) for group in gold.must_include)


def gold_warnings(gold: list[GoldQuestion], indexed_files: Collection[str]) -> list[str]:
    """What would make entries score other than meant: one id given to several entries (their
    answers cannot be told apart in -o output), evidence in a file the index does not hold (its
    citations can never be right)."""
    warnings = []
    counts: dict[str, int] = defaultdict(int)
    for entry in gold:
        counts[entry.id] += 1
    shared = [qid for qid, n in counts.items() if n > 1]
    if shared:
        warnings.append(f"{len(shared)} id{'s are' if len(shared) > 1 else ' is'} given to several entries "
                        f"(first: {shared[0]!r}); give each entry its own id")
    named = {file for entry in gold for file, _ in entry.evidence}
    absent = sorted(file for file in named if not any(same_file(file, indexed) for indexed in indexed_files))
    if absent:
        more = f" and {len(absent) - 3} more" if len(absent) > 3 else ""
        warnings.append(f"evidence names files the index does not hold: {', '.join(absent[:3])}{more}; their "
                        "citations cannot score (index the folder they are in, or fix the names)")
    return warnings


def read_gold(path: Path) -> list[GoldQuestion]:
    """Raises: InputError naming the file and line of a malformed entry."""
    lines = lines_of(read_input_file(path, "gold file", "JSONL"))
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            if not isinstance(row, dict):
                raise TypeError(f"a JSON {type(row).__name__}, not an object")
            groups = row.get("must_include", [])
            if not isinstance(groups, list) or not all(isinstance(g, list) for g in groups):
                raise TypeError('must_include is not a list of alias lists, such as [["Geneva"]]')
            if not all(any(any(ch.isalnum() for ch in str(alias)) for alias in group) for group in groups):
                raise TypeError('a must_include group has no alias with a letter or digit, so no answer could match it')
            if not isinstance(row.get("question"), str):
                raise TypeError('it has no "question" text')
            evidence = row.get("evidence", [])
            if not isinstance(evidence, list) or not all(
                isinstance(e, dict) and isinstance(e.get("file"), str) and type(e.get("line")) is int and e["line"] >= 1
                for e in evidence
            ):
                raise TypeError('evidence is not a list of {"file": ..., "line": N} objects with N from 1')
            questions.append(
                GoldQuestion(
                    id=str(row["id"]) if row.get("id") is not None else f"line-{number}",
                    type=str(row.get("type", "factoid" if evidence or groups else "unanswerable")),
                    question=check_question(row["question"]),
                    must_include=[list(map(str, g)) for g in groups],
                    evidence=[(e["file"], e["line"]) for e in evidence],
                )
            )
        except ValueError as error:
            raise InputError(f"{path.name}:{number}: not valid JSON ({error.args[0].split(':')[0]}); "
                             "see the README for the format") from None
        except RecursionError:
            raise InputError(f"{path.name}:{number}: not valid JSON (nested thousands deep); "
                             "see the README for the format") from None
        except (TypeError, InputError) as error:
            raise InputError(f"{path.name}:{number}: not a gold entry ({error}); see the README for the format") from None
    if not questions:
        raise InputError(f"gold file {path} has no questions")
    return questions


def covers(passage: Passage, evidence: tuple[str, int]) -> bool:
    """Whether the passage holds the gold line: the gold names its file by name or by a path (the
    shorter of the two paths must end the longer: "a/README.md" is not "b/README.md", but
    "docs/a.md" is a corpus's "a.md")."""
    file, line = evidence
    return same_file(file, passage.file) and passage.lines[0] <= line <= passage.lines[1]


def same_file(named: str, indexed: str) -> bool:
    """Whether a gold file name means an indexed file: the shorter path ends the longer."""
    named_parts, indexed_parts = Path(named).parts, Path(indexed).parts
    shorter = min(len(named_parts), len(indexed_parts))
    return named_parts[-shorter:] == indexed_parts[-shorter:]


def citations_holding_evidence(citations: Sequence[Passage], evidence: Sequence[tuple[str, int]]) -> int:
    """How many citations hold some gold evidence line: citation precision's numerator."""
    return sum(any(covers(c, e) for e in evidence) for c in citations)


def evidence_recall(citations: Sequence[Passage], evidence: Sequence[tuple[str, int]]) -> float:
    """The share of the gold evidence lines (each counted once) that some citation holds."""
    lines = set(evidence)
    return sum(any(covers(c, e) for c in citations) for e in lines) / len(lines) if lines else 0.0


def score_one(scores: Scores, gold: GoldQuestion, answer: Answer) -> None:
    scores.shown += int(not answer.abstained)
    if not gold.answerable:
        scores.unanswerable += 1
        scores.correct_abstentions += int(answer.abstained)
        return
    scores.answerable += 1
    scores.correct += int(not answer.abstained and answer_is_correct(gold, answer.answer))
    scores.draft_correct += int(answer_is_correct(gold, answer.draft or ""))
    scores.false_abstentions += int(answer.abstained)
    if not gold.evidence:
        return  # nothing to check its citations or retrieval against
    scores.with_evidence += 1
    scores.citations += len(answer.citations)
    scores.correct_citations += citations_holding_evidence(answer.citations, gold.evidence)
    scores.evidence_recall_sum += evidence_recall(answer.citations, gold.evidence)
    rank = next((i for i, p in enumerate(answer.retrieved, 1) if any(covers(p, e) for e in gold.evidence)), None)
    if rank is not None:
        scores.reciprocal_rank_sum += 1 / rank
        for k in HIT_KS:
            scores.hits[k] += int(rank <= k)


def evaluate(
    gold: list[GoldQuestion], ask: Callable[[str], Answer], on_answer: Callable[[GoldQuestion, Answer], None] | None = None
) -> dict[str, dict[str, float | int | None]]:
    """Scores overall ("all") and per question type."""
    groups: dict[str, Scores] = defaultdict(Scores)
    for question in gold:
        answer = ask(question.question)
        score_one(groups["all"], question, answer)
        if question.type != "all":  # the overall group's name: such a question counts once
            score_one(groups[question.type], question, answer)
        if on_answer:
            on_answer(question, answer)
    return {name: scores.rates() for name, scores in sorted(groups.items(), key=lambda kv: kv[0] != "all")}
