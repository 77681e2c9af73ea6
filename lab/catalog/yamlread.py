"""Provides a safe, bounded YAML reader that returns plain data plus the line of every value.

Lesson files are read as libyaml's event stream only (no constructors run, so no tag can run
code), then built into Python data here without recursion, under YAML 1.2 scalar rules:
`1e-3` is a number, `yes` is text. Aliases, unknown tags, duplicate keys, deep nesting, huge
files and bad bytes are refused with the line they are on.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any, NamedTuple

import yaml

try:  # libyaml parses deep nesting without recursion and is much faster
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - libyaml ships with PyYAML wheels
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]  # (a fallback class)

MAX_BYTES = 1_000_000
MAX_DEPTH = 40
MAX_NODES = 200_000
_TOO_DEEP = f"nested more than {MAX_DEPTH} levels deep"
_LIBRARY_DEPTH_LIMIT = "maximum nesting depth"

Path_ = tuple  # a location inside the document: keys and list indexes

_STANDARD_TAGS = {
    "tag:yaml.org,2002:str",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:map",
    "tag:yaml.org,2002:seq",
}
_NULL = re.compile(r"^(?:~|null|Null|NULL|)$")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_INT = re.compile(r"^[-+]?(?:0|[1-9][0-9_]*)$")
_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9][0-9_]*(?:\.[0-9_]*)?)(?:[eE][-+]?[0-9]+)?$")
_SPECIAL = {".inf": math.inf, "+.inf": math.inf, "-.inf": -math.inf, ".nan": math.nan}
# Terminal control characters other than tab and newline: kept out of anything shown.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


class Mark(NamedTuple):
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


def _mark(event: yaml.Event) -> Mark:
    start = event.start_mark
    assert start is not None  # the parser marks every event it makes
    return Mark(start.line + 1, start.column + 1)


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
        return _build(yaml.parse(text, Loader=_Loader))
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Mark(mark.line + 1, mark.column + 1) if mark else None
        if _LIBRARY_DEPTH_LIMIT in (exc.problem or ""):
            # libyaml 0.2.6 (PyYAML 6.0.4) stops at 1,000 levels while scanning ahead, before
            # _build sees level 41: the same refusal, in the project's words.
            raise YamlError(_TOO_DEEP, where) from None
        raise YamlError(f"YAML syntax: {exc.problem or exc.context}", where) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"YAML syntax: {type(exc).__name__}") from None


def _build(events) -> Document:
    """Build data from the parser's events with an explicit stack: no recursion, so no depth
    can crash it, and aliases are refused before anything is expanded. (A lesson file is some
    20,000 events, read as the lab starts: one pass, dispatched on the event's class.)"""
    marks: dict[Path_, Mark] = {}
    stack: list[tuple[Any, Path_, dict]] = []  # container, its path, first line of each key
    pending_key: list[Any] = []  # per mapping on the stack: the key waiting for its value
    root: Any = None
    documents = count = 0

    def place(value: Any, mark: Mark) -> Path_ | None:
        nonlocal root
        if not stack:
            root = value
            return ()
        container, path, first_seen = stack[-1]
        if type(container) is list:
            container.append(value)
            return (*path, len(container) - 1)
        key = pending_key[-1]
        if key is _NO_KEY:  # this node is a key
            if not isinstance(value, (str, int, float, bool)) or value is None:
                raise YamlError("keys must be plain names", mark)
            key = str(value)
            if key == "<<":
                raise YamlError("merge keys (<<) are not allowed", mark)
            if key in first_seen:
                raise YamlError(
                    f"duplicate key {key!r} (first on line {first_seen[key].line})", mark
                )
            first_seen[key] = mark
            pending_key[-1] = key
            return None
        container[key] = value
        pending_key[-1] = _NO_KEY
        return (*path, key)

    for event in events:
        kind = type(event)
        if kind is yaml.MappingEndEvent or kind is yaml.SequenceEndEvent:
            stack.pop()
            pending_key.pop()
            continue
        if kind is yaml.DocumentStartEvent:
            documents += 1
            if documents > 1:
                raise YamlError("expected one YAML document, found more", _mark(event))
            continue
        if kind is yaml.AliasEvent:
            raise YamlError("anchors and aliases (&name, *name) are not allowed", _mark(event))
        if kind not in _NODE_EVENTS:
            continue
        mark = _mark(event)
        if event.anchor:
            raise YamlError("anchors and aliases (&name, *name) are not allowed", mark)
        count += 1
        if count > MAX_NODES:
            raise YamlError(f"more than {MAX_NODES} values in one file", mark)
        tag = event.tag
        if tag not in (None, "!") and tag not in _STANDARD_TAGS:
            raise YamlError(f"tag {tag!r} is not allowed in lesson files", mark)
        if kind is yaml.ScalarEvent:
            path = place(_scalar(event), mark)
            if path is not None:
                marks[path] = mark
            continue
        if len(stack) >= MAX_DEPTH:
            raise YamlError(_TOO_DEEP, mark)
        container: Any = {} if kind is yaml.MappingStartEvent else []
        path = place(container, mark)
        if path is None:
            raise YamlError("keys must be plain names", mark)
        marks[path] = mark
        stack.append((container, path, {}))
        pending_key.append(_NO_KEY)
    if root is None:
        raise YamlError("file holds no fields", Mark(1, 1))
    if not isinstance(root, dict):
        raise YamlError("the top level must be a mapping of fields (id, title, ...)", Mark(1, 1))
    return Document(root, marks)


_NODE_EVENTS = (yaml.ScalarEvent, yaml.MappingStartEvent, yaml.SequenceStartEvent)
_NO_KEY = object()


def _scalar(event: yaml.ScalarEvent) -> Any:
    value = event.value
    if not event.style and event.tag is None:  # plain: YAML 1.2's core rules, not 1.1's
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
