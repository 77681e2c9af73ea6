"""Provides the data sets as tensors: synthetic ones from a seed, digits, MNIST/CIFAR, CSV files.

`load_data` turns a spec's `dataset` into train/validation/test tensors, split by fraction
(stratified for classification), normalised on the training part only, and shaped for the loss.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch


class DataError(ValueError):
    """A data set that cannot be used; the message is one line a learner can act on."""


@dataclass
class Data:
    """Tensors ready for the loop; val/test are None when their fraction is 0."""

    name: str
    X_train: torch.Tensor
    y_train: torch.Tensor
    X_val: torch.Tensor | None
    y_val: torch.Tensor | None
    X_test: torch.Tensor | None
    y_test: torch.Tensor | None
    num_classes: int | None

    def splits(self) -> dict[str, tuple[torch.Tensor, torch.Tensor]]:
        out = {"train": (self.X_train, self.y_train)}
        if self.X_val is not None:
            out["val"] = (self.X_val, self.y_val)
        if self.X_test is not None:
            out["test"] = (self.X_test, self.y_test)
        return out


@dataclass
class Arrays:
    """A data set before splitting: features, targets, and an official test part if it has one."""

    X: np.ndarray
    y: np.ndarray
    test: tuple[np.ndarray, np.ndarray] | None = None


# --- synthetic sets ---------------------------------------------------------------------

SYNTHETIC_ARGS: dict[str, dict[str, Any]] = {
    "linear-tiny": {},
    "linear": {"n": 100, "w": 2.0, "b": 1.0, "noise": 0.5},
    "hours-pass": {"n": 100, "noise": 1.0},
    "moons": {"n": 200, "noise": 0.1},
    "circles": {"n": 200, "noise": 0.05, "factor": 0.5},
    "spirals": {"n": 300, "noise": 0.2, "turns": 1.5},
    "xor": {"n": 200, "noise": 0.2},
    "random-regression": {"n": 100, "features": 1000, "targets": 10},
}


def _synthetic(name: str, args: dict[str, Any], seed: int) -> Arrays:
    a = {**SYNTHETIC_ARGS[name], **args}
    rng = np.random.RandomState(seed)
    n = int(a.get("n", 0))
    if name == "linear-tiny":
        # The notes' smallest data set: y = 2x on x = 1, 2, 3.
        X = np.array([[1.0], [2.0], [3.0]])
        y = np.array([2.0, 4.0, 6.0])
    elif name == "linear":
        X = rng.uniform(-3, 3, size=(n, 1))
        y = a["w"] * X[:, 0] + a["b"] + a["noise"] * rng.randn(n)
    elif name == "hours-pass":
        X = rng.uniform(0, 10, size=(n, 1))
        y = (X[:, 0] + a["noise"] * rng.randn(n) > 5).astype(np.int64)
    elif name == "moons":
        from sklearn.datasets import make_moons

        X, y = make_moons(n_samples=n, noise=a["noise"], random_state=seed)
    elif name == "circles":
        from sklearn.datasets import make_circles

        X, y = make_circles(n_samples=n, noise=a["noise"], factor=a["factor"], random_state=seed)
    elif name == "spirals":
        half = n // 2
        t = np.sqrt(rng.uniform(0, 1, half)) * a["turns"] * 2 * np.pi
        arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (a["turns"] * 2 * np.pi)
        X = np.concatenate([arm, -arm]) + a["noise"] * 0.1 * rng.randn(2 * half, 2)
        y = np.concatenate([np.zeros(half), np.ones(half)]).astype(np.int64)
    elif name == "xor":
        X = rng.uniform(-1, 1, size=(n, 2))
        y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
        X = X + a["noise"] * rng.randn(n, 2)
    else:  # random-regression, note 003: 100 samples, 1000 features, 10 targets
        X = rng.randn(n, int(a["features"]))
        y = rng.randn(n, int(a["targets"]))
    return Arrays(X.astype(np.float32), y)


# --- real sets ----------------------------------------------------------------------------


def _digits() -> Arrays:
    from sklearn.datasets import load_digits

    d = load_digits()
    # [N, 1, 8, 8] images scaled to 0..1: Flatten + Linear and Conv2d both take them.
    X = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    return Arrays(X, d.target.astype(np.int64))


DOWNLOADS = {
    "mnist": ("MNIST", "MNIST"),
    "fashion-mnist": ("FashionMNIST", "Fashion-MNIST"),
    "cifar10": ("CIFAR10", "CIFAR-10"),
}


def torchvision_class(name: str):
    import torchvision.datasets as tvd

    return getattr(tvd, DOWNLOADS[name][0])


def missing_message(name: str) -> str:
    title = DOWNLOADS[name][1]
    return (
        f"{title} is not downloaded on this machine: run `lab data fetch {name}` once while "
        f"online (or ask for LAB_DATA_DIR); meanwhile the `digits` data set teaches the same "
        f"thing offline"
    )


def _download_set(name: str, roots: list[Path]) -> Arrays:
    cls = torchvision_class(name)
    for root in roots:
        try:
            train = cls(str(root), train=True, download=False)
            test = cls(str(root), train=False, download=False)
        except (RuntimeError, OSError):
            continue
        return Arrays(*_images(train), test=_images(test))
    raise DataError(missing_message(name))


def _images(ds) -> tuple[np.ndarray, np.ndarray]:
    data = np.asarray(ds.data)
    # MNIST: [N, 28, 28] uint8 -> [N, 1, 28, 28]; CIFAR-10: [N, 32, 32, 3] -> [N, 3, 32, 32]
    X = data[:, None, :, :] if data.ndim == 3 else data.transpose(0, 3, 1, 2)
    return (X.astype(np.float32) / 255.0), np.asarray(ds.targets, dtype=np.int64)


def _inside(path: Path, folders: list[Path]) -> bool:
    return any(path.is_relative_to(f.resolve()) for f in folders)


def _csv(args: dict[str, Any], lesson_dir: Path, allowed: list[Path], classify: bool) -> Arrays:
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


def _is_number(text: str) -> bool:
    try:
        return math.isfinite(float(text))
    except ValueError:
        return False


def _number(cell: str, file: str, line: int, column: str) -> float:
    if not _is_number(cell):
        raise DataError(
            f"{file}:{line}: column {column!r} holds {cell!r}, not a number "
            f"(feature columns must be numeric)"
        )
    return float(cell)


# --- one entry point ------------------------------------------------------------------------


def load_arrays(
    name: str,
    args: dict[str, Any],
    seed: int,
    *,
    lesson_dir: Path | None = None,
    data_roots: list[Path] | None = None,
    classify: bool = True,
) -> Arrays:
    """A data set by its allow-listed name, before any splitting."""
    if name in SYNTHETIC_ARGS:
        known = SYNTHETIC_ARGS[name]
        extra = sorted(set(args) - set(known) - {"seed"})
        if extra:
            takes = ", ".join(known) or "no arguments"
            raise DataError(f"{name} takes no argument {extra[0]!r}; it takes {takes}")
        return _synthetic(name, args, int(args.get("seed", seed)))
    if name == "digits":
        return _digits()
    if name in DOWNLOADS:
        return _download_set(name, data_roots or [])
    if name == "csv":
        return _csv(args, Path(lesson_dir or "."), data_roots or [], classify)
    raise DataError(f"unknown data set {name!r}")


def load_data(run_spec: dict[str, Any], loss: str, subset: int | None = None) -> Data:
    """The run's data: loaded, subset, split, normalised and typed for the loss."""
    spec = run_spec["spec"]
    ds = spec["dataset"]
    seed = int(spec.get("seed", 0))
    classify = loss in ("bce", "bce_with_logits", "cross_entropy")
    roots = [Path(p) for p in (run_spec.get("data_shared"), run_spec.get("data_cache")) if p]
    arrays = load_arrays(
        ds["name"],
        ds.get("args", {}),
        seed,
        lesson_dir=Path(run_spec.get("lesson_dir") or "."),
        data_roots=roots,
        classify=classify,
    )
    split = ds.get("split", {})
    val, test = float(split.get("val", 0.15)), float(split.get("test", 0.15))
    stratify = classify and split.get("stratify", True)
    limit = ds.get("subset") or None
    if subset:
        limit = min(limit or subset, subset)
    rng = np.random.RandomState(seed)
    X, y = _take(arrays.X, arrays.y, limit, rng)
    if arrays.test is not None:
        # An official test part: keep it as the test split, cut validation from the rest.
        X_te, y_te = arrays.test
        if limit:
            X_te, y_te = _take(X_te, y_te, max(1, round(limit * test / (1 - test))), rng)
        X_tr, y_tr, X_va, y_va = _split(X, y, val, stratify, seed)
        if test == 0:
            X_te = y_te = None
    else:
        X_rest, y_rest, X_te, y_te = _split(X, y, test, stratify, seed)
        X_tr, y_tr, X_va, y_va = _split(X_rest, y_rest, val / (1 - test), stratify, seed)
    num_classes = None
    if classify:
        num_classes = int(max(y.max(), y_te.max() if y_te is not None else 0)) + 1
        if loss != "cross_entropy" and num_classes > 2:
            raise DataError(
                f"{loss} is for two classes (0 and 1), but {ds['name']} has {num_classes}: "
                f"use cross_entropy"
            )
    mean, scale = _normalizer(X_tr, ds.get("normalize", "none"))
    return Data(
        name=ds["name"],
        X_train=_features(X_tr, mean, scale),
        y_train=_targets(y_tr, loss),
        X_val=_features(X_va, mean, scale),
        y_val=_targets(y_va, loss),
        X_test=_features(X_te, mean, scale),
        y_test=_targets(y_te, loss),
        num_classes=num_classes,
    )


def _take(X, y, limit, rng):
    if not limit or limit >= len(X):
        return X, y
    index = np.sort(rng.permutation(len(X))[:limit])
    return X[index], y[index]


def _split(X, y, fraction, stratify, seed):
    """(X_keep, y_keep, X_out, y_out); the out part is None when the fraction is 0."""
    if fraction <= 0:
        return X, y, None, None
    from sklearn.model_selection import train_test_split

    if math.ceil(fraction * len(X)) >= len(X):
        raise DataError(f"{len(X)} samples are too few to split off {fraction:.0%}")
    try:
        parts = train_test_split(
            X, y, test_size=fraction, random_state=seed, stratify=y if stratify else None
        )
    except ValueError:  # a class too small to stratify: split at random instead
        parts = train_test_split(X, y, test_size=fraction, random_state=seed)
    X_keep, X_out, y_keep, y_out = parts
    return X_keep, y_keep, X_out, y_out


def _normalizer(X: np.ndarray, how: str) -> tuple[np.ndarray, np.ndarray]:
    """Shift and scale fitted on the training part only, per feature (per pixel for images)."""
    if how == "standard":
        mean, scale = X.mean(axis=0), X.std(axis=0)
    elif how == "minmax":
        mean, scale = X.min(axis=0), X.max(axis=0) - X.min(axis=0)
    else:
        return np.zeros(1, np.float32), np.ones(1, np.float32)
    scale = np.where(scale < 1e-8, 1.0, scale)
    return mean.astype(np.float32), scale.astype(np.float32)


def _features(X, mean, scale) -> torch.Tensor | None:
    if X is None:
        return None
    return torch.from_numpy(np.ascontiguousarray((X - mean) / scale, dtype=np.float32))


def _targets(y, loss: str) -> torch.Tensor | None:
    if y is None:
        return None
    if loss == "cross_entropy":
        return torch.from_numpy(np.asarray(y, dtype=np.int64))
    t = torch.from_numpy(np.asarray(y, dtype=np.float32))
    return t[:, None] if t.ndim == 1 else t  # [N] -> [N, 1], as the model outputs


# --- fetching (`lab data fetch`) ----------------------------------------------------------------

FOLDERS = {"mnist": "MNIST", "fashion-mnist": "FashionMNIST", "cifar10": "cifar-10-batches-py"}


def fetch(name: str, cache: Path, timeout_s: float = 60.0) -> Path:
    """Download into a temporary folder, check it loads, then move it into the cache.

    torchvision's downloads have no timeout and a truncated file breaks every later start, so a
    half-finished fetch never lands where the loader looks.
    """
    import os
    import shutil
    import socket
    import tempfile

    cls = torchvision_class(name)
    title = DOWNLOADS[name][1]
    cache.mkdir(parents=True, exist_ok=True)
    final = cache / FOLDERS[name]
    try:
        cls(str(cache), train=True, download=False)
        return final  # already there and whole
    except (RuntimeError, OSError):
        pass
    old_timeout = socket.getdefaulttimeout()
    socket.setdefaulttimeout(timeout_s)
    tmp = Path(tempfile.mkdtemp(prefix=f".fetch-{name}-", dir=cache))
    try:
        cls(str(tmp), train=True, download=True)
        cls(str(tmp), train=False, download=True)
        if final.exists():
            shutil.rmtree(final)
        os.replace(tmp / FOLDERS[name], final)
    except Exception as exc:  # network, disk, checksum: one line, never a traceback
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise DataError(
            f"could not download {title} ({first}); check the network, or ask whoever runs "
            f"this machine to put it in LAB_DATA_DIR"
        ) from None
    finally:
        socket.setdefaulttimeout(old_timeout)
        shutil.rmtree(tmp, ignore_errors=True)
    return final
