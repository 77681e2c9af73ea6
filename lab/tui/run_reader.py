"""Provides the run reader: a run session's events turned into a few messages for the screen.

`read_run` blocks on the session (on a thread: the experiment screen runs it as a Textual
worker) and posts batches, one hop per batch, not per event: a run that finishes 200 epochs in a
tenth of a second becomes a handful of messages, not 400. The session records the run itself.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from textual.message import Message

from lab.engine.events import Done, EpochEnd, Held, Log, Progress, Queued, Start, View
from lab.runs.session import Point, RunSession, RunTrack
from lab.tui.view_drawing import ONCE_KEYS, PATH_KINDS

POINT_BATCH_S = 0.1
"""Progress events are gathered this long before they cross to the screen as one message."""


@dataclass
class RunStarted(Message):
    """The worker began the run: device, model summary, the spec it runs."""

    start: Start


@dataclass
class PointsArrived(Message):
    """Loss points since the last batch (at most ~10 batches a second)."""

    points: list[Progress]


@dataclass
class EpochFinished(Message):
    """Epochs ended (usually one; many when epochs are short), with their metrics."""

    epochs: list[EpochEnd]
    val_points: list[Point]
    """Validation losses that came only with their epoch, placed at its last training step."""


@dataclass
class ViewsArrived(Message):
    """Pictures of the model since the last batch: the latest of each kind, every point of a
    path (cost, surface), and any view carrying data sent once (the training points)."""

    views: list[View]


@dataclass
class LogArrived(Message):
    """The worker said something for the learner."""

    text: str


@dataclass
class RunQueued(Message):
    """The run's job waits for the scheduler."""

    queued: Queued


@dataclass
class RunHeld(Message):
    """The worker holds the run (paused) after `step` updates."""

    step: int


@dataclass
class RunFinished(Message):
    """The run ended: completed, stopped, diverged or failed, with the reason."""

    done: Done


@dataclass
class RecordFailed(Message):
    """The store could not keep the run (the run goes on): why."""

    text: str


@dataclass
class RunRecorded(Message):
    """The store holds a run's end: the earlier-runs list can offer it for overlay."""

    run_id: int


def read_run(
    session: RunSession,
    post: Callable[[Message], object],
    cancelled: Callable[[], bool] = lambda: False,
) -> None:
    """Post the session's events as batches until its Done (or until `cancelled()`)."""
    track = RunTrack()
    points: list[Progress] = []
    epochs: list[EpochEnd] = []
    val_points: list[Point] = []
    views: list[View] = []
    flushed = time.monotonic()

    def flush() -> None:
        nonlocal points, epochs, val_points, views, flushed
        if points:
            post(PointsArrived(points))
        if epochs:
            post(EpochFinished(epochs, val_points))
        if views:
            post(ViewsArrived(worth_drawing(views)))
        points, epochs, val_points, views, flushed = [], [], [], [], time.monotonic()

    for event in session.events():
        if cancelled():
            return
        added = track.points(event)
        if isinstance(event, Progress) and views:
            flush()  # a batch ends with its pictures: the status line shows their moment
        if isinstance(event, Progress):
            points.append(event)
        elif isinstance(event, EpochEnd):
            epochs.append(event)
            val_points.extend(added)
        elif isinstance(event, View):
            views.append(event)
        if isinstance(event, (Progress, EpochEnd, View)):
            # Paused, each event is a step the learner asked for: shown at once (the next one
            # may not come until they press n again).
            if session.paused or time.monotonic() - flushed >= POINT_BATCH_S:
                flush()
            continue
        flush()
        if isinstance(event, Start):
            post(RunStarted(event))
            flushed = 0.0  # the run's first points cross at once, not a batch later
        elif isinstance(event, Log):
            post(LogArrived(event.text))
        elif isinstance(event, Held):
            post(RunHeld(event.step))
        elif isinstance(event, Queued):
            post(RunQueued(event))
        elif isinstance(event, Done):
            post(RunFinished(event))
    flush()


def worth_drawing(views: list[View]) -> list[View]:
    """The views of a batch the panel needs, in order: a view superseded by a later one of its
    kind is dropped unless it is a path's point or carries data sent only once."""
    last = {view.kind: i for i, view in enumerate(views)}
    return [
        view
        for i, view in enumerate(views)
        if i == last[view.kind]
        or view.kind in PATH_KINDS
        or any(key in view.data for key in ONCE_KEYS)
    ]
