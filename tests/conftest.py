"""Deterministic fakes behind the embedder and generator interfaces, and a pinned index directory."""

from __future__ import annotations

import atexit
import builtins
import hashlib
import importlib.util
import io
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from rag.corpus import Document, check_corpus_root, iter_files, no_documents_error, read_document
from rag.generation import Generation

SEEDS = Path(__file__).resolve().parent.parent / "seeds"
# The model's saved instruction states go to one folder for the whole run (never the user's cache):
# every real model after the first reads them instead of evaluating the instructions again.
os.environ["RAG_STATE_DIR"] = tempfile.mkdtemp(prefix="rag-test-states-")
atexit.register(shutil.rmtree, os.environ["RAG_STATE_DIR"], True)


def installed(*modules: str) -> bool:
    return all(importlib.util.find_spec(m) is not None for m in modules)


def write_depots_table(tmp_path: Path) -> Path:
    """A folder holding one Markdown table of 150 rows, longer than a passage, whose header row
    alone says "parcels per week"; row 120 is the Alesund depot's."""
    corpus = tmp_path / "docs"
    corpus.mkdir()
    rows = [f"| Depot {n} | {n * 3} | {n + 40} |" for n in range(150)]
    rows[120] = "| Alesund depot | 96 | 14 |"
    (corpus / "depots.md").write_text("\n".join(["| Depot | Staff | Parcels per week |", "|---|---|---|", *rows]) + "\n",
                                      encoding="utf-8")
    return corpus


NEEDS_MILVUS = pytest.mark.skipif(not installed("pymilvus", "milvus_lite"),
                                  reason="pymilvus and milvus-lite are not installed; run pip install -e '.[test]'")
NEEDS_RAY = pytest.mark.skipif(not installed("ray"), reason="ray is not installed; run pip install -e '.[test]'")


class FakeEmbedder:
    """Bag of hashed words: texts sharing words get similar vectors."""

    name = "fake-embedder"
    dimension = 64

    def _vector(self, text: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            vector[int(hashlib.md5(word.encode()).hexdigest(), 16) % self.dimension] += 1.0
        norm = np.linalg.norm(vector)
        return vector / norm if norm else vector

    def embed_passages(self, texts: Sequence[str], progress: Callable[[int], None] | None = None) -> np.ndarray:
        if progress:
            progress(len(texts))
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dimension), np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


class ScriptedGenerator:
    """Replies from a script: a function of the prompt, or the same text every time."""

    def __init__(self, reply: str | Callable[[str], str], refusal_probability: float = 0.05,
                 yes: float = 0.9) -> None:
        self.reply = reply
        self.refusal_probability = refusal_probability
        self.yes = yes
        self.prompts: list[str] = []
        self.checks: list[str] = []
        self.prefix: str | None = None
        self.checks_from: list[str | None] = []  # the prefix start_from set before each check
        self.avoided: list[tuple[str, ...]] = []  # the words each reply was asked to avoid

    def generate(self, prompt: str, *, max_tokens: int, probe: Sequence[str] = (), suppress_probe: bool = False,
                 on_token: Callable[[str], None] | None = None, avoid: Sequence[str] = ()) -> Generation:
        self.prompts.append(prompt)
        self.avoided.append(tuple(avoid))
        text = self.reply(prompt) if callable(self.reply) else self.reply
        if on_token:
            for word in text.split(" "):
                on_token(word + " ")
        return Generation(text, self.refusal_probability, -0.1, -0.5, len(prompt) // 4, len(prompt) // 4,
                          len(text.split()), 0.01, 0.01)

    def yes_probability(self, prompt: str) -> float:
        self.checks.append(prompt)
        self.checks_from.append(self.prefix)
        return self.yes

    def start_from(self, prefix: str) -> None:
        self.prefix = prefix

    def stop_when(self, cancelled: Callable[[], bool] | None) -> None:
        self.cancelled = cancelled


@pytest.fixture(autouse=True)
def isolated_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own index directory, whatever the environment says, and answers in-process
    (tests of the background server opt in by deleting RAG_NO_SERVER)."""
    index_dir = tmp_path / "index"
    monkeypatch.setenv("RAG_INDEX", str(index_dir))
    monkeypatch.setenv("RAG_NO_SERVER", "1")
    monkeypatch.delenv("RAG_MODEL", raising=False)
    monkeypatch.delenv("RAG_ABSTAIN_THRESHOLD", raising=False)
    return index_dir


@pytest.fixture
def fake_models(monkeypatch: pytest.MonkeyPatch) -> ScriptedGenerator:
    """Route the library's real model classes to the fakes; returns the generator to script."""
    generator = ScriptedGenerator("They spoke for more than nine hours in Geneva [1].")
    monkeypatch.setattr("rag.embedding.MiniLMEmbedder", FakeEmbedder)
    monkeypatch.setattr("rag.generation.LlamaGenerator", lambda *a, **k: generator)
    return generator


@pytest.fixture
def unreadable(monkeypatch: pytest.MonkeyPatch) -> set[Path]:
    """Paths this user may not read, as chmod 200 makes them for anyone but root (the tests may run
    as root, who reads anything): add a path and os.access denies reading it, opening it to read or
    listing it raises PermissionError; it can still be written."""
    locked: set[Path] = set()
    real_access, real_open, real_scandir = os.access, io.open, os.scandir

    def denied(path: object) -> bool:
        return not isinstance(path, int) and Path(os.fsdecode(path)) in locked  # type: ignore[arg-type]

    def refuse(path: object) -> PermissionError:
        return PermissionError(13, "Permission denied", os.fsdecode(path))  # type: ignore[arg-type]

    def access(path: object, mode: int, *args: object, **kwargs: object) -> bool:
        return False if denied(path) and mode & os.R_OK else real_access(path, mode, *args, **kwargs)  # type: ignore[arg-type]

    def opened(file: object, *args: object, **kwargs: object) -> object:
        mode = str(args[0] if args else kwargs.get("mode", "r"))
        if denied(file) and ("r" in mode or "+" in mode):
            raise refuse(file)
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    def scandir(path: object = ".") -> object:
        if denied(path):
            raise refuse(path)
        return real_scandir(path)  # type: ignore[call-overload]

    monkeypatch.setattr(os, "access", access)
    monkeypatch.setattr(io, "open", opened)
    monkeypatch.setattr(builtins, "open", opened)
    monkeypatch.setattr(os, "scandir", scandir)
    return locked


def real_engine(corpus: Path, index_dir: Path, threshold: float | None = None):  # type: ignore[no-untyped-def]
    """An Engine over `corpus` with the real MiniLM embedder and GGUF model (e2e tests only);
    `threshold` overrides the fitted abstention threshold."""
    from rag.config import Settings
    from rag.embedding import MiniLMEmbedder
    from rag.indexing import build_index
    from rag.pipeline import Engine

    settings = Settings(index_dir=index_dir, abstain_threshold=threshold)
    embedder = MiniLMEmbedder()
    build_index(corpus, settings.index_dir, embedder, settings.chunking)
    return Engine.open(settings, embedder)


@pytest.fixture(params=["faiss", pytest.param("milvus", marks=NEEDS_MILVUS)])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Each store behaviour test runs against FAISS and against a real Milvus Lite file."""
    return "faiss" if request.param == "faiss" else f"milvus:{tmp_path / 'milvus.db'}"


@dataclass(frozen=True)
class ReadFolder:
    """What the readers make of a whole folder: the documents and every warning, in file order."""

    root: Path
    documents: tuple[Document, ...]
    warnings: tuple[str, ...]


def read_corpus(root: Path) -> ReadFolder:
    """Every document under root read as `rag index` reads each file (rag.corpus.read_document).

    Raises:
        CorpusError: root is not a folder, or it holds no readable document.
    """
    check_corpus_root(root)
    warnings: list[str] = []
    documents = []
    for path in iter_files(root):
        document, notes = read_document(root, path)
        warnings.extend(notes)
        if document is not None:
            documents.append(document)
    if not documents:
        raise no_documents_error(root)
    return ReadFolder(root, tuple(documents), tuple(warnings))
