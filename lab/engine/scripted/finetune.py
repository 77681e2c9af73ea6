"""Provides the transfer-learning experiment, fine-tune: a small CNN trained on a base task of
the digits (its checkpoint kept in LAB_HOME/cache and reused by a later run with the same
settings), then a new task from a few labelled images, learned three ways side by side: from
scratch, with the base body frozen under a new head, and fine-tuned whole with a smaller rate
for the body."""

from __future__ import annotations

import hashlib
import json
import os
import pickle
from collections import OrderedDict
from collections.abc import Generator, Mapping
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from lab import paths
from lab.engine.datasets.scikit import digits
from lab.engine.divergence import Diverged, DivergenceWatch, rose_reason
from lab.engine.events import EpochEnd, Event, Log, Progress
from lab.engine.scripted.base import Context, Script, ScriptError
from lab.engine.scripted.base import accuracy as accuracy_on  # `accuracy` names its figures

TEST_SHARE = 0.3
"""Of each task's images, the share kept for testing (drawn per class, by the seed)."""
CACHE_FORMAT = 1
"""Bumped when the network or the checkpoint's contents change: older checkpoints are not
reused."""
MIN_LABELS, MAX_LABELS = 10, 300
"""The new task's training images: at least one a class, at most what each task has (about
120 a class remain of each of the digits 5-9)."""
TASKS = {
    "parity": "base: the ten digits on half of the images; new: even or odd on the other half",
    "five-to-nine": "base: the digits 0-4; new: the digits 5-9",
}
MODES = {
    "scratch": "a fresh network, every layer trained",
    "frozen": "the base body frozen, a new head trained",
    "finetune": "the base body and a new head, the body at body_lr",
}


def small_cnn(classes: int) -> nn.Sequential:
    """A body (two conv blocks and a hidden layer: an 8x8 image to 64 features) and a head
    (the last Linear, one output a class)."""
    body = nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # [16, 4, 4]
        nn.Conv2d(16, 32, 3, padding=1),
        nn.ReLU(),
        nn.MaxPool2d(2),  # [32, 2, 2]
        nn.Flatten(),
        nn.Linear(128, 64),
        nn.ReLU(),
    )
    return nn.Sequential(OrderedDict([("body", body), ("head", nn.Linear(64, classes))]))


def fine_tune(args: dict[str, Any], ctx: Context) -> Script:
    """The base task (trained, or its checkpoint reused), then the new task three ways."""
    seed, labels, task = int(args["seed"]), int(args["labels"]), str(args["task"])
    lr, body_lr = float(args["lr"]), float(args["body_lr"])
    batch_size = int(args["batch_size"])
    base_epochs = ctx.limit(args["base_epochs"], smoke_n=1)
    epochs = ctx.limit(args["epochs"], smoke_n=2)
    if task not in TASKS:
        raise ScriptError(f"task must be one of {', '.join(TASKS)}, not {task!r}")
    if not MIN_LABELS <= labels <= MAX_LABELS:
        raise ScriptError(f"labels must be between {MIN_LABELS} and {MAX_LABELS}, not {labels}")
    images = digits()
    X, y = torch.from_numpy(images.X), torch.from_numpy(images.y)
    base_part, new_part = make_tasks(y, task, seed, labels)
    base_data = tuple(t for index, labels_ in base_part for t in (X[index], labels_))
    new_data = tuple(t for index, labels_ in new_part for t in (X[index], labels_))
    base_classes, new_classes = int(base_data[1].max()) + 1, int(new_data[1].max()) + 1
    ctx.show_model(small_cnn(base_classes), X[:1])
    yield Log(
        f"{TASKS[task]}: base {len(base_data[0])} training images, {base_classes} classes; "
        f"new {len(new_data[0])} training images, {new_classes} classes, "
        f"{len(new_data[2])} test images"
    )
    settings = {
        "task": task,
        "seed": seed,
        "epochs": base_epochs,
        "lr": lr,
        "batch_size": batch_size,
    }
    base, base_accuracy = yield from base_network(base_data, base_classes, settings, ctx)
    ctx.metrics["base_accuracy"] = base_accuracy

    models, optimizers = {}, {}
    for mode, about in MODES.items():
        torch.manual_seed(seed + 1)  # the same new head in every mode
        model = small_cnn(new_classes)
        if mode != "scratch":
            body_only = {k: v for k, v in base.items() if k.startswith("body.")}
            missing = model.load_state_dict(body_only, strict=False).missing_keys
            yield Log(f"{mode}: copied the base body; left as drawn: {', '.join(missing)}")
        models[mode], optimizers[mode] = model, make_optimizer(model, mode, lr, body_lr)
        yield Log(f"{mode}: {about}; {trainable(model):,} of {count(model):,} weights trained")
    accuracy = yield from new_task(models, optimizers, new_data, epochs, batch_size, seed, lr, ctx)
    change = body_change(models["frozen"], base)
    yield Log(
        f"largest change of a body weight: frozen {change:.3g}, "
        f"fine-tuned {body_change(models['finetune'], base):.3g}"
    )
    yield Log(
        f"new task's test accuracy: scratch {accuracy['scratch']:.1%}, frozen body "
        f"{accuracy['frozen']:.1%}, fine-tuned {accuracy['finetune']:.1%}"
    )
    return {
        "base_accuracy": base_accuracy,
        **{f"{mode}_accuracy": value for mode, value in accuracy.items()},
        "frozen_gain": accuracy["frozen"] - accuracy["scratch"],
        "frozen_body_change": change,
    }


Part = tuple[tuple[torch.Tensor, torch.Tensor], tuple[torch.Tensor, torch.Tensor]]
"""(training indexes, their labels), (test indexes, their labels)."""


def make_tasks(y: torch.Tensor, task: str, seed: int, labels: int) -> tuple[Part, Part]:
    """The base task's images and labels, then the new task's: TEST_SHARE of each for
    testing and, for the new task, `labels` training images (as many of each class)."""
    rng = np.random.RandomState(seed)
    digit = y.numpy()
    if task == "parity":  # each digit's images shared out between the two tasks
        halves = [np.array_split(rng.permutation(np.flatnonzero(digit == d)), 2) for d in range(10)]
        base_index = np.concatenate([h[0] for h in halves])
        new_index = np.concatenate([h[1] for h in halves])
        base_y, new_y = digit[base_index], digit[new_index] % 2
    else:
        base_index, new_index = np.flatnonzero(digit < 5), np.flatnonzero(digit >= 5)
        base_y, new_y = digit[base_index], digit[new_index] - 5
    base = split(base_index, base_y, rng, None)
    new = split(new_index, new_y, rng, labels // (int(new_y.max()) + 1))
    return base, new


def split(
    index: np.ndarray, y: np.ndarray, rng: np.random.RandomState, per_class: int | None
) -> Part:
    """TEST_SHARE of each class's images for testing; of the rest `per_class` images a class
    for training (all of them when None)."""
    train, test = [], []
    for c in np.unique(y):
        mine = rng.permutation(np.flatnonzero(y == c))
        cut = round(len(mine) * TEST_SHARE)
        test.append(mine[:cut])
        train.append(mine[cut:] if per_class is None else mine[cut : cut + per_class])
    parts = []
    for chosen in (np.concatenate(train), np.concatenate(test)):
        parts.append((torch.from_numpy(index[chosen]), torch.from_numpy(y[chosen])))
    return parts[0], parts[1]


def base_network(
    data: tuple[torch.Tensor, ...], classes: int, settings: dict[str, Any], ctx: Context
) -> Generator[Event, None, tuple[dict[str, torch.Tensor], float]]:
    """The base network's weights and test accuracy: from its checkpoint in LAB_HOME when an
    earlier run with the same settings saved one, else trained now and saved."""
    path = checkpoint_path(settings)
    if path.is_file():
        try:
            saved = torch.load(path, weights_only=True)
            state, accuracy = saved["model"], float(saved["test_accuracy"])
        except (OSError, KeyError, TypeError, RuntimeError, pickle.UnpicklingError) as exc:
            reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            yield Log(f"base: the checkpoint {path} is unreadable ({reason}); training again")
        else:
            yield Log(f"base: reused the checkpoint {path} (no base training this time)")
            return state, accuracy
    torch.manual_seed(settings["seed"])
    model = small_cnn(classes)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    X, y, X_test, y_test = data
    order = torch.Generator().manual_seed(settings["seed"])
    epochs = settings["epochs"]
    yield Log(f"base: training for {epochs} epochs")
    watch = start_watch(model, X, y)
    for epoch in range(1, epochs + 1):
        loss = train_epoch(model, optimizer, X, y, settings["batch_size"], order, ctx)
        judge(watch, loss, epoch, settings["lr"], ctx)
        yield Progress(epoch, epoch, loss, 0.0, series="base")
        ctx.epoch_done()
    accuracy = accuracy_on(model, X_test, y_test)
    yield Log(f"base: test accuracy {accuracy:.1%} after {epochs} epochs")
    state = model.state_dict()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        part = path.with_suffix(f".{os.getpid()}.part")
        torch.save({"model": state, "test_accuracy": accuracy}, part)
        os.replace(part, path)  # whole or not at all: a run beside this one reads it
        yield Log(f"base: saved the checkpoint {path}")
    except OSError as exc:
        part.unlink(missing_ok=True)
        yield Log(
            f"base: could not save the checkpoint ({exc.strerror}); the next run trains it again"
        )
    return state, accuracy


def checkpoint_path(settings: dict[str, Any]) -> Path:
    """Where the base network of these settings is kept: one file per settings and seed."""
    key = json.dumps({**settings, "format": CACHE_FORMAT}, sort_keys=True)
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return paths.lab_home() / "cache" / f"fine-tune-base-{digest}.pt"


def make_optimizer(model: nn.Module, mode: str, lr: float, body_lr: float):
    """Adam over what the mode trains: every weight, the head only, or two parameter groups."""
    body, head = model.get_submodule("body"), model.get_submodule("head")
    if mode == "scratch":
        return torch.optim.Adam(model.parameters(), lr=lr)
    if mode == "frozen":
        body.requires_grad_(False)
        return torch.optim.Adam(head.parameters(), lr=lr)
    groups: list[dict[str, Any]] = [
        {"params": body.parameters(), "lr": body_lr},
        {"params": head.parameters()},
    ]
    return torch.optim.Adam(groups, lr=lr)


def new_task(
    models: Mapping[str, nn.Module],
    optimizers: dict[str, torch.optim.Optimizer],
    data: tuple[torch.Tensor, ...],
    epochs: int,
    batch_size: int,
    seed: int,
    lr: float,
    ctx: Context,
) -> Generator[Event, None, dict[str, float]]:
    """Every mode one epoch at a time, side by side: each one's training loss a point of its
    series, their test accuracies one epoch's metrics. Returns the final test accuracies."""
    X, y, X_test, y_test = data
    orders = {mode: torch.Generator().manual_seed(seed) for mode in models}  # the same batches
    accuracy = dict.fromkeys(models, 0.0)
    watches = {mode: start_watch(model, X, y) for mode, model in models.items()}
    for epoch in range(1, epochs + 1):
        metrics: dict[str, float] = {}
        for mode, model in models.items():
            loss = train_epoch(model, optimizers[mode], X, y, batch_size, orders[mode], ctx)
            judge(watches[mode], loss, epoch, lr, ctx)
            accuracy[mode] = ctx.metrics[f"{mode}_accuracy"] = accuracy_on(model, X_test, y_test)
            metrics |= {f"{mode}_loss": loss, f"{mode}_accuracy": accuracy[mode]}
            yield Progress(epoch, epoch, loss, 0.0, series=mode)
        yield EpochEnd(epoch, metrics)
        ctx.epoch_done()
    return accuracy


def start_watch(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> DivergenceWatch:
    """A watch that judges the epochs' losses against the model's loss before training."""
    model.eval()
    with torch.no_grad():
        return DivergenceWatch(nn.functional.cross_entropy(model(X), y).item())


def judge(watch: DivergenceWatch, loss: float, epoch: int, lr: float, ctx: Context) -> None:
    """Diverged when an epoch's mean loss is not a number or climbed far above the start."""
    if watch.diverged(loss) or watch.rose(loss):
        assert watch.first is not None
        raise Diverged(rose_reason(watch.first, loss, epoch, lr), ctx.metrics)


def train_epoch(
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    X: torch.Tensor,
    y: torch.Tensor,
    batch_size: int,
    order: torch.Generator,
    ctx: Context,
) -> float:
    """One epoch of mini-batches with cross-entropy; returns its mean loss."""
    model.train()
    loss_fn = nn.CrossEntropyLoss()
    total = 0.0
    shuffled = torch.randperm(len(X), generator=order)
    for start in range(0, len(X), batch_size):
        ctx.before_update()
        index = shuffled[start : start + batch_size]
        loss = loss_fn(model(X[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        total += loss.item() * len(index)
    return total / len(X)


def body_change(model: nn.Module, base: dict[str, torch.Tensor]) -> float:
    """The largest absolute difference between a body weight and the base network's."""
    body = model.get_submodule("body").state_dict()
    return max((body[k] - base[f"body.{k}"]).abs().max().item() for k in body)


def trainable(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def count(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())
