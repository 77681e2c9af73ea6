"""Step by step on the experiment screen: p pauses and resumes, n one update, N one epoch; the
keys show only while a run goes; a paused real worker still stops at once on s."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.engine.client import RunProcess
from lab.runs.runners import LocalRunner
from lab.tui.app import make_app
from lab.tui.widgets.loss_plot import CurvePlot
from lab.tui.widgets.run_status import RunStatus
from tests.fake_worker import HeldRun
from tests.tui.pilot import app_with_workers, open_experiment, press_run, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
QUIET_S = 0.3


@pytest.fixture
def lessons():
    catalog = load_catalog([FIXTURES / "good", FIXTURES / "long"])
    assert not catalog.problems, catalog.problems
    return catalog


def _status(screen) -> str:
    return str(screen.query_one(RunStatus).render())


def _epochs_ended(plot) -> int:
    val = plot.curves.get("val")  # one validation point at each epoch's end
    return len(val.xs) if val is not None else 0


def _shown_actions(app) -> set[str]:
    return {active.binding.action for active in app.screen.active_bindings.values()}


async def test_pause_step_epoch_and_resume(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        assert not {"step", "step_epoch"} & _shown_actions(app)  # no run: no stepping keys
        await pilot.press("r")
        assert {"pause", "step", "step_epoch"} <= _shown_actions(app)
        await wait_until(pilot, lambda: screen.state == "running", 120, "the run's start")
        await pilot.press("p")
        await wait_until(pilot, lambda: "paused at step" in _status(screen), 10, "the hold")
        assert "(n: one step, N: one epoch, p: resume)" in _status(screen)
        status = screen.query_one(RunStatus)
        plot = screen.query_one("#loss-plot", CurvePlot)
        control = screen.session.worker.control
        await wait_until(pilot, control.holding, 10, "the run to hold")
        await pilot.pause(QUIET_S)
        step, points = status.step, plot.point_count
        await pilot.pause(QUIET_S)
        assert (status.step, plot.point_count) == (step, points)  # a paused run does nothing

        for _ in range(2):
            await pilot.press("n")
            await wait_until(pilot, lambda s=step: status.step == s + 1, 10, "one step")
            step += 1
            assert f"paused at step {step:,} " in _status(screen)
            assert plot.curves["train"].xs[-1] == step  # the curve took the step at once

        ends = []
        for _ in range(2):  # the rest of this epoch, then a whole one; paused after each
            epochs = _epochs_ended(plot)
            await pilot.press("N")
            await wait_until(pilot, lambda e=epochs: _epochs_ended(plot) == e + 1, 10, "an epoch")
            await pilot.pause(QUIET_S)
            ends.append(status.step)
            await pilot.pause(QUIET_S)
            assert status.step == ends[-1] and "paused" in _status(screen)
        per_epoch = ends[1] - ends[0]
        assert ends[0] > step and per_epoch > 2 and ends[0] % per_epoch == 0
        after_epoch = ends[1]

        await pilot.press("p")  # resume
        await wait_until(pilot, lambda: status.step > after_epoch + 50, 10, "training again")
        assert "paused" not in _status(screen)
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state == "stopped", 10)
        assert not {"step", "step_epoch"} & _shown_actions(app)


@pytest.mark.slow
async def test_p_with_no_run_going_runs_a_real_worker_held_before_its_first_step(lessons, store):
    """The first updates could not be watched: p pressed with r, while torch loaded, was lost
    (the run trained to its end under "paused at step 0"), and with a warm worker it landed
    hundreds of steps late. p with no run going starts the run held before its first update;
    the screen says paused when the worker holds."""
    # the app's own source: a worker forked at the key, torch perhaps still loading
    app = make_app(lessons, store=store, prewarm=False, run_workers=LocalRunner(fork=True))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        assert "p run paused" in _status(screen)
        assert "pause" in _shown_actions(app) and "step" not in _shown_actions(app)
        await pilot.press("p")
        assert screen.state in ("starting", "running")  # (running: the fork server was warm)
        await wait_until(pilot, lambda: "paused at step 0 " in _status(screen), 120, "the hold")
        plot = screen.query_one("#loss-plot", CurvePlot)
        await pilot.pause(1.0)
        assert plot.point_count == 0 and "paused at step 0 " in _status(screen)
        for step in (1, 2, 3):
            await pilot.press("n")
            await wait_until(
                pilot, lambda s=step: f"paused at step {s} " in _status(screen), 10, "a step"
            )
        assert plot.curves["train"].xs[-1] == 3
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state == "stopped", 10)


@pytest.mark.slow
async def test_a_paused_worker_stops_at_once(lessons, store):
    app = app_with_workers(lessons, store, RunProcess.fork)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        await pilot.press("r")
        plot = screen.query_one("#loss-plot", CurvePlot)
        await wait_until(pilot, lambda: plot.point_count > 5, 120, "training")
        await pilot.press("p")
        await wait_until(pilot, lambda: "paused at step" in _status(screen), 10, "paused")
        await pilot.pause(QUIET_S)
        await pilot.press("s")
        asked = time.monotonic()
        await wait_until(pilot, lambda: screen.state == "stopped", 10)
        assert time.monotonic() - asked < 1.5
    assert store.runs("long-moons")[0].status == "stopped"


async def test_a_distributed_run_says_it_cannot_pause_and_trains_on(store, shipped_lessons):
    """The ranks of a DDP run wait on each other: p, n and N say so instead of pretending."""
    app = app_with_workers(load_catalog(), store, make=HeldRun)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_experiment(app, pilot, "ddp-digits")
        await pilot.press("p")  # with no run going p starts one paused: not a distributed one
        await pilot.pause()
        assert screen.session is None and "cannot pause" in list(app._notifications)[-1].message
        await press_run(app, pilot, screen)
        await wait_until(pilot, lambda: screen.state == "running", 30, "the run's start")
        for key in ("p", "n", "N"):
            await pilot.press(key)
        await pilot.pause()
        said = [n.message for n in app._notifications][1:]
        assert said and all("cannot pause or step" in text for text in said), said
        assert not screen.paused and not screen.session.worker.control.paused
        assert "paused" not in _status(screen)
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state == "stopped", 30, "the stop")
