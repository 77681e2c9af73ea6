"""The Slurm runner on a real cluster: a run as a job step ends with the local run's figures; it
waits in the queue saying why, a stop or a SIGKILLed `lab` leaves no job behind, and a job Slurm
refuses fails in one line."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.config import SlurmConfig
from lab.engine.events import Done, Queued, Start
from lab.runs.runners import SlurmRunner
from tests.engine.conftest import digits_mlp, train_run

pytestmark = pytest.mark.slow
LONG = Path(__file__).parents[1] / "fixtures" / "long"


def _run(spec: dict, config: SlurmConfig | None = None, stop_after_start: bool = False) -> list:
    worker = SlurmRunner(config or SlurmConfig()).take()
    worker.send(spec)
    events = []
    for event in worker.events():
        events.append(event)
        if isinstance(event, Start) and stop_after_start:
            worker.stop()
    return events


def _until(check, timeout: float) -> float:
    began = time.monotonic()
    while not check():
        assert time.monotonic() - began < timeout, "timed out"
        time.sleep(0.1)
    return time.monotonic() - began


def test_a_run_as_a_job_step_ends_with_the_local_runs_figures(slurm):
    from lab.engine.loop import run_events

    spec = train_run(digits_mlp(epochs=2, batch_size=128))
    events = _run(spec)
    start, done = events[0], events[-1]
    assert isinstance(start, Start) and start.runner == "slurm" and start.job and start.node
    assert isinstance(done, Done) and done.status == "completed", done
    local = list(run_events(spec, lambda: False))[-1]
    assert local.metrics.keys() == done.metrics.keys()
    for key, value in local.metrics.items():
        assert done.metrics[key] == pytest.approx(value, abs=1e-6), key
    _until(lambda: not slurm.jobs(), 2)  # the job ends with its step


def test_a_waiting_run_says_why_then_runs_and_a_stop_empties_the_queue(slurm):
    slurm.run("sbatch", "--cpus-per-task=2", "--output=/dev/null", "--wrap", "sleep 4")
    _until(lambda: "RUNNING" in slurm.run("squeue", "-h", "-o", "%T").stdout, 20)
    events = _run(train_run(digits_mlp(epochs=500, batch_size=8)), stop_after_start=True)
    queued = [e for e in events if isinstance(e, Queued)]
    assert queued and queued[-1].reason in ("Resources", "Priority"), queued
    assert [e.waited_s for e in queued] == sorted(e.waited_s for e in queued)
    assert isinstance(events[-1], Done) and events[-1].status == "stopped", events[-1]
    took = _until(lambda: not slurm.jobs(), 2)
    print(f"stop to an empty queue: {took:.2f} s")


@pytest.mark.parametrize(
    ("signum", "group"),
    [
        (signal.SIGKILL, False),  # lab killed outright
        (signal.SIGHUP, True),  # a closing SSH session: SIGHUP to the terminal's process group
    ],
    ids=["sigkill", "closed-terminal"],
)
def test_lab_ended_by_a_signal_leaves_no_job(slurm, signum, group):
    env = {**os.environ, "LAB_RUNNER": "slurm", "SLURM_CONF": str(slurm.conf)}
    lab = subprocess.Popen(
        [sys.executable, "-m", "lab", "--lessons", str(LONG), "run", "long-moons"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=group,  # its own group, as a login shell's job is
    )
    try:
        _until(lambda: slurm.jobs(), 30)
        if group:
            os.killpg(lab.pid, signum)
        else:
            os.kill(lab.pid, signum)
        took = _until(lambda: not slurm.jobs(), 15)
        print(f"{signal.Signals(signum).name} of lab to an empty queue: {took:.2f} s")
    finally:
        lab.kill()
        lab.wait()


def test_a_job_slurm_refuses_fails_in_one_line(slurm):
    events = _run(train_run(digits_mlp(epochs=1)), SlurmConfig(partition="nope"))
    [done] = events
    assert isinstance(done, Done) and done.status == "failed"
    assert done.reason == (
        "Slurm refused the run: Unable to allocate resources: Invalid partition name specified"
    )


def test_a_node_without_slurms_configuration_fails_the_run_with_what_ended_srun(
    tmp_path, monkeypatch
):
    empty = tmp_path / "slurm.conf"
    empty.touch()
    monkeypatch.setenv("SLURM_CONF", str(empty))
    [done] = _run(train_run(digits_mlp(epochs=1)))
    # srun's errors on the way ("ClusterName needs to be specified") are left out
    assert done == Done(
        status="failed", reason="Slurm refused the run: Unable to process configuration file"
    )


def _running_job(slurm) -> str:
    _until(lambda: "RUNNING" in slurm.run("squeue", "-h", "-o", "%T").stdout, 30)
    [job] = slurm.jobs()
    return job


def test_keep_warm_holds_one_job_step_that_the_next_run_takes(slurm):
    runner = SlurmRunner(SlurmConfig(keep_warm="10m"))
    try:
        runner.warm_up()  # not a screen that runs: nothing held
        time.sleep(0.5)
        assert not slurm.jobs()
        runner.warm_up(run_soon=True)
        runner.warm_up(run_soon=True)  # one held, however often asked
        held = _running_job(slurm)
        worker = runner.take()
        worker.send(train_run(digits_mlp(epochs=1, batch_size=128)))
        events = list(worker.events())
        assert isinstance(events[0], Start) and events[0].job == held
        assert isinstance(events[-1], Done) and events[-1].status == "completed", events[-1]
        runner.warm_up(run_soon=True)  # the run's end: the next one held
        _until(lambda: held not in slurm.jobs() and len(slurm.jobs()) == 1, 20)
        _running_job(slurm)
        runner.release()  # the screen closed
        # 0.1 s here when the machine is quiet; under the suite's load the cancelled step's
        # clean-up can take up to Slurm's KillWait (30 s by default)
        took = _until(lambda: not slurm.jobs(), 30)
        print(f"release to an empty queue: {took:.2f} s")
    finally:
        runner.shutdown()


def test_a_held_job_step_is_given_back_after_keep_warm_idle(slurm):
    runner = SlurmRunner(SlurmConfig(keep_warm="2s"))
    try:
        runner.warm_up(run_soon=True)
        _running_job(slurm)
        _until(lambda: not slurm.jobs(), 30)  # 2 s idle, then cancelled (and KillWait, as above)
    finally:
        runner.shutdown()
