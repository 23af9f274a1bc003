"""BM25 keyword search over chunks, through bm25s (sparse matrices, saved without pickle)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from rag.text import terms

if TYPE_CHECKING:
    import numpy as np

K1 = 1.2
B = 0.75


class KeywordIndex:
    """BM25 scores of every chunk for a query, and the IDF of its terms."""

    def __init__(self, retriever: Any, document_count: int) -> None:
        self._retriever = retriever
        self.document_count = document_count

    @classmethod
    def build(cls, texts: list[str]) -> KeywordIndex:
        import bm25s

        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        tokenized = [terms(text) or [""] for text in texts]
        if texts:
            retriever.index(tokenized, show_progress=False)
        return cls(retriever, len(texts))

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every chunk, in index order (zeros where no term matches)."""
        import numpy as np

        query_terms = [t for t in terms(query) if t in self._vocabulary]
        if not query_terms or not self.document_count:
            return np.zeros(self.document_count, dtype=np.float32)
        return np.asarray(self._retriever.get_scores(query_terms), dtype=np.float32)

    @property
    def _vocabulary(self) -> dict[str, int]:
        return getattr(self._retriever, "vocab_dict", None) or {}

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "count.json").write_text(json.dumps(self.document_count))
        if self.document_count:
            self._retriever.save(str(folder), show_progress=False)

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        import bm25s

        count = json.loads((folder / "count.json").read_text())
        if not count:
            return cls(None, 0)
        retriever = bm25s.BM25.load(str(folder), show_progress=False, verbosity=0, allow_pickle=False)
        return cls(retriever, count)
