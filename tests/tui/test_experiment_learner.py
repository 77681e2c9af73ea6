"""Tests what a learner met on the experiment screen at 80x24: earlier runs numbered per
experiment with their result, the latest one drawn on opening; the model summary's header;
escape during a run; `lab open ID --set`."""

from __future__ import annotations

from pathlib import Path

import pytest
from textual.widgets import SelectionList

from lab.catalog import load_catalog
from lab.tui.app import make_app
from lab.tui.screens.confirm import Confirm
from lab.tui.screens.experiment import ExperimentScreen
from lab.tui.widgets.earlier_runs import run_result
from lab.tui.widgets.loss_plot import CurvePlot
from lab.tui.widgets.param_form import ParamInput
from tests.fake_worker import HeldRun
from tests.tui.pilot import app_with_workers, open_experiment, press_run, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "good"
LONG = FIXTURES.with_name("long")


@pytest.fixture
def lessons():
    return load_catalog([FIXTURES, LONG])


def record_run(store, experiment: str, tweaks: dict, status: str, metrics: dict) -> int:
    """A finished run in the store, with ten step losses and two epochs' accuracy."""
    run_id = store.start_run(experiment, "gd-example", {}, tweaks, 0, "cpu", "2")
    store.add_points(run_id, [(step, "train", 1.0 / step) for step in range(1, 11)])
    store.add_epoch(run_id, 1, {"train_loss": 0.5, "val_accuracy": 0.8})
    store.add_epoch(run_id, 2, {"train_loss": 0.1, "val_accuracy": 0.9})
    store.finish_run(run_id, status, "", metrics, 1.0)
    return run_id


def test_a_runs_result_is_its_accuracy_else_its_loss():
    assert run_result({"train_loss": 0.01234, "val_accuracy": 0.9725}) == "val acc 97.2%"
    assert run_result({"train_loss": 0.01234, "val_loss": 0.5}) == "val loss 0.5"
    assert run_result({"train_loss": 0.01234}) == "loss 0.0123"
    assert run_result({"train_loss": float("nan")}) == ""
    assert run_result(None) == ""


async def test_earlier_runs_are_numbered_per_experiment_with_their_result_uncut(lessons, store):
    # Another experiment's run first: this experiment's first run is still #1.
    record_run(store, "long-moons", {}, "completed", {"train_loss": 0.3})
    record_run(store, "gd-example-fit", {"lr": 0.001}, "completed", {"train_loss": 0.01234})
    record_run(store, "gd-example-fit", {"lr": 2.0}, "diverged", {"train_loss": 1e30})
    last = record_run(store, "gd-example-fit", {"lr": 0.5}, "stopped", {"val_accuracy": 0.9725})
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        runs = screen.query_one("#exp-runs", SelectionList)
        labels = [str(runs.get_option_at_index(i).prompt) for i in range(runs.option_count)]
        assert labels == [
            "#3 stopped, val acc 97.2% · lr=0.5",
            "#2 diverged · lr=2",
            "#1 completed, loss 0.0123 · lr=0.001",
        ]
        # The latest run is drawn on opening: the plots are not empty.
        assert list(runs.selected) == [last]
        loss = screen.query_one("#loss-plot", CurvePlot)
        await wait_until(pilot, lambda: len(loss.overlays) == 1, 5)
        assert loss.overlays[0].label == "#3 lr=0.5"
        assert len(loss.overlays[0].curves["train"].xs) == 10
        # Each label is shown whole at 80 columns: wrapped, never cut with an ellipsis.
        screen.query_one("#exp-side").scroll_to_widget(runs, animate=False)
        await pilot.pause()
        rendered = [line.text for line in runs.render_lines(runs.region.reset_offset)]
        shown = [line[2:].rstrip().removesuffix("▎").rstrip() for line in rendered[1:-1]]
        assert not any("…" in line for line in shown)
        # A box on each run's first line only, ticked for the one drawn (without colour too);
        # a label's second line is indented under its first.
        boxes = [line[:4] for line in shown]
        assert boxes.count("▐X▌ ") == 1 and boxes.count("▐ ▌ ") == 2
        assert boxes[0] == "▐X▌ " and set(boxes) == {"▐X▌ ", "▐ ▌ ", "    "}
        flat = " ".join(line[4:].strip() for line in shown)
        assert flat == " ".join(labels)


async def test_the_model_summary_has_a_header_and_per_sample_shapes(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "completed")
        text = str(screen.query_one("#exp-summary").render())
        lines = text.splitlines()
        assert lines[0].split() == ["layer", "output", "params"]
        assert lines[1].split() == ["input", "[1]"]  # one sample of one feature
        assert lines[2].split() == ["Linear", "[1]", "2"]
        assert "2 parameters" in text


async def test_escape_during_a_run_asks_then_stops_it_and_goes_back(lessons, store):
    app = app_with_workers(lessons, store, make=HeldRun)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "running")
        await pilot.press("escape")
        await pilot.pause()
        assert isinstance(app.screen, Confirm)
        assert "Stop it and go back?" in str(app.screen.query_one("#confirm-question").render())
        await pilot.press("n")  # keep running
        await pilot.pause()
        assert app.screen is screen and screen.state == "running"
        await pilot.press("escape")
        await pilot.pause()
        await pilot.press("y")
        await wait_until(pilot, lambda: not isinstance(app.screen, (Confirm, ExperimentScreen)))
        assert any("stopped" in n.message for n in app._notifications)
    assert [r.status for r in store.runs("long-moons")] == ["stopped"]


async def test_ctrl_c_names_q_as_help_does(lessons, store):
    app = make_app(lessons, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+c")
        await pilot.pause()
        messages = [n.message for n in app._notifications]
        assert messages == ["Press q to quit."]


async def test_settings_given_on_the_command_line_fill_the_form(lessons, store):
    app = make_app(
        lessons, store=store, target="gd-example-fit", settings={"lr": "0.3"}, prewarm=False
    )
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen), 10)
        await pilot.pause()
        form = app.screen
        assert form.query_one("#param-lr", ParamInput).value == "0.3"
        assert form.query_one("#exp-form").settings() == {"lr": 0.3}


async def test_a_finished_run_shows_its_figures_under_the_loss_and_v_goes_round(lessons, store):
    """The final figures (the finished model on each split, and the last epoch's train loss
    beside the final one) are a pane under the loss; the decision boundary being watched stays
    there at the end, and v steps through it, the accuracy plot and the figures."""
    from lab.tui.widgets.model_view import ModelView

    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_experiment("long-moons", {"epochs": "3"})
        await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen), 10)
        screen = app.screen
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "completed", 60, "the run's end")
        await pilot.pause()
        results = screen.query_one("#exp-results")
        assert screen.query_one(ModelView).display and not results.display
        shown = []
        for _ in range(len(screen._below_loss_panes())):
            await pilot.press("v")
            panes = ("model-view", "acc-plot", "exp-results")
            shown.append(next(p for p in panes if screen.query_one(f"#{p}").display))
        assert set(shown) == set(panes) and shown[-1] == "model-view"  # round again
        while not results.display:
            await pilot.press("v")
        text = str(results.render())
        assert "the finished model:" in text and "train*" in text
        assert "* the last epoch's train_loss: its steps' mean, as the weights changed" in text
        assert f"{screen.session.metrics['val_accuracy']:.1%}" in text
        screen.action_run()  # the next run: the last run's figures give way at once
        assert not results.display and screen.query_one("#acc-plot").display
        await wait_until(pilot, lambda: screen.state == "completed", 60, "the next run's end")


async def test_v_shows_the_figures_of_a_run_that_draws_no_picture(lessons, store):
    """The cost sweep (scripted) sends no picture and has no accuracy: its figures are one v
    away, not "this run sends no picture"."""
    from lab.engine.events import Done, Progress, Start
    from tests.fake_worker import ReplayWorker

    events = [
        Start("gd-example-sweep", "cpu", "", 0, {}, ""),
        Progress(1, 1, 4.5, 0.0),
        Done("completed", "cost-sweep finished", {"best_w": 2.0}),
    ]
    app = app_with_workers(lessons, store, make=lambda: ReplayWorker(events))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-sweep")
        await press_run(app, pilot, screen)
        await wait_until(pilot, lambda: screen.state == "completed", 10, "the run's end")
        results = screen.query_one("#exp-results")
        assert not results.display  # the loss plot alone keeps the column
        await pilot.press("v")
        assert results.display and "best_w 2" in str(results.render())
        await pilot.press("v")  # nothing else to show: it says so and stays
        assert results.display
