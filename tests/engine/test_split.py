"""The numpy split gives scikit-learn's train_test_split parts, index for index."""

from __future__ import annotations

import numpy as np
import pytest

from lab.engine.datasets.split import split_indices


def _sklearn(n, fraction, seed, y):
    from sklearn.model_selection import train_test_split  # here: 2 s in every worker's collection

    index = np.arange(n)
    try:
        keep, out = train_test_split(index, test_size=fraction, random_state=seed, stratify=y)
    except ValueError:  # as the engine did: a class too small to stratify splits at random
        keep, out = train_test_split(index, test_size=fraction, random_state=seed)
    return keep, out


CASES = [
    (n, fraction, seed, classes)
    for n in (3, 10, 64, 100, 257, 1797)
    for fraction in (0.1, 0.15, 0.2, 0.5 / 0.85, 0.3)
    for seed in (0, 1, 42)
    for classes in (None, 2, 3, 10)
]


@pytest.mark.parametrize(("n", "fraction", "seed", "classes"), CASES)
def test_the_parts_are_scikit_learns(n, fraction, seed, classes):
    if np.ceil(fraction * n) >= n:
        pytest.skip("the engine refuses this split before it is made")
    rng = np.random.RandomState(seed + 7)
    y = None if classes is None else rng.randint(0, classes, size=n)
    keep, out = split_indices(n, fraction, seed, y)
    want_keep, want_out = _sklearn(n, fraction, seed, y)
    assert keep.tolist() == want_keep.tolist()
    assert out.tolist() == want_out.tolist()


def test_uneven_classes_with_a_single_member_fall_back_to_a_random_split():
    y = np.array([0] * 30 + [1] * 9 + [2])
    keep, out = split_indices(40, 0.25, 3, y)
    want_keep, want_out = _sklearn(40, 0.25, 3, y)
    assert (keep.tolist(), out.tolist()) == (want_keep.tolist(), want_out.tolist())
    assert sorted(keep.tolist() + out.tolist()) == list(range(40))
