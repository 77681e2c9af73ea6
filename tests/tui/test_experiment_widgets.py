"""Tests the experiment screen's widgets alone: the plot drawn off the event loop, quiet lines."""

from __future__ import annotations

import threading
import time
from types import SimpleNamespace

from textual.app import App, ComposeResult
from textual_plotext.plot import Plot

import lab.tui.widgets.loss_plot as loss_plot
from lab.tui.widgets.loss_plot import CurvePlot, changed_rows, draw_figure
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
        return draw_figure(plt, spec, shown)

    monkeypatch.setattr(loss_plot, "draw_figure", spy)
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
        assert shown == draw_figure(Plot(), plot._spec()).text.plain


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
