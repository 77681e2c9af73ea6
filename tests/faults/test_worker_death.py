"""A worker that dies or fails: the run is recorded as failed with its reason, and the next run
starts at once. A killed worker is a real process killed under a real `lab run`; failures
inside a run are the engine's own, run in this process (tests/fake_worker.py)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.proc.child import children
from lab.store import Store
from tests.fake_worker import InProcessWorker, use_runner
from tests.faults.conftest import GOOD, wait_for
from tests.procs import lab_cmd, lab_env

pytestmark = pytest.mark.slow

KILLED = "the training process died (signal 9, SIGKILL): "


def _broken(args, ctx):
    """A bug planted in a scripted experiment."""
    from lab.engine.events import Log, Progress

    yield Log("one step, then a bug")
    yield Progress(epoch=0, step=0, loss=1.0, samples_per_s=0.0, series="cost")
    raise RuntimeError("planted by the test")


@pytest.fixture
def in_process(monkeypatch):

    use_runner(monkeypatch, InProcessWorker)


def _worker_of(pid: int) -> int:
    def find():
        for child in children(pid):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"lab.engine.worker" in cmdline:
                return child
        return None

    return wait_for(find, 20, "the training worker")


def _runs_json() -> list[dict]:
    out = _lab("runs", "--json")
    assert out.exit_code == 0, out.output
    return json.loads(out.output)


def _lab(*args):
    from lab.cli import app

    return CliRunner().invoke(app, list(args))


def test_sigkill_of_the_worker_mid_run_is_recorded_failed_and_the_next_run_starts_at_once(
    fresh_cli, in_process
):
    proc = subprocess.Popen(
        lab_cmd("--lessons", str(GOOD), "run", "gd-example-fit", "--epochs", "10000", "--json"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=lab_env(),
    )
    try:
        lines = []
        while not any('"type":"progress"' in line for line in lines):
            line = proc.stdout.readline()
            assert line, proc.stderr.read()
            lines.append(line)
        worker = _worker_of(proc.pid)
        os.kill(worker, signal.SIGKILL)
        killed = time.perf_counter()
        while line := proc.stdout.readline():
            lines.append(line)
        code = proc.wait(timeout=30)
        reported = time.perf_counter() - killed
    finally:
        if proc.poll() is None:
            proc.kill()
    done = json.loads(lines[-1])
    assert done["type"] == "done" and done["status"] == "failed", lines[-1]
    assert done["reason"].startswith(KILLED) and "ran out of memory" in done["reason"]
    assert code == 1
    [run] = _runs_json()
    assert (run["status"], run["reason"]) == ("failed", done["reason"])
    assert run["duration_s"] > 0
    # the next run, at once (the killed one was a real process; this one may be the engine in
    # this process: what it shares with the killed run is the store)
    started = time.perf_counter()
    again = _lab("--lessons", str(GOOD), "run", "gd-example-fit", "--epochs", "3")
    took = time.perf_counter() - started
    assert again.exit_code == 0, again.output
    assert "completed: trained 3 epochs" in again.output
    runs = _runs_json()
    assert [r["status"] for r in runs] == ["completed", "failed"]
    print(
        f"\nSIGKILL of the worker: `lab run` reported it {reported:.2f} s later, exit 1, recorded "
        f"failed; the next `lab run` completed in {took:.1f} s"
    )


def test_a_scripted_experiment_refusing_its_arguments_fails_in_one_line(
    shipped, fresh_cli, in_process
):
    """A real condition: the learner's w_min above w_max, both inside their ranges."""
    result = _lab("run", "cost-sweep", "--set", "w_min=5", "--set", "w_max=1")
    assert result.exit_code == 1, result.output
    assert (
        "failed: cost-sweep needs w_max >= w_min and w_step > 0, not w_min 5, w_max 1, "
        "w_step 0.1" in result.output.splitlines()
    )
    assert "Traceback" not in result.output
    with Store.open() as store:
        [run] = store.runs()
        assert run.status == "failed" and run.reason.startswith("cost-sweep needs w_max >= w_min")
    result = _lab("run", "cost-sweep")
    assert result.exit_code == 0 and "completed: cost-sweep finished" in result.output
    print(f"\nscripted experiment refusing its arguments: {run.status}: {run.reason}")


def test_an_exception_inside_a_scripted_experiment_is_recorded_failed(
    fresh_cli, in_process, monkeypatch
):
    """A bug: the reason names it in one line; the traceback goes to stderr for a bug report."""
    import lab.engine.scripted as scripted

    monkeypatch.setitem(scripted.SCRIPTS, "cost-sweep", _broken)
    result = _lab("--lessons", str(GOOD), "run", "gd-example-sweep")
    assert result.exit_code == 1, result.output
    assert "failed: RuntimeError: planted by the test" in result.output.splitlines()
    assert "Traceback" in result.output and "in _broken" in result.output  # on stderr
    with Store.open() as store:
        [run] = store.runs()
        assert (run.status, run.reason) == ("failed", "RuntimeError: planted by the test")
        assert len(store.run(run.id).points) == 1  # what came before the bug is kept
    monkeypatch.setitem(scripted.SCRIPTS, "cost-sweep", scripted.cost_sweep)
    started = time.perf_counter()
    result = _lab("--lessons", str(GOOD), "run", "gd-example-sweep")
    assert result.exit_code == 0 and "completed: cost-sweep finished" in result.output
    print(
        f"\nexception in a scripted experiment: failed, recorded; the next run completed in "
        f"{time.perf_counter() - started:.1f} s"
    )
