"""The app while its training worker is killed: the experiment screen shows why, the app stays
up, and `r` runs again to completion (Textual Pilot, the real worker process)."""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.engine.client import RunProcess
from lab.store import Store
from lab.tui.widgets.loss_plot import CurvePlot
from lab.tui.widgets.param_form import ParamInput
from lab.tui.widgets.run_status import RunStatus
from tests.fake_worker import InProcessWorker
from tests.tui.pilot import app_with_workers, open_experiment, wait_until

LONG = Path(__file__).resolve().parents[1] / "fixtures" / "long"  # long-moons: 10,000 epochs

pytestmark = pytest.mark.slow


async def test_a_killed_worker_shows_its_reason_and_r_runs_again(lab_home):
    catalog = load_catalog([LONG])
    assert not catalog.problems, catalog.problems
    store = Store.open()
    try:
        app = app_with_workers(catalog, store, RunProcess.fork)  # no spare warming beside it
        async with app.run_test(size=(80, 24)) as pilot:
            screen = await open_experiment(app, pilot, "long-moons")
            await pilot.press("r")
            await wait_until(pilot, lambda: screen.run_id is not None, 60, "the run to start")
            loss = screen.query_one("#loss-plot", CurvePlot)
            await wait_until(pilot, lambda: loss.point_count > 0, 60, "some steps trained")
            os.kill(screen.worker.pid, signal.SIGKILL)
            killed = time.monotonic()
            await wait_until(pilot, lambda: screen.state == "failed", 10, "the failure")
            shown = time.monotonic() - killed
            status = screen.query_one(RunStatus)
            assert status.reason.startswith("the training process died (signal 9, SIGKILL)")
            assert "failed" in str(status.render())
            assert app.is_running and not app.run_in_progress
            # the learner shortens the run and presses r again (its worker is the engine
            # in this process: that the app recovers is the point, not a second process)
            app.run_workers.make = InProcessWorker
            screen.query_one("#param-epochs", ParamInput).value = "3"
            await pilot.pause()
            again = time.monotonic()
            await pilot.press("r")
            await wait_until(pilot, lambda: screen.state == "completed", 60, "the second run")
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
