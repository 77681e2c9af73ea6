"""Provides the data sets as tensors: synthetic ones from a seed, digits, MNIST/CIFAR, CSV files.

`load_data` turns a spec's `dataset` into train/validation/test tensors, split by fraction
(stratified for classification), normalised on the training part only, and shaped for the loss.
Each kind of source lives in its own module and brings its own imports only when a run uses it:
torchvision for the downloaded sets (the digits are read from scikit-learn's file, without it).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

import numpy as np
import torch

from lab.catalog import allowlists as allow
from lab.engine.datasets.base import Arrays, DataError
from lab.engine.datasets.csv_files import load_csv
from lab.engine.datasets.split import split_indices
from lab.engine.datasets.synthetic import synthetic
from lab.engine.datasets.torchvision_sets import (
    download_set,
    fetch,
    missing_message,
    torchvision_class,
)

__all__ = [
    "Arrays",
    "Data",
    "DataError",
    "fetch",
    "load_arrays",
    "load_data",
    "missing_message",
    "torchvision_class",
]


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
        if self.X_val is not None and self.y_val is not None:
            out["val"] = (self.X_val, self.y_val)
        if self.X_test is not None and self.y_test is not None:
            out["test"] = (self.X_test, self.y_test)
        return out


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
    if name in allow.SYNTHETIC_DATASETS:
        return synthetic(name, args, seed)
    if name == "digits":
        from lab.engine.datasets.scikit import digits

        return digits()
    if name in allow.DOWNLOADS:
        return download_set(name, data_roots or [])
    if name == "csv":
        return load_csv(args, Path(lesson_dir or "."), data_roots or [], classify)
    raise DataError(f"unknown data set {name!r}")


def load_data(run_spec: dict[str, Any], loss: str, subset: int | None = None) -> Data:
    """The run's data: loaded, subset, split, normalised and typed for the loss."""
    spec = run_spec["spec"]
    ds = spec["dataset"]
    seed = int(spec.get("seed", 0))
    classify = allow.LOSSES[loss].classify
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


def _take(
    X: np.ndarray, y: np.ndarray, limit: int | None, rng: np.random.RandomState
) -> tuple[np.ndarray, np.ndarray]:
    if not limit or limit >= len(X):
        return X, y
    index = np.sort(rng.permutation(len(X))[:limit])
    return X[index], y[index]


def _split(
    X: np.ndarray, y: np.ndarray, fraction: float, stratify: bool, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray | None, np.ndarray | None]:
    """(X_keep, y_keep, X_out, y_out); the out part is None when the fraction is 0."""
    if fraction <= 0:
        return X, y, None, None
    if math.ceil(fraction * len(X)) >= len(X):
        raise DataError(f"{len(X)} samples are too few to split off {fraction:.0%}")
    keep, out = split_indices(len(X), fraction, seed, y if stratify else None)
    return X[keep], y[keep], X[out], y[out]


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


@overload
def _features(X: np.ndarray, mean: np.ndarray, scale: np.ndarray) -> torch.Tensor: ...
@overload
def _features(X: None, mean: np.ndarray, scale: np.ndarray) -> None: ...
def _features(X: np.ndarray | None, mean: np.ndarray, scale: np.ndarray) -> torch.Tensor | None:
    if X is None:
        return None
    return torch.from_numpy(np.ascontiguousarray((X - mean) / scale, dtype=np.float32))


@overload
def _targets(y: np.ndarray, loss: str) -> torch.Tensor: ...
@overload
def _targets(y: None, loss: str) -> None: ...
def _targets(y: np.ndarray | None, loss: str) -> torch.Tensor | None:
    if y is None:
        return None
    if loss == "cross_entropy":
        return torch.from_numpy(np.asarray(y, dtype=np.int64))
    t = torch.from_numpy(np.asarray(y, dtype=np.float32))
    return t[:, None] if t.ndim == 1 else t  # [N] -> [N, 1], as the model outputs
