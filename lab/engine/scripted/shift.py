"""Provides the scripted experiment about data that drifts from the training data:
covariate-shift."""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lab.engine.datasets import load_arrays
from lab.engine.datasets.split import split_indices
from lab.engine.divergence import DivergenceWatch
from lab.engine.events import EpochEnd, Log, Progress
from lab.engine.scripted.base import Context, Script, ScriptError, accuracy, train_epoch
from lab.text import plural

WIDTH = 8
"""The digits are 8 x 8 pixels."""


def shift_right(images: torch.Tensor, pixels: int) -> torch.Tensor:
    """The images moved `pixels` columns to the right; the columns they leave are 0 (the
    background) and nothing wraps round to the other side."""
    out = torch.zeros_like(images)
    width = images.shape[-1]
    out[..., pixels:] = images[..., : width - pixels]
    return out


def covariate_shift(args: dict[str, Any], ctx: Context) -> Script:
    """An MLP trained on the digits as they are, tested on the test images as they are and
    on the same images moved `pixels` to the right: the labels stay, the inputs drift."""
    seed, pixels, hidden = int(args["seed"]), int(args["pixels"]), int(args["hidden"])
    lr, batch_size = float(args["lr"]), 32
    epochs = ctx.limit(args["epochs"], smoke_n=2)
    if not 0 <= pixels < WIDTH:
        raise ScriptError(f"pixels must lie between 0 and {WIDTH - 1}, not {pixels}")
    arrays = load_arrays("digits", {}, seed)
    train_i, test_i = split_indices(len(arrays.y), 0.15, seed, arrays.y)
    X, y = torch.from_numpy(arrays.X), torch.from_numpy(arrays.y)
    X_train, y_train, X_test, y_test = X[train_i], y[train_i], X[test_i], y[test_i]
    X_moved = shift_right(X_test, pixels)
    torch.manual_seed(seed)
    model = nn.Sequential(
        nn.Flatten(), nn.Linear(WIDTH * WIDTH, hidden), nn.ReLU(), nn.Linear(hidden, 10)
    )
    ctx.show_model(model, X_train[:batch_size])
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    n = len(y_train)
    yield Log(
        f"{n} training digits as they are; {len(y_test)} test digits, "
        f"as they are and moved {plural(pixels, 'pixel')} to the right"
    )
    watch = DivergenceWatch()
    for epoch in range(1, epochs + 1):
        data = (X_train, y_train, torch.randperm(n, generator=gen))
        loss = train_epoch(ctx, model, optimizer, loss_fn, data, batch_size, epoch, watch, lr)
        figures = {
            "train_loss": loss,
            "test_accuracy": accuracy(model, X_test, y_test),
            "shifted_accuracy": accuracy(model, X_moved, y_test),
        }
        figures["accuracy_drop"] = figures["test_accuracy"] - figures["shifted_accuracy"]
        ctx.metrics.update(figures)
        yield Progress(epoch, epoch, figures["train_loss"], 0.0)
        yield Log(
            f"epoch {epoch}: test accuracy {figures['test_accuracy']:.1%} as they are, "
            f"{figures['shifted_accuracy']:.1%} moved {plural(pixels, 'pixel')}"
        )
        yield EpochEnd(epoch, dict(figures))
        ctx.epoch_done()
    by_shift = [f"{k} px {accuracy(model, shift_right(X_test, k), y_test):.1%}" for k in range(4)]
    yield Log("test accuracy by shift: " + ", ".join(by_shift))
    return dict(ctx.metrics)
