"""Provides `RunSession`: one run of an experiment, headless, for `lab run` and the app.

A session takes a worker, sends it the run spec, reads its events and yields them, ending
with exactly one `Done` whatever happens to the process. Every event also goes to the session's
`RunRecorder`, which writes the run to the store on its own thread from the first event to the
end, a failure before training included. Front-ends only show what the events say and forward
the learner's keys.

No torch and no textual here: the worker process trains; the screen draws.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lab.catalog.runspec import RunSpec
from lab.engine.events import Done, EpochEnd, Event, Progress, Start
from lab.runs.ports import RunWorker
from lab.runs.recorder import RunRecorder

if TYPE_CHECKING:
    from lab.store import Store

CLOSE_WAIT_S = 20.0
"""How long closing waits for the record to land (the store's busy timeout is 15 s)."""
STOP_WAIT_S = 1.5
"""How long closing waits for a stopped worker's own end, which carries the figures a scripted
run keeps to itself (its events may hold none); a worker answers a stop within a second."""

Point = tuple[int, str, float]
"""(step, series, loss): one point of a loss curve."""


@dataclass
class RunTrack:
    """What a run's events add up to: the loss points to draw and keep, the latest metrics.

    A run whose validation loss comes only with each epoch gets it as a `val` point at the
    epoch's last training step, so it is drawn (and kept) beside the step losses."""

    last_step: int = 0
    val_from_progress: bool = False
    metrics: dict[str, float] = field(default_factory=dict)

    def points(self, event: Event) -> list[Point]:
        """The points `event` adds (none for most events); updates the latest metrics."""
        if isinstance(event, Progress):
            if event.series == "train":
                self.last_step = max(self.last_step, event.step)
            elif event.series == "val":
                self.val_from_progress = True
            return [(event.step, event.series, event.loss)]
        if isinstance(event, EpochEnd):
            self.metrics = dict(event.metrics)
            val = event.metrics.get("val_loss")
            if val is not None and not self.val_from_progress:
                return [(self.last_step, "val", val)]
        if isinstance(event, Done):
            self.metrics = final_metrics(self.metrics, event.metrics)
        return []


def final_metrics(last_epoch: dict[str, Any], done: dict[str, Any] | None) -> dict[str, float]:
    """A run's figures at its end: the last epoch's, overridden by the end's own; numbers only
    (a diverged loss stays inf or nan: it is what happened)."""
    merged = {**last_epoch, **(done or {})}
    return {
        key: float(value)
        for key, value in merged.items()
        if isinstance(value, (int, float)) and not isinstance(value, bool)
    }


class RunSession:
    """One run: the worker, its events, its record. Iterate `events()` on one thread; `stop()`,
    `close()` and the stepping calls may come from any other.

    `worker` is a `lab.runs.ports.RunWorker` (`send`, `events`, `stop`, `kill`, `close`,
    `wait`, and for stepping `pause`, `step`, `step_epoch`, `resume`); the session
    sends it `run` when `events()` is first iterated, on the thread that reads. `store` is a
    Store to record in (borrowed), or `open_store` a callable that opens one on the writing
    thread (owned: closed at the end); with neither, nothing is kept.
    """

    def __init__(
        self,
        run: RunSpec,
        worker: RunWorker,
        *,
        store: Store | None = None,
        open_store: Callable[[], Store] | None = None,
        on_recorded: Callable[[int], object] | None = None,
        on_warning: Callable[[str], object] | None = None,
    ) -> None:
        self.run = run
        self.worker = worker
        self.recorder = RunRecorder(
            run, store=store, open_store=open_store, on_recorded=on_recorded, warn=on_warning
        )
        self.track = RunTrack()
        self.done: Done | None = None
        self.started_at: float | None = None
        """When the worker said `start` (monotonic): training time runs from here."""
        self._ended_at = 0.0
        self._lock = threading.Lock()
        self._stopping = False
        self._ended = threading.Event()  # the Done is handled
        self._reader: int | None = None  # the thread reading the worker's events, while it does
        self._close_reason: str | None = None
        self._sending = False  # send() began: a stop() signals the worker
        self._sent = False  # send() returned: stepping commands go to the worker
        self._held: list[str] = []  # step-by-step commands given before the spec was sent
        self.paused = False
        """Paused or stepping (pause, step, step_epoch) and not resumed: a front-end shows each
        event as it comes instead of batching."""

    # --- the run ------------------------------------------------------------------------------

    @property
    def run_id(self) -> int | None:
        """The run's id in the store, once the recorder has written its start."""
        return self.recorder.run_id

    @property
    def metrics(self) -> dict[str, float]:
        return self.track.metrics

    @property
    def training_s(self) -> float:
        """Seconds from `start` to the end (or now): training, not the worker's start-up."""
        if self.started_at is None:
            return 0.0
        end = self._ended_at if self.done is not None else time.monotonic()
        return max(0.0, end - self.started_at)

    def events(self) -> Iterator[Event]:
        """The run's events, ending with exactly one Done. Interrupted (Ctrl+C in `lab run`),
        call it again: it goes on reading where it stopped."""
        if self.done is not None:
            return
        try:
            self._send()
            self._reader = threading.get_ident()
            for event in self.worker.events():
                yield from self._handle(event)
                if self.done is not None:
                    return
        except Exception as exc:  # noqa: BLE001 - the run ends as failed, the front-end stays up
            reason = f"could not talk to the training process: {exc}"
            with contextlib.suppress(Exception):
                self.worker.kill()
            yield from self._handle(Done("failed", reason))
            return
        finally:
            self._reader = None  # also when the reader lets go of this generator
        if self.done is None:  # the worker's events end with a Done; be sure anyway
            yield from self._handle(Done("failed", "the worker ended without a result"))

    def _send(self) -> None:
        with self._lock:  # from here a stop() signals the worker (one before: seen below)
            if self._sending:
                return
            self._sending = True
        # Not under the lock: a worker whose torch is still loading waits in send() until it
        # is ready or stopped, and stop() (the learner's `s`) must reach it meanwhile.
        self.worker.send(self.run.to_json())
        with self._lock:  # stepping commands from now on go straight to the worker
            self._sent = True
            stopping = self._stopping
            held, self._held = self._held, []
        if stopping:  # asked before the spec went: the run ends as soon as it begins
            self.worker.stop()
        for command in held:
            getattr(self.worker, command)()

    def _handle(self, event: Event) -> Iterator[Event]:
        if self.done is not None:
            return
        if isinstance(event, Start):
            self.started_at = time.monotonic()
        points = self.track.points(event)
        if isinstance(event, Done):
            self.done = event
            self._ended_at = time.monotonic()
            reason = event.reason
            if event.status == "stopped" and self._close_reason is not None:
                reason = self._close_reason  # stopped by close(): why it was closed
            self.recorder.finish(event.status, reason, self.track.metrics, self.training_s)
            self._ended.set()
        else:
            self.recorder.add(event, points)
        yield event

    # --- the learner's keys and the app's end -------------------------------------------------

    def stop(self) -> None:
        """Ask the run to stop; its events end with `done: stopped` within a second."""
        with self._lock:
            self._stopping = True
            sending = self._sending
        if sending:
            with contextlib.suppress(Exception):
                self.worker.stop()

    def pause(self) -> None:
        """Hold the run before its next update; the worker waits without using the CPU."""
        self._forward("pause")

    def step(self) -> None:
        """One more update, then hold: its progress (and views) come at once."""
        self._forward("step")

    def step_epoch(self) -> None:
        """The rest of the current epoch, then hold."""
        self._forward("step_epoch")

    def resume(self) -> None:
        """Train on without holding."""
        self._forward("resume")

    def _forward(self, command: str) -> None:
        with self._lock:
            if self._stopping or self.done is not None:
                return
            self.paused = command != "resume"
            if not self._sent:
                self._held.append(command)
                return
            with contextlib.suppress(Exception):
                getattr(self.worker, command)()

    def close(self, reason: str = "the app closed while the run went on") -> None:
        """End the run now (the app exits, the learner leaves the screen): the worker is stopped
        and the run recorded as stopped, unless it had already ended. Waits for the record."""
        with self._lock:
            self._stopping = True
            self._close_reason = reason
        with contextlib.suppress(Exception):
            self.worker.stop()
        # Another thread reading the events gets the worker's own end, with every figure the
        # run had (a scripted run's may be in no event before it): recorded with this reason.
        reader = self._reader
        if self.done is None and reader is not None and reader != threading.get_ident():
            self._ended.wait(STOP_WAIT_S)
        with contextlib.suppress(Exception):
            self.worker.close()
        if self.done is None:
            self.recorder.finish("stopped", reason, self.track.metrics, self.training_s)
        self.recorder.wait(CLOSE_WAIT_S)

    def kill(self, reason: str) -> Done:
        """End the run at once, its worker killed (a second Ctrl+C): recorded as stopped."""
        with self._lock:
            self._stopping = True
        with contextlib.suppress(Exception):
            self.worker.kill()
        for _ in self._handle(Done("stopped", reason)):
            pass
        assert self.done is not None  # the run's own end, or this one
        return self.done

    def wait_recorded(self, timeout: float | None = None) -> bool:
        """Wait until every write of the run has landed; False if `timeout` passed first."""
        return self.recorder.wait(timeout)


def describe_tweaks(tweaks: dict[str, Any] | None) -> str:
    """A run's label: the settings it changed (`lr=0.5 epochs=20`), or `defaults`."""
    if not tweaks:
        return "defaults"
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in tweaks.items())
