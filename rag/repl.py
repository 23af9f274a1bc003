"""`rag chat`: one warm engine, question after question, with commands and follow-ups.

The session is I/O-agnostic: it reads lines from a callable and writes through another, so the
CLI can use prompt_toolkit on a terminal and plain stdin under tests or pipes.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import re
import shutil
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from rag.compressed import decompressed
from rag.corpus import read_document
from rag.errors import Cancelled, RagError
from rag.pipeline import Engine
from rag.prompting import CITATION_MARK
from rag.questions import check_question
from rag.readers.base import Unreadable, decode_bytes
from rag.render import (
    FILE_LINE_FORMATS,
    RESET,
    after_stream_text,
    full_sources_text,
    line_window,
    location,
    paragraph_context,
    pending_piece,
    terminal_safe,
)
from rag.results import Answer, Passage
from rag.store import IndexStore

HELP = """Ask a question, or use a command:
  /sources      show the full paragraphs cited by the last answer
  /open N       show source N of the last answer with the lines around it
  /k N          retrieve N passages per question (now {k})
  /reindex      rebuild the index from its folder and reload it
  /help         this text
  /quit         leave (Ctrl-D also works; Ctrl-C stops an answer)"""

_FOLLOW_UP = re.compile(
    r"^(and|but|so|also|what about|how about|why|then)\b|\b(he|she|it|they|them|that|this|those|these|his|her|its|their)\b",
    re.IGNORECASE,
)
CONTEXT_LINES = 2


def is_follow_up(question: str) -> bool:
    """Short questions leaning on pronouns or opening with "and"/"what about" refer to the last turn."""
    return len(question.split()) <= 14 and bool(_FOLLOW_UP.search(question))


@dataclass
class ChatSession:
    engine: Engine
    write: Callable[[str], None]
    reindex: Callable[[Engine], Engine] | None = None  # the session's engine in, the rebuilt index's out
    k: int = 0
    last: Answer | None = None
    last_hashes: dict[str, str | None] = field(default_factory=dict)  # each cited file as the answer's index held it
    history: list[str] = field(default_factory=list)
    # the passages the last answer that cited any cited: a follow-up to an abstention ("How can I
    # change it?", not answered) still reads on from where the conversation stands
    cited: list[Passage] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.k = self.k or self.engine.settings.top_k

    def handle(self, line: str, stream: bool = True) -> bool:
        """Act on one input line; False means the user asked to leave. A library error is shown
        as one line and the session carries on."""
        line = line.strip()
        if not line:
            return True
        try:
            if line.startswith("/"):
                return self._command(line)
            self._ask(check_question(line), stream)
        except RagError as error:
            self.write(f"error: {terminal_safe(str(error))}\n")
        return True

    def _ask(self, question: str, stream: bool) -> None:
        search_query = question
        prompt_question = question
        follow_up = bool(self.history) and is_follow_up(question)
        reading_on = self.cited if follow_up else []
        if follow_up:
            previous = self.history[-1]
            answered = self._last_answer_text()
            search_query = " ".join(part for part in (previous, answered, question) if part)
            told = f" Its answer: {answered}" if answered else ""
            prompt_question = f"{question} (This follows the question: {previous}{told})"
        streamed: list[str] = []

        def on_token(piece: str) -> None:
            self.write(pending_piece(piece, not streamed))
            streamed.append(piece)

        try:
            with _ctrl_c_stops() as pressed:
                answer = self.engine.ask(
                    prompt_question, k=self.k, search_query=search_query, reading_on=reading_on,
                    on_token=on_token if stream else None,
                    cancelled=pressed,
                )
        except (KeyboardInterrupt, Cancelled):
            self.write(RESET + "\n(stopped)\n")
            return
        answer = dataclasses.replace(answer, question=question)
        self.history.append(question)
        self.last = answer
        if answer.citations:
            self.cited = answer.citations
        indexed = self.engine.index.files() if answer.citations else {}
        self.last_hashes = {c.file: state.sha256 if (state := indexed.get(c.file)) else None for c in answer.citations}
        self.write(after_stream_text(answer, "".join(streamed), shutil.get_terminal_size().columns))

    def _last_answer_text(self) -> str:
        """The last answer as shown, when it was one: "and when was that?" after "Geneva [1]" asks
        about the talks in Geneva, found by the answer's words and told to the model."""
        if self.last is None or self.last.abstained:
            return ""
        return " ".join(CITATION_MARK.sub(" ", self.last.answer).split())

    def _command(self, line: str) -> bool:
        name, _, argument = line.partition(" ")
        name, argument = name.lower(), argument.strip()  # /QUIT with caps lock on still quits
        if name in ("/quit", "/exit", "/q"):
            return False
        if name == "/help":
            self.write(HELP.format(k=self.k) + "\n")
        elif name == "/sources":
            self.write((full_sources_text(self.last) if self.last else "No answer yet.") + "\n")
        elif name == "/k":
            if not argument:
                self.write(f"Retrieving {self.k} passage{'s' if self.k != 1 else ''} per question; /k N changes it.\n")
            elif re.fullmatch(r"[0-9]{1,3}", argument) and 1 <= int(argument) <= 50:
                self.k = int(argument)
                self.write(f"Retrieving {self.k} passage{'s' if self.k != 1 else ''} per question.\n")
            else:
                self.write("Usage: /k N, with N from 1 to 50\n")
        elif name == "/open":
            self.write(terminal_safe(self._open(argument)) + "\n")
        elif name == "/reindex":
            if self.reindex is None:
                self.write("Reindexing is not available here.\n")
            else:
                self._reindex(self.reindex)
        else:
            self.write(f"Unknown command {name}; type /help\n")
        return True

    def _reindex(self, reindex: Callable[[Engine], Engine]) -> None:
        """Rebuild and reload; stopped with Ctrl-C or failing on a file, the index stays as it was
        (a rebuild replaces it only when complete) and the session carries on with it."""
        try:
            self.engine = reindex(self.engine)
        except KeyboardInterrupt:
            self.write("Reindexing stopped; the index is as it was.\n")
        except OSError as error:
            self.write(f"error: reindexing failed ({error}); the index is as it was\n")
        else:
            self.write(f"Reindexed: {self.engine.index.count} passages.\n")

    def _open(self, argument: str) -> str:
        if not self.last:
            return "No answer yet."
        if not self.last.citations:
            return "The last answer has no sources to open."
        if not re.fullmatch(r"[0-9]{1,3}", argument) or not 1 <= int(argument) <= len(self.last.citations):
            return f"Usage: /open N, with N from 1 to {len(self.last.citations)}"
        citation = self.last.citations[int(argument) - 1]
        root = Path(self.engine.index.manifest.corpus_root)
        path = root / citation.file
        answered_from = self.last_hashes.get(citation.file)
        if citation.format not in FILE_LINE_FORMATS:
            changed = lambda: self._changed_message(path, citation.file)  # noqa: E731 - only read when it did
            return _open_extracted(root, path, citation, answered_from, changed)
        start, end = citation.lines
        try:
            raw = path.read_bytes()
            lines = decode_bytes(decompressed(path, raw))[0].split("\n")
        except (OSError, Unreadable):
            return _unreadable(path)
        if end > len(lines) or (answered_from is not None and hashlib.sha256(raw).hexdigest() != answered_from):
            return self._changed_message(path, citation.file)
        first, last = max(1, start - CONTEXT_LINES), min(len(lines), end + CONTEXT_LINES)
        quoted = citation.quote_lines or (start, end)
        body = [
            f"{_mark(n, (start, end), quoted)} {n:>5} | {line_window(lines[n - 1], citation.quote)}"
            for n in range(first, last + 1)
        ]
        return location(citation) + "\n" + "\n".join(body)  # made terminal-safe by the caller

    def _changed_message(self, path: Path, file: str) -> str:
        """What to do about a cited file that changed: reindex, or, when the index already holds
        the file's new version, ask again (the answer's lines are those of the old one)."""
        if _indexed_sha256(self.engine.index, file) != self.last_hashes.get(file):
            return f"{path} changed since this answer was given; ask again to cite it as it is now"
        return f"{path} has changed since it was indexed; run /reindex"


def _mark(line: int, cited: tuple[int, int], quoted: tuple[int, int]) -> str:
    """">" beside the cited passage's lines, "»" beside the quote's where it is only some of them
    (a row of a long table): the line a reader looks for."""
    if not cited[0] <= line <= cited[1]:
        return " "
    return "»" if quoted != cited and quoted[0] <= line <= quoted[1] else ">"


def _unreadable(path: Path) -> str:
    """A cited file gone or unreadable: /reindex helps only while its folder is there."""
    if not path.parent.is_dir():
        return f"{path} cannot be read any more: its folder {path.parent} is gone; restore it to open the source"
    return f"{path} cannot be read any more; run /reindex"


def _indexed_sha256(index: IndexStore, file: str) -> str | None:
    state = index.files().get(file)
    return state.sha256 if state else None


def _open_extracted(
    root: Path, path: Path, citation: Passage, indexed_sha256: str | None, changed: Callable[[], str]
) -> str:
    """A PDF, HTML or DOCX source: extracted again, the cited paragraph among its neighbours."""
    document = read_document(root, path)[0] if path.is_file() else None
    if document is None:
        return _unreadable(path)
    if document.sha256 != indexed_sha256 or citation.paragraph > len(document.paragraphs):
        return changed()
    return location(citation) + "\n" + paragraph_context(document, citation.paragraph, CONTEXT_LINES)


@contextlib.contextmanager
def _ctrl_c_stops() -> Iterator[Callable[[], bool]]:
    """While an answer is worked on, Ctrl-C sets a flag that the engine polls, also midway through
    the model's reading of the passages; as an exception, Python could deliver it only after that
    computation, seconds later. A step that does not poll (a hung store) still yields to a third
    press, raised as before."""
    pressed = threading.Event()

    def press(*_: object) -> None:
        if pressed.is_set():  # pressed again: whatever runs is not polling; the next press raises
            signal.signal(signal.SIGINT, signal.default_int_handler)
        pressed.set()

    try:
        previous = signal.signal(signal.SIGINT, press)
    except ValueError:  # not the main thread: Ctrl-C stays as it is
        yield pressed.is_set
        return
    try:
        yield pressed.is_set
    finally:
        signal.signal(signal.SIGINT, previous if previous is not None else signal.default_int_handler)
