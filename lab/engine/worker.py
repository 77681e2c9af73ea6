"""Provides `python -m lab.engine.worker`: one run spec (JSON) on stdin, events as JSON lines out.

`main()` is the worker, spawned or forked from the run fork server (`lab.proc.forkserver`
with `prepare()`, `main()`).

Started ahead of time: it imports torch at once, then waits for its spec. It stops with
`done: stopped` on SIGINT, SIGTERM or SIGHUP, and when its stdin closes (the parent is gone),
so a dropped SSH session never leaves a run training on a shared GPU. After the spec, stdin
carries commands (`lab.engine.control`): pause, step, epoch, resume, and stop (a stop signal
that came before the handlers were set is lost; the line is not). One thread: training looks
at stdin itself, a few times a second, and a paused run blocks on it.
"""

from __future__ import annotations

import contextlib
import json
import os
import select
import signal
import sys
import time
from collections.abc import Callable

from lab.engine.control import Control
from lab.proc.slots import run_slot


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


STDIN_POLL_S = 0.02  # how often a running run looks at its stdin (commands, or the parent gone)


class _Stdin:
    """The worker's stdin read raw, so no buffered reader hides a line from select: first the
    run spec, then command lines (`pause`, `step`, `epoch`, `resume`, `stop`). End of file
    means the parent is gone."""

    fd = 0

    def __init__(self) -> None:
        self.pending = b""
        self.closed = False

    def read(self) -> None:
        try:
            chunk = os.read(self.fd, 4096)
        except OSError:
            chunk = b""
        self.closed = not chunk
        self.pending += chunk

    def readline(self) -> str:
        """The next line, blocking until it is whole (or stdin closes)."""
        while b"\n" not in self.pending and not self.closed:
            self.read()
        line, _, self.pending = self.pending.partition(b"\n")
        return line.decode("utf-8", "replace")

    def lines(self) -> list[str]:
        """The whole lines read so far (a command split across reads waits for its end)."""
        *whole, self.pending = self.pending.split(b"\n")
        return [line.decode("utf-8", "replace").strip() for line in whole]


class _PipeControl(Control):
    """The loop's control: commands from stdin; a signal or stdin closing stops the run.

    One thread: the training thread itself looks at stdin, with a zero-timeout select at most
    every STDIN_POLL_S while running. Paused, it blocks in select on stdin and on the signal
    wake-up pipe, so it uses no CPU and still stops at once on a signal or the parent going."""

    def __init__(self, stdin: _Stdin, wake: int, on_hold: Callable[[int], None]) -> None:
        super().__init__(lambda: _Stop.requested, on_hold)
        self.stdin, self.wake = stdin, wake
        self.next_look = 0.0

    def receive(self, wait: bool) -> list[str]:
        if _Stop.requested:
            return []
        if b"\n" in self.stdin.pending:  # commands that came with the spec
            return self.stdin.lines()
        if not wait:
            now = time.monotonic()
            if now < self.next_look:
                return []
            self.next_look = now + STDIN_POLL_S
        try:
            readable, _, _ = select.select([self.stdin.fd, self.wake], [], [], None if wait else 0)
        except (OSError, ValueError):
            _Stop.requested = True
            return []
        if self.wake in readable:  # a signal: its handler has set _Stop.requested
            with contextlib.suppress(OSError):
                os.read(self.wake, 512)
        if self.stdin.fd in readable:
            self.stdin.read()
            if self.stdin.closed:
                _Stop.requested = True
        return self.stdin.lines()


def _wake_on_signal() -> int:
    """A pipe the C signal handler writes to, so a select waiting on it wakes at a signal."""
    read_end, write_end = os.pipe()
    os.set_blocking(read_end, False)
    os.set_blocking(write_end, False)
    signal.set_wakeup_fd(write_end, warn_on_full_buffer=False)
    return read_end


# What some runs need beyond torch, most common first: imported while the worker waits for its
# spec (a worker started ahead of time), never while a run waits for it (`lab run`).
EXTRAS = ("torchinfo",)


def preload(until=lambda: False) -> None:
    """Import EXTRAS one by one, stopping as soon as `until()` is true."""
    import importlib

    for name in EXTRAS:
        if until():
            return
        importlib.import_module(name)


def _spec_waiting() -> bool:
    readable, _, _ = select.select([_Stdin.fd], [], [], 0)
    return bool(readable)


def _say_ready() -> None:
    # A spawned worker tells its parent that torch is in (the app shows "loading PyTorch..."
    # until then) with one byte on the pipe named by LAB_READY_FD.
    fd = os.environ.pop("LAB_READY_FD", "")
    if fd.isdigit():
        with contextlib.suppress(OSError):
            os.write(int(fd), b"1")
            os.close(int(fd))


def prepare() -> dict:
    """The run fork server's preparation (`lab.proc.forkserver`): what every run needs,
    imported and exercised once there, before any fork. Returns what a fork inherits."""
    os.environ["LAB_THREADS"] = "1"  # there, whatever the app says: a child sets its own
    os.environ["PYTORCH_NVML_BASED_CUDA_CHECK"] = "1"  # asking about GPUs never starts CUDA
    import torch

    from lab.engine.loop import warm_up

    warm_up()  # one intra-op thread: torch starts no pool, so nothing is lost at fork
    preload()  # every child has them at no cost
    _rehearse()
    return {
        "intra_op_threads": torch.get_num_threads(),
        "cuda_initialized": torch.cuda.is_initialized(),
    }


def _rehearse() -> None:
    """One tiny run, so that what torch and torchinfo set up on first use (the meta device's
    tables, the summary's hooks) is done once, in the fork server, and not in every child
    before its first point."""
    from lab.catalog.runspec import RunSpec
    from lab.catalog.schema import TrainSpec
    from lab.engine.events import Done
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
        if isinstance(event, Done) and event.status != "completed":
            raise RuntimeError(f"the rehearsal run {event.status}: {event.reason}")


def main() -> int:
    for sig in (signal.SIGINT, signal.SIGTERM, getattr(signal, "SIGHUP", None)):
        if sig is not None:
            signal.signal(sig, _on_signal)
    # Events go to the real stdout; anything a library prints goes to stderr instead.
    out = os.fdopen(os.dup(sys.stdout.fileno()), "w", encoding="utf-8", buffering=1)
    sys.stdout = sys.stderr
    wake = _wake_on_signal()
    from lab.engine.events import Done, Held, Start, to_json

    job = os.environ.get("SLURM_JOB_ID", "")

    def emit(event) -> None:
        if isinstance(event, Start) and job:  # a job step: say which job, and where
            event.runner, event.job = "slurm", job
            event.node = os.environ.get("SLURMD_NODENAME", "")
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

        stdin = _Stdin()
        line = stdin.readline()
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
    control = _PipeControl(stdin, wake, on_hold=lambda updates: emit(Held(updates)))
    with run_slot(_max_runs(), lambda *wait: emit(_queued(*wait)), control.should_stop) as got:
        if not got:
            emit(Done("stopped", "stopped while it waited for a free run slot"))
            return 0
        for event in run_events(run_spec, control):
            emit(event)
    return 0


def _max_runs() -> int:
    """`[runner] max_concurrent_runs`: runs training at once on this machine (0: no limit)."""
    from lab.config import ConfigError, load_config

    try:
        return load_config().runner.max_concurrent_runs
    except ConfigError:
        return 0  # the app and `lab run` said what is wrong with the file


def _queued(ahead: int, waited_s: int):
    from lab.engine.events import Queued

    said = f"{ahead} run{'s' if ahead != 1 else ''} ahead" if ahead else "every slot in use"
    return Queued("", f"waiting for a free run slot: {said}", waited_s)


if __name__ == "__main__":
    code = main()
    sys.stderr.flush()
    os._exit(code)  # skip slow interpreter teardown (CUDA, threads): the run is over
