"""Provides the scripted experiment of the tensor toolkit: views-and-copies."""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from lab.engine.events import Log, Progress
from lab.engine.scripted.base import Context, Script, ScriptError

# The ways of adding 100 to x the experiment offers: two write into x's memory, one makes a
# new tensor and points the name x at it.
UPDATES = ("x.add_(100)", "x += 100", "x = x + 100")


def views_and_copies(args: dict[str, Any], ctx: Context) -> Script:
    """Make views and copies of one tensor, add 100 to it, and see which of them change."""
    update = str(args["update"])
    if update not in UPDATES:
        raise ScriptError(f"views-and-copies: update must be one of {', '.join(UPDATES)}")
    a = np.arange(12, dtype=np.float32).reshape(3, 4)
    x = torch.from_numpy(a)  # [3, 4], on a's memory
    yield Log("a = np.arange(12, dtype=np.float32).reshape(3, 4); x = torch.from_numpy(a)")
    relatives: dict[str, tuple[str, torch.Tensor | np.ndarray]] = {
        "x[1]": ("a row: a slice", x[1]),
        "x[:, 0]": ("a column: a slice", x[:, 0]),
        "x.view(-1)": ("a view: new shape", x.view(-1)),
        "a": ("the NumPy array under x", a),
        "x.numpy()": ("NumPy's view of x", x.numpy()),
        "x[x > 5]": ("a boolean mask", x[x > 5]),
        "x.clone()": ("a clone", x.clone()),
        "torch.tensor(a)": ("torch.tensor of a", torch.tensor(a)),
    }
    before = {name: _numpy(value).copy() for name, (_, value) in relatives.items()}
    shares = {
        name: bool(np.shares_memory(_numpy(value), a)) for name, (_, value) in relatives.items()
    }

    # the write: in place, or a new tensor under the old name
    if update == "x.add_(100)":
        x.add_(100)
    elif update == "x += 100":
        x += 100
    else:
        x = x + 100
    where = "still on" if np.shares_memory(x.numpy(), a) else "a new tensor, off"
    yield Log(f"{update}: x[0] is now {x[0].tolist()}; x is {where} a's memory")

    changed = 0
    for step, (name, (kind, value)) in enumerate(relatives.items(), start=1):
        ctx.before_update()
        moved = float(np.abs(_numpy(value) - before[name]).max())
        changed += moved > 0
        memory = "shares x's memory" if shares[name] else "has its own memory"
        seen = "changed" if moved > 0 else "kept its values"
        yield Log(f"{name:16} {kind:24} {memory:18}  {seen}: {_short(value)}")
        yield Progress(epoch=1, step=step, loss=moved, samples_per_s=0.0, series="change")
        ctx.metrics.update(changed=float(changed))
    yield from _autograd_refusals()
    shared = sum(shares.values())
    yield Log(f"{changed} of {len(relatives)} changed; {shared} share x's memory")
    return {
        "changed": float(changed),
        "unchanged": float(len(relatives) - changed),
        "shared": float(shared),
    }


def _numpy(value: torch.Tensor | np.ndarray) -> np.ndarray:
    """The array itself, or NumPy's view of a tensor's memory (never a copy)."""
    return value.numpy() if isinstance(value, torch.Tensor) else value


def _short(value: torch.Tensor | np.ndarray) -> str:
    numbers = [f"{v:g}" for v in _numpy(value).reshape(-1).tolist()]
    return "[" + ", ".join(numbers[:4]) + (", ...]" if len(numbers) > 4 else "]")


def _autograd_refusals() -> Script:
    """The two in-place writes autograd refuses, with PyTorch's own words."""
    w = torch.ones(3, requires_grad=True)
    try:
        w.add_(1)
    except RuntimeError as error:
        yield Log(f"w.add_(1) on a leaf with requires_grad=True: {error}")
    y = w.exp()  # exp's backward needs its output, y
    y.add_(1)
    try:
        y.sum().backward()
    except RuntimeError as error:
        yield Log(f"y = w.exp(); y.add_(1); backward(): {str(error).split(' Hint')[0]}")
    return {}
