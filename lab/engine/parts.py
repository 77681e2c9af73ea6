"""Provides the pieces a training loop is made of: the loss, the optimizer and the schedule by
their names in the catalog's tables, the batches, and the evaluation of a split.

`correct_count` and `evaluate` are plain torch functions on purpose: the exported scripts carry
their source as it is here (lab/export/source.py reads it), so a script evaluates with the very
code `lab run` does. Keep their lines within 88 characters, the width the scripts are written at.
"""

from __future__ import annotations

from typing import Any

import torch
from torch import nn

from lab.catalog import allowlists as allow
from lab.catalog.schema import OptimizerSpec, ScheduleSpec

EVAL_BATCH = allow.EVAL_BATCH


def make_loss(name: str) -> nn.Module:
    return getattr(nn, allow.LOSSES[name].torch_name)()


def make_optimizer(params, opt: OptimizerSpec | dict[str, Any]) -> torch.optim.Optimizer:
    """The optimizer by its name, given `lr` and the settings its table entry names."""
    opt = OptimizerSpec.model_validate(opt)
    entry = allow.OPTIMIZERS[opt.name]
    settings = {key: getattr(opt, key) for key in entry.settings}
    return getattr(torch.optim, entry.torch_name)(params, lr=opt.lr, **settings)


def make_schedule(optimizer, schedule: ScheduleSpec | dict[str, Any] | None, num_epochs: int):
    if schedule is None:
        return None
    schedule = ScheduleSpec.model_validate(schedule)
    entry = allow.SCHEDULES[schedule.name]
    settings = {key: getattr(schedule, key) for key in entry.settings}
    if entry.epochs_as:
        settings[entry.epochs_as] = num_epochs
    return getattr(torch.optim.lr_scheduler, entry.torch_name)(optimizer, **settings)


def tensor_batches(X, y, batch_size: int, shuffle: bool, generator: torch.Generator):
    """Batches by indexing whole tensors: no per-sample __getitem__."""
    n = len(X)
    if not shuffle:
        for start in range(0, n, batch_size):
            yield X[start : start + batch_size], y[start : start + batch_size]
        return
    order = torch.randperm(n, generator=generator).to(X.device)
    for start in range(0, n, batch_size):
        index = order[start : start + batch_size]
        yield X[index], y[index]


def loader_batches(loader, device):
    """torch's DataLoader, for the lessons that teach Dataset and DataLoader."""
    for X, y in loader:
        yield X.to(device), y.to(device)


def correct_count(y_hat, y, output):
    """How many predictions in a batch are right. `output` says what the model outputs:
    "classes" (a score per class: the largest is the prediction), or one "probability"
    (above 0.5 means class 1) or one "logit" (above 0 means class 1)."""
    if output == "classes":
        return int((y_hat.argmax(dim=1) == y).sum())
    threshold = 0.0 if output == "logit" else 0.5
    return int(((y_hat > threshold) == (y > 0.5)).sum())


@torch.no_grad()
def evaluate(model, loss_fn, X, y, output, batch=EVAL_BATCH):
    """Mean loss over a whole split, and the accuracy (None when the model outputs values,
    not classes): in eval mode, without gradients, `batch` samples at a time."""
    model.eval()
    total, correct = 0.0, 0
    for X_part, y_part in zip(X.split(batch), y.split(batch), strict=True):
        y_hat = model(X_part)
        total += loss_fn(y_hat, y_part).item() * len(X_part)
        if output != "value":
            correct += correct_count(y_hat, y_part, output)
    model.train()
    return total / len(y), (None if output == "value" else correct / len(y))
