"""Tests that a run's speed leaves out the time it was held: stepped one update at a time, or
resumed after a pause, its samples/s are those of training, not of the learner's reading (walk
3 saw "5 samples/s" while stepping)."""

from __future__ import annotations

import time

from lab.engine.events import Progress, Start
from tests.engine.conftest import digits_mlp, train_run
from tests.engine.test_stepping import Stepped

HELD_S = 0.6


def test_the_rate_after_a_hold_counts_only_the_update():
    batch = 256
    run = Stepped(train_run(digits_mlp(epochs=20, batch_size=batch)), "pause")
    assert isinstance(run.next(), Start)
    run.settle(0.3)
    rates = []
    for _ in range(2):
        time.sleep(HELD_S)  # held: the learner reads the picture
        run.control.tell("step")
        rates += [e.samples_per_s for e in run.settle() if isinstance(e, Progress)]
    assert len(rates) == 2
    # counting the hold, an update of 256 samples would be under 256 / 0.6 = 427 samples/s
    assert all(rate > 3 * batch / HELD_S for rate in rates), rates
    run.control.stop()
