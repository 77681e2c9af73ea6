"""Every shipped exercise: its solution passes every check and its starter code fails one."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.exercises.conftest import SHIPPED

IDS = [e.exercise.id for e in SHIPPED.exercises()]
CONTRACTS = {
    "ex-mse": "linear-model",
    "ex-gd-step": "gradient-descent",
    "ex-autograd-fit": "backpropagation",
    "ex-dataset": "datasets-and-dataloaders",
    "ex-named-sequential": "building-networks",
    "ex-train-loop": "linear-regression",
    "ex-stratified-split": "training-well",
    "ex-early-stopper": "training-well",
}


def test_the_course_loads_cleanly_and_every_lesson_from_the_second_has_an_exercise():
    assert SHIPPED.problems == []
    lessons = {e.lesson for e in SHIPPED.exercises()}
    assert {lesson.id for lesson in SHIPPED.lessons[1:]} <= lessons
    for exercise_id, lesson in CONTRACTS.items():
        assert SHIPPED.exercise(exercise_id).lesson == lesson


@pytest.mark.parametrize("exercise_id", IDS)
def test_solution_passes_and_starter_fails(checker, exercise_id):
    ex = SHIPPED.exercise(exercise_id).exercise
    solved = checker.check(ex, Path(f"{exercise_id}.py"), ex.solution)
    assert solved.passed, [c.message for c in solved.failed_checks] or solved.error
    started = checker.check(ex, Path(f"{exercise_id}.py"), ex.starter)
    assert not started.passed and started.error is None, started.error
    assert all(c.message for c in started.failed_checks)
