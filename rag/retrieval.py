"""Dense, keyword and hybrid search over an index store, with near-duplicates removed.

Each retriever returns its own top POOL candidates (FAISS for dense, the BM25 postings for
keywords); fusion scores the union of the two lists only, and the duplicate check reads the
vectors of the candidates it examines. No step per query is linear in the corpus size.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Literal

from rag.chunking import Chunk
from rag.embedding import Embedder
from rag.store import IndexStore, Scored

if TYPE_CHECKING:
    import numpy as np

Mode = Literal["dense", "keyword", "hybrid"]
MODES: tuple[Mode, ...] = ("dense", "keyword", "hybrid")
CANDIDATES = 100  # the rank whose score is each retriever's floor when scaling
POOL = 200  # candidates taken from each retriever
DENSE_WEIGHT = 0.5  # best of 0.3-0.7 on SciFact (bench/results/retrieval-sweep-*.json)
DUPLICATE_COSINE = 0.95


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
    """Search one index store with one embedder."""

    def __init__(self, index: IndexStore, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    def search(self, query: str, k: int = 5, mode: Mode = "hybrid") -> list[Hit]:
        """The k best distinct chunks for a query, best first."""
        import numpy as np

        if not self.index.count or k <= 0:
            return []
        pool = max(POOL, k)
        query_vector = self.embedder.embed_query(query) if mode != "keyword" else None
        dense_list = self.index.dense_search(query_vector, pool) if query_vector is not None else []
        keyword_list = self.index.keyword_search(query, pool) if mode != "dense" else []
        rows, dense, keyword = candidate_scores(dense_list, keyword_list, pool, self.index.count)
        fused = fuse(dense, keyword, mode)
        order = np.lexsort((rows, -fused))[: max(CANDIDATES, k)]  # ties: the earlier chunk first
        ranked = [int(rows[i]) for i in order]
        if mode == "hybrid":
            ranked = keep_in_first(ranked, [r for r, _ in dense_list[:1]] + [r for r, _ in keyword_list[:1]], k)
        position = {int(r): i for i, r in enumerate(rows)}
        hits = []
        for row, chunk, vector in self._distinct(ranked, k):
            i = position[row]
            # the true cosine, also for a chunk only the keyword list found
            cosine = float(vector @ query_vector) if query_vector is not None else float(dense[i])
            hits.append(Hit(chunk, float(fused[i]), cosine, float(keyword[i])))
        return hits

    def _distinct(self, rows: list[int], k: int) -> list[tuple[int, Chunk, np.ndarray]]:
        """Skip chunks that repeat a better one, word for word or nearly so.

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
                if kept and max(float(v @ vector) for _, _, v in kept) > DUPLICATE_COSINE:
                    continue
                seen_texts.add(text)
                kept.append((row, chunk, vector))
                if len(kept) == k:
                    return kept
        return kept


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


def fuse(dense: np.ndarray, keyword: np.ndarray, mode: Mode, dense_weight: float | None = None) -> np.ndarray:
    """One score per candidate: cosine, BM25, or a convex mix of both scaled to [0, 1].

    Each score array covers the union of the candidate lists. Dense cosines and BM25 scores are
    each scaled between the best candidate and the CANDIDATES-th one (clipped at 0), so neither
    scale dominates the mix.
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
    rank = min(CANDIDATES, len(scores))
    floor = min(float(np.partition(scores, -rank)[-rank]), top)
    if top <= floor:
        return np.zeros_like(scores) if top <= 0 else scores / top
    return np.clip((scores - floor) / (top - floor), 0.0, None)

