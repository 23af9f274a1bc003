"""What the library returns for a question: the answer, its claims and the passages behind them."""

from __future__ import annotations

from dataclasses import dataclass, field


LINE_FORMATS = ("text", "markdown")  # formats whose line numbers are the file's own, for a reader to open
# reStructuredText's text is extracted (roles read as Sphinx shows them), but each of its paragraphs
# keeps the lines of the file it was read from: a citation still names lines a reader can open.
PARAGRAPH_LINE_FORMATS = ("rst",)
FILE_LINE_FORMATS = (*LINE_FORMATS, *PARAGRAPH_LINE_FORMATS)


@dataclass(frozen=True)
class Passage:
    """A paragraph (or chunk) of a file: `text` is verbatim, `lines` 1-based and inclusive.

    For PDF, HTML and DOCX, `text` and `lines` refer to the extracted text; a reader finds the
    passage by `page` and `page_paragraph` (PDF) or `paragraph`, and `heading`.
    """

    file: str
    paragraph: int
    lines: tuple[int, int]
    text: str
    score: float
    quote: str | None = None
    format: str = "text"
    page: int | None = None
    page_paragraph: int | None = None
    heading: str | None = None
    last_paragraph: int | None = None  # the last paragraph the text spans (`paragraph` is the first)
    table_header: str | None = None  # the header row of a table the text continues (its rows alone do not name columns)
    last_page: int | None = None  # for a passage crossing pages (PDF) or slides: the page it ends on
    last_page_paragraph: int | None = None  # and its last paragraph there
    quote_lines: tuple[int, int] | None = None  # the lines `quote` spans, for a text or Markdown file


@dataclass(frozen=True)
class Clause:
    """A clause of an answer sentence and the citations behind it alone; the clauses' texts, in
    order, are the sentence (each after the first opens with its separator: ", and ...")."""

    text: str
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Claim:
    """One sentence of the answer and the citations (indexes into Answer.citations) behind it.

    clauses: the sentence cut where each part draws on passages of its own ("The ftpmasters check
    the licences [1], and the listmasters run the mail server. [2]"), so a reader sees which source
    backs which part; empty when the sentence's citations back it as a whole.
    """

    text: str
    supported: bool
    citations: tuple[int, ...]
    clauses: tuple[Clause, ...] = ()


@dataclass(frozen=True)
class Answer:
    """An answer with checked citations, or an abstention with the withheld draft.

    `draft` is the model's reply before any check (citation marks removed), kept so that the
    quality of drafts and of the decision can be measured apart.
    """

    question: str
    answer: str
    abstained: bool
    confidence: float
    citations: list[Passage]
    claims: list[Claim]
    retrieved: list[Passage]
    timings: dict[str, float]
    signals: dict[str, float] = field(default_factory=dict)
    withheld: str | None = None
    draft: str | None = None
    abstained_because: str | None = None  # the decision's reason, when it abstained
