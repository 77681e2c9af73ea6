"""End to end: in tmux at 80x24 the learner predicts before a run, sees the verdict after it,
and `lab progress --json` lists the prediction, linked to its experiment."""

from __future__ import annotations

import json
import shutil

import pytest

from tests.e2e.test_tmux import FIXTURES, _lab, tmux  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]


def test_predict_then_run_then_progress_has_the_prediction(tmux):  # noqa: F811
    tmux.start_lab(FIXTURES)
    tmux.wait_for("Continue (c)")
    tmux.keys("Enter")
    tmux.wait_for("The update rule")
    tmux.keys("e")
    tmux.wait_for("The cost over w")
    tmux.keys("Down", "Enter")
    tmux.wait_for("Try every w from 0 to 4")
    tmux.keys("r")
    shown = tmux.wait_for("Predict, then run")
    assert "this run: w_step = 0.3" in shown and "1. 2.0, the true best" in shown
    tmux.keys("1")  # 2.0, the true best: the misconception
    shown = tmux.wait_for("Not quite.", timeout=120)  # the verdict, once the run has ended
    assert "You predicted: 2.0, the true best" in shown
    assert "A sweep only knows the values it tries." in shown
    tmux.keys("Escape")
    tmux.wait_for("(got 2.1)")  # the run, under the verdict, bears the key out: best_w 2.1
    tmux.keys("Escape", "Escape")
    tmux.wait_for("Continue (c)")
    tmux.quit(timeout=10)
    result = _lab(tmux.env, "progress", "--json")
    assert result.returncode == 0, result.stderr
    progress = json.loads(result.stdout)
    [prediction] = progress["predictions"]
    assert prediction["id"] == "gd-example-sweep-predict"
    assert prediction["experiment"] == "gd-example-sweep"
    assert prediction["lesson"] == "gd-example"
    assert prediction["last_correct"] is False and prediction["reviews"] == 1
    assert progress["reviews"] == 1  # a review like a quiz answer, scheduled by fsrs
