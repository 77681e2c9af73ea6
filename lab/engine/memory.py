"""Provides the memory check before training: what a model needs against what is free.

The model is first built on PyTorch's "meta" device, which gives every shape and no storage, so
a layer of a trillion weights is counted, not allocated (allocating it would wake the kernel's
out-of-memory killer, or swap the machine to a halt, long before any error reached Python).
Needed: weights, their gradients, the optimizer's state per weight, and one batch's activations
kept for the backward pass (and the data itself on a GPU). Free: /proc/meminfo's MemAvailable,
capped by the cgroup's limit, on the CPU; `torch.cuda.mem_get_info` on a GPU. Unknown (macOS,
MPS): no check.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch

from lab.catalog import allowlists as allow
from lab.catalog.schema import ModelSpec, OptimizerSpec
from lab.engine.models import ModelError, build_model

ELEMENT_BYTES = 4  # float32
EVAL_BYTES = 256 * 1000**2  # evaluation batches hold at most about this much at a time


class TooBig(ModelError):
    """The run cannot fit in memory; one line naming the size. Raised before anything trains."""


@dataclass
class Need:
    parameters: int
    weights_bytes: int  # weights, gradients and optimizer state
    activation_bytes: int
    data_bytes: int
    state: str  # what the optimizer keeps per weight, for the message
    eval_batch: int = 1  # samples per evaluation batch that keep to EVAL_BYTES

    @property
    def total(self) -> int:
        return self.weights_bytes + self.activation_bytes + self.data_bytes


def optimizer_copies(optimizer: OptimizerSpec | dict[str, Any]) -> tuple[int, str]:
    """How many tensors the size of the weights the optimizer keeps, and what they are."""
    optimizer = OptimizerSpec.model_validate(optimizer)
    entry = allow.OPTIMIZERS[optimizer.name]
    copies, keeps = len(entry.state), entry.keeps
    if optimizer.momentum and "momentum" in entry.settings:
        copies, keeps = copies + 1, f"{keeps} and momentum" if keeps else "momentum"
    return copies, (f"{optimizer.name}'s {keeps}" if copies else "")


def estimate(
    model_spec: ModelSpec | dict[str, Any],
    sample_shape: tuple[int, ...],
    out_size: int,
    batch_size: int,
    optimizer: OptimizerSpec | dict[str, Any],
    data_bytes: int = 0,
    eval_batch: int = 0,
) -> Need:
    """The bytes a run needs at its peak, from the model built on the meta device.

    `eval_batch` is the most samples evaluation would take at once; fewer are used when a
    wide layer would make one such batch hold more than EVAL_BYTES (never fewer than
    `batch_size`, which training holds anyway)."""
    with torch.device("meta"):
        model = build_model(model_spec, sample_shape, out_size)
    parameters = sum(p.numel() for p in model.parameters())
    copies, state = optimizer_copies(optimizer)
    weights = parameters * ELEMENT_BYTES * (2 + copies)  # weights, gradients, state
    sizes = _output_sizes(model, sample_shape)
    # Training keeps each layer's output for backward, which makes a gradient the same size;
    # evaluation (no grad) holds one layer's input and output at a time, in bigger batches.
    training = batch_size * sum(sizes) * 2
    pairs = [a + b for a, b in zip([_prod(sample_shape), *sizes], sizes, strict=False)]
    widest = max(pairs, default=1)
    eval_batch = min(eval_batch, max(batch_size, EVAL_BYTES // (widest * ELEMENT_BYTES)))
    activations = max(training, eval_batch * widest) * ELEMENT_BYTES
    return Need(parameters, weights, activations, data_bytes, state, max(eval_batch, 1))


def _output_sizes(model: torch.nn.Module, sample_shape) -> list[int]:
    """Each layer's output size for one sample, from shapes alone (meta tensors)."""
    x = torch.empty((1, *sample_shape), device="meta")
    sizes: list[int] = []
    try:
        with torch.no_grad():
            for layer in model.children():
                x = layer(x)
                sizes.append(x.numel())
    except Exception:  # a layer that does not fit: check_shapes names it, with the shapes
        pass
    return sizes


def _prod(shape) -> int:
    n = 1
    for s in shape:
        n *= int(s)
    return n


def check_fits(need: Need, device: torch.device, available: int | None = None) -> None:
    """Raise TooBig with a one-line reason when the run needs more than is free."""
    if available is None:
        available = available_bytes(device)
    if available is None or need.total <= available:
        return
    where = "the GPU's memory" if device.type == "cuda" else "this computer's memory"
    parts = "weights, gradients" + (f" and {need.state}" if need.state else "")
    if need.activation_bytes > need.weights_bytes:
        parts += ", and mostly the activations of one batch"
        advice = "use a smaller batch size or smaller layers"
    else:
        advice = "make the layers smaller or use fewer of them"
    free = "free on the GPU" if device.type == "cuda" else "free"
    raise TooBig(
        f"too big for {where}: {need.parameters:,} parameters need about "
        f"{size(need.total)} to train ({parts}), but only {size(available)} is {free}: {advice}"
    )


def size(n: float) -> str:
    """Bytes for a person: 1.2 GB, 16 TB (powers of 1000, as disks and `free -h --si` say)."""
    for unit in ("bytes", "KB", "MB", "GB", "TB", "PB"):
        if abs(n) < 1000 or unit == "PB":
            return f"{n:.0f} {unit}" if unit == "bytes" else f"{n:.1f} {unit}"
        n /= 1000
    return f"{n:.1f} PB"  # pragma: no cover


# --- what is free ---------------------------------------------------------------------------


def available_bytes(device: torch.device) -> int | None:
    """Memory free for this run on the device; None when it cannot be known."""
    if device.type == "cuda":
        try:
            free, _total = torch.cuda.mem_get_info(device)
        except RuntimeError:
            return None
        return int(free)
    if device.type == "cpu":
        return cpu_available()
    return None


def cpu_available(proc: Path = Path("/proc"), cgroup_root: Path = Path("/sys/fs/cgroup")):
    """MemAvailable, capped by the room left under this process's cgroup limit (v1 or v2)."""
    found = [n for n in (_meminfo_available(proc), _cgroup_room(proc, cgroup_root)) if n]
    if found:
        return min(found)
    try:  # other Unix systems: free pages (ignores the page cache, so it under-counts)
        return os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (ValueError, OSError, AttributeError):
        return None


def _meminfo_available(proc: Path) -> int | None:
    try:
        text = (proc / "meminfo").read_text()
    except OSError:
        return None
    for line in text.splitlines():
        if line.startswith("MemAvailable:"):
            parts = line.split()
            return int(parts[1]) * 1024 if len(parts) >= 2 and parts[1].isdigit() else None
    return None


def _cgroup_room(proc: Path, root: Path) -> int | None:
    """The cgroup's limit less what it uses, or None when there is no limit."""
    try:
        lines = (proc / "self" / "cgroup").read_text().splitlines()
    except OSError:
        return None
    rooms = []
    for line in lines:
        _, controllers, path = (line.split(":", 2) + ["", ""])[:3]
        rel = path.strip().lstrip("/")
        if controllers == "":  # v2: one unified hierarchy
            folders = [root / rel, root]
            names = ("memory.max", "memory.current")
        elif "memory" in controllers.split(","):
            folders = [root / "memory" / rel, root / "memory"]
            names = ("memory.limit_in_bytes", "memory.usage_in_bytes")
        else:
            continue
        for folder in folders:
            limit, used = _read_int(folder / names[0]), _read_int(folder / names[1])
            if limit is not None and used is not None and limit < 1 << 60:
                # The page cache counts as used but is given back on demand (as `kubectl top`).
                used -= _stat(folder / "memory.stat", ("total_inactive_file", "inactive_file"))
                rooms.append(max(limit - max(used, 0), 0))
                break
    return min(rooms) if rooms else None


def _stat(path: Path, keys: tuple[str, ...]) -> int:
    try:
        lines = path.read_text().splitlines()
    except OSError:
        return 0
    values = dict(line.split(maxsplit=1) for line in lines if " " in line)
    for key in keys:
        if values.get(key, "").strip().isdigit():
            return int(values[key])
    return 0


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().strip()
    except OSError:
        return None
    return int(text) if text.isdigit() else None  # "max" (v2, no limit) is not a number
