"""The app while its training worker is killed: the experiment screen shows why, the app stays
up, and `r` runs again to completion (Textual Pilot, the real worker process)."""

from __future__ import annotations

import os
import signal
import time

import pytest

from lab.catalog import load_catalog
from lab.store import Store
from lab.tui.app import make_app
from lab.tui.screens.experiment import ExperimentScreen
from lab.tui.widgets.param_form import ParamInput
from lab.tui.widgets.run_status import RunStatus

pytestmark = pytest.mark.slow

LESSON = """\
id: long-example
title: A long run
order: 2
summary: Long enough to kill half way.
sections:
  - title: Moons
    body: Two half circles.
experiments:
  - id: long-moons
    title: Moons for a long time
    description: A small MLP on the moons, for many epochs.
    params:
      epochs: {min: 1, max: 10000}
    train:
      dataset: {name: moons, split: {val: 0.2, test: 0}}
      model:
        layers:
          - Linear: [2, 16]
          - ReLU
          - Linear: [16, 2]
      loss: cross_entropy
      optimizer: {name: sgd, lr: 0.1}
      epochs: 10000
      batch_size: 16
"""


async def _until(pilot, condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert pilot.app._exception is None, pilot.app._exception
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def test_a_killed_worker_shows_its_reason_and_r_runs_again(tmp_path, lab_home):
    folder = tmp_path / "lessons"
    folder.mkdir()
    (folder / "02-long.yaml").write_text(LESSON)
    catalog = load_catalog([folder])
    assert not catalog.problems, catalog.problems
    store = Store.open()
    try:
        app = make_app(catalog, store=store)
        async with app.run_test(size=(80, 24)) as pilot:
            app.open_experiment("long-moons")
            await _until(pilot, lambda: isinstance(app.screen, ExperimentScreen), 10, "screen")
            screen = app.screen
            await pilot.pause()
            await pilot.press("r")
            await _until(pilot, lambda: screen.run_id is not None, 60, "the run to start")
            await pilot.pause(0.3)  # some steps trained
            os.kill(screen.worker.pid, signal.SIGKILL)
            killed = time.monotonic()
            await _until(pilot, lambda: screen.state == "failed", 10, "the failure")
            shown = time.monotonic() - killed
            status = screen.query_one(RunStatus)
            assert status.reason.startswith("the training process died (signal 9, SIGKILL)")
            assert "failed" in str(status.render())
            assert app.is_running and not app.run_in_progress
            # the learner shortens the run and presses r again
            screen.query_one("#param-epochs", ParamInput).value = "3"
            await pilot.pause()
            again = time.monotonic()
            await pilot.press("r")
            await _until(pilot, lambda: screen.state == "completed", 60, "the second run")
            took = time.monotonic() - again
            assert status.reason == "trained 3 epochs"
        runs = store.runs("long-moons")
        assert [(r.status, r.reason[:45]) for r in runs] == [
            ("completed", "trained 3 epochs"),
            ("failed", "the training process died (signal 9, SIGKILL)"),
        ]
    finally:
        store.close()
    print(
        f"\napp, worker killed: failure shown {shown:.2f} s later, app still up; "
        f"r ran again to completion in {took:.1f} s"
    )
