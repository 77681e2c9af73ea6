"""Provides `Worker`: a training process started ahead of time, fed one run spec, read as events.

No torch here: the app and the CLI import this; the worker process imports torch. Plain
`subprocess` pipes, not multiprocessing (which fails inside a running Textual app).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

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


class Worker:
    """One worker process, one run. Spawn the next one ahead of time."""

    def __init__(self, process: subprocess.Popen):
        self.process = process
        self._stderr: collections.deque[str] = collections.deque(maxlen=40)
        self._drain = threading.Thread(target=self._read_stderr, daemon=True)
        self._drain.start()
        self._finished = False

    @classmethod
    def spawn(cls, python: str = sys.executable) -> Worker:
        """Start `python -m lab.engine.worker`; it imports torch and waits for a spec."""
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(p for p in (_ROOT, env.get("PYTHONPATH")) if p)
        env.setdefault("PYTHONUNBUFFERED", "1")
        process = subprocess.Popen(
            [python, "-m", "lab.engine.worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
            text=True,
            encoding="utf-8",
            bufsize=1,
        )
        return cls(process)

    @property
    def pid(self) -> int:
        return self.process.pid

    def send(self, run_spec: dict) -> None:
        """Hand the worker its run; stdin stays open (closing it means: the parent is gone)."""
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(run_spec) + "\n")
        self.process.stdin.flush()

    def events(self) -> Iterator[Event]:
        """The run's events, ending with exactly one Done, even if the process dies."""
        assert self.process.stdout is not None
        for line in self.process.stdout:
            line = line.strip()
            if not line:
                continue
            try:
                event = from_json(line)
            except (ValueError, KeyError, TypeError):
                continue  # not an event: ignore rather than crash the reader
            yield event
            if isinstance(event, Done):
                self._finished = True
                self.close()
                return
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
        self._drain.join(timeout=1)
        tail = "".join(self._stderr) or None
        self._finished = True
        return Done("failed", death_reason(code), {}, tail)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self._stderr.append(line)

    def stop(self) -> None:
        """Ask the run to stop: the worker answers `done: stopped` within a second."""
        self._signal(signal.SIGINT)

    def kill(self) -> None:
        """End the process now (no Done will come from it)."""
        self._signal(signal.SIGKILL)
        self.close()

    def close(self) -> None:
        """Close our end of stdin: an idle worker exits, a running one stops."""
        with contextlib.suppress(OSError):
            if self.process.stdin and not self.process.stdin.closed:
                self.process.stdin.close()

    def wait(self, timeout: float | None = None) -> int | None:
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def _signal(self, sig: int) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.send_signal(sig)

    def __enter__(self) -> Worker:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
        if self.wait(2) is None:
            self.kill()
            self.wait(2)
