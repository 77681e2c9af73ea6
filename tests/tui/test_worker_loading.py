"""While the run's worker is still importing torch, the status says so, not the last run's
figures; a stop then ends the run before any process was made."""

from __future__ import annotations

import threading
import time

from lab.engine.client import RunProcess
from lab.proc.forkclient import StartCancelled
from lab.tui.widgets.run_status import RunStatus
from tests.tui.pilot import open_experiment, wait_until


class LoadingWorkers:
    """Hands out a worker whose torch is still loading until `loaded` is set."""

    def __init__(self) -> None:
        self.loaded = threading.Event()

    def take(self) -> RunProcess:
        def start(spec, cancelled):
            while not cancelled():
                time.sleep(0.01)
            raise StartCancelled

        return RunProcess(start, ready=self.loaded.is_set)

    def warm_up(self, run_soon: bool = False) -> None:
        pass

    def release(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


async def test_the_status_says_loading_pytorch_then_starting_and_a_stop_ends_it(make):
    warm = LoadingWorkers()
    app = make(run_workers=warm)
    async with app.run_test(size=(100, 30)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        status = screen.query_one(RunStatus)
        status.begin("cpu", 200)  # as a finished run leaves it: its figures on the line
        status.progress(200, 600, 12_345.0)
        status.set_state("completed", "trained 200 epochs")
        await pilot.press("r")
        await pilot.pause()
        line = str(status.render())
        assert line.startswith("loading PyTorch...")
        assert "epoch" not in line and "step" not in line and "cpu" not in line
        assert not status.loading  # Textual's own loading indicator would hide the line
        warm.loaded.set()  # torch is in: the screen's clock notices within a second
        await wait_until(pilot, lambda: str(status.render()).startswith("starting"), 5)
        await pilot.press("s")
        await wait_until(pilot, lambda: screen.state == "stopped", 5)
        assert status.reason == "stopped before the run began"


async def test_the_experiment_screen_asks_for_a_worker_held_and_gives_it_back_on_leaving(make):
    """On a cluster with keep_warm, a worker is held only while a screen that runs is open."""
    from tests.fake_worker import Workers

    workers = Workers()
    app = make(prewarm=True, run_workers=workers)
    async with app.run_test(size=(100, 30)) as pilot:
        await open_experiment(app, pilot, "gd-example-fit")
        assert workers.warm_ups.count(True) == 1 and workers.releases == 0
        await pilot.press("r")
        await wait_until(pilot, lambda: len(workers.taken) == 1, 5, "the run")
        await wait_until(pilot, lambda: workers.warm_ups.count(True) == 2, 20, "the next one")
        await pilot.press("escape")
        await wait_until(pilot, lambda: workers.releases == 1, 5, "the release")
