"""Provides scikit-learn's offline real data set, the digits (scikit-learn imported for it only)."""

from __future__ import annotations

import numpy as np

from lab.engine.datasets.base import Arrays


def digits() -> Arrays:
    from sklearn.datasets import load_digits

    d = load_digits()
    # [N, 1, 8, 8] images scaled to 0..1: Flatten + Linear and Conv2d both take them.
    X = (d.images / 16.0).astype(np.float32)[:, None, :, :]
    return Arrays(X, d.target.astype(np.int64))
