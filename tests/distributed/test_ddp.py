"""ddp-digits and ddp-batch-sizes: real DistributedDataParallel on 2 CPU processes (gloo).

A run completes with identical replicas; stopping, SIGHUP and a killed rank end every process
of the run within seconds, and the run says why; the 2x32 curve lies on the 1x64 curve.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

import pytest

from lab.engine.client import RunProcess
from lab.engine.events import Done, EpochEnd, Log, Progress, Start
from lab.engine.loop import run_events
from lab.proc.child import children
from tests.engine.conftest import scripted_run

pytestmark = pytest.mark.slow

ENDED_WITHIN_S = 5.0


@pytest.fixture(autouse=True)
def one_thread(monkeypatch):
    monkeypatch.setenv("LAB_THREADS", "1")


def alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat[stat.rindex(")") + 2] != "Z"  # a zombie has ended; only its entry is left


def rank_pids(events) -> list[int]:
    log = next(e.text for e in events if isinstance(e, Log) and "pids" in e.text)
    return [int(p) for p in log.rsplit("pids ", 1)[1].split(", ")]


def test_ddp_digits_trains_two_identical_replicas():
    events = list(run_events(scripted_run("ddp-digits", {"epochs": 3}), lambda: False))
    done = events[-1]
    assert isinstance(events[0], Start) and isinstance(done, Done), done
    assert done.status == "completed", done.reason
    assert done.metrics["world_size"] == 2.0
    assert done.metrics["rank_weight_gap"] == 0.0
    assert done.metrics["test_accuracy"] > 0.5  # three epochs of plain SGD: learning, not done
    series = {e.series for e in events if isinstance(e, Progress)}
    assert series == {"rank 0", "rank 1", "train"}
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert [e.epoch for e in epochs] == [1, 2, 3]
    for e in epochs:
        m = e.metrics
        assert m["train_loss"] == pytest.approx((m["train_loss_rank0"] + m["train_loss_rank1"]) / 2)
        assert m["train_loss_rank0"] != m["train_loss_rank1"]  # each rank saw its own half
        assert "val_accuracy" in m
    # each step of the `train` series is the mean of the two ranks' losses at that step
    steps = {}
    for e in events:
        if isinstance(e, Progress):
            steps.setdefault(e.step, {})[e.series] = e.loss
    for values in steps.values():
        assert values["train"] == pytest.approx((values["rank 0"] + values["rank 1"]) / 2)
    assert not any(alive(pid) for pid in rank_pids(events))


def test_one_process_at_64_and_two_at_32_draw_the_same_curve():
    events = list(run_events(scripted_run("ddp-batch-sizes", {"epochs": 2}), lambda: False))
    done = events[-1]
    assert done.status == "completed", done.reason
    curves = {}
    for e in events:
        if isinstance(e, Progress):
            curves.setdefault(e.series, []).append(e.loss)
    assert len(curves["1x64"]) == len(curves["2x32"]) < len(curves["1x32"])
    assert done.metrics["curve_gap"] < 1e-5
    assert abs(done.metrics["loss_1x32"] - done.metrics["loss_1x64"]) > 0.01
    print(
        f"\n1x64 vs 2x32: largest gap {done.metrics['curve_gap']:.2e} over {len(curves['1x64'])} steps"
    )


def test_the_comparison_reports_an_epoch_once_every_run_finished_it_in_any_order():
    """Rank 1's 2x32 line may arrive after rank 0's 1x32 line of the same epoch: the epoch is
    reported when the last of its runs is in, with that epoch's losses (no KeyError)."""
    from lab.engine.scripted.distributed import Result, epoch_end

    runs = [{"name": "1x64"}, {"name": "2x32"}, {"name": "1x32"}]
    result = Result()
    arrivals = [
        ("1x64", {0: {"train_loss": 0.9}}),
        ("1x32", {0: {"train_loss": 0.8}}),  # before the 2x32 run's epoch is whole
        ("2x32", {0: {"train_loss": 0.7}, 1: {"train_loss": 0.5}}),
    ]
    ends = [epoch_end(name, 1, per_rank, result, True, runs) for name, per_rank in arrivals]
    assert ends[:2] == [None, None]
    assert ends[2].metrics == {"loss_1x64": 0.9, "loss_2x32": 0.6, "loss_1x32": 0.8}
    assert not result.by_epoch


def test_a_stopped_comparison_reports_the_train_loss_its_end_would():
    """ddp-batch-sizes stopped after its first epoch: its train_loss is the 2x32 run's, as
    at its end, so the earlier-runs list and `lab runs` show it."""
    stop = {"now": False}
    events = []
    for event in run_events(scripted_run("ddp-batch-sizes", {"epochs": 50}), lambda: stop["now"]):
        events.append(event)
        stop["now"] = stop["now"] or isinstance(event, EpochEnd)
    done = events[-1]
    assert done.status == "stopped", done.reason
    [first] = [e for e in events if isinstance(e, EpochEnd)]
    assert done.metrics == {**first.metrics, "train_loss": first.metrics["loss_2x32"]}


def until_both_ranks_train(stream) -> list:
    """The events up to the first step of each rank: the run is in the middle of training."""
    seen, events = set(), []
    for event in stream:
        events.append(event)
        if isinstance(event, Progress):
            seen.add(event.series)
        if {"rank 0", "rank 1"} <= seen or isinstance(event, Done):
            break
    assert not isinstance(events[-1], Done), events[-1]
    return events


def ended(stream, pids: list[int]) -> tuple[Done, float]:
    """The run's Done and how long it took to come; every rank must be gone by then."""
    started = time.monotonic()
    done = next(e for e in stream if isinstance(e, Done))
    elapsed = time.monotonic() - started
    deadline = time.monotonic() + ENDED_WITHIN_S
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), "a rank outlived its run"
    return done, elapsed


def long_run():
    return scripted_run("ddp-digits", {"epochs": 500})


def test_a_killed_rank_ends_the_run_failed_and_no_process_is_left():
    stream = run_events(long_run(), lambda: False)
    pids = rank_pids(until_both_ranks_train(stream))
    assert set(pids) <= set(children(os.getpid()))
    os.kill(pids[1], signal.SIGKILL)
    done, elapsed = ended(stream, pids)
    assert done.status == "failed"
    assert done.reason.startswith("rank 1 died (signal 9, SIGKILL)"), done.reason
    assert done.reason.endswith("the other ranks were stopped")
    assert elapsed < ENDED_WITHIN_S
    assert not set(pids) & set(children(os.getpid()))
    print(f"\nkilled rank 1: the run ended {elapsed:.2f} s later: {done.reason}")


def test_stopping_ends_every_rank():
    stop = {"now": False}
    stream = run_events(long_run(), lambda: stop["now"])
    pids = rank_pids(until_both_ranks_train(stream))
    stop["now"] = True
    done, elapsed = ended(stream, pids)
    assert done.status == "stopped", done.reason
    assert done.reason.startswith("stopped at epoch")
    assert elapsed < ENDED_WITHIN_S
    print(f"\nstop: stopped {elapsed:.2f} s later, ranks gone")


def test_sighup_to_the_worker_ends_every_rank():
    """The real worker process, as the app forks it on a CPU; the terminal hangs up."""
    with RunProcess.fork() as worker:
        worker.send(long_run())
        stream = worker.events()
        pids = rank_pids(until_both_ranks_train(stream))
        assert sorted(children(worker.pid)) == sorted(pids)
        os.kill(worker.pid, signal.SIGHUP)
        done, elapsed = ended(stream, pids)
        assert worker.wait(5) is not None
    assert done.status == "stopped", done.reason
    assert elapsed < ENDED_WITHIN_S
    print(f"\nSIGHUP: stopped {elapsed:.2f} s later, ranks gone")


def test_a_killed_worker_takes_its_ranks_with_it():
    """SIGKILL leaves the worker no chance to clean up: each rank sees its stdin close."""
    worker = RunProcess.fork()
    worker.send(long_run())
    pids = rank_pids(until_both_ranks_train(worker.events()))
    worker.kill()
    deadline = time.monotonic() + ENDED_WITHIN_S
    while any(alive(p) for p in pids) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not any(alive(p) for p in pids), "a rank outlived its killed worker"
    assert worker.wait(5) is not None
