"""Provides WarmWorkers: a training worker ready ahead of time, torch imported, for the next run.

On Linux without a GPU, CPU runs come from the fork server (`lab.engine.forkserver`): one
process imports torch once and forks a worker per run in milliseconds. A run for a GPU (and any
run on a machine with one, or where forking is off) takes a spare spawned worker, and the next
spare starts while the run goes on.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from typing import Any


def _spawn_worker() -> Any:
    from lab.engine.client import Worker  # no torch: the client only starts the process

    return Worker.spawn()


def _can_fork() -> bool:
    from lab.engine.client import can_fork

    return can_fork()


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
    """Hands out workers that start at once: `take()` gives one and readies the next.

    A worker runs one run and exits, so the next run needs a fresh process; readying it while
    the learner reads or watches the current run means the next `r` shows its first point at
    once instead of after torch's 2-7 s import. Starting happens on a plain thread (it forks and
    execs, which must not stall the event loop); `shutdown()` ends the spare.
    """

    def __init__(self, spawn: Callable[[], Any] = _spawn_worker, fork: bool | None = None) -> None:
        self._spawn = spawn
        self._fork = _can_fork() if fork is None else fork
        self._lock = threading.Lock()
        self._spare: Any = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def warm_up(self) -> None:
        """Start a spare (forked, or spawned) in the background if none is there or starting."""
        with self._lock:
            if self._closed or self._spare is not None:
                return
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._fill, name="lab-warm-worker", daemon=True)
            self._thread.start()

    def _fill(self) -> None:
        try:
            worker = self._fork_spare() if self._fork else self._spawn()
        except Exception:  # the run that takes it will start one and report the error itself
            return
        with self._lock:
            if self._closed or self._spare is not None:
                surplus = worker
            else:
                self._spare, surplus = worker, None
        if surplus is not None:
            _kill(surplus)

    def _fork_spare(self) -> Any:
        # Forked ahead too: the child has made itself a worker (pipes, signals, its first
        # touches of the server's memory) before the learner presses r.
        from lab.engine.client import Worker, fork_server

        return Worker.fork(fork_server(), lambda: self._closed)

    def take(self) -> Any:
        """A worker for the next run (its `ready` says whether torch is imported yet)."""
        if self._fork:
            from lab.engine.client import Worker, fork_server

            server = fork_server()
            return Worker.later(self._start, lambda: self._spare is not None or server.ready)
        thread = self._thread
        if thread is not None and thread.is_alive():
            thread.join(timeout=5)  # a spawn is a fork and exec: milliseconds, not the import
        worker = self._take_spare() or self._spawn()
        self.warm_up()
        return worker

    def _take_spare(self) -> Any:
        with self._lock:
            worker, self._spare = self._spare, None
        if worker is not None and not _alive(worker):
            _kill(worker)
            return None
        return worker

    def _start(self, run_spec: dict, cancelled: Callable[[], bool]) -> Any:
        """The process for a run handed out by `take()`: forked for the CPU, else spawned."""
        from lab.engine.client import ForkServerError, Worker, fork_server, wants_gpu

        if self._fork and not wants_gpu(run_spec):
            thread = self._thread
            while thread is not None and thread.is_alive() and not cancelled():
                thread.join(0.05)  # a spare being forked (or the server starting): take it
            try:
                # The next spare is forked when this run ends (the screen's warm_up), not now,
                # when it would take CPU from this run's start.
                return self._take_spare() or Worker.fork(fork_server(), cancelled)
            except ForkServerError:
                self._fork = False  # spawn from now on, with a spare kept ahead as before
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
