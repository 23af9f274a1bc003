"""Titles of the pages and sections a Sphinx cross-reference names without a title of its own.

Sphinx shows :doc:`tutorial/index` as the title of that page ("Tutorial") and :ref:`quickstart`
as the title of the section the `.. _quickstart:` label stands over; read alone, a page showed the
bare target ("a more detailed tutorial/index"). The titles are read from the project's .rst files:
a :doc: target relative to the page (or, opening with "/", to the project's source folder, the one
holding Sphinx's conf.py, or else the highest holding an index.rst), a label from any page under
that folder. Only .rst files under that
folder are read, and only for their titles; a target that names none is shown as it is written.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path

SOURCE_SUFFIXES = (".rst", ".rest")
MAX_LEVELS_UP = 4  # from a page to the folder holding conf.py (docs/api/x.rst -> docs)
MAX_PAGES = 3000  # pages read for labels: a project's documentation, not a whole disk
MAX_PAGE_BYTES = 1 << 20

_PAGE: ContextVar[Path | None] = ContextVar("rag_rst_page", default=None)
_LABEL = re.compile(r"\.\.[ \t]+_([^:`\n][^:\n]*|`[^`\n]+`):[ \t]*$")
_ADORNMENT = re.compile(r"([!-/:-@\[-`{-~])\1+[ \t]*")
_ROLE = re.compile(r":[\w:.+-]+:`([^`<]*?)(?:\s*<[^`]*>)?`")
_MARKUP = re.compile(r"``|\*\*|[*`]")


@contextmanager
def reading(page: Path) -> Iterator[None]:
    """While a page is parsed, the roles it holds resolve their targets from its place."""
    token = _PAGE.set(page)
    try:
        yield
    finally:
        _PAGE.reset(token)


def referenced_title(role: str, target: str) -> str | None:
    """The title Sphinx shows for a :doc: or :ref: role's target, None when no .rst file of the
    page's project holds it (or no page is being read)."""
    page = _PAGE.get()
    if page is None:
        return None
    root = _source_root(page.parent.resolve())
    if role in ("doc", "std:doc"):
        base = root if target.startswith("/") else page.parent.resolve()
        for suffix in SOURCE_SUFFIXES:
            candidate = (base / f"{target.lstrip('/')}{suffix}").resolve()
            if candidate.is_relative_to(root) and candidate.is_file():
                return _first_title(str(candidate), candidate.stat().st_mtime_ns)
        return None
    if role in ("ref", "std:ref"):
        return _labelled_titles(str(root)).get(target.strip().lower())
    return None


def _source_root(folder: Path) -> Path:
    """The project's source folder above a page: the nearest holding Sphinx's conf.py, else the
    highest holding an index.rst (Sphinx's root page; docs copied without conf.py), else the
    page's own folder, looking at most MAX_LEVELS_UP folders up."""
    above = [folder, *folder.parents][: MAX_LEVELS_UP + 1]
    configured = next((candidate for candidate in above if (candidate / "conf.py").is_file()), None)
    indexed = [candidate for candidate in above if (candidate / "index.rst").is_file()]
    return configured or (indexed[-1] if indexed else folder)


@functools.lru_cache(maxsize=256)
def _first_title(path: str, _mtime_ns: int) -> str | None:
    """A page's first section title (its title, as Sphinx names the page)."""
    lines = _page_lines(Path(path))
    return next((title for index in range(len(lines)) if (title := _title_at(lines, index))), None)


@functools.lru_cache(maxsize=8)
def _labelled_titles(root: str) -> dict[str, str]:
    """Each label of the project's pages (in lower case, as Sphinx matches them) to the title of the
    section it stands over; labels stacked over one title all name it."""
    found: dict[str, str] = {}
    pages = (p for suffix in SOURCE_SUFFIXES for p in Path(root).rglob(f"*{suffix}") if not _hidden(p, Path(root)))
    for count, page in enumerate(pages):
        if count >= MAX_PAGES:
            break
        pending: list[str] = []
        lines = _page_lines(page)
        for index, line in enumerate(lines):
            label = _LABEL.fullmatch(line.strip())
            if label:
                pending.append(label.group(1).strip("`").strip().lower())
            elif line.strip() and pending:
                title = _title_at(lines, index)
                if title:
                    found.update(dict.fromkeys(pending, title))
                pending = []
    return found


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") or part == "_build" for part in path.relative_to(root).parts[:-1])


def _page_lines(path: Path) -> list[str]:
    try:
        with open(path, "rb") as handle:
            data = handle.read(MAX_PAGE_BYTES)
    except OSError:
        return []
    return data.decode("utf-8", errors="replace").splitlines()


def _title_at(lines: list[str], index: int) -> str | None:
    """The section title lines[index] opens: a line of words underlined (and maybe overlined, the
    overline at index) with one punctuation character repeated at least as long as the words."""
    if index + 1 >= len(lines):
        return None
    line, under = lines[index], lines[index + 1]
    overlined = bool(_ADORNMENT.fullmatch(line)) and index + 2 < len(lines) and bool(_ADORNMENT.fullmatch(lines[index + 2]))
    if overlined:
        line, under = lines[index + 1], lines[index + 2]
    words = line.strip()
    if not words or _ADORNMENT.fullmatch(line) or (line[:1].isspace() and not overlined) or words.startswith(".. "):
        return None
    if not _ADORNMENT.fullmatch(under) or len(under.rstrip()) < len(words):
        return None
    return _MARKUP.sub("", _ROLE.sub(r"\1", words)).strip() or None
