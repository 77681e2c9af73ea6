"""Snapshot at 80x24 of the experiment screen after a short run, drawn from fixed points."""

from __future__ import annotations

import math
from pathlib import Path
from types import SimpleNamespace

import pytest

from lab.catalog import load_catalog
from lab.engine.events import Done, EpochEnd, Progress, Start, View
from lab.tui.app import make_app
from lab.tui.screens.experiment import ExperimentScreen
from lab.tui.widgets.earlier_runs import EarlierRuns
from lab.tui.widgets.loss_plot import CurvePlot
from lab.tui.widgets.model_view import ModelView
from tests.fake_worker import ReplayWorker, Workers
from tests.tui.pilot import wait_until

SIZE = (80, 24)
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "good"

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
    app.run_workers.make = lambda: ReplayWorker(fixed_run())
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


def moons_run() -> list:
    """A classifier on the moons as the worker reports it: 40 epochs, then its boundary (a
    curve computed here, so the picture is the same on every machine) with the points."""
    xs = [round(-1.5 + 4 * i / 39, 3) for i in range(40)]
    ys = [round(-1.0 + 2.5 * j / 23, 3) for j in range(24)]

    def edge(x: float) -> float:
        return 0.25 - 0.6 * math.cos(1.4 * x - 0.7)

    classes = [[int(y < edge(x)) for x in xs] for y in ys]
    sure = [[round(min(1.0, 0.5 + 2 * abs(y - edge(x))), 2) for x in xs] for y in ys]
    px = [round(-1.2 + 3.6 * ((i * 7) % 30) / 29, 3) for i in range(30)]
    py = [round(edge(x) + (0.35 if i % 2 else -0.35), 3) for i, x in enumerate(px)]
    points = {"x": px, "y": py, "label": [float(i % 2 == 0) for i in range(30)]}
    events: list = [Start("long-moons", "cpu", SUMMARY, 82, {"epochs": 40, "seed": 0}, "2.x")]
    for epoch in range(1, 41):
        loss = 0.7 * math.exp(-epoch / 10) + 0.05
        accuracy = 0.97 - 0.45 * math.exp(-epoch / 6)
        events += [
            Progress(epoch, epoch * 10, loss, 3000.0),
            EpochEnd(epoch, {"train_loss": loss, "val_loss": loss, "val_accuracy": accuracy}),
        ]
    layers = [{"name": "0 Linear", "weight": 0.61, "grad": 0.012}]
    first = {"x": xs, "y": ys, "classes": classes, "confidence": sure, "points": points}
    events += [View("boundary", 400, first), View("weights", 400, {"layers": layers})]
    events.append(Done("completed", "trained 40 epochs", {"val_accuracy": 0.97}))
    return events


def boundary_app(store):
    catalog = load_catalog([FIXTURES, FIXTURES.with_name("long")])
    return make_app(catalog, store=store, prewarm=False, run_workers=Workers())


async def run_moons(pilot):
    app = pilot.app
    app.run_workers.make = lambda: ReplayWorker(moons_run())
    app.open_experiment("long-moons")
    await pilot.pause()
    screen = app.screen
    await pilot.press("r")
    await wait_until(pilot, lambda: screen.state == "completed", 10)
    await wait_until(pilot, lambda: screen.query_one(EarlierRuns).option_count == 1, 10)
    screen.query_one("#loss-plot", CurvePlot).redraw()
    screen.set_focus(None)
    app.clear_notifications()
    await pilot.pause()


def test_experiment_boundary_view(snap_compare, store, monkeypatch):
    """long-moons after a run: under the loss curve, the decision boundary at step 400: the
    plane shaded `·` (class 0) above a cosine-shaped edge and `+` (class 1) below it, blank
    cells along the edge where the model is unsure, the points `o` and `x` on their sides;
    the legend under it says so."""
    monkeypatch.setenv("LAB_ASCII", "0")
    frozen_clock(monkeypatch)
    assert snap_compare(boundary_app(store), terminal_size=SIZE, run_before=run_moons)


def test_experiment_boundary_view_ascii_no_color(snap_compare, store, monkeypatch):
    """The same with ASCII markers and NO_COLOR: `.` and `+` regions, still apart."""
    monkeypatch.setenv("LAB_ASCII", "1")
    monkeypatch.setenv("NO_COLOR", "1")
    frozen_clock(monkeypatch)
    assert snap_compare(boundary_app(store), terminal_size=SIZE, run_before=run_moons)


def _view_events(kind: str) -> list:
    """Fixed view data of one kind, as the engine would send it for a y = 2x fit."""
    if kind == "cost":
        ws = [0.5 + 3 * i / 40 for i in range(41)]
        curve = {"w": ws, "cost": [14 / 3 * (w - 2) ** 2 for w in ws]}
        path, w = [], 0.5
        for step in range(1, 9):
            path.append(View("cost", step, {"w": w, "value": 14 / 3 * (w - 2) ** 2}))
            w -= 0.1 * 28 / 3 * (w - 2)
        path[0].data["curve"] = curve
        return path
    if kind == "graph":
        nodes = [
            {"name": "x", "value": [1.0, 2.0, 3.0], "grad": None},
            {"name": "w", "value": 1.0, "grad": -9.333},
            {
                "name": "y_hat = w*x",
                "value": [1.0, 2.0, 3.0],
                "grad": [-0.667, -1.333, -2.0],
                "inputs": ["w", "x"],
            },
            {"name": "loss", "value": 4.667, "grad": 1.0, "inputs": ["y_hat"]},
        ]
        return [View("graph", 1, {"phase": "after backward", "nodes": nodes})]
    if kind == "fit":
        points = {"x": [1.0, 2.0, 3.0], "y": [2.0, 4.0, 6.0]}
        xs = [0.8 + 2.4 * i / 59 for i in range(60)]
        return [View("fit", 200, {"x": xs, "y_hat": [1.9 * x + 0.2 for x in xs], "points": points})]
    if kind == "surface":
        ws, bs = [i / 10 for i in range(41)], [-2 + i / 6 for i in range(25)]
        cost = [[((w - 2) ** 2) * 14 / 3 + b * b + 4 * b * (w - 2) for w in ws] for b in bs]
        fixed = {"w_axis": ws, "b_axis": bs, "cost": cost, "best": {"w": 2.0, "b": 0.0}}
        walk = [(0.5, 1.5), (1.2, 1.0), (1.6, 0.6), (1.8, 0.3), (1.9, 0.15)]
        events = [View("surface", s, {"w": w, "b": b}) for s, (w, b) in enumerate(walk, 1)]
        events[0].data.update(fixed)
        return events
    layers = [
        {"name": "0 Linear", "weight": 0.61, "grad": 0.012},
        {"name": "2 Linear", "weight": 0.44, "grad": 0.35},
    ]
    return [View("weights", s, {"layers": layers}) for s in (1, 2, 3)]


@pytest.mark.parametrize("kind", ["cost", "graph", "fit", "surface", "weights"])
def test_experiment_each_view(snap_compare, make, monkeypatch, kind):
    """gd-example-fit after a run whose views are of one kind, in the panel under the loss,
    each with a legend under it where its characters need one: cost: the parabola of cost
    over w in `.`, the steps walking down its left side as `o`, `@` at the last; graph: x, w,
    then y_hat (← w, x) and loss (← y_hat), each with its value and (bold) gradient, and the
    moment they are from; fit: the three points and the prediction line through them;
    surface: shaded levels of the cost over (w, b) in `.,:;-=*#%`, `+` at the bottom, the
    path's `o` ending in `@`; weights: two layers with |w|, |grad| and a flat sparkline."""
    monkeypatch.setenv("LAB_ASCII", "1")
    frozen_clock(monkeypatch)
    events = fixed_run()
    events[-1:-1] = _view_events(kind)

    async def run_with_views(pilot):
        pilot.app.run_workers.make = lambda: ReplayWorker(events)
        pilot.app.open_experiment("gd-example-fit")
        await pilot.pause()
        screen = pilot.app.screen
        await pilot.press("r")
        await wait_until(pilot, lambda: screen.state == "completed", 10)
        await wait_until(pilot, lambda: screen.query_one(EarlierRuns).option_count == 1, 10)
        view = screen.query_one(ModelView)  # its title's key hint comes with the run's end
        await wait_until(pilot, lambda: "(v" in str(view.render()).splitlines()[0], 10)
        screen.query_one("#loss-plot", CurvePlot).redraw()
        screen.set_focus(None)
        pilot.app.clear_notifications()
        for widget in screen.query("*"):
            widget.refresh()
        await pilot.pause()
        await pilot.pause()

    assert snap_compare(make(), terminal_size=SIZE, run_before=run_with_views)
