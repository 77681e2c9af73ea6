"""The pipeline experiment: its loops measure what the lesson says, the reloaded model is the
trained one, and the single prediction is the model's answer for that image. (`test_loop` is
reached as `pipe.test_loop`: imported bare, pytest would collect it as a test.)"""

from __future__ import annotations

import re

import pytest
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lab.engine.events import Log, Start
from lab.engine.scripted import pipeline as pipe
from lab.engine.scripted.pipeline import DigitsNet, predict_one, train_loop
from tests.engine.conftest import done_of, run_all, scripted_run


def _data(n: int = 70) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(0)
    return torch.rand(n, 1, 8, 8, generator=gen), torch.randint(0, 10, (n,), generator=gen)


def test_the_loops_average_over_samples_when_the_last_batch_is_short():
    X, y = _data()  # batches of 32, 32 and 6
    loader = DataLoader(TensorDataset(X, y), batch_size=32)
    torch.manual_seed(0)
    model = DigitsNet()
    loss_fn = nn.CrossEntropyLoss()
    with torch.no_grad():
        logits = model(X)
    whole = loss_fn(logits, y).item()
    accuracy = (logits.argmax(dim=1) == y).float().mean().item()
    assert pipe.test_loop(loader, model, loss_fn) == pytest.approx((whole, accuracy), abs=1e-6)
    assert not model.training
    # lr 0: the weights stay put, so the epoch's mean is the whole set's loss
    frozen = torch.optim.SGD(model.parameters(), lr=0.0)
    assert train_loop(loader, model, loss_fn, frozen) == pytest.approx(whole, abs=1e-6)
    assert model.training


def test_the_train_loop_steps_once_a_batch_from_fresh_gradients():
    X, y = _data()
    loader = DataLoader(TensorDataset(X, y), batch_size=32)
    torch.manual_seed(0)
    model = DigitsNet()
    loss_fn = nn.CrossEntropyLoss()
    expected = [p.detach().clone() for p in model.parameters()]
    for start in range(0, len(y), 32):  # plain SGD by hand, gradients of each batch alone
        torch.manual_seed(0)
        copy = DigitsNet()
        with torch.no_grad():
            for p, e in zip(copy.parameters(), expected, strict=True):
                p.copy_(e)
        loss_fn(copy(X[start : start + 32]), y[start : start + 32]).backward()
        expected = [e - 0.5 * p.grad for p, e in zip(copy.parameters(), expected, strict=True)]
    train_loop(loader, model, loss_fn, torch.optim.SGD(model.parameters(), lr=0.5))
    for p, e in zip(model.parameters(), expected, strict=True):
        assert torch.allclose(p, e, atol=1e-6)


def test_predict_one_adds_the_batch_dimension_and_softmaxes_over_the_classes():
    X, _ = _data(5)
    model = nn.Sequential(nn.Flatten(), nn.Linear(64, 32), nn.Dropout(0.5), nn.Linear(32, 10))
    model.eval()
    with torch.no_grad():
        expected = torch.softmax(model(X), dim=1)[3]
    model.train()  # predict_one must switch dropout off itself
    probs = predict_one(model, X[3])  # [1, 8, 8]: one image, no batch dimension
    assert probs.shape == (10,)
    assert torch.allclose(probs, expected, atol=1e-6)


def test_the_run_reloads_the_same_model_and_predicts_one_test_digit(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    events = run_all(scripted_run("pipeline"))
    done = done_of(events)
    assert done.status == "completed", (done.reason, done.traceback)
    metrics = done.metrics
    assert metrics["reload_max_diff"] == 0.0
    assert metrics["test_accuracy"] > 0.9
    logs = [e.text for e in events if isinstance(e, Log)]
    shown = next(t for t in logs if t.startswith("probabilities: "))
    probs = [float(p) for p in re.findall(r"\d: ([0-9.]+)", shown)]
    assert len(probs) == 10 and sum(probs) == pytest.approx(1.0, abs=0.01)
    assert metrics["predicted"] == probs.index(max(probs))
    assert metrics["probability"] == pytest.approx(max(probs), abs=1e-3)
    said = f'predicted "{int(metrics["predicted"])}"'
    assert any(t.startswith(said) for t in logs)
    assert not list(tmp_path.rglob("*.pt"))  # the saved file went with its temporary folder


def test_another_sample_is_another_test_image():
    labels = {
        done_of(run_all(scripted_run("pipeline", {"epochs": 1, "sample": s}))).metrics["true_class"]
        for s in range(4)
    }
    assert len(labels) > 1


def test_the_start_describes_the_network_it_trains():
    start = run_all(scripted_run("pipeline", smoke=True))[0]
    assert isinstance(start, Start)
    assert start.parameters == 64 * 64 + 64 + 64 * 10 + 10
    assert "Linear" in start.summary
