"""Scripted experiments emit the usual events and report the metrics the allow-list promises."""

from __future__ import annotations

import pytest

from lab.catalog import allowlists as allow
from lab.engine.events import EpochEnd, Log, Progress, Start
from tests.engine.conftest import done_of, run_all, scripted_run


@pytest.mark.parametrize("name", sorted(allow.SCRIPTED))
def test_each_scripted_experiment_reports_its_metrics(name):
    events = run_all(scripted_run(name, smoke=True))
    done = done_of(events)
    assert isinstance(events[0], Start)
    assert done.status == "completed", (done.reason, done.traceback)
    assert set(done.metrics) == set(allow.SCRIPTED[name]["metrics"])


def test_cost_sweep_finds_w_2_with_one_point_per_w():
    events = run_all(scripted_run("cost-sweep"))
    done = done_of(events)
    assert done.metrics == {"best_w": 2.0, "min_cost": 0.0}
    points = [e for e in events if isinstance(e, Progress)]
    assert len(points) == 41 and points[0].loss == pytest.approx(56 / 3)  # w = 0
    assert any(isinstance(e, Log) and e.text.startswith("w=2 ") for e in events)


def test_manual_gd_and_autograd_walk_w_towards_2():
    gd = done_of(run_all(scripted_run("manual-gd", {"lr": 0.05, "epochs": 100})))
    assert gd.metrics["w"] == pytest.approx(2.0, abs=1e-3)
    auto = run_all(scripted_run("autograd", {"lr": 0.05, "epochs": 2000}))
    done = done_of(auto)
    assert done.metrics["w"] == pytest.approx(2.0, abs=0.02)
    assert done.metrics["b"] == pytest.approx(0.0, abs=0.05)
    assert any(isinstance(e, Log) and "w.grad=" in e.text for e in auto)


def test_batch_modes_draw_three_curves():
    events = run_all(scripted_run("batch-modes", {"epochs": 5}))
    series = {e.series for e in events if isinstance(e, Progress)}
    assert series == {"full", "minibatch", "stochastic"}
    assert len([e for e in events if isinstance(e, EpochEnd)]) == 5
    done = done_of(events)
    # Many small steps per epoch get further than one big one.
    assert done.metrics["stochastic_loss"] < done.metrics["full_loss"]


def test_manual_vs_adam_on_note_003s_network():
    events = run_all(scripted_run("manual-vs-adam", {"steps": 50}))
    done = done_of(events)
    assert {e.series for e in events if isinstance(e, Progress)} == {"manual", "adam"}
    assert done.metrics["adam_loss"] < done.metrics["manual_loss"]


def test_save_resume_continues_exactly_only_with_the_optimizer_state():
    events = run_all(scripted_run("save-resume", {"epochs": 4, "stop_at": 2}))
    done = done_of(events)
    series = {e.series for e in events if isinstance(e, Progress)}
    assert series == {"uninterrupted", "resumed", "weights_only"}
    assert done.metrics["resume_gap"] == 0
    assert done.metrics["resumed_loss"] == done.metrics["uninterrupted_loss"]
    # a fresh Adam moves every weight by about lr at once: that run ends elsewhere
    assert done.metrics["weights_only_loss"] != done.metrics["uninterrupted_loss"]
    assert any("saved model and optimizer state" in e.text for e in events if isinstance(e, Log))


def test_stratified_split_keeps_class_shares_closer():
    done = done_of(run_all(scripted_run("stratified-split")))
    assert done.metrics["max_gap_stratified"] < done.metrics["max_gap_random"]


def test_dataloader_shapes_counts_the_batches():
    events = run_all(scripted_run("dataloader-shapes", {"batch_size": 100}))
    done = done_of(events)
    assert done.metrics == {"batches": 18.0, "batch_size": 100.0, "samples": 1797.0}
    texts = [e.text for e in events if isinstance(e, Log)]
    assert any("X [100, 1, 8, 8]" in t for t in texts)
    assert any("the last batch is smaller: 97" in t for t in texts)


def test_a_scripted_run_can_be_stopped():
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 10

    done = done_of(run_all(scripted_run("manual-gd"), should_stop))
    assert done.status == "stopped" and "w" in done.metrics


def _stopped_after(name: str, checks: int):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > checks

    events = run_all(scripted_run(name), should_stop)
    done = done_of(events)
    assert done.status == "stopped", done.reason
    last = {e.series: e.loss for e in events if isinstance(e, Progress)}  # each series' latest
    return done, last


def test_a_stopped_scripted_run_ends_with_the_figures_it_had():
    """What a stop reports is what the run had measured, under the names its end would use:
    the earlier-runs list and `lab runs` show them."""
    done, last = _stopped_after("manual-vs-adam", 50)  # in the manual series
    assert done.metrics == {"manual_loss": last["manual"]}
    done, last = _stopped_after("manual-vs-adam", 400)  # in the Adam series (300 steps each)
    assert set(done.metrics) == set(allow.SCRIPTED["manual-vs-adam"]["metrics"])
    assert done.metrics["adam_loss"] == done.metrics["train_loss"] == last["adam"]
    assert done.metrics["manual_loss"] == last["manual"]
    # batch-modes, stopped inside its first epoch: the full batch mode has measured its loss,
    # the others still have the loss they all started from
    done, last = _stopped_after("batch-modes", 5)
    assert set(done.metrics) == set(allow.SCRIPTED["batch-modes"]["metrics"])
    assert set(last) == {"full"} and done.metrics["full_loss"] == last["full"]
    assert done.metrics["minibatch_loss"] == done.metrics["stochastic_loss"]
    assert done.metrics["train_loss"] == done.metrics["minibatch_loss"] > last["full"]
