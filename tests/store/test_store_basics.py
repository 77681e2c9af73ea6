"""The store keeps answers, cards, lessons read and runs, and thins step losses evenly."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

import pytest

from lab.store import (
    MAX_POINTS_PER_SERIES,
    STOPPED_REASON,
    Store,
    StoreError,
    filesystem_type,
    on_network_filesystem,
)

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def test_a_fresh_store_is_wal_and_current(store, lab_home):
    assert store.path == lab_home / "lab.db"
    assert store.journal_mode == "wal"
    assert store.notice is None
    assert store.integrity_check() == "ok"


def test_a_new_database_written_by_another_session_still_opens_in_wal(lab_home):
    """Two sessions open a new database together: turning it to WAL needs it alone, and SQLite
    answers "locked" at once while the other writes, so the store tries again until it is done."""
    import sqlite3
    import threading

    path = lab_home / "lab.db"
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    other.execute("BEGIN IMMEDIATE")  # the other session writing its tables
    other.execute("CREATE TABLE held (x)")
    threading.Timer(0.3, lambda: other.execute("COMMIT")).start()
    with Store.open(path) as store:
        assert store.journal_mode == "wal"
    other.close()


def test_an_answer_goes_to_the_log_and_the_card(store):
    info = store.record_answer("q1", "l1", True, "1", 3, T0)
    assert info.reviews == 1 and info.last_correct and info.due > T0
    assert store.card("q1").due == info.due
    assert store.card("nope") is None
    store.record_answer("q1", "l1", False, "2", 1, T0 + timedelta(minutes=30))
    card = store.card("q1")
    assert card.reviews == 2 and not card.last_correct
    log = store.reviews("q1")
    assert [r["answer"] for r in log] == ["1", "2"]
    assert len({r["uuid"] for r in log}) == 2


def test_due_lists_cards_due_most_overdue_first(store):
    store.record_answer("a", "l1", True, "x", 3, T0)
    store.record_answer("b", "l2", True, "x", 3, T0 - timedelta(hours=1))
    store.record_answer("term:gradient", "l1", True, "good", 3, T0)
    later = T0 + timedelta(days=30)
    assert store.due(T0 - timedelta(hours=2)) == []
    assert store.due(later) == ["b", "a"]
    assert store.due(later, "l1") == ["a"]
    assert store.due(later, terms=True) == ["term:gradient"]


def test_an_out_of_order_answer_rebuilds_the_card_from_the_log(store):
    store.record_answer("q", "l", True, "x", 3, T0 + timedelta(days=2))
    store.record_answer("q", "l", True, "x", 3, T0)
    card = store.card("q")
    assert card.reviews == 2
    assert card.card.last_review == T0 + timedelta(days=2)


def test_lessons_read(store):
    store.mark_read("l1", T0)
    store.mark_read("l1", T0 + timedelta(days=1))
    assert store.lessons_read() == {"l1": T0}


def test_a_run_with_epochs_and_points(store):
    run_id = store.start_run("fit", "gd", {"lr": 0.1}, {"lr": 0.5}, 3, "cpu", "2.5")
    assert store.run(run_id).status == "running"
    store.add_epoch(run_id, 1, {"train_loss": 0.5, "val_loss": float("nan")})
    store.add_points(
        run_id, [(1, "train", 1.0), (2, "train", float("inf")), (3, "train", float("nan"))]
    )
    store.finish_run(
        run_id, "diverged", "loss became inf at step 2", {"train_loss": float("inf")}, 1.5
    )
    run = store.run(run_id)
    assert (run.status, run.reason, run.duration_s, run.seed) == (
        "diverged",
        "loss became inf at step 2",
        1.5,
        3,
    )
    assert run.tweaks == {"lr": 0.5} and run.spec == {"lr": 0.1}
    assert run.epochs == [(1, {"train_loss": 0.5, "val_loss": "nan"})]
    assert run.points[:2] == [(1, "train", 1.0), (2, "train", float("inf"))]
    assert run.points[2][2] != run.points[2][2]  # nan
    assert [r.id for r in store.runs("fit")] == [run_id]
    assert store.runs("other") == []
    assert store.run(999) is None
    with pytest.raises(ValueError):
        store.finish_run(run_id, "exploded", "", {}, 0)


def test_step_losses_are_thinned_evenly_to_a_bound(store):
    run_id = store.start_run("fit", "gd", {}, {}, None, "cpu", "2.5")
    n = 5 * MAX_POINTS_PER_SERIES + 17
    for start in range(0, n, 500):
        batch = [(s, "train", float(s)) for s in range(start, min(n, start + 500))]
        batch += [(s, "val", float(s)) for s in range(start, min(n, start + 500), 100)]
        store.add_points(run_id, batch)
    points = store.run(run_id).points
    train = [s for s, series, _ in points if series == "train"]
    val = [s for s, series, _ in points if series == "val"]
    assert MAX_POINTS_PER_SERIES // 2 <= len(train) <= MAX_POINTS_PER_SERIES
    gaps = {b - a for a, b in zip(train, train[1:], strict=False)}
    assert len(gaps) == 1, "points stay evenly spaced"
    assert train[0] == 0 and train[-1] >= n - 2 * max(gaps)
    assert len(val) == len(range(0, n, 100))


def test_a_run_left_running_by_a_dead_process_is_marked_stopped(lab_home):
    code = (
        "from lab.store import Store\n"
        "s = Store.open()\n"
        "print(s.start_run('fit', 'gd', {}, {}, 0, 'cpu', 't'))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    run_id = int(out.stdout)
    with Store.open() as store:
        mine = store.start_run("fit", "gd", {}, {}, 0, "cpu", "t")
    with Store.open() as store:
        run = store.run(run_id)
        assert (run.status, run.reason) == ("stopped", STOPPED_REASON)
        assert store.run(mine).status == "running", "this process is alive: its run goes on"


def test_network_filesystems_are_detected():
    mounts = (
        "overlay / overlay rw 0 0\n"
        "server:/home /home nfs4 rw,relatime 0 0\n"
        "//nas/share /mnt/share cifs rw 0 0\n"
        "tmpfs /home/me/tmp tmpfs rw 0 0\n"
    )
    from pathlib import Path

    assert filesystem_type(Path("/home/me/.local/share/lab"), mounts) == "nfs4"
    assert on_network_filesystem(Path("/home/me/.local/share/lab"), mounts)
    assert on_network_filesystem(Path("/mnt/share/x"), mounts)
    assert not on_network_filesystem(Path("/home/me/tmp/lab"), mounts)
    assert not on_network_filesystem(Path("/var/lab"), mounts)


def test_on_a_network_filesystem_the_journal_is_delete(lab_home, monkeypatch):
    from lab.store import files as store_files

    monkeypatch.setattr(store_files, "on_network_filesystem", lambda path: True)
    with Store.open() as store:
        assert store.journal_mode == "delete"
        store.record_answer("q", "l", True, "x", 3, T0)
    assert not (lab_home / "lab.db-wal").exists()


def test_a_full_disk_is_a_clear_store_error(store):
    store.record_answer("q", "l", True, "x", 3, T0)
    pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
    store._conn.execute(f"PRAGMA max_page_count = {pages}")
    with pytest.raises(StoreError, match="full"):
        for i in range(2000):
            store.record_answer(f"q{i}", "l", True, "x" * 500, 3, T0)
    # what was committed before stays, and reading still works
    assert store.card("q") is not None
    assert store.integrity_check() == "ok"


def test_store_error_messages_are_one_line(lab_home):
    blocker = lab_home / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError) as err:
        Store.open(blocker / "sub" / "lab.db")
    assert "\n" not in str(err.value) and "cannot create" in str(err.value)


def test_a_read_only_lab_home_is_a_clear_store_error(lab_home, monkeypatch):
    with Store.open() as store:
        store.record_answer("q", "l", True, "x", 3, T0)
    if os.geteuid() == 0:
        # root writes anywhere: pretend the folder is read-only as a learner would find it
        from lab.store import files as store_files

        monkeypatch.setattr(store_files, "writable", lambda folder: False)
    else:
        lab_home.chmod(0o555)
    try:
        with pytest.raises(StoreError, match="not writable") as err:
            Store.open()
        assert "\n" not in str(err.value)
    finally:
        lab_home.chmod(0o755)


def test_read_only_opening_reads_and_never_writes(lab_home):
    with pytest.raises(StoreError, match="no progress saved yet"):
        Store.open_readonly()
    with Store.open() as store:
        store.record_answer("q", "l", True, "x", 3, T0)
    before = (lab_home / "lab.db").read_bytes()
    with Store.open_readonly() as store:
        assert store.review_count() == 1 and store.card("q") is not None
        with pytest.raises(StoreError) as err:
            store.record_answer("q2", "l", True, "x", 3, T0)
        assert "\n" not in str(err.value)
    assert (lab_home / "lab.db").read_bytes() == before


def test_one_store_shared_by_threads_records_every_answer(store):
    import threading

    def answer(k: int) -> None:
        for i in range(50):
            store.record_answer(f"q{i % 5}", "l", True, f"{k}-{i}", 3)

    threads = [threading.Thread(target=answer, args=(k,)) for k in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert store.review_count() == 200
    assert sum(c.reviews for c in store.cards().values()) == 200
