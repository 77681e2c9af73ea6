"""Tests what a learner met on the experiment screen in their second week (walk 3): the log
keeps its first lines in sight, the tips do not give the prediction away, and the pictures
show the moment a run diverged."""

from __future__ import annotations

from pathlib import Path
from unittest.mock import patch

import pytest
from textual_plotext.plot import Plot

from lab.catalog import load_catalog
from lab.engine.events import Done, EpochEnd, Log, Progress, Start
from lab.tui.screens.predict import PredictScreen
from lab.tui.widgets.loss_plot import Curve, CurvePlot, Overlay, PictureSpec, draw_picture
from lab.tui.widgets.model_view import ModelView
from lab.tui.widgets.run_log import RunLog
from tests.fake_worker import ReplayWorker
from tests.tui.pilot import app_with_workers, open_experiment, press_run, wait_until
from tests.tui.test_experiment_snapshot import _view_events, fixed_run
from tests.tui.test_experiment_widgets import spec

COURSE = Path(__file__).resolve().parents[2] / "lessons"


@pytest.fixture(scope="module")
def course():
    return load_catalog([COURSE])


def autograd_run(epochs: int = 50) -> list:
    """autograd as its worker reports it: two lines before training, then one per epoch."""
    spec = {"epochs": epochs, "seed": 0}
    events: list = [
        Start("autograd", "cpu", "", 0, spec, "2.x"),
        Log("w = 1.0 and b = 0.0 with requires_grad=True; w.grad is None"),
        Log("after backward(): w.grad=-9.3333 b.grad=-4.0000"),
    ]
    for epoch in range(1, epochs + 1):
        loss = 5.0 / epoch
        events += [
            Progress(epoch, epoch, loss, 0.0),
            EpochEnd(epoch, {"train_loss": loss}),
            Log(f"epoch {epoch}: loss={loss:.4g}"),
        ]
    events.append(Done("completed", f"trained {epochs} epochs", {"train_loss": 0.1}))
    return events


def test_the_log_keeps_its_first_lines_counts_the_rest_and_shows_the_latest():
    log = RunLog()
    log.add("first")
    log.add("second\nthird")
    assert log.lines() == ["first", "second", "third"]
    for n in range(4, 21):
        log.add(f"line {n}")
    first, last = RunLog.FIRST, RunLog.LAST
    shown = log.lines()
    assert shown[:3] == ["first", "second", "third"] and len(shown) == first + 1 + last
    assert shown[first] == f"… {20 - first - last} more lines …"
    assert shown[-1] == "line 20"
    log.clear()
    assert log.lines() == [] and log.count == 0


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_after_a_run_its_first_log_lines_are_in_sight(course, store, size):
    app = app_with_workers(course, store, lambda: ReplayWorker(autograd_run()))
    async with app.run_test(size=size) as pilot:
        screen = await open_experiment(app, pilot, "autograd")
        await press_run(app, pilot, screen)
        await wait_until(pilot, lambda: screen.state == "completed")
        await pilot.pause(0.2)
        log = screen.query_one(RunLog)
        text = str(log.render())
        assert text.startswith("Log\nw = 1.0 and b = 0.0")
        assert "after backward(): w.grad=-9.3333" in text
        assert "epoch 50: loss=0.1" in text.replace("\n", " ")
        # the side column scrolls to the log (after a refresh): its heading is on the screen
        side = screen.query_one("#exp-side")
        in_sight = lambda: side.region.contains(log.region.x, log.region.y)  # noqa: E731
        await wait_until(pilot, in_sight, 10, "the log's heading in sight")


@pytest.mark.parametrize("key", ["2", "escape"])
async def test_the_tips_wait_until_the_prediction_is_answered_or_skipped(course, store, key):
    """autograd's first tip says w.grad is None before backward(): the question it sits beside."""
    app = app_with_workers(course, store, lambda: ReplayWorker(autograd_run()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "autograd")
        tips = screen.query_one("#exp-try")
        assert "w.grad is None" not in str(tips.render())
        assert "shown after your prediction" in str(tips.render())
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen))
        assert "w.grad is None" not in str(tips.render())  # behind the question, still hidden
        await pilot.press(key)
        await wait_until(pilot, lambda: screen.state == "completed")
        assert "w.grad is None" in str(tips.render()).replace("\n", " ")


async def test_the_tips_show_at_once_where_no_prediction_is_due(course, store):
    app = app_with_workers(course, store, lambda: ReplayWorker(autograd_run()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "autograd")
        await pilot.press("r")
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen))
        await pilot.press("2")
        await wait_until(pilot, lambda: screen.state == "completed")
    # answered right: not due on the next visit, and the tips are there from the start
    app = app_with_workers(course, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "autograd")
        assert "w.grad is None" in str(screen.query_one("#exp-try").render()).replace("\n", " ")


def y_labels(text: str) -> list[float]:
    """The numbers on the plot's y axis, top first."""
    rows = text.split("┌")[1].split("└")[0].splitlines()[1:]
    return [float(row.split("┤")[0]) for row in rows if "┤" in row]


def test_an_earlier_diverged_run_is_cut_at_the_top_not_the_current_run_squashed():
    """gd-diverge at lr=0.15 over the run at lr=1.5 that reached 3,567: the axis is the current
    run's (14.8 down to 0), the earlier run leaves through the top."""
    steps = list(range(1, 301))
    healthy = [14.8 * 0.9**s for s in steps]
    diverged = ("green", "+", "#1 lr=1.5", True, [1, 2], [14.8, 3567.2], True)
    current = ("cyan", "*", "train", True, steps, healthy, False)
    text = draw_picture(Plot(), spec([diverged, current], ascii=True)).text.plain
    assert max(y_labels(text)) < 20, text
    canvas = text.split("┌")[1].split("└")[0]
    assert sum(row.count("*") > 0 for row in canvas.splitlines()) >= 5, "the run uses the rows"
    # alone (no run yet), or within ten times the current run's height, nothing is cut
    alone = draw_picture(Plot(), spec([diverged], ascii=True)).text.plain
    assert max(y_labels(alone)) > 3000
    near = ("green", "+", "#1 lr=0.1", True, steps, [5 * y for y in healthy], True)
    both = draw_picture(Plot(), spec([near, current], ascii=True)).text.plain
    assert max(y_labels(both)) > 40  # above the current run's 14.8: not cut


def test_a_distributed_runs_ranks_have_markers_of_their_own_and_earlier_ones_only_train_and_val():
    for ascii in (True, False):
        plot = CurvePlot("loss", "step", ascii=ascii)
        series = ("rank 1", "rank 0", "train")
        for name in series:
            plot.add_points(name, [(s, 2 / s) for s in range(1, 50)])
        plot.add_points("val", [(10, 1.0), (20, 0.5)])
        ddp = {name: Curve([1, 2], [1.0, 0.5]) for name in (*series, "val")}
        plot.set_overlays([Overlay("#4 epochs=50", ddp)])
        with patch.object(CurvePlot, "_frame", return_value=(80, 12, "clear")):
            curves = plot._spec().curves
        labels = [label for _, _, label, *_ in curves]
        assert labels[:2] == ["#4 epochs=50", "#4 epochs=50 val"], labels
        assert sorted(labels[2:]) == ["rank 0", "rank 1", "train", "val"]
        markers = [marker for _, marker, *_ in curves]
        assert len(set(markers)) == len(markers) == 6, markers
        legend = draw_picture(Plot(), spec(curves, ascii=ascii, width=80)).text.plain
        assert "rank 0" in legend and "rank 1" in legend


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_the_model_view_says_what_its_characters_mean(catalog, store, size, monkeypatch):
    """The cost surface of gd-example-fit: its legend under the picture, as `lab run` prints."""
    monkeypatch.setenv("LAB_ASCII", "1")
    events = fixed_run()
    events[-1:-1] = _view_events("surface")
    app = app_with_workers(catalog, store, lambda: ReplayWorker(events))
    async with app.run_test(size=size) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "completed")
        view = screen.query_one(ModelView)
        # the title's key hint comes with the run's end, a moment after the state says so
        await wait_until(pilot, lambda: str(view.render()).splitlines()[0].endswith(")"), 5)
        rows = str(view.render()).splitlines()
        assert rows[0].startswith("cost over (w, b) at step 5") and rows[0].endswith(")")
        assert rows[-1].strip().endswith("+ lowest; o path; @ now"), rows
        assert len(rows) == view.size.height and all(len(row) <= view.size.width for row in rows)


async def test_every_screen_s_header_icon_is_a_character_terminal_fonts_have(catalog, store):
    """Textual's ⭘ was a box in xterm with DejaVu Sans Mono."""
    from textual.widgets import Header

    from lab.tui.app import HEADER_ICON, make_app

    app = make_app(catalog, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        for key in ("", "g", "question_mark"):  # home, the glossary, help
            if key:
                await pilot.press(key)
            await pilot.pause()
            await pilot.pause()
            assert app.screen.query_one(Header).icon == HEADER_ICON, app.screen
        await pilot.press("escape", "escape")
        screen = await open_experiment(app, pilot, "gd-example-fit")
        await pilot.pause()
        assert screen.query_one(Header).icon == HEADER_ICON


def test_the_accuracy_axis_stays_within_0_and_1():
    """mnist-cnn's first epoch: one accuracy of 0.98 put y labels up to 1.26."""
    for ys in ([0.98], [0.1, 0.98], [1.0, 1.0]):
        xs = [float(epoch) for epoch in range(1, len(ys) + 1)]
        curve = ("cyan", "o", "val", False, xs, ys, False)
        picture = PictureSpec(
            1, 44, 12, "clear", True, 0.0, False, "acc", "epoch", (curve,), (0, 1)
        )
        labels = y_labels(draw_picture(Plot(), picture).text.plain)
        assert max(labels) <= 1.0 and min(labels) >= 0.0, (ys, labels)


def test_a_scripted_runs_own_series_is_still_a_line():
    """cost-sweep's one series is `cost`, not `train`: drawn as the train line is."""
    plot = CurvePlot("loss", "step", ascii=False)
    plot.add_points("cost", [(s, 1.0 / s) for s in range(1, 14)])
    with patch.object(CurvePlot, "_frame", return_value=(80, 12, "clear")):
        [(_, marker, label, *_)] = plot._spec().curves
    assert (label, marker) == ("cost", "braille")


def test_an_earlier_scripted_run_keeps_its_own_series():
    """manual-vs-adam's earlier run has `manual` and `adam`, no train: both drawn."""
    plot = CurvePlot("loss", "step", ascii=True)
    both = {"manual": Curve([1, 2], [1.0, 0.5]), "adam": Curve([1, 2], [1.0, 0.2])}
    plot.set_overlays([Overlay("#1 defaults", both)])
    with patch.object(CurvePlot, "_frame", return_value=(80, 12, "clear")):
        curves = plot._spec().curves
    assert [(label, marker) for _, marker, label, *_ in curves] == [
        ("#1 defaults manual", "+"),
        ("#1 defaults adam", "x"),
    ]
