"""Settings with defaults, descriptions and the environment variables that override them."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_CORPUS = Path("seeds")
DEFAULT_INDEX_DIR = Path(".rag")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_PATH = PROJECT_ROOT / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"


def _env_path(name: str, default: Path) -> Path:
    value = os.environ.get(name)
    return Path(value).expanduser() if value else default


def _env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name)
    return float(value) if value else default


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


@dataclass(frozen=True)
class ChunkSettings:
    """How paragraphs become chunks; stored in the manifest so a mismatch forces a rebuild."""

    max_words: int = field(default=400, metadata={"help": "split longer paragraphs at sentences"})
    min_words: int = field(default=8, metadata={"help": "merge shorter paragraphs into a neighbour"})
    overlap_sentences: int = field(default=1, metadata={"help": "sentences shared by split pieces"})


@dataclass(frozen=True)
class Settings:
    """Everything a run can be configured with. Environment variables override the defaults."""

    index_dir: Path = field(
        default_factory=lambda: _env_path("RAG_INDEX", DEFAULT_INDEX_DIR),
        metadata={"help": "where the index lives", "env": "RAG_INDEX"},
    )
    model_path: Path = field(
        default_factory=lambda: _env_path("RAG_MODEL", DEFAULT_MODEL_PATH),
        metadata={"help": "the GGUF model file", "env": "RAG_MODEL"},
    )
    top_k: int = field(
        default_factory=lambda: _env_int("RAG_TOP_K", 6),
        metadata={"help": "passages given to the model", "env": "RAG_TOP_K"},
    )
    context_words: int = field(
        default_factory=lambda: _env_int("RAG_CONTEXT_WORDS", 240),
        metadata={"help": "words of passage text given to the model", "env": "RAG_CONTEXT_WORDS"},
    )
    abstain_threshold: float | None = field(
        default_factory=lambda: _env_float("RAG_ABSTAIN_THRESHOLD", None),
        metadata={
            "help": "answer only when P(answerable) reaches this (default: the fitted threshold)",
            "env": "RAG_ABSTAIN_THRESHOLD",
        },
    )
    threads: int = field(
        default_factory=lambda: _env_int("RAG_THREADS", len(os.sched_getaffinity(0)) or 1),
        metadata={"help": "CPU threads for the LLM", "env": "RAG_THREADS"},
    )
    chunking: ChunkSettings = field(
        default_factory=lambda: ChunkSettings(
            max_words=_env_int("RAG_CHUNK_WORDS", ChunkSettings.max_words),
            overlap_sentences=_env_int("RAG_CHUNK_OVERLAP", ChunkSettings.overlap_sentences),
        ),
        metadata={"help": "chunk size in words and overlap in sentences", "env": "RAG_CHUNK_WORDS, RAG_CHUNK_OVERLAP"},
    )
