"""Settings with defaults, descriptions and the environment variables that override them."""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Collection

from rag.errors import SettingsError

DEFAULT_CORPUS = Path("seeds")
DEFAULT_INDEX_DIR = Path(".rag")
PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL_PATH = PROJECT_ROOT / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
DEFAULT_STORE = "faiss"
# Hybrid candidates re-scored by their best sentence when the query is worded unlike the passages
# (rag.retrieval). On the fit and tune questions (bench/sentence_rerank.py) Hit@5 seeds 85.5 -> 91.9,
# licences 85.1 -> 87.2, abstracts 100 -> 100 % (Hit@1 93.5 -> 97.8); reworded questions over seeds
# 50 -> 72 %. A re-scored search embeds ~150 sentences (about 1 s on 2 cores).
RERANK_POOL = 30
MILVUS = "milvus:"
STORE_FIX = "use faiss, milvus:FILE.db (Milvus Lite) or milvus:http://HOST:19530"


YES, NO = ("1", "true", "yes", "on"), ("0", "false", "no", "off")


def env_yes_no(name: str, fix: str, unset: tuple[str, ...] = ("",)) -> bool | None:
    """An on/off environment variable: True or False, None when unset (or one of `unset`).

    Raises:
        SettingsError: a value neither yes nor no ("NAME=value is neither yes nor no; FIX").
    """
    value = os.environ.get(name, "").strip().lower()
    if value in unset:
        return None
    if value not in YES + NO:
        raise SettingsError(f"{name}={value} is neither yes nor no; {fix}", name)
    return value in YES


def _env_path(name: str, default: Path) -> Path:
    """The path in an environment variable; empty or blank counts as unset (not the current folder)."""
    value = os.environ.get(name, "")
    return Path(value).expanduser() if value.strip() else default


def _env_state_dir() -> Path | None:
    """RAG_STATE_DIR made absolute (a background server runs from /), "off" for none, else the
    user's cache folder (rag.state_files)."""
    from rag.state_files import default_folder

    value = os.environ.get("RAG_STATE_DIR", "").strip()
    if value.lower() == "off":
        return None
    return Path(value).expanduser().resolve() if value else default_folder()


def _env_float(name: str, default: float | None) -> float | None:
    value = os.environ.get(name, "").strip()
    try:
        return float(value) if value else default
    except ValueError:
        example = 0.5 if default is None else default
        raise SettingsError(f"{name}={value!r} is not a number; set it to a number such as {example} or unset it",
                            variable=name) from None


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    try:
        return int(value) if value else default
    except ValueError:
        raise SettingsError(f"{name}={value!r} is not a whole number; set it to one such as {default} or unset it",
                            variable=name) from None


def _env_number(env: str, default: int | float | None | Callable[[], int], help: str,
                low: float | None, high: float | None = None) -> Any:
    """A numeric setting read from env (a whole number when its default is one), defaulting to
    default (called when it is a function); the default is kept in the metadata for
    settings_ignoring."""
    def read() -> Any:
        plain = default() if callable(default) else default
        return _env_int(env, plain) if isinstance(plain, int) else _env_float(env, plain)

    return field(default_factory=read, metadata={"help": help, "env": env, "range": (low, high), "default": default})


MILVUS_SCHEMES = ("http", "https", "tcp", "grpc", "unix")  # what a Milvus server is reached by


def normalised_store(value: str) -> str | None:
    """The store as the library names it, or None when value names none.

    A Milvus Lite file is made absolute here, so a background process or a Ray worker started
    elsewhere opens the same file.
    """
    value = value.strip()
    if value == DEFAULT_STORE:
        return value
    uri = value.removeprefix(MILVUS).strip() if value.startswith(MILVUS) else ""
    if "://" in uri:
        return MILVUS + uri if uri.split("://", 1)[0].lower() in MILVUS_SCHEMES else None
    if not uri.endswith(".db") or uri == ".db":
        return None
    return MILVUS + str(Path(uri).expanduser().resolve())


def milvus_uri(store: str) -> str | None:
    """The URI a Milvus client takes, when the store is Milvus."""
    return store.removeprefix(MILVUS) if store.startswith(MILVUS) else None


def available_cpus() -> int:
    """CPUs this process may run on; macOS has no sched_getaffinity."""
    try:
        return len(os.sched_getaffinity(0)) or 1
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _check_ranges(settings: object) -> None:
    """Every numeric setting within its `range` metadata, else a SettingsError naming its variable."""
    for spec in dataclasses.fields(settings):  # type: ignore[arg-type]
        value = getattr(settings, spec.name)
        if value is None:
            continue
        low, high = spec.metadata.get("range", (None, None))
        if (low is not None and not value >= low) or (high is not None and not value <= high):  # NaN fails too
            env = spec.metadata.get("env", "")
            from_env = bool(env and os.environ.get(env, "").strip())
            name = f"{env}={os.environ[env].strip()}" if from_env else f"{spec.name}={value}"
            bounds = f"from {low} to {high}" if high is not None else f"of at least {low}"
            fix = f"set it to a value {bounds}" + (" or unset it" if from_env else "")
            raise SettingsError(f"{name} is out of range; {fix}", variable=env if from_env else "")


@dataclass(frozen=True)
class ChunkSettings:
    """How paragraphs become chunks; stored in the manifest so a mismatch forces a rebuild."""

    max_words: int = field(
        default=400, metadata={"help": "split longer paragraphs at sentences", "env": "RAG_CHUNK_WORDS", "range": (1, None)}
    )
    min_words: int = field(default=8, metadata={"help": "merge shorter paragraphs into a neighbour", "range": (0, None)})
    overlap_sentences: int = field(
        default=1, metadata={"help": "sentences shared by split pieces", "env": "RAG_CHUNK_OVERLAP", "range": (0, None)}
    )

    def __post_init__(self) -> None:
        _check_ranges(self)


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
    top_k: int = _env_number("RAG_TOP_K", 6, "passages given to the model", 1, 50)
    rerank_pool: int = _env_number(
        "RAG_RERANK_POOL", RERANK_POOL,
        "hybrid candidates re-scored by their best sentence when a query is worded unlike the passages (0: off)",
        0, 200)
    context_words: int = _env_number("RAG_CONTEXT_WORDS", 240, "words of passage text given to the model", 1)
    abstain_threshold: float | None = _env_number(
        "RAG_ABSTAIN_THRESHOLD", None,
        "answer only when P(answerable) reaches this (default: the fitted threshold)", 0.0, 1.0)
    threads: int = _env_number("RAG_THREADS", available_cpus, "CPU threads for the LLM", 1, 256)
    prompt_cache_mb: int = _env_number(
        "RAG_PROMPT_CACHE_MB", 512,
        "memory for the model's state after recent prompts, so a question asked again skips re-reading its "
        "passages (0: off)",
        0)
    state_dir: Path | None = field(
        default_factory=_env_state_dir,
        metadata={
            "help": "where the model's state after its fixed instructions is kept, so a fresh process "
            "skips evaluating them (off: nowhere; default ~/.cache/rag)",
            "env": "RAG_STATE_DIR",
        },
    )
    store: str = field(
        default_factory=lambda: os.environ.get("RAG_STORE", "").strip() or DEFAULT_STORE,
        metadata={"help": "where the index lives: faiss (files in the index folder) or milvus:URI", "env": "RAG_STORE"},
    )
    chunking: ChunkSettings = field(
        default_factory=lambda: ChunkSettings(
            max_words=_env_int("RAG_CHUNK_WORDS", ChunkSettings.max_words),
            overlap_sentences=_env_int("RAG_CHUNK_OVERLAP", ChunkSettings.overlap_sentences),
        ),
        metadata={"help": "chunk size in words and overlap in sentences", "env": "RAG_CHUNK_WORDS, RAG_CHUNK_OVERLAP"},
    )

    def __post_init__(self) -> None:
        _check_ranges(self)
        object.__setattr__(self, "store", _checked_store(self.store))
        if not utf8_path(self.index_dir.absolute()):
            raise SettingsError(f"the path of index folder {shown_path(self.index_dir.absolute())} is not valid UTF-8 (the "
                                "index names files by it); pass another --index (or RAG_INDEX), or rename the folder")


def settings_ignoring(unread: Collection[str], **changes: Any) -> tuple[Settings, list[str]]:
    """Settings for a command that never reads the fields named in unread, and the errors of
    their environment variables: a bad RAG_TOP_K cannot matter to `rag index`, so it is set aside
    (its default used) for a warning instead of stopping the command.

    Raises:
        SettingsError: a setting the command reads is unusable.
    """
    set_aside: list[SettingsError] = []
    while True:
        try:
            return Settings(**changes), [str(error) for error in set_aside]
        except SettingsError as error:
            spec = next((spec for spec in dataclasses.fields(Settings)
                         if error.variable and spec.metadata.get("env") == error.variable), None)
            if spec is None or spec.name not in unread or spec.name in changes or "default" not in spec.metadata:
                raise
            default = spec.metadata["default"]
            changes[spec.name] = default() if callable(default) else default
            set_aside.append(error)


LLM_SETTINGS = frozenset({"model_path", "top_k", "rerank_pool", "context_words", "abstain_threshold", "threads",
                          "prompt_cache_mb", "state_dir"})  # read only by commands that answer or search


def utf8_path(path: Path) -> bool:
    """Whether a path is text: Python keeps undecodable bytes of a name as lone surrogates."""
    try:
        str(path).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def shown_path(path: Path) -> str:
    """A path printable whatever its bytes (an undecodable byte shown as "?")."""
    return str(path).encode("utf-8", "replace").decode("utf-8")


def _checked_store(value: str) -> str:
    """The normalised store, else a SettingsError naming where the bad value came from."""
    store = normalised_store(value)
    if store is not None:
        return store
    from_env = os.environ.get("RAG_STORE", "").strip() == value.strip()
    name = f"RAG_STORE={value!r}" if from_env else f"store {value!r}"
    raise SettingsError(f"{name} is not a store; {STORE_FIX}" + (" or unset it" if from_env else ""))
