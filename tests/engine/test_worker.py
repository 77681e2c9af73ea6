"""The worker process: JSON lines out, exactly one done, stop within a second, death reported."""

from __future__ import annotations

import asyncio
import json
import signal
import time

import pytest

from lab.engine.client import RunProcess, fork_server
from lab.engine.events import Done, EpochEnd, Progress, Start, from_json
from tests.engine.conftest import digits_mlp, train_run

pytestmark = pytest.mark.slow


class Pool:
    """Hands out workers forked by the fork server, as the app does on a CPU machine (a spawned
    worker runs the very same `main`; test_a_spawned_worker_says_when_torch_is_in spawns one)."""

    def __init__(self):
        self.used: list[RunProcess] = []

    def pop(self) -> RunProcess:
        worker = RunProcess.fork()
        self.used.append(worker)
        return worker

    def close(self) -> None:
        for worker in self.used:
            worker.kill()
            worker.wait(5)


@pytest.fixture(scope="module")
def pool():
    workers = Pool()
    yield workers
    workers.close()


def _long_run():
    return train_run(digits_mlp(epochs=1000, batch_size=8))


def _until_progress(events):
    for event in events:
        if isinstance(event, Progress):
            return
        assert not isinstance(event, Done), event


def test_protocol_one_json_event_a_line_and_exactly_one_done():
    process = fork_server().fork()  # the bare process: the spec in, JSON lines out
    process.stdin.write(json.dumps(train_run(digits_mlp(epochs=3, batch_size=8))) + "\n")
    process.stdin.flush()
    started = time.perf_counter()
    events = [from_json(line) for line in process.stdout if line.strip()]
    elapsed = time.perf_counter() - started
    assert isinstance(events[0], Start) and isinstance(events[-1], Done)
    assert sum(isinstance(e, Done) for e in events) == 1
    assert events[-1].status == "completed"
    assert sum(isinstance(e, EpochEnd) for e in events) == 3
    progress = [e for e in events if isinstance(e, Progress)]
    assert len(progress) <= 20 * elapsed + 6
    process.stdin.close()
    assert process.wait(5) == 0


@pytest.mark.serial  # "within a second": alone, not beside another test's training
@pytest.mark.parametrize("how", ["stop", "sighup", "stdin"])
def test_stop_hangup_or_a_vanished_parent_end_the_run_as_stopped_within_a_second(pool, how):
    worker = pool.pop()
    worker.send(_long_run())
    events = worker.events()
    _until_progress(events)
    asked = time.perf_counter()
    if how == "stop":
        worker.stop()
    elif how == "sighup":
        worker.process.send_signal(signal.SIGHUP)
    else:
        worker.close()  # the parent's end of stdin closes, as when the app dies
    rest = list(events)
    assert time.perf_counter() - asked < 1.0
    assert isinstance(rest[-1], Done) and rest[-1].status == "stopped"
    assert sum(isinstance(e, Done) for e in rest) == 1
    assert worker.wait(5) == 0


def test_a_killed_worker_still_ends_with_a_done(pool):
    worker = pool.pop()
    worker.send(_long_run())
    events = worker.events()
    _until_progress(events)
    worker.process.send_signal(signal.SIGKILL)
    done = list(events)[-1]
    assert done.status == "failed"
    assert done.reason.startswith("the training process died (signal 9, SIGKILL): ")


async def test_a_spawned_worker_says_when_torch_is_in_and_runs_the_same_main():
    worker = RunProcess.spawn()
    try:
        deadline = time.monotonic() + 120
        while not worker.ready and time.monotonic() < deadline:
            await asyncio.sleep(0.05)
        assert worker.ready and worker.process.poll() is None  # torch imported, still waiting
        worker.send(train_run(digits_mlp(epochs=1), smoke=True))
        events = await asyncio.to_thread(list, worker.events())
    finally:
        worker.kill()
    assert isinstance(events[0], Start) and events[-1].status == "completed"
