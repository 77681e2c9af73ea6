"""Provides `python -m lab.engine.forkserver FD`: torch imported once, one forked worker per run.

Starting a worker costs seconds of CPU (importing torch); forking a process that already holds
torch costs milliseconds. The app starts this server ahead of time and asks it, over the unix
socket FD, to fork: each request carries four file descriptors (the child's stdin, stdout and
stderr, and a status pipe). The child becomes an ordinary worker (`lab.engine.worker.main`) on
those pipes; the server answers `pid N`, and writes the child's exit code to its status pipe once
it has reaped it, so no zombie stays while the app runs.

Forking is safe only from a process with one thread that never touched CUDA: the server never
asks torch about GPUs (CPU runs only come here) and refuses to fork (`error ...`) if it finds a
second thread, and the app then starts a worker the slow way. A child dies with its parent: it
stops on SIGHUP, which the kernel sends when the server goes (PR_SET_PDEATHSIG), and when its
stdin closes (the app went); the server ends when the app's end of the socket closes.
"""

from __future__ import annotations

import contextlib
import gc
import json
import os
import signal
import socket
import sys
import time

FDS_PER_CHILD = 4  # stdin, stdout, stderr, status
_PR_SET_PDEATHSIG = 1


def thread_count() -> int:
    """The threads of this process as the kernel sees them (C threads included)."""
    try:
        return len(os.listdir("/proc/self/task"))
    except OSError:
        import threading

        return threading.active_count()


def facts() -> dict:
    """What a fork inherits, for the app and the tests: threads, CUDA (never started here)."""
    import torch

    return {
        "pid": os.getpid(),
        "threads": thread_count(),
        "intra_op_threads": torch.get_num_threads(),
        "cuda_initialized": torch.cuda.is_initialized(),
    }


def die_with_parent(parent: int) -> None:
    """Ask the kernel for SIGHUP when the parent ends (Linux); if it already has, end now."""
    with contextlib.suppress(OSError, AttributeError):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGHUP, 0, 0, 0)
    if os.getppid() != parent:  # the parent ended between fork and prctl
        os.kill(os.getpid(), signal.SIGHUP)


def _prepare() -> None:
    """What every run needs, imported and exercised once here, before any fork."""
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")  # numpy's BLAS: no thread pool to fork
    os.environ["LAB_THREADS"] = "1"  # here, whatever the app says: a child sets its own
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"  # asking about GPUs never starts CUDA
    from lab.engine.loop import warm_up
    from lab.engine.worker import preload

    warm_up()  # one intra-op thread: torch starts no pool, so nothing is lost at fork
    preload()  # every child has them at no cost
    _rehearse()


def _rehearse() -> None:
    """One tiny run, so that what torch, torchinfo and scikit-learn set up on first use (the
    meta device's tables, the summary's hooks, the generators) is done once, here, and not in
    every child before its first point."""
    from lab.catalog.runspec import RunSpec
    from lab.catalog.schema import TrainSpec
    from lab.engine.loop import run_events

    spec = TrainSpec.model_validate(
        {
            "dataset": {"name": "moons", "args": {"n": 64}, "split": {"val": 0.25, "test": 0}},
            "model": {"layers": [{"Linear": [2, 8]}, "ReLU", {"Linear": [8, 2]}]},
            "loss": "cross_entropy",
            "optimizer": {"name": "adam", "lr": 0.01},
            "epochs": 1,
            "device": "cpu",
        }
    )
    run = RunSpec(experiment="rehearsal", kind="train", spec=spec)
    for event in run_events(run, lambda: False):
        if event.__class__.__name__ == "Done" and event.status != "completed":
            raise RuntimeError(f"the rehearsal run {event.status}: {event.reason}")


class Server:
    def __init__(self, control: socket.socket) -> None:
        self.control = control
        self.status: dict[int, int] = {}  # child pid -> the write end of its status pipe
        self.wake_r, self.wake_w = os.pipe()
        os.set_blocking(self.wake_w, False)
        signal.signal(signal.SIGCHLD, lambda *_: None)  # only to wake the loop (wakeup fd)
        signal.set_wakeup_fd(self.wake_w)

    def serve(self) -> None:
        import selectors

        selector = selectors.DefaultSelector()
        selector.register(self.control, selectors.EVENT_READ)
        selector.register(self.wake_r, selectors.EVENT_READ)
        self._say(f"ready {json.dumps(facts())}")
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
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            self._child(fds, json.loads(data))  # never returns
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
        deadline = time.monotonic() + 3
        while self.status and time.monotonic() < deadline:
            time.sleep(0.02)
            self.reap()
        for pid in list(self.status):
            with contextlib.suppress(OSError):
                os.kill(pid, signal.SIGKILL)
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, 0)
            os.close(self.status.pop(pid))

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
                with contextlib.suppress(OSError):
                    os.write(fd, f"{os.waitstatus_to_exitcode(status)}\n".encode())
                os.close(fd)

    def _say(self, line: str) -> None:
        with contextlib.suppress(OSError):
            self.control.sendall(line.encode() + b"\n")

    def _child(self, fds: list[int], request: dict) -> None:
        code = 1
        try:
            parent = os.getppid()
            signal.set_wakeup_fd(-1)
            signal.signal(signal.SIGCHLD, signal.SIG_DFL)
            for fd in (self.control.fileno(), self.wake_r, self.wake_w, *self.status.values()):
                with contextlib.suppress(OSError):
                    os.close(fd)
            os.close(fds[3])
            for target, fd in enumerate(fds[:3]):
                os.dup2(fd, target)
                os.close(fd)
            os.environ.clear()
            os.environ.update(request.get("env") or {})
            os.chdir(request.get("cwd") or ".")
            sys.stdin = open(0, encoding="utf-8", closefd=False)  # noqa: SIM115
            sys.stdout = open(1, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
            sys.stderr = open(2, "w", encoding="utf-8", buffering=1, closefd=False)  # noqa: SIM115
            die_with_parent(parent)
            from lab.engine import worker

            code = worker.main()
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
    try:
        _prepare()
    except Exception as exc:  # noqa: BLE001 - the app falls back to spawning workers
        with contextlib.suppress(OSError):
            control.sendall(f"error could not prepare: {exc}\n".encode())
        return 1
    # Everything alive now is shared by every child: keep the collector from touching it
    # (each touch would copy a page into the child).
    gc.freeze()
    Server(control).serve()
    return 0


if __name__ == "__main__":
    os._exit(main())
