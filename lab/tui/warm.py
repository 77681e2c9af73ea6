"""Provides WarmWorkers: one training worker process kept started ahead of time, torch imported."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any


def _spawn_worker() -> Any:
    from lab.engine.client import Worker  # no torch: the client only starts the process

    return Worker.spawn()


def _alive(worker: Any) -> bool:
    for name in ("alive", "is_alive", "running"):
        probe = getattr(worker, name, None)
        if probe is not None:
            return bool(probe() if callable(probe) else probe)
    process = getattr(worker, "process", None) or getattr(worker, "proc", None)
    if process is not None and hasattr(process, "poll"):
        return process.poll() is None
    return True


class WarmWorkers:
    """Keeps one spare worker: `take()` hands it over and starts the next in the background.

    A worker runs one run and exits, so the next run needs a fresh process; starting it while
    the learner watches the current run means the next `r` shows its first point at once
    instead of after torch's 2-7 s import. Spawning happens on a plain thread (it forks and
    execs, which must not stall the event loop); `shutdown()` kills the spare.
    """

    def __init__(self, spawn: Callable[[], Any] = _spawn_worker) -> None:
        self._spawn = spawn
        self._lock = threading.Lock()
        self._spare: Any = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def warm_up(self) -> None:
        """Start a spare in the background if there is none and none is being started."""
        with self._lock:
            if self._closed or self._spare is not None:
                return
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._fill, name="lab-warm-worker", daemon=True)
            self._thread.start()

    def _fill(self) -> None:
        try:
            worker = self._spawn()
        except Exception:  # the run that takes it will spawn and report the error itself
            return
        with self._lock:
            if self._closed or self._spare is not None:
                surplus = worker
            else:
                self._spare, surplus = worker, None
        if surplus is not None:
            _kill(surplus)

    def take(self) -> Any:
        """A started worker (the spare if it is alive, else a new one); the next one warms up."""
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=5)  # a spawn is a fork and exec: milliseconds, not the import
        with self._lock:
            worker, self._spare = self._spare, None
        if worker is None or not _alive(worker):
            if worker is not None:
                _kill(worker)
            worker = self._spawn()
        self.warm_up()
        return worker

    def shutdown(self) -> None:
        """Kill the spare (and one being started); later calls to warm_up do nothing."""
        with self._lock:
            self._closed = True
            worker, self._spare = self._spare, None
        if worker is not None:
            _kill(worker)
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=5)
        with self._lock:
            worker, self._spare = self._spare, None
        if worker is not None:
            _kill(worker)


def _kill(worker: Any) -> None:
    with contextlib.suppress(Exception):
        worker.kill()


def warm_workers(app: Any) -> WarmWorkers:
    """The app's WarmWorkers, made on first use and killed by the app's shutdown hooks."""
    warm = getattr(app, "warm_workers", None)
    if warm is None:
        warm = WarmWorkers()
        app.warm_workers = warm
        hooks = getattr(app, "shutdown_hooks", None)
        if hooks is not None:
            hooks.append(warm.shutdown)
    return warm
