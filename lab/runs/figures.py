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


def figure(key: str, value: Any) -> str:
    """One figure as a front-end shows it: `val_accuracy 94.4%`, `train_loss 0.2349`."""
    if isinstance(value, float) and "accuracy" in key:
        return f"{key} {value:.1%}"
    return f"{key} {value:.4g}" if isinstance(value, float) else f"{key} {value}"


def trains_declaratively(spec: dict[str, Any] | None) -> bool:
    """Whether a run's spec (as data) is a declarative training run, not a scripted one."""
    return spec is not None and "model" in spec and "dataset" in spec


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


def end_of_run(status: str, spec: dict[str, Any] | None, final: dict, last_epoch: dict) -> str:
    """A run's figures as a small table for the experiment screen, its first line a title
    saying what they were measured on: each split's loss (and accuracy) and, under a completed
    run's, the last epoch's train_loss (the two a learner compares). Empty when the run ended
    with no figures."""
    if not final:
        return ""
    splits = [s for s in ("train", "val", "test") if f"{s}_loss" in final]
    if not trains_declaratively(spec) or not splits:
        return "\n".join(["the run's figures:", *(figure(k, v) for k, v in final.items())])
    modes = has_modes(spec)
    if status == "completed":
        title = "the finished model" + (", in eval mode:" if modes else ":")
    else:
        title = "as of the last finished epoch:"
    rows = []
    for split in splits:
        accuracy = final.get(f"{split}_accuracy")
        rows.append(
            (split, f"{final[f'{split}_loss']:.4g}", "" if accuracy is None else f"{accuracy:.1%}")
        )
    note = ""
    last = last_epoch.get("train_loss")
    final_train = final.get("train_loss")
    # (full-batch training ends where its last step was: one row says it)
    if status == "completed" and last is not None and f"{last:.4g}" != f"{final_train:.4g}":
        rows.append(("train*", f"{last:.4g}", ""))
        during = "in train mode" if modes else "as the weights changed"
        note = f"* the last epoch's train_loss: its steps' mean, {during}"
    wide = max(len(row[0]) for row in rows)
    has_accuracy = any(row[2] for row in rows)
    head = f"{'':{wide}} {'loss':>7}" + (f" {'accuracy':>8}" if has_accuracy else "")
    lines = [title, head]
    for label, loss, accuracy in rows:
        row = f"{label:{wide}} {loss:>7}" + (f" {accuracy:>8}" if has_accuracy else "")
        lines.append(row.rstrip())
    return "\n".join([*lines, note] if note else lines)
