"""Tests the experiment screen in a small terminal (60x20 over SSH): the side column gives the
curves room, and the loss curve keeps more rows than the panel under it."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.tui.widgets.loss_plot import CurvePlot
from lab.tui.widgets.model_view import ModelView
from tests.tui.pilot import app_with_workers, open_experiment

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "good"


@pytest.fixture
def lessons():
    return load_catalog([FIXTURES])


async def test_at_60x20_the_curves_get_most_of_the_width_and_the_loss_most_rows(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        side, plot = screen.query_one("#exp-side"), screen.query_one("#loss-plot", CurvePlot)
        view = screen.query_one(ModelView)
        view.display = True  # as once a run sends its first picture
        await pilot.pause()
        assert side.size.width <= 24 and plot.size.width >= 34
        assert plot.size.height > view.size.height
        await pilot.resize_terminal(80, 24)  # a usual terminal keeps the usual layout
        await pilot.pause()
        assert side.outer_size.width == 34 and plot.size.height == view.size.height
