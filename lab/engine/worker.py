"""Provides `python -m lab.engine.worker`: one run spec (JSON) on stdin, events as JSON lines out.

Started ahead of time: it imports torch at once, then waits for its spec. It stops with
`done: stopped` on SIGINT, SIGTERM or SIGHUP, and when its stdin closes (the parent is gone),
so a dropped SSH session never leaves a run training on a shared GPU. One thread: training
looks at stdin itself, a few times a second.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time


class _Stop:
    """Set by a signal or by stdin closing; the loop polls it between steps."""

    requested = False
    waiting = True  # still waiting for the spec: a signal ends the process at once


class _Interrupted(Exception):
    pass


def _on_signal(signum, frame) -> None:
    _Stop.requested = True
    if _Stop.waiting:
        raise _Interrupted


STDIN_POLL_S = 0.1  # how often a run looks whether its stdin closed (the parent is gone)


class _ShouldStop:
    """The loop's `should_stop()`: a signal came, or stdin closed. Stdin is looked at from the
    training thread itself, with a zero-timeout select at most every STDIN_POLL_S, so the worker
    runs no second thread beside training."""

    def __init__(self) -> None:
        self.next_look = 0.0

    def __call__(self) -> bool:
        if not _Stop.requested:
            now = time.monotonic()
            if now >= self.next_look:
                self.next_look = now + STDIN_POLL_S
                _Stop.requested = _stdin_closed()
        return _Stop.requested


def _stdin_closed() -> bool:
    # After the spec, stdin stays open (and silent) for as long as the parent lives.
    try:
        readable, _, _ = select.select([sys.stdin], [], [], 0)
        return bool(readable) and not os.read(sys.stdin.fileno(), 4096)
    except (OSError, ValueError):
        return True


# What some runs need beyond torch, most common first: imported while the worker waits for its
# spec (a worker started ahead of time), never while a run waits for it (`lab run`).
EXTRAS = ("torchinfo", "sklearn.datasets")


def preload(until=lambda: False) -> None:
    """Import EXTRAS one by one, stopping as soon as `until()` is true."""
    import importlib

    for name in EXTRAS:
        if until():
            return
        importlib.import_module(name)


def _spec_waiting() -> bool:
    readable, _, _ = select.select([sys.stdin], [], [], 0)
    return bool(readable)


def _say_ready() -> None:
    # A spawned worker tells its parent that torch is in (the app shows "loading PyTorch..."
    # until then) with one byte on the pipe named by LAB_READY_FD.
    fd = os.environ.pop("LAB_READY_FD", "")
    if fd.isdigit():
        with contextlib.suppress(OSError):
            os.write(int(fd), b"1")
            os.close(int(fd))


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _on_signal)
    # Events go to the real stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr
    from lab.engine.events import Done, to_json

    def emit(event) -> None:
        try:
            out.write(to_json(event) + "\n")
            out.flush()
        except (BrokenPipeError, OSError):
            _Stop.requested = True

    try:
        from lab.engine.loop import run_events, warm_up  # imports torch: the slow part

        warm_up()
        _say_ready()
        preload(until=_spec_waiting)

        line = sys.stdin.readline()
        _Stop.waiting = False
    except _Interrupted:
        emit(Done("stopped", "stopped before the run began"))
        return 0
    if not line.strip():
        return 0  # the parent went away before sending a spec
    try:
        run_spec = json.loads(line)
    except json.JSONDecodeError as exc:
        emit(Done("failed", f"the run spec is not valid JSON: {exc}"))
        return 0
    if _Stop.requested:
        emit(Done("stopped", "stopped before the run began"))
        return 0
    for event in run_events(run_spec, _ShouldStop()):
        emit(event)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # skip slow interpreter teardown (CUDA, threads): the run is over
