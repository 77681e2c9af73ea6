"""Provides the words that say which training loss a run's figure is, for every front-end.

A declarative run measures the loss on the training set twice. Each epoch's `train_loss` is
the mean loss over that epoch's training steps (each sample counted once), taken in train mode
(dropout on) while the weights change; the run's final `train_loss` is the finished model on
the whole training set in eval mode, measured as every other split is. With dropout the first
is the higher, and may sit above the validation loss. Both keep the key `train_loss` (goals,
predictions, lessons and stored runs name it); the front-ends say which one they show.
"""

from __future__ import annotations

from typing import Any

EPOCH_TRAIN_LOSS = "each epoch's train_loss: the mean over its steps, in train mode (dropout on)"
"""Said once above the epoch lines (or table) that show a per-epoch train_loss."""
EPOCH_TRAIN_CURVE = "train (steps' mean)"
"""The per-epoch train loss curve's name in a chart."""
FINISHED_MODEL = "the finished model on each split, in eval mode:"
LAST_EPOCH = "as of the last finished epoch:"


def trains_declaratively(spec: dict[str, Any] | None) -> bool:
    """Whether a stored run's spec is a declarative training run (not a scripted one)."""
    return bool(spec) and "model" in spec and "dataset" in spec


def final_figures(status: str, declarative: bool) -> str | None:
    """What a declarative run's final figures are: the finished model's once it completed,
    else the last epoch's (a stopped or diverged run's); None for a scripted run, whose
    figures are named by what it measures."""
    if not declarative:
        return None
    return FINISHED_MODEL if status == "completed" else LAST_EPOCH
