"""Provides `RunProcess`: one training run's process, fed one run spec, read as events.

A run process is the worker (`lab.engine.worker`) in a process of its own: spawned
(`python -m lab.engine.worker`, or any command that starts it: `spawn(argv)`), or forked by the
app's fork server (`fork_server()`, which holds torch already: milliseconds instead of
seconds). Whichever, its life cycle is one: made with a way to start its process, handed its
spec (`send`, which never waits), started when its events are first read, then read until one
`Done`. Which process a run gets is the runner's policy (`lab.runs.runners`), not this class's.

The channel is the process's stdin and stdout: the spec and then command lines in, events as
JSON lines out; its controls are signals (SIGINT: stop, SIGKILL: kill) and the `stop` line.
No torch here: the app and the CLI import this.
"""

from __future__ import annotations

import collections
import contextlib
import glob
import json
import os
import select
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Protocol

from lab.engine.events import Done, Event, from_json
from lab.proc.child import PipedProcess, child_env
from lab.proc.forkclient import ForkServer, StartCancelled

WORKER = ("-m", "lab.engine.worker")
"""The worker's command after the interpreter."""


def death_reason(code: int) -> str:
    """Why a worker ended without a Done, from its exit status (negative: the signal)."""
    if code >= 0:
        return f"the training process died (exit code {code})"
    try:
        name = signal.Signals(-code).name
    except ValueError:
        name = "unknown signal"
    reason = f"the training process died (signal {-code}, {name})"
    if -code == signal.SIGKILL:
        # Nobody else sends SIGKILL to a worker: the kernel's out-of-memory killer does.
        reason += (
            ": if nobody killed it, the computer ran out of memory; "
            "try a smaller batch size or a smaller model"
        )
    return reason


class Process(PipedProcess, Protocol):
    """What a run process is driven through: a `subprocess.Popen` or a `ForkedProcess`."""

    def send_signal(self, sig: int) -> None: ...


class Launched:
    """A worker process that exists and waits for its run; its stderr's tail is kept.

    `ready()` says whether torch is imported there: a forked process is `warm` from the start;
    a locally spawned one writes a byte on `ready_fd` once torch is in; one started by another
    command (on another machine, say) says nothing, and is ready once it has said anything
    (`RunProcess.ready`)."""

    def __init__(self, process: Process, ready_fd: int | None = None, warm: bool = False) -> None:
        self.process = process
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._ready_fd = ready_fd
        self._ready = warm
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def ready(self) -> bool:
        if not self._ready and self._ready_fd is not None:
            readable, _, _ = select.select([self._ready_fd], [], [], 0)
            self._ready = bool(readable)
        return self._ready or self.process.poll() is not None

    def tail(self) -> str | None:
        """The last lines the process wrote on stderr, once it has ended."""
        self._drain.join(timeout=1)
        return "".join(self.stderr) or None


Start = Callable[[dict, Callable[[], bool]], Launched]
"""How a run gets its process: `start(run_spec, cancelled)`; may wait (a fork server still
importing torch) until `cancelled()` turns true (then StartCancelled)."""


def spawn(argv: list[str] | None = None, ready_pipe: bool = True) -> Launched:
    """Start the worker (`python -m lab.engine.worker`, or `argv`, a command that starts it);
    with `ready_pipe`, it tells on an inherited pipe when torch is in (a local process only)."""
    env = child_env()
    pass_fds: tuple[int, ...] = ()
    ready_r = ready_w = None
    if ready_pipe:
        ready_r, ready_w = os.pipe()
        env["LAB_READY_FD"] = str(ready_w)  # the worker writes a byte here once torch is in
        pass_fds = (ready_w,)
    try:
        process = subprocess.Popen(
            argv or [sys.executable, *WORKER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
            pass_fds=pass_fds,
        )
    except BaseException:
        if ready_r is not None:
            os.close(ready_r)
        raise
    finally:
        if ready_w is not None:
            os.close(ready_w)
    return Launched(process, ready_r)


class RunProcess:
    """One run in one worker process; implements `lab.runs.ports.RunWorker`.

    Made with its process (`launched`: spawned ahead), or with `start`, which makes the
    process when the events are first read (on the caller's reading thread, never the event
    loop), once the spec says where the run goes; `ready()` says, until then, whether it would
    start at once. The spec and any step-by-step commands given before are written when the
    events are first read. A stop or kill before the process exists ends the run without one.
    """

    def __init__(
        self,
        start: Start | None = None,
        ready: Callable[[], bool] = lambda: True,
        launched: Launched | None = None,
    ) -> None:
        assert (start is None) != (launched is None), "a process, or how to make one"
        self._start = start
        self._probe = ready
        self._launched = launched
        self._early: str | None = None  # "stop" or "kill" asked before the process existed
        self._spec: dict | None = None
        self._held: list[str] = []  # commands given before the spec was written
        self._sent = False  # the spec is on the process's stdin: commands may follow it
        self._stop_asked = False
        self._heard = False  # an event came from the process
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None

    @classmethod
    def spawn(cls, argv: list[str] | None = None, ready_pipe: bool = True) -> RunProcess:
        """A run in a worker spawned now (see `spawn`): it imports torch while its spec waits."""
        return cls(launched=spawn(argv, ready_pipe))

    @classmethod
    def fork(cls, server: ForkServer | None = None) -> RunProcess:
        """A run in a process forked from the fork server (this process's own by default)
        when its events are first read."""

        def start(_spec: dict, cancelled: Callable[[], bool]) -> Launched:
            return Launched((server or fork_server()).fork(cancelled), warm=True)

        return cls(start, lambda: (server or fork_server()).ready)

    @property
    def process(self) -> Process | None:
        """The process, once made."""
        return self._launched.process if self._launched is not None else None

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def ready(self) -> bool:
        """True when torch is imported there (a run sent now starts at once), or the process
        has said something, or ended."""
        launched = self._launched
        if launched is None:
            return self._probe()
        return self._heard or launched.ready()

    def send(self, run_spec: dict) -> None:
        """Hand the run its spec, written when the events are first read: the caller may hold
        a lock around `send` that `stop()` needs, so `send` never waits."""
        self._spec = run_spec

    def events(self) -> Iterator[Event]:
        """The run's events, ending with exactly one Done, even if the process dies."""
        if self._spec is None or not self._launch(self._spec):
            yield Done("stopped", "stopped before the run began")
            return
        process = self.process
        assert process is not None and process.stdout is not None
        for line in process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = from_json(line)
            except (ValueError, KeyError, TypeError):
                continue  # not an event: ignore rather than crash the reader
            self._heard = True
            if isinstance(event, Done):
                # Closed (and reaped) before the Done is handed on: a reader may stop at it.
                self.close()
                yield event
                return
            yield event
        yield self._death()

    def _launch(self, run_spec: dict) -> bool:
        """Make the process (unless it exists) and write the spec and the commands held."""
        if self._launched is None:
            assert self._start is not None
            if self._early is not None:
                return False
            try:
                launched = self._start(run_spec, lambda: self._early is not None)
            except StartCancelled:
                return False
            with self._lock:
                self._launched, early = launched, self._early
            if early is not None:  # stop or kill came while the process was being made
                self._signal(signal.SIGKILL if early == "kill" else signal.SIGINT)
                self.close()
                return False
        with self._lock:
            if not self._sent:
                # One write: the worker reads a pause given while it was made with its spec,
                # and holds the run before its first update.
                self._write("\n".join([json.dumps(run_spec), *self._held]))
                self._sent, self._held = True, []
        return True

    def _write(self, line: str) -> None:
        stdin = self.process.stdin if self.process is not None else None
        if stdin is None or stdin.closed:
            return
        with contextlib.suppress(OSError, ValueError):
            stdin.write(line + "\n")
            stdin.flush()

    def _death(self) -> Done:
        assert self._launched is not None
        code = self._launched.process.wait()
        tail = self._launched.tail()
        if self._stop_asked and code != -signal.SIGKILL:
            # The stop signal came before the worker could take it (it was still starting):
            # it ended as asked, without saying so.
            return Done("stopped", "stopped" if self._heard else "stopped before the run began")
        return Done("failed", death_reason(code), {}, tail)

    def stop(self) -> None:
        """Ask the run to stop: the worker answers `done: stopped` within a second. Asked twice:
        by a signal, heard at once even mid-epoch, and on stdin after the spec, heard even when
        the signal came while the worker was still starting."""
        if self._before_process("stop"):
            return
        self._stop_asked = True
        self._command("stop")
        self._signal(signal.SIGINT)

    def pause(self) -> None:
        """Hold the run before its next update (it waits without using the CPU)."""
        self._command("pause")

    def step(self) -> None:
        """One more update, then hold (pauses a running run after one more update)."""
        self._command("step")

    def step_epoch(self) -> None:
        """The rest of the current epoch, then hold."""
        self._command("epoch")

    def resume(self) -> None:
        """Train on without holding."""
        self._command("resume")

    def _command(self, word: str) -> None:
        # A line on stdin after the spec; kept until then (a stop too: the signal that goes
        # with it is lost on a worker still starting, before its handlers are set).
        with self._lock:
            if self._sent:
                self._write(word)
            else:
                self._held.append(word)

    def kill(self) -> None:
        """End the process now (no Done will come from it)."""
        if self._before_process("kill"):
            return
        self._signal(signal.SIGKILL)
        self.close()

    def _before_process(self, what: str) -> bool:
        with self._lock:
            if self._launched is None:
                self._early = self._early or what
                return True
        return False

    def close(self) -> None:
        """Close our end of stdin: an idle worker exits, a running one stops; its exit is
        collected on a thread, so that no finished worker stays a zombie while the app runs."""
        if self._before_process("stop"):
            return
        process = self.process
        assert process is not None
        with contextlib.suppress(OSError):
            if process.stdin and not process.stdin.closed:
                process.stdin.close()
        with self._lock:
            if self._reaper is not None:
                return
            self._reaper = threading.Thread(target=self.wait, name="lab-reap-worker", daemon=True)
        self._reaper.start()

    def wait(self, timeout: float | None = None) -> int | None:
        """The exit code, once the process has ended (None: not yet, or never made)."""
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _signal(self, sig: int) -> None:
        process = self.process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                process.send_signal(sig)

    def __enter__(self) -> RunProcess:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
        if self.wait(2) is None:
            self.kill()
            self.wait(2)


# --- the app's fork server for CPU runs -------------------------------------------------------

_server: ForkServer | None = None
_server_lock = threading.Lock()


def can_fork() -> bool:
    """Whether CPU runs here can come from the fork server: Linux (a forked child dies with the
    server), no GPU to keep out of the parent, and not switched off with LAB_FORK_SERVER=0."""
    if not sys.platform.startswith("linux") or os.environ.get("LAB_FORK_SERVER") == "0":
        return False
    return not glob.glob("/dev/nvidia[0-9]*")


def fork_server() -> ForkServer:
    """This process's fork server for runs, started on first use (again if it ended); it ends
    with us. It holds torch, rehearsed on a tiny run (`lab.engine.worker.prepare`)."""
    global _server
    with _server_lock:
        if _server is None or not _server.alive:
            _server = ForkServer("lab.engine.worker:prepare", "lab.engine.worker:main")
        return _server


def wants_gpu(run_spec: dict) -> bool:
    """True when the run names a GPU device (`auto` on a machine without one runs on the CPU)."""
    device = str((run_spec.get("spec") or {}).get("device") or "auto")
    return device not in ("auto", "cpu")
