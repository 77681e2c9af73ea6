"""Provides the events a training run emits, and their one-JSON-object-a-line form (no torch)."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Status = Literal["completed", "stopped", "diverged", "failed"]


@dataclass
class Start:
    """The run began: what runs where, the model's summary and size."""

    experiment: str
    device: str
    summary: str
    parameters: int
    spec: dict[str, Any]
    torch_version: str
    runner: str = "local"
    """Where the worker runs: `local`, or `slurm` (then `job` and `node` say which)."""
    job: str = ""
    node: str = ""


@dataclass
class Progress:
    """Training moved on: the mean loss since the previous Progress of the same series."""

    epoch: int
    step: int
    loss: float
    samples_per_s: float
    series: str = "train"


@dataclass
class EpochEnd:
    """An epoch ended: train/val loss and accuracy (scripted runs add their own keys)."""

    epoch: int
    metrics: dict[str, float] = field(default_factory=dict)


@dataclass
class Log:
    """A line of text for the learner."""

    text: str


@dataclass
class Done:
    """The run ended; exactly one per run. `traceback` only for failures."""

    status: Status
    reason: str
    metrics: dict[str, float] = field(default_factory=dict)
    traceback: str | None = None


@dataclass
class Queued:
    """The run waits to start, about once a second: for Slurm (`job`, and Slurm's reason:
    Resources, Priority...) or for a free run slot on this machine (no job); how long so far."""

    job: str
    reason: str
    waited_s: int


def waiting_words(queued: Queued) -> str:
    """What a waiting run says: whose queue it is in, and why."""
    if queued.job:
        return f"waiting for Slurm: job {queued.job}, {queued.reason}"
    return queued.reason


@dataclass
class Held:
    """The run holds (paused) after `step` updates, waiting for a step, an epoch or resume:
    sent each time it begins to wait, so that a front-end says "paused" only when it is."""

    step: int


@dataclass
class View:
    """A picture of the model now, as data for a panel (`lab.engine.views` says each kind's
    fields); on the wire its data sits beside "type", "kind" and "step"."""

    kind: str
    step: int
    data: dict[str, Any] = field(default_factory=dict)


Event = Start | Progress | EpochEnd | Log | Done | View | Held | Queued

_TYPES: dict[str, type] = {
    "start": Start,
    "progress": Progress,
    "epoch": EpochEnd,
    "log": Log,
    "done": Done,
    "view": View,
    "held": Held,
    "queued": Queued,
}
_NAMES = {cls: name for name, cls in _TYPES.items()}


def to_json(event: Event) -> str:
    """One line of JSON with a "type" field (a diverged loss stays `Infinity`/`NaN`, as Python
    writes and reads it)."""
    if isinstance(event, View):
        data = {"type": "view", "kind": event.kind, "step": event.step, **event.data}
    else:
        data = {"type": _NAMES[type(event)], **asdict(event)}
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"))


def from_json(line: str) -> Event:
    data = json.loads(line)
    cls = _TYPES[data.pop("type")]
    if cls is View:
        return View(data.pop("kind"), data.pop("step"), data)
    return cls(**data)
