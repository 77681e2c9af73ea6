"""Helpers for Pilot tests that drive the experiment screen with the real training worker."""

from __future__ import annotations

import time

from lab.tui.screens.experiment import ExperimentScreen


async def wait_until(pilot, condition, timeout: float = 60.0, what: str = "the screen") -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert pilot.app._exception is None, pilot.app._exception
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        await pilot.pause(0.05)


async def open_experiment(app, pilot, experiment_id: str) -> ExperimentScreen:
    app.open_experiment(experiment_id)
    await wait_until(pilot, lambda: isinstance(app.screen, ExperimentScreen), 10)
    await pilot.pause()
    return app.screen
