"""The headless run session both front-ends drive: what it yields and what it records.

The engine trains for real, in this process (tests/fake_worker.py): the process is not the
point here; the session's reading, ending and recording are."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.catalog.runspec import build_run_spec
from lab.engine.events import Done, EpochEnd, Progress, Start
from lab.runs.session import RunSession, RunTrack, final_metrics
from tests.fake_worker import InProcessWorker, ReplayWorker

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture
def catalog():
    catalog = load_catalog([FIXTURES / "good", FIXTURES / "long"])
    assert not catalog.problems, catalog.problems
    return catalog


def run_through(session: RunSession) -> list:
    events = list(session.events())
    assert session.wait_recorded(10)
    return events


def test_a_completed_run_is_recorded_with_its_seed_points_epochs_and_training_time(catalog, store):
    run = build_run_spec(catalog.experiment("gd-example-fit"), {"epochs": "20"}, seed=3)
    session = RunSession(run, InProcessWorker(), store=store)
    began = time.monotonic()
    events = run_through(session)
    wall = time.monotonic() - began
    assert isinstance(events[0], Start) and isinstance(events[-1], Done)
    assert sum(isinstance(e, Done) for e in events) == 1
    [stored] = store.runs("gd-example-fit")
    assert stored.id == session.run_id
    assert (stored.status, stored.seed, stored.tweaks) == ("completed", 3, {"epochs": 20})
    full = store.run(stored.id)
    assert len(full.points) == 20 and len(full.epochs) == 20
    assert full.metrics == pytest.approx(events[-1].metrics)
    assert 0 < stored.duration_s <= wall


def test_a_run_that_fails_before_training_is_recorded_failed_with_its_reason(catalog, store):
    """A data set that is not there ends the run before `start`: still a run, with its why."""
    entry = catalog.experiment("gd-example-fit")
    run = build_run_spec(entry).model_copy(
        update={"spec": build_run_spec(entry).train.model_copy(update={"dataset": _mnist()})}
    )
    session = RunSession(run, InProcessWorker(), store=store)
    events = run_through(session)
    assert [type(e) for e in events] == [Done]
    [stored] = store.runs()
    assert stored.status == "failed"
    assert stored.reason.startswith("MNIST is not downloaded on this machine")
    assert stored.reason == events[0].reason and stored.duration_s == 0
    assert stored.device == "auto" and stored.seed == 0


def _mnist():
    from lab.catalog.schema import DatasetSpec

    return DatasetSpec(name="mnist")


def test_a_scripted_run_records_the_seed_it_ran_with(store):
    catalog = load_catalog([Path(__file__).resolve().parents[2] / "lessons"])
    entry = next(e for e in catalog.experiments() if e.experiment.kind == "scripted:tensor-tour")
    session = RunSession(build_run_spec(entry, seed=5), InProcessWorker(), store=store)
    run_through(session)
    [stored] = store.runs()
    assert stored.status == "completed" and stored.seed == 5


def test_points_are_in_the_store_while_the_run_goes(catalog, store):
    """A `lab run` killed mid-run keeps what it had trained (within half a second)."""
    run = build_run_spec(catalog.experiment("long-moons"))
    session = RunSession(run, InProcessWorker(), store=store)
    events = session.events()
    for _event in events:
        if session.run_id is not None and store.run(session.run_id).points:
            break
    assert session.done is None
    stored = store.run(session.run_id)
    assert stored.status == "running" and stored.seed == 0 and stored.points
    session.stop()
    rest = list(events)
    assert rest[-1].status == "stopped"
    assert session.wait_recorded(10)
    assert store.run(session.run_id).status == "stopped"


def test_close_records_a_running_run_as_stopped_with_the_reason(catalog, store):
    run = build_run_spec(catalog.experiment("long-moons"))
    session = RunSession(run, InProcessWorker(), store=store)
    for event in session.events():
        if isinstance(event, EpochEnd):
            break
    session.close("the learner left the experiment screen")
    stored = store.run(session.run_id)
    assert (stored.status, stored.reason) == ("stopped", "the learner left the experiment screen")
    assert stored.epochs and stored.duration_s > 0
    assert session.worker._stop.is_set()  # the worker was told to stop


def test_close_keeps_the_figures_a_stopped_scripted_run_reports_at_its_end(store):
    """manual-vs-adam reports its losses only in its end (no epoch ends before it): closed
    while another thread reads its events (the experiment screen's reader), the run is kept
    with the figures the worker's end carries, and with close's reason."""
    import threading

    catalog = load_catalog([Path(__file__).resolve().parents[2] / "lessons"])
    run = build_run_spec(catalog.experiment("manual-vs-adam"), {"steps": "2000"})
    session = RunSession(run, InProcessWorker(), store=store)
    seen: list = []
    reader = threading.Thread(target=lambda: seen.extend(session.events()), daemon=True)
    reader.start()
    deadline = time.monotonic() + 30
    while sum(isinstance(e, Progress) for e in seen) < 5:
        assert time.monotonic() < deadline and reader.is_alive()
        time.sleep(0.01)
    session.close("the learner left the experiment screen")
    reader.join(5)
    stored = store.run(session.run_id)
    assert (stored.status, stored.reason) == ("stopped", "the learner left the experiment screen")
    assert stored.metrics == pytest.approx(seen[-1].metrics) and "manual_loss" in stored.metrics


def test_a_store_that_fails_loses_the_record_not_the_run(catalog):
    class Broken:
        def start_run(self, **_):
            raise OSError("disk full")

    warnings: list[str] = []
    run = build_run_spec(catalog.experiment("gd-example-fit"), {"epochs": "3"})
    session = RunSession(run, InProcessWorker(), store=Broken(), on_warning=warnings.append)
    events = run_through(session)
    assert events[-1].status == "completed"
    assert warnings == ["this run is not saved (disk full)"]


def test_a_worker_that_cannot_be_talked_to_ends_the_run_failed(catalog, store):
    class Deaf(InProcessWorker):
        def send(self, run_spec):
            raise BrokenPipeError("[Errno 32] Broken pipe")

    run = build_run_spec(catalog.experiment("gd-example-fit"))
    session = RunSession(run, Deaf(), store=store)
    [done] = run_through(session)
    assert done.reason == "could not talk to the training process: [Errno 32] Broken pipe"
    assert store.runs()[0].status == "failed"


def test_val_losses_of_epochs_become_points_unless_they_come_as_steps():
    track = RunTrack()
    assert track.points(Progress(1, 4, 0.5, 1.0)) == [(4, "train", 0.5)]
    assert track.points(EpochEnd(1, {"train_loss": 0.5, "val_loss": 0.7})) == [(4, "val", 0.7)]
    assert track.points(Progress(2, 8, 0.6, 1.0, series="val")) == [(8, "val", 0.6)]
    assert track.points(EpochEnd(2, {"val_loss": 0.6})) == []  # drawn from its steps already
    assert final_metrics({"val_loss": 0.6, "note": "x"}, {"train_loss": 1, "ok": True}) == {
        "val_loss": 0.6,
        "train_loss": 1.0,
    }


def test_a_stop_before_the_spec_is_sent_reaches_the_worker_with_it(catalog, store):
    """The learner presses s between r and the first event: the worker is told at once."""
    worker = InProcessWorker()
    session = RunSession(build_run_spec(catalog.experiment("long-moons")), worker, store=store)
    session.stop()
    events = run_through(session)
    assert events[-1].status == "stopped" and worker._stop.is_set()
    assert store.runs()[0].status == "stopped"


def test_a_stop_while_events_come_ends_the_replay_stopped(catalog, store):
    recorded = [Start("gd-example-fit", "cpu", "", 2, {}, "2.x")] + [
        Progress(1, s, 1.0 / s, 10.0) for s in range(1, 50)
    ]
    session = RunSession(
        build_run_spec(catalog.experiment("gd-example-fit")),
        ReplayWorker([*recorded, Done("completed", "trained", {})]),
        store=store,
    )
    events = session.events()
    assert isinstance(next(events), Start)
    session.stop()
    rest = list(events)
    assert rest[-1].status == "stopped" and sum(isinstance(e, Done) for e in rest) == 1
    assert session.wait_recorded(10) and store.runs()[0].status == "stopped"
