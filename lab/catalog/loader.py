"""Provides loading of lesson files into a Catalog, every problem as one `path:line:col:` line.

One bad file never stops the others: it is reported and left out. Checks that span files
(duplicate ids, links to unknown terms, unknown prerequisites) run once everything is read.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from lab.catalog.dotted import dotted
from lab.catalog.schema import Lesson
from lab.catalog.yamlread import Document, Mark, YamlError, read_yaml


@dataclass(frozen=True)
class Problem:
    """One thing wrong in one lesson file."""

    path: Path
    line: int
    col: int
    where: str
    message: str

    def __str__(self) -> str:
        where = f"{self.where}: " if self.where else ""
        return f"{self.path}:{self.line}:{self.col}: {where}{self.message}"


@dataclass
class LoadedLesson:
    lesson: Lesson
    path: Path
    marks: dict[tuple, Mark] = field(repr=False)

    def problem(self, loc: tuple, message: str) -> Problem:
        return Problem(self.path, *_nearest_mark(self.marks, loc), dotted(loc), message)


def load_file(path: Path) -> tuple[LoadedLesson | None, list[Problem]]:
    """Read and validate one lesson file; never raises for anything the file holds."""
    try:
        with path.open("rb") as f:
            raw = f.read(2_000_001)  # a huge file is refused without reading all of it
    except OSError as exc:
        return None, [Problem(path, 1, 1, "", f"cannot read: {exc.strerror or exc}")]
    loaded, problems = parse_file(path, raw)
    return (loaded, _file_checks(loaded)) if loaded else (None, problems)


def parse_file(path: Path, raw: bytes) -> tuple[LoadedLesson | None, list[Problem]]:
    """What a lesson file's bytes say, read and validated: a lesson, or its problems. Checks
    of what the file's folder holds are `load_file`'s."""
    try:
        doc = read_yaml(raw)
    except YamlError as exc:
        mark = exc.mark or Mark(1, 1)
        return None, [Problem(path, mark.line, mark.col, "", exc.message)]
    try:
        lesson = Lesson.model_validate(doc.data)
    except ValidationError as exc:
        return None, [_problem_from_error(path, doc, err) for err in exc.errors()]
    except (RecursionError, MemoryError, OverflowError) as exc:  # bounded input, but be sure
        return None, [Problem(path, 1, 1, "", f"cannot validate: {type(exc).__name__}")]
    return LoadedLesson(lesson, path, doc.marks), []


def _file_checks(loaded: LoadedLesson) -> list[Problem]:
    """Checks that need the file's folder: a CSV must live inside the lesson pack."""
    problems = []
    for i, exp in enumerate(loaded.lesson.experiments):
        if exp.train and exp.train.dataset.name == "csv":
            args = exp.train.dataset.args
            for key in ("train", "test"):
                if key not in args:
                    continue
                rel = Path(str(args[key]))
                target = (loaded.path.parent / rel).resolve()
                root = loaded.path.parent.resolve()
                if rel.is_absolute() or root not in target.parents:
                    loc = ("experiments", i, "train", "dataset", "args", key)
                    problems.append(
                        loaded.problem(loc, f"{rel} must be a path inside the lesson's folder")
                    )
    return problems


def _problem_from_error(path: Path, doc: Document, err: ErrorDetails) -> Problem:
    loc, missing = _data_path(doc.data, err["loc"])
    line, col = _nearest_mark(doc.marks, loc)
    kind = err["type"]
    if kind == "missing":
        message = f"missing field {missing!r}" if missing else "missing field"
        where = dotted(loc)
    elif kind == "extra_forbidden":
        message = f"unknown field {loc[-1]!r}" if loc else "unknown field"
        where = dotted(loc[:-1])
    else:
        message = err["msg"].removeprefix("Value error, ").removeprefix("Assertion failed, ")
        where = dotted(loc)
    return Problem(path, line, col, where, message)


def _data_path(data: Any, loc: tuple) -> tuple[tuple, str | None]:
    """Follow pydantic's error location through the data, skipping its union-tag segments."""
    path: list = []
    for part in loc:
        in_dict = isinstance(data, dict) and part in data
        in_list = isinstance(data, list) and isinstance(part, int) and 0 <= part < len(data)
        if in_dict or in_list:
            data = data[part]
            path.append(part)
    missing = loc[-1] if loc and (not path or loc[-1] != path[-1]) else None
    return tuple(path), missing if isinstance(missing, str) else None


def _nearest_mark(marks: dict[tuple, Mark], loc: tuple) -> tuple[int, int]:
    for end in range(len(loc), -1, -1):
        mark = marks.get(tuple(loc[:end]))
        if mark:
            return mark.line, mark.col
    return 1, 1
