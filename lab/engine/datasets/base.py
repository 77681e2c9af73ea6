"""Provides what every kind of data set returns: `Arrays` before splitting, and `DataError`."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class DataError(ValueError):
    """A data set that cannot be used; the message is one line a learner can act on."""


@dataclass
class Arrays:
    """A data set before splitting: features, targets, and an official test part if it has one."""

    X: np.ndarray
    y: np.ndarray
    test: tuple[np.ndarray, np.ndarray] | None = None
