"""Provides the UI lag benchmark: the app's event-loop lag idle and while a run trains flat out.

    .venv/bin/python bench/ui_lag.py [--idle 3] [--train 8]

A 10 ms sleep is timed over and over on the app's own event loop; lateness is the lag a
keypress would feel. Headless (Textual's test driver renders every frame, nothing reaches a
terminal). Prints p50, p99 and max for the idle phase and the training phase, and how much of
one core the app's process used meanwhile (all its threads: the plots draw on one). The machine's
load is printed too: on 2 cores, any other busy process shows in the p99.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _long_lesson import write_lesson  # noqa: E402


def summary(name: str, lags: list[float]) -> str:
    ms = sorted(x * 1000 for x in lags)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return (
        f"{name:<9} samples {len(ms):5d}   p50 {statistics.median(ms):6.2f} ms   "
        f"p99 {p99:6.2f} ms   max {ms[-1]:7.2f} ms"
    )


async def measure(seconds: float, lags: list[float]) -> None:
    loop = asyncio.get_running_loop()
    end = loop.time() + seconds
    while loop.time() < end:
        start = loop.time()
        await asyncio.sleep(0.01)
        lags.append(max(0.0, loop.time() - start - 0.01))


async def main(idle_s: float, train_s: float) -> None:
    from lab.catalog import load_catalog
    from lab.store import Store
    from lab.tui.app import make_app
    from lab.tui.screens.experiment import ExperimentScreen
    from lab.tui.widgets.loss_plot import CurvePlot
    from lab.tui.widgets.model_view import ModelView

    folder = write_lesson(Path(tempfile.mkdtemp()) / "lessons")
    app = make_app(load_catalog([folder]), store=Store.open())
    async with app.run_test(size=(100, 30)) as pilot:
        app.open_experiment("bench-moons")
        await pilot.pause(0.5)
        screen = app.screen
        assert isinstance(screen, ExperimentScreen)
        warm = app.run_workers
        warm.warm_up()
        # Let the spare worker import torch, so the idle phase is really idle.
        await pilot.pause(float(os.environ.get("BENCH_WARM_S", "15")))
        idle: list[float] = []
        await measure(idle_s, idle)
        await pilot.press("r")
        t0 = time.monotonic()
        while screen.state != "running" and time.monotonic() - t0 < 60:
            await pilot.pause(0.05)
        first_point = time.monotonic() - t0
        plot = screen.query_one("#loss-plot", CurvePlot)
        redraws = plot.redraws
        training: list[float] = []
        cpu = time.process_time()
        await measure(train_s, training)
        cpu = (time.process_time() - cpu) / train_s
        redraws = plot.redraws - redraws
        points = plot.point_count
        rate = screen.query_one("#exp-status").samples_per_s
        panel = screen.query_one(ModelView)
        shown = panel.title if panel.display else "hidden"
        await pilot.press("s")
        while screen.run_in_progress:
            await pilot.pause(0.05)
        warm.shutdown()
    print(f"cpus {os.cpu_count()}   load {os.getloadavg()[0]:.1f}   app 100x30 headless")
    print(summary("idle", idle))
    print(summary("training", training))
    print(
        f"run: started in {first_point:.2f} s after r, {rate:,.0f} samples/s, {points} points, "
        f"{redraws / train_s:.1f} plot redraws/s, app {cpu:.0%} of a core"
    )
    print(f"model view: {shown}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--idle", type=float, default=3.0)
    parser.add_argument("--train", type=float, default=8.0)
    args = parser.parse_args()
    os.environ.setdefault("LAB_HOME", tempfile.mkdtemp(prefix="lab-bench-"))
    asyncio.run(main(args.idle, args.train))
