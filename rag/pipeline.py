"""The library API: open an index once, then search and answer as often as needed.

    engine = Engine.open(Settings())
    answer = engine.ask("Where did Kerry and Lavrov meet?")
"""

from __future__ import annotations

import contextlib
import itertools
import re
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, replace

from rag import abstention, mentions, models
from rag.chunking import Chunk
from rag.citations import (
    ClaimSupport,
    attribute,
    attribution_terms,
    cite,
    evidence_sentences,
    paragraph_citation,
    split_claims,
)
from rag.config import Settings
from rag.embedding import Embedder
from rag.errors import Cancelled
from rag.file_labels import NamesBackStream
from rag.generation import Generation, Generator
from rag.injection import without_orders
from rag.names import NO_NAMES, NO_NUMBERS, names_in_cited, numbers_in_cited
from rag.questions import question_parts
from rag.prompting import (
    ABSTENTION,
    NOT_FOUND,
    borrowed_from_examples,
    build_prompt,
    cased_as_written,
    check_prompt,
    evidence_prompt,
    judge_prefix,
    PromptPassage,
    parse_reply,
    precheck_prompt,
    select_passages,
    system_prefix,
    with_file_names,
)
from rag.results import Answer, Claim, Passage
from rag.retrieval import Hit, Mode, Retriever
from rag.store import IndexStore, check_compatible, open_index
from rag.text import SENTENCE_ENDS

__all__ = ["Answer", "Claim", "Engine", "Passage", "hit_passage"]

MAX_ANSWER_TOKENS = 80
MAX_PART_TOKENS = 48
SECOND_PART_NEW = 0.5


FOLLOWED_PASSAGES = 2  # of the answer before's citations, the passages a follow-up reads on from
READ_ON = 2  # chunks after each such passage, in its section


def _in_its_section(chunks: list[Chunk]) -> list[Chunk]:
    """The first chunk and those after it up to the first under another heading."""
    return chunks[:1] + list(itertools.takewhile(lambda c: c.heading == chunks[0].heading, chunks[1:]))


def _place(chunk: Chunk) -> tuple[str, int, int]:
    return chunk.file, chunk.start, chunk.end


def hit_passage(hit: Hit) -> Passage:
    chunk = hit.chunk
    return Passage(
        chunk.file, chunk.first_paragraph, (chunk.start_line, chunk.end_line), chunk.text, round(hit.score, 4),
        format=chunk.format, page=chunk.page, page_paragraph=chunk.page_paragraph, heading=chunk.heading,
        last_paragraph=chunk.last_paragraph, table_header=chunk.table_header,
        last_page=hit.ends_at[0] if hit.ends_at else None, last_page_paragraph=hit.ends_at[1] if hit.ends_at else None,
    )


def with_page_ends(hits: list[Hit], store: IndexStore) -> list[Hit]:
    """The hits, those whose chunk runs past its first page with `ends_at` set from the file's
    paragraphs (read once a file, and only for such chunks)."""
    paragraphs: dict[str, dict[int, tuple[int | None, int | None]]] = {}
    found = []
    for hit in hits:
        chunk = hit.chunk
        if chunk.page is None or chunk.last_paragraph <= chunk.first_paragraph:
            found.append(hit)
            continue
        if chunk.file not in paragraphs:
            paragraphs[chunk.file] = {p.number: (p.page, p.page_paragraph) for p in store.paragraphs(chunk.file)}
        page, on_page = paragraphs[chunk.file].get(chunk.last_paragraph, (None, None))
        ends_elsewhere = page is not None and on_page is not None and page != chunk.page
        found.append(replace(hit, ends_at=(page, on_page)) if ends_elsewhere else hit)
    return found


@contextlib.contextmanager
def _stoppable(generator: Generator, cancelled: Callable[[], bool] | None) -> Iterator[None]:
    """While the model works, cancelled() can stop it midway through a step, not only between steps
    (and once more at the end, for a stop that came after the model's last poll)."""
    generator.stop_when(cancelled)
    try:
        yield
    finally:
        generator.stop_when(None)
    _stop_if(cancelled)


def adds_to(part: str, part_question: str, draft: str) -> bool:
    """Whether the answer to a question's second part says what the draft does not: at least
    half of what it adds to that part's words is missing from the draft (a restatement of the
    draft in other words adds less)."""
    wanted = attribution_terms(part) - attribution_terms(part_question)
    return bool(wanted) and len(wanted - attribution_terms(draft)) >= SECOND_PART_NEW * len(wanted)


def reached_token_limit(completion_tokens: int) -> bool:
    """Whether a draft was cut off by MAX_ANSWER_TOKENS (its last word may be half a number)."""
    return completion_tokens >= MAX_ANSWER_TOKENS


_OPEN_ENDING = re.compile(r"[\s,;:–—-]+$")


def shown_cut_off(claim: str) -> str:
    """The last sentence of a reply the token limit cut off, as shown: ending in "…" where the
    model stopped ("... against Al-Nusra and ISIS…", not "... and ISIS;"), so that a reader sees
    it goes on in the cited passage; a sentence the model had ended stays as it is. A last word
    holding a digit is left out: it may be half a number ("0.80-0" of "0.80-0.97")."""
    claim = claim.rstrip()
    if claim.endswith((*SENTENCE_ENDS, "…")):
        return claim
    words = claim.split(" ")
    if len(words) > 1 and any(ch.isdigit() for ch in words[-1]):
        claim = " ".join(words[:-1])
    return _OPEN_ENDING.sub("", claim) + "…"


def _redrafted_if_copied(
    generator: Generator, prompt: str, generation: Generation, question: str, passages: list[PromptPassage]
) -> Generation:
    """The reply drafted again without the words it copied from a worked example, or as it was.

    "The new ferry terminal opened in March 2019 ..." answers nothing and would be withheld; the
    model's next best reply from the same passages (still in the KV cache) often answers. A copied
    number alone ("2019") cannot be avoided token by token, and the draft stays; so does one whose
    second draft copies again ("The new ferries' opening was in the spring of 2019").
    """
    avoid = [w for w in borrowed_from_examples(generation.text, question, passages) if w.isalpha() and len(w) > 2]
    if not avoid:
        return generation
    again = generator.generate(prompt, max_tokens=MAX_ANSWER_TOKENS, probe=[NOT_FOUND], suppress_probe=True, avoid=avoid)
    return generation if borrowed_from_examples(again.text, question, passages) else again


def _stop_if(cancelled: Callable[[], bool] | None) -> None:
    """Between the model's steps: raise Cancelled once cancelled() is true."""
    if cancelled is not None and cancelled():
        raise Cancelled("the asker left")


def _cut_off_shown(supports: list[ClaimSupport], draft: str) -> list[ClaimSupport]:
    """The supports with the draft's last sentence, which the token limit cut off, shown so."""
    last = len(split_claims(draft)) - 1
    return [_shown_cut_off_support(s) if i == last else s for i, s in enumerate(supports)]


def _shown_cut_off_support(support: ClaimSupport) -> ClaimSupport:
    clauses = support.clauses
    if clauses:  # the last clause is where the model stopped
        clauses = (*clauses[:-1], (shown_cut_off(clauses[-1][0]), clauses[-1][1]))
    return replace(support, claim=shown_cut_off(support.claim), clauses=clauses)


@dataclass(frozen=True)
class _Draft:
    """What the model wrote and judged for one question, before the decision."""

    generation: Generation
    text: str  # the reply's answer, citation marks taken out
    completed: str  # with the second part's answer, when one was added
    declined: bool
    cut_off: bool  # by MAX_ANSWER_TOKENS
    supports: list[ClaimSupport]  # each sentence's passages (the second part's included)
    precheck: float
    self_check: float
    evidence_check: float
    seconds: dict[str, float]


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
        self.retriever = Retriever(index, embedder, settings.rerank_pool)
        self._generator_factory = generator_factory or models.generator_factory(settings)
        self._generator: Generator | None = None
        self.load_timings: dict[str, float] = {}
        # The model's checks that the fitted decision does not weigh are skipped (each costs a
        # prompt); evaluation runs that record data for a refit ask for all of them.
        self.all_signals = False
        # A question asking two things has its second part answered on its own too (see
        # _second_part); benchmarks compare with and without.
        self.answers_second_parts = True

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
        index = open_index(settings.index_dir, settings.store)
        index_seconds = time.perf_counter() - started
        started = time.perf_counter()
        embedder = embedder or models.make_embedder(settings)
        embedder_seconds = time.perf_counter() - started
        check_compatible(index.manifest, embedder.name, settings.chunking, settings.index_dir)
        engine = cls(settings, index, embedder, generator_factory)
        engine.load_timings = {"index_load": index_seconds, "embedder_load": embedder_seconds}
        return engine

    def reconfigure(self, settings: Settings) -> None:
        """Take a request's per-question settings (k, threshold, re-scoring pool, ...) in a warm engine."""
        self.settings = settings
        self.retriever.rerank_pool = settings.rerank_pool

    def _asks(self, check: str) -> bool:
        """Whether to spend a prompt on one of the model's yes/no checks."""
        return self.all_signals or abstention.uses(check)

    @property
    def generator(self) -> Generator:
        if self._generator is None:
            started = time.perf_counter()
            self._generator = self._generator_factory()
            self.load_timings["llm_load"] = time.perf_counter() - started
        return self._generator

    def search(self, query: str, k: int | None = None, mode: Mode = "hybrid") -> list[Hit]:
        """The best chunks, each crossing a page told where it ends (a citation can then name
        both pages: "slide 7 ¶2 to slide 8 ¶1")."""
        return with_page_ends(self.retriever.search(query, k or self.settings.top_k, mode), self.index)

    def _read_on(self, hits: list[Hit], cited: Sequence[Passage], k: int) -> list[Hit]:
        """The k hits with the first FOLLOWED_PASSAGES cited passages, each with up to READ_ON chunks
        after it in its section, placed after the best hit. A follow-up ("How can I change it?" after
        the first bullet of a NEWS entry) is most often answered there, and neither its own words
        nor the answer before it find the later chunk, which names none of them."""
        followed: list[Chunk] = []
        for passage in cited[:FOLLOWED_PASSAGES]:
            line = (passage.quote_lines or passage.lines)[0]  # of a long paragraph cut in pieces, the quoted piece
            chunks = self.index.chunks_from(passage.file, passage.paragraph, line, READ_ON)
            followed += _in_its_section(chunks)
        found = {_place(h.chunk): h for h in hits}
        new = with_page_ends([Hit(c, 0.0, 0.0, 0.0) for c in followed if _place(c) not in found], self.index)
        found.update((_place(h.chunk), h) for h in new)
        order = [*hits[:1], *(found[_place(c)] for c in followed), *hits[1:]]
        return list({_place(h.chunk): h for h in order}.values())[:k]

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
        reading_on: Sequence[Passage] = (),
        on_token: Callable[[str], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> Answer:
        """Answer from the retrieved passages only, with checked citations, or abstain.

        An answer whose first (core) sentence has no supporting passage is rewritten to its
        supported sentences, or withdrawn when none is supported.

        Args:
            search_query: what to retrieve with, when it differs from the question (follow-ups).
            reading_on: passages the answer before cited, for a follow-up (see _read_on).
            on_token: receives the answer text as it is generated.
            cancelled: asked between the model's steps and, while the model computes, every
                STOP_POLL_SECONDS; True ends the work.

        Raises:
            Cancelled: cancelled() said so.
        """
        started = time.perf_counter()
        hits = self.search(search_query or question, k, mode)
        if reading_on:
            hits = self._read_on(hits, reading_on, k or self.settings.top_k)
        retrieval_seconds = time.perf_counter() - started
        # a follow-up's question carries the one before it, whose words are not asked about (nor
        # split into parts)
        own_question = search_query in (None, question)
        phrases = mentions.asked_phrases(question) if own_question else []
        found = mentions.find_mentions(self.index, phrases) if phrases else None
        if found and found.found:
            timings = {"retrieval": retrieval_seconds, "total": time.perf_counter() - started}
            return self._files_mentioning(question, found, hits, timings, on_token)
        passages = [
            replace(p, text=without_orders(p.text))
            for p in select_passages(question, hits, self.settings.context_words)
        ]
        generator = self.generator
        with _stoppable(generator, cancelled):
            draft = self._draft(generator, question, passages, own_question, on_token, cancelled)
        signals = self._signals(question, draft, passages, own_question)
        unsupported = not any(s.passages for s in draft.supports)
        decision = abstention.decide(signals, self.settings.abstain_threshold, draft.declined, unsupported=unsupported)
        timings = {
            "retrieval": retrieval_seconds,
            **draft.seconds,
            "total": time.perf_counter() - started,
            "prompt_tokens": draft.generation.prompt_tokens,
            "evaluated_tokens": draft.generation.evaluated_tokens,
            "completion_tokens": draft.generation.completion_tokens,
        }
        retrieved = [hit_passage(h) for h in hits]
        if decision.abstain:
            withheld = draft.completed or None
            return Answer(question, ABSTENTION, True, decision.probability, [], [], retrieved, timings, signals,
                          withheld, withheld, decision.reason)
        return self._answer(question, draft, decision.probability, retrieved, timings, signals)

    def _draft(
        self,
        generator: Generator,
        question: str,
        passages: list[PromptPassage],
        own_question: bool,
        on_token: Callable[[str], None] | None,
        cancelled: Callable[[], bool] | None,
    ) -> _Draft:
        """The model's steps for one question, in order: the pre-check, the draft (streamed), a
        redraft if it copied a worked example, the second part of a two-part question, and the
        evidence check of the sentences the draft was drawn from."""
        _stop_if(cancelled)
        started = time.perf_counter()
        generator.start_from(system_prefix())
        precheck = generator.yes_probability(precheck_prompt(question, passages))
        precheck_seconds = time.perf_counter() - started
        _stop_if(cancelled)
        prompt = build_prompt(question, passages)
        stream = NamesBackStream(on_token, (p.hit.chunk.file for p in passages), question) if on_token else None
        generation = generator.generate(
            prompt, max_tokens=MAX_ANSWER_TOKENS, probe=[NOT_FOUND], suppress_probe=True, on_token=stream
        )
        if stream:
            stream.finish()
        _stop_if(cancelled)
        started = time.perf_counter()
        generation = _redrafted_if_copied(generator, prompt, generation, question, passages)
        redraft_seconds = time.perf_counter() - started
        _stop_if(cancelled)
        started = time.perf_counter()
        self_check = (
            generator.yes_probability(check_prompt(prompt, generation.text))
            if self._asks("self_check") else abstention.NOT_ASKED
        )
        check_seconds = time.perf_counter() - started
        text, cited, declined = parse_reply(cased_as_written(with_file_names(generation.text, question, passages), passages))
        cut_off = reached_token_limit(generation.completion_tokens)
        supports = attribute(text, question, passages, cited, cut_off=cut_off) if not declined else []
        completed = text
        started = time.perf_counter()
        # only a draft that stands on its own is completed: a part never rescues an unsupported one
        if supports and supports[0].passages and self.answers_second_parts and own_question:
            _stop_if(cancelled)
            part, part_supports = self._second_part(generator, question, passages, text)
            if part:
                completed = f"{text}{'.' if text[-1:].isalnum() else ''} {part}"
                supports = supports + part_supports
        second_part_seconds = time.perf_counter() - started
        started = time.perf_counter()
        evidence = evidence_sentences(supports) if self._asks("evidence_check") else []
        evidence_check = 0.0
        if evidence:
            generator.start_from(judge_prefix())  # restored, not evaluated, after the first question
            evidence_check = generator.yes_probability(evidence_prompt(question, evidence))
        seconds = {
            "precheck": precheck_seconds,
            "prompt": generation.prompt_seconds,
            "generation": generation.generation_seconds,
            "check": check_seconds,
            "redraft": redraft_seconds,
            "second_part": second_part_seconds,
            "evidence_check": time.perf_counter() - started,
        }
        return _Draft(generation, text, completed, declined, cut_off, supports, precheck, self_check,
                      evidence_check, seconds)

    def _signals(self, question: str, draft: _Draft, passages: list[PromptPassage], own_question: bool) -> dict[str, float]:
        """The decision's inputs for a draft (see rag.abstention.signals)."""
        cited_files = {p.hit.chunk.file for s in draft.supports for p in s.passages}
        cited_texts = [p.hit.chunk.text for p in passages if p.hit.chunk.file in cited_files]
        return abstention.signals(
            abstention.Evidence(  # the draft alone: a part's number must not answer "how many" for it
                question, draft.text, passages, draft.supports, draft.generation.probe_probability, draft.precheck,
                draft.self_check, draft.generation.mean_logprob, draft.generation.min_logprob, draft.evidence_check,
                names_in_cited(self.index, question, cited_files) if own_question else NO_NAMES,
                numbers_in_cited(self.index, question, cited_files, cited_texts) if own_question else NO_NUMBERS,
            )
        )

    def _answer(
        self, question: str, draft: _Draft, confidence: float, retrieved: list[Passage], timings: dict[str, float],
        signals: dict[str, float],
    ) -> Answer:
        """A draft the decision lets through, shown as its supported sentences with their citations
        (a last sentence the token limit cut off marked so)."""
        supports = _cut_off_shown(draft.supports, draft.text) if draft.cut_off else draft.supports
        narrowed = not supports[0].passages or any(s.narrowed for s in supports)
        if narrowed:
            supports = [s for s in supports if s.passages]
        text = " ".join(s.claim for s in supports) if draft.cut_off or narrowed else draft.completed
        citations, claims = cite(supports, self.index.paragraphs)
        return Answer(question, text, False, confidence, citations, claims, retrieved, timings, signals,
                      None, draft.completed or None)

    def _second_part(
        self, generator: Generator, question: str, passages: list[PromptPassage], draft: str
    ) -> tuple[str, list[ClaimSupport]]:
        """The answer to the second part of a two-part question, with its support, when the draft
        lacks it; ("", []) otherwise.

        The 1.5B model often answers "X, and which Y?" with X alone. Y is asked on its own after
        the same passages (still in the KV cache, so only Y's words and its short answer cost
        time). Its answer is kept when it says what the draft does not (adds_to), ends a sentence
        (not cut off at MAX_PART_TOKENS) and every sentence of it is supported by the passages;
        the model may decline it.
        """
        parts = question_parts(question)
        if parts is None:
            return "", []
        reply = generator.generate(build_prompt(parts[1], passages), max_tokens=MAX_PART_TOKENS, probe=[NOT_FOUND])
        part, part_cited, declined = parse_reply(with_file_names(reply.text, parts[1], passages))
        if declined or not part.rstrip("\"'”’)]").endswith((".", "!", "?")) or not adds_to(part, parts[1], draft):
            return "", []
        supports = attribute(part, parts[1], passages, part_cited, context=question)
        return (part, supports) if all(s.passages for s in supports) else ("", [])

    def _files_mentioning(
        self,
        question: str,
        found: mentions.Mentions,
        hits: list[Hit],
        timings: dict[str, float],
        on_token: Callable[[str], None] | None,
    ) -> Answer:
        """The answer to "which files mention X?" from the index: one claim per file, cited at the
        paragraph and sentence where the file holds X. No draft and no decision: the words are there
        or not."""
        citations: list[Passage] = []
        claims: list[Claim] = []
        for number, mention in enumerate(found.found, 1):
            passage = PromptPassage(number, Hit(mention.chunk, 1.0, 0.0, 0.0), mention.chunk.text)
            citations.append(paragraph_citation(passage, mention.sentence, self.index.paragraphs(mention.file),
                                                answer_terms=attribution_terms(mention.phrase)))
            named = mentions.shown_phrase(mention.phrase)
            claims.append(Claim(f"{mention.file} mentions {named}.", True, (number - 1,)))
        if not found.complete:
            claims.append(Claim(f"More files may mention it: only the best {mentions.CANDIDATES} keyword matches "
                                "were read.", True, ()))
        text = " ".join(claim.text for claim in claims)
        if on_token:
            on_token(text)
        retrieved = [hit_passage(h) for h in hits]
        return Answer(question, text, False, 1.0, citations, claims, retrieved, timings,
                      {mentions.SIGNAL: float(len(found.found))}, None, text)
