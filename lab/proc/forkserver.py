"""Provides `python -m lab.proc.forkserver FD PREPARE ENTRY`: imports once, forks per request.

Importing torch costs seconds of CPU; forking a process that holds it costs milliseconds. The
server calls PREPARE (`module:function`, returning a dict of facts) once, answers
`ready {facts}` on the unix socket FD, then forks a child per request. Each request carries
four file descriptors (the child's stdin, stdout and stderr, and a status pipe) and a JSON
object: the child's `env`, its `cwd`, and `group` (lead a process group of its own). The child
calls ENTRY (`module:function`, returning an exit code) on those pipes; the server answers
`pid N`, and writes the child's exit code to its status pipe once it has reaped it, so no
zombie stays while the app runs.

The server refuses to fork (`error ...`) if it finds a second thread (`lab.proc.child`); the
app then starts its process another way. A child gets SIGHUP when the server ends; the server
ends when the app's end of the socket closes, and then stops its children (SIGHUP, then SIGKILL
after 3 s). Nothing a child starts outlives it: the server is a subreaper, so a process orphaned
below a child (one that left its process group with `os.setsid()`, say) becomes the server's
child, and when a child ends the server kills and reaps every such orphan before it writes the
exit code (whose orphan it was cannot be told, so an orphan of a child still running goes too).
"""

from __future__ import annotations

import contextlib
import gc
import importlib
import json
import os
import selectors
import signal
import socket
import sys
import time
from collections.abc import Callable
from typing import Any

from lab.proc.child import become_subreaper, die_with_parent, end_orphans, thread_count

FDS_PER_CHILD = 4  # stdin, stdout, stderr, status
END_WAIT_S = 3.0  # how long the children of an ended server get to stop before SIGKILL


def target(name: str) -> Callable[[], Any]:
    """The function named `module:function`."""
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


class Server:
    def __init__(self, control: socket.socket, entry: str) -> None:
        self.control = control
        self.entry = entry
        self.status: dict[int, int] = {}  # child pid -> the write end of its status pipe
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the loop (wakeup fd)
        signal.set_wakeup_fd(self.wake_w)

    def serve(self, facts: dict[str, Any]) -> None:
        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ)
        selector.register(self.wake_r, selectors.EVENT_READ)
        facts = {"pid": os.getpid(), "threads": thread_count(), **facts}
        self._say(f"ready {json.dumps(facts)}")
        while True:
            for key, _ in selector.select():
                if key.fileobj == self.wake_r:
                    with contextlib.suppress(BlockingIOError):
                        os.read(self.wake_r, 512)
                    self.reap()
                elif not self.request():
                    self.end()  # the app closed its end: it is gone or done with us
                    return
            self.reap()

    def request(self) -> bool:
        try:
            data, fds, _, _ = socket.recv_fds(self.control, 1 << 20, FDS_PER_CHILD)
        except OSError:
            return False
        if not data:
            for fd in fds:
                os.close(fd)
            return False
        refusal = None
        if len(fds) != FDS_PER_CHILD:
            refusal = "error a request carries four file descriptors"
        elif (threads := thread_count()) != 1:
            refusal = f"error the fork server has {threads} threads; forking is not safe"
        if refusal is not None:
            for fd in fds:
                os.close(fd)
            self._say(refusal)
            return True
        request = json.loads(data)
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child(fds, request)  # never returns
        if request.get("group"):
            # Also here, not only in the child: the group exists before the app can signal it.
            with contextlib.suppress(OSError):
                os.setpgid(pid, pid)
        for fd in fds[:3]:
            os.close(fd)
        self.status[pid] = fds[3]
        self._say(f"pid {pid}")
        return True

    def end(self) -> None:
        """The app has gone: stop the children still running, and reap them."""
        for pid in self.status:
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGHUP)
        deadline = time.monotonic() + END_WAIT_S
        while self.status and time.monotonic() < deadline:
            time.sleep(0.02)
            self.reap()
        for pid in list(self.status):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(self.status.pop(pid))
        end_orphans()

    def reap(self) -> None:
        while True:
            try:
                pid, status = os.waitpid(-1, os.WNOHANG)
            except ChildProcessError:
                return
            if pid == 0:
                return
            fd = self.status.pop(pid, None)
            if fd is not None:
                end_orphans(keep=self.status)  # before the exit code: the child has ended
                with contextlib.suppress(OSError):
                    os.write(fd, f"{os.waitstatus_to_exitcode(status)}\n".encode())
                os.close(fd)

    def _say(self, line: str) -> None:
        with contextlib.suppress(OSError):
            self.control.sendall(line.encode() + b"\n")

    def _child(self, fds: list[int], request: dict[str, Any]) -> None:
        code = 1
        try:
            parent = os.getppid()
            if request.get("group"):
                os.setpgid(0, 0)
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (self.control.fileno(), self.wake_r, self.wake_w, *self.status.values()):
                with contextlib.suppress(OSError):
                    os.close(fd)
            os.close(fds[3])
            for std, fd in enumerate(fds[:3]):
                os.dup2(fd, std)
                os.close(fd)
            os.environ.clear()
            os.environ.update(request.get("env") or {})
            os.chdir(request.get("cwd") or ".")
            sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
            die_with_parent(parent)
            code = target(self.entry)() or 0
        except BaseException:  # noqa: BLE001 - a child must never return into the server's loop
            with contextlib.suppress(Exception):
                import traceback

                traceback.print_exc()
        finally:
            with contextlib.suppress(Exception):
                sys.stdout.flush()
                sys.stderr.flush()
            os._exit(code)


def main() -> int:
    control = socket.socket(fileno=int(sys.argv[1]))
    prepare, entry = sys.argv[2], sys.argv[3]
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's BLAS: no thread pool to fork
    try:
        facts = target(prepare)()
    except Exception as exc:  # noqa: BLE001 - the app starts its processes another way
        with contextlib.suppress(OSError):
            control.sendall(f"error could not prepare: {exc}\n".encode())
        return 1
    # Everything alive now is shared by every child: keep the collector from touching it
    # (each touch would copy a page into the child).
    gc.freeze()
    become_subreaper()
    Server(control, entry).serve(facts or {})
    return 0


if __name__ == "__main__":
    os._exit(main())
