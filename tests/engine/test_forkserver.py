"""The run fork server: forked workers train for real, die with their parents, leave no zombie."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lab.engine.client import RunProcess, fork_server
from lab.engine.events import Done, Progress
from lab.proc.forkclient import ForkServer, ForkServerError, StartCancelled
from tests.engine.conftest import digits_mlp, run_all, train_run

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the fork server is Linux's"),
]
ROOT = Path(__file__).resolve().parents[2]


def _state(pid: int) -> str | None:
    """The process's state letter (Z: a zombie), or None once it is gone."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2]


def _gone(pid: int, timeout: float = 10) -> bool:
    deadline = time.monotonic() + timeout
    while _state(pid) not in (None, "Z") and time.monotonic() < deadline:
        time.sleep(0.05)
    return _state(pid) in (None, "Z")


def _until_progress(events):
    for event in events:
        if isinstance(event, Progress):
            return
        assert not isinstance(event, Done), event


def test_a_forked_worker_trains_as_the_loop_does_and_is_reaped(monkeypatch):
    monkeypatch.setenv("LAB_THREADS", "2")  # the child takes the caller's environment
    spec = train_run(digits_mlp(epochs=3))
    worker = RunProcess.fork()
    started = time.perf_counter()
    worker.send(spec)
    events = list(worker.events())
    forked = time.perf_counter() - started
    done = events[-1]
    assert done.status == "completed", done.reason
    # Two intra-op threads in the child, none in the server: the same figures as in-process.
    assert done.metrics == run_all(spec)[-1].metrics
    assert worker.wait(5) == 0
    time.sleep(0.2)
    assert _state(worker.pid) is None  # reaped by the server: no zombie
    print(f"\nforked worker: 3 epochs of digits in {forked:.2f} s, first event to done")


def test_the_server_never_touches_cuda_and_keeps_one_thread():
    server = fork_server()
    server.fork().kill()  # it is ready now
    facts = server.facts
    assert facts["cuda_initialized"] is False
    assert facts["threads"] == 1 and facts["intra_op_threads"] == 1
    pid = server.process.pid
    assert "libcuda.so" not in Path(f"/proc/{pid}/maps").read_text()  # the driver never loaded
    assert len(list(Path(f"/proc/{pid}/task").iterdir())) == 1  # still, after forking


@pytest.mark.serial  # ends within a second: alone, not beside another test's training
@pytest.mark.parametrize("how", ["sighup", "stdin"])
def test_a_forked_run_stops_on_sighup_or_a_closed_pipe_and_ends(how):
    worker = RunProcess.fork()
    worker.send(train_run(digits_mlp(epochs=1000, batch_size=8)))
    events = worker.events()
    _until_progress(events)
    asked = time.perf_counter()
    if how == "sighup":
        worker.process.send_signal(signal.SIGHUP)
    else:
        worker.close()  # the app's end of stdin closes, as when the app dies
    rest = list(events)
    assert time.perf_counter() - asked < 1.0
    assert rest[-1].status == "stopped"
    assert worker.wait(5) == 0 and _gone(worker.pid)


def test_a_killed_forked_worker_ends_with_a_done_naming_the_signal():
    worker = RunProcess.fork()
    worker.send(train_run(digits_mlp(epochs=1000, batch_size=8)))
    events = worker.events()
    _until_progress(events)
    worker.process.send_signal(signal.SIGKILL)
    done = list(events)[-1]
    assert done.reason.startswith("the training process died (signal 9, SIGKILL)")


APP = """
import sys, time
from lab.engine.client import RunProcess
from tests.engine.conftest import digits_mlp, train_run
worker = RunProcess.fork()
worker.send(train_run(digits_mlp(epochs=1000, batch_size=8)))
events = worker.events()
next(events)
from lab.engine.client import fork_server
print(fork_server().process.pid, worker.pid, flush=True)
time.sleep(600)
"""


@pytest.mark.parametrize("who", ["app", "server"])
def test_a_killed_app_or_server_leaves_no_process_behind(who):
    """The app (SIGKILL: no hook runs) or the fork server dies mid-run: nothing keeps training."""
    app = subprocess.Popen([sys.executable, "-c", APP], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        server, child = (int(p) for p in app.stdout.readline().split())
        assert _state(child) not in (None, "Z")
        victim = app.pid if who == "app" else server
        os.kill(victim, signal.SIGKILL)
        assert _gone(child, 10), "the forked worker outlived its parent"
        assert _gone(server, 10), "the fork server outlived the app"
    finally:
        app.kill()
        app.wait(5)


def test_a_stop_before_the_process_exists_ends_the_run_stopped_without_one():
    asked = threading.Event()

    def start(spec, cancelled):
        asked.set()
        while not cancelled():
            time.sleep(0.01)
        raise StartCancelled

    worker = RunProcess(start, ready=lambda: False)
    assert not worker.ready
    worker.send({"spec": {}})  # kept: the process is made when the events are read
    events = []
    reader = threading.Thread(target=lambda: events.extend(worker.events()))
    reader.start()
    assert asked.wait(5)
    worker.stop()  # at once, though the reader waits for the process to be made
    reader.join(5)
    [done] = events
    assert (done.status, done.reason) == ("stopped", "stopped before the run began")
    assert worker.process is None


def test_a_server_that_cannot_start_says_so_and_forks_nothing(tmp_path):
    broken = tmp_path / "python"
    broken.write_text("#!/bin/sh\nexit 3\n")
    broken.chmod(0o755)
    server = ForkServer("lab.engine.worker:prepare", "lab.engine.worker:main", python=str(broken))
    with pytest.raises(ForkServerError, match="ended while starting"):
        server.fork()
    server.close()
