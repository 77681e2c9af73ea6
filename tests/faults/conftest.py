"""Shared helpers for the fault tests: the shipped course, real `lab` processes, patched workers.

A patched worker is the real `lab.engine.worker` started by `python -c` with a few lines of test
code run first in that process (a memory limit, an exception planted in an experiment): the
product carries no test hooks.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.procs import lab_env

ROOT = Path(__file__).resolve().parents[2]
GOOD = ROOT / "tests" / "fixtures" / "good"


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    """One intra-op thread in every worker: fair to the other processes of a test."""
    monkeypatch.setenv("LAB_THREADS", "1")


@pytest.fixture
def fresh_cli(monkeypatch):
    """The CLI's cached catalog cleared, so each test loads the lessons it names."""
    from lab.cli import state

    monkeypatch.setattr(state, "_catalog", None)


def patched_worker(prelude: str):
    """A real worker process that first runs `prelude` (test code) in its own interpreter."""
    from lab.engine.client import Launched, RunProcess

    code = "\n".join(
        [
            "import os, sys",
            textwrap.dedent(prelude),
            "from lab.engine import worker",
            "code = worker.main()",
            "sys.stderr.flush()",
            "os._exit(code)",
        ]
    )
    process = subprocess.Popen(
        [sys.executable, "-c", code],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        env=lab_env(),
        text=True,
        encoding="utf-8",
        bufsize=1,
    )
    return RunProcess(launched=Launched(process))


def wait_for(condition, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)
