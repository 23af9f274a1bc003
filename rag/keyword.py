"""BM25 keyword search over chunks: eager scores in a term-major sparse matrix, memory-mapped.

Same scoring as bm25s's "lucene" variant (the previous implementation): for a term t of a chunk d,
    idf(t) * tf / (tf + K1 * (1 - B + B * len(d) / avg_len)),  idf(t) = ln(1 + (N - df + 0.5) / (df + 0.5))
computed once at build time. Unlike bm25s, the build streams batches of texts (a million chunks
never sit in memory as token lists), the saved arrays are opened memory-mapped, the vocabulary is
looked up by row in SQLite, and a query reads only its terms' postings: no step per query touches
every chunk.

Files in the index folder: meta.json (count, K1, B), indptr.npy, docs.npy, scores.npy, terms.sqlite.
"""

from __future__ import annotations

import json
import re
import sqlite3
from array import array
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from rag.text import STOP_WORDS, stem, terms, words

if TYPE_CHECKING:
    import numpy as np

K1 = 1.2
B = 0.75
SCORE_BATCH = 1 << 22  # (term, chunk) pairs scored at once: bounds the build's float64 temporaries
# A term's score (idf times tf / (tf + K1 * ...), under 1) is under its idf, ln(1 + 2N + 1) at most
# (15 at a million chunks): one above this, or under 0, was written over in place.
MAX_SCORE = 1000.0
# A name of three letters or more and a number ("iPhone15", "Windows11"); "NF2", "CD4" are one name.
_NAME_AND_NUMBER = re.compile(r"([^\W\d_]{3,})(\d+)")
MAX_NUMBERED = 8  # a name's numbered terms a query reads in its place; more, and it names none


class KeywordIndex:
    """Postings of every term (chunk rows and their BM25 scores), and the term ids."""

    def __init__(
        self,
        indptr: np.ndarray,
        docs: np.ndarray,
        scores: np.ndarray,
        vocabulary: dict[str, int] | sqlite3.Connection,
        document_count: int,
    ) -> None:
        self._indptr = indptr
        self._docs = docs
        self._scores = scores
        self._vocabulary = vocabulary
        self.document_count = document_count

    @classmethod
    def build(cls, texts: list[str]) -> KeywordIndex:
        return cls.build_batches([texts], len(texts))

    @classmethod
    def build_batches(cls, batches: Iterable[list[str]], count: int | None = None) -> KeywordIndex:
        """Tokenise batch by batch into compact arrays, then score every (term, chunk) pair.

        Each batch's tokens are counted per chunk with one numpy sort (not a Counter per chunk),
        so the Python work left per token is the tokenizer and one vocabulary lookup."""
        import numpy as np

        vocabulary: dict[str, int] = {}
        term_parts: list[np.ndarray] = []
        doc_parts: list[np.ndarray] = []
        tf_parts: list[np.ndarray] = []
        lengths = array("f")
        doc = 0
        for batch in batches:
            tokens = array("q")
            starts = [0]
            for text in batch:
                ids = [vocabulary.setdefault(t, len(vocabulary)) for t in terms(text)]
                lengths.append(len(ids))
                tokens.extend(ids)
                starts.append(len(tokens))
            tids, docs, tf = _count_pairs(np.frombuffer(tokens, dtype=np.int64), np.asarray(starts), doc)
            term_parts.append(tids)
            doc_parts.append(docs)
            tf_parts.append(tf)
            doc += len(batch)
        tids = np.concatenate(term_parts) if term_parts else np.zeros(0, np.int32)
        docs = np.concatenate(doc_parts) if doc_parts else np.zeros(0, np.int32)
        tf = np.concatenate(tf_parts) if tf_parts else np.zeros(0, np.float32)
        del term_parts, doc_parts, tf_parts
        length = np.frombuffer(lengths, dtype=np.float32)
        df = np.bincount(tids, minlength=len(vocabulary)).astype(np.float64)
        idf = np.log(1.0 + (doc - df + 0.5) / (df + 0.5))
        average = float(length.mean()) if doc and length.sum() else 1.0
        scores = np.empty(len(tids), dtype=np.float32)
        for begin in range(0, len(tids), SCORE_BATCH):  # float64 temporaries for a slice at a time
            t, d, f = (a[begin : begin + SCORE_BATCH] for a in (tids, docs, tf))
            scores[begin : begin + SCORE_BATCH] = idf[t] * f / (f + K1 * (1 - B + B * length[d] / average))
        del tf
        order = np.argsort(tids, kind="stable")
        indptr = np.zeros(len(vocabulary) + 1, dtype=np.int64)
        np.cumsum(df.astype(np.int64), out=indptr[1:])
        return cls(indptr, docs[order].copy(), scores[order], vocabulary, doc)

    def top(self, query: str, k: int) -> list[tuple[int, float]]:
        """The k best chunk rows for a query, (row, score), best first; only rows sharing a term."""
        import numpy as np

        ids = self._query_ids(query)
        if not ids or k <= 0:
            return []
        docs = np.concatenate([self._postings(self._docs, i) for i in ids])
        scores = np.concatenate([self._postings(self._scores, i) for i in ids])
        if len(docs) and (docs.min() < 0 or docs.max() >= self.document_count):
            wrong = int(docs.min()) if docs.min() < 0 else int(docs.max())
            raise ValueError(f"keyword/docs.npy names passage {wrong} of {self.document_count}")
        if len(scores) and not (np.isfinite(scores).all() and 0 <= scores.min() and scores.max() <= MAX_SCORE):
            raise ValueError("keyword/scores.npy holds a score no BM25 term gives")
        if len(ids) > 1:
            docs, scores = _sum_by_chunk(docs, scores, self.document_count)
        if len(docs) > k:
            keep = np.argpartition(-scores, k - 1)[:k]
            docs, scores = docs[keep], scores[keep]
        order = np.lexsort((docs, -scores))
        return [(int(docs[i]), float(scores[i])) for i in order]

    def _postings(self, values: np.ndarray, term: int) -> np.ndarray:
        """One term's slice of docs or scores; bounds that run backwards or past the end are the
        index's damage (written in place: the files' sizes are checked elsewhere)."""
        begin, end = int(self._indptr[term]), int(self._indptr[term + 1])
        if not 0 <= begin <= end <= len(values):
            raise ValueError(f"keyword/indptr.npy gives term {term} postings {begin} to {end} of {len(values)}")
        return values[begin:end]

    def _query_ids(self, query: str) -> list[int]:
        """The ids of the query's terms the documents hold, reading letters and digits as they do.

        A name joined to its number, when the documents never write it whole but write the name
        alone, is looked up as its two parts ("iPhone15" where they write "iPhone 15"; not "GPLv3"
        where no "GPLv" stands alone); a word followed by a number is looked up also as one word
        where the documents write it so ("iPhone 15" where they write "iPhone15"). Only the query is
        read so: splitting the documents' own words lowered hybrid retrieval on SciFact (README,
        "What was tried")."""
        sequence = [w for w in words(query) if w not in STOP_WORDS]  # the words terms(query) stems
        whole = [self._term_id(stem(word)) for word in sequence]
        found = [i for i in whole if i is not None]
        for word, known in zip(sequence, whole):
            parts = _NAME_AND_NUMBER.fullmatch(word)
            name = self._term_id(stem(parts[1])) if parts and known is None else None
            if name is not None:
                found += [i for i in (name, self._term_id(parts[2])) if i is not None]
        for first, second in zip(sequence, sequence[1:]):
            if first.isalpha() and second.isdecimal():
                joined = self._term_id(stem(first + second))
                if joined is not None:
                    found.append(joined)
        for word, known in zip(sequence, whole):
            if known is None and len(word) >= 3 and word.isalpha():
                found += self._numbered_ids(stem(word))
        return found

    def _numbered_ids(self, name: str) -> list[int]:
        """The ids of the terms that join a name the documents never write alone to a number
        ("rfc8878", "python3" for "RFC", "Python"), when there are at most MAX_NUMBERED: a question
        names the series, the documents only its members."""
        if isinstance(self._vocabulary, dict):
            pairs = [(t, i) for t, i in self._vocabulary.items() if t.startswith(name)]
        else:
            pairs = self._vocabulary.execute(
                "SELECT term, id FROM terms WHERE term GLOB ? LIMIT ?", (f"{name}[0-9]*", 4 * MAX_NUMBERED)
            ).fetchall()
        numbered = [i for t, i in pairs if t[len(name):].isdecimal()]
        return numbered if len(numbered) <= MAX_NUMBERED and len(pairs) < 4 * MAX_NUMBERED else []

    def _term_id(self, term: str) -> int | None:
        if isinstance(self._vocabulary, dict):
            return self._vocabulary.get(term)
        row = self._vocabulary.execute("SELECT id FROM terms WHERE term = ?", (term,)).fetchone()
        return row[0] if row else None

    def save(self, folder: Path) -> None:
        import numpy as np

        folder.mkdir(parents=True, exist_ok=True)
        np.save(folder / "indptr.npy", self._indptr)
        np.save(folder / "docs.npy", self._docs)
        np.save(folder / "scores.npy", self._scores)
        vocabulary = self._vocabulary
        assert isinstance(vocabulary, dict), "only a freshly built index is saved"
        with sqlite3.connect(folder / "terms.sqlite") as db:
            db.execute("CREATE TABLE terms (term TEXT PRIMARY KEY, id INTEGER NOT NULL) WITHOUT ROWID")
            db.executemany("INSERT INTO terms VALUES (?, ?)", vocabulary.items())
        db.close()
        (folder / "meta.json").write_text(json.dumps({"count": self.document_count, "k1": K1, "b": B}))

    @classmethod
    def load(cls, folder: Path) -> KeywordIndex:
        """Open a saved index memory-mapped: the cost does not grow with the corpus."""
        import numpy as np

        meta = json.loads((folder / "meta.json").read_text())
        if not (folder / "terms.sqlite").is_file():
            raise OSError("keyword/terms.sqlite is missing")
        from rag.faiss_store import read_only_uri

        vocabulary = sqlite3.connect(read_only_uri(folder / "terms.sqlite"), uri=True, check_same_thread=False)
        vocabulary.execute("SELECT id FROM terms LIMIT 1").fetchall()  # a damaged file fails here, at open
        arrays = [_load_array(folder / name) for name in ("indptr.npy", "docs.npy", "scores.npy")]
        return cls(*arrays, vocabulary, int(meta["count"]))


def _sum_by_chunk(docs: np.ndarray, scores: np.ndarray, count: int) -> tuple[np.ndarray, np.ndarray]:
    """Each distinct chunk row once, ascending, with the sum of its scores (added in list order).

    Short lists are sorted; once they hold more than a sixteenth of the corpus (common terms in a
    large corpus: a million postings and more), one pass into a corpus-sized array is cheaper."""
    import numpy as np

    if len(docs) * 16 < count:
        docs, inverse = np.unique(docs, return_inverse=True)
        return docs, np.bincount(inverse, weights=scores).astype(np.float32)
    totals = np.bincount(docs, weights=scores, minlength=count)
    present = np.zeros(count, dtype=bool)
    present[docs] = True
    rows = np.flatnonzero(present)
    return rows.astype(docs.dtype), totals[rows].astype(np.float32)


def _count_pairs(tokens: np.ndarray, starts: np.ndarray, first_doc: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(term id, chunk row, term frequency) of each distinct term of each chunk of one batch, by
    chunk then term id; `tokens` holds the batch's term ids, chunk i's from starts[i] to starts[i+1]."""
    import numpy as np

    local = np.repeat(np.arange(len(starts) - 1, dtype=np.int64), np.diff(starts))
    pairs, frequencies = np.unique((local << 32) | tokens, return_counts=True)
    return (
        (pairs & 0xFFFFFFFF).astype(np.int32),
        ((pairs >> 32) + first_doc).astype(np.int32),
        frequencies.astype(np.float32),
    )


def _load_array(path: Path) -> np.ndarray:
    """Memory-mapped, except an empty array (which cannot be mapped); a damaged file named."""
    import numpy as np

    try:
        return np.load(path, mmap_mode="r", allow_pickle=False)
    except ValueError:
        pass
    try:
        return np.load(path, allow_pickle=False)
    except ValueError as error:
        raise ValueError(f"keyword/{path.name}: {error}") from error
