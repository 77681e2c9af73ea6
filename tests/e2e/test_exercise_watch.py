"""End to end: `lab watch` in tmux re-checks the learner's file when it changes on disk and goes
on to the next exercise once one passes."""

from __future__ import annotations

import shutil
import time

import pytest

from lab.catalog import load_catalog
from tests.e2e.test_tmux import LAB, ROOT, tmux  # noqa: F401 - the fixture

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

IGNORES_THE_CLASSES = """\
import numpy as np


def split(y, val, test, seed):
    idx = np.random.default_rng(seed).permutation(len(y))
    n_val, n_test = round(len(y) * val), round(len(y) * test)
    return idx[n_val + n_test:], idx[:n_val], idx[n_val:n_val + n_test]
"""


def wait_for(tmux, text: str, timeout: float, history: bool = False) -> None:  # noqa: F811
    """Like Tmux.wait_for, on the screen with wrapped lines joined (messages are long); with
    `history`, also what scrolled off it (a failing check's messages can push the exercise's
    title off an 80x24 screen at once)."""
    since = ["-S", "-"] if history else []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in tmux.tmux("capture-pane", "-p", "-J", *since, "-t", "lab", check=False):
            return
        time.sleep(0.2)
    raise AssertionError(f"{text!r} never appeared; the screen was:\n{tmux.screen()}")


def test_watch_sees_each_save_and_moves_on_when_an_exercise_passes(tmux, lab_home):  # noqa: F811
    lessons = ROOT / "lessons"
    catalog = load_catalog([lessons])
    folder = lab_home / "exercises" / "training-well"
    tmux.start(
        f"env LAB_HOME={lab_home} LAB_SHIPPED_LESSONS={lessons} TERM=xterm "
        f"{LAB} watch training-well; sleep 60"
    )
    # the starter fails (the first check waits for torch to load in the checker)
    wait_for(tmux, "A stratified three-way split", timeout=20)
    wait_for(tmux, "the validation part holds the fraction val", timeout=90)
    split = folder / "ex-stratified-split.py"

    split.write_text(IGNORES_THE_CLASSES)
    wait_for(tmux, "so that every part keeps the class proportions", timeout=20)

    split.write_text(catalog.exercise("ex-stratified-split").exercise.solution)
    wait_for(tmux, "Early stopping with patience", timeout=20, history=True)
    wait_for(tmux, "calls in a row did not beat the best loss", timeout=20, history=True)

    stopper = catalog.exercise("ex-early-stopper").exercise.solution
    (folder / "ex-early-stopper.py").write_text(stopper)
    wait_for(tmux, "all 2 exercises done", timeout=20)
    assert split.read_text() == catalog.exercise("ex-stratified-split").exercise.solution
