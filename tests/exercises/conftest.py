"""One warm checking process for every exercise test, and the shipped exercises by id."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.exercises.checker import Checker

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_catalog([ROOT / "lessons"])


@pytest.fixture(scope="session")
def checker():
    with Checker() as warm:
        ex = exercise("ex-mse")
        assert warm.check(ex, Path("warm-up.py"), ex.solution).passed  # torch loaded: timings hold
        yield warm


def exercise(exercise_id: str):
    entry = SHIPPED.exercise(exercise_id)
    assert entry is not None, exercise_id
    return entry.exercise


def check_source(checker, exercise_id: str, source: str):
    """`source` checked as a learner's file for the exercise `exercise_id`."""
    return checker.check(exercise(exercise_id), Path("mine.py"), source)
