"""The numpy moons and circles are scikit-learn's make_moons and make_circles, point for point,
and the digits read from scikit-learn's file are its load_digits."""

from __future__ import annotations

import numpy as np
import pytest

from lab.engine.datasets.synthetic import circles, moons

CASES = [(n, noise, seed) for n in (1, 2, 7, 200, 1001) for noise in (0.0, 0.1) for seed in (0, 42)]


@pytest.mark.parametrize("n, noise, seed", CASES)
def test_the_moons_and_circles_are_scikit_learns(n, noise, seed):
    from sklearn.datasets import make_circles, make_moons  # here: a second in every worker

    X, y = moons(n, noise, seed)
    want_X, want_y = make_moons(n_samples=n, noise=noise, random_state=seed)
    assert X.dtype == np.float32 and y.dtype == np.int64
    np.testing.assert_array_equal(X, want_X.astype(np.float32))
    np.testing.assert_array_equal(y, want_y)
    for factor in (0.3, 0.8):
        X, y = circles(n, noise, factor, seed)
        want_X, want_y = make_circles(n_samples=n, noise=noise, factor=factor, random_state=seed)
        np.testing.assert_array_equal(X, want_X.astype(np.float32))
        np.testing.assert_array_equal(y, want_y)


@pytest.mark.parametrize("file", ["shipped", "elsewhere"])
def test_the_digits_are_scikit_learns_load_digits(file, monkeypatch):
    from sklearn.datasets import load_digits

    from lab.engine.datasets import scikit

    if file == "elsewhere":  # a scikit-learn that keeps its data in another place
        monkeypatch.setattr(scikit, "_digits_file", lambda: None)
    ours, theirs = scikit.digits(), load_digits()
    assert ours.X.shape == (1797, 1, 8, 8) and ours.X.dtype == np.float32
    np.testing.assert_array_equal(ours.X[:, 0], (theirs.images / 16.0).astype(np.float32))
    np.testing.assert_array_equal(ours.y, theirs.target.astype(np.int64))
