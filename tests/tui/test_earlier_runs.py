"""A scripted run the learner stops is listed among the earlier runs with what it had reached,
as a stopped training run is: the engine trains for real, in this process."""

from __future__ import annotations

import re

import pytest
from textual.widgets import SelectionList

from lab.catalog import load_catalog
from lab.tui.screens.predict import PredictScreen
from lab.tui.widgets.earlier_runs import run_result
from lab.tui.widgets.loss_plot import CurvePlot
from lab.tui.widgets.param_form import ParamInput
from tests.tui.pilot import app_with_workers, open_experiment, wait_until


def test_a_scripted_runs_own_loss_is_its_result_when_no_usual_figure_is_there():
    assert run_result({"manual_loss": 1.0614}) == "manual loss 1.06"
    assert run_result({"manual_loss": 1.0, "train_loss": 0.02}) == "loss 0.02"
    assert run_result({"best_w": 2.0, "w": 1.5}) == ""


@pytest.mark.usefixtures("shipped_lessons")
async def test_a_stopped_scripted_run_shows_its_status_and_last_figure(store):
    app = app_with_workers(load_catalog(), store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "manual-vs-adam")
        screen.query_one("#param-steps", ParamInput).value = "2000"
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen), 30)
        await pilot.press("escape")  # no prediction: the run starts
        plot = screen.query_one("#loss-plot", CurvePlot)
        await wait_until(pilot, lambda: plot.point_count > 20, 30)
        await pilot.press("s")
        runs = screen.query_one("#exp-runs", SelectionList)
        await wait_until(pilot, lambda: runs.option_count == 1, 30)
        label = str(runs.get_option_at_index(0).prompt)
    [stored] = store.runs("manual-vs-adam")
    assert stored.status == "stopped" and stored.metrics
    assert re.fullmatch(r"#1 stopped, (manual|adam) loss [\d.e+-]+ · steps=2000", label), label
    assert label.split(", ")[1].split(" · ")[0] == run_result(stored.metrics)
