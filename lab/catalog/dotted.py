"""Provides dotted paths into plain data (`optimizer.lr`, `model.layers.0.args`): read, write, and
pydantic's error locations written the same way (`experiments[0].train.optimizer`)."""

from __future__ import annotations

from typing import Any

MISSING = object()
"""What `lookup` returns for a path that leads nowhere."""


def lookup(data: Any, path: str) -> Any:
    """The value at `path`, or MISSING."""
    for part in path.split("."):
        if isinstance(data, dict) and part in data:
            data = data[part]
        elif isinstance(data, list) and part.isdigit() and int(part) < len(data):
            data = data[int(part)]
        else:
            return MISSING
    return data


def assign(data: Any, path: str, value: Any) -> None:
    """Set the value at `path`, which must exist up to its last part."""
    *parents, last = path.split(".")
    node = data
    for part in parents:
        node = node[int(part)] if isinstance(node, list) else node[part]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def dotted(loc: tuple | list) -> str:
    """An error location as the author reads it: names joined by dots, list indexes in []."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
