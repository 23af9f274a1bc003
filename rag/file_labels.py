"""How the model sees each passage's file: its name, less the parts that are hashes or ids.

A name such as "000_8d13b83e7b516537.txt" costs the model 20 prompt tokens a passage and tells it
nothing "000.txt" does not (5 tokens); on `seeds/` the six labels were a fifth of the tokens a
question reads. The model may name files in its reply ("which articles say X?"), so every label
it writes is put back as the file's name before the reply is read. Search embeds a passage with
its file name's words (name_words), the same hash-like parts left out.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable
from pathlib import PurePath

# A hex run of 8 or more with both digits and letters (a hash), or a UUID, standing as its own part
# of the name, with the separators before it.
_ID_PART = re.compile(
    r"[_\-. ]*(?<![0-9A-Za-z])(?:[0-9a-f]{8}(?:-[0-9a-f]{4}){3}-[0-9a-f]{12}|"
    r"(?=[0-9a-f]*[0-9])(?=[0-9a-f]*[a-f])[0-9a-f]{8,})(?![0-9A-Za-z])",
    re.IGNORECASE,
)
_LEADING_SEPARATORS = re.compile(r"^[_\- ]+")
# A name that is nothing but a hash of at least HASH_ONLY_LENGTH characters (not a word with a year,
# "cafe2024") keeps this many of its first characters ("8d13.txt").
HASH_ONLY_KEPT = 4
HASH_ONLY_LENGTH = 12


def short_name(file: str) -> str:
    """A file's name without its hash-like parts ("000_8d13b83e7b516537.txt" -> "000.txt"), or, when
    the name is nothing but one, its first characters ("8d13b83e7b516537.txt" -> "8d13.txt"); the
    name itself when it has none, or when the short name would have no extension (a bare "000" or
    "x" is easily a word or number of the answer)."""
    folder, _, name = file.rpartition("/")
    stem, dot, extension = name.rpartition(".") if "." in name.lstrip(".") else (name, "", "")
    short = _LEADING_SEPARATORS.sub("", _ID_PART.sub("", stem))
    if not short.strip("._- ") or short.startswith("."):  # only the hash was left, or an inner extension
        hash_only = _ID_PART.match(stem)
        if hash_only and len(core := hash_only.group().lstrip("_-. ")) >= HASH_ONLY_LENGTH:
            short = core[:HASH_ONLY_KEPT] + stem[hash_only.end():]
    if short == stem or not short.strip("._- ") or short.startswith(".") or not extension:
        return file
    return f"{folder}/{short}.{extension}" if folder else f"{short}.{extension}"


_NAME_WORD = re.compile(r"[^\W_]+")
_WORD = re.compile(r"[^\W\d_]{3}")


def name_words(file: str) -> str | None:
    """The words of a file's name, its hash-like parts left out ("git-subtree.txt" -> "git subtree"),
    as search embeds them with its passages; None when it names nothing (a number or a hash:
    "000_4e5ac2a29323691a.txt", "10365749.txt")."""
    stem = re.sub(r"\.\w{1,5}$", "", file.rsplit("/", 1)[-1])
    words = _NAME_WORD.findall(_ID_PART.sub(" ", stem))
    return " ".join(words) if any(_WORD.search(w) for w in words) else None


def file_labels(files: Iterable[str], asked: str = "") -> dict[str, str]:
    """Each file's label in one prompt. A file keeps its name when another file would share its
    label, when the label is another file's name, or when the question (`asked`) names the file."""
    names = list(dict.fromkeys(files))
    short = {file: short_name(file) for file in names}
    taken = Counter(label.lower() for label in short.values())
    named = set(map(str.lower, names))
    question = asked.lower()

    def keeps_name(file: str, label: str) -> bool:
        clash = taken[label.lower()] > 1 or (label != file and label.lower() in named)
        return clash or _stem_of(file).lower() in question

    return {file: file if keeps_name(file, label) else label for file, label in short.items()}


def with_file_names(reply: str, files: Iterable[str], asked: str = "") -> str:
    """The model's reply with each label it wrote put back as the file's name (see names_back)."""
    return names_back(files, asked)(reply)


def names_back(files: Iterable[str], asked: str = "") -> Callable[[str], str]:
    """What puts the labels of one prompt's files back as their names in a text: each label whole, or
    its last part when the file is in a folder and that part is one file's alone; in one pass,
    longest label first. Built once per prompt, used on every streamed piece of its reply."""
    labels = file_labels(files, asked)
    back = {label.lower(): file for file, label in labels.items() if label != file}
    last_parts = Counter(_name_of(label).lower() for label in labels.values())
    for file, label in labels.items():
        part = _name_of(label).lower()
        if label != file and part != label.lower() and last_parts[part] == 1 and part not in back:
            back[part] = file
    if not back:
        return lambda text: text
    pattern = _whole_names(back)
    return lambda text: pattern.sub(lambda found: back[found.group().lower()], text)


def _whole_names(names: Iterable[str]) -> re.Pattern[str]:
    """Any of names as a whole name (not inside a longer one), in any case, the longest first."""
    alternatives = "|".join(map(re.escape, sorted(names, key=len, reverse=True)))
    return re.compile(rf"(?<![\w./\\-])(?:{alternatives})(?![\w-]|\.\w)", re.IGNORECASE)


def _name_of(path: str) -> str:
    return path.rpartition("/")[2]


def _stem_of(path: str) -> str:
    name = _name_of(path)
    return name.rpartition(".")[0] or name


class NamesBackStream:
    """Streams a reply with its labels put back as names: text is passed on up to its last space,
    where no label can be cut in two, and the rest when the reply ends (finish)."""

    def __init__(self, on_text: Callable[[str], None], files: Iterable[str], asked: str = "") -> None:
        self._on_text = on_text
        self._named = names_back(files, asked)
        self._pending = ""

    def __call__(self, piece: str) -> None:
        self._pending += piece
        cut = self._pending.rfind(" ")
        if cut >= 0:
            ready, self._pending = self._pending[:cut], self._pending[cut:]
            if ready:
                self._on_text(self._named(ready))

    def finish(self) -> None:
        if self._pending:
            self._on_text(self._named(self._pending))
            self._pending = ""


_LEFT_BESIDE_NAMES = re.compile(r"\b(and|or|says?)\b|[\W_]", re.IGNORECASE)


def only_file_names(answer: str, files: Iterable[str]) -> bool:
    """Whether nothing but file names (whole paths or their last part, any case, after any folders:
    the model may copy a long path wrong, "libxslt-dev/html/exslt.html" for "libxslt1-dev/...")
    and joining words is left."""
    names = {name.lower() for file in files for name in (file, PurePath(file).name)}
    if not names:
        return False
    pattern = r"(?:[\w.+@~-]+/)*(?:" + "|".join(map(re.escape, sorted(names, key=len, reverse=True))) + ")"
    rest = re.sub(pattern, " ", answer, flags=re.IGNORECASE)
    return rest != answer and not _LEFT_BESIDE_NAMES.sub("", rest)


def named_files(answer: str, files: Iterable[str]) -> list[str]:
    """The files an answer names (whole path or last part, any case), in the order given; in one
    pass, longest name first, so that "report.pdf" is not found inside "final report.pdf" or
    "report.pdf.bak"."""
    files = list(dict.fromkeys(files))
    names: dict[str, str] = {}
    for file in files:
        names.setdefault(file.lower(), file)
        names.setdefault(PurePath(file).name.lower(), file)
    if not names:
        return []
    found = {names[match.group().lower()] for match in _whole_names(names).finditer(answer)}
    return [file for file in files if file in found]
