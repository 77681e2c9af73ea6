"""Stand-ins for the training worker process, for tests where the process is not the point.

`InProcessWorker` has the `lab.runs.ports.RunWorker` interface and runs the real engine
(`run_events`) on a thread of the test process, its events crossing as the same JSON lines the
process writes; `ReplayWorker` replays events recorded beforehand; `HeldRun` starts and goes
on until it is stopped. `Workers` hands them out where the app takes its workers
(`make_app(run_workers=...)`) and `lab run` does (`use_runner`), so the screen under test runs
exactly the code it runs with a real process, minus a Python importing torch. Both follow the
protocols of `lab.runs.ports`, and tests/engine/test_worker_contract.py holds them to the real
worker's behaviour.
"""

from __future__ import annotations

import json
import queue
import signal
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lab.engine.client import death_reason
from lab.engine.control import Control
from lab.engine.events import Done, EpochEnd, Event, Held, Progress, Start, from_json, to_json


class QueueControl(Control):
    """A run's control fed from another thread: `tell(word)` is a command line on a real
    worker's stdin, `stop()` its SIGINT; a paused run blocks on the queue."""

    def __init__(self, on_hold: Callable[[int], None] = lambda updates: None) -> None:
        super().__init__(on_hold=on_hold)
        self.commands: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.stop_event = threading.Event()

    def tell(self, word: str) -> None:
        self.commands.put(word)

    def stop(self) -> None:
        self.stop_event.set()
        self.commands.put(None)  # wakes a paused run

    def stopped(self) -> bool:
        return self.stop_event.is_set()

    def receive(self, wait: bool) -> list[str]:
        words = []
        try:
            word = self.commands.get(block=wait)
            while True:
                if word is not None:
                    words.append(word)
                word = self.commands.get_nowait()
        except queue.Empty:
            pass
        return words


class InProcessWorker:
    """The engine on a thread: `stop()` is the SIGINT, `kill()` the SIGKILL, `close()` the
    closed stdin of a real worker; `pause()`, `step()`, `step_epoch()` and `resume()` its
    command lines."""

    pid = None
    ready = True  # torch is in this process already

    def __init__(self, gate: threading.Event | None = None) -> None:
        self.gate = gate
        """When given, training waits for it to be set (a test looks at the run's start)."""
        self._lines: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self.control = QueueControl(on_hold=lambda updates: self._lines.put(to_json(Held(updates))))
        self._stop = self.control.stop_event
        self._thread: threading.Thread | None = None
        self.killed = False
        self.sent: dict[str, Any] | None = None

    def send(self, run_spec: dict) -> None:
        self.sent = json.loads(json.dumps(run_spec))  # what crosses the pipe

    def _begin(self) -> None:
        # At the first read, as a process would be reading its stdin by then.
        if self._thread is None and self.sent is not None:
            self._thread = threading.Thread(target=self._train, daemon=True, name="fake-worker")
            self._thread.start()

    def _produce(self, spec: dict) -> Iterable[Event]:
        from lab.engine.loop import run_events

        return run_events(spec, self.control)

    def _train(self) -> None:
        if self.gate is not None:
            self.gate.wait()
        assert self.sent is not None  # training begins once the spec is sent
        try:
            for event in self._produce(self.sent):
                if self.killed:
                    break
                self._lines.put(to_json(event))
        finally:
            self._lines.put(None)

    def events(self) -> Iterator[Event]:
        self._begin()
        while True:
            line = self._lines.get()
            if line is None or self.killed:
                yield Done("failed", death_reason(-signal.SIGKILL))
                return
            event = from_json(line)
            yield event
            if isinstance(event, Done):
                return

    def stop(self) -> None:
        self.control.stop()

    def kill(self) -> None:
        self.killed = True
        self.control.stop()

    def close(self) -> None:
        self.control.stop()

    def pause(self) -> None:
        self.control.tell("pause")

    def step(self) -> None:
        self.control.tell("step")

    def step_epoch(self) -> None:
        self.control.tell("epoch")

    def resume(self) -> None:
        self.control.tell("resume")

    def wait(self, timeout: float | None = None) -> int | None:
        if self._thread is not None:
            self._thread.join(timeout)
        return 0


class ReplayWorker(InProcessWorker):
    """Replays `events` as recorded, one per read, steered as the engine is: each train point
    is an update, so a paused replay holds before the next one until a step, an epoch or
    resume; a `stop()` ends it with `done: stopped` where it is. A recording without its Done
    is a run that goes on: it waits, using no CPU, to be stopped."""

    UPDATE_S = 0.002
    """How long an update takes here, as training takes time: a command sent as a point
    arrives lands a few updates later, as it does with the engine."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.recorded = events

    def events(self) -> Iterator[Event]:
        for event in self.recorded:
            update = isinstance(event, Progress) and event.series == "train"
            # as the loop: wait for its turn before an update, and take commands between events
            stopped = (update and self.control.wait_turn()) or self.control.should_stop()
            if update and not stopped:
                self.control.stop_event.wait(self.UPDATE_S)
            if self.killed:
                yield Done("failed", death_reason(-signal.SIGKILL))
                return
            if stopped and not isinstance(event, Done):
                yield self._stopped()
                return
            yield from_json(to_json(event))
            if isinstance(event, EpochEnd):
                self.control.epoch_done()
            if isinstance(event, Done):
                return
        self.control.stop_event.wait()
        yield Done("failed", death_reason(-signal.SIGKILL)) if self.killed else self._stopped()

    def _stopped(self) -> Done:
        return Done("stopped", "stopped early")


class HeldRun(ReplayWorker):
    """A run that has started and goes on, using no CPU, until it is stopped: the replay of
    its start (for the spec it is sent) without an end. For screen tests of what a learner
    does during a run (a training thread would hold the GIL and slow every key they press)."""

    def __init__(self) -> None:
        super().__init__([])

    def send(self, run_spec: dict) -> None:
        super().send(run_spec)
        self.recorded = [Start(run_spec["experiment"], "cpu", "", 0, run_spec["spec"], "")]


class Workers:
    """A source of workers for the app (`make_app(run_workers=...)`) or `lab run` (`use_runner`):
    each `take()` makes a worker with `make`."""

    def __init__(self, make: Callable[[], Any] = InProcessWorker) -> None:
        self.make = make
        self.taken: list[Any] = []
        self.warm_ups: list[bool] = []  # each warm_up's run_soon
        self.releases = 0

    def take(self) -> Any:
        worker = self.make()
        self.taken.append(worker)
        return worker

    def warm_up(self, run_soon: bool = False) -> None:
        self.warm_ups.append(run_soon)

    def release(self) -> None:
        self.releases += 1

    def shutdown(self) -> None:
        pass  # as a real runner's: the runs taken are their sessions' to end


def use_runner(monkeypatch, make: Callable[[], Any]) -> None:
    """`lab run` and the app take their workers from `make` (as if LAB_RUNNER named it)."""
    monkeypatch.setattr("lab.runs.runners.runner", lambda ahead=True: Workers(make))
