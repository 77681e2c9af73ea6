"""Provides the train/test split: scikit-learn's `train_test_split`, index for index, in numpy.

Splitting comes before every run, and importing scikit-learn for it cost a second of CPU (scipy
and 880 modules) in runs that use nothing else of it. The same seed gives the same parts as
scikit-learn 1.x does (a test compares them), so runs recorded before keep their data.
"""

from __future__ import annotations

import math

import numpy as np


def split_indices(
    n: int, fraction: float, seed: int, stratify: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(kept, split off) indices, `ceil(fraction * n)` split off; stratified by `stratify`'s
    classes when given and every class has two members, else at random."""
    n_out = math.ceil(fraction * n)
    n_keep = n - n_out
    rng = np.random.RandomState(seed)
    if stratify is not None:
        parts = _stratified(np.asarray(stratify), n_keep, n_out, rng)
        if parts is not None:
            return parts
        rng = np.random.RandomState(seed)  # scikit-learn starts afresh for the random split
    permutation = rng.permutation(n)
    return permutation[n_out : n_out + n_keep], permutation[:n_out]


def _stratified(y, n_keep, n_out, rng) -> tuple[np.ndarray, np.ndarray] | None:
    """scikit-learn's StratifiedShuffleSplit, first split; None where it refuses."""
    if y.ndim == 2:
        y = np.array([" ".join(row.astype("str")) for row in y])
    classes, y_index, counts = np.unique(y, return_inverse=True, return_counts=True)
    if counts.min() < 2 or n_keep < len(classes) or n_out < len(classes):
        return None
    by_class = np.split(np.argsort(y_index, kind="stable"), np.cumsum(counts)[:-1])
    keep_per_class = _approximate_mode(counts, n_keep, rng)
    out_per_class = _approximate_mode(counts - keep_per_class, n_out, rng)
    keep: list[int] = []
    out: list[int] = []
    for i in range(len(classes)):
        shuffled = by_class[i].take(rng.permutation(counts[i]), mode="clip")
        keep.extend(shuffled[: keep_per_class[i]])
        out.extend(shuffled[keep_per_class[i] : keep_per_class[i] + out_per_class[i]])
    return rng.permutation(keep), rng.permutation(out)


def _approximate_mode(counts: np.ndarray, draws: int, rng) -> np.ndarray:
    """How many of `draws` each class gets, in proportion; ties broken at random."""
    continuous = counts / counts.sum() * draws
    floored = np.floor(continuous)
    need = int(draws - floored.sum())
    if need > 0:
        remainder = continuous - floored
        for value in np.sort(np.unique(remainder))[::-1]:
            (index,) = np.where(remainder == value)
            add = min(len(index), need)
            floored[rng.choice(index, size=add, replace=False)] += 1
            need -= add
            if need == 0:
                break
    return floored.astype(int)
