"""The training loop: it learns, it is deterministic, it stops, diverges and fails readably."""

from __future__ import annotations

import time

import pytest
import torch

from lab.catalog import allowlists as allow
from lab.engine.events import EpochEnd, Log, Progress, Start, View
from lab.engine.loop import Reporter, run_events
from tests.engine.conftest import digits_mlp, done_of, run_all, short_last_batch, train_run


def _losses(events):
    return [e.loss for e in events if isinstance(e, Progress)], [
        e.metrics for e in events if isinstance(e, EpochEnd)
    ]


def test_linear_regression_on_y_equals_2x_recovers_w_and_b():
    spec = {
        "dataset": {"name": "linear-tiny", "split": {"val": 0, "test": 0}},
        "model": {"layers": [{"Linear": [1, 1], "name": "fc"}]},
        "loss": "mse",
        "optimizer": {"name": "sgd", "lr": 0.05},
        "epochs": 500,
        "batch_size": 3,
    }
    from lab.engine import loop

    captured = {}
    original = loop.check_shapes

    def keep(model, *args):
        captured["model"] = model
        return original(model, *args)

    loop.check_shapes = keep
    try:
        events = run_all(train_run(spec))
    finally:
        loop.check_shapes = original
    done = done_of(events)
    assert done.status == "completed" and done.metrics["train_loss"] < 1e-3
    fc = captured["model"].fc
    assert fc.weight.item() == pytest.approx(2.0, abs=0.05)
    assert fc.bias.item() == pytest.approx(0.0, abs=0.1)


def test_an_mlp_on_digits_reaches_90_percent_within_seconds():
    started = time.perf_counter()
    events = run_all(train_run(digits_mlp()))
    elapsed = time.perf_counter() - started
    done = done_of(events)
    assert done.status == "completed", done.reason
    assert done.metrics["val_accuracy"] >= 0.90
    assert {"train_loss", "val_loss", "test_loss", "test_accuracy"} <= set(done.metrics)
    assert elapsed < 15
    start = events[0]
    assert isinstance(start, Start) and start.parameters == 64 * 64 + 64 + 64 * 10 + 10
    assert "Linear" in start.summary and start.torch_version == torch.__version__


def test_same_spec_and_seed_give_the_same_losses_bit_for_bit():
    spec = train_run(digits_mlp(epochs=2, model={"builder": "mlp", "args": {"dropout": 0.2}}))
    first, second = run_all(spec), run_all(spec)
    assert _losses(first)[1] == _losses(second)[1]
    assert done_of(first).metrics == done_of(second).metrics
    other = run_all(train_run(digits_mlp(epochs=2, seed=1)))
    assert _losses(other)[1] != _losses(first)[1]


def test_the_epoch_train_loss_weighs_each_sample_equally_when_the_last_batch_is_short(
    monkeypatch,
):
    """Three samples in batches of 2: each epoch has a full batch and a short one. The epoch's
    train_loss is the mean over its samples (each step's loss times its batch size), not the
    mean of its two steps, which would count the lone sample as much as the pair."""

    steps: list[tuple[float, int]] = []  # (loss, batch size) of every training step

    class RecordingMSE(torch.nn.MSELoss):
        def forward(self, y_hat, y):
            value = super().forward(y_hat, y)
            if torch.is_grad_enabled():  # a training step, not an evaluation
                steps.append((value.item(), len(y)))
            return value

    monkeypatch.setattr(torch.nn, "MSELoss", RecordingMSE)
    events = run_all(train_run(short_last_batch(shuffle=False)))
    assert done_of(events).status == "completed"
    epochs = [e.metrics["train_loss"] for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 3 and [n for _, n in steps] == [2, 1] * 3
    for number, reported in enumerate(epochs):
        (first, n1), (second, n2) = steps[2 * number : 2 * number + 2]
        by_sample = (first * n1 + second * n2) / (n1 + n2)
        by_step = (first + second) / 2
        assert reported == pytest.approx(by_sample, rel=1e-12)
        assert abs(by_sample - by_step) > 1e-3 * by_sample  # the two means do differ here


def test_a_learning_rate_of_100_diverges_with_advice():
    spec = digits_mlp(optimizer={"name": "sgd", "lr": 100}, epochs=3)
    done = done_of(run_all(train_run(spec)))
    assert done.status == "diverged"
    assert "step" in done.reason and "100" in done.reason
    assert "try a smaller learning rate, e.g. 10" in done.reason


def test_stop_ends_the_run_with_stopped_and_the_metrics_so_far():
    calls = {"n": 0}

    def should_stop():
        calls["n"] += 1
        return calls["n"] > 60  # in the second epoch

    done = done_of(run_all(train_run(digits_mlp(epochs=50)), should_stop))
    assert done.status == "stopped" and "train_loss" in done.metrics


def test_an_unexpected_error_fails_with_a_readable_reason_and_the_traceback():
    # BCE needs outputs in [0, 1]; a bare Linear gives any value.
    spec = {
        "dataset": {"name": "moons"},
        "model": {"layers": [{"Linear": [2, 1]}]},
        "loss": "bce",
        "optimizer": {"name": "sgd", "lr": 0.1},
    }
    done = done_of(run_all(train_run(spec)))
    assert done.status == "failed"
    assert done.reason.startswith("RuntimeError: ") and "\n" not in done.reason
    assert "Traceback" in done.traceback


def test_a_missing_download_fails_in_one_line(tmp_path):
    spec = digits_mlp(dataset={"name": "mnist"})
    done = done_of(run_all(train_run(spec, data_cache=tmp_path)))
    assert done.status == "failed" and "lab data fetch mnist" in done.reason
    assert done.traceback is None


def test_early_stopping_restores_the_best_weights():
    spec = digits_mlp(
        epochs=200,
        optimizer={"name": "adam", "lr": 0.05},
        early_stopping={"patience": 2, "min_delta": 0.0},
    )
    events = run_all(train_run(spec))
    done = done_of(events)
    logs = [e.text for e in events if isinstance(e, Log)]
    assert any(t.startswith("early stopping at epoch") for t in logs)
    assert any(t.startswith("restored epoch") for t in logs)
    epochs = _losses(events)[1]
    assert len(epochs) < 200
    assert done.metrics["val_loss"] == pytest.approx(min(m["val_loss"] for m in epochs))


def test_early_stopping_restores_the_best_weights_when_the_epochs_run_out_first():
    # patience never runs out in 6 epochs, but the last epoch is worse than the fifth
    spec = digits_mlp(
        epochs=6,
        optimizer={"name": "adam", "lr": 0.05},
        early_stopping={"patience": 100, "min_delta": 0.0},
    )
    events = run_all(train_run(spec))
    epochs = _losses(events)[1]
    val = [m["val_loss"] for m in epochs]
    assert len(epochs) == 6 and val.index(min(val)) < 5, "the test needs a rise at the end"
    assert any(e.text.startswith("restored epoch") for e in events if isinstance(e, Log))
    assert done_of(events).metrics["val_loss"] == pytest.approx(min(val))


def test_without_restore_best_the_last_weights_stay():
    spec = digits_mlp(
        epochs=6,
        optimizer={"name": "adam", "lr": 0.05},
        early_stopping={"patience": 100, "min_delta": 0.0, "restore_best": False},
    )
    events = run_all(train_run(spec))
    val = [m["val_loss"] for m in _losses(events)[1]]
    assert val[-1] > min(val), "the test needs a last epoch worse than the best"
    assert not any(e.text.startswith("restored") for e in events if isinstance(e, Log))
    assert done_of(events).metrics["val_loss"] == pytest.approx(val[-1])


@pytest.mark.parametrize("optimizer", allow.OPTIMIZERS)
def test_every_optimizer_trains(optimizer):
    opt = {"name": optimizer, "lr": 0.01}
    if optimizer == "sgd":
        opt.update(lr=0.1, momentum=0.9, nesterov=True, weight_decay=1e-4)
    spec = digits_mlp(optimizer=opt, epochs=2, schedule={"name": "step", "step_size": 1})
    events = run_all(train_run(spec))
    done = done_of(events)
    epochs = _losses(events)[1]
    assert done.status == "completed" and epochs[1]["train_loss"] < epochs[0]["train_loss"]


@pytest.mark.parametrize(
    ("loss", "dataset", "layers"),
    [
        ("mse", "linear", [{"Linear": [1, 1]}]),
        ("l1", "linear", [{"Linear": [1, 1]}]),
        ("bce", "hours-pass", [{"Linear": [1, 1]}, "Sigmoid"]),
        ("bce_with_logits", "xor", [{"Linear": [2, 8]}, "Tanh", {"Linear": [8, 1]}]),
        ("cross_entropy", "spirals", [{"Linear": [2, 16]}, "ReLU", {"Linear": [16, 2]}]),
    ],
)
def test_every_loss_trains(loss, dataset, layers):
    spec = {
        "dataset": {"name": dataset, "normalize": "standard"},
        "model": {"layers": layers},
        "loss": loss,
        "optimizer": {"name": "adam", "lr": 0.05},
        "epochs": 3,
        "schedule": {"name": "cosine"},
    }
    events = run_all(train_run(spec))
    done = done_of(events)
    assert done.status == "completed", done.reason
    assert ("val_accuracy" in done.metrics) == allow.LOSSES[loss].classify


def test_the_dataloader_path_gives_the_same_kind_of_run():
    done = done_of(run_all(train_run(digits_mlp(epochs=1, loader="dataloader"))))
    assert done.status == "completed" and done.metrics["val_accuracy"] > 0.5


def test_a_small_cnn_on_digits_trains():
    spec = digits_mlp(model={"builder": "small-cnn", "args": {"channels": [8, 16]}}, epochs=1)
    done = done_of(run_all(train_run(spec)))
    assert done.status == "completed" and done.metrics["val_accuracy"] > 0.5


def test_smoke_runs_one_epoch_on_a_tiny_subset():
    events = run_all(train_run(digits_mlp(epochs=20), smoke=True))
    epochs = [e for e in events if isinstance(e, EpochEnd)]
    assert len(epochs) == 1 and done_of(events).status == "completed"


def test_progress_is_rate_limited_and_loses_nothing(monkeypatch):
    clock = {"t": 0.0}
    monkeypatch.setattr("lab.engine.loop.time.perf_counter", lambda: clock["t"])
    reporter = Reporter(every=0.05)
    events = []
    for step in range(1, 1001):  # 1,000 steps in one simulated second
        clock["t"] = step / 1000
        event = reporter.add(1, step, float(step), 1)
        if event:
            events.append(event)
    events.append(reporter.flush(1, 1000))
    assert len(events) <= 22  # about 20 a second, plus the first and the last
    # Each event is the mean of its steps: weighted back, they give the whole sum.
    steps = [e.step for e in events]
    counts = [b - a for a, b in zip([0, *steps], steps, strict=False)]
    total = sum(e.loss * c for e, c in zip(events, counts, strict=True))
    assert total == pytest.approx(sum(range(1, 1001)))


def test_a_real_run_emits_at_most_about_20_progress_events_a_second():
    started = time.perf_counter()
    events = list(run_events(train_run(digits_mlp(epochs=3, batch_size=8)), lambda: False))
    elapsed = time.perf_counter() - started
    progress = [e for e in events if isinstance(e, Progress)]
    steps = progress[-1].step
    assert steps > 400 and len(progress) <= 20 * elapsed + 3 * 2  # plus a flush per epoch


@pytest.mark.parametrize(("lr", "step"), [(1.5, 2), (0.2, 7)])
def test_a_diverged_run_sends_its_pictures_at_the_step_it_diverged(lr, step):
    """gd-diverge: lr 1.5 blows up at step 2, lr 0.2 climbs until epoch 7 (one step an
    epoch); the pictures show that moment, not the first step (views come at a bounded rate)."""
    spec = {
        "dataset": {"name": "linear-tiny", "split": {"val": 0, "test": 0}},
        "model": {"layers": [{"Linear": [1, 1]}]},
        "loss": "mse",
        "optimizer": {"name": "sgd", "lr": lr},
        "epochs": 300,
        "batch_size": 3,
        "shuffle": False,
    }
    events = run_all(train_run(spec))
    assert done_of(events).status == "diverged"
    last_views = {e.kind: e.step for e in events if isinstance(e, View)}
    assert last_views == {"fit": step, "surface": step, "weights": step}
