"""The model's state after the fixed instructions, kept on disk from one process to the next.

Every fresh process (the first `rag ask`, each `--no-server` call, every `batch` and `chat`, a
restarted server) would evaluate the instructions and worked examples again: about 465 tokens,
some 13 s on two cores. Their state is the same every time for one model file, llama.cpp version,
context size and thread count, so it is written once (about 13 MB) and read back in a few
hundredths of a second; the numbers that follow are the same to the last digit as after
evaluating it. A file is named by a hash of everything those numbers depend on and carries a
checksum of its bytes: a truncated or altered file is ignored and replaced, never loaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

MAGIC = b"rag-llama-state-1\n"
DIGEST_BYTES = 32
KEEP_FILES = 8  # one per model, version and thread count in use; older ones are removed


class StateFiles:
    """States saved under folder, keyed by identity (what the numbers depend on) and the tokens.

    Reading and writing are best effort: a folder that cannot be written only means the
    instructions are evaluated again, never a failed answer. folder None keeps nothing.
    """

    def __init__(self, folder: Path | None, identity: str) -> None:
        self.folder = folder
        self.identity = identity
        self.loaded = 0

    def path_for(self, tokens: Sequence[int]) -> Path | None:
        if self.folder is None:
            return None
        digest = hashlib.sha256(self.identity.encode() + b"\0" + b",".join(str(t).encode() for t in tokens))
        return self.folder / f"prefix-{digest.hexdigest()[:32]}.state"

    def read(self, tokens: Sequence[int]) -> bytes | None:
        """The saved state for tokens, or None when there is none or it fails its checksum."""
        path = self.path_for(tokens)
        try:
            data = path.read_bytes() if path is not None else b""
        except OSError:
            return None
        header = len(MAGIC) + DIGEST_BYTES
        payload = data[header:]
        if len(data) <= header or not data.startswith(MAGIC) or data[len(MAGIC) : header] != _digest(payload):
            return None
        return payload

    def write(self, tokens: Sequence[int], state: bytes) -> None:
        """Save state for tokens atomically (a reader sees the old file or the whole new one)."""
        path = self.path_for(tokens)
        if path is None:
            return
        temporary: str | None = None
        try:
            path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            with tempfile.NamedTemporaryFile(dir=path.parent, prefix=".tmp-", delete=False) as sink:
                temporary = sink.name
                sink.write(MAGIC + _digest(state) + state)
            os.replace(temporary, path)
            self._prune(path.parent)
        except OSError:
            if temporary is not None:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)

    def discard(self, tokens: Sequence[int]) -> None:
        """Remove the state for tokens (llama.cpp refused it)."""
        path = self.path_for(tokens)
        if path is not None:
            with contextlib.suppress(OSError):
                path.unlink()

    @staticmethod
    def _prune(folder: Path) -> None:
        files = sorted(folder.glob("prefix-*.state"), key=lambda p: p.stat().st_mtime, reverse=True)
        for stale in files[KEEP_FILES:]:
            with contextlib.suppress(OSError):
                stale.unlink()


def _digest(data: bytes) -> bytes:
    return hashlib.sha256(data).digest()


def default_folder() -> Path:
    """$XDG_CACHE_HOME/rag, else ~/.cache/rag."""
    base = os.environ.get("XDG_CACHE_HOME", "").strip()
    return (Path(base).expanduser() if base else Path.home() / ".cache") / "rag"
