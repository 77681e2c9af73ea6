"""Provides the sets made from a seed: one plain numpy function per set, named after it
(`hours-pass`: `hours_pass`), taking the arguments the catalog lists for it (DATASET_ARGS).

The exported scripts carry these functions' source as it is here (lab/export/source.py reads
it), so keep each one self-contained (numpy as np) and its lines within 88 characters, the
width the scripts are written at. The moons and circles are scikit-learn's points, made here:
importing scikit-learn cost a second of CPU before a run's first point.
"""

from __future__ import annotations

import inspect
from typing import Any

import numpy as np

from lab.catalog import allowlists as allow
from lab.engine.datasets.base import Arrays, DataError


def synthetic(name: str, args: dict[str, Any], seed: int) -> Arrays:
    """A generated set by its catalog name, its arguments checked; `seed` in args wins."""
    refusal = allow.unknown_arg(name, args, {**allow.DATASET_ARGS[name], "seed": None})
    if refusal:
        raise DataError(refusal)
    make = globals()[allow.synthetic_function(name)]
    kwargs = allow.dataset_args(name, args)
    if "seed" in inspect.signature(make).parameters:
        kwargs["seed"] = int(args.get("seed", seed))
    return Arrays(*make(**kwargs))


def linear_tiny():
    """The course's smallest data set: y = 2x on x = 1, 2, 3."""
    X = np.array([[1.0], [2.0], [3.0]], dtype=np.float32)
    y = np.array([2.0, 4.0, 6.0])
    return X, y


def linear(n, w, b, noise, seed):
    """n points of y = w * x + b plus Gaussian noise, x drawn from -3 to 3."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-3, 3, size=(n, 1))
    y = w * X[:, 0] + b + noise * rng.randn(n)
    return X.astype(np.float32), y


def hours_pass(n, noise, seed):
    """n students: hours studied (0 to 10), passed (1) when hours plus noise > 5."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(0, 10, size=(n, 1))
    y = (X[:, 0] + noise * rng.randn(n) > 5).astype(np.int64)
    return X.astype(np.float32), y


def moons(n, noise, seed):
    """Two interleaving half circles, n points in two classes: scikit-learn's make_moons,
    point for point."""
    rng = np.random.RandomState(seed)
    outer, inner = n // 2, n - n // 2
    top, bottom = np.linspace(0, np.pi, outer), np.linspace(0, np.pi, inner)
    X = np.stack(
        [
            np.concatenate([np.cos(top), 1 - np.cos(bottom)]),
            np.concatenate([np.sin(top), 1 - np.sin(bottom) - 0.5]),
        ],
        axis=1,
    )
    y = np.concatenate([np.zeros(outer), np.ones(inner)]).astype(np.int64)
    order = np.arange(n)
    rng.shuffle(order)
    X = X[order] + rng.normal(scale=noise, size=(n, 2))
    return X.astype(np.float32), y[order]


def circles(n, noise, factor, seed):
    """A small circle (radius `factor`) inside a large one, n points: scikit-learn's
    make_circles, point for point."""
    rng = np.random.RandomState(seed)
    outer, inner = n // 2, n - n // 2
    big = np.linspace(0, 2 * np.pi, outer, endpoint=False)
    small = np.linspace(0, 2 * np.pi, inner, endpoint=False)
    X = np.stack(
        [
            np.concatenate([np.cos(big), factor * np.cos(small)]),
            np.concatenate([np.sin(big), factor * np.sin(small)]),
        ],
        axis=1,
    )
    y = np.concatenate([np.zeros(outer), np.ones(inner)]).astype(np.int64)
    order = np.arange(n)
    rng.shuffle(order)
    X = X[order] + rng.normal(scale=noise, size=(n, 2))
    return X.astype(np.float32), y[order]


def spirals(n, noise, turns, seed):
    """Two spirals of n // 2 points each, `turns` turns, the second the first rotated."""
    rng = np.random.RandomState(seed)
    half = n // 2
    t = np.sqrt(rng.uniform(0, 1, half)) * turns * 2 * np.pi
    arm = np.stack([t * np.cos(t), t * np.sin(t)], axis=1) / (turns * 2 * np.pi)
    X = np.concatenate([arm, -arm]) + noise * 0.1 * rng.randn(2 * half, 2)
    y = np.concatenate([np.zeros(half), np.ones(half)]).astype(np.int64)
    return X.astype(np.float32), y


def xor(n, noise, seed):
    """n points from -1 to 1 in two dimensions, labelled by the XOR of their signs, then
    moved by noise."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, 2))
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).astype(np.int64)
    X = X + noise * rng.randn(n, 2)
    return X.astype(np.float32), y


def random_regression(n, features, targets, seed):
    """Random inputs and targets: n samples of `features` numbers -> `targets` numbers."""
    rng = np.random.RandomState(seed)
    X = rng.randn(n, features)
    y = rng.randn(n, targets)
    return X.astype(np.float32), y
