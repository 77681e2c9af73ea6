"""Tests the experiment screen: what the learner sees and keeps.

The engine trains for real, in this process (tests/fake_worker.py), through the seam the app
takes its workers from; the tests about the process itself (stopped by a signal, ended with the
app) start real worker processes."""

from __future__ import annotations

import asyncio
import threading
import time
from pathlib import Path

import pytest
from textual.widgets import SelectionList

from lab.catalog import load_catalog
from lab.catalog.runspec import build_run_spec
from lab.engine.client import RunProcess
from lab.engine.events import Done, EpochEnd, Progress, Start, View
from lab.runs.session import RunSession, describe_tweaks
from lab.tui.run_reader import (
    POINT_BATCH_S,
    EpochFinished,
    PointsArrived,
    RunFinished,
    RunStarted,
    read_run,
    worth_drawing,
)
from lab.tui.widgets.loss_plot import CurvePlot, ascii_by_default
from lab.tui.widgets.model_view import ModelView
from lab.tui.widgets.param_form import ParamInput
from lab.tui.widgets.run_status import GoalLine, RunStatus
from tests.fake_worker import InProcessWorker, ReplayWorker
from tests.tui.pilot import app_with_workers, open_experiment, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "good"
LONG = FIXTURES.with_name("long")  # long-moons: 10,000 epochs of a small MLP, to stop half way


@pytest.fixture
def lessons():
    catalog = load_catalog([FIXTURES, LONG])
    assert not catalog.problems, catalog.problems
    return catalog


async def test_run_to_completion_draws_the_curve_ticks_the_goal_and_records_the_run(lessons, store):
    go = threading.Event()  # the run trains once the test has looked at its start
    app = app_with_workers(lessons, store, lambda: InProcessWorker(go))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        assert not app.run_in_progress
        await pilot.press("r")
        assert app.run_in_progress  # the app asks before quitting from now on
        go.set()
        await wait_until(pilot, lambda: screen.state == "completed")
        assert not app.run_in_progress
        plot = screen.query_one("#loss-plot", CurvePlot)
        assert len(plot.curves["train"].xs) == 200  # one point a step: 200 epochs of 1 batch
        # the plot redraws on its own clock
        await wait_until(pilot, lambda: "train" in str(plot.render()), 10, "the curve drawn")
        goal = screen.query_one(GoalLine)
        assert goal.reached
        assert str(goal.render()).startswith("✓ goal: train_loss ≤ 0.01")
        status = str(screen.query_one(RunStatus).render())
        assert "completed" in status and "epoch 200/200" in status and "cpu" in status
        assert "Linear" in str(screen.query_one("#exp-summary").render())
    runs = store.runs("gd-example-fit")
    assert [r.status for r in runs] == ["completed"]
    run = store.run(runs[0].id)
    assert len(run.epochs) == 200 and len(run.points) == 200
    assert run.metrics["train_loss"] <= 0.01


async def test_out_of_range_setting_is_refused_beside_its_field(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        field = screen.query_one("#param-lr", ParamInput)
        field.value = "5"
        await pilot.pause()
        error = str(screen.query_one("#error-lr").render())
        assert "lr must be between 0.0001 and 2, not 5" in error
        await pilot.press("r")
        await pilot.pause()
        assert screen.state == "idle" and not app.run_in_progress
        assert app.focused is field
        field.value = "0.5"
        await pilot.pause()
        assert str(screen.query_one("#error-lr").render()) == ""


async def test_letters_typed_in_a_number_field_reach_the_screen_keys(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        field = screen.query_one("#param-epochs", ParamInput)
        field.focus()
        field.value = ""
        await pilot.press("5", "0", "l")  # `l` switches the log scale, it is no digit
        assert field.value == "50"
        assert screen.query_one("#loss-plot", CurvePlot).log_scale


async def test_diverged_run_shows_its_reason_and_the_screen_runs_again(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        screen.query_one("#param-lr", ParamInput).value = "2"
        await pilot.pause()
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "diverged")
        status = screen.query_one(RunStatus)
        assert "diverged" in str(status.render())
        assert "learning rate" in status.reason  # the worker's advice, shown where one looks
        assert status.has_class("-bad")
        assert not screen.query_one(GoalLine).reached
        screen.query_one("#param-lr", ParamInput).value = "0.05"
        await pilot.pause()
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "completed")
        assert status.reason == "trained 200 epochs"
        assert not status.has_class("-bad")
        # The earlier runs list now offers both runs to overlay, labelled by their settings.
        runs = screen.query_one("#exp-runs")
        await wait_until(pilot, lambda: runs.option_count == 2, 10)
        labels = [str(runs.get_option_at_index(i).prompt) for i in range(runs.option_count)]
        assert any("lr=2" in label and "diverged" in label for label in labels)
        assert any("defaults" in label and "completed" in label for label in labels)
    assert [r.status for r in store.runs("gd-example-fit")] == ["completed", "diverged"]


async def test_stop_ends_the_run_and_records_it_stopped(lessons, store):
    app = app_with_workers(lessons, store, RunProcess.fork)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        assert screen.query_one("#acc-plot", CurvePlot).display  # classification
        await pilot.press("r")
        plot = screen.query_one("#loss-plot", CurvePlot)
        await wait_until(pilot, lambda: plot.point_count > 20)
        await pilot.press("s")
        started = time.monotonic()
        await wait_until(pilot, lambda: screen.state == "stopped", 10)
        assert time.monotonic() - started < 3
        assert "val" in screen.query_one("#loss-plot", CurvePlot).curves
        assert screen.query_one("#acc-plot", CurvePlot).curves["val"].ys
        assert not app.run_in_progress
    run = store.runs("long-moons")[0]
    assert run.status == "stopped" and run.duration_s > 0


async def test_app_exit_mid_run_records_the_run_as_stopped(lessons, store):
    app = app_with_workers(lessons, store, RunProcess.fork)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.run_id is not None)
        worker = screen.worker
        await app.run_shutdown_hooks()  # what SIGHUP and quit do
        assert store.runs("long-moons")[0].status == "stopped"
    await asyncio.to_thread(worker.wait, 5)
    assert worker.process.poll() is not None  # no orphan keeps training


async def test_app_exit_waits_for_the_record_of_a_run_before_the_last(lessons, store):
    """A run ends, the learner runs again and quits: the first run's end, still on its way to
    the store (a slow disk), is written before the app is gone, not left `running`."""
    first_end, slow = threading.Event(), threading.Event()
    finish_run = store.finish_run

    def slow_first_finish(run_id, *args):
        if not first_end.is_set():
            first_end.set()
            slow.wait(10)
        finish_run(run_id, *args)

    store.finish_run = slow_first_finish
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        for _ in range(2):
            await pilot.press("r")
            await wait_until(pilot, lambda: screen.state == "completed")
        await wait_until(pilot, first_end.is_set, 10, "the first run's end on its way")
        assert store.runs("gd-example-fit")[-1].status == "running"
        threading.Timer(1.0, slow.set).start()  # the disk catches up after the app began to quit
    assert [r.status for r in store.runs("gd-example-fit")] == ["completed", "completed"]


async def test_smoothing_and_log_scale_switch_while_idle_or_running(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        plot = screen.query_one("#loss-plot", CurvePlot)
        screen.set_focus(None)
        await pilot.press("right_square_bracket", "right_square_bracket")
        assert plot.smoothing == 0.6
        await pilot.press("left_square_bracket")
        assert plot.smoothing == 0.3
        await pilot.press("l")
        assert plot.log_scale
        await pilot.press("r")
        await pilot.press("right_square_bracket", "l")
        assert plot.smoothing == 0.6 and not plot.log_scale
        await wait_until(pilot, lambda: screen.state == "completed")


async def test_overlay_an_earlier_run(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "completed")
        runs = screen.query_one("#exp-runs")
        await wait_until(pilot, lambda: runs.option_count == 1, 10)  # once the store has it
        await pilot.press("c")
        assert app.focused is runs
        await pilot.press("space")
        await pilot.pause()
        plot = screen.query_one("#loss-plot", CurvePlot)
        assert len(plot.overlays) == 1
        assert plot.overlays[0].label.endswith("defaults")
        assert len(plot.overlays[0].curves["train"].xs) == 200


async def test_the_run_just_finished_can_be_overlaid_on_the_next(lessons, store):
    """A learner runs, then runs again with other settings: the first run is in the earlier
    runs list as soon as it is recorded, and can be drawn under the second while it trains."""
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        runs = screen.query_one("#exp-runs", SelectionList)
        assert runs.option_count == 0 and not runs.display  # nothing to compare with yet
        screen.query_one("#param-epochs", ParamInput).value = "20"
        await pilot.pause()
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "completed")
        await wait_until(pilot, lambda: runs.option_count == 1, 10)
        assert runs.display
        label = str(runs.get_option_at_index(0).prompt)
        first = store.runs("long-moons")[0]
        assert label.startswith("#1 completed, ") and label.endswith(" · epochs=20")
        # The next run, at the defaults (10,000 epochs), with the first one drawn under it.
        screen.query_one("#param-epochs", ParamInput).value = "10000"
        await pilot.pause()
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "running")
        await pilot.press("c")
        assert app.focused is runs
        await pilot.press("space")
        loss = screen.query_one("#loss-plot", CurvePlot)
        await wait_until(pilot, lambda: len(loss.overlays) == 1, 10)
        assert screen.state == "running"
        assert loss.overlays[0].label == "#1 epochs=20"
        assert len(loss.overlays[0].curves["train"].xs) > 0
        acc = screen.query_one("#acc-plot", CurvePlot)
        assert len(acc.overlays[0].curves["val"].xs) == 20  # one accuracy a finished epoch
        await wait_until(pilot, lambda: loss.point_count > 20)
        # the picture: both runs, drawn off the event loop
        await wait_until(
            pilot,
            lambda: "#1 epochs=20" in str(loss.render()) and "train" in str(loss.render()),
            10,
            "both runs in the picture",
        )
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state == "stopped", 10)
        await wait_until(pilot, lambda: runs.option_count == 2, 10)
        labels = [str(runs.get_option_at_index(i).prompt) for i in range(2)]
        assert labels[0].startswith("#2 stopped") and labels[0].endswith("defaults")  # newest
        assert list(runs.selected) == [first.id]  # still overlaid


def test_the_reader_posts_a_fast_run_as_a_few_batches_with_each_epochs_val_loss(lessons):
    """200 epochs that arrive at once become a handful of messages, not 400; a validation
    loss that comes only with its epoch is placed at that epoch's last step."""
    events: list = [Start("gd-example-fit", "cpu", "", 2, {}, "2.x")]
    for n in range(1, 201):
        events += [
            Progress(n, 2 * n, 1 / n, 10.0),
            EpochEnd(n, {"train_loss": 1 / n, "val_loss": 2 / n}),
        ]
    events.append(Done("completed", "trained 200 epochs", {"train_loss": 0.005}))
    run = build_run_spec(lessons.experiment("gd-example-fit"))
    posted: list = []
    began = time.monotonic()
    read_run(RunSession(run, ReplayWorker(events)), posted.append)
    batches = (time.monotonic() - began) / POINT_BATCH_S + 1  # at most one a batch period
    assert isinstance(posted[0], RunStarted) and isinstance(posted[-1], RunFinished)
    # RunStarted, the first points at once, then a batch a period, RunFinished: the count
    # follows the time the read took (1 s at load 5 here), never the 401 events
    assert len(posted) <= 3 + 2 * batches, [type(m).__name__ for m in posted]
    assert len(posted) < len(events) // 4
    points = [p for m in posted if isinstance(m, PointsArrived) for p in m.points]
    assert [p.step for p in points] == list(range(2, 401, 2))
    val = [v for m in posted if isinstance(m, EpochFinished) for v in m.val_points]
    assert val == [(2 * n, "val", 2 / n) for n in range(1, 201)]


def test_ascii_default_follows_the_terminal():
    utf8 = {"TERM": "xterm-256color", "LANG": "en_US.UTF-8"}
    assert not ascii_by_default(utf8)
    assert ascii_by_default({"TERM": "linux", "LANG": "en_US.UTF-8"})
    assert ascii_by_default({"TERM": "xterm", "LANG": "C"})
    assert ascii_by_default({**utf8, "LAB_ASCII": "1"})
    assert not ascii_by_default({"TERM": "linux", "LAB_ASCII": "0"})


def test_labels():
    assert describe_tweaks({}) == "defaults"
    assert describe_tweaks({"lr": 0.5, "epochs": 20}) == "lr=0.5 epochs=20"


async def test_the_model_view_shows_the_boundary_and_v_cycles_to_the_accuracy(store):
    """A classifier on two features: the panel under the loss plot shows the decision boundary
    as the run sends it; `v` moves to the weights, then to the accuracy plot, then back."""
    catalog = load_catalog([FIXTURES, LONG])
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        view = screen.query_one(ModelView)
        accuracy = screen.query_one("#acc-plot", CurvePlot)
        assert not view.display and accuracy.display  # nothing to picture before a run
        await pilot.press("v")  # says why there is nothing, changes nothing
        assert not view.display
        await pilot.press("r")
        await wait_until(pilot, lambda: view.state.kinds() == ["boundary", "weights"], 30)
        assert view.display and not accuracy.display and view.kind == "boundary"
        assert "points" in view.state.fixed["boundary"]  # sent once, kept
        await wait_until(pilot, lambda: str(view.render()).startswith("decision boundary"), 10)
        first_row = str(view.render()).splitlines()[0]
        assert first_row.startswith("decision boundary at step") and "(v: next)" in first_row
        await pilot.press("v")
        assert view.kind == "weights" and view.display
        assert "|grad|" in str(view.render())
        await pilot.press("v")
        assert accuracy.display and not view.display
        await pilot.press("v")
        assert view.display and view.kind == "boundary"
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state == "stopped", 30)


def test_the_reader_keeps_the_latest_view_of_each_kind_and_every_path_point():
    views = [
        View("boundary", 1, {"classes": [[0]], "points": {"x": [0.0]}}),
        View("surface", 1, {"w": 0.0, "b": 0.0}),
        View("boundary", 2, {"classes": [[1]]}),
        View("boundary", 3, {"classes": [[1]]}),
        View("surface", 2, {"w": 0.5, "b": 0.1}),
        View("weights", 3, {"layers": []}),
    ]
    kept = worth_drawing(views)
    assert [(v.kind, v.step) for v in kept] == [
        ("boundary", 1),  # carries the training points, sent only once
        ("surface", 1),
        ("boundary", 3),
        ("surface", 2),
        ("weights", 3),
    ]
