"""Provides the words that say which training loss a run's figure is, for every front-end.

A declarative run measures the loss on the training set twice. Each epoch's `train_loss` is
the mean loss over that epoch's training steps (each sample counted once), taken while the
weights change and in train mode (dropout on); the run's final `train_loss` is the finished
model on the whole training set in eval mode, measured as every other split is. With dropout
the first is the higher, and may sit above the validation loss. Both keep the key `train_loss`
(goals, predictions, lessons and stored runs name it); the front-ends say which one they show.
Train and eval mode are named only for a model they change (dropout, batch norm): a lesson-4
line fit has no modes to speak of.
"""

from __future__ import annotations

from typing import Any

TRAIN_MODE_LAYERS = ("Dropout", "BatchNorm1d", "BatchNorm2d")
"""Layers that act differently in train mode and in eval mode."""
EPOCH_TRAIN_CURVE = "train (steps' mean)"
"""The per-epoch train loss curve's name in a chart."""


def trains_declaratively(spec: dict[str, Any] | None) -> bool:
    """Whether a run's spec (as data) is a declarative training run, not a scripted one."""
    return bool(spec) and "model" in spec and "dataset" in spec


def has_modes(spec: dict[str, Any] | None) -> bool:
    """Whether the spec's model has a layer that train mode changes (dropout, batch norm)."""
    model = (spec or {}).get("model") or {}
    if any(layer.get("type") in TRAIN_MODE_LAYERS for layer in model.get("layers") or []):
        return True
    return bool((model.get("args") or {}).get("dropout"))


def epoch_train_loss(spec: dict[str, Any] | None) -> str:
    """Said once above the epoch lines (or table) that show a per-epoch train_loss."""
    if has_modes(spec):
        return "each epoch's train_loss: mean over its steps, weights changing, in train mode"
    return "each epoch's train_loss: the mean over its steps, while the weights change"


def final_figures(status: str, spec: dict[str, Any] | None) -> str | None:
    """What a declarative run's final figures are: the finished model's once it completed,
    else the last epoch's (a stopped or diverged run's); None for a scripted run, whose
    figures are named by what it measures."""
    if not trains_declaratively(spec):
        return None
    if status != "completed":
        return "as of the last finished epoch:"
    mode = ", in eval mode" if has_modes(spec) else ""
    return f"the finished model on each split{mode}:"
