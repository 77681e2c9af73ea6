"""Provides `Worker`: a training process started ahead of time, fed one run spec, read as events.

A worker is either spawned (`python -m lab.engine.worker`, which imports torch itself) or forked
by the fork server (`lab.engine.forkserver`), which holds torch already: milliseconds instead of
seconds. No torch here: the app and the CLI import this. Plain `subprocess` pipes and a unix
socket, not multiprocessing (which fails inside a running Textual app).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import glob
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

from lab.engine.events import Done, Event, from_json

_ROOT = str(Path(__file__).resolve().parents[2])  # the folder holding the `lab` package


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


def _env() -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
    env.setdefault("PYTHONUNBUFFERED", "1")
    return env


class StartCancelled(Exception):
    """The run was stopped before its process existed."""


class Worker:
    """One worker process, one run. Start the next one ahead of time.

    `Worker.later(start)` is a worker whose process is made when its spec is sent (on the
    caller's reading thread, never the event loop): the app hands one out at once, even while
    the fork server is still importing torch, and forks (or spawns, for a GPU) once the spec says
    where the run goes.
    """

    def __init__(self, process: Any = None) -> None:
        self.process = process
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._drain: threading.Thread | None = None
        self._finished = False
        self._ready_fd: int | None = None
        self._ready_seen = process is not None
        self._start: Callable[[dict, Callable[[], bool]], Worker] | None = None
        self._probe: Callable[[], bool] = lambda: True
        self._early: str | None = None  # "stop" or "kill" asked before the process existed
        self._spec: dict | None = None  # sent to a worker made `later`, before it was made
        self._sent = False  # the spec is on the process's stdin: commands may follow it
        self._queued: list[str] = []  # commands given before the spec was written: go with it
        self._stop_asked = False
        self._heard = False  # an event came from the process
        self._lock = threading.Lock()
        self._reaper: threading.Thread | None = None
        if process is not None:
            self._drain_stderr()

    @classmethod
    def spawn(cls, python: str = sys.executable) -> Worker:
        """Start `python -m lab.engine.worker`; it imports torch and waits for a spec."""
        ready_r, ready_w = os.pipe()
        env = _env()
        env["LAB_READY_FD"] = str(ready_w)  # the worker writes a byte here once torch is in
        try:
            process = subprocess.Popen(
                [python, "-m", "lab.engine.worker"],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=env,
                text=True,
                encoding="utf-8",
                bufsize=1,
                pass_fds=(ready_w,),
            )
        except BaseException:
            os.close(ready_r)
            raise
        finally:
            os.close(ready_w)
        worker = cls(process)
        worker._ready_fd, worker._ready_seen = ready_r, False
        return worker

    @classmethod
    def fork(
        cls, server: ForkServer | None = None, cancelled: Callable[[], bool] = lambda: False
    ) -> Worker:
        """A worker forked by the fork server (this process's own when none is given); waits
        while the server is still importing torch, unless `cancelled()` turns true."""
        return cls((server or fork_server()).fork(cancelled))

    @classmethod
    def later(
        cls, start: Callable[[dict, Callable[[], bool]], Worker], ready: Callable[[], bool]
    ) -> Worker:
        """A worker made by `start(run_spec, cancelled)` when the spec is sent; `ready()` says
        whether it would start at once (torch is imported)."""
        worker = cls()
        worker._start, worker._probe = start, ready
        return worker

    @property
    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    @property
    def ready(self) -> bool:
        """True when the process has torch imported (a run sent now starts at once)."""
        if self.process is None:
            return self._probe()
        if not self._ready_seen and self._ready_fd is not None:
            readable, _, _ = select.select([self._ready_fd], [], [], 0)
            self._ready_seen = bool(readable)
        return self._ready_seen or self.process.poll() is not None

    def send(self, run_spec: dict) -> None:
        """Hand the worker its run; stdin stays open (closing it means: the parent is gone).

        A worker made `later` keeps the spec, and is made when its events are first read: the
        caller may hold a lock around `send` that `stop()` needs, so `send` must not wait."""
        if self.process is None:
            self._spec = run_spec
            return
        self._write(run_spec)

    def _write(self, run_spec: dict) -> None:
        # The spec and the commands given before it in one write: the worker reads them
        # together, so a pause pressed while it loaded holds the run before its first update.
        assert self.process.stdin is not None
        with self._lock:
            lines = [json.dumps(run_spec), *self._queued]
            self._queued = []
            self.process.stdin.write("\n".join(lines) + "\n")
            self.process.stdin.flush()
            self._sent = True

    def _launch(self, run_spec: dict) -> bool:
        assert self._start is not None
        if self._early is not None:
            return False
        try:
            made = self._start(run_spec, lambda: self._early is not None)
        except StartCancelled:
            return False
        with self._lock:
            self.process, self._ready_fd = made.process, made._ready_fd
            self._stderr, self._drain = made._stderr, made._drain
            early = self._early
        if early is not None:  # stop or kill came while the process was being made
            self._signal(signal.SIGKILL if early == "kill" else signal.SIGINT)
            self.close()
            return False
        return True

    def events(self) -> Iterator[Event]:
        """The run's events, ending with exactly one Done, even if the process dies."""
        if self.process is None:
            if self._spec is None or not self._launch(self._spec):
                self._finished = True
                yield Done("stopped", "stopped before the run began")
                return
            self._write(self._spec)
        assert self.process.stdout is not None
        for line in self.process.stdout:
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
                self._finished = True
                self.close()
                yield event
                return
            yield event
        yield self._death()

    async def aevents(self) -> AsyncIterator[Event]:
        """The same events for an asyncio app: lines are read in a thread, never blocking."""
        iterator = self.events()
        while True:
            event = await asyncio.to_thread(next, iterator, None)
            if event is None:
                return
            yield event
            if isinstance(event, Done):
                return

    def _death(self) -> Done:
        code = self.process.wait()
        if self._drain is not None:
            self._drain.join(timeout=1)
        tail = "".join(self._stderr) or None
        self._finished = True
        if self._stop_asked and code != -signal.SIGKILL:
            # The stop signal came before the worker could take it (it was still starting):
            # it ended as asked, without saying so.
            return Done("stopped", "stopped" if self._heard else "stopped before the run began")
        return Done("failed", death_reason(code), {}, tail)

    def _drain_stderr(self) -> None:
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def stop(self) -> None:
        """Ask the run to stop: the worker answers `done: stopped` within a second. Asked twice:
        by a signal, heard at once even mid-epoch, and on stdin after the spec, heard even when
        the signal came while the worker was still starting."""
        if self._before_process("stop"):
            return
        self._stop_asked = True
        if self._sent:
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
        # A line on stdin after the spec; before it is written, kept to go with it.
        with self._lock:
            if not self._sent:
                self._queued.append(word)
                return
            stdin = self.process.stdin if self.process is not None else None
            if stdin is None or stdin.closed:
                return
            with contextlib.suppress(OSError, ValueError):
                stdin.write(word + "\n")
                stdin.flush()

    def kill(self) -> None:
        """End the process now (no Done will come from it)."""
        if self._before_process("kill"):
            return
        self._signal(signal.SIGKILL)
        self.close()

    def _before_process(self, what: str) -> bool:
        with self._lock:
            if self.process is None:
                self._early = self._early or what
                return True
        return False

    def close(self) -> None:
        """Close our end of stdin: an idle worker exits, a running one stops; its exit is
        collected on a thread, so that no finished worker stays a zombie while the app runs."""
        if self.process is None:
            self._before_process("stop")
            return
        with contextlib.suppress(OSError):
            if self.process.stdin and not self.process.stdin.closed:
                self.process.stdin.close()
        with self._lock:
            if self._reaper is not None:
                return
            self._reaper = threading.Thread(target=self.wait, name="lab-reap-worker", daemon=True)
        self._reaper.start()

    def wait(self, timeout: float | None = None) -> int | None:
        if self.process is None:
            return None
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _signal(self, sig: int) -> None:
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        if self.wait(2) is None:
            self.kill()
            self.wait(2)


# --- the fork server's side in this process ---------------------------------------------------


class ForkServerError(RuntimeError):
    """The fork server cannot fork (it failed to start, ended, or refused); spawn instead."""


class ForkedProcess:
    """A worker forked by the fork server, driven like a `subprocess.Popen`.

    It is the server's child, not ours: its exit code arrives on the status pipe once the
    server has reaped it."""

    def __init__(self, pid: int, stdin: int, stdout: int, stderr: int, status: int) -> None:
        self.pid = pid
        self.stdin = open(stdin, "w", encoding="utf-8", buffering=1)  # noqa: SIM115
        self.stdout = open(stdout, encoding="utf-8")  # noqa: SIM115
        self.stderr = open(stderr, encoding="utf-8", errors="replace")  # noqa: SIM115
        self._status = status
        self._lock = threading.Lock()
        self.returncode: int | None = None

    def poll(self) -> int | None:
        return self._wait(0)

    def wait(self, timeout: float | None = None) -> int:
        code = self._wait(timeout)
        if code is None:
            raise subprocess.TimeoutExpired(f"forked worker {self.pid}", timeout or 0)
        return code

    def _wait(self, timeout: float | None) -> int | None:
        if self.returncode is not None:
            return self.returncode
        readable, _, _ = select.select([self._status], [], [], timeout)
        if not readable:
            return None
        with self._lock:
            if self.returncode is None:
                text = os.read(self._status, 64).decode().strip()
                # Nothing written: the server itself was killed; the kernel then sent the
                # child SIGHUP (PR_SET_PDEATHSIG), which is all we know of its end.
                self.returncode = int(text) if text else -signal.SIGHUP
        return self.returncode

    def send_signal(self, sig: int) -> None:
        if self.poll() is None:
            os.kill(self.pid, sig)

    def terminate(self) -> None:
        self.send_signal(signal.SIGTERM)

    def kill(self) -> None:
        self.send_signal(signal.SIGKILL)

    def __del__(self) -> None:
        with contextlib.suppress(Exception):
            os.close(self._status)


class ForkServer:
    """A running `python -m lab.engine.forkserver`; `fork()` hands out workers once it is ready.

    It ends when this process closes its socket (`close()`, or this process ending in any way)."""

    def __init__(self, python: str = sys.executable) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [python, "-m", "lab.engine.forkserver", str(theirs.fileno())],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
                env=_env(),
                text=True,
                encoding="utf-8",
                errors="replace",
            )
        finally:
            theirs.close()
        self._socket = ours
        self._lock = threading.Lock()
        self._answered = threading.Event()
        self.failure: str | None = None
        self.facts: dict[str, Any] = {}  # the server's own account once ready (forkserver.facts)
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        threading.Thread(target=self._await_ready, name="lab-fork-server", daemon=True).start()

    @property
    def ready(self) -> bool:
        """True once torch is imported there and a fork is a matter of milliseconds."""
        return self._answered.is_set() and self.failure is None

    def _await_ready(self) -> None:
        reply = self._receive()
        if reply.startswith("ready "):
            self.facts = json.loads(reply.removeprefix("ready "))
        else:
            self.failure = reply or "the fork server ended while starting"
        self._answered.set()
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)
        self.process.wait()  # it ended (its stderr closed): no zombie while the app goes on

    def _receive(self) -> str:
        try:
            return self._socket.recv(4096).decode(errors="replace").strip()
        except OSError:
            return ""

    def fork(self, cancelled: Callable[[], bool] = lambda: False) -> ForkedProcess:
        """A new worker process on fresh pipes, with this process's environment and folder."""
        while not self._answered.wait(0.05):
            if cancelled():
                raise StartCancelled
        if self.failure is not None:
            raise ForkServerError(self.failure)
        request = json.dumps({"env": _env(), "cwd": os.getcwd()}).encode()
        pipes = [os.pipe() for _ in range(4)]  # stdin, stdout, stderr, status
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
        try:
            with self._lock:
                socket.send_fds(self._socket, [request], theirs)
                reply = self._receive()
        except OSError as exc:
            reply = f"the fork server is gone ({exc})"
        finally:
            for fd in theirs:
                os.close(fd)
        if not reply.startswith("pid "):
            for fd in ours:
                os.close(fd)
            self.failure = reply or "the fork server ended"
            raise ForkServerError(self.failure)
        return ForkedProcess(int(reply.split()[1]), *ours)

    def close(self) -> None:
        """End the server; running children get SIGHUP and stop."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


_server: ForkServer | None = None
_server_lock = threading.Lock()


def can_fork() -> bool:
    """Whether CPU runs here can come from the fork server: Linux (prctl), no GPU to keep out
    of the parent, and not switched off with LAB_FORK_SERVER=0."""
    if not sys.platform.startswith("linux") or os.environ.get("LAB_FORK_SERVER") == "0":
        return False
    return not glob.glob("/dev/nvidia[0-9]*")


def fork_server() -> ForkServer:
    """This process's fork server, started on first use (again if it ended); it ends with us."""
    global _server
    with _server_lock:
        if _server is None or _server.process.poll() is not None or _server.failure:
            _server = ForkServer()
        return _server


def wants_gpu(run_spec: dict) -> bool:
    """True when the run names a GPU device (`auto` on a machine without one runs on the CPU)."""
    device = str((run_spec.get("spec") or {}).get("device") or "auto")
    return device not in ("auto", "cpu")
