"""End to end: `lab watch` in tmux re-checks the learner's file when it changes on disk."""

from __future__ import annotations

import shutil

import pytest

from lab.catalog import load_catalog
from tests.e2e.test_tmux import LAB, ROOT, tmux  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_watch_sees_each_save_and_ends_when_the_exercise_passes(tmux, lab_home):  # noqa: F811
    lessons = ROOT / "lessons"
    solution = load_catalog([lessons]).exercise("ex-mse").exercise.solution
    mine = lab_home / "exercises" / "linear-model" / "ex-mse.py"
    tmux.start(
        f"env LAB_HOME={lab_home} LAB_SHIPPED_LESSONS={lessons} TERM=xterm "
        f"{LAB} watch linear-model; sleep 60"
    )
    # the starter fails (the first check waits for torch to load in the checker)
    tmux.wait_for("expected 2.0: did you take the mean?", timeout=90)
    assert mine.exists()

    mine.write_text(solution.replace(".mean()", ".sum()"))
    tmux.wait_for("returned 4.0, expected 2.0", timeout=20)

    mine.write_text(solution)
    screen = tmux.wait_for("all 1 exercises done", timeout=20)
    assert "ex-mse is done." in screen
    assert mine.read_text() == solution
