"""The errors the library raises; the CLI turns each into one line on stderr and exit code 1."""

from __future__ import annotations

from collections.abc import Sequence


def cannot_read(thing: str) -> str:
    """The one wording for a file or folder this user may not read: `cannot read question file
    q.jsonl (permission denied); fix its permissions`."""
    return f"cannot read {thing} (permission denied); fix its permissions"


class RagError(Exception):
    """A problem the user can fix; the message names the thing and the fix."""


class CorpusError(RagError):
    """The folder of documents is missing, empty or unreadable; `warnings`, those of the run that
    found it so (why each file was left out), for the CLI to show before the error."""

    def __init__(self, message: str, warnings: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.warnings = tuple(warnings)


class IndexNotFoundError(RagError):
    """No usable index exists where one was expected."""


class IndexDamagedError(IndexNotFoundError):
    """An index is there but a file of it is damaged or unreadable: rebuilt, not built anew.
    `problem` is what is wrong, without the fix (for a warning when `rag index` repairs it)."""

    def __init__(self, message: str, problem: str = "", corpus_root: str = "") -> None:
        super().__init__(message)
        self.problem = problem or message
        self.corpus_root = corpus_root  # the folder it was built from, when a sound manifest tells


class IndexBusyError(RagError):
    """Another `rag index` is writing the index."""


class IndexMismatchError(RagError):
    """The index was built with another embedding model, settings or format."""


class ModelError(RagError):
    """A model file is missing, corrupt or cannot be loaded."""


class InputError(RagError):
    """A question file or gold file cannot be read."""


class SettingsError(RagError):
    """An environment variable or setting has a value the tool cannot use; `variable` names the
    environment variable when the value came from one."""

    def __init__(self, message: str, variable: str = "") -> None:
        super().__init__(message)
        self.variable = variable


class OutputError(RagError):
    """A file or folder the tool must write to cannot be written."""


class ServerHungError(RagError):
    """A server accepts connections on the index's socket but does not answer (stopped, swapping),
    or accepts none; `problem` and `fix` apart, for `rag doctor`'s two columns."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(f"{problem}; end it with {fix}")
        self.problem = problem
        self.fix = fix


class Cancelled(Exception):
    """Whoever asked stopped waiting (a client that left the server): the work ends, nothing is reported."""
