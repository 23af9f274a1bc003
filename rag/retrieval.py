"""Dense, keyword and hybrid search over a loaded index, with near-duplicates removed."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rag.chunking import Chunk
from rag.embedding import Embedder
from rag.store import StoredIndex

if TYPE_CHECKING:
    import numpy as np

Mode = Literal["dense", "keyword", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "keyword", "hybrid")
CANDIDATES = 100
DENSE_WEIGHT = 0.5  # best of 0.3-0.7 on SciFact (bench/results/retrieval-sweep-*.json)
DUPLICATE_COSINE = 0.95
ADAPTIVE_MAX_DENSE_WEIGHT = 0.85
FULL_COVERAGE = 0.6


@dataclass(frozen=True)
class Hit:
    """A retrieved chunk with its fused score and the two scores it came from."""

    chunk: Chunk
    score: float
    dense: float
    keyword: float


def _normalised(text: str) -> str:
    return re.sub(r"\W+", " ", text.lower()).strip()


class Retriever:
    """Search one loaded index with one embedder."""

    def __init__(self, index: StoredIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self._vectors = index.vectors()

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The k best distinct chunks for a query, best first."""
        import numpy as np

        count = len(self.index.chunks)
        if not count or k <= 0:
            return []
        query_vector = self.embedder.embed_query(query) if mode != "keyword" else None
        dense = self._vectors @ query_vector if query_vector is not None else np.zeros(count, np.float32)
        keyword = self.index.keyword.scores(query) if mode != "dense" else np.zeros(count, np.float32)
        fused = fuse(dense, keyword, mode)
        order = np.argsort(-fused, kind="stable")[: max(CANDIDATES, k)]
        kept = self._distinct(order, k)
        return [
            Hit(self.index.chunks[i], float(fused[i]), float(dense[i]), float(keyword[i]))
            for i in kept
        ]

    def _distinct(self, order: np.ndarray, k: int) -> list[int]:
        """Skip chunks that repeat a better one, word for word or nearly so."""
        kept: list[int] = []
        seen_texts: set[str] = set()
        for i in order:
            text = _normalised(self.index.chunks[i].text)
            if text in seen_texts:
                continue
            if kept and float((self._vectors[kept] @ self._vectors[i]).max()) > DUPLICATE_COSINE:
                continue
            seen_texts.add(text)
            kept.append(int(i))
            if len(kept) == k:
                break
        return kept


def fuse(dense: np.ndarray, keyword: np.ndarray, mode: Mode, dense_weight: float | None = None) -> np.ndarray:
    """One score per chunk: cosine, BM25, or a convex mix of both scaled to [0, 1].

    Dense cosines are scaled between the best candidate and the CANDIDATES-th one, BM25 scores
    by the best one, so neither scale dominates the mix.
    """

    if mode == "dense":
        return dense
    if mode == "keyword":
        return keyword
    if dense_weight is None:
        dense_weight = DENSE_WEIGHT
    return dense_weight * _scaled(dense) + (1 - dense_weight) * _scaled(keyword)


def _scaled(scores: np.ndarray) -> np.ndarray:
    import numpy as np

    if not len(scores):
        return scores
    top = float(scores.max())
    floor = float(np.partition(scores, -min(CANDIDATES, len(scores)))[-min(CANDIDATES, len(scores))])
    floor = min(floor, top)
    if top <= floor:
        return np.zeros_like(scores) if top <= 0 else scores / top
    return np.clip((scores - floor) / (top - floor), 0.0, None)


def keyword_coverage(question: str, best_text: str) -> float:
    """Share of the question's distinctive terms found in the best keyword passage: low for
    questions reworded away from the passage's wording, whose BM25 ranking is mostly noise."""
    from rag.citations import distinctive_terms

    wanted = distinctive_terms(question)
    return len(wanted & distinctive_terms(best_text)) / len(wanted) if wanted else 0.0


def fuse_adaptive(dense: np.ndarray, keyword: np.ndarray, question: str, texts: list[str]) -> np.ndarray:
    """The convex mix, leaning on dense similarity as the keyword evidence thins out."""
    import numpy as np

    if not len(keyword) or float(keyword.max()) <= 0:
        return dense
    coverage = keyword_coverage(question, texts[int(np.argmax(keyword))])
    weight = DENSE_WEIGHT + (ADAPTIVE_MAX_DENSE_WEIGHT - DENSE_WEIGHT) * max(0.0, 1 - coverage / FULL_COVERAGE)
    return fuse(dense, keyword, "hybrid", weight)
