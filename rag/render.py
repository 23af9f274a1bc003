"""Turning library results into terminal text and JSON. Pure functions: the CLI does the printing."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from rag.indexing import IndexReport
from rag.pipeline import Answer, Passage
from rag.retrieval import Hit


def _lines(start: int, end: int) -> str:
    return f"line {start}" if start == end else f"lines {start}–{end}"


def location(passage: Passage) -> str:
    return f"{passage.file} ¶{passage.paragraph} ({_lines(*passage.lines)})"


def answer_json(answer: Answer, **extra: Any) -> str:
    return json.dumps({**extra, **dataclasses.asdict(answer)}, ensure_ascii=False)


def answer_text(answer: Answer) -> str:
    """The answer, unsupported sentences flagged, then its sources with verbatim quotes."""
    if answer.abstained:
        return answer.answer
    sentences = []
    for claim in answer.claims:
        marks = "".join(f"[{i + 1}]" for i in claim.citations)
        sentences.append(f"{claim.text} {marks}" if claim.supported else f"{claim.text} [unsupported]")
    return " ".join(sentences) + "\n\n" + sources_text(answer)


def _starts_sentence(text: str) -> bool:
    return text[:1].isupper() or text[:1] in "\"“‘(["


def sources_text(answer: Answer) -> str:
    lines = ["Sources:"]
    for number, citation in enumerate(answer.citations, start=1):
        lines.append(f"  [{number}] {location(citation)}")
        if citation.quote:
            lead = "" if citation.text.startswith(citation.quote) or _starts_sentence(citation.quote) else "…"
            tail = "" if citation.quote[-1] in ".!?\"”'" else "…"
            lines.append(f"      “{lead}{citation.quote}{tail}”")
    return "\n".join(lines)


def after_stream_text(answer: Answer, streamed: bool) -> str:
    """What follows an answer streamed token by token: the verdict on it, then its sources."""
    if not streamed:
        return answer_text(answer) + "\n"
    if answer.abstained:
        return f"\nWithdrawn, not supported by the passages. {answer.answer}\n"
    flags = "".join(f"\n[unsupported] {c.text}" for c in answer.claims if not c.supported)
    return f"{flags}\n\n{sources_text(answer)}\n"


def full_sources_text(answer: Answer) -> str:
    """Every cited paragraph in full, for /sources in chat."""
    if not answer.citations:
        return "The last answer has no sources."
    blocks = [f"[{n}] {location(c)}\n{c.text}" for n, c in enumerate(answer.citations, start=1)]
    return "\n\n".join(blocks)


def hits_text(hits: list[Hit]) -> str:
    rows = []
    for rank, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        span = f"¶{chunk.first_paragraph}" + (
            f"–{chunk.last_paragraph}" if chunk.last_paragraph != chunk.first_paragraph else ""
        )
        lines = _lines(chunk.start_line, chunk.end_line)
        preview = " ".join(chunk.text.split())
        preview = preview[:200] + ("…" if len(preview) > 200 else "")
        rows.append(
            f"{rank}. {chunk.file} {span} ({lines})  score {hit.score:.3f} "
            f"(dense {hit.dense:.3f}, keyword {hit.keyword:.2f})\n   {preview}"
        )
    return "\n".join(rows) if rows else "No passages found."


SCORE_COLUMNS = [
    ("answerable", "ans", "{}"),
    ("unanswerable", "unans", "{}"),
    ("answer_accuracy", "acc%", "{}"),
    ("false_abstention", "falseAbst%", "{}"),
    ("abstention_accuracy", "abstain%", "{}"),
    ("citation_precision", "citP%", "{}"),
    ("citation_recall", "citR%", "{}"),
    ("hit@1", "Hit@1%", "{}"),
    ("hit@5", "Hit@5%", "{}"),
    ("mrr", "MRR", "{}"),
]


def scores_table(results: dict[str, dict[str, float | int | None]]) -> str:
    """A plain-text table of `rag eval` results, one row per question type."""
    header = f"{'type':<14}" + "".join(f"{title:>11}" for _, title, _ in SCORE_COLUMNS)
    rows = [header, "-" * len(header)]
    for name, rates in results.items():
        cells = "".join(
            f"{'–' if rates.get(key) is None else fmt.format(rates[key]):>11}" for key, _, fmt in SCORE_COLUMNS
        )
        rows.append(f"{name:<14}{cells}")
    return "\n".join(rows)


def index_report_text(report: IndexReport) -> str:
    """What `rag index` did, or with --dry-run would do, file by file."""
    changes = [f"  {kind} {name}" for kind, names in (("added", report.added), ("changed", report.changed),
               ("removed", report.removed)) for name in names]
    if report.dry_run:
        if report.up_to_date:
            return f"Up to date: {report.files} files; nothing would be embedded (dry run, nothing written)."
        return "\n".join([
            f"Would index {report.files} files: {len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.removed)} removed (dry run, nothing written)",
            *changes,
            f"{report.chunks} passages from added and changed files, {report.embedded} of them to embed",
        ])
    summary = (
        f"Indexed {report.files} files, {report.chunks} passages "
        f"({report.embedded} embedded, {report.reused} reused) in {report.seconds:.1f}s → {report.index_dir}"
    )
    if report.up_to_date:
        return summary + "; nothing changed"
    return summary + f"; files: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed"
