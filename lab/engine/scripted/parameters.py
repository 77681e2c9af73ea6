"""Provides scripted experiments about parameters: gradient-accumulation and freeze-layers."""

from __future__ import annotations

import copy
from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from lab.engine.datasets import load_data
from lab.engine.divergence import Diverged, DivergenceWatch, diverged_reason
from lab.engine.events import EpochEnd, Log, Progress
from lab.engine.parts import evaluate
from lab.engine.scripted.base import Context, Script, ScriptError


def digits_mlp(hidden: int) -> nn.Sequential:
    """Flatten, then 64 -> hidden -> 10 with a ReLU between: layers named hidden and out."""
    return nn.Sequential(
        OrderedDict(
            [
                ("flatten", nn.Flatten()),
                ("hidden", nn.Linear(64, hidden)),
                ("relu", nn.ReLU()),
                ("out", nn.Linear(hidden, 10)),
            ]
        )
    )


def trainable_count(model: nn.Module) -> int:
    """The numbers the optimizer may change: those of parameters that require a gradient."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def gradient_accumulation(args: dict[str, Any], ctx: Context) -> Script:
    """k micro-batches of b, each loss divided by k, one step; against one batch of k*b, from
    the same start on the same samples: the gradients agree up to float round-off."""
    seed, k, b = int(args["seed"]), int(args["k"]), int(args["micro_batch"])
    lr, divide = float(args["lr"]), bool(args["divide"])
    num_epochs = ctx.limit(args["epochs"], smoke_n=1)
    data = load_data({"spec": {"dataset": {"name": "digits"}, "seed": seed}}, "cross_entropy")
    X, y = data.X_train, data.y_train  # [n, 1, 8, 8], [n]
    n, big = len(X), k * b
    if k < 1 or b < 1 or big > n:
        raise ScriptError(f"k * micro_batch must be between 1 and {n} (the training samples)")
    torch.manual_seed(seed)
    models = {"big batch": digits_mlp(32)}
    models["accumulated"] = copy.deepcopy(models["big batch"])  # the same starting weights
    ctx.show_model(models["big batch"], X[:big])
    optimizers = {name: torch.optim.SGD(m.parameters(), lr=lr) for name, m in models.items()}
    loss_fn = nn.CrossEntropyLoss()
    steps_per_epoch = n // big  # whole steps only: every step sees k full micro-batches
    yield Log(
        f"{n} training samples; a step: one batch of {big}, or {k} micro-batches of {b}"
        f"{' (each loss / k)' if divide else ' (losses not divided by k)'}; "
        f"{steps_per_epoch} steps an epoch"
    )
    gen = torch.Generator().manual_seed(seed)
    watches = {name: DivergenceWatch() for name in models}
    grad_gap, step = 0.0, 0
    for epoch in range(1, num_epochs + 1):
        order = torch.randperm(n, generator=gen)
        totals = dict.fromkeys(models, 0.0)
        for s in range(steps_per_epoch):
            ctx.before_update()
            index = order[s * big : (s + 1) * big]
            step += 1
            losses = {
                "big batch": big_batch_step(models["big batch"], loss_fn, X[index], y[index]),
                "accumulated": accumulate(
                    models["accumulated"], loss_fn, X[index], y[index], k, divide
                ),
            }
            gap = max_gap(models["big batch"], models["accumulated"], grads=True)
            grad_gap = max(grad_gap, gap)
            for optimizer in optimizers.values():
                optimizer.step()
            for name, value in losses.items():
                if watches[name].diverged(value):
                    raise Diverged(
                        diverged_reason(value, step, lr, f"the {name} loss"), ctx.metrics
                    )
                totals[name] += value
                yield Progress(epoch, step, value, 0.0, series=name)
            if ctx.stepping:
                yield Log(f"step {step}: largest gradient difference {gap:.3g}")
        means = {name: total / steps_per_epoch for name, total in totals.items()}
        ctx.metrics.update(
            accumulated_loss=means["accumulated"],
            big_batch_loss=means["big batch"],
            max_grad_diff=grad_gap,
            train_loss=means["accumulated"],
        )
        yield EpochEnd(epoch, {**ctx.metrics})
        ctx.epoch_done()
    weight_gap = max_gap(models["big batch"], models["accumulated"], grads=False)
    yield Log(
        f"after {step} steps: largest gradient difference {grad_gap:.3g}, "
        f"largest weight difference {weight_gap:.3g}"
    )
    finals = {}
    for name, model in models.items():
        finals[name], _ = evaluate(model, loss_fn, X, y, "classes")
    return {
        "max_grad_diff": grad_gap,
        "max_weight_diff": weight_gap,
        "accumulated_loss": finals["accumulated"],
        "big_batch_loss": finals["big batch"],
        "train_loss": finals["accumulated"],
    }


def big_batch_step(model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor):
    """The gradient of the mean loss over the whole batch, left in `.grad`; the loss."""
    model.zero_grad()
    loss = loss_fn(model(X), y)
    loss.backward()
    return loss.item()


def accumulate(
    model: nn.Module, loss_fn: nn.Module, X: torch.Tensor, y: torch.Tensor, k: int, divide: bool
) -> float:
    """k backward passes into the same `.grad`, one micro-batch each; the batch's mean loss."""
    model.zero_grad()
    total = 0.0
    for X_part, y_part in zip(X.chunk(k), y.chunk(k), strict=True):
        loss = loss_fn(model(X_part), y_part)
        # backward adds into .grad: k means divided by k make the mean over the k*b samples
        (loss / k if divide else loss).backward()
        total += loss.item() / k
    return total


def max_gap(one: nn.Module, other: nn.Module, grads: bool) -> float:
    """The largest absolute difference between the two models' gradients (or weights)."""
    gaps = []
    for p, q in zip(one.parameters(), other.parameters(), strict=True):
        a, b = (p.grad, q.grad) if grads else (p, q)
        assert a is not None and b is not None  # both had a backward pass
        gaps.append((a.detach() - b.detach()).abs().max().item())
    return max(gaps)


def freeze_layers(args: dict[str, Any], ctx: Context) -> Script:
    """The digits MLP trained whole, and again from the same start with one layer frozen."""
    seed, hidden, lr = int(args["seed"]), int(args["hidden"]), float(args["lr"])
    layer, batch_size = str(args["layer"]), int(args["batch_size"])
    if layer not in ("hidden", "out"):
        raise ScriptError(f"layer must be hidden or out, not {layer!r}")
    num_epochs = ctx.limit(args["epochs"], smoke_n=1)
    data = load_data({"spec": {"dataset": {"name": "digits"}, "seed": seed}}, "cross_entropy")
    X, y = data.X_train, data.y_train  # [n, 1, 8, 8], [n]
    torch.manual_seed(seed)
    models = {"all trained": digits_mlp(hidden)}
    models["frozen"] = copy.deepcopy(models["all trained"])  # the same starting weights
    ctx.show_model(models["all trained"], X[:batch_size])
    frozen_layer = getattr(models["frozen"], layer)
    frozen_layer.requires_grad_(False)
    before = {name: getattr(m, layer).weight.detach().clone() for name, m in models.items()}
    counts = {name: trainable_count(m) for name, m in models.items()}
    # only what still trains goes to the optimizer
    optimizers = {
        name: torch.optim.SGD([p for p in m.parameters() if p.requires_grad], lr=lr)
        for name, m in models.items()
    }
    yield Log(
        f"trainable parameters: {counts['all trained']} all trained, {counts['frozen']} with "
        f"{layer} frozen ({frozen_layer.weight.numel() + frozen_layer.bias.numel()} fixed)"
    )
    loss_fn = nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(seed)
    watches = {name: DivergenceWatch() for name in models}
    n, step = len(X), 0
    ctx.metrics.update(trainable_all=counts["all trained"], trainable_frozen=counts["frozen"])
    for epoch in range(1, num_epochs + 1):
        order = torch.randperm(n, generator=gen)
        totals = dict.fromkeys(models, 0.0)
        for start in range(0, n, batch_size):
            ctx.before_update()
            index = order[start : start + batch_size]
            step += 1
            for name, model in models.items():
                # forward, loss, backward, update
                loss = loss_fn(model(X[index]), y[index])
                optimizers[name].zero_grad()
                loss.backward()
                optimizers[name].step()
                value = loss.item()
                if watches[name].diverged(value):
                    raise Diverged(
                        diverged_reason(value, step, lr, f"the {name} loss"), ctx.metrics
                    )
                totals[name] += value * len(index)
        for name, total in totals.items():
            yield Progress(epoch, step, total / n, 0.0, series=name)
        ctx.metrics.update(frozen_loss=totals["frozen"] / n, all_loss=totals["all trained"] / n)
        yield EpochEnd(
            epoch, {"frozen_loss": totals["frozen"] / n, "all_loss": totals["all trained"] / n}
        )
        ctx.epoch_done()
    changes = {
        name: (getattr(m, layer).weight.detach() - before[name]).abs().max().item()
        for name, m in models.items()
    }
    accuracies = {}
    for name, model in models.items():
        _, accuracies[name] = evaluate(model, loss_fn, data.X_test, data.y_test, "classes")
    yield Log(
        f"{layer}.weight changed by at most {changes['frozen']:g} when frozen, "
        f"{changes['all trained']:.3g} when trained"
    )
    return {
        "trainable_all": float(counts["all trained"]),
        "trainable_frozen": float(counts["frozen"]),
        "frozen_weight_change": changes["frozen"],
        "trained_weight_change": changes["all trained"],
        "frozen_test_accuracy": float(accuracies["frozen"]),
        "all_test_accuracy": float(accuracies["all trained"]),
        "frozen_loss": ctx.metrics["frozen_loss"],
        "all_loss": ctx.metrics["all_loss"],
    }
