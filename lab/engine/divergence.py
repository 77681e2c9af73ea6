"""Provides the divergence check shared by the training loop and the scripted experiments.

A run has diverged when a loss is not finite, when one step's loss is DIVERGE_FACTOR times the
loss at the start, or when a whole epoch's mean stays RISE_FACTOR times above it. The loss at
the start must be a mean over many samples: one sample's loss can be near zero by luck, and
with batch size 1 a single step judged against it stopped 3 to 5 healthy runs in 30 as
"diverged" (linear-regression and logistic-hours-pass, seeds 0-29).
"""

from __future__ import annotations

import math

DIVERGE_FACTOR = 1e4  # one step's loss this many times the loss at the start: it has exploded
RISE_FACTOR = 10  # an epoch's mean loss this many times the start: it climbs instead of falls
FLOOR = 1e-3  # a start near zero must not make ordinary noise look like an explosion


class Diverged(Exception):
    """Raised by a scripted experiment whose loss blew up; becomes `done: diverged`."""

    def __init__(self, reason: str, metrics: dict[str, float] | None = None):
        super().__init__(reason)
        self.reason = reason
        self.metrics = dict(metrics or {})


class DivergenceWatch:
    """Judges each loss against the loss at the start (`start`, or else the first loss seen)."""

    def __init__(self, start: float | None = None):
        self.first: float | None = None
        if start is not None and math.isfinite(start):
            self.first = max(abs(start), FLOOR)

    def diverged(self, loss: float) -> bool:
        if not math.isfinite(loss):
            return True
        if self.first is None:
            self.first = max(abs(loss), FLOOR)
            return False
        return loss > DIVERGE_FACTOR * self.first

    def rose(self, epoch_loss: float) -> bool:
        return self.first is not None and epoch_loss > RISE_FACTOR * self.first


def diverged_reason(loss: float, step: int, lr: float, what: str = "the loss") -> str:
    """One line: what blew up, where, with which learning rate, and what to try."""
    return f"{what} blew up to {loss:.3g} at step {step} {_advice(lr)}"


def rose_reason(first: float, epoch_loss: float, epoch: int, lr: float) -> str:
    """One line for an epoch whose mean loss climbed RISE_FACTOR times above the start."""
    return f"the loss rose from {first:.3g} to {epoch_loss:.3g} over epoch {epoch} {_advice(lr)}"


def _advice(lr: float) -> str:
    return f"with learning rate {lr:g}: try a smaller learning rate, e.g. {lr / 10:g}"
