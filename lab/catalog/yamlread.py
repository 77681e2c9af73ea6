"""Provides a safe, bounded YAML reader that returns plain data plus the line of every value.

Lesson files are read with PyYAML's composer only (no constructors run, so no tag can run code),
then turned into Python data here under YAML 1.2 scalar rules: `1e-3` is a number, `yes` is
text. Aliases, unknown tags, duplicate keys, deep nesting, huge files and bad bytes are refused
with the line they are on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

import yaml

try:  # libyaml parses deep nesting without recursion and is much faster
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml ships with PyYAML wheels
    from yaml import SafeLoader as _Loader

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 200_000

Path_ = tuple  # a location inside the document: keys and list indexes

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
    # plain scalars that YAML 1.1 would resolve to these are read as text or numbers here
    "tag:yaml.org,2002:timestamp",
    "tag:yaml.org,2002:value",
}
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
# Terminal control characters other than tab and newline: kept out of anything shown.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


@dataclass(frozen=True)
class Mark:
    line: int  # 1-based
    col: int  # 1-based


class YamlError(Exception):
    """A file that cannot be read as lesson data, with where the problem is."""

    def __init__(self, message: str, mark: Mark | None = None):
        super().__init__(message)
        self.message = message
        self.mark = mark


@dataclass
class Document:
    data: Any
    marks: dict[Path_, Mark]


def _mark(node: yaml.Node) -> Mark:
    return Mark(node.start_mark.line + 1, node.start_mark.column + 1)


def read_yaml(raw: bytes) -> Document:
    """Parse one lesson file's bytes; raise YamlError for anything that is not plain data."""
    if len(raw) > MAX_BYTES:
        raise YamlError(
            f"file is {len(raw) / 1e6:.1f} MB; lesson files are limited to {MAX_BYTES // 1000} KB"
        )
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[: exc.start].count(b"\n") + 1
        col = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise YamlError(f"not UTF-8 text (byte 0x{raw[exc.start]:02x})", Mark(line, col)) from None
    text = text.removeprefix("\ufeff")
    if not text.strip():
        raise YamlError("file is empty", Mark(1, 1))
    try:
        nodes = list(yaml.compose_all(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        raise YamlError(f"YAML syntax: {exc.problem or exc.context}", where) from None
    except (yaml.YAMLError, RecursionError) as exc:
        raise YamlError(f"YAML syntax: {type(exc).__name__}") from None
    if len(nodes) != 1:
        raise YamlError(f"expected one YAML document, found {len(nodes)}", Mark(1, 1))
    root = nodes[0]
    if not isinstance(root, yaml.MappingNode):
        raise YamlError("the top level must be a mapping of fields (id, title, ...)", _mark(root))
    marks: dict[Path_, Mark] = {}
    return Document(_convert(root, marks), marks)


def _convert(root: yaml.Node, marks: dict[Path_, Mark]) -> Any:
    """Turn composed nodes into data, iteratively, refusing what lesson files must not hold."""
    seen: set[int] = set()
    count = 0

    def visit(node: yaml.Node, path: Path_, depth: int) -> Any:
        nonlocal count
        count += 1
        if count > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES} values in one file", _mark(node))
        if depth > MAX_DEPTH:
            raise YamlError(f"nested more than {MAX_DEPTH} levels deep", _mark(node))
        if id(node) in seen:
            raise YamlError("anchors and aliases (&name, *name) are not allowed", _mark(node))
        seen.add(id(node))
        if node.tag not in _STANDARD_TAGS:
            raise YamlError(f"tag {node.tag!r} is not allowed in lesson files", _mark(node))
        marks[path] = _mark(node)
        if isinstance(node, yaml.ScalarNode):
            return _scalar(node)
        if isinstance(node, yaml.SequenceNode):
            return [visit(item, (*path, i), depth + 1) for i, item in enumerate(node.value)]
        out: dict[str, Any] = {}
        first_seen: dict[str, Mark] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode):
                raise YamlError("keys must be plain names", _mark(key_node))
            if key_node.tag not in _STANDARD_TAGS:
                raise YamlError(f"tag {key_node.tag!r} is not allowed", _mark(key_node))
            key = str(key_node.value)
            if key == "<<":
                raise YamlError("merge keys (<<) are not allowed", _mark(key_node))
            if key in first_seen:
                raise YamlError(
                    f"duplicate key {key!r} (first on line {first_seen[key].line})",
                    _mark(key_node),
                )
            first_seen[key] = _mark(key_node)
            out[key] = visit(value_node, (*path, key), depth + 1)
        return out

    return visit(root, (), 0)


def _scalar(node: yaml.ScalarNode) -> Any:
    value = node.value
    if node.style is None:  # plain: typed by YAML 1.2's core rules, not 1.1's
        if _NULL.match(value):
            return None
        if value in _BOOL:
            return _BOOL[value]
        if _INT.match(value):
            return int(value.replace("_", ""))
        if _FLOAT.match(value):
            return float(value.replace("_", ""))
        if value.lower() in _SPECIAL:
            return _SPECIAL[value.lower()]
    return clean_text(value)


def clean_text(value: str) -> str:
    """Drop terminal control characters (escape sequences), keeping tabs and newlines."""
    return _CONTROL.sub("", value)
