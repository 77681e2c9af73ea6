"""Run slots: at most N runs train at once on the machine, first come first served; a waiter
says how many are ahead, a stop leaves the queue, and a dead holder's slot frees itself."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from lab.proc.slots import gpu_admission, run_slot

LONG = Path(__file__).parents[1] / "fixtures" / "long"


def test_a_waiter_waits_its_turn_and_says_how_many_are_ahead(tmp_path):
    order: list[str] = []
    said: dict[str, list[int]] = {"b": [], "c": []}
    release = threading.Event()

    def holder() -> None:
        with run_slot(1, lambda *_: None, lambda: False, tmp_path) as got:
            assert got
            order.append("a")
            release.wait(10)

    def waiter(name: str) -> None:
        with run_slot(1, lambda ahead, _s: said[name].append(ahead), lambda: False, tmp_path):
            order.append(name)

    first = threading.Thread(target=holder)
    first.start()
    time.sleep(0.3)
    b = threading.Thread(target=waiter, args=("b",))
    b.start()
    time.sleep(0.3)  # c comes after b: it waits behind b, b behind a's slot
    c = threading.Thread(target=waiter, args=("c",))
    c.start()
    time.sleep(1.5)
    assert order == ["a"] and said["b"][-1] == 0 and said["c"][-1] == 1
    release.set()
    for thread in (first, b, c):
        thread.join(10)
    assert order == ["a", "b", "c"]


def test_a_stop_leaves_the_queue_and_no_limit_never_waits(tmp_path):
    stop = threading.Event()
    with run_slot(1, lambda *_: None, lambda: False, tmp_path):
        threading.Timer(0.3, stop.set).start()
        with run_slot(1, lambda *_: None, stop.is_set, tmp_path) as got:
            assert not got
    assert not list(tmp_path.glob("wait-*"))
    with run_slot(0, lambda *_: None, lambda: False, tmp_path) as got:
        assert got


def test_a_killed_holders_slot_frees_itself(tmp_path):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from pathlib import Path;"
            "from lab.proc.slots import run_slot;"
            f"cm = run_slot(1, lambda *_: None, lambda: False, Path({str(tmp_path)!r}));"
            "cm.__enter__(); print('held', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "held"
    holder.kill()
    holder.wait()
    with run_slot(1, lambda *_: None, lambda: time.sleep(0) or False, tmp_path) as got:
        assert got


@pytest.mark.slow
def test_two_lab_runs_with_one_slot_take_turns(tmp_path, lab_home):
    (lab_home / "config.toml").write_text("[runner]\nmax_concurrent_runs = 1\n")
    env = {**os.environ, "LAB_SLOTS_DIR": str(tmp_path / "slots")}
    lab = [sys.executable, "-m", "lab", "--lessons", str(LONG), "run", "long-moons", "--json"]
    first = subprocess.Popen(
        [*lab, "--epochs", "10000"], env=env, stdout=subprocess.PIPE, text=True
    )
    second = None
    try:
        assert '"type":"start"' in first.stdout.readline()  # it holds the slot, training
        threading.Thread(target=first.stdout.read, daemon=True).start()  # (a full pipe blocks)
        second = subprocess.Popen(
            [*lab, "--epochs", "3"], env=env, stdout=subprocess.PIPE, text=True
        )
        queued = json.loads(second.stdout.readline())
        assert queued["type"] == "queued", queued
        assert queued["reason"] == "waiting for a free run slot: every slot in use"
        first.send_signal(signal.SIGINT)  # its stop frees the slot
        events = [json.loads(line) for line in second.stdout]
        assert events[0]["type"] in ("queued", "start")
        assert events[-1]["type"] == "done" and events[-1]["status"] == "completed"
    finally:
        for process in (first, second):
            if process is not None:
                process.kill()
                process.wait()


def _admit(line, *, said: list | None = None):
    """Drive a gpu_admission generator to its end: the lock's descriptor (or None)."""
    try:
        while True:
            told = next(line)
            if said is not None:
                said.append(told)
    except StopIteration as done:
        return done.value


def test_gpu_admission_waits_for_free_memory_first_come_first_served(tmp_path):
    """A class on one GPU: a run that would not fit in what is free waits in line (instead of
    running out of memory) and starts once the runs before it are on the GPU and memory frees;
    the memory probe is a fake (no GPU here; bench/gpu_checks.sh checks a real one)."""
    free = {"bytes": 10}
    need = 6
    fits = lambda: free["bytes"] >= need  # noqa: E731
    first = _admit(gpu_admission(0, fits, lambda: False, tmp_path))
    assert first is not None  # it fits: admitted at once, holding the GPU's admission
    results: dict[str, object] = {}
    said: list[tuple[int, int]] = []

    def second() -> None:
        results["fd"] = _admit(gpu_admission(0, fits, lambda: False, tmp_path), said=said)

    thread = threading.Thread(target=second)
    thread.start()
    time.sleep(1.3)
    assert "fd" not in results and said  # waits while the first holds the admission
    free["bytes"] -= need  # the first run is on the GPU: 4 left, not enough
    os.close(first)
    time.sleep(1.3)
    assert "fd" not in results and said[-1][0] == 0  # first in line, waiting for memory
    free["bytes"] = 10  # the first run ended
    thread.join(5)
    assert results["fd"] is not None
    os.close(results["fd"])
    stop = threading.Event()
    free["bytes"] = 0
    threading.Timer(0.3, stop.set).start()
    assert _admit(gpu_admission(0, fits, stop.is_set, tmp_path)) is None  # a stop leaves
