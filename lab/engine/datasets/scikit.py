"""Provides scikit-learn's offline real data set, the digits: read from the file scikit-learn
ships, without importing scikit-learn (about a second of CPU, scipy included, before a run's
first point)."""

from __future__ import annotations

import gzip
import importlib.util
from pathlib import Path

import numpy as np

from lab.engine.datasets.base import Arrays


def digits() -> Arrays:
    """The 1,797 8x8 digits of `sklearn.datasets.load_digits`, value for value, as [N, 1, 8, 8]
    images scaled to 0..1 (Flatten + Linear and Conv2d both take them)."""
    data = _digits_file()
    if data is None:  # a scikit-learn that keeps its data elsewhere
        from sklearn.datasets import load_digits

        d = load_digits()
        images, target = d.images, d.target
    else:
        with gzip.open(data, "rt") as rows:
            table = np.loadtxt(rows, delimiter=",")
        images, target = table[:, :-1].reshape(-1, 8, 8), table[:, -1]
    X = (images / 16.0).astype(np.float32)[:, None, :, :]
    return Arrays(X, target.astype(np.int64))


def _digits_file() -> Path | None:
    found = importlib.util.find_spec("sklearn")  # finds the package without importing it
    for folder in (found and found.submodule_search_locations) or ():
        path = Path(folder) / "datasets" / "data" / "digits.csv.gz"
        if path.exists():
            return path
    return None
