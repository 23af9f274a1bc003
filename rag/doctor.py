"""`rag doctor`: check the installation, the model, the index and the machine, one finding each.

Every check returns a `Check` with what was found and, when something is wrong, the command or
setting that fixes it. Checks never raise: a failure to check is itself a finding.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from rag import config
from rag.errors import RagError, ServerHungError

if TYPE_CHECKING:
    from rag.store import IndexStore

MIN_FREE_BYTES = 500 * 1024 * 1024  # an index of a large corpus, and room for temporary files
REQUIRED_PYTHON = (3, 11)


@dataclass(frozen=True)
class Check:
    """One finding: `ok` False means the tool will not work (or not well) until `fix` is done."""

    name: str
    ok: bool
    detail: str
    fix: str = ""


def _failed(name: str, error: RagError, fix: str) -> Check:
    """A failed check from an error whose message ends with its own fix ("...; build one with ..."),
    so the fix is not told twice; `fix` when the message has none."""
    problem, _, own_fix = str(error).rpartition("; ")
    return Check(name, False, problem, own_fix) if problem else Check(name, False, str(error), fix)


def run_checks(settings_factory: Callable[[], config.Settings] = config.Settings) -> list[Check]:
    """All checks, in the order a user would fix them."""
    checks = [check_python(), *check_packages()]
    failures, settings = _check_settings(settings_factory)
    checks += failures or [Check("settings", True, "environment variables valid")]
    if settings is None:
        return checks
    checks += [
        check_model(settings.model_path),
        check_chat_template(settings.model_path),
        check_llama(settings.threads),
        check_index(settings),
        check_server(settings.index_dir),
        check_disk(settings.index_dir),
    ]
    return checks


def _valid_settings(settings_factory: Callable[[], config.Settings]) -> config.Settings:
    """The settings, with the variables read outside them (server idle time, no-server) checked too.

    Raises:
        SettingsError: a variable is unusable.
    """
    from rag import channel, client

    settings = settings_factory()
    channel.idle_seconds()
    client.enabled()
    return settings


def _check_settings(settings_factory: Callable[[], config.Settings]) -> tuple[list[Check], config.Settings | None]:
    """A failed check for each unusable environment variable (tried one at a time, so each is
    named), and the settings with those left at their defaults so later checks still run; None
    when even that fails."""
    import dataclasses

    try:
        return [], _valid_settings(settings_factory)
    except RagError:
        pass
    names = {name.strip() for spec in dataclasses.fields(config.Settings)
             for name in spec.metadata.get("env", "").split(",") if name.strip()}
    names |= {"RAG_SERVER_IDLE", "RAG_NO_SERVER"}
    saved = {name: os.environ.pop(name) for name in sorted(names) if name in os.environ}
    failures: list[Check] = []
    try:
        for name, value in saved.items():
            os.environ[name] = value
            try:
                _valid_settings(settings_factory)
            except RagError as error:
                failures.append(_failed("settings", error, "fix or unset the environment variable"))
                del os.environ[name]
        try:
            return failures, _valid_settings(settings_factory)
        except RagError as error:  # valid one by one, not together
            return [*failures, _failed("settings", error, "fix or unset the environment variables")], None
    finally:
        for name, value in saved.items():
            os.environ[name] = value


def healthy(checks: list[Check]) -> bool:
    return all(c.ok for c in checks)


def check_python() -> Check:
    found = ".".join(map(str, sys.version_info[:3]))
    if sys.version_info[:2] == REQUIRED_PYTHON:
        return Check("python", True, found)
    wanted = ".".join(map(str, REQUIRED_PYTHON))
    return Check("python", False, f"{found}, but rag needs {wanted}", f"run rag with Python {wanted} (`make setup` builds .venv)")


def pinned_requirements() -> list[str]:
    """The dependencies declared in pyproject.toml (or in the installed package's metadata)."""
    pyproject = config.PROJECT_ROOT / "pyproject.toml"
    if pyproject.is_file():
        import tomllib

        return list(tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]["dependencies"])
    from importlib.metadata import PackageNotFoundError, requires

    try:
        return [r for r in requires("rag") or [] if "extra ==" not in r]
    except PackageNotFoundError:
        return []


def check_packages() -> list[Check]:
    """Each declared dependency installed at a version its specifier allows."""
    from importlib.metadata import PackageNotFoundError, version

    from packaging.requirements import Requirement

    checks = []
    for line in pinned_requirements():
        requirement = Requirement(line)
        name = f"package {requirement.name}"
        fix = f"run `make setup` (or pip install '{requirement}')"
        try:
            installed = version(requirement.name)
        except PackageNotFoundError:
            checks.append(Check(name, False, "not installed", fix))
            continue
        local = installed.split("+")[0]  # torch's "+cpu"
        if requirement.specifier and not requirement.specifier.contains(local, prereleases=True):
            checks.append(Check(name, False, f"{installed} installed, {requirement.specifier} required", fix))
        else:
            checks.append(Check(name, True, installed))
    return checks


def check_model(path: Path) -> Check:
    """Present, a GGUF, and for the default model the right size and sha256."""
    from rag.weights import check_model_file

    try:
        check_model_file(path)
    except RagError as error:
        return _failed("model file", error, "run `make setup`, or set RAG_MODEL to a GGUF file")
    size = path.stat().st_size / 1e9
    verified = "size and sha256 verified" if path.resolve() == config.DEFAULT_MODEL_PATH.resolve() else "not the default model, sha256 not checked"
    return Check("model file", True, f"{path} ({size:.2f} GB, {verified})")


def check_chat_template(path: Path) -> Check:
    """The GGUF declares a ChatML template (read from its vocabulary only, without the weights)."""
    from rag.generation import chat_template_problem

    if not path.is_file():
        return Check("chat template", False, "no model file to read", "see `model file` above")
    try:
        metadata = gguf_metadata(path)
    except (RagError, ValueError, RuntimeError, OSError) as error:
        return Check("chat template", False, f"cannot read {path} ({error})", "run `make setup`, or set RAG_MODEL to a GGUF file")
    problem = chat_template_problem(metadata)
    if problem:
        return Check("chat template", False, f"{path.name} {problem}", "set RAG_MODEL to a ChatML chat model (such as Qwen2.5 Instruct)")
    return Check("chat template", True, f"ChatML ({metadata.get('general.name', path.name)})")


def gguf_metadata(path: Path) -> dict[str, str]:
    """The key-value metadata of a GGUF, loading its vocabulary but not its weights."""
    from rag.generation import quiet_stderr

    try:
        from llama_cpp import Llama
    except ImportError as error:
        raise RagError("llama-cpp-python is not installed; run `make setup`") from error
    with quiet_stderr():
        llm = Llama(model_path=str(path), vocab_only=True, verbose=False)
    try:
        return dict(llm.metadata)
    finally:
        llm.close()


def check_llama(threads: int) -> Check:
    """The llama.cpp build's CPU features, and whether the thread count fits the CPUs available."""
    try:
        import llama_cpp
    except ImportError:
        return Check("llama.cpp", False, "llama-cpp-python is not installed", "run `make setup`")
    info = llama_cpp.llama_print_system_info().decode("utf-8", errors="replace")
    # "CPU : SSE3 = 1 | AVX = 1 | ..." (a backend name may prefix the first feature)
    features = [part.split("=")[0].split(":")[-1].strip() for part in info.split("|") if part.strip().endswith("= 1")]
    cpus = config.available_cpus()
    detail = f"{llama_cpp.__version__}, CPU features {' '.join(features) or 'none reported'}; {threads} threads on {cpus} CPUs"
    if threads > cpus:
        return Check("llama.cpp", False, detail, f"set RAG_THREADS to at most {cpus}: more threads than CPUs slow generation down")
    return Check("llama.cpp", True, detail)


def check_index(settings: config.Settings) -> Check:
    """The index is present, of the format this rag reads, built with its embedding model and
    chunk settings and passage rules, and current with the folder it was built from."""
    from rag.embedding import DEFAULT_EMBEDDING_MODEL
    from rag.indexing import skipped_files
    from rag.store import (
        check_compatible, index_option, live_damage, live_files, open_index, outdated_rules_note, read_manifest,
        rebuild_hint, shell_word,
    )

    try:
        manifest = read_manifest(settings.index_dir, settings.store)
    except RagError as error:
        return _failed("index", error, "run `rag index DIR`")
    rebuild = f"run `rag index {shell_word(manifest.corpus_root)}{index_option(settings.index_dir, settings.store)}`"
    try:
        _read_a_passage(open_index(settings.index_dir, settings.store), settings.index_dir, manifest.corpus_root)  # a damaged file shows here, as on a search
        damage = live_damage(settings.index_dir, settings.store)  # what `rag index` would repair
        indexed = {path: state.sha256 for path, state in live_files(settings.index_dir, settings.store).items()}
    except RagError as error:
        return _failed("index", error, rebuild)
    if damage:
        return Check("index", False, f"the index at {settings.index_dir} is damaged ({damage})",
                     rebuild_hint(manifest.corpus_root, settings.index_dir))
    try:
        check_compatible(manifest, DEFAULT_EMBEDDING_MODEL, settings.chunking, settings.index_dir)
    except RagError as error:
        return _failed("index", error, rebuild)
    outdated = outdated_rules_note(manifest, settings.index_dir, settings.store)
    if outdated:
        return _failed("index", RagError(outdated), rebuild)
    if not Path(manifest.corpus_root).is_dir():
        return Check("index", False, f"{settings.index_dir}: {manifest.corpus_root}, the folder it was built from, is gone",
                     f"restore the folder, or index it where it is now: `rag index DIR"
                     f"{index_option(settings.index_dir, settings.store)}`")
    changes = corpus_changes(Path(manifest.corpus_root), indexed, skipped_files(settings.index_dir), manifest.text_suffixes)
    if changes:
        return Check("index", False, f"{settings.index_dir}: {changes} in {manifest.corpus_root} since it was indexed", rebuild)
    return Check("index", True, f"{settings.index_dir}: {manifest.chunk_count} passages from {len(indexed)} files in {manifest.corpus_root}, up to date")


# A passage's own vector finds itself (or a passage of the same text) at a cosine of 1; an
# approximate index's 8-bit codes keep it above 0.99. Zeros written over a vector find it at 0.
OWN_VECTOR_COSINE = 0.9


def _read_a_passage(index: IndexStore, index_dir: Path, corpus_root: str) -> None:
    """Find the first, middle and last passages by their own vectors, and the first by a word, as
    every search does (each file of the index read once), then close the index.

    Raises:
        IndexNotFoundError: its metadata, dense or keyword index, or the embedding cache is damaged.
    """
    from rag.errors import IndexDamagedError
    from rag.store import rebuild_hint

    try:
        if not index.count:
            return
        index.keyword_search(index.chunks([0])[0].text, 1)
        for row in sorted({0, index.count // 2, index.count - 1}):
            vector = index.vectors([row])[0]
            found = index.dense_search(vector, 1) if vector.any() else []
            cosine = found[0][1] if found else 0.0
            if cosine < OWN_VECTOR_COSINE:
                what = (f"searched with passage {row}'s own vector, its dense index finds nothing nearer than a cosine "
                        f"of {cosine:.2f}, not 1: vectors were written over" if vector.any() else
                        f"the embedding cache holds an empty vector for passage {row}")
                raise IndexDamagedError(f"the index at {index_dir} is damaged ({what}); "
                                        f"{rebuild_hint(corpus_root, index_dir, rebuild=True)}")
    finally:
        index.close()


def corpus_changes(
    root: Path, indexed: dict[str, str], skipped_before: dict[str, tuple[int, int]] | None = None,
    text_suffixes: Sequence[str] = (),
) -> str:
    """A summary of files added, changed or removed since indexing ('' when none); a file the
    index left out (empty, binary, no text) is not added while its size and mtime are as then."""
    from rag.compressed import decompressed
    from rag.corpus import iter_files
    from rag.readers.base import Unreadable, is_binary

    current, skipped = {}, set()
    for path in iter_files(root, text_suffixes):
        name = path.relative_to(root).as_posix()
        try:
            raw = path.read_bytes()
        except OSError:
            skipped.add(name)
            continue
        current[name] = hashlib.sha256(raw).hexdigest()
        try:
            data = decompressed(path, raw)
        except Unreadable:  # broken or endless compressed data: the indexer skips it too
            skipped.add(name)
            continue
        stat = path.stat()
        if not data.strip() or is_binary(data) or (skipped_before or {}).get(name) == (stat.st_size, stat.st_mtime_ns):
            skipped.add(name)  # the indexer skips it too
    added = [name for name in current if name not in indexed and name not in skipped]
    removed = [name for name in indexed if name not in current and name not in skipped]
    changed = [name for name in indexed if name in current and current[name] != indexed[name]]
    parts = [f"{len(found)} file{'s' if len(found) != 1 else ''} {what}" for found, what in
             ((added, "added"), (changed, "changed"), (removed, "removed")) if found]
    return ", ".join(parts)


def check_server(index_dir: Path) -> Check:
    """A warm server answers on the socket in INDEX/.server; none running is fine."""
    from rag import channel, client
    from rag.store import index_option

    try:
        status = client.status(index_dir)
    except ServerHungError as error:
        return Check("server", False, error.problem, error.fix)
    if status is not None:
        model = "LLM loaded" if status.llm_loaded else "LLM not loaded yet"
        more = f"`rag server status{index_option(index_dir)}` for more"
        return Check("server", True, f"running (pid {status.pid}, {model}; {more})")
    path = channel.folder(index_dir) / channel.SOCKET
    if path.is_socket():
        return Check("server", True, f"not running (the socket {path} left by a stopped server is replaced on the next start)")
    return Check("server", True, "not running")


def check_disk(index_dir: Path) -> Check:
    folder = index_dir.resolve()
    while not folder.exists():
        folder = folder.parent
    free = shutil.disk_usage(folder).free
    detail = f"{free / 1e9:.1f} GB free at {folder}"
    if free < MIN_FREE_BYTES:
        return Check("disk", False, detail, f"free at least {MIN_FREE_BYTES // 2**20} MB, or set RAG_INDEX to another disk")
    if not os.access(folder, os.W_OK):
        return Check("disk", False, f"{folder} is not writable", "set RAG_INDEX to a writable folder")
    return Check("disk", True, detail)
