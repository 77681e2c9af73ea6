"""Provides the sets made from a seed: lines, xor, spirals, random targets (numpy), and the
moons and circles (scikit-learn's generators, imported only for them)."""

from __future__ import annotations

from typing import Any

import numpy as np

from lab.catalog import allowlists as allow
from lab.engine.datasets.base import Arrays, DataError

SYNTHETIC_ARGS: dict[str, dict[str, Any]] = {
    name: allow.DATASET_ARGS[name] for name in allow.SYNTHETIC_DATASETS
}
"""Each generated set's arguments and defaults, as the lesson format lists them."""


def synthetic(name: str, args: dict[str, Any], seed: int) -> Arrays:
    """A set by its name in SYNTHETIC_ARGS, its arguments checked; `seed` in args wins."""
    known = SYNTHETIC_ARGS[name]
    extra = sorted(set(args) - set(known) - {"seed"})
    if extra:
        takes = ", ".join(known) or "no arguments"
        raise DataError(f"{name} takes no argument {extra[0]!r}; it takes {takes}")
    seed = int(args.get("seed", seed))
    a = {**known, **args}
    rng = np.random.RandomState(seed)
    n = int(a.get("n", 0))
    if name == "linear-tiny":
        # The course's smallest data set: y = 2x on x = 1, 2, 3.
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
    else:  # random-regression: by default 100 samples, 1000 features, 10 targets
        X = rng.randn(n, int(a["features"]))
        y = rng.randn(n, int(a["targets"]))
    return Arrays(X.astype(np.float32), y)
