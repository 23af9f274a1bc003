"""The library API: open an index once, then search and answer as often as needed.

    engine = Engine.open(Settings())
    answer = engine.ask("Where did Kerry and Lavrov meet?")
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field

from rag.chunking import is_lead_in
from rag.citations import (
    ClaimSupport,
    attribute,
    best_paragraph,
    best_sentence,
    distinctive_terms,
    paragraph_spans,
)
from rag.config import Settings
from rag.embedding import Embedder, MiniLMEmbedder
from rag.generation import Generation, Generator, LlamaGenerator
from rag.prompting import (
    ABSTENTION,
    NOT_FOUND,
    PromptPassage,
    build_prompt,
    check_turn,
    parse_reply,
    select_passages,
)
from rag.retrieval import Hit, Mode, Retriever
from rag.store import IndexStore, check_compatible, open_index

MAX_ANSWER_TOKENS = 80


@dataclass(frozen=True)
class Passage:
    """A paragraph (or chunk) of a file: `text` is verbatim, `lines` 1-based and inclusive."""

    file: str
    paragraph: int
    lines: tuple[int, int]
    text: str
    score: float
    quote: str | None = None


@dataclass(frozen=True)
class Claim:
    """One sentence of the answer and the citations (indexes into Answer.citations) behind it."""

    text: str
    supported: bool
    citations: tuple[int, ...]


@dataclass(frozen=True)
class Answer:
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


# Logistic weights for P(answerable), fitted by bench/calibrate.py on bench/data/calibration.jsonl
# (100 questions of our own over seeds/, never the dev set). Leave-one-out at threshold 0.5:
# 77 % of answerable questions answered correctly (the drafts' ceiling is 87 %) and 83 % of
# unanswerable ones abstained on; in-sample 79 % and 88 %.
DECISION_WEIGHTS = {
    "model_refusal": -4.159,
    "question_coverage": 0.245,
    "question_in_one": 1.073,
    "answer_support": 0.855,
    "joint_support": 0.422,
    "top_dense": 2.365,
    "answer_confidence": 1.676,
    "weakest_token": 2.934,
    "self_check": 1.072,
}
DECISION_BIAS = -4.051


def answerable_probability(signals: dict[str, float]) -> float:
    z = DECISION_BIAS + sum(w * signals.get(name, 0.0) for name, w in DECISION_WEIGHTS.items())
    return 1.0 / (1.0 + math.exp(-z))


def hit_passage(hit: Hit) -> Passage:
    chunk = hit.chunk
    return Passage(chunk.file, chunk.first_paragraph, (chunk.start_line, chunk.end_line), chunk.text, round(hit.score, 4))


class Engine:
    """A warm index, embedder and (lazily) generator; every question pays only for its own work."""

    def __init__(
        self,
        settings: Settings,
        index: IndexStore,
        embedder: Embedder,
        generator_factory: Callable[[], Generator] | None = None,
    ) -> None:
        self.settings = settings
        self.index = index
        self.retriever = Retriever(index, embedder)
        self._generator_factory = generator_factory or (
            lambda: LlamaGenerator(settings.model_path, threads=settings.threads)
        )
        self._generator: Generator | None = None
        self.load_timings: dict[str, float] = {}

    @classmethod
    def open(
        cls,
        settings: Settings,
        embedder: Embedder | None = None,
        generator_factory: Callable[[], Generator] | None = None,
    ) -> Engine:
        """Load the index at settings.index_dir and check it matches the embedder and chunking.

        Raises:
            IndexNotFoundError, IndexMismatchError, ModelError
        """
        started = time.perf_counter()
        index = open_index(settings.index_dir)
        index_seconds = time.perf_counter() - started
        started = time.perf_counter()
        embedder = embedder or MiniLMEmbedder()
        embedder_seconds = time.perf_counter() - started
        check_compatible(index.manifest, embedder.name, settings.chunking)
        engine = cls(settings, index, embedder, generator_factory)
        engine.load_timings = {"index_load": index_seconds, "embedder_load": embedder_seconds}
        return engine

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            started = time.perf_counter()
            self._generator = self._generator_factory()
            self.load_timings["llm_load"] = time.perf_counter() - started
        return self._generator

    def search(self, query: str, k: int | None = None, mode: Mode = "hybrid") -> list[Hit]:
        return self.retriever.search(query, k or self.settings.top_k, mode)

    def retrieve(self, question: str, k: int | None = None, mode: Mode = "hybrid") -> Answer:
        """Retrieval only: an Answer with `retrieved` filled and no generated text."""
        started = time.perf_counter()
        hits = self.search(question, k, mode)
        seconds = time.perf_counter() - started
        return Answer(question, "", False, 0.0, [], [], [hit_passage(h) for h in hits], {"retrieval": seconds})

    def ask(
        self,
        question: str,
        *,
        k: int | None = None,
        mode: Mode = "hybrid",
        search_query: str | None = None,
        on_token: Callable[[str], None] | None = None,
    ) -> Answer:
        """Answer from the retrieved passages only, with checked citations, or abstain.

        An answer whose first (core) sentence has no supporting passage is rewritten to its
        supported sentences, or withdrawn when none is supported.

        Args:
            search_query: what to retrieve with, when it differs from the question (follow-ups).
            on_token: receives the answer text as it is generated.
        """
        started = time.perf_counter()
        hits = self.search(search_query or question, k, mode)
        retrieval_seconds = time.perf_counter() - started
        passages = select_passages(question, hits, self.settings.context_words)
        generation = self.generator.generate(
            build_prompt(question, passages),
            max_tokens=MAX_ANSWER_TOKENS,
            probe=[NOT_FOUND],
            suppress_probe=True,
            on_token=on_token,
            check=check_turn(),
        )
        text, cited, declined = parse_reply(generation.text)
        supports = attribute(text, question, passages, cited) if not declined else []
        signals = _signals(question, text, passages, generation, supports, declined)
        confidence = answerable_probability(signals)
        abstained = declined or confidence < self.settings.abstain_threshold or not any(
            s.passages for s in supports
        )
        timings = {
            "retrieval": retrieval_seconds,
            "prompt": generation.prompt_seconds,
            "generation": generation.generation_seconds,
            "check": generation.check_seconds,
            "total": time.perf_counter() - started,
            "prompt_tokens": generation.prompt_tokens,
            "evaluated_tokens": generation.evaluated_tokens,
            "completion_tokens": generation.completion_tokens,
        }
        retrieved = [hit_passage(h) for h in hits]
        if abstained:
            return Answer(
                question, ABSTENTION, True, round(confidence, 4), [], [], retrieved, timings, signals, text or None
            )
        if not supports[0].passages:
            supports = [s for s in supports if s.passages]
            text = " ".join(s.claim for s in supports)
        citations, claims = self._cite(supports)
        return Answer(question, text, False, round(confidence, 4), citations, claims, retrieved, timings, signals)

    def _cite(self, supports: list[ClaimSupport]) -> tuple[list[Passage], list[Claim]]:
        """Paragraph-level citations with verbatim quotes, shared between claims."""
        citations: list[Passage] = []
        claims = []
        for support in supports:
            indexes = []
            for passage in support.passages:
                citation = self._paragraph_citation(passage, support.claim)
                key = (citation.file, citation.paragraph)
                existing = [i for i, c in enumerate(citations) if (c.file, c.paragraph) == key]
                if not existing:
                    citations.append(citation)
                    existing = [len(citations) - 1]
                indexes.append(existing[0])
            claims.append(Claim(support.claim, bool(support.passages), tuple(indexes)))
        return citations, claims

    def _paragraph_citation(self, passage: PromptPassage, claim: str) -> Passage:
        """The chunk's paragraph that best supports the claim; a lead-in ("X told reporters:")
        is cited together with the paragraph it introduces."""
        chunk = passage.hit.chunk
        pieces = paragraph_spans(self.index.paragraphs(chunk.file), chunk.start, chunk.end)
        if not pieces:
            return hit_passage(passage.hit)
        texts = {p.number: chunk.text[a - chunk.start : b - chunk.start] for p, a, b in pieces}
        number = best_paragraph(texts, claim)
        position = next(i for i, (p, _, _) in enumerate(pieces) if p.number == number)
        first, start, end = pieces[position]
        if is_lead_in(texts[number]) and position + 1 < len(pieces):
            _, _, end = pieces[position + 1]
        last = next(p for p, _, b in pieces if b == end)
        text = chunk.text[start - chunk.start : end - chunk.start]
        return Passage(
            chunk.file,
            number,
            (first.start_line, last.end_line),
            text,
            round(passage.hit.score, 4),
            best_sentence(text, claim),
        )


def _signals(
    question: str,
    answer: str,
    passages: list[PromptPassage],
    generation: Generation,
    supports: list[ClaimSupport],
    declined: bool,
) -> dict[str, float]:
    """The evidence the abstention decision weighs, each in [0, 1].

    model_refusal: the model's probability of opening with the cannot-answer sentinel.
    question_coverage: share of the question's key terms found anywhere in the passages.
    question_in_one: the same, within the single best passage.
    answer_support: the weakest answer sentence's share of key terms found in its cited passages.
    joint_support: share of question and answer key terms found together in one passage; an
        answer taken from the passages usually sits beside the question's own words.
    top_dense: the best passage's cosine similarity to the question.
    answer_confidence: the geometric mean of the generated tokens' probabilities.
    weakest_token: the probability of the least likely generated token.
    self_check: the model's P(yes) when asked, after its reply, whether the passages state it.
    """
    question_terms = distinctive_terms(question)
    answer_terms = distinctive_terms(answer) if not declined else set()
    passage_terms = [distinctive_terms(p.hit.chunk.text) for p in passages]

    def share(wanted: AbstractSet[str], found: AbstractSet[str]) -> float:
        return len(wanted & found) / len(wanted) if wanted else 0.0

    both = question_terms | answer_terms
    return {
        "model_refusal": round(generation.probe_probability, 4),
        "question_coverage": round(share(question_terms, set().union(*passage_terms)), 4),
        "question_in_one": round(max((share(question_terms, t) for t in passage_terms), default=0.0), 4),
        "answer_support": round(min((s.support for s in supports), default=0.0), 4),
        "joint_support": round(max((share(both, t) for t in passage_terms), default=0.0), 4),
        "top_dense": round(max((p.hit.dense for p in passages), default=0.0), 4),
        "answer_confidence": round(math.exp(generation.mean_logprob), 4),
        "weakest_token": round(math.exp(generation.min_logprob), 4),
        "self_check": round(generation.check_probability, 4),
    }
