"""Step by step: a paused run waits, one step is one update, one epoch is an epoch's updates,
stop ends a paused run at once; a paused worker process uses no CPU and dies on SIGHUP."""

from __future__ import annotations

import os
import queue
import signal
import threading
import time

import pytest

from lab.engine.control import Control
from lab.engine.events import Done, EpochEnd, Held, Progress, Start, View
from tests.engine.conftest import digits_mlp, scripted_run, train_run
from tests.fake_worker import QueueControl

QUIET_S = 0.3  # a paused run must stay silent this long


class Stepped:
    """A run on a thread driven by commands, its events read with timeouts."""

    def __init__(self, run_spec: dict, *commands: str) -> None:
        from lab.engine.loop import run_events

        self.control = QueueControl()
        for word in commands:  # sent with the spec, as a command typed while starting
            self.control.tell(word)
        self.events: queue.SimpleQueue = queue.SimpleQueue()

        def produce() -> None:
            for event in run_events(run_spec, self.control):
                self.events.put(event)

        threading.Thread(target=produce, daemon=True).start()

    def next(self, timeout: float = 30.0):
        return self.events.get(timeout=timeout)

    def until(self, kind: type, timeout: float = 30.0) -> list:
        got = [self.next(timeout)]
        while not isinstance(got[-1], kind):
            assert not isinstance(got[-1], Done), got[-1]
            got.append(self.next(timeout))
        return got

    def settle(self, timeout: float = 30.0) -> list:
        """What the run says until it goes quiet (a paused run's last word)."""
        got, wait = [], timeout
        while True:
            try:
                got.append(self.events.get(timeout=wait))
            except queue.Empty:
                return got
            wait = QUIET_S

    def silent(self) -> bool:
        try:
            event = self.events.get(timeout=QUIET_S)
        except queue.Empty:
            return True
        raise AssertionError(f"a paused run said {event}")


def _steps(events: list) -> list[int]:
    return [e.step for e in events if isinstance(e, Progress)]


def _digits(**overrides):
    return train_run(digits_mlp(epochs=20, batch_size=256, **overrides))


def test_plain_control_never_pauses_and_commands_follow_their_meaning():
    control = Control()
    assert not control.wait_turn() and not control.holding()
    control.take("pause")
    assert control.holding()
    control.take("step")
    control.take("step")
    assert not control.wait_turn() and not control.wait_turn() and control.holding()
    control.take("epoch")
    assert not control.wait_turn() and not control.wait_turn()  # the whole epoch goes
    control.epoch_done()
    assert control.holding()
    control.take("resume")
    assert not control.paused and not control.holding()


def test_control_tells_each_hold_with_the_updates_taken_so_far():
    holds: list[int] = []
    control = Control(on_hold=holds.append)
    assert not control.wait_turn() and holds == []  # not paused: no hold
    control.take("pause")
    control.take("step")
    assert not control.wait_turn() and holds == []  # a step granted: it goes without holding
    control.take("stop")
    assert control.wait_turn() and holds == []  # stopped while paused: no hold to tell

    class OneStepAtATime(Control):
        def receive(self, wait: bool) -> list[str]:
            return ["step"] if wait else []

    control = OneStepAtATime(on_hold=holds.append)
    assert not control.wait_turn()
    control.take("pause")
    assert not control.wait_turn() and not control.wait_turn()
    assert holds == [1, 2]  # held after each update taken so far, then given a step


def test_a_pause_given_before_the_worker_process_exists_holds_it_before_its_first_update():
    """`p` pressed while the worker was still being made was dropped: the run trained to the
    end while the screen said "paused at step 0"."""
    from lab.engine.client import RunProcess

    worker = RunProcess.fork()  # its process is made when its events are first read
    try:
        worker.send(train_run(digits_mlp(epochs=1000, batch_size=8)))
        worker.pause()  # before the process exists, as the session forwards a held `p`
        events = worker.events()
        assert isinstance(next(events), Start)
        held = next(e for e in events if not isinstance(e, View))
        assert held == Held(0)  # the worker says it holds, before any update
        worker.step()
        got = [next(e for e in events if not isinstance(e, View)) for _ in range(2)]
        assert isinstance(got[0], Progress) and got[0].step == 1 and got[1] == Held(1)
    finally:
        worker.kill()


def test_paused_run_waits_then_steps_one_update_and_one_epoch_at_a_time():
    run = Stepped(_digits(), "pause")
    assert isinstance(run.next(), Start)
    # paused before the first update: nothing trains (a picture of the start may come)
    assert not _steps(run.settle(QUIET_S))

    for expected in (1, 2):
        run.control.tell("step")
        got = run.settle()
        assert _steps(got) == [expected]  # one update, reported at once
        assert all(e.step == expected for e in got if isinstance(e, View))

    run.control.tell("epoch")  # the rest of epoch 1
    first = run.settle()
    per_epoch = _steps(first)[-1]
    assert per_epoch > 2 and [e.epoch for e in first if isinstance(e, EpochEnd)] == [1]
    run.control.tell("epoch")  # all of epoch 2
    second = run.settle()
    assert _steps(second)[-1] == 2 * per_epoch
    assert [e.epoch for e in second if isinstance(e, EpochEnd)] == [2]

    run.control.stop()  # stop while paused: at once, not after another update
    asked = time.monotonic()
    done = run.until(Done, 5)[-1]
    assert done.status == "stopped"
    assert time.monotonic() - asked < 0.5
    assert f"step {2 * per_epoch}" in done.reason


def test_resume_trains_to_the_end():
    run = Stepped(train_run(digits_mlp(epochs=2, batch_size=512)), "pause")
    assert isinstance(run.next(), Start)
    run.control.tell("step")
    assert isinstance(run.next(), Progress)
    run.control.tell("resume")
    done = run.until(Done)[-1]
    assert done.status == "completed"


def test_manual_gd_steps_one_update_with_its_view_and_point():
    run = Stepped(scripted_run("manual-gd", {"epochs": 50}), "pause")
    assert isinstance(run.next(), Start)
    assert run.silent()
    for expected in (1, 2):
        run.control.tell("step")
        got = run.until(Progress)
        views = [e for e in got if isinstance(e, View)]
        assert [v.step for v in views] == [expected] and got[-1].step == expected
        run.until(EpochEnd)
        assert run.events.get(timeout=5).text.startswith(f"epoch {expected}:")  # its log line
        assert run.silent()
    run.control.stop()
    assert run.until(Done)[-1].status == "stopped"


def _cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


@pytest.mark.slow
@pytest.mark.skipif(not os.path.exists("/proc/self/stat"), reason="reads /proc")
@pytest.mark.parametrize("how", ["sighup", "stdin"])
def test_a_paused_worker_process_uses_no_cpu_and_stops_on_sighup_or_its_parent_going(how):
    from lab.engine.client import RunProcess

    worker = RunProcess.fork()  # as the app's workers on a CPU: torch already imported
    try:
        worker.send(train_run(digits_mlp(epochs=1000, batch_size=8)))
        worker.pause()
        events = worker.events()
        assert isinstance(next(events), Start)
        worker.step()
        progress = next(e for e in events if not isinstance(e, (View, Held)))
        assert isinstance(progress, Progress) and progress.step == 1
        if how == "sighup":
            before = _cpu_s(worker.pid)
            time.sleep(2)
            used = _cpu_s(worker.pid) - before
            assert used < 0.05, f"a paused worker used {used:.2f} s of CPU in 2 s"
            worker.process.send_signal(signal.SIGHUP)
        else:
            worker.close()  # the app went: its end of the pipe closed
        asked = time.monotonic()
        done = next(e for e in events if not isinstance(e, (View, Held)))
        assert isinstance(done, Done) and done.status == "stopped", done
        assert time.monotonic() - asked < 1
        assert worker.wait(5) == 0
    finally:
        worker.kill()
