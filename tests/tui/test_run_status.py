"""Tests that the experiment's status line says what is true at the moment it is read (walk 3,
finding 20): its step in step with the picture, no rate while the learner steps one update at a
time, and "took" the time spent training, the time paused apart."""

from __future__ import annotations

import re
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from textual.app import App, ComposeResult

import lab.tui.widgets.run_status as run_status
from lab.catalog import load_catalog
from lab.engine.events import Done, EpochEnd, Progress, Start, View
from lab.tui.widgets.model_view import ModelView
from lab.tui.widgets.run_status import RunStatus
from tests.fake_worker import ReplayWorker
from tests.tui.pilot import app_with_workers, open_experiment, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def lessons_long():
    return load_catalog([FIXTURES / "good", FIXTURES / "long"])


class StatusApp(App):
    def compose(self) -> ComposeResult:
        yield RunStatus()


class Clock:
    """The status line's clock, moved by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def monotonic(self) -> float:
        return self.now


def fake_clock(monkeypatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(run_status, "time", SimpleNamespace(monotonic=clock.monotonic))
    return clock


def shown(status: RunStatus) -> str:
    return str(status.render())


async def test_took_is_the_time_spent_training_and_says_how_long_it_was_paused(monkeypatch):
    clock = fake_clock(monkeypatch)
    async with StatusApp().run_test() as pilot:
        status = pilot.app.query_one(RunStatus)
        status.begin("cpu", 200)
        clock.now += 2
        status.set_paused(True)
        status.held(400)
        clock.now += 18  # the learner looks at the picture
        status.set_paused(False)
        clock.now += 3
        status.set_state("completed")
        assert "took 5 s, paused 18 s" in shown(status), shown(status)
        # a run never paused says only how long it took
        status.starting(loading=False)
        status.begin("cpu", 200)
        clock.now += 4
        status.set_state("completed")
        assert shown(status).endswith("took 4 s"), shown(status)


async def test_the_line_breaks_between_numbers_and_breaks_again_when_resized(monkeypatch):
    fake_clock(monkeypatch)
    async with StatusApp().run_test(size=(40, 10)) as pilot:
        status = pilot.app.query_one(RunStatus)
        assert shown(status).splitlines() == [
            "ready · r run · p run paused",
            "[ ] smoothing · l log scale",
        ]
        status.begin("cpu", 200)
        status.progress(200, 200, 3000.0)
        status.set_state("completed")
        rows = ["completed · epoch 200/200 · step 200", "3,000 samples/s · cpu · took 0 s"]
        assert shown(status).splitlines() == rows
        await pilot.resize_terminal(80, 10)
        await pilot.pause()
        assert shown(status).splitlines() == [" · ".join(rows)]


async def test_a_run_started_paused_counts_its_training_from_the_first_step(monkeypatch):
    clock = fake_clock(monkeypatch)
    async with StatusApp().run_test() as pilot:
        status = pilot.app.query_one(RunStatus)
        status.starting(loading=False)
        status.set_paused(True)  # p with no run going: held before its first step
        clock.now += 1
        status.begin("cpu", 10)
        clock.now += 30
        status.set_paused(False)
        clock.now += 2
        status.progress(5, 50, 20_000.0)
        status.show()
        assert "~2 s left" in shown(status), shown(status)  # 5 epochs in 2 s of training
        status.set_state("stopped", "stopped at epoch 5, step 50")
        assert "took 2 s, paused 30 s" in shown(status), shown(status)


async def test_stepping_one_update_at_a_time_shows_no_rate(monkeypatch):
    clock = fake_clock(monkeypatch)
    async with StatusApp().run_test() as pilot:
        status = pilot.app.query_one(RunStatus)
        status.begin("cpu", 200)
        status.progress(1, 10, 31_000.0)
        status.show()
        assert "31k samples/s" in shown(status)
        status.set_paused(True)
        status.held(10)
        clock.now += 4  # n pressed four seconds later: one update over four seconds
        status.progress(1, 11, 5.0)
        status.held(11)
        assert "paused at step 11" in shown(status) and "samples/s" not in shown(status)
        status.set_paused(False)
        clock.now += 1
        status.progress(1, 200, 30_000.0)
        assert "30k samples/s" in shown(status), shown(status)


async def test_numbers_held_back_by_the_redraw_limit_show_within_half_a_second():
    """The line is redrawn at most twice a second; the numbers that came meanwhile show at the
    end of the half second, not only when more come (a short run's numbers never did)."""
    async with StatusApp().run_test() as pilot:
        status = pilot.app.query_one(RunStatus)
        status.begin("cpu", 200)
        status.progress(1, 1, 31_000.0)
        status.progress(46, 418, 30_000.0)  # within the half second: held back
        await wait_until(pilot, lambda: "step 418" in shown(status), 2, "the held-back numbers")
        assert "epoch 46/200" in shown(status)


async def test_while_pictures_come_the_line_waits_for_the_next_then_goes_on_alone(
    monkeypatch,
):
    clock = fake_clock(monkeypatch)
    async with StatusApp().run_test() as pilot:
        status = pilot.app.query_one(RunStatus)
        status.begin("cpu", 200)
        status.pictured(20)
        clock.now += 0.5
        status.progress(3, 25, 30_000.0)  # a picture came half a second ago: the next is due
        assert status_step(shown(status)) == 20
        status.pictured(40)
        assert status_step(shown(status)) == 40
        clock.now += run_status.PICTURE_WAIT_S + 0.1
        status.progress(5, 45, 30_000.0)  # none for a second: the numbers go on alone
        assert status_step(shown(status)) == 45


async def test_the_seconds_tick_keeps_the_line_at_the_pictures_step_while_pictures_come(
    monkeypatch,
):
    """The screen's clock ticks each second of a run (the time left); it drew the newest
    numbers, a few steps ahead of the picture on screen, until the next picture came."""
    clock = fake_clock(monkeypatch)
    async with StatusApp().run_test() as pilot:
        status = pilot.app.query_one(RunStatus)
        status.begin("cpu", 200)
        status.pictured(220)
        clock.now += 0.1
        status.progress(25, 231, 30_000.0)
        status.tick()
        assert status_step(shown(status)) == 220
        clock.now += run_status.PICTURE_WAIT_S
        status.tick()  # no picture for a second: the line goes on alone
        assert status_step(shown(status)) == 231


def boundary_run(steps: int = 1000, every: int = 20) -> list:
    """A classifier's run as its worker reports it: a point each update, a picture of the
    boundary every `every` updates, nine updates an epoch."""
    spec = {"epochs": steps // 9 + 1, "seed": 0}
    grid = {"x": [0.0, 1.0], "y": [0.0, 1.0], "classes": [[0, 1], [0, 1]]}
    points = {"x": [0.1, 0.9], "y": [0.2, 0.8], "label": [0, 1]}
    events: list = [Start("long-moons", "cpu", "", 0, spec, "2.x")]
    for step in range(1, steps + 1):
        events.append(Progress(step // 9 + 1, step, 1 / step, 30_000.0))
        if step % every == 0:
            data = {**grid, "points": points} if step == every else dict(grid)
            events.append(View("boundary", step, data))
        if step % 9 == 0:
            events.append(EpochEnd(step // 9, {"train_loss": 1 / step}))
    events.append(Done("completed", "trained", {"train_loss": 1 / steps}))
    return events


def status_step(text: str) -> int:
    said = re.search(r"\bstep ([\d,]+)", text)
    return int(said.group(1).replace(",", "")) if said else 0


async def test_the_status_line_says_the_pictures_step_and_pausing_is_not_training(
    lessons_long, store, monkeypatch
):
    """With a worker that replays a classifier's run: whenever the boundary shows step N, the
    status line says step N; paused, it gives no rate; the time paused is not in
    'took'."""
    # Pictures come every 40 ms here; on a loaded machine the app has handled none for a
    # second at times, and the line then goes on alone, as the test above shows.
    monkeypatch.setattr(run_status, "PICTURE_WAIT_S", 60.0)
    app = app_with_workers(lessons_long, store, lambda: ReplayWorker(boundary_run()))
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "long-moons")
        view = screen.query_one(ModelView)
        status = screen.query_one(RunStatus)
        started = time.monotonic()
        await pilot.press("r")
        apart = []

        def picture_step() -> int:
            latest = view.state.latest.get("boundary")
            return latest["step"] if latest else 0

        def check() -> bool:
            if picture_step() and picture_step() != status_step(shown(status)):
                apart.append((picture_step(), shown(status)))
            return picture_step() >= 300

        await wait_until(pilot, check, 30, "the boundary at step 300")
        assert not apart, apart[:3]
        await pilot.press("p")
        control = screen.session.worker.control
        await wait_until(pilot, control.holding, 10, "the run to hold")
        held = control.updates
        await pilot.press("n")
        await wait_until(pilot, lambda: status.step == held + 1, 10, "one step")
        assert "samples/s" not in shown(status), shown(status)
        await pilot.pause(1.2)
        await pilot.press("p")
        await wait_until(pilot, lambda: screen.state == "completed", 30)
        wall = time.monotonic() - started
        assert re.search(r"took \d+ s, paused [1-9]\d* s", shown(status)), shown(status)
        assert status.paused_s >= 1.2 and status.finished_in is not None
        assert status.finished_in <= wall - status.paused_s + 0.01
