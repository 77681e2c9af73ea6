"""Provides what scripted experiments share: the run context, the Stopped signal, and one
epoch of mini-batches watched for divergence."""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from lab.engine.divergence import Diverged, DivergenceWatch, diverged_reason, rose_reason
from lab.engine.events import Event

if TYPE_CHECKING:
    import torch
    from torch import nn

    from lab.catalog.runspec import RunSpec
    from lab.engine.control import Control

Script = Generator[Event, None, dict[str, float]]
"""A scripted experiment's run: its events, then its final metrics (the generator's return)."""


class Stopped(Exception):
    """The learner asked to stop; carries the metrics reached so far."""

    def __init__(self, metrics: dict[str, float] | None = None, reason: str = "stopped early"):
        super().__init__(reason)
        self.metrics = dict(metrics or {})
        self.reason = reason


class ScriptError(ValueError):
    """Arguments a scripted experiment cannot work with; one line, no traceback (not a bug)."""


@dataclass
class Context:
    """What a scripted experiment gets besides its arguments."""

    device: torch.device
    smoke: bool
    control: Control
    run: RunSpec
    metrics: dict[str, float] = field(default_factory=dict)
    """The latest values, reported if the run is stopped."""
    model: tuple[nn.Module, torch.Tensor] | None = None
    """(model, one input batch) once `show_model` is called: the run's summary describes it."""

    def show_model(self, model: nn.Module, inputs: torch.Tensor) -> None:
        """Name the model the experiment trains, before its first event, so that the run's
        start shows its layers and parameter count (one model of each kind it trains)."""
        self.model = (model, inputs)

    def should_stop(self) -> bool:
        return self.control.should_stop()

    def before_update(self) -> None:
        """Before each update: stop if asked; while paused, wait for the next step."""
        if self.control.should_stop() or self.control.wait_turn():
            raise Stopped(self.metrics)

    def epoch_done(self) -> None:
        """An epoch (or what a script counts as one) ended: `N` while paused steps to here."""
        self.control.epoch_done()

    @property
    def stepping(self) -> bool:
        """True while paused: each update is reported as it is taken."""
        return self.control.paused

    def limit(self, n: int, smoke_n: int = 5) -> int:
        """`n` steps, or a few under --smoke."""
        return min(int(n), smoke_n) if self.smoke else int(n)


def train_epoch(
    ctx: Context,
    model: nn.Module,
    optimizer: torch.optim.Optimizer,
    loss_fn: nn.Module,
    data: tuple[torch.Tensor, torch.Tensor, torch.Tensor],
    batch_size: int,
    epoch: int,
    watch: DivergenceWatch,
    lr: float,
    what: str = "the loss",
) -> float:
    """One epoch of mini-batches over `data` (X, y, and the order to take the samples in):
    forward, loss, backward, update. Raises Diverged, with the advice every run gives, when a
    batch's loss blows up or the epoch's mean climbs; returns the epoch's mean loss."""
    X, y, order = data
    batches = -(-len(X) // batch_size)
    total = 0.0
    for i, start in enumerate(range(0, len(X), batch_size)):
        ctx.before_update()
        index = order[start : start + batch_size]
        loss = loss_fn(model(X[index]), y[index])
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        if watch.diverged(loss.item()):
            step = (epoch - 1) * batches + i + 1
            raise Diverged(diverged_reason(loss.item(), step, lr, what), ctx.metrics)
        total += loss.item() * len(index)
    mean = total / len(X)
    if watch.rose(mean):
        assert watch.first is not None
        raise Diverged(rose_reason(watch.first, mean, epoch, lr), ctx.metrics)
    return mean


def accuracy(model: nn.Module, X: torch.Tensor, y: torch.Tensor) -> float:
    """The share of `X` whose largest score is its class in `y`, in evaluation mode (the
    model's mode is put back after)."""
    import torch

    was_training = model.training
    model.eval()
    with torch.no_grad():
        right = (model(X).argmax(dim=1) == y).float().mean().item()
    model.train(was_training)
    return right
