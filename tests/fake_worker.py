"""Stand-ins for the training worker process, for tests where the process is not the point.

`InProcessWorker` has the `lab.engine.client.Worker` interface and runs the real engine
(`run_events`) on a thread of the test process, its events crossing as the same JSON lines the
process writes; `ReplayWorker` replays events recorded beforehand; `HeldRun` starts and waits
to be stopped. `Workers` hands them out
where the app takes its workers (`app.warm_workers`: take, warm_up, shutdown), so the screen
under test runs exactly the code it runs with a real process, minus a Python importing torch.
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
from lab.engine.events import Done, Event, Held, Start, from_json, to_json


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
    """Replays `events` as recorded, one per read; a `stop()` ends it with `done: stopped`
    where it is, as the engine does between steps."""

    def __init__(self, events: list[Event]) -> None:
        super().__init__()
        self.recorded = events

    def events(self) -> Iterator[Event]:
        for event in self.recorded:
            if self.killed:
                yield Done("failed", death_reason(-signal.SIGKILL))
                return
            if self._stop.is_set() and not isinstance(event, Done):
                yield Done("stopped", "stopped early")
                return
            yield from_json(to_json(event))
            if isinstance(event, Done):
                return


class HeldRun(InProcessWorker):
    """A run that has started and goes on, using no CPU, until it is stopped: for screen
    tests of what a learner does during a run (a training thread would hold the GIL and slow
    every key the test presses)."""

    def _produce(self, spec: dict) -> Iterable[Event]:
        yield Start(spec["experiment"], "cpu", "", 0, spec["spec"], "")
        self.control.stop_event.wait(60)
        yield Done("stopped", "stopped at epoch 1, step 1")


class Workers:
    """What the app keeps in `app.warm_workers`: each `take()` makes a worker with `make`."""

    def __init__(self, make: Callable[[], Any] = InProcessWorker) -> None:
        self.make = make
        self.taken: list[Any] = []

    def take(self) -> Any:
        worker = self.make()
        self.taken.append(worker)
        return worker

    def warm_up(self) -> None:
        pass

    def shutdown(self) -> None:
        for worker in self.taken:
            worker.kill()
