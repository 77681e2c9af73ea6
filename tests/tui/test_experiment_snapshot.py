"""Snapshot at 80x24 of the experiment screen after a short run, drawn from fixed points."""

from __future__ import annotations

import math
from types import SimpleNamespace

from lab.engine.events import Done, EpochEnd, Progress, Start
from lab.tui.screens.experiment import ExperimentScreen
from lab.tui.widgets.earlier_runs import EarlierRuns
from lab.tui.widgets.loss_plot import CurvePlot
from tests.fake_worker import ReplayWorker, Workers
from tests.tui.pilot import wait_until

SIZE = (80, 24)

SUMMARY = "\n".join(
    [
        "=" * 90,
        "Layer (type:depth-idx)                   Output Shape              Param #",
        "=" * 90,
        "Sequential                               [1, 1]                    --",
        "├─Linear: 1-1                            [1, 1]                    2",
        "=" * 90,
    ]
)


def fixed_run() -> list:
    """A y = 2x fit as the worker reports it: 200 epochs of one step, the loss falling."""
    spec = {"epochs": 200, "seed": 0}
    losses = [15 * math.exp(-step / 25) + 0.001 for step in range(1, 201)]
    events: list = [Start("gd-example-fit", "cpu", SUMMARY, 2, spec, "2.x")]
    for step, loss in enumerate(losses, 1):
        events += [Progress(step, step, loss, 3000.0), EpochEnd(step, {"train_loss": loss})]
    events.append(Done("completed", "trained 200 epochs", {"train_loss": losses[-1]}))
    return events


def frozen_clock(monkeypatch):
    """The status line says how long the run took: make that 0 s whatever the machine."""
    import lab.tui.widgets.run_status as run_status

    monkeypatch.setattr(run_status, "time", SimpleNamespace(monotonic=lambda: 1000.0))


async def run_fixed(pilot):
    """Open gd-example-fit, press r, and let the fixed run arrive through the run reader."""
    app = pilot.app
    app.warm_workers = Workers(lambda: ReplayWorker(fixed_run()))
    app.open_experiment("gd-example-fit")
    await pilot.pause()
    screen = app.screen
    assert isinstance(screen, ExperimentScreen)
    await pilot.press("r")
    await wait_until(pilot, lambda: screen.state == "completed", 10)
    runs = screen.query_one(EarlierRuns)
    await wait_until(pilot, lambda: runs.option_count == 1, 10)  # recorded, listed
    screen.query_one("#loss-plot", CurvePlot).redraw()
    screen.set_focus(None)
    app.clear_notifications()
    # Every widget drawn afresh from its final state: the picture's segments (hence the SVG's
    # text runs) do not depend on how the run's events happened to be batched into frames.
    for widget in screen.query("*"):
        widget.refresh()
    await pilot.pause()
    await pilot.pause()


def test_experiment_after_a_short_run(snap_compare, make, monkeypatch):
    """gd-example-fit after a completed run: title, description and try-this on the left, the
    goal ticked (train_loss ≤ 0.01), the lr and epochs fields; on the right the status line
    (completed, epoch 200/200, cpu) above a braille loss curve falling from 15 to near 0,
    noted `this run: defaults`."""
    monkeypatch.setenv("LAB_ASCII", "0")
    frozen_clock(monkeypatch)
    assert snap_compare(make(), terminal_size=SIZE, run_before=run_fixed)


def test_experiment_ascii_markers(snap_compare, make, monkeypatch):
    """The same run drawn with plain ASCII markers (LAB_ASCII=1), for terminals without
    braille: the curve made of `*`."""
    monkeypatch.setenv("LAB_ASCII", "1")
    frozen_clock(monkeypatch)
    assert snap_compare(make(), terminal_size=SIZE, run_before=run_fixed)
