"""Provides `ForkServer`, the app's side of `python -m lab.proc.forkserver`, and `ForkedProcess`.

No torch here: the app and the CLI import this. A server is started ahead of time and prepares
itself (imports torch) on its own; `fork()` waits until it is ready, then hands out a process
driven like a `subprocess.Popen`.
"""

from __future__ import annotations

import collections
import contextlib
import json
import os
import select
import signal
import socket
import subprocess
import sys
import threading
from collections.abc import Callable
from typing import Any

from lab.proc.child import child_env


class ForkServerError(RuntimeError):
    """The fork server cannot fork (it failed to start, ended, or refused)."""


class StartCancelled(Exception):
    """The process was no longer wanted before it existed."""


class ForkedProcess:
    """A process forked by a fork server, driven like a `subprocess.Popen`.

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
            raise subprocess.TimeoutExpired(f"forked process {self.pid}", timeout or 0)
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
                # child SIGHUP (it dies with its parent), which is all we know of its end.
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
    """A running `python -m lab.proc.forkserver`: `prepare` runs there once, and each `fork()`
    is a child that runs `entry` (both `module:function`).

    It ends when this process closes its socket (`close()`, or this process ending in any way).
    It leads a session of its own: a Ctrl+C in the terminal is for lab, not for it."""

    def __init__(
        self, prepare: str, entry: str, env: dict[str, str] | None = None, python: str = ""
    ) -> None:
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            self.process = subprocess.Popen(
                [python or sys.executable, "-m", "lab.proc.forkserver", str(theirs.fileno())]
                + [prepare, entry],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                pass_fds=(theirs.fileno(),),
                env=child_env(env),
                text=True,
                encoding="utf-8",
                errors="replace",
                start_new_session=True,
            )
        finally:
            theirs.close()
        self._env = env
        self._socket = ours
        self._lock = threading.Lock()
        self._answered = threading.Event()
        self.failure: str | None = None
        self.facts: dict[str, Any] = {}  # the server's own account once ready
        self.stderr: collections.deque[str] = collections.deque(maxlen=40)
        threading.Thread(target=self._await_ready, name="lab-fork-server", daemon=True).start()

    @property
    def ready(self) -> bool:
        """True once the server is prepared and a fork is a matter of milliseconds."""
        return self._answered.is_set() and self.failure is None

    @property
    def alive(self) -> bool:
        """False once the server ended or failed: start a new one."""
        return self.process.poll() is None and self.failure is None

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

    def fork(
        self, cancelled: Callable[[], bool] = lambda: False, group: bool = False
    ) -> ForkedProcess:
        """A new child on fresh pipes, with this process's environment and folder; with
        `group`, it leads a process group of its own. Waits while the server prepares, unless
        `cancelled()` turns true (StartCancelled)."""
        while not self._answered.wait(0.05):
            if cancelled():
                raise StartCancelled
        if self.failure is not None:
            raise ForkServerError(self.failure)
        request = {"env": child_env(self._env), "cwd": os.getcwd(), "group": group}
        pipes = [os.pipe() for _ in range(4)]  # stdin, stdout, stderr, status
        theirs = [pipes[0][0], pipes[1][1], pipes[2][1], pipes[3][1]]
        ours = [pipes[0][1], pipes[1][0], pipes[2][0], pipes[3][0]]
        try:
            with self._lock:
                socket.send_fds(self._socket, [json.dumps(request).encode()], theirs)
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
        """End the server; its children get SIGHUP and stop."""
        with contextlib.suppress(OSError):
            self._socket.shutdown(socket.SHUT_RDWR)
        self._socket.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)
