"""The runners: which process a run gets (a forked spare, a fresh fork, a spawned worker), and
which runner LAB_RUNNER names."""

from __future__ import annotations

import io
import signal
import threading

import pytest

import lab.runs.runners as runners
from lab.engine.client import Launched, RunProcess
from lab.proc.forkclient import ForkServerError
from lab.runs.ports import RunnerError
from lab.runs.runners import CommandRunner, LocalRunner, SlurmRunner, runner


class FakeProcess:
    def __init__(self) -> None:
        self.returncode: int | None = None
        self.pid = 0
        self.stdin = self.stdout = None
        self.stderr = io.StringIO("")

    def poll(self) -> int | None:
        return self.returncode

    def send_signal(self, sig: int) -> None:
        self.returncode = -sig

    def wait(self, timeout: float | None = None) -> int | None:
        return self.returncode  # a closed worker is reaped: the fake has nothing to collect


class FakeServer:
    def __init__(self) -> None:
        self.forks = 0
        self.fail = False
        self.ready = True

    def fork(self, cancelled=lambda: False, group: bool = False) -> FakeProcess:
        if self.fail:
            raise ForkServerError("error the fork server has 2 threads")
        self.forks += 1
        return FakeProcess()


@pytest.fixture
def server(monkeypatch) -> FakeServer:
    fake = FakeServer()
    monkeypatch.setattr(runners, "fork_server", lambda: fake)
    return fake


def _launch(worker: RunProcess, spec: dict) -> bool:
    return worker._launch(spec)  # (the fake processes take no spec: only the launch is tested)


CPU = {"spec": {"device": "auto"}}
GPU = {"spec": {"device": "cuda"}}


def test_a_cpu_run_takes_the_spare_forked_ahead_and_the_next_is_forked_after(server):
    spawned = []
    local = LocalRunner(spawn=lambda: spawned.append(1), fork=True)
    local.warm_up()
    local._thread.join(5)
    assert server.forks == 1  # the spare, forked ahead
    worker = local.take()
    assert worker.ready
    assert _launch(worker, CPU) and worker.process is not None
    assert server.forks == 1 and not spawned  # the spare went to the run: no fork, no spawn
    worker2 = local.take()
    assert _launch(worker2, CPU)
    assert server.forks == 2  # no spare left: forked on the spot


def test_a_gpu_run_is_spawned_and_a_refusing_server_means_spawning_from_then_on(server):
    made: list[Launched] = []

    def spawn() -> Launched:
        made.append(Launched(FakeProcess()))
        return made[-1]

    local = LocalRunner(spawn=spawn, fork=True)
    worker = local.take()
    assert _launch(worker, GPU) and worker.process is made[0].process
    local._thread.join(5)  # (a CPU spare is forked meanwhile, for the next CPU run)
    local._spare = None
    server.fail = True
    worker = local.take()
    assert _launch(worker, CPU) and worker.process is made[1].process  # refused: spawned
    local._thread.join(5)
    spare = made[-1]
    assert local.take().process is spare.process  # from now on a spawned spare is kept ahead


def test_a_stop_while_the_server_is_still_starting_cancels_the_start(server):
    server.ready = False
    gate = threading.Event()
    server.fork = lambda cancelled=lambda: False, group=False: (gate.wait(5), FakeProcess())[1]
    local = LocalRunner(spawn=lambda: None, fork=True)
    local.warm_up()  # the spare's fork waits for the server
    worker = local.take()
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


def test_one_run_and_done_spawns_one_worker_and_keeps_no_spare():
    made: list[Launched] = []
    local = LocalRunner(spawn=lambda: made.append(Launched(FakeProcess())) or made[-1], ahead=False)
    worker = local.take()
    assert worker.process is made[0].process
    local.warm_up()
    assert local._thread is None and len(made) == 1


def test_lab_runner_names_the_runner(monkeypatch):
    monkeypatch.delenv("LAB_RUNNER", raising=False)
    assert isinstance(runner(), LocalRunner)
    monkeypatch.setenv("LAB_RUNNER", "command")
    monkeypatch.setenv("LAB_RUNNER_COMMAND", "python3 -m lab.engine.worker")
    made = runner()
    assert isinstance(made, CommandRunner)
    assert made.argv == ["python3", "-m", "lab.engine.worker"]
    monkeypatch.delenv("LAB_RUNNER_COMMAND")
    with pytest.raises(RunnerError, match="LAB_RUNNER=command needs LAB_RUNNER_COMMAND"):
        runner()
    monkeypatch.setenv("LAB_RUNNER", "slurm")
    assert isinstance(runner(), SlurmRunner)
    monkeypatch.setenv("LAB_RUNNER", "k8s")
    with pytest.raises(RunnerError, match="kind must be one of local, slurm, command, not 'k8s'"):
        runner()


def test_a_bad_runner_ends_lab_run_in_one_line_with_status_2(monkeypatch, capsys):
    import typer

    from lab.cli.run_cmds import configured_runner

    monkeypatch.setenv("LAB_RUNNER", "k8s")
    with pytest.raises(typer.Exit) as ended:
        configured_runner("run")
    assert ended.value.exit_code == 2
    err = capsys.readouterr().err
    assert err.startswith("lab run: ") and err.endswith(
        ": [runner] kind must be one of local, slurm, command, not 'k8s'\n"
    )
