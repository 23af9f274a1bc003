"""Checking that a folder the tool must write to can be written, before any work is done.

A read-only index directory or an unwritable state folder would otherwise surface as a Python
traceback from deep inside indexing or prompt_toolkit.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rag.errors import OutputError


def ensure_writable_dir(path: Path, fix: str) -> None:
    """Create path if needed and prove a file can be made in it.

    Raises:
        OutputError: it cannot be created or written; the message ends with `fix`.
    """
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError as error:
        raise OutputError(f"cannot write to {path} ({error.strerror or error}); {fix}") from None


def remove_if_unused(path: Path) -> None:
    """Remove a folder that holds nothing but empty folders and lock files (what a first `rag index`
    that failed leaves); anything else in it is kept."""
    if not path.is_dir():
        return
    entries = sorted(path.rglob("*"), key=lambda p: len(p.parts), reverse=True)
    if any(entry.is_file() and entry.name != ".lock" or entry.is_symlink() for entry in entries):
        return
    try:
        for entry in entries:
            entry.rmdir() if entry.is_dir() else entry.unlink()
        path.rmdir()
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
