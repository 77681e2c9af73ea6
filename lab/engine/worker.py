"""Provides `python -m lab.engine.worker`: one run spec (JSON) on stdin, events as JSON lines out.

Started ahead of time: it imports torch at once, then waits for its spec. It stops with
`done: stopped` on SIGINT, SIGTERM or SIGHUP, and when its stdin closes (the parent is gone),
so a dropped SSH session never leaves a run training on a shared GPU.
"""

from __future__ import annotations

import json
import os
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
