"""Provides CSV files as data sets: a file next to the lesson (or in the data cache), numeric
feature columns, one label column; every refusal names the file, line and column."""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any

import numpy as np

from lab.engine.datasets.base import Arrays, DataError


def _inside(path: Path, folders: list[Path]) -> bool:
    return any(path.is_relative_to(f.resolve()) for f in folders)


def load_csv(args: dict[str, Any], lesson_dir: Path, allowed: list[Path], classify: bool) -> Arrays:
    unknown = sorted(set(args) - {"train", "test", "label"})
    if unknown:
        raise DataError(f"csv takes no argument {unknown[0]!r}; it takes train, test, label")
    if "train" not in args or "label" not in args:
        raise DataError("csv needs `train` (a file) and `label` (a column name)")
    label = str(args["label"])
    X, y = _read_csv(_csv_path(args["train"], lesson_dir, allowed), label, classify)
    test = None
    if args.get("test"):
        test = _read_csv(_csv_path(args["test"], lesson_dir, allowed), label, classify)
        if test[0].shape[1] != X.shape[1]:
            raise DataError("csv: the test file has different columns from the train file")
    if classify:
        classes = sorted(set(y.tolist()) | (set(test[1].tolist()) if test else set()))
        if len(classes) < 2:
            raise DataError(f"csv: the label column {label!r} has only one class ({classes[0]})")
        index = {c: i for i, c in enumerate(classes)}
        y = np.array([index[c] for c in y], dtype=np.int64)
        if test:
            test = (test[0], np.array([index[c] for c in test[1]], dtype=np.int64))
    return Arrays(X, y, test=test)


def _csv_path(name: Any, lesson_dir: Path, allowed: list[Path]) -> Path:
    path = (lesson_dir / str(name)).resolve()
    if not _inside(path, [lesson_dir, *allowed]):
        raise DataError(f"csv: {name} is outside the lesson's folder and the data cache")
    if not path.is_file():
        raise DataError(f"csv: no file {name} next to the lesson ({lesson_dir})")
    return path


def _read_csv(path: Path, label: str, classify: bool) -> tuple[np.ndarray, np.ndarray]:
    with path.open(newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    if len(rows) < 2:
        raise DataError(f"{path.name}: needs a header line and at least one row")
    header = [h.strip() for h in rows[0]]
    if label not in header:
        raise DataError(f"{path.name}: no column {label!r}; columns: {', '.join(header)}")
    col = header.index(label)
    X, y = [], []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise DataError(f"{path.name}:{line}: {len(row)} values for {len(header)} columns")
        features = []
        for i, cell in enumerate(row):
            cell = cell.strip()
            if cell == "" or cell.lower() in ("na", "nan"):
                raise DataError(f"{path.name}:{line}: column {header[i]!r} has a missing value")
            if i == col:
                continue
            features.append(_number(cell, path.name, line, header[i]))
        raw = row[col].strip()
        y.append(raw if classify else _number(raw, path.name, line, label))
        X.append(features)
    if not X:
        raise DataError(f"{path.name}: has no data rows")
    if classify and all(_is_number(v) for v in y):
        y = [float(v) for v in y]
    return np.array(X, dtype=np.float32), np.array(y)


def _is_number(value: str | float) -> bool:
    try:
        return math.isfinite(float(value))
    except ValueError:
        return False


def _number(cell: str, file: str, line: int, column: str) -> float:
    if not _is_number(cell):
        raise DataError(
            f"{file}:{line}: column {column!r} holds {cell!r}, not a number "
            f"(feature columns must be numeric)"
        )
    return float(cell)
