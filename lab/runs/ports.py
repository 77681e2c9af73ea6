"""Provides the protocols a run is driven through: `RunWorker` (one run's worker) and
`WorkerSource` (where the app and `lab run` get run workers: a runner).

The real ones are `lab.engine.client.RunProcess` and the runners of `lab.runs.runners`; the
test fakes (`tests/fake_worker.py`) implement the same, and `tests/engine/test_worker_contract.py`
holds every implementation to the same behaviour.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol

from lab.engine.events import Event


class RunWorker(Protocol):
    """One run: send it its spec, read its events (ending with exactly one `Done`), steer it.

    `stop()` ends the run with `done: stopped` within a second; `kill()` ends the process with
    no Done of its own (the events then end with a failed one); `close()` lets it go (an idle
    worker exits). `pause()`, `step()`, `step_epoch()` and `resume()` steer a run step by step;
    given before the run began, they apply from its start. `ready` is False while the worker
    is still importing torch (a run sent then waits for it)."""

    @property
    def ready(self) -> bool: ...

    def send(self, run_spec: dict) -> None: ...
    def events(self) -> Iterator[Event]: ...
    def stop(self) -> None: ...
    def kill(self) -> None: ...
    def close(self) -> None: ...
    def wait(self, timeout: float | None = None) -> int | None: ...
    def pause(self) -> None: ...
    def step(self) -> None: ...
    def step_epoch(self) -> None: ...
    def resume(self) -> None: ...


class WorkerSource(Protocol):
    """Where run workers come from: `take()` one for the next run (at once: never waits for
    torch), `warm_up()` gets the next one ready in the background (`run_soon`: a screen that
    starts runs is open, where holding a worker on a cluster is worth its cost), `release()`
    gives back what was held for that screen, `shutdown()` ends what is kept ready."""

    def take(self) -> RunWorker: ...
    def warm_up(self, run_soon: bool = False) -> None: ...
    def release(self) -> None: ...
    def shutdown(self) -> None: ...


class RunnerError(ValueError):
    """The configured runner cannot be made (an unknown kind, a missing setting); `str()` says
    which, in one line."""
