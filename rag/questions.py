"""What counts as a question: control characters cleaned, empty and overlong questions refused,
and a question asking two things split into its two parts.

Every entry point (ask, search, batch, chat) passes the user's text through `check_question`, so
a question pasted with terminal escapes, stray NULs or invalid bytes reaches retrieval and the
prompt as plain text, and one far longer than the model's context is refused before any model
loads instead of failing half-way through the prompt.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

from rag.errors import InputError, cannot_read

# The prompt holds the question, the passages (RAG_CONTEXT_WORDS words) and the reply within the
# model's 4096-token context; 2000 characters are about 500 tokens, far above any real question.
MAX_QUESTION_CHARS = 2000
# A token is at least one byte, so this bounds the question's tokens in any script ("𝔘" is 4 bytes
# and 2-3 tokens; 2000 of them would overflow the context).
MAX_QUESTION_BYTES = 2400
# Invisible characters that reorder or hide text (zero-width space and joiner, bidi overrides, byte order mark).
_INVISIBLE = frozenset("\u200b\u2060\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")
# The model's own turn markers (<|im_start|>, <|endoftext|>): typed into a question they would be
# read as special tokens and end the user's turn early.
_SPECIAL_TOKEN = re.compile(r"<\|[a-z_]+\|>")
# A terminal escape sequence whole, removed without a trace (colour codes may sit inside a word):
# CSI "ESC [ ... final letter", OSC "ESC ] ... BEL or ESC \\", a charset choice "ESC ( B", and the
# few two-character ones terminals send (ESC 7, ESC M, ...). A lone ESC is a control character.
_TERMINAL_ESCAPE = re.compile(r"\x1b(\[[0-?]*[ -/]*[@-~]|\][^\x07\x1b]*(\x07|\x1b\\)|[()*+][0-9A-Za-z]|[78=>DEHMNOc])")


def clean_question(text: str) -> str:
    """Terminal escape sequences, control characters and special-token markers become spaces,
    invalid bytes U+FFFD, whitespace runs one space."""
    kept = []
    for character in _TERMINAL_ESCAPE.sub("", text):
        category = unicodedata.category(character)
        if category == "Cc" or character in _INVISIBLE:
            kept.append(" ")
        elif category == "Cs":  # undecodable bytes from the command line (surrogate escapes)
            kept.append("\ufffd")
        else:
            kept.append(character)
    return " ".join(_SPECIAL_TOKEN.sub(" ", "".join(kept)).split())


def check_question(text: str, *, search: bool = False) -> str:
    """The cleaned question (or, for `search`, query: the same limits, worded without the model).

    Raises:
        InputError: it is empty once cleaned, or longer than MAX_QUESTION_CHARS or MAX_QUESTION_BYTES.
    """
    question = clean_question(text)
    what, room, fix = (
        ("query", "a search takes", "search with fewer words") if search
        else ("question", "the model's context leaves room for", "ask a shorter question")
    )
    if not question:
        raise InputError(f"the {what} is empty; type a {what}")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the {what} is {len(question)} characters long, more than the {MAX_QUESTION_CHARS} {room}; {fix}")
    size = len(question.encode("utf-8"))
    if size > MAX_QUESTION_BYTES:
        raise InputError(f"the {what} is {size} bytes long in UTF-8, more than the {MAX_QUESTION_BYTES} {room}; {fix}")
    return question


# "..., and which ...?", "... and how often does ...?", "..., and does ...?": a second question
# joined by "and"; before "does", "is", ... only after a comma ("Which options are deprecated and
# do nothing?" asks one thing)
_SECOND_QUESTION = re.compile(
    r"(?:,?\s+and\s+(?=(?:(?:in|on|at|for|over|within|by|to|from|under|after|before|during)\s+)?"
    r"(?:what|which|who|whom|whose|when|where|why|how)\b)|,\s+and\s+(?=(?:does|do|did|can|is|are|was|were)\s))",
    re.IGNORECASE,
)
# a second part that points back at the first ("what does each say about it?") is no question alone
_POINTS_BACK = re.compile(r"\b(it|they|them|each)\b", re.IGNORECASE)
MIN_PART_WORDS = 3


def question_parts(question: str) -> tuple[str, str] | None:
    """The two questions of "X, and which Y?" (each of MIN_PART_WORDS words or more, the second
    capitalised), or None for a question asking one thing, a second part that points back at the
    first, or an "and" inside quotes."""
    pieces = _SECOND_QUESTION.split(question.strip(), maxsplit=1)
    if len(pieces) != 2 or min(len(piece.split()) for piece in pieces) < MIN_PART_WORDS:
        return None
    first, second = (piece.strip() for piece in pieces)
    if _POINTS_BACK.search(second) or first.count('"') % 2 or first.count("“") != first.count("”"):
        return None
    return first, second[:1].upper() + second[1:]


def lines_of(text: str) -> list[str]:
    """The lines of a file split at its line ends only: str.splitlines would also split at U+2028,
    U+0085 and form feeds, which JSON leaves raw inside strings (a passage may hold them)."""
    return [line.removesuffix("\r") for line in text.split("\n")]


def read_input_file(path: Path, what: str, kinds: str, warnings: list[str] | None = None) -> str:
    """A question or gold file's text (a spreadsheet's byte-order mark dropped).

    Given a warnings list, text that is not UTF-8 is decoded as documents are (a stray byte as
    U+FFFD, a Windows-1252 or Latin-1 file as such) and a warning says so: one bad byte must not
    refuse a whole file of questions. Without one (gold files, whose aliases must match exactly),
    it is an error naming the first line that is not UTF-8.

    Raises:
        InputError: missing, a folder, binary data (random or compressed bytes),
            not UTF-8 (without warnings), or unreadable, each in words naming `what` it is.
    """
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{what} {path} not found; pass an existing {kinds} file") from None
    except IsADirectoryError:
        raise InputError(f"{path} is a folder; pass a {what} ({kinds})") from None
    except PermissionError:
        raise InputError(cannot_read(f"{what} {path}")) from None
    except OSError as error:  # a symbolic link loop, a name too long, a failing disk
        raise InputError(f"cannot read {what} {path} ({error.strerror}); check the path") from None
    from rag.readers.base import ENCODING_NAMES, UTF8_REPAIRED, decode_bytes, many_control_bytes

    # random or compressed bytes, which Latin-1 reads as lines of garbage "questions"; not the
    # indexer's stricter is_binary, for which one NUL and a BEL make a file binary: a question file's
    # stray line of them is skipped by its line number
    if many_control_bytes(data):
        raise InputError(f"{path} is binary data, not a {what}; pass a {kinds} file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        if warnings is None:
            raise InputError(f"{what} {path} is not UTF-8 text (line {line}); save it as UTF-8") from None
    text, encoding = decode_bytes(data)
    read_as = "UTF-8, its invalid bytes as \ufffd" if encoding == UTF8_REPAIRED else ENCODING_NAMES.get(encoding, encoding)
    warnings.append(f"{path.name}: not UTF-8 text from line {line}; read as {read_as} (save it as UTF-8 to fix)")
    return text
