"""Provides the scripted experiment about checkpoints: save-resume."""

from __future__ import annotations

import io
from typing import Any

import torch
from torch import nn

from lab.engine.datasets import load_data
from lab.engine.divergence import DivergenceWatch
from lab.engine.events import EpochEnd, Log, Progress
from lab.engine.scripted.base import Context, Script, ScriptError, train_epoch

SERIES = ("uninterrupted", "resumed", "weights_only")


def save_resume(args: dict[str, Any], ctx: Context) -> Script:
    """The digits MLP with Adam, saved to a checkpoint after `stop_at` epochs and trained on
    three ways: without a break, resumed from model and optimizer state, resumed from the
    weights alone with a fresh Adam."""
    seed, lr = int(args["seed"]), float(args["lr"])
    num_epochs = ctx.limit(args["epochs"], smoke_n=3)
    stop_at = min(int(args["stop_at"]), num_epochs - 1) if ctx.smoke else int(args["stop_at"])
    if not 1 <= stop_at < num_epochs:
        raise ScriptError(f"stop_at ({stop_at}) must lie between 1 and epochs - 1")
    spec = {"dataset": {"name": "digits", "normalize": "standard"}, "seed": seed}
    data = load_data({"spec": spec}, "cross_entropy")
    X, y = data.X_train, data.y_train
    loss_fn = nn.CrossEntropyLoss()

    def new_model() -> nn.Module:
        return nn.Sequential(nn.Flatten(), nn.Linear(64, 64), nn.ReLU(), nn.Linear(64, 10))

    def one_epoch(model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int) -> float:
        # The same shuffle for every series: the order depends on the epoch only.
        order = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed + epoch))
        model.train()
        return train_epoch(ctx, model, optimizer, loss_fn, (X, y, order), 32, epoch, watch, lr)

    def val_loss(model: nn.Module) -> float:
        model.eval()
        with torch.no_grad():
            return loss_fn(model(data.X_val), data.y_val).item()

    torch.manual_seed(seed)
    models = {"uninterrupted": new_model()}
    ctx.show_model(models["uninterrupted"], X[:1])
    with torch.no_grad():  # the loss at the start, over the whole training set
        first = loss_fn(models["uninterrupted"](X), y).item()
    watch = DivergenceWatch(first)
    optimizers = {"uninterrupted": torch.optim.Adam(models["uninterrupted"].parameters(), lr)}
    yield Log(f"Adam lr={lr:g}; a checkpoint after epoch {stop_at} of {num_epochs}")
    checkpoint = io.BytesIO()
    for epoch in range(1, num_epochs + 1):
        for name in list(models):
            train = one_epoch(models[name], optimizers[name], epoch)
            ctx.metrics[f"{name}_loss"] = val_loss(models[name])
            yield Progress(epoch, epoch, train, 0.0, series=name)
        yield EpochEnd(epoch, {f"{name}_loss": ctx.metrics[f"{name}_loss"] for name in models})
        ctx.epoch_done()
        if epoch == stop_at:
            # What a resumable run saves, then two fresh processes would load.
            model, optimizer = models["uninterrupted"], optimizers["uninterrupted"]
            state = {"epoch": epoch, "model": model.state_dict()}
            torch.save({**state, "optimizer": optimizer.state_dict()}, checkpoint)
            size = checkpoint.tell()
            yield Log(f"epoch {epoch}: saved model and optimizer state ({size:,} bytes)")
            for name in ("resumed", "weights_only"):
                checkpoint.seek(0)
                saved = torch.load(checkpoint, weights_only=True)
                models[name] = new_model()  # other random weights, until loaded
                models[name].load_state_dict(saved["model"])
                optimizers[name] = torch.optim.Adam(models[name].parameters(), lr)
                if name == "resumed":
                    optimizers[name].load_state_dict(saved["optimizer"])
                ctx.metrics[f"{name}_loss"] = ctx.metrics["uninterrupted_loss"]
            yield Log("resumed: model and Adam's averages; weights_only: a fresh Adam")
    a, b = models["uninterrupted"].state_dict(), models["resumed"].state_dict()
    gap = max((a[k] - b[k]).abs().max().item() for k in a)
    yield Log(f"largest weight difference, uninterrupted against resumed: {gap:g}")
    return {**{f"{s}_loss": ctx.metrics[f"{s}_loss"] for s in SERIES}, "resume_gap": gap}
