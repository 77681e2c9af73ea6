"""Tests the experiment screen's widgets alone: the plot drawn off the event loop, quiet lines."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from textual.app import App, ComposeResult
from textual.geometry import Region
from textual_plotext.plot import Plot

import lab.tui.widgets.loss_plot as loss_plot
from lab.tui.widgets.loss_plot import (
    PLOT_COLS_MIN,
    PLOT_ROWS_MIN,
    TOO_SMALL,
    Curve,
    CurvePlot,
    Line,
    Overlay,
    PictureSpec,
    changed_rows,
    draw_picture,
    fit_title,
    integer_ticks,
)
from lab.tui.widgets.run_status import RunStatus


class PlotApp(App):
    """One plot filling the screen, and a status line above it."""

    def compose(self) -> ComposeResult:
        yield RunStatus(id="status")
        yield CurvePlot("loss", "step", ascii=True, id="plot")


async def settled(pilot, plot: CurvePlot, timeout: float = 10.0) -> None:
    """Wait until the picture on screen shows the plot's data as it is now."""
    deadline = time.monotonic() + timeout
    while plot.stale:
        assert time.monotonic() < deadline, "the plot never caught up with its data"
        await pilot.pause(0.05)


async def test_points_are_drawn_by_a_thread_and_the_picture_matches_the_data(monkeypatch):
    """Points added while a run goes are drawn within a redraw period, by a thread, exactly
    as a drawing of the same data on the event loop would look."""
    threads: list[bool] = []

    def spy(plt, spec, shown=None):
        threads.append(threading.current_thread() is threading.main_thread())
        return draw_picture(plt, spec, shown)

    monkeypatch.setattr(loss_plot, "draw_picture", spy)
    app = PlotApp()
    async with app.run_test(size=(60, 16)) as pilot:
        plot = app.query_one(CurvePlot)
        await pilot.pause()
        threads.clear()
        for start in range(1, 200, 20):  # ten batches, as the run reader posts them
            plot.add_points("train", [(s, 10 / s) for s in range(start, start + 20)])
            await pilot.pause(0.02)
        await settled(pilot, plot)
        assert threads and not any(threads)  # every picture of the run came from a thread
        shown = str(plot.render())
        assert "train" in shown and "loss" in shown
        assert shown == draw_picture(Plot(), plot._spec()).text.plain


async def test_smoothing_and_log_scale_reach_the_picture_without_a_forced_redraw():
    app = PlotApp()
    async with app.run_test(size=(60, 16)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.add_points("train", [(s, 10 / s) for s in range(1, 300)])
        await settled(pilot, plot)
        plot.set_view(smoothing=0.9, log_scale=True)
        await settled(pilot, plot)
        assert "loss · smoothing 0.9 · log" in str(plot.render())


async def test_a_change_that_moves_no_dot_sends_nothing_to_the_terminal():
    app = PlotApp()
    async with app.run_test(size=(60, 16)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.add_points("train", [(s, 10 / s) for s in range(1, 300)])
        await settled(pilot, plot)
        redraws = plot.redraws
        plot.set_note(plot.note)  # a new version of the same picture
        assert plot.stale
        await settled(pilot, plot)
        assert plot.redraws == redraws


async def test_a_resize_draws_at_the_new_size_at_once():
    app = PlotApp()
    async with app.run_test(size=(60, 16)) as pilot:
        plot = app.query_one(CurvePlot)
        plot.add_points("train", [(s, 10 / s) for s in range(1, 300)])
        await settled(pilot, plot)
        await pilot.resize_terminal(90, 20)
        await pilot.pause()
        rows = str(plot.render()).splitlines()
        assert len(rows) == plot.size.height and len(rows[0]) == plot.size.width == 90


def test_changed_rows_are_grouped_in_runs():
    old = ("a", "b", "c", "d", "e")
    assert changed_rows(old, old) == []
    assert changed_rows(old, ("a", "x", "y", "d", "z")) == [(1, 2), (4, 1)]
    assert changed_rows(old, ("a", "b")) == [(2, 3)]


async def test_status_line_is_repainted_only_when_its_text_changes(monkeypatch):
    import lab.tui.widgets.run_status as run_status

    monkeypatch.setattr(run_status, "time", SimpleNamespace(monotonic=lambda: 1000.0))
    app = PlotApp()
    async with app.run_test(size=(60, 16)) as pilot:
        status = app.query_one(RunStatus)
        status.begin("cpu", 10)
        status.progress(1, 1234, 1000.0)
        status.show()
        await pilot.pause()
        updates: list[bool] = []
        original = RunStatus.update

        def counting(self, content="", *, layout=True):
            updates.append(layout)
            return original(self, content, layout=layout)

        monkeypatch.setattr(RunStatus, "update", counting)
        status.show()
        status.show()
        assert updates == []  # same text: nothing to repaint
        status.progress(1, 1299, 1001.0)
        status.show()
        assert updates == [False]  # new numbers, as many lines: no new layout
        status.set_state("failed", "the loss became nan at step 1234")
        assert updates[-1] is True  # a second line: the screen is laid out again


# --- what the plot shows: every curve, its own marker, a title, a legend that hides nothing ---


def spec(curves, *, ascii=False, width=44, height=12, title="loss", xlabel="step") -> PictureSpec:
    return PictureSpec(1, width, height, "clear", ascii, 0.0, False, title, xlabel, tuple(curves))


def run_curves(plot_ascii: bool, overlays: int = 0):
    """The curves a CurvePlot hands to the drawing thread: a run whose val loss equals its
    train loss at every epoch end (they overlap), over `overlays` earlier runs."""
    plot = CurvePlot("loss", "step", ascii=plot_ascii)
    steps = range(1, 121)
    plot.add_points("train", [(s, 2 / (1 + s / 10)) for s in steps])
    plot.add_points("val", [(s, 2 / (1 + s / 10)) for s in steps if s % 12 == 0])
    plot.set_overlays(
        [
            Overlay(f"#{n + 1}", {"train": Curve([1, 120], [2, 1]), "val": Curve([60], [1.5])})
            for n in range(overlays)
        ]
    )
    return plot


def picture_of(plot: CurvePlot, width=44, height=12):
    curves = [c for c in plot_curves(plot)]
    return draw_picture(Plot(), spec(curves, ascii=plot.ascii, width=width, height=height))


def plot_curves(plot: CurvePlot):
    # _spec without a mounted widget: only the curves, as it builds them
    from unittest.mock import patch

    with patch.object(CurvePlot, "_frame", return_value=(44, 12, "clear")):
        return plot._spec().curves


def test_train_and_val_both_show_where_they_overlap():
    braille = "".join(chr(c) for c in range(0x2801, 0x2900))
    for ascii, train_marks in ((True, "*"), (False, braille)):
        text = picture_of(run_curves(ascii)).text.plain
        canvas = text.split("┌")[1].split("└")[0]
        val = "o" if ascii else "●"
        assert canvas.count(val) == 10, "a point at each of the 10 epochs, none painted over"
        train = sum(canvas.count(ch) for ch in train_marks)
        assert train >= 20, f"the train line stays visible between epochs:\n{text}"


def test_every_series_has_its_own_marker_without_colour():
    for ascii in (True, False):
        curves = plot_curves(run_curves(ascii, overlays=3))
        markers = [marker for _, marker, *_ in curves]
        assert len(markers) == 8 and len(set(markers)) == 8, markers
        if ascii:
            assert all(m.isascii() for m in markers)
        legend = picture_of(run_curves(ascii, overlays=3), width=80).text.plain.split("└")[1]
        for label in ("train", "val", "#1", "#2", "#3"):
            assert f" {label}" in legend
        pair = "++x #1" if ascii else "++× #1"
        assert pair in legend, "an earlier run's train and val markers share its label"


def test_a_long_title_is_shortened_not_dropped():
    title = "loss · smoothing 0.6 · log · this run: lr=0.5 epochs=20"
    for width in (30, 44, 50):
        text = draw_picture(Plot(), spec([], width=width, title=title)).text.plain
        first = text.splitlines()[0].strip()
        assert first.startswith("loss · smoothing") and first.endswith("…"), first
    assert fit_title("loss", 44) == "loss"


def test_the_legend_sits_under_the_plot_and_covers_no_curve():
    for height in (PLOT_ROWS_MIN + 1, 8, 12):
        picture = picture_of(run_curves(False, overlays=1), height=height)
        rows = picture.text.plain.split("\n")
        assert len(rows) == height
        bottom = next(i for i, row in enumerate(rows) if "└" in row)
        canvas, under = "\n".join(rows[:bottom]), "\n".join(rows[bottom:])
        assert "train" not in canvas and "val" not in canvas
        assert "⠤⠤ train" in under and "● val" in under and "++× #1" in under
        assert "x: step" in under


def test_a_plot_too_small_for_a_curve_says_so_and_draws_no_axes_over_each_other():
    """At 44x14 the chart had four rows: the y axis's numbers sat on the frame's corners
    (`3.4┌───┐`, `6.7└───┘`); at 40x12 its sixteen columns ran the numbers into the title."""
    for width, height in ((44, 4), (16, 12), (44, 5)):  # 5 rows: one row of data
        assert picture_of(run_curves(False), width, height).text.plain == TOO_SMALL
    rows = picture_of(run_curves(False), PLOT_COLS_MIN, PLOT_ROWS_MIN).text.plain.split("\n")
    assert len(rows) == 6 and "┌" in rows[1] and "└" in rows[4], rows
    assert "┤" in rows[2] and "┤" in rows[3], "the y axis's two numbers, a row of data each"


def test_step_ticks_are_whole_numbers():
    assert integer_ticks((Line((1.0, 150.0), (1.0, 2.0), "cyan", "*", "train"),), 44) == [
        50,
        100,
        150,
    ]
    assert integer_ticks((Line((1.0, 3.0), (1.0, 2.0), "cyan", "*", "train"),), 44) == [1, 2, 3]
    # a narrow plot (60 columns): the round spacing wider than the steps would leave none
    assert integer_ticks((Line((1.0, 450.0), (1.0, 2.0), "cyan", "*", "train"),), 26) == [
        200,
        400,
    ]
    text = picture_of(run_curves(True)).text.plain
    ticks = text.split("└")[1].splitlines()[1]
    assert ticks.split() == ["50", "100"], ticks


async def test_a_stopped_run_shows_one_step_count():
    app = PlotApp()
    async with app.run_test(size=(60, 16)):
        status = app.query_one(RunStatus)
        status.begin("cpu", 10)
        status.progress(3, 111, 500.0)
        status.set_state("stopped", "stopped at epoch 3, step 113")
        shown = str(status.render())
        assert "step 113" in shown and "step 111" not in shown


def shown_text(widget) -> str:
    """What the widget shows on screen, row by row, cut to its size."""
    width, height = widget.size
    return "\n".join(strip.text for strip in widget.render_lines(Region(0, 0, width, height)))


async def test_status_shows_the_whole_advice_and_labels_keep_one_line_at_80x24(
    store, shipped_lessons
):
    from lab.catalog import load_catalog
    from lab.engine.divergence import diverged_reason
    from lab.tui.app import make_app
    from tests.tui.pilot import open_experiment

    catalog = load_catalog()
    wide = next(e for e in catalog.experiments() if "batch_size" in e.experiment.params)
    app = make_app(catalog, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-diverge")
        status = screen.query_one(RunStatus)
        status.begin("cpu", 2000)
        status.progress(12, 12, 1234.0)
        status.set_state("diverged", diverged_reason(3.1e9, 12, 1.5))
        await pilot.pause()
        status = screen.query_one(RunStatus)
        shown = " ".join(shown_text(status).split())
        assert "try a smaller learning rate, e.g. 0.15" in shown, shown
        await pilot.press("escape")
        screen = await open_experiment(app, pilot, wide.experiment.id)
        names = [shown_text(label).strip() for label in screen.query(".param-name")]
        assert "batch_size" in names, names


def test_many_earlier_runs_take_at_most_three_legend_rows():
    picture = picture_of(run_curves(False, overlays=16), height=12)
    rows = picture.text.plain.split("\n")
    under = rows[next(i for i, row in enumerate(rows) if "└" in row) + 2 :]
    assert len(rows) == 12 and len(under) == 3 and under[-1].endswith("…"), under


def test_a_plot_too_short_for_its_legend_keeps_its_rows_for_the_curves():
    picture = picture_of(run_curves(False, overlays=1), height=PLOT_ROWS_MIN)
    rows = picture.text.plain.split("\n")
    assert len(rows) == PLOT_ROWS_MIN and "┤" in rows[2], rows
    assert "x: step" not in picture.text.plain, "no legend where it would leave no curve"
