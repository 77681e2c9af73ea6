"""Provides the runners, where run workers come from, and `runner()`, the one configured here.

A runner starts the worker (`lab.engine.worker`) by a command; the worker's stdin and stdout
are the channel (the run spec and command lines in, events as JSON lines out), and signals
(SIGINT: stop, SIGKILL: kill) and the `stop` line are the controls. `[runner] kind` in
config.toml (or `LAB_RUNNER`) picks one:

- `local` (the default), `LocalRunner`: processes on this machine. A worker runs one run and
  exits, so the next run needs a fresh process, and importing torch takes 2-7 s of CPU. So:
  on Linux without a GPU (`can_fork()`), a CPU run's process is forked, in milliseconds, by the
  app's fork server (which imports torch once, as home or a lesson opens); elsewhere, and
  for a run on a GPU, a worker is spawned. Either way a spare is made ahead (`warm_up()`, while
  the learner reads or watches a run), so the next `r` shows its first point at once. `take()`
  never waits: its worker is made when the run's spec is sent (on the reading thread), once the
  spec says where the run goes, and takes the spare if there is one. A fork server that
  refuses or dies means spawning from then on. `lab run` uses `LocalRunner(ahead=False)`: one
  spawned worker, no fork server, no spare.
- `command`, `CommandRunner`: each worker started by the command in `LAB_RUNNER_COMMAND`
  (for instance `python -m lab.engine.worker`, or one that starts it elsewhere, such as a
  cluster's job step), spawned when taken; it is ready once it has said something.
- `slurm`, `SlurmRunner`: a `CommandRunner` whose command starts the worker as a Slurm job step
  with `[slurm]`'s resources (`lab.runs.slurm`, `lab.runs.slurm_step`). Nothing is made ahead
  unless `[slurm] keep_warm` is set: a held allocation is a held GPU.

No torch here.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import signal
import subprocess
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from lab.engine.client import Launched, RunProcess, can_fork, fork_server, spawn, wants_gpu
from lab.proc.forkclient import ForkServerError
from lab.runs.ports import RunnerError, WorkerSource
from lab.runs.slurm import step_argv

if TYPE_CHECKING:
    from lab.config import SlurmConfig


class LocalRunner:
    """Run workers on this machine: forked for CPU runs where it can, else spawned, with a spare
    made ahead (see the module docstring); implements `lab.runs.ports.WorkerSource`.

    Starting happens on a plain thread (it forks and execs, which must not stall the event
    loop); `shutdown()` ends the spare."""

    def __init__(
        self,
        spawn: Callable[[], Launched] = spawn,
        fork: bool | None = None,
        ahead: bool = True,
    ) -> None:
        self._spawn = spawn
        self._fork = ahead and (can_fork() if fork is None else fork)  # one run: no server
        self._ahead = ahead
        self._lock = threading.Lock()
        self._spare: Launched | None = None
        self._thread: threading.Thread | None = None
        self._closed = False

    def warm_up(self, run_soon: bool = False) -> None:
        """Start a spare (forked, or spawned) in the background if none is there or starting
        (a spare here costs memory only: made whether or not a run may come soon)."""
        with self._lock:
            if not self._ahead or self._closed or self._spare is not None:
                return
            if self._thread is not None and self._thread.is_alive():
                return
            self._thread = threading.Thread(target=self._fill, name="lab-warm-worker", daemon=True)
            self._thread.start()

    def _fill(self) -> None:
        try:
            # Forked ahead too: the child has made itself a worker (pipes, signals, its first
            # touches of the server's memory) before the learner presses r.
            made = self._forked(lambda: self._closed) if self._fork else self._spawn()
        except Exception:  # the run that takes it will start one and report the error itself
            return
        with self._lock:
            if self._closed or self._spare is not None:
                surplus: Launched | None = made
            else:
                self._spare, surplus = made, None
        if surplus is not None:
            _end(surplus)

    @staticmethod
    def _forked(cancelled: Callable[[], bool]) -> Launched:
        return Launched(fork_server().fork(cancelled), warm=True)

    def take(self) -> RunProcess:
        """A worker for the next run (its `ready` says whether torch is imported yet)."""
        if self._fork:
            server = fork_server()
            return RunProcess(self._start, lambda: self._spare is not None or server.ready)
        self._join_filling()
        made = self._take_spare() or self._spawn()
        self.warm_up()
        return RunProcess(launched=made)

    def _join_filling(self, cancelled: Callable[[], bool] = lambda: False) -> None:
        # A spare being made (a fork, or a spawn: a fork and exec, milliseconds): take it.
        thread = self._thread
        while thread is not None and thread.is_alive() and not cancelled():
            thread.join(0.05)

    def _take_spare(self) -> Launched | None:
        with self._lock:
            made, self._spare = self._spare, None
        if made is not None and made.process.poll() is not None:
            _end(made)
            return None
        return made

    def _start(self, run_spec: dict, cancelled: Callable[[], bool]) -> Launched:
        """The process for a run handed out by `take()`: forked for the CPU, else spawned."""
        if self._fork and not wants_gpu(run_spec):
            self._join_filling(cancelled)
            try:
                # The next spare is forked when this run ends (the screen's warm_up), not now,
                # when it would take CPU from this run's start.
                return self._take_spare() or self._forked(cancelled)
            except ForkServerError:
                self._fork = False  # spawn from now on, a spare kept ahead
        made = self._spawn()
        self.warm_up()
        return made

    def release(self) -> None:
        pass  # the spare stays for the next screen: it holds nothing another user needs

    def shutdown(self) -> None:
        """End the spare (and one being started); later calls to warm_up do nothing."""
        with self._lock:
            self._closed = True
        self._join_filling()
        with self._lock:
            made, self._spare = self._spare, None
        if made is not None:
            _end(made)


class CommandRunner:
    """Each run's worker started by `argv`, a command that starts `lab.engine.worker` (here or
    elsewhere) with its stdin and stdout as the channel; implements
    `lab.runs.ports.WorkerSource`. Nothing is made ahead."""

    def __init__(self, argv: list[str]) -> None:
        self.argv = argv

    def take(self) -> RunProcess:
        return RunProcess.spawn(self.argv, ready_pipe=False)

    def warm_up(self, run_soon: bool = False) -> None:
        pass

    def release(self) -> None:
        pass

    def shutdown(self) -> None:
        pass


class SlurmRunner(CommandRunner):
    """Each run's worker a Slurm job step: the command is srun's, through `lab.runs.slurm_step`
    (see `lab.runs.slurm`).

    With `[slurm] keep_warm` (a duration), a screen that starts runs (`warm_up(run_soon=True)`)
    gets one job step held with its worker ready, torch imported on the node, so that its next
    run starts at once; it is given back when the screen closes (`release()`), after
    `keep_warm` with no run, and at `shutdown()`. Off by default."""

    def __init__(self, config: SlurmConfig) -> None:
        from lab.config import duration_s

        super().__init__(step_argv(config))
        self.keep_s = duration_s(config.keep_warm)
        self._lock = threading.Lock()
        self._held: Launched | None = None
        self._idle: threading.Timer | None = None
        self._closed = False

    def warm_up(self, run_soon: bool = False) -> None:
        if not (run_soon and self.keep_s):
            return
        with self._lock:
            if self._closed:
                return
            if self._held is None or self._held.process.poll() is not None:
                self._held = spawn(self.argv, ready_pipe=False)
            if self._idle is not None:
                self._idle.cancel()
            self._idle = threading.Timer(self.keep_s, self.release)
            self._idle.daemon = True
            self._idle.start()

    def take(self) -> RunProcess:
        held = self._unhold()
        if held is not None and held.process.poll() is None:
            return RunProcess(launched=held)
        return super().take()

    def _unhold(self) -> Launched | None:
        with self._lock:
            held, self._held = self._held, None
            if self._idle is not None:
                self._idle.cancel()
        return held

    def release(self) -> None:
        held = self._unhold()
        if held is not None:
            # slurm_step cancels the job on SIGTERM; the rest is waited for off this thread
            with contextlib.suppress(OSError):
                held.process.send_signal(signal.SIGTERM)
            threading.Thread(target=_end, args=(held, 10.0), daemon=True).start()

    def shutdown(self) -> None:
        with self._lock:
            self._closed = True
        self.release()


def runner(ahead: bool = True) -> WorkerSource:
    """The runner the settings name (`[runner] kind` in config.toml, or `LAB_RUNNER`; `local`
    by default); `ahead=False` for one run and done (`lab run`): no spare, no fork server."""
    from lab.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError as exc:
        raise RunnerError(str(exc)) from None
    kind = config.runner.kind
    if kind == "slurm":
        return SlurmRunner(config.slurm)
    if kind == "command":
        argv = shlex.split(os.environ.get("LAB_RUNNER_COMMAND", ""))
        if not argv:
            raise RunnerError("LAB_RUNNER=command needs LAB_RUNNER_COMMAND, the worker's command")
        return CommandRunner(argv)
    return LocalRunner(ahead=ahead)


def _end(made: Launched, grace_s: float = 0.0) -> None:
    """Kill the process (after `grace_s` to end by itself) and wait for it."""
    with contextlib.suppress(Exception):
        if grace_s:
            with contextlib.suppress(subprocess.TimeoutExpired):
                made.process.wait(grace_s)
        made.process.send_signal(signal.SIGKILL)
        made.process.wait(2)
