"""Provides the first-point benchmark: milliseconds from pressing `r` to the run's first point.

    .venv/bin/python bench/first_point.py [--presses 5] [--epochs 20] [--at-once [--home-s S]]

The real app (its catalog, store and workers; Textual's headless driver) opens bench-moons,
waits while its worker processes import torch (as a learner reads the screen), then presses `r`
five times back to back, each right after the previous run has ended, and times each press until
the loss plot holds its first point. The last line is `first point after r: p50 N ms, max M ms`.

With `--at-once` the app starts at home, as `lab` does, opens the experiment after `--home-s`
seconds there (0: at once, as `lab open`) and presses `r` as soon as the experiment is on the
screen: the first press's time is the one a hurried learner feels.
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

from lab.proc.child import descendants  # noqa: E402


def cpu_ticks_of_descendants() -> dict[int, int]:
    """utime + stime of every process below this one (Linux /proc)."""
    ticks: dict[int, int] = {}
    for pid in descendants(os.getpid()):
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
        except OSError:
            continue  # ended meanwhile
        fields = stat[stat.rindex(")") + 2 :].split()
        ticks[pid] = int(fields[11]) + int(fields[12])
    return ticks


async def until_workers_idle(pilot, timeout: float = 180.0) -> float:
    """Wait until the worker processes exist and have stopped using CPU (torch imported)."""
    started = time.monotonic()
    last, still = None, 0
    while still < 4 and time.monotonic() - started < timeout:
        now = cpu_ticks_of_descendants()
        still = still + 1 if now and now == last else 0
        last = now
        await pilot.pause(0.25)
    return time.monotonic() - started


async def first_point(plot, timeout: float = 120.0) -> float:
    """When the plot, cleared by the press, holds a point again."""
    started = time.perf_counter()
    while plot.point_count > 0 and time.perf_counter() - started < timeout:
        await asyncio.sleep(0.001)  # the last run's points, until the press clears them
    while plot.point_count == 0 and time.perf_counter() - started < timeout:
        await asyncio.sleep(0.001)
    return time.perf_counter()


async def main(presses: int, epochs: int, at_once: bool, home_s: float) -> None:
    from lab.catalog import load_catalog
    from lab.store import Store
    from lab.tui.app import make_app
    from lab.tui.screens.experiment import ExperimentScreen
    from lab.tui.widgets.loss_plot import CurvePlot
    from lab.tui.widgets.param_form import ParamInput

    folder = write_lesson(Path(tempfile.mkdtemp()) / "lessons")
    app = make_app(load_catalog([folder]), store=Store.open())
    times: list[float] = []
    async with app.run_test(size=(100, 30)) as pilot:
        if at_once:
            await pilot.pause(home_s)  # on home, which starts warming the workers
        app.open_experiment("bench-moons")
        await pilot.pause(0.01 if at_once else 0.5)
        screen = app.screen
        assert isinstance(screen, ExperimentScreen)
        screen.query_one("#param-epochs", ParamInput).value = str(epochs)
        await pilot.pause()
        if not at_once:
            warmed = await until_workers_idle(pilot)
            print(f"workers ready {warmed:.1f} s after the screen opened")
        plot = screen.query_one("#loss-plot", CurvePlot)
        for press in range(1, presses + 1):
            screen.set_focus(None)
            # Watched by a task of its own on the app's loop: Pilot's press and pause wait for
            # the app to be idle, which a running run's messages put off.
            watch = asyncio.create_task(first_point(plot))
            pressed = time.perf_counter()
            await pilot.press("r")
            times.append(await watch - pressed)
            while screen.run_in_progress:
                await pilot.pause(0.01)
            print(
                f"press {press}: first point after {times[-1] * 1000:7.0f} ms, run {screen.state}"
            )
        await app.run_shutdown_hooks()
    ms = [t * 1000 for t in times]
    how = f", r at once after {home_s:g} s on home" if at_once else ""
    print(
        f"cpus {os.cpu_count()}   load {os.getloadavg()[0]:.1f}   bench-moons, {epochs} epochs{how}"
    )
    print(f"first point after r: p50 {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=20)
    parser.add_argument("--at-once", action="store_true", help="r as soon as the screen opens")
    parser.add_argument("--home-s", type=float, default=0.0, help="seconds on home before")
    args = parser.parse_args()
    os.environ.setdefault("LAB_HOME", tempfile.mkdtemp(prefix="lab-bench-"))
    asyncio.run(main(args.presses, args.epochs, args.at_once, args.home_s))
