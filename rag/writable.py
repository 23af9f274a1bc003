"""Checking that a folder the tool must write to can be written, before any work is done.

A read-only index directory or an unwritable state folder would otherwise surface as a Python
traceback from deep inside indexing or prompt_toolkit.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from rag.errors import IndexBusyError, OutputError, RagError


def ensure_writable_dir(path: Path, fix: str) -> None:
    """Create path if needed and prove a file can be made in it.

    Raises:
        OutputError: it cannot be created or written; the message ends with `fix`.
    """
    refuse_a_file(path, fix)
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise OutputError(f"cannot write to {path} ({error.strerror or error}); {fix}") from None


def refuse_a_file(path: Path, fix: str) -> None:
    """Raises OutputError when path is a file where a folder belongs; the message ends with `fix`."""
    if path.exists() and not path.is_dir():
        raise OutputError(f"{path} is a file, not a folder; {fix}")


@contextlib.contextmanager
def removed_if_first_run_fails(path: Path) -> Iterator[None]:
    """Around a first `rag index` into path: when it fails, remove the folders it created while
    they hold nothing but empty folders and its lock file. Not when another run holds the lock:
    that run's folder and lock are in use."""
    created = _topmost_missing(path)
    try:
        yield
    except IndexBusyError:
        raise
    except RagError:
        if created is not None:
            _remove_if_unused(path, created)
        raise


def _topmost_missing(path: Path) -> Path | None:
    """The outermost folder of path (path itself or an ancestor) that does not exist yet."""
    if path.exists():
        return None
    missing = path
    while not missing.parent.exists() and missing.parent != missing:
        missing = missing.parent
    return missing


def _remove_if_unused(path: Path, up_to: Path) -> None:
    entries = sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True) if path.is_dir() else []
    if any(entry.is_symlink() or (entry.is_file() and entry.name != ".lock") for entry in entries):
        return
    try:
        for entry in entries:
            entry.rmdir() if entry.is_dir() else entry.unlink()
        folder = path
        while folder.is_dir() and not any(folder.iterdir()):
            folder.rmdir()
            if folder == up_to:
                break
            folder = folder.parent
    except OSError:
        pass


def chat_history_path() -> tuple[Path | None, str | None]:
    """Where `rag chat` keeps its history, or None and a warning when that folder is not writable."""
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "rag"
    try:
        ensure_writable_dir(state, "set XDG_STATE_HOME to a writable folder")
    except OutputError as error:
        return None, f"{error}; this session keeps no history"
    return state / "history", None
