"""Dense, keyword and hybrid search over an index store, with repeated passages removed.

Each retriever returns its own top POOL candidates (FAISS for dense, the BM25 postings for
keywords); fusion scores the union of the two lists only, and the duplicate check reads only the
candidates it examines. No step per query is linear in the corpus size.

When the query is worded unlike the passages (its best keyword passage holds under half of its
terms), hybrid search then re-scores its best `rerank_pool` distinct passages with their single
best sentence's cosine to the query: a question reworded from one sentence of a long passage is
close to that sentence but not to the passage's mean vector, which blends everything else it says.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from rag.chunking import Chunk, sentence_spans, under_table_header
from rag.embedding import Embedder
from rag.store import IndexStore, Scored
from rag.text import STOP_WORDS, is_distinctive, terms, words

if TYPE_CHECKING:
    import numpy as np

Mode = Literal["dense", "keyword", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "keyword", "hybrid")
CANDIDATES = 100  # the rank whose score is each retriever's floor when scaling
POOL = 200  # candidates taken from each retriever
MISSED_RESCORED = 20  # best keyword candidates an approximate dense search missed, scored exactly
FUSION_FILE = Path(__file__).parent / "data" / "retrieval.json"  # written by bench/retrieval_sweep.py
SENTENCE_WEIGHT = 0.5  # of the best sentence's scaled cosine against the fused score's
# cosines the best dense candidate must stand above the CANDIDATES-th to be scaled to a full 1: a spread
# under this is no candidate closer than the rest, and is scaled down with it
MIN_DENSE_SPREAD = 0.2
REWORDED_COVERAGE = 0.5  # below this share of its terms in the best keyword passage
RARE_TERM_PASSAGES = 3  # a query word in at most this many passages names what is asked
MIN_SENTENCE_WORDS = 6  # shorter lines (headings, titles) match a question's names, not its ask


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the two scores it came from."""

    chunk: Chunk
    score: float
    dense: float
    keyword: float
    # Where a chunk crossing a page (a PDF's page, a deck's slide) ends: that page and the paragraph
    # on it; set for the hits a search returns (Engine.search), None when it ends on its first page.
    ends_at: tuple[int, int] | None = None


def _normalised(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


class Retriever:
    """Search one index store with one embedder."""

    def __init__(self, index: IndexStore, embedder: Embedder, rerank_pool: int = 0) -> None:
        self.index = index
        self.embedder = embedder
        self.rerank_pool = rerank_pool
        self.dense_weight = fitted_dense_weight()
        self._sentence_vectors: dict[str, np.ndarray] = {}

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The k best distinct chunks for a query, best first."""
        import numpy as np

        if not self.index.count or k <= 0:
            return []
        pool = max(POOL, k)
        query_vector = self.embedder.embed_query(query) if mode != "keyword" else None
        dense_list = self.index.dense_search(query_vector, pool) if query_vector is not None else []
        keyword_list = self.index.keyword_search(query, pool) if mode != "dense" else []
        if mode == "hybrid" and query_vector is not None and self.index.manifest.dense.get("type") != "flat":
            dense_list = self._with_missed_cosines(dense_list, keyword_list, query_vector)
        rows, dense, keyword = candidate_scores(dense_list, keyword_list, pool, self.index.count)
        fused = fuse(dense, keyword, mode, self.dense_weight)
        order = np.lexsort((rows, -fused))[: max(CANDIDATES, k)]  # ties: the earlier chunk first
        ranked = [int(rows[i]) for i in order]
        rerank = mode == "hybrid" and self.rerank_pool > 0 and self._worded_unlike(query, keyword_list)
        if mode == "hybrid" and not rerank:
            protected = [r for r, _ in dense_list[:1] + keyword_list[:1]] + self._rare_term_best(query, keyword_list)
            ranked = keep_in_first(ranked, protected, k)
        position = {int(r): i for i, r in enumerate(rows)}
        hits = []
        for row, chunk, vector in self._distinct(ranked, max(k, self.rerank_pool) if rerank else k):
            i = position[row]
            # the true cosine, also for a chunk only the keyword list found
            cosine = float(vector @ query_vector) if query_vector is not None else float(dense[i])
            hits.append(Hit(chunk, float(fused[i]), cosine, float(keyword[i])))
        if rerank and query_vector is not None:
            hits = self._by_best_sentence(hits, query_vector)
        return hits[:k]

    def _with_missed_cosines(self, dense_list: list[Scored], keyword_list: list[Scored], query_vector: np.ndarray) -> list[Scored]:
        """The dense list with the true cosines of the best keyword candidates it missed, where
        those are above its floor. An approximate (HNSW) index can miss a chunk unlike the bulk of
        the corpus (a short file among thousands of similar passages: no other node links to it),
        and fusion would score it at the dense floor however close it is to the query."""
        listed = {row for row, _ in dense_list}
        missed = [row for row, _ in keyword_list[:MISSED_RESCORED] if row not in listed]
        if not missed:
            return dense_list
        floor = min((score for _, score in dense_list), default=-1.0)
        found = [(row, float(cosine)) for row, cosine in zip(missed, self.index.vectors(missed) @ query_vector, strict=True)]
        return sorted(dense_list + [(row, cosine) for row, cosine in found if cosine > floor], key=lambda item: -item[1])

    def _rare_term_best(self, query: str, keyword_list: list[Scored]) -> list[int]:
        """The best keyword passage holding the query's rarest word, when at most RARE_TERM_PASSAGES
        passages hold it: a name the question asks about ("the ceph user") in one row of a long
        table scores under passages full of the question's common words ("uid", "user")."""
        rarest: set[int] | None = None
        for word in dict.fromkeys(w for w in words(query) if w not in STOP_WORDS and is_distinctive(w)):
            rows = {r for r, _ in self.index.keyword_search(word, RARE_TERM_PASSAGES + 1)}
            if rows and len(rows) <= RARE_TERM_PASSAGES and (rarest is None or len(rows) < len(rarest)):
                rarest = rows
        best = next((r for r, _ in keyword_list if r in rarest), None) if rarest else None
        return [] if best is None else [best]

    def _worded_unlike(self, query: str, keyword_list: list[Scored]) -> bool:
        """Whether the best keyword passage holds under half of the query's terms: a reworded
        question, whose answer the fused passage scores rank worst. The header row a continued
        table's passage carries counts, as keyword search reads it ("revenue of order 105432":
        the row holds the number, the header "Revenue" and "Order")."""
        wanted = set(terms(query))
        if not wanted or not keyword_list:
            return True
        best = self.index.chunks([keyword_list[0][0]])[0]
        return term_share(wanted, under_table_header(best.text, best.table_header)) < REWORDED_COVERAGE

    def _by_best_sentence(self, hits: list[Hit], query_vector: np.ndarray) -> list[Hit]:
        """Hits ordered by an even mix of their fused score and their best sentence's cosine to the
        query, each scaled to [0, 1] over these hits (the mix becomes their score, so what is
        shown stays in order); ties keep the fused order. The header row a continued table's chunk
        carries is one of its sentences, as it is of the chunk that holds it."""
        import numpy as np

        units = [sentence_units(under_table_header(h.chunk.text, h.chunk.table_header)) for h in hits]
        best = np.asarray([float((self._vectors_of(sentences) @ query_vector).max()) for sentences in units],
                          dtype=np.float32)
        fused = np.asarray([h.score for h in hits], dtype=np.float32)
        mixed = (1 - SENTENCE_WEIGHT) * _min_max(fused) + SENTENCE_WEIGHT * _min_max(best)
        return [replace(hits[i], score=float(mixed[i])) for i in np.argsort(-mixed, kind="stable")]

    def _vectors_of(self, sentences: list[str]) -> np.ndarray:
        """Sentence vectors, each embedded once per retriever (chat and the server ask again)."""
        import numpy as np

        new = [s for s in dict.fromkeys(sentences) if s not in self._sentence_vectors]
        if new:
            if len(self._sentence_vectors) > SENTENCE_CACHE:
                self._sentence_vectors.clear()
            self._sentence_vectors.update(zip(new, self.embedder.embed_passages(new), strict=True))
        return np.stack([self._sentence_vectors[s] for s in sentences])

    def _distinct(self, rows: list[int], k: int) -> list[tuple[int, Chunk, np.ndarray]]:
        """Skip chunks that repeat a better one word for word (in any case, spacing or punctuation).
        A chunk that differs in a word is kept however close its vector: "pyenv local" and "pyenv
        global", "must restart" and "must not restart", or the LGPL's and the GPL's version of a
        clause are near in meaning but answer different questions.

        Reads chunks and vectors in small batches, only as far down the ranking as needed."""
        kept: list[tuple[int, Chunk, np.ndarray]] = []
        seen_texts: set[str] = set()
        batch = max(2 * k, 8)
        for begin in range(0, len(rows), batch):
            block = rows[begin : begin + batch]
            for row, chunk, vector in zip(block, self.index.chunks(block), self.index.vectors(block), strict=True):
                text = _normalised(chunk.text)
                if text in seen_texts:
                    continue
                seen_texts.add(text)
                kept.append((row, chunk, vector))
                if len(kept) == k:
                    return kept
        return kept


SENTENCE_CACHE = 20_000  # sentence vectors a long-lived server keeps (~30 MB)


def term_share(wanted: set[str], text: str) -> float:
    """Share of the wanted terms that text holds: under REWORDED_COVERAGE marks a reworded query."""
    return len(wanted & set(terms(text))) / len(wanted) if wanted else 0.0


def sentence_units(text: str) -> list[str]:
    """The sentences of a passage that can answer something: split at sentence ends and blank
    lines, without lines under MIN_SENTENCE_WORDS words (all of them when every line is short)."""
    sentences = [
        block[start:end].strip()
        for block in re.split(r"\n\s*\n", text)
        for start, end in sentence_spans(block)
    ]
    long_enough = [s for s in sentences if len(s.split()) >= MIN_SENTENCE_WORDS]
    return long_enough or sentences or [text]


def _min_max(scores: np.ndarray) -> np.ndarray:
    import numpy as np

    low, high = float(scores.min()), float(scores.max())
    return (scores - low) / (high - low) if high > low else np.zeros_like(scores)


def keep_in_first(ranked: list[int], protected: list[int], k: int) -> list[int]:
    """Move each protected row that ranks below k up to the last places within k.

    A question worded unlike its passage has one retriever's best candidate right and the other's
    scores pulling it down; keeping each retriever's best makes the mix never worse than losing one.
    """
    protected = [r for r in dict.fromkeys(protected) if r not in ranked[:k]]
    if not protected or k <= len(protected):
        return ranked
    rest = [r for r in ranked if r not in protected]
    return rest[: k - len(protected)] + protected + rest[k - len(protected) :]


def candidate_scores(
    dense: list[Scored], keyword: list[Scored], pool: int, count: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The union of both candidate lists as aligned arrays: rows, dense scores, keyword scores.

    A row missing from a list gets that list's floor: its lowest score when the list is full
    (anything not listed scores at most that), else the score of an unlisted chunk (0 for BM25,
    which lists every chunk sharing a term; the list's lowest for dense).
    """
    import numpy as np

    rows = list(dict.fromkeys([r for r, _ in dense] + [r for r, _ in keyword]))
    dense_floor = min((s for _, s in dense), default=0.0)
    keyword_floor = min((s for _, s in keyword), default=0.0) if len(keyword) >= min(pool, count) else 0.0
    dense_by_row, keyword_by_row = dict(dense), dict(keyword)
    return (
        np.asarray(rows, dtype=np.int64),
        np.asarray([dense_by_row.get(r, dense_floor) for r in rows], dtype=np.float32),
        np.asarray([keyword_by_row.get(r, keyword_floor) for r in rows], dtype=np.float32),
    )


@lru_cache(maxsize=1)
def fitted_dense_weight(path: Path = FUSION_FILE) -> float:
    """Hybrid fusion's weight of the dense scores, as bench/retrieval_sweep.py chose it."""
    return float(json.loads(path.read_text(encoding="utf-8"))["dense_weight"])


def fuse(dense: np.ndarray, keyword: np.ndarray, mode: Mode, dense_weight: float) -> np.ndarray:
    """One score per candidate: cosine, BM25, or a convex mix of both scaled to [0, 1].

    Each score array covers the union of the candidate lists. Dense cosines and BM25 scores are
    each scaled between the best candidate and the CANDIDATES-th one (clipped at 0), so neither
    scale dominates the mix; cosines over a spread of at least MIN_DENSE_SPREAD, so that when all
    are alike (a one-word query of a rare name, which MiniLM places near nothing) their noise does
    not outrank a passage holding the word (tester-s50 M4: "Oniguruma" put two passages without it,
    cosines 0.27, above one with it).
    """
    if mode == "dense":
        return dense
    if mode == "keyword":
        return keyword
    return dense_weight * _scaled(dense, MIN_DENSE_SPREAD) + (1 - dense_weight) * _scaled(keyword)


def _scaled(scores: np.ndarray, min_spread: float = 0.0) -> np.ndarray:
    import numpy as np

    if not len(scores):
        return scores
    top = float(scores.max())
    rank = min(CANDIDATES, len(scores))
    floor = min(float(np.partition(scores, -rank)[-rank]), top)
    if top <= floor:
        return np.zeros_like(scores) if top <= 0 else scores / top
    return np.clip((scores - floor) / max(top - floor, min_spread), 0.0, None)

