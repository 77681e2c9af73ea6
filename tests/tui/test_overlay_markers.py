"""Without colour (NO_COLOR, ASCII markers) every series drawn at once on the loss plot, the
current run's train and val and each earlier run overlaid, has a marker of its own, drawn on
the plot and named in the legend, at 80x24."""

from __future__ import annotations

import re

from lab.tui.widgets.earlier_runs import EarlierRuns
from lab.tui.widgets.loss_plot import (
    ASCII_MARKERS,
    ASCII_OVERLAY_MARKERS,
    BRAILLE_OVERLAY_MARKERS,
    MAX_OVERLAYS,
    OVERLAY_COLORS,
    CurvePlot,
)
from tests.tui.pilot import app_with_workers, open_experiment, wait_until

STEPS = range(1, 121)


def loss(step: int, level: float) -> float:
    return level + 2 / (1 + step / 10)


def store_runs(store, count: int) -> None:
    """`count` finished runs of gd-example-fit (labels too long for the legend to hold them
    all), run n's curves n higher than run 0's."""
    for n in range(count):
        run = store.start_run(
            "gd-example-fit", "gd-example", {}, {"lr": 0.01 * (n + 1), "epochs": 120}, 0, "cpu", "2"
        )
        train = [(s, "train", loss(s, n + 1)) for s in STEPS]
        val = [(s, "val", loss(s, n + 1.5)) for s in STEPS if s % 12 == 0]
        store.add_points(run, train + val)
        store.finish_run(run, "completed", "", {"train_loss": loss(120, n + 1)}, 1.0)


def canvas_and_legend(plot: CurvePlot) -> tuple[str, str]:
    """What is inside the plot's frame (no axis labels), and the rows under it."""
    rows = str(plot.render()).split("\n")
    top = next(i for i, row in enumerate(rows) if "┌" in row)
    bottom = next(i for i, row in enumerate(rows) if "└" in row)
    inside = [
        re.split(r"[│┤]", row, maxsplit=1)[1].rsplit("│", 1)[0] for row in rows[top + 1 : bottom]
    ]
    return "\n".join(inside), "\n".join(rows[bottom + 2 :])


async def test_each_series_has_its_own_marker_in_plot_and_legend(catalog, store, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    monkeypatch.setenv("LAB_ASCII", "1")
    store_runs(store, MAX_OVERLAYS + 1)
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        runs = screen.query_one(EarlierRuns)
        await wait_until(pilot, lambda: runs.option_count == MAX_OVERLAYS + 1, 10)
        assert len(runs.selected) == 1  # the newest, overlaid on opening
        await pilot.press("c")
        for _ in range(MAX_OVERLAYS):  # tick the next ones; the last is one too many
            await pilot.press("down", "space")
            await pilot.pause()
        assert len(runs.selected) == MAX_OVERLAYS, "more runs than marker pairs is refused"
        assert any("At most 5 earlier runs" in n.message for n in app._notifications)
        plot = screen.query_one("#loss-plot", CurvePlot)
        assert len(plot.overlays) == MAX_OVERLAYS
        plot.add_points("train", [(s, loss(s, 0)) for s in STEPS])  # the current run, lowest
        plot.add_points("val", [(s, loss(s, 0.5)) for s in STEPS if s % 12 == 0])
        plot.redraw()
        await pilot.pause()
        canvas, legend = canvas_and_legend(plot)

    entries = re.findall(r"(\S+) (train|val|#\d+)", legend)
    assert [label for _, label in entries] == ["train", "val", "#6", "#5", "#4", "#3", "#2"], legend
    markers = {
        "train": ASCII_MARKERS["train"],
        "val": ASCII_MARKERS["val"],
        **{f"#{6 - i}": ASCII_OVERLAY_MARKERS[i] for i in range(MAX_OVERLAYS)},
    }
    for shown, label in entries:
        marks = markers[label]
        if label == "train":
            assert shown == marks * 2
        elif label == "val":
            assert shown == marks
        else:
            assert shown == marks[0] * 2 + marks[1], f"{label}: train line, then val point"
    every = [ASCII_MARKERS["train"], ASCII_MARKERS["val"]]
    every += [m for pair in ASCII_OVERLAY_MARKERS for m in pair]
    assert len(set(every)) == len(every) == 2 + 2 * MAX_OVERLAYS, every
    missing = [m for m in every if m not in canvas]
    assert not missing, f"markers not drawn: {missing}\n{canvas}"


def test_there_is_a_marker_pair_for_each_earlier_run_drawn():
    assert len(BRAILLE_OVERLAY_MARKERS) == len(ASCII_OVERLAY_MARKERS) == len(OVERLAY_COLORS)
    assert len(OVERLAY_COLORS) == MAX_OVERLAYS
