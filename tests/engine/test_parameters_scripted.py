"""gradient-accumulation and freeze-layers compute what the lesson on parameters says."""

from __future__ import annotations

import pytest

from lab.catalog import allowlists as allow
from lab.engine.events import Progress
from tests.engine.conftest import done_of, run_all, scripted_run


def _run(name: str, args: dict):
    events = run_all(scripted_run(name, args))
    done = done_of(events)
    assert done.status == "completed", (done.reason, done.traceback)
    return events, done.metrics


def test_k_micro_batches_divided_by_k_give_the_big_batchs_gradient():
    events, metrics = _run("gradient-accumulation", {"epochs": 2})
    assert metrics["max_grad_diff"] < 1e-5  # float round-off, no more
    assert metrics["max_weight_diff"] < 1e-5
    assert metrics["accumulated_loss"] == pytest.approx(metrics["big_batch_loss"], abs=1e-5)
    curves: dict[str, list[float]] = {}
    for e in events:
        if isinstance(e, Progress):
            curves.setdefault(e.series, []).append(e.loss)
    # 1257 training digits, whole steps of 4 x 16: 19 an epoch, on both curves
    assert {name: len(c) for name, c in curves.items()} == {"big batch": 38, "accumulated": 38}
    assert curves["accumulated"] == pytest.approx(curves["big batch"], abs=1e-5)
    assert curves["big batch"][-1] < curves["big batch"][0]


def test_one_micro_batch_is_the_big_batch_exactly():
    _, metrics = _run("gradient-accumulation", {"k": 1, "micro_batch": 64, "epochs": 1})
    assert metrics["max_grad_diff"] == 0.0 and metrics["max_weight_diff"] == 0.0


def test_losses_not_divided_by_k_give_k_times_the_gradient():
    _, metrics = _run("gradient-accumulation", {"divide": False, "epochs": 1})
    assert metrics["max_grad_diff"] > 0.1
    assert metrics["accumulated_loss"] != pytest.approx(metrics["big_batch_loss"], abs=1e-3)


def test_a_frozen_hidden_layer_keeps_its_weights_and_leaves_the_output_layer_to_train():
    _, metrics = _run("freeze-layers", {"epochs": 2})
    assert metrics["trainable_all"] == 64 * 32 + 32 + 32 * 10 + 10 == 2410
    assert metrics["trainable_frozen"] == 32 * 10 + 10 == 330
    assert metrics["frozen_weight_change"] == 0.0
    assert metrics["trained_weight_change"] > 0.01
    assert 0.1 < metrics["frozen_test_accuracy"] <= 1 and 0.1 < metrics["all_test_accuracy"] <= 1


def test_freezing_the_output_layer_leaves_the_hidden_layer_to_train():
    _, metrics = _run("freeze-layers", {"layer": "out", "hidden": 8, "epochs": 1})
    assert metrics["trainable_all"] == 64 * 8 + 8 + 8 * 10 + 10
    assert metrics["trainable_frozen"] == 64 * 8 + 8
    assert metrics["frozen_weight_change"] == 0.0


@pytest.mark.parametrize("name", ["gradient-accumulation", "freeze-layers"])
def test_a_stop_reports_figures_under_the_names_the_end_uses(name):
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 60  # inside the second epoch

    done = done_of(run_all(scripted_run(name), should_stop))
    assert done.status == "stopped", done.reason
    assert done.metrics and set(done.metrics) <= set(allow.SCRIPTED[name]["metrics"])
