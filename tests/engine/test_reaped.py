"""A finished worker is reaped at once, not left a zombie while the app that ran it goes on."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lab.engine.client import RunProcess
from lab.engine.events import Done
from tests.engine.conftest import scripted_run

pytestmark = pytest.mark.slow


def state_of(pid: int) -> str | None:
    """The process's state letter (`Z` for a zombie), or None once it is gone (reaped)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat[stat.rindex(")") + 2 :].split()[0]


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="reads /proc")
def test_a_spawned_worker_is_reaped_once_its_run_is_done():
    worker = RunProcess.spawn()  # our child, as on a GPU machine or where forking is off
    pid = worker.pid
    worker.send(scripted_run("tensor-tour", smoke=True))
    for event in worker.events():
        if isinstance(event, Done):  # a reader stops here, as the app's does
            break
    assert event.status == "completed"
    deadline = time.monotonic() + 15
    while state_of(pid) is not None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert state_of(pid) is None, f"worker {pid} is still there in state {state_of(pid)}"
