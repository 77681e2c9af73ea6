"""Helpers for Pilot tests that drive the experiment screen: waiting, opening, and the app
with the workers it takes (in-process by default; real processes where the process is the
point)."""

from __future__ import annotations

import time

from textual.command import CommandList, CommandPalette

from lab.tui.app import make_app
from lab.tui.screens.experiment import ExperimentScreen
from tests.fake_worker import InProcessWorker, Workers


async def wait_until(pilot, condition, timeout: float = 60.0, what: str = "the screen") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert pilot.app._exception is None, pilot.app._exception
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def palette_choose(pilot, query: str, expected: str) -> None:
    """Type `query` into the command palette, wait until its highlighted hit reads `expected`
    (hits come in batches, off the event loop), and choose it."""
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, CommandPalette), 10, "the palette")
    hits = pilot.app.screen.query_one(CommandList)
    await pilot.press(*query)

    def highlighted() -> str:
        index = hits.highlighted
        return "" if index is None else str(hits.get_option_at_index(index).prompt)

    await wait_until(pilot, lambda: expected in highlighted(), 10, f"{expected!r} in the palette")
    await pilot.press("enter")
    await pilot.pause()


async def open_experiment(app, pilot, experiment_id: str) -> ExperimentScreen:
    app.open_experiment(experiment_id)
    await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen), 10)
    await pilot.pause()
    return app.screen


async def press_run(app, pilot, screen: ExperimentScreen) -> None:
    """Press r; where the experiment asks for a prediction first, skip it."""
    await pilot.press("r")
    await pilot.pause()
    if app.screen is not screen:
        await pilot.press("escape")


def app_with_workers(catalog, store, make=InProcessWorker):
    """The app as the CLI makes it, no spare worker warmed, each run's worker from `make`
    (the engine in this process by default; `RunProcess.fork` for a real process)."""
    return make_app(catalog, store=store, prewarm=False, run_workers=Workers(make))
