"""Provides the end-to-end pipeline experiment: the digits through a Dataset and DataLoaders, a
train loop and a test loop, the weights saved, loaded into a fresh model, and one prediction.

`train_loop`, `test_loop` and `predict_one` are the lesson's functions as it shows them (the
train loop takes a hook the lab calls before each update, so a run can pause and stop)."""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from lab.engine.datasets.scikit import digits
from lab.engine.divergence import Diverged, DivergenceWatch, diverged_reason, rose_reason
from lab.engine.events import EpochEnd, Log, Progress
from lab.engine.scripted.base import Context, Script, ScriptError

CLASSES = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]
"""The digits' class names, by class index (Fashion-MNIST's would be "T-shirt/top", ...)."""
VAL_SHARE = TEST_SHARE = 0.15


class DigitsNet(nn.Module):
    """The lesson's network: flatten the 8x8 image, one hidden layer, ten logits."""

    def __init__(self) -> None:
        super().__init__()
        self.flatten = nn.Flatten()
        self.stack = nn.Sequential(nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.stack(self.flatten(x))  # [N, 1, 8, 8] -> [N, 64] -> [N, 10]


def train_loop(
    loader: DataLoader,
    model: nn.Module,
    loss_fn: nn.Module,
    optimizer: torch.optim.Optimizer,
    before_update: Callable[[], None] = lambda: None,
) -> float:
    """One epoch of training; the mean loss over the epoch's samples (in training mode,
    while the weights move)."""
    model.train()
    total, count = 0.0, 0
    for X, y in loader:
        before_update()
        # forward and loss
        loss = loss_fn(model(X), y)  # the batch's mean
        # backward and update
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        # report: back to a sum, so a short last batch counts for its size
        total += loss.item() * len(y)
        count += len(y)
    return total / count


def test_loop(loader: DataLoader, model: nn.Module, loss_fn: nn.Module) -> tuple[float, float]:
    """The mean loss and the accuracy over the loader's samples, in evaluation mode."""
    model.eval()
    total, correct, count = 0.0, 0, 0
    with torch.no_grad():
        for X, y in loader:
            logits = model(X)  # [batch, 10]
            total += loss_fn(logits, y).item() * len(y)
            correct += (logits.argmax(dim=1) == y).sum().item()
            count += len(y)
    return total / count, correct / count


def predict_one(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The class probabilities for ONE input without its batch dimension ([1, 8, 8])."""
    model.eval()
    with torch.no_grad():
        logits = model(x.unsqueeze(0))  # [1, 1, 8, 8] -> [1, 10]
    return torch.softmax(logits, dim=1)[0]  # [10]


def end_to_end(args: dict[str, Any], ctx: Context) -> Script:
    """Data, model, train and test loops, save, load into a fresh model, predict one digit."""
    seed, lr = int(args["seed"]), float(args["lr"])
    batch_size, sample = int(args["batch_size"]), int(args["sample"])
    num_epochs = ctx.limit(args["epochs"], smoke_n=1)
    # data: the 8x8 digits scaled to 0..1 as ToTensor scales pixels, split 70/15/15
    arrays = digits()
    X, y = torch.from_numpy(arrays.X), torch.from_numpy(arrays.y)  # [N, 1, 8, 8], [N] int64
    order = torch.randperm(len(y), generator=torch.Generator().manual_seed(seed))
    n_test, n_val = round(TEST_SHARE * len(y)), round(VAL_SHARE * len(y))
    test_i, val_i, train_i = order[:n_test], order[n_test : n_test + n_val], order[n_test + n_val :]
    if not 0 <= sample < n_test:
        raise ScriptError(f"sample must be between 0 and {n_test - 1}, not {sample}")
    train_data = TensorDataset(X[train_i], y[train_i])
    val_data = TensorDataset(X[val_i], y[val_i])
    test_data = TensorDataset(X[test_i], y[test_i])
    loader_gen = torch.Generator().manual_seed(seed)
    train_loader = DataLoader(train_data, batch_size=batch_size, shuffle=True, generator=loader_gen)
    val_loader = DataLoader(val_data, batch_size=batch_size)
    test_loader = DataLoader(test_data, batch_size=batch_size)
    # model, loss, optimizer
    torch.manual_seed(seed)
    model = DigitsNet()
    ctx.show_model(model, X[:batch_size])
    loss_fn = nn.CrossEntropyLoss()
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    yield Log(
        f"{len(train_data)} training, {len(val_data)} validation and {len(test_data)} test "
        f"images; {len(train_loader)} batches of up to {batch_size} per epoch"
    )
    # the epoch loop: train, then measure on the validation split
    steps = 0
    train_loss = val_loss = val_accuracy = float("nan")
    model.eval()
    with torch.no_grad():  # the loss at the start, which a blow-up is judged against
        watch = DivergenceWatch(loss_fn(model(X[train_i]), y[train_i]).item())
    for epoch in range(1, num_epochs + 1):
        train_loss = train_loop(train_loader, model, loss_fn, optimizer, ctx.before_update)
        steps += len(train_loader)
        if watch.diverged(train_loss):  # the epoch's mean: nan or far above the first's
            raise Diverged(diverged_reason(train_loss, steps, lr), ctx.metrics)
        if watch.rose(train_loss):
            assert watch.first is not None
            raise Diverged(rose_reason(watch.first, train_loss, epoch, lr), ctx.metrics)
        val_loss, val_accuracy = test_loop(val_loader, model, loss_fn)
        ctx.metrics.update(train_loss=train_loss, val_loss=val_loss, val_accuracy=val_accuracy)
        yield Progress(epoch, steps, train_loss, 0.0)
        yield EpochEnd(epoch, dict(ctx.metrics))
        ctx.epoch_done()
    # the test split, once, at the end
    test_loss, test_accuracy = test_loop(test_loader, model, loss_fn)
    yield Log(f"test loop: mean loss {test_loss:.4f}, accuracy {test_accuracy:.1%}")
    # save the state_dict, load it into a fresh model, compare their outputs
    torch.manual_seed(seed + 1)  # other starting weights than the trained model's
    fresh = DigitsNet()
    with torch.no_grad():
        before = (fresh(X[test_i]) - model(X[test_i])).abs().max().item()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "digits_net.pt"
        torch.save(model.state_dict(), path)
        size = path.stat().st_size
        fresh.load_state_dict(torch.load(path, weights_only=True))
    fresh.eval()
    with torch.no_grad():
        after = (fresh(X[test_i]) - model(X[test_i])).abs().max().item()
    yield Log(
        f"saved the state_dict ({len(model.state_dict())} tensors, {size:,} bytes) and loaded "
        f"it into a fresh DigitsNet: the largest output difference went from {before:.3f} "
        f"to {after:g}"
    )
    # predict one held-out image: add the batch dimension, softmax, argmax, the class name
    x, label = test_data[sample]  # x: [1, 8, 8], no batch dimension
    probs = predict_one(fresh, x)
    predicted = int(probs.argmax())
    shown = ", ".join(f"{CLASSES[k]}: {p:.3f}" for k, p in enumerate(probs.tolist()))
    yield Log(f"test image {sample}: x.shape {list(x.shape)}, x.unsqueeze(0).shape [1, 1, 8, 8]")
    yield Log(f"probabilities: {shown}")
    verdict = "right" if predicted == int(label) else "wrong"
    yield Log(
        f'predicted "{CLASSES[predicted]}" with probability {probs[predicted]:.3f}; '
        f'the true class is "{CLASSES[int(label)]}" ({verdict})'
    )
    return {
        "train_loss": train_loss,
        "val_loss": val_loss,
        "val_accuracy": val_accuracy,
        "test_loss": test_loss,
        "test_accuracy": test_accuracy,
        "reload_max_diff": after,
        "predicted": float(predicted),
        "true_class": float(label),
        "probability": float(probs[predicted]),
    }
