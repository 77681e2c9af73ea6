"""The headless exercise session both front-ends drive: the file, the state, hints, solution."""

from __future__ import annotations

import pytest

from lab.exercises.session import DONE, FAILING, NOT_STARTED, ExerciseSession, SolutionLocked
from lab.exercises.session import progress as exercise_progress
from tests.exercises.conftest import SHIPPED


def session_for(exercise_id, store, checker):
    return ExerciseSession(SHIPPED.exercise(exercise_id), store, checker)


def test_the_file_is_made_from_the_starter_once_and_never_overwritten(lab_home, checker):
    session = session_for("ex-mse", None, checker)
    assert session.path == lab_home / "exercises" / "linear-model" / "ex-mse.py"
    assert session.open() is True
    assert session.path.read_text() == session.exercise.starter
    session.path.write_text("# mine\n")
    assert session.open() is False
    assert session.path.read_text() == "# mine\n"


def test_states_hints_and_the_solution_after_an_attempt(store, checker):
    session = session_for("ex-mse", store, checker)
    session.open()
    assert session.state == NOT_STARTED
    with pytest.raises(SolutionLocked):
        session.solution()
    assert session.next_hint() == session.exercise.hints[0]
    assert session.hints_shown == session.exercise.hints[:1]
    assert session.next_hint() == session.exercise.hints[1]
    assert session.next_hint() is None and session.hints_left == 0

    result = session.check()
    assert not result.passed and session.state == FAILING
    assert session.solution() == session.exercise.solution

    session.path.write_text(session.exercise.solution)
    assert session.check().passed and session.state == DONE
    assert store.exercise_states() == {"ex-mse": "done"}
    # a new session (the app opened again) knows it is done and may show the solution
    again = session_for("ex-mse", store, checker)
    assert again.state == DONE and again.can_see_solution
    assert exercise_progress(SHIPPED, store) == {"done": 1, "total": len(SHIPPED.exercises())}


def test_reset_puts_the_starter_back_and_keeps_the_old_file(checker):
    session = session_for("ex-gd-step", None, checker)
    session.open()
    session.path.write_text("def gd_step(w, xs, ys, lr):\n    return 0.0\n")
    backup = session.reset()
    assert session.path.read_text() == session.exercise.starter
    assert backup.read_text() == "def gd_step(w, xs, ys, lr):\n    return 0.0\n"
    assert backup.parent == session.path.parent and backup.suffix == ".py"
    second = session.reset()
    assert second != backup and backup.exists()


def test_done_stays_done_after_a_later_failing_check_which_is_said(store, checker):
    session = session_for("ex-gd-step", store, checker)
    session.open()
    session.path.write_text(session.exercise.solution)
    assert session.check().passed and session.state == DONE and not session.latest_fails
    session.path.write_text("def gd_step(w, xs, ys, lr):\n    return w\n")
    assert not session.check().passed
    assert session.state == DONE and session.latest_fails
    assert store.exercise_states() == {"ex-gd-step": "done"}
    again = session_for("ex-gd-step", store, checker)
    assert again.state == DONE and not again.latest_fails
    assert exercise_progress(SHIPPED, store)["done"] == 1
