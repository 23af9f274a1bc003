"""Turning library results into terminal text and JSON. Pure functions: the CLI does the printing."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from rag.chunking import is_heading
from rag.corpus import Document, Paragraph, heading_of, without_rules
from rag.indexing import FolderChanges, IndexReport
from rag.readers import SHEET_FORMATS
from rag.results import FILE_LINE_FORMATS, Answer, Passage
from rag.retrieval import Hit

# Control characters a document or a file name may hold: printed as they are, ESC sequences clear
# the screen, retitle the window or write the clipboard, and a carriage return hides what precedes
# it on the line. Shown as their Unicode pictures (␛, ␍) instead; tab and newline are layout.
# Bidirectional overrides and isolates reorder what follows them on screen ("txt.exe" shown as
# "exe.txt"): replaced too.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_JSON_ESCAPED = re.compile(r"[\x80-\x9f\u2028\u2029]")


def terminal_safe(text: str) -> str:
    """text with every control character but tab and newline made visible and harmless."""
    return _CONTROL.sub(lambda m: chr(0x2400 + ord(m.group())) if m.group() < " " else
                        "\u2421" if m.group() == "\x7f" else "\ufffd", text)


def newlines_shown(text: str) -> str:
    """A file name or a message kept on its line: a newline in it (a file name may hold one) shown
    as ␊. Not readers.base.one_line, which collapses whitespace in extracted text."""
    return text.replace("\n", "\u240a")


def json_text(data: Any) -> str:
    """JSON with non-ASCII text as it is, but C1 control characters and the line and paragraph
    separators escaped: json leaves them raw, U+009B starts a terminal sequence as ESC [ does, and
    str.splitlines (and many a reader of JSON lines) splits a record at U+0085, U+2028 or U+2029."""
    return _JSON_ESCAPED.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def _shown_on_terminal(render: Callable[..., str]) -> Callable[..., str]:
    """A render function whose text quotes documents or names files: made terminal-safe."""

    @functools.wraps(render)
    def safe(*args: Any, **kwargs: Any) -> str:
        return terminal_safe(render(*args, **kwargs))

    return safe


def _lines(start: int, end: int, quoted: tuple[int, int] | None = None) -> str:
    """"lines 32–56", or with the quote's lines first where they are fewer: "line 37 of lines 32–56"."""
    span = f"line {start}" if start == end else f"lines {start}–{end}"
    if quoted is None or quoted == (start, end) or not start <= quoted[0] <= quoted[1] <= end:
        return span
    return f"{_lines(*quoted)} of {span}"


HEADING_WIDTH = 60


def _under(heading: str | None) -> str:
    if not heading:
        return ""
    short = heading if len(heading) <= HEADING_WIDTH else heading[: HEADING_WIDTH - 1].rstrip() + "…"
    return f'under "{short}"'


def _where(
    file: str, fmt: str, paragraphs: str, lines: tuple[int, int],
    page: int | None, page_paragraph: int | None, heading: str | None, more_paragraphs: int = 0,
    ends_at: tuple[int, int] | None = None, quoted: tuple[int, int] | None = None,
) -> str:
    """Where a reader finds a passage: lines in a text file, page and paragraph in a PDF,
    paragraph and heading in HTML and DOCX (line numbers of extracted text mean nothing there).

    A PDF or deck passage of several paragraphs is told as its first paragraph and how many follow
    it, or, when it runs onto another page or slide (ends_at), as where it starts and where it ends:
    "slide 7 ¶2 to slide 8 ¶1".
    """
    file = newlines_shown(file)
    if fmt in FILE_LINE_FORMATS:
        details = ", ".join(filter(None, [_lines(*lines, quoted), _under(heading)]))
        return f"{file} ¶{paragraphs} ({details})"
    more = f" and {more_paragraphs} more" if more_paragraphs else ""
    if ends_at and page is not None and ends_at[0] != page:
        more = f" to {_page_word(fmt)}{ends_at[0]} ¶{ends_at[1]}"
    where = f"{_page_word(fmt)}{page} ¶{page_paragraph}{more}" if page is not None else f"¶{paragraphs}"
    under = _under(heading)
    return f"{file} {where}" + (f" ({under})" if under else "")


def _span(first: int, last: int | None) -> tuple[str, int]:
    """"3–5" and the paragraphs after the first (2) of a passage over paragraphs first..last."""
    if last is None or last <= first:
        return str(first), 0
    return f"{first}–{last}", last - first


def location(passage: Passage) -> str:
    """Where a cited or retrieved passage is, over every paragraph it spans (as `rag search` shows it)."""
    span, more = _span(passage.paragraph, passage.last_paragraph)
    ends_at = None if passage.last_page is None else (passage.last_page, passage.last_page_paragraph or 1)
    return _where(
        passage.file, passage.format, span, passage.lines,
        passage.page, passage.page_paragraph, passage.heading, more, ends_at, passage.quote_lines,
    )


FILES_LISTED = 20
HEADING_MARK = " §"


# How a format's pages are named (a PDF's are "p.12"): a deck's are its slides, a workbook's its
# sheets, a notebook's its cells, a mailbox's its messages.
PAGE_WORDS = {"pptx": "slide ", "odp": "slide ", **dict.fromkeys(SHEET_FORMATS, "sheet "), "notebook": "cell ",
              "mbox": "message "}


def _page_word(fmt: str) -> str:
    return PAGE_WORDS.get(fmt, "p.")


def _paragraph_label(paragraph: Paragraph, fmt: str) -> str:
    if paragraph.page is None:
        return f"¶{paragraph.number}"
    return f"{_page_word(fmt)}{paragraph.page} ¶{paragraph.page_paragraph}"


OPEN_LINE_CHARS = 1200  # /open shows this much of a longer line, around the quote when it is there


def line_window(line: str, quote: str | None, limit: int = OPEN_LINE_CHARS) -> str:
    """A line as /open shows it: whole when short, else `limit` characters around the quote (or
    from its start), with what is left out counted: a file of one long line must not flood the
    terminal with all of it."""
    if len(line) <= limit:
        return line
    at = line.find(quote) if quote else -1
    start = max(0, min(at - limit // 4, len(line) - limit)) if at >= 0 else 0
    before, after = start, len(line) - start - limit
    return (f"[… {before} characters] " if before else "") + line[start : start + limit] + (
        f" [{after} characters …]" if after else "")


@_shown_on_terminal
def paragraph_context(document: Document, number: int, around: int) -> str:
    """Paragraph `number` of a document with `around` paragraphs each side, each labelled with
    its page and paragraph, the cited one marked with '>'."""
    rows = []
    for paragraph in document.paragraphs[max(0, number - 1 - around) : number + around]:
        mark = ">" if paragraph.number == number else " "
        rows.append(f"{mark} {_paragraph_label(paragraph, document.format):>9} | {document.paragraph_text(paragraph)}")
    return "\n".join(rows)


@_shown_on_terminal
def document_text(document: Document) -> str:
    """Every paragraph as rag reads it, labelled with its location, for `rag extract`: one line
    each, its words joined by single spaces as the Sources list prints quotes (a hard-wrapped or
    CRLF file's paragraph would otherwise spill over several lines, breaking `| grep -F`). A
    paragraph rag took for a section heading is marked § after its location: the heading labels
    the passages below it, so this is where to check that an underlined title or a page's heading
    was seen as one."""
    return "\n".join(
        f"{_paragraph_label(p, document.format)}{HEADING_MARK if is_heading(document, p) else ''} | {_on_one_line(document, p)}"
        for p in document.paragraphs
    )


def plain_text(document: Document) -> str:
    """Every paragraph's text on a line of its own and a blank line between paragraphs, without
    locations: a page or a book as a plain-text file that reads back as the same paragraphs, its
    headings underlined so they read back as headings."""
    return "\n\n".join(_underlined(_on_one_line(document, p)) if is_heading(document, p) else _on_one_line(document, p)
                       for p in document.paragraphs)


def _underlined(heading: str) -> str:
    """The heading underlined, when the text reader would take it so (a short enough title)."""
    underlined = f"{heading}\n{'=' * max(3, len(heading))}"
    return underlined if heading_of(underlined) == heading else heading


def _on_one_line(document: Document, paragraph: Paragraph) -> str:
    return " ".join(document.paragraph_text(paragraph).split())


@_shown_on_terminal
def files_text(passages: dict[str, tuple[str, int]], verbose: bool = False) -> str:
    """Passages per file (a small folder, or verbose), otherwise files and passages per format."""
    if verbose or len(passages) <= FILES_LISTED:
        return "\n".join(f"  {newlines_shown(file)}  [{fmt}]  {_count(count, 'passage')}" for file, (fmt, count) in passages.items())
    totals: dict[str, list[int]] = {}
    for fmt, count in passages.values():
        total = totals.setdefault(fmt, [0, 0])
        total[0] += 1
        total[1] += count
    return "  " + " · ".join(
        f"{fmt}: {_count(files, 'file')}, {_count(count, 'passage')}" for fmt, (files, count) in sorted(totals.items())
    )


def stale_index_text(changes: FolderChanges | None, corpus_root: str, indexed: int, index_option: str,
                     index_dir: Path) -> str | None:
    """The note that the folder an index was built from changed since (None when it did not), with
    the command that catches up; index_option is the `--index` an index other than the default needs."""
    from rag.store import shell_word

    if changes is None:
        return (f"{corpus_root}, the folder this index was built from, is gone; answers come from the index as it "
                f"was (if the folder moved: `rag index DIR{index_option}`)")
    if changes.removed == indexed and not changes.added:
        return (f"every file indexed from {changes.corpus_root} was removed; answers come from the index as it was "
                f"(add documents and run `rag index`, or delete the index: `rm -r {shell_word(index_dir)}`)")
    if not changes.any:
        return None
    rerun = f"run `rag index {shell_word(changes.corpus_root)}{index_option}`"
    if not (changes.changed or changes.added or changes.removed):
        return (f"{changes.corpus_root} may have changed since it was indexed ({_count(changes.touched, 'file')} of "
                f"the same size with a new modification time); {rerun}")
    touched = f", {changes.touched} touched" if changes.touched else ""
    return (f"{changes.corpus_root} changed since it was indexed ({changes.added} added, {changes.changed} changed, "
            f"{changes.removed} removed files{touched}); {rerun}")


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


def answer_json(answer: Answer, **extra: Any) -> str:
    return json_text({**extra, **dataclasses.asdict(answer)})


@_shown_on_terminal
def answer_text(answer: Answer) -> str:
    """The answer, unsupported sentences flagged, then its sources with verbatim quotes."""
    if answer.abstained:
        return answer.answer + closest_text(answer)
    sentences = []
    for claim in answer.claims:
        if not claim.supported:
            sentences.append(f"{claim.text} [unsupported]")
        elif claim.clauses:
            sentences.append("".join(f"{c.text} {_marks(c.citations)}" for c in claim.clauses))
        else:
            sentences.append(f"{claim.text} {_marks(claim.citations)}")
    return " ".join(sentences) + "\n\n" + sources_text(answer)


def _marks(citations: tuple[int, ...]) -> str:
    return "".join(f"[{i + 1}]" for i in citations)


CLOSEST_SHOWN = 3


def closest_text(answer: Answer) -> str:
    """Where the tool looked, under an abstention: the nearest passages it read, so the user can
    check the "no" as they would check an answer (the draft and the reason are in --json)."""
    if not answer.retrieved:
        return ""
    return "\n\nNearest passages read:\n" + "\n".join(f"  {location(p)}" for p in answer.retrieved[:CLOSEST_SHOWN])


def _starts_sentence(text: str) -> bool:
    return text[:1].isupper() or text[:1] in "\"“‘(["


def sources_text(answer: Answer) -> str:
    lines = ["Sources:"]
    for number, citation in enumerate(answer.citations, start=1):
        lines.append(f"  [{number}] {location(citation)}")
        if citation.quote:
            lead = "" if citation.text.startswith(citation.quote) or _starts_sentence(citation.quote) else "…"
            tail = "" if citation.quote[-1] in ".!?\"”'" else "…"
            # one line: a hard-wrapped source's own breaks and indentation would leave it ragged
            lines.append(f"      “{lead}{' '.join(citation.quote.split())}{tail}”")
    return "\n".join(lines)


DIM, RESET = "\x1b[2m", "\x1b[0m"


def pending_piece(piece: str, first: bool) -> str:
    """A streamed piece of a draft, shown dim: it is pending until the checks have passed."""
    return (DIM if first else "") + terminal_safe(piece)


def erase(streamed: str, width: int) -> str:
    """Terminal codes that move back over streamed text (wrapped at width) and clear it; rows
    counted in terminal cells (a CJK character takes two)."""
    from rich.cells import cell_len

    rows = sum(max(1, -(-cell_len(line) // max(width, 1))) for line in streamed.split("\n"))
    up = f"\x1b[{rows - 1}F" if rows > 1 else "\r"
    return RESET + up + "\x1b[J"


def after_stream_text(answer: Answer, streamed: str, width: int = 80) -> str:
    """What replaces a streamed draft: the checked answer with its sources, or the abstention.

    The draft was shown as pending; it is erased and the checked answer printed in its place, so
    a withdrawn draft, an unsupported first sentence or the model's own passage numbers never
    stay on screen.
    """
    return (erase(streamed, width) if streamed else "") + answer_text(answer) + "\n"


@_shown_on_terminal
def full_sources_text(answer: Answer) -> str:
    """Every cited paragraph in full, for /sources in chat."""
    if not answer.citations:
        return "The last answer has no sources."
    blocks = [f"[{n}] {location(c)}\n{c.text}" for n, c in enumerate(answer.citations, start=1)]
    return "\n\n".join(blocks)


NO_SHARED_WORD = "None of these passages holds a word of the query; they are only the nearest in meaning."


@_shown_on_terminal
def hits_text(hits: list[Hit], mode: str = "hybrid") -> str:
    """Ranked passages with their scores: for hybrid search the fused one (scaled per query, so the
    best hit is near 1 however poor it is) and each retriever's own; the one retriever's score
    otherwise (the other was not computed). Hybrid hits none of which holds a word of the query
    say so first."""
    rows = [NO_SHARED_WORD] if hits and mode == "hybrid" and not any(hit.keyword > 0 for hit in hits) else []
    for rank, hit in enumerate(hits, start=1):
        chunk = hit.chunk
        span, more = _span(chunk.first_paragraph, chunk.last_paragraph)
        where = _where(
            chunk.file, chunk.format, span, (chunk.start_line, chunk.end_line),
            chunk.page, chunk.page_paragraph, chunk.heading, more, hit.ends_at,
        )
        preview = _preview(chunk.text, chunk.table_header)
        parts = f" (dense {hit.dense:.3f}, keyword {hit.keyword:.2f})" if mode == "hybrid" else ""
        label = "fused" if mode == "hybrid" else f"{mode} score"
        rows.append(f"{rank}. {where}  {label} {hit.score:.3f}{parts}\n   {preview}")
    return "\n".join(rows) if rows else "No passages found."


PREVIEW_CHARS = 200


def _preview(text: str, table_header: str | None) -> str:
    """A passage's start on one line, without heading underlines; a continued table's rows after
    the header row they are under, in brackets as it is not the passage's own text."""
    preview = " ".join(without_rules(text).split())
    if table_header:
        preview = f"[{' '.join(table_header.split())}] {preview}"
    return preview[:PREVIEW_CHARS] + ("…" if len(preview) > PREVIEW_CHARS else "")


SCORE_COLUMNS = [
    ("answerable", "ans", "{}"),
    ("unanswerable", "unans", "{}"),
    ("answer_accuracy", "acc%", "{}"),
    ("draft_accuracy", "draft%", "{}"),
    ("false_abstention", "falseAbst%", "{}"),
    ("abstention_accuracy", "abstain%", "{}"),
    ("answer_precision", "ansP%", "{}"),
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


@_shown_on_terminal
def index_report_text(report: IndexReport) -> str:
    """What `rag index` did, or with --dry-run would do, file by file."""
    changes = [f"  {kind} {newlines_shown(name)}" for kind, names in (("added", report.added), ("changed", report.changed),
               ("removed", report.removed)) for name in names]
    again = f", {len(report.read_again)} read again" if report.read_again else ""
    if report.dry_run:
        if report.up_to_date:
            return f"Up to date: {_count(report.files, 'file')}; nothing would be embedded (dry run, nothing written)."
        return "\n".join([
            f"Would index {_count(report.files, 'file')}: {len(report.added)} added, {len(report.changed)} changed, "
            f"{len(report.removed)} removed{again} (dry run, nothing written)",
            *changes,
            f"{_count(report.chunks, 'passage')} from added and changed files, {report.embedded} of them to embed",
        ])
    summary = (
        f"Indexed {_count(report.files, 'file')}, {_count(report.chunks, 'passage')} "
        f"({report.embedded} embedded, {report.reused} unchanged or repeated) in {report.seconds:.1f}s → {report.index_dir}"
    )
    if report.up_to_date:
        return summary + "; nothing changed"
    return summary + f"; files: {len(report.added)} added, {len(report.changed)} changed, {len(report.removed)} removed{again}"


def _duration(seconds: float) -> str:
    minutes, seconds = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours}h{minutes:02d}m" if hours else f"{minutes}m{seconds:02d}s"


@_shown_on_terminal
def server_status_text(status: Any, index_dir: Any, *, index_exists: bool = True) -> str:
    """`rag server status`: a ServerStatus (rag/channel.py) in four or five lines, or that none runs
    (and, for a mistyped --index, that there is no index there either)."""
    if status is None and not index_exists:
        from rag.store import index_option

        return newlines_shown(f"No server running for {index_dir}, and there is no index there; build one with "
                              f"`rag index DIR{index_option(index_dir)}`.")
    if status is None:
        return f"No server running for {newlines_shown(str(index_dir))}."
    llm = "loaded" if status.llm_loaded else "not loaded yet"
    passages = f"{status.passages} passage{'s' if status.passages != 1 else ''}" if status.index_loaded else "loading"
    if status.index_rebuilt:
        passages += "; rebuilt since, the next question loads it"
    return (
        f"Server pid {status.pid}, up {_duration(status.uptime_seconds)}, {status.requests} requests, "
        f"stops after {_duration(status.idle_seconds_left)} more idle\n"
        f"index  {newlines_shown(status.index)} ({passages})\n"
        f"model  {newlines_shown(status.model)} ({llm})\n"
        f"memory {status.rss_mb:.0f} MB resident, {status.peak_rss_mb:.0f} MB peak"
        + (
            f"\nprompt cache {status.cached_prompts} prompts, {status.prompt_cache_mb:.0f} of "
            f"{status.prompt_cache_budget_mb:.0f} MB, {status.restored_prompts} restored"
            if status.prompt_cache_budget_mb else ""
        )
    )
