"""WarmWorkers: which process a run gets (a forked spare, a fresh fork, a spawned worker)."""

from __future__ import annotations

import signal
import threading

import pytest

import lab.engine.client as client
from lab.tui.warm import WarmWorkers


class FakeProcess:
    def __init__(self) -> None:
        self.returncode = None
        self.stdin = self.stdout = self.stderr = None

    def poll(self):
        return self.returncode

    def send_signal(self, sig) -> None:
        self.returncode = -sig

    def wait(self, timeout=None):
        return self.returncode  # a closed worker is reaped: the fake has nothing to collect


class FakeServer:
    def __init__(self, fail: bool = False) -> None:
        self.forks = 0
        self.fail = fail
        self.ready = True

    def fork(self, cancelled=lambda: False):
        if self.fail:
            raise client.ForkServerError("error the fork server has 2 threads")
        self.forks += 1
        return FakeProcess()


@pytest.fixture
def server(monkeypatch):
    fake = FakeServer()
    monkeypatch.setattr(client, "fork_server", lambda: fake)
    monkeypatch.setattr(client.Worker, "_drain_stderr", lambda self: None)
    return fake


def _launch(worker, spec):
    worker.send = None  # (the fake processes take no spec: only the launch is under test)
    return client.Worker._launch(worker, spec)


CPU = {"spec": {"device": "auto"}}
GPU = {"spec": {"device": "cuda"}}


def test_a_cpu_run_takes_the_spare_forked_ahead_and_the_next_is_forked_after(server):
    spawned = []
    warm = WarmWorkers(spawn=lambda: spawned.append(1), fork=True)
    warm.warm_up()
    warm._thread.join(5)
    assert server.forks == 1  # the spare, forked ahead
    worker = warm.take()
    assert worker.ready
    assert _launch(worker, CPU) and worker.process is not None
    assert server.forks == 1 and not spawned  # the spare went to the run: no fork, no spawn
    worker2 = warm.take()
    assert _launch(worker2, CPU)
    assert server.forks == 2  # no spare left: forked on the spot


def test_a_gpu_run_is_spawned_and_a_refusing_server_means_spawning_from_then_on(server):
    made = []

    def spawn():
        worker = client.Worker(FakeProcess())
        made.append(worker)
        return worker

    warm = WarmWorkers(spawn=spawn, fork=True)
    worker = warm.take()
    assert _launch(worker, GPU) and worker.process is made[0].process
    warm._thread.join(5)  # (a CPU spare is forked meanwhile, for the next CPU run)
    warm._spare = None
    server.fail = True
    worker = warm.take()
    assert _launch(worker, CPU) and worker.process is made[1].process  # refused: spawned
    warm._thread.join(5)
    spare = made[-1]
    assert warm.take() is spare  # from now on a spawned spare is kept ahead, as before


def test_a_stop_while_the_server_is_still_starting_cancels_the_start(server):
    server.ready = False
    gate = threading.Event()
    server.fork = lambda cancelled=lambda: False: (gate.wait(5), FakeProcess())[1]
    warm = WarmWorkers(spawn=lambda: None, fork=True)
    warm.warm_up()  # the spare's fork waits for the server
    worker = warm.take()
    result = []
    sender = threading.Thread(target=lambda: result.append(_launch(worker, CPU)))
    sender.start()
    worker.stop()
    gate.set()
    sender.join(5)
    assert result == [False]  # no spec sent
    if worker.process is None:  # cancelled before any process: the run says so itself
        [done] = list(worker.events())
        assert done.status == "stopped"
    else:  # the spare came as the stop did: it got the stop signal (and says stopped)
        assert worker.process.returncode == -signal.SIGINT
