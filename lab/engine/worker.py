"""Provides `python -m lab.engine.worker`: one run spec (JSON) on stdin, events as JSON lines out.

Started ahead of time: it imports torch at once, then waits for its spec. It stops with
`done: stopped` on SIGINT, SIGTERM or SIGHUP, and when its stdin closes (the parent is gone),
so a dropped SSH session never leaves a run training on a shared GPU.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import threading


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


def _watch_stdin() -> None:
    # After the spec, stdin stays open for as long as the parent lives.
    try:
        while sys.stdin.readline():
            pass
    except (OSError, ValueError):
        pass
    _Stop.requested = True


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
    threading.Thread(target=_watch_stdin, daemon=True).start()
    for event in run_events(run_spec, lambda: _Stop.requested):
        emit(event)
    return 0


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # skip slow interpreter teardown (CUDA, threads): the run is over
