"""Dataclasses to JSON-ready dicts and back, driven by their type hints.

The background server sends `dataclasses.asdict(answer)`; the client rebuilds the very same
Answer (tuples stay tuples, nested Passages and Claims stay dataclasses) from the class's own
fields, so a field added to Answer, Passage, Claim, Hit, Chunk or Settings needs no change here.
"""

from __future__ import annotations

import dataclasses
import functools
import types
import typing
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def to_dict(instance: Any) -> dict[str, Any]:
    """dataclasses.asdict with paths as strings, ready for json.dumps."""
    return _plain(dataclasses.asdict(instance))


def _plain(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, Path):
        return str(value)
    return value


def from_dict(cls: type[T], data: dict[str, Any]) -> T:
    """Rebuild a dataclass from to_dict's output; unknown keys are ignored, missing ones defaulted.

    Raises:
        TypeError, ValueError: data does not fit the class.
    """
    hints = _hints(cls)
    values = {
        f.name: _convert(hints[f.name], data[f.name])
        for f in dataclasses.fields(cls)  # type: ignore[arg-type]
        if f.init and f.name in data
    }
    return cls(**values)


@functools.cache
def _hints(cls: type) -> dict[str, Any]:
    return typing.get_type_hints(cls)


def _convert(hint: Any, value: Any) -> Any:
    origin = typing.get_origin(hint)
    args = typing.get_args(hint)
    if origin in (typing.Union, types.UnionType):
        if value is None:
            return None
        options = [a for a in args if a is not type(None)]
        return _convert(options[0], value) if len(options) == 1 else value
    if dataclasses.is_dataclass(hint) and isinstance(value, dict):
        return from_dict(hint, value)  # type: ignore[arg-type]
    if origin is list:
        return [_convert(args[0], v) for v in value] if args else list(value)
    if origin is tuple:
        if len(args) == 2 and args[1] is Ellipsis:
            return tuple(_convert(args[0], v) for v in value)
        return tuple(_convert(a, v) for a, v in zip(args, value)) if args else tuple(value)
    if origin is dict:
        return {k: _convert(args[1], v) for k, v in value.items()} if args else dict(value)
    if hint is Path:
        return Path(value)
    return value
