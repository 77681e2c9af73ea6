"""The warm checking process for every exercise test, and the shipped exercises by id."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = load_catalog([ROOT / "lessons"])


@pytest.fixture(scope="session")
def checker(warm_checker):
    ex = exercise("ex-mse")
    assert warm_checker.check(ex, Path("warm-up.py"), ex.solution).passed  # timings hold
    return warm_checker


def exercise(exercise_id: str):
    entry = SHIPPED.exercise(exercise_id)
    assert entry is not None, exercise_id
    return entry.exercise


def check_source(checker, exercise_id: str, source: str):
    """`source` checked as a learner's file for the exercise `exercise_id`."""
    return checker.check(exercise(exercise_id), Path("mine.py"), source)
