"""An older database upgrades in place; a newer one is refused untouched; a corrupt one is set aside."""

from __future__ import annotations

import hashlib
import os
import sqlite3
from datetime import datetime, timezone

import pytest

from lab.store import SCHEMA, VERSION, Store, StoreError

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)


def _digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _old_database(path, version: int) -> None:
    """A database as an older lab left it: the first `version` migrations, a review in it."""
    conn = sqlite3.connect(path, isolation_level=None)
    for step in range(version):
        conn.executescript(SCHEMA[step])
    conn.execute(f"PRAGMA user_version = {version}")
    conn.execute(
        "INSERT INTO reviews (uuid, question_id, lesson, correct, answer, rating, reviewed_at)"
        " VALUES ('u-1', 'q1', 'l1', 1, '1', 3, ?)",
        (T0.isoformat(),),
    )
    conn.close()


@pytest.mark.parametrize("version", [0, 1, 2, 3])
def test_an_older_database_opens_and_upgrades(lab_home, version):
    path = lab_home / "lab.db"
    if version:
        _old_database(path, version)
    else:
        sqlite3.connect(path).close()  # an empty file left by a very old or aborted start
    with Store.open() as store:
        assert store.version == VERSION
        if version:
            assert [r["uuid"] for r in store.reviews()] == ["u-1"]
            assert store.reviews()[0]["overruled"] is False, "old answers were never overruled"
        run_id = store.start_run("fit", "gd", {}, {}, 0, "cpu", "t")
        assert store.run(run_id).status == "running"
        assert store.integrity_check() == "ok"


def test_a_newer_database_is_refused_and_left_untouched(lab_home):
    path = lab_home / "lab.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("CREATE TABLE future (x)")
    conn.execute(f"PRAGMA user_version = {VERSION + 3}")
    conn.close()
    before = _digest(path)
    with pytest.raises(StoreError) as err:
        Store.open()
    message = str(err.value)
    assert "newer lab" in message and "\n" not in message and str(VERSION + 3) in message
    assert _digest(path) == before
    assert sorted(p.name for p in lab_home.iterdir()) == ["lab.db"]


@pytest.mark.parametrize(
    "content",
    [b"this is not a database at all" * 100, b"SQLite format 3\x00" + b"\xff" * 4000, b"\x00" * 10],
    ids=["text", "bad-header", "zeros"],
)
def test_a_corrupt_database_is_kept_aside_and_a_fresh_one_made(lab_home, content):
    path = lab_home / "lab.db"
    path.write_bytes(content)
    with Store.open() as store:
        assert store.notice and "kept as lab.db.corrupt-" in store.notice
        assert "\n" not in store.notice
        store.record_answer("q", "l", True, "x", 3, T0)
        assert store.integrity_check() == "ok"
    aside = [p for p in lab_home.iterdir() if p.name.startswith("lab.db.corrupt-")]
    assert len(aside) == 1 and aside[0].read_bytes() == content
    with Store.open() as store:
        assert store.notice is None
        assert store.review_count() == 1


def test_a_database_damaged_inside_is_kept_aside(lab_home):
    path = lab_home / "lab.db"
    with Store.open() as store:
        for i in range(300):
            store.record_answer(f"q{i}", "l", True, "x" * 200, 3, T0)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, 3 * page):  # scribble over b-tree pages
        data[offset : offset + 64] = b"\xa5" * 64
    path.write_bytes(bytes(data))
    with Store.open() as store:
        assert store.notice and "unreadable" in store.notice
        assert store.review_count() == 0


def test_an_unreadable_database_is_kept_aside(lab_home, monkeypatch):
    from lab.store import files as store_files

    with Store.open() as store:
        store.record_answer("q", "l", True, "x", 3, T0)
    if os.geteuid() == 0:  # root reads anything: pretend, as a learner would find it
        monkeypatch.setattr(store_files, "usable_file", lambda path: False)
    else:
        (lab_home / "lab.db").chmod(0o000)
    with Store.open() as store:
        assert "cannot be read or written" in store.notice
    monkeypatch.setattr(store_files, "usable_file", lambda path: True)
    with Store.open() as store:
        assert store.notice is None and store.review_count() == 0
    assert len([p for p in lab_home.iterdir() if p.name.startswith("lab.db.corrupt-")]) == 1


def test_a_locked_database_is_busy_not_corrupt(lab_home, monkeypatch):
    from lab.store import base as store_base

    with Store.open() as store:
        store.record_answer("q", "l", True, "x", 3, T0)
    monkeypatch.setattr(store_base, "BUSY_TIMEOUT_MS", 200)
    holder = sqlite3.connect(lab_home / "lab.db", isolation_level=None)
    holder.execute("PRAGMA locking_mode = EXCLUSIVE")
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="busy"):
            Store.open()
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert not [p for p in lab_home.iterdir() if "corrupt" in p.name], "never set aside"
    with Store.open() as store:
        assert store.review_count() == 1
