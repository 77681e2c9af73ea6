"""One contract for every run worker: the forked and the spawned process, and the test fakes. A
fake that behaves otherwise fails here. A worker started by a command (the runner seam) is a
spawned `RunProcess` with the command's argv: one test below holds it to the forked one's figures."""

from __future__ import annotations

import functools
import json
import queue
import sys
import threading
import time
from collections.abc import Callable
from unittest import mock

import pytest

from lab.engine import loop
from lab.engine.client import RunProcess
from lab.engine.events import Done, EpochEnd, Event, Progress, Start
from lab.runs.ports import RunWorker
from lab.runs.runners import CommandRunner
from tests.engine.conftest import run_all, train_run
from tests.fake_worker import InProcessWorker, ReplayWorker

pytestmark = pytest.mark.slow


def moons(epochs: int, batch_size: int = 16) -> dict:
    return train_run(
        {
            "dataset": {"name": "moons", "args": {"n": 256}, "split": {"val": 0.25, "test": 0}},
            "model": {"layers": [{"Linear": [2, 8]}, "ReLU", {"Linear": [8, 2]}]},
            "loss": "cross_entropy",
            "optimizer": {"name": "adam", "lr": 0.01},
            "epochs": epochs,
            "batch_size": batch_size,
            "seed": 0,
            "device": "cpu",
        }
    )


SHORT = moons(epochs=2)
LONG = moons(epochs=1000, batch_size=4)
RECORDED_EPOCHS = 10  # a replay of a long run: its first epochs (480 updates)


@functools.cache
def _recording(spec_json: str) -> list[Event]:
    """The engine's events for the spec, each update reported, as a paused run reports them;
    of a long run, its first epochs without an end (a run that goes on)."""
    spec = json.loads(spec_json)
    cut = spec["spec"]["epochs"] > RECORDED_EPOCHS
    spec["spec"]["epochs"] = min(spec["spec"]["epochs"], RECORDED_EPOCHS)
    with mock.patch.object(loop.Reporter.__init__, "__defaults__", ("train", 0.0)):
        events = run_all(spec)
    return events[:-1] if cut else events


def _replay(spec: dict) -> RunWorker:
    return ReplayWorker(_recording(json.dumps(spec)))


WORKERS: dict[str, Callable[[dict], RunWorker]] = {
    "forked": lambda spec: RunProcess.fork(),
    "spawned": lambda spec: RunProcess.spawn(),
    "in-process": lambda spec: InProcessWorker(),
    "replay": _replay,
}


@pytest.fixture(params=list(WORKERS))
def make(request):
    made: list[RunWorker] = []

    def build(spec: dict) -> RunWorker:
        worker = WORKERS[request.param](spec)
        made.append(worker)
        return worker

    yield build
    for worker in made:
        worker.kill()
        worker.wait(5)


class Reader:
    """A worker's events read on a thread, so a test can see a run go quiet (held)."""

    def __init__(self, worker: RunWorker) -> None:
        self.events: queue.SimpleQueue[Event] = queue.SimpleQueue()
        self.thread = threading.Thread(target=self._read, args=(worker,), daemon=True)
        self.thread.start()

    def _read(self, worker: RunWorker) -> None:
        for event in worker.events():
            self.events.put(event)

    def until(self, wanted: Callable[[Event], bool], timeout: float = 120) -> list[Event]:
        """The events up to the first one `wanted` accepts."""
        seen: list[Event] = []
        while not seen or not wanted(seen[-1]):
            seen.append(self.events.get(timeout=timeout))
            assert not isinstance(seen[-1], Done) or wanted(seen[-1]), seen[-1]
        return seen

    def until_quiet(self, quiet: float = 1.0, timeout: float = 30) -> list[Event]:
        """The events until none came for `quiet` seconds: the run holds."""
        seen: list[Event] = []
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                seen.append(self.events.get(timeout=quiet))
            except queue.Empty:
                return seen
        raise AssertionError(f"the run never held: {len(seen)} events in {timeout} s")

    def rest(self) -> list[Event]:
        self.thread.join(30)
        rest = []
        while not self.events.empty():
            rest.append(self.events.get())
        return rest


def _train_steps(events: list[Event]) -> list[int]:
    return [e.step for e in events if isinstance(e, Progress) and e.series == "train"]


def test_a_run_says_start_then_its_epochs_then_one_done_with_the_engine_s_figures(make):
    worker = make(SHORT)
    worker.send(SHORT)
    events = list(worker.events())
    assert isinstance(events[0], Start)
    assert [e.epoch for e in events if isinstance(e, EpochEnd)] == [1, 2]
    assert [type(e) for e in events].count(Done) == 1 and isinstance(events[-1], Done)
    assert events[-1].status == "completed", events[-1].reason
    assert events[-1].metrics == pytest.approx(run_all(SHORT)[-1].metrics, rel=1e-5)
    assert worker.ready  # it has said something


def test_a_stop_ends_the_run_stopped_with_one_done(make):
    worker = make(LONG)
    worker.send(LONG)
    reader = Reader(worker)
    reader.until(lambda e: isinstance(e, Progress))
    worker.stop()
    rest = reader.rest()
    assert [type(e) for e in rest].count(Done) == 1
    assert rest[-1].status == "stopped"


def test_a_paused_run_holds_and_a_step_is_exactly_one_update(make):
    worker = make(LONG)
    worker.send(LONG)
    reader = Reader(worker)
    reader.until(lambda e: isinstance(e, Progress) and e.series == "train")
    worker.pause()
    last = _train_steps(reader.until_quiet())
    worker.step()
    stepped = _train_steps(reader.until_quiet())
    assert len(stepped) == 1 and (not last or stepped[0] == last[-1] + 1), (last, stepped)
    worker.stop()
    assert reader.rest()[-1].status == "stopped"


def test_a_killed_run_ends_failed_naming_the_signal(make):
    worker = make(LONG)
    worker.send(LONG)
    reader = Reader(worker)
    reader.until(lambda e: isinstance(e, Progress))
    worker.kill()
    done = reader.rest()[-1]
    assert done.status == "failed"
    assert done.reason.startswith("the training process died (signal 9, SIGKILL)")


def test_a_stop_before_the_run_began_ends_it_stopped(make):
    worker = make(SHORT)
    worker.send(SHORT)
    worker.stop()
    events = list(worker.events())
    assert [type(e) for e in events].count(Done) == 1
    assert events[-1].status == "stopped"


def test_a_worker_started_by_a_command_ends_with_the_forked_worker_s_figures():
    """The runner seam: the worker started by any command speaks the same protocol."""
    figures = []
    for worker in (
        CommandRunner([sys.executable, "-m", "lab.engine.worker"]).take(),
        RunProcess.fork(),
    ):
        worker.send(SHORT)
        done = list(worker.events())[-1]
        assert done.status == "completed", done.reason
        figures.append(done.metrics)
    assert figures[0] == figures[1]
