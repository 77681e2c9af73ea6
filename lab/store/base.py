"""Provides the store's base: opening (creating, upgrading or setting aside a corrupt file),
closing, and the one read and one write path every query goes through.

One file, `lab.db` under LAB_HOME. Several lab processes of one learner may use it at once
(two SSH logins): WAL journal (DELETE on network filesystems, where WAL does not work), a busy
timeout, and every write in its own `BEGIN IMMEDIATE` transaction, so a killed process loses at
most the write it was making. A write may wait up to the busy timeout for another session:
front-ends call it off their event loop.
"""

from __future__ import annotations

import os
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Self

from lab import paths
from lab.store import files
from lab.store.files import Corrupt, StoreError
from lab.store.schema import VERSION, migrate
from lab.store.values import utc_now

BUSY_TIMEOUT_MS = 15_000


class StoreBase:
    """Opening, closing and transactions; `lab.store.Store` adds the queries. Thread-safe; one
    connection per store."""

    def __init__(self, conn: sqlite3.Connection, path: Path, notice: str | None = None):
        self._conn = conn
        self._lock = threading.RLock()
        # Reads have their own connection and lock: a write waiting up to the busy timeout for
        # another session must not hold up a screen reading its figures meanwhile (WAL lets
        # the reader see every committed write). Read-only stores read on `conn` itself.
        self._reader = conn
        self._read_lock = self._lock
        self.path = path
        self.notice = notice
        """Something the learner should be told (a corrupt database set aside), or None."""
        self.journal_mode = ""

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None) -> Self:
        """Open (creating, upgrading or, if corrupt, replacing) the database at `path`."""
        path = Path(path) if path is not None else paths.db_path()
        try:
            if path.parent == paths.lab_home():
                paths.ensure_home()
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create {path.parent}: {exc.strerror or exc}; progress is not saved"
            ) from None
        if not files.writable(path.parent):
            raise StoreError(
                f"cannot save progress: {path.parent} is not writable "
                "(set LAB_HOME to a folder you can write)"
            )
        notice = None
        try:
            store = cls._connect(path)
        except Corrupt as exc:
            aside = cls._set_aside(path)
            notice = (
                f"your progress database was unreadable ({exc}); it was kept as {aside.name} "
                "and a fresh one was started"
            )
            try:
                store = cls._connect(path)
            except Corrupt as again:
                raise StoreError(f"cannot create a fresh progress database: {again}") from None
        store.notice = notice
        store._stop_orphaned_runs()
        return store

    @classmethod
    def open_readonly(cls, path: Path | None = None) -> Self:
        """Open an existing, current database only to read it (a read-only LAB_HOME): nothing
        is created, upgraded or changed; a write raises StoreError."""
        path = Path(path) if path is not None else paths.db_path()
        if not path.is_file():
            raise StoreError(f"no progress saved yet ({path} does not exist)")
        conn = None
        for query in ("mode=ro", "immutable=1"):  # immutable: no -shm can be made beside it
            try:
                conn = sqlite3.connect(
                    f"{path.resolve().as_uri()}?{query}",
                    uri=True,
                    timeout=BUSY_TIMEOUT_MS / 1000,
                    isolation_level=None,
                    check_same_thread=False,
                )
                version = conn.execute("PRAGMA user_version").fetchone()[0]
                break
            except sqlite3.Error as exc:
                if conn is not None:
                    conn.close()
                conn, error = None, exc
        if conn is None:
            raise StoreError(f"cannot read {path}: {error}")
        if version != VERSION:
            conn.close()
            newer = "a newer" if version > VERSION else "an older"
            raise StoreError(
                f"{path} was written by {newer} lab (database version {version}); "
                "it cannot be read here without write access"
            )
        store = cls(conn, path)
        store.journal_mode = "read-only"
        return store

    @classmethod
    def _connect(cls, path: Path) -> Self:
        if path.exists() and not files.usable_file(path):
            raise Corrupt("it cannot be read or written")
        # Made 0600 whatever the umask (an empty file is an empty database); SQLite gives its
        # -wal and -shm files the database's mode. There already, or not creatable: sqlite
        # says which.
        with suppress(OSError):
            os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(files.message(exc, path)) from None
        try:
            conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            # Read before any write: a newer database must be left exactly as it is.
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > VERSION:
                conn.close()
                raise StoreError(
                    f"{path} was written by a newer lab (database version {version}, this lab "
                    f"knows up to {VERSION}); upgrade lab to use it. It was not changed."
                )
            problem = files.health(conn, path)
            if problem:
                conn.close()
                raise Corrupt(problem)
        except sqlite3.Error as exc:
            conn.close()
            if files.is_corruption(exc):
                raise Corrupt(str(exc)) from None
            raise StoreError(files.message(exc, path)) from None
        store = cls(conn, path)
        try:
            mode = "delete" if files.on_network_filesystem(path.parent) else "wal"
            store.journal_mode = _set_journal_mode(conn, mode)
            # FULL: an answer the learner saw acknowledged survives a power cut too (answers
            # are few, and step losses are written in batches, so the fsyncs cost little).
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            store._migrate()
            store._reader = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
            store._read_lock = threading.RLock()
        except sqlite3.Error as exc:
            conn.close()
            if files.is_corruption(exc):
                raise Corrupt(str(exc)) from None
            raise StoreError(files.message(exc, path)) from None
        return store

    @staticmethod
    def _set_aside(path: Path) -> Path:
        stamp = utc_now().astimezone().strftime("%Y%m%d-%H%M%S")
        aside = path.with_name(f"{path.name}.corrupt-{stamp}")
        n = 1
        while aside.exists():
            n += 1
            aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
        try:
            os.replace(path, aside)
            for suffix in ("-wal", "-shm", "-journal"):
                extra = path.with_name(path.name + suffix)
                if extra.exists():
                    os.replace(extra, aside.with_name(aside.name + suffix))
        except OSError as exc:
            raise StoreError(
                f"{path} is unreadable and could not be moved aside: {exc.strerror or exc}"
            ) from None
        return aside

    def _migrate(self) -> None:
        with self._write() as conn:
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > VERSION:  # a newer lab upgraded it meanwhile
                raise StoreError(f"{self.path} was upgraded by a newer lab; upgrade lab too")
            migrate(conn, version)

    def _stop_orphaned_runs(self) -> None:
        """Tidy up after processes that died mid-write (the run history overrides it)."""

    def close(self) -> None:
        with self._lock, self._read_lock:
            self._conn.close()
            self._reader.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def version(self) -> int:
        return self._read("PRAGMA user_version")[0][0]

    def integrity_check(self) -> str:
        return self._read("PRAGMA integrity_check")[0][0]

    # --- transactions ---------------------------------------------------------------------

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One `BEGIN IMMEDIATE` transaction: committed whole, or not at all."""
        with self._lock:
            conn = self._conn
            try:
                conn.execute("BEGIN IMMEDIATE")
            except sqlite3.Error as exc:
                raise StoreError(files.message(exc, self.path)) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(files.message(exc, self.path)) from None
                raise

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._read_lock:
            try:
                return self._reader.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(files.message(exc, self.path)) from None


def _set_journal_mode(conn: sqlite3.Connection, mode: str) -> str:
    """Set the journal mode, and say which it is. Turning a new database to WAL needs it alone
    for a moment, and SQLite answers "locked" at once rather than waiting (two sessions opening
    a new database together): tried again within the busy timeout."""
    deadline = time.monotonic() + BUSY_TIMEOUT_MS / 1000
    while True:
        current = conn.execute("PRAGMA journal_mode").fetchone()[0]
        if current == mode:
            return current
        try:
            return conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)
