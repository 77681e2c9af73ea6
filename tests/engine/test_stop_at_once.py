"""A stop pressed the moment a run is sent ends it stopped, however early the signal lands:
before the forked worker has its handlers (it died of it, or of the KeyboardInterrupt) or while
it could not take it (the stop was lost and the run trained to the end)."""

from __future__ import annotations

import pytest

from lab.engine.client import RunProcess, can_fork
from lab.engine.control import Control
from tests.engine.conftest import digits_mlp, train_run

pytestmark = pytest.mark.skipif(not can_fork(), reason="the fork server needs fork()")


def test_a_stop_right_after_the_spec_always_ends_the_run_stopped():
    ends = []
    for _ in range(5):  # before the fix: 9 of 12 trained on to "completed", 1 "failed"
        worker = RunProcess.fork()
        worker.send(train_run(digits_mlp(epochs=3)))
        worker.stop()
        done = list(worker.events())[-1]
        ends.append((done.status, done.reason))
        worker.wait(5)
    assert all(status == "stopped" for status, _ in ends), ends


def test_stop_is_a_command_word_too_and_ends_a_pause_at_once():
    control = Control()
    control.take("pause")
    assert not control.should_stop()
    control.take("stop")
    assert control.should_stop()
    assert control.wait_turn() is True, "paused, it returns at once: the run must stop"
