"""Provides `RunRecorder`: a run written to the store by one thread, oldest first, end included.

The thread starts with the run's first event and ends once the run's end is written. Points and
epochs are gathered for up to FLUSH_S and written together, so a killed `lab run` loses at most
that much; a run that fails before training (a data set not downloaded) is recorded failed,
with its reason. A store that fails loses the record, never the run: `warn` says so once.
"""

from __future__ import annotations

import contextlib
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from lab.catalog.runspec import RunSpec
from lab.engine.events import EpochEnd, Event, Start

if TYPE_CHECKING:
    from lab.store import Store

FLUSH_S = 0.5
"""Points and epochs wait at most this long before they are written."""


@dataclass
class _Batch:
    start: Start | None = None
    points: list[tuple[int, str, float]] = field(default_factory=list)
    epochs: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    finish: tuple[str, str, dict[str, float], float] | None = None
    """(status, reason, metrics, training seconds)."""


class RunRecorder:
    """Writes one run to the store on its own thread; `add` and `finish` never block."""

    def __init__(
        self,
        run: RunSpec,
        *,
        store: Store | None = None,
        open_store: Callable[[], Store] | None = None,
        on_recorded: Callable[[int], object] | None = None,
        warn: Callable[[str], object] | None = None,
    ) -> None:
        self.run = run
        self.run_id: int | None = None
        self._store, self._open_store = store, open_store
        self._on_recorded, self._warn = on_recorded, warn
        self._queue: queue.SimpleQueue[tuple[str, Any]] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._finished = threading.Event()  # the end was handed over: write without waiting
        self._written = threading.Event()  # the end is written (or given up)
        self._lock = threading.Lock()
        self._broken = False

    @property
    def keeps(self) -> bool:
        """Whether this recorder has anywhere to write."""
        return self._store is not None or self._open_store is not None

    def add(self, event: Event, points: list[tuple[int, str, float]]) -> None:
        """Queue what `event` adds to the record (its start, its points, its epoch)."""
        if isinstance(event, Start):
            self._put("start", event)
        if points:
            self._put("points", points)
        if isinstance(event, EpochEnd):
            self._put("epoch", (event.epoch, dict(event.metrics)))

    def finish(self, status: str, reason: str, metrics: dict[str, float], seconds: float) -> None:
        """Queue the run's end; only the first end counts."""
        with self._lock:
            if self._finished.is_set():
                return
            self._finished.set()
        self._put("finish", (status, reason, dict(metrics), seconds))

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for the end to be written; True when it is (or there was nothing to write)."""
        if not self.keeps or self._thread is None:
            return True
        return self._written.wait(timeout)

    # --- the writing thread -------------------------------------------------------------------

    def _put(self, kind: str, item: Any) -> None:
        if not self.keeps:
            return
        self._queue.put((kind, item))
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._write_all, name="lab-run-record")
                self._thread.daemon = True
                self._thread.start()

    def _write_all(self) -> None:
        store, owned = self._store, False
        try:
            if store is None:
                assert self._open_store is not None  # `keeps`: one of the two is given
                store, owned = self._open_store(), True
        except Exception as exc:  # noqa: BLE001 - the record is lost, not the run
            self._fail(exc)
            self._written.set()
            return
        try:
            while True:
                self._finished.wait(FLUSH_S)
                batch = self._take()
                self._write(store, batch)
                if batch.finish is not None:
                    break
        finally:
            if owned:
                with contextlib.suppress(Exception):
                    store.close()
            self._written.set()
        if self.run_id is not None and self._on_recorded is not None:
            self._on_recorded(self.run_id)

    def _take(self) -> _Batch:
        batch = _Batch()
        while True:
            try:
                kind, item = self._queue.get_nowait()
            except queue.Empty:
                return batch
            if kind == "start":
                batch.start = item
            elif kind == "points":
                batch.points.extend(item)
            elif kind == "epoch":
                batch.epochs.append(item)
            else:
                batch.finish = item

    def _write(self, store: Store, batch: _Batch) -> None:
        if self._broken:
            return
        try:
            if self.run_id is None and (batch.start is not None or batch.finish is not None):
                start = batch.start
                self.run_id = store.start_run(
                    experiment=self.run.experiment,
                    lesson=self.run.lesson,
                    spec=self.run.spec_json(),
                    tweaks=self.run.tweaks,
                    seed=self.run.seed,
                    # a run that failed before training never said where it would run
                    device=start.device if start else self.run.spec.device,
                    torch_version=start.torch_version if start else "",
                )
            if self.run_id is None:
                return
            if batch.points:
                store.add_points(self.run_id, batch.points)
            for number, metrics in batch.epochs:
                store.add_epoch(self.run_id, number, metrics)
            if batch.finish is not None:
                store.finish_run(self.run_id, *batch.finish)
        except Exception as exc:  # noqa: BLE001 - the record is lost, not the run
            self._fail(exc)

    def _fail(self, exc: Exception) -> None:
        self._broken = True
        if self._warn is not None and not isinstance(exc, ImportError):
            self._warn(f"this run is not saved ({exc})")
