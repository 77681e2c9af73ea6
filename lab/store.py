"""Provides the Store: the learner's quiz reviews, lesson progress and run history in SQLite.

One file, `lab.db` under LAB_HOME. Several lab processes of one learner may use it at once
(two SSH logins): WAL journal (DELETE on network filesystems, where WAL does not work), a busy
timeout, and every write in its own `BEGIN IMMEDIATE` transaction, so a killed process loses at
most the write it was making. Quiz answers go to an append-only review log (each row with a
stable uuid, so export/import merges without duplicates); each card's fsrs state is updated in
the same transaction and can always be rebuilt from the log.
"""

from __future__ import annotations

import json
import math
import os
import socket
import sqlite3
import threading
import uuid as uuidlib
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from lab import paths
from lab.quiz import scheduler

# Forward migrations: SCHEMA[i] takes a database from version i to version i + 1.
SCHEMA: list[str] = [
    # 1: quiz reviews, cards and lessons read
    """
    CREATE TABLE reviews (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        question_id TEXT NOT NULL,
        lesson TEXT NOT NULL,
        correct INTEGER NOT NULL,
        answer TEXT NOT NULL,
        rating INTEGER NOT NULL,
        reviewed_at TEXT NOT NULL
    );
    CREATE INDEX reviews_question ON reviews (question_id, reviewed_at);
    CREATE INDEX reviews_lesson ON reviews (lesson);
    CREATE TABLE cards (
        question_id TEXT PRIMARY KEY,
        lesson TEXT NOT NULL,
        card TEXT NOT NULL,
        due TEXT NOT NULL,
        last_correct INTEGER NOT NULL,
        reviews INTEGER NOT NULL
    );
    CREATE INDEX cards_due ON cards (due);
    CREATE TABLE lessons_read (
        lesson TEXT PRIMARY KEY,
        read_at TEXT NOT NULL
    );
    """,
    # 2: run history
    """
    CREATE TABLE runs (
        id INTEGER PRIMARY KEY,
        uuid TEXT NOT NULL UNIQUE,
        experiment TEXT NOT NULL,
        lesson TEXT NOT NULL,
        spec TEXT NOT NULL,
        tweaks TEXT NOT NULL,
        seed INTEGER,
        device TEXT NOT NULL,
        torch_version TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL DEFAULT '',
        metrics TEXT NOT NULL DEFAULT '{}',
        started_at TEXT NOT NULL,
        finished_at TEXT,
        duration_s REAL,
        host TEXT NOT NULL,
        pid INTEGER NOT NULL,
        pid_start TEXT
    );
    CREATE INDEX runs_experiment ON runs (experiment);
    CREATE TABLE run_epochs (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        epoch INTEGER NOT NULL,
        metrics TEXT NOT NULL,
        PRIMARY KEY (run_id, epoch)
    );
    CREATE TABLE run_series (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        series TEXT NOT NULL,
        seen INTEGER NOT NULL,
        stride INTEGER NOT NULL,
        kept INTEGER NOT NULL,
        PRIMARY KEY (run_id, series)
    );
    CREATE TABLE run_points (
        run_id INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        series TEXT NOT NULL,
        seq INTEGER NOT NULL,
        step INTEGER NOT NULL,
        value REAL
    );
    CREATE INDEX run_points_run ON run_points (run_id, series, seq);
    """,
    # 3: code exercises, the verdict of each one's last check
    """
    CREATE TABLE exercises (
        exercise TEXT PRIMARY KEY,
        lesson TEXT NOT NULL,
        status TEXT NOT NULL,
        checked_at TEXT NOT NULL,
        first_done_at TEXT
    );
    """,
]
VERSION = len(SCHEMA)

MAX_POINTS_PER_SERIES = 2000
"""Step losses kept per series of a run; beyond it every other point is dropped."""

BUSY_TIMEOUT_MS = 15_000
FULL_CHECK_BYTES = 8_000_000
"""Up to this size the whole database is checked on open (about 0.1 s); above, the tables
holding answers and runs (not the step losses)."""
CHECKED_TABLES = ("reviews", "cards", "lessons_read", "runs", "run_epochs", "exercises")
STOPPED_REASON = "the lab was closed or killed during the run"
NETWORK_FILESYSTEMS = {
    "nfs",
    "nfs4",
    "cifs",
    "smbfs",
    "smb3",
    "9p",
    "fuse.sshfs",
    "lustre",
    "gpfs",
    "afs",
    "ceph",
    "glusterfs",
    "fuse.glusterfs",
}
RUN_STATUSES = {"running", "completed", "stopped", "diverged", "failed"}


class StoreError(Exception):
    """The progress database cannot be used; the message is one line for the learner."""


@dataclass
class Run:
    """One run of an experiment, with its epochs and step losses when read by `Store.run`."""

    id: int
    uuid: str
    experiment: str
    lesson: str
    spec: dict
    tweaks: dict
    seed: int | None
    device: str
    torch_version: str
    status: str
    reason: str
    metrics: dict
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    epochs: list[tuple[int, dict]] = field(default_factory=list)
    points: list[tuple[int, str, float]] = field(default_factory=list)


@dataclass
class CardInfo:
    """A question's (or a term's) spaced-repetition state."""

    question_id: str
    lesson: str
    card: Any  # fsrs.Card
    due: datetime
    last_correct: bool
    reviews: int


# --- helpers ------------------------------------------------------------------------------


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def _iso(when: datetime) -> str:
    return _utc(when).isoformat(timespec="microseconds")


def _parse(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text) if text else None


def _json(data: Any) -> str:
    def clean(value: Any) -> Any:
        # JSON has no NaN or infinity: store them as strings a reader can still see.
        if isinstance(value, float) and not math.isfinite(value):
            return str(value)
        if isinstance(value, dict):
            return {str(k): clean(v) for k, v in value.items()}
        if isinstance(value, (list, tuple)):
            return [clean(v) for v in value]
        return value

    return json.dumps(clean(data), ensure_ascii=False, default=str)


def _real(value: Any) -> float | None:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def filesystem_type(path: Path, mounts: str | None = None) -> str:
    """The type of the filesystem holding `path`, from /proc/mounts ('' when unknown)."""
    if mounts is None:
        try:
            mounts = Path("/proc/mounts").read_text(errors="replace")
        except OSError:
            return ""
    target = str(path.resolve())
    best, kind = "", ""
    for line in mounts.splitlines():
        parts = line.split()
        if len(parts) < 3:
            continue
        point = parts[1].replace("\\040", " ")
        inside = target == point or target.startswith(point.rstrip("/") + "/")
        if inside and len(point) >= len(best):
            best, kind = point, parts[2]
    return kind


def on_network_filesystem(path: Path, mounts: str | None = None) -> bool:
    kind = filesystem_type(path, mounts)
    return kind in NETWORK_FILESYSTEMS or kind.startswith("nfs")


def _writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def _usable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.R_OK | os.W_OK)


def _process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def _alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: not this learner's lab
    except OSError:
        return False
    if started is not None:
        now = _process_start(pid)
        if now is not None and now != started:
            return False  # the pid was reused
    return True


def _check(conn: sqlite3.Connection, path: Path) -> str | None:
    """A quick integrity check; None when fine. A big database (mostly step losses) has only
    its precious tables checked, so that opening stays fast."""
    tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    try:
        size = path.stat().st_size
    except OSError:
        size = 0
    if size <= FULL_CHECK_BYTES:
        checks = ["PRAGMA quick_check"]
    else:
        checks = [f"PRAGMA quick_check({t})" for t in CHECKED_TABLES if t in tables]
    for sql in checks:
        result = conn.execute(sql).fetchone()[0]
        if result != "ok":
            return result
    return None


def _is_corruption(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file itself is damaged (not busy, full or unreachable: those
    pass, and a learner's database must never be set aside for them)."""
    low = str(exc).lower()
    return any(w in low for w in ("not a database", "malformed", "corrupt", "encrypted"))


def _message(exc: sqlite3.Error, path: Path) -> str:
    text = str(exc)
    low = text.lower()
    if "full" in low:
        return f"cannot save progress: the disk holding {path.parent} is full"
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return f"cannot save progress: {path.parent} is not writable"
    if "locked" in low or "busy" in low:
        return "the progress database is busy (another lab session is writing); try again"
    return f"progress database error ({path}): {text}"


# --- the store ----------------------------------------------------------------------------


class Store:
    """The learner's progress and runs. Thread-safe; one connection per Store."""

    def __init__(self, conn: sqlite3.Connection, path: Path, notice: str | None = None):
        self._conn = conn
        self._lock = threading.RLock()
        self.path = path
        self.notice = notice
        """Something the learner should be told (a corrupt database set aside), or None."""
        self.journal_mode = ""

    # --- opening --------------------------------------------------------------------------

    @classmethod
    def open(cls, path: Path | None = None) -> Store:
        """Open (creating, upgrading or, if corrupt, replacing) the database at `path`."""
        path = Path(path) if path is not None else paths.db_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(
                f"cannot create {path.parent}: {exc.strerror or exc}; progress is not saved"
            ) from None
        if not _writable(path.parent):
            raise StoreError(
                f"cannot save progress: {path.parent} is not writable "
                "(set LAB_HOME to a folder you can write)"
            )
        notice = None
        try:
            store = cls._connect(path)
        except _Corrupt as exc:
            aside = cls._set_aside(path)
            notice = (
                f"your progress database was unreadable ({exc}); it was kept as {aside.name} "
                "and a fresh one was started"
            )
            try:
                store = cls._connect(path)
            except _Corrupt as again:
                raise StoreError(f"cannot create a fresh progress database: {again}") from None
        store.notice = notice
        store._stop_orphaned_runs()
        return store

    @classmethod
    def open_readonly(cls, path: Path | None = None) -> Store:
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
    def _connect(cls, path: Path) -> Store:
        if path.exists() and not _usable_file(path):
            raise _Corrupt("it cannot be read or written")
        try:
            conn = sqlite3.connect(
                path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=False
            )
        except sqlite3.Error as exc:
            raise StoreError(_message(exc, path)) from None
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
            problem = _check(conn, path)
            if problem:
                conn.close()
                raise _Corrupt(problem)
        except sqlite3.Error as exc:
            conn.close()
            if _is_corruption(exc):
                raise _Corrupt(str(exc)) from None
            raise StoreError(_message(exc, path)) from None
        store = cls(conn, path)
        try:
            mode = "delete" if on_network_filesystem(path.parent) else "wal"
            store.journal_mode = conn.execute(f"PRAGMA journal_mode = {mode}").fetchone()[0]
            # FULL: an answer the learner saw acknowledged survives a power cut too (answers
            # are few, and step losses are written in batches, so the fsyncs cost little).
            conn.execute("PRAGMA synchronous = FULL")
            conn.execute("PRAGMA foreign_keys = ON")
            store._migrate()
        except sqlite3.Error as exc:
            conn.close()
            if _is_corruption(exc):
                raise _Corrupt(str(exc)) from None
            raise StoreError(_message(exc, path)) from None
        return store

    @staticmethod
    def _set_aside(path: Path) -> Path:
        stamp = _now().astimezone().strftime("%Y%m%d-%H%M%S")
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
            for step in range(version, VERSION):
                for statement in SCHEMA[step].split(";"):
                    if statement.strip():
                        conn.execute(statement)
                conn.execute(f"PRAGMA user_version = {step + 1}")

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
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
                raise StoreError(_message(exc, self.path)) from None
            try:
                yield conn
                conn.execute("COMMIT")
            except BaseException as exc:
                if conn.in_transaction:
                    with suppress(sqlite3.Error):
                        conn.execute("ROLLBACK")
                if isinstance(exc, sqlite3.Error):
                    raise StoreError(_message(exc, self.path)) from None
                raise

    def _read(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                raise StoreError(_message(exc, self.path)) from None

    # --- quiz -----------------------------------------------------------------------------

    def record_answer(
        self,
        question_id: str,
        lesson: str,
        correct: bool,
        answer: str,
        rating: int,
        reviewed_at: datetime | None = None,
        review_uuid: str | None = None,
    ) -> CardInfo:
        """Append the answer to the review log and update the card, in one transaction."""
        reviewed_at = reviewed_at or _now()
        review_uuid = review_uuid or str(uuidlib.uuid4())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO reviews (uuid, question_id, lesson, correct, answer, rating,"
                " reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                (
                    review_uuid,
                    question_id,
                    lesson,
                    int(bool(correct)),
                    str(answer),
                    int(rating),
                    _iso(reviewed_at),
                ),
            )
            row = conn.execute(
                "SELECT card FROM cards WHERE question_id = ?", (question_id,)
            ).fetchone()
            card = scheduler.card_from_json(row[0]) if row else None
            if card is not None and card.last_review and card.last_review >= _utc(reviewed_at):
                # An answer not newer than the card's last one (an import, a clock step back):
                # rebuild from the whole log, ties in uuid order, as every copy of it would.
                info = self._rebuild(conn, question_id)
            else:
                card = card or scheduler.new_card(question_id)
                card = scheduler.review(card, rating, reviewed_at)
                info = self._save_card(conn, question_id, lesson, card, correct, row is None)
        return info

    def _save_card(self, conn, question_id, lesson, card, correct, new: bool) -> CardInfo:
        if new:
            conn.execute(
                "INSERT INTO cards (question_id, lesson, card, due, last_correct, reviews)"
                " VALUES (?, ?, ?, ?, ?, 1)",
                (question_id, lesson, scheduler.card_to_json(card), _iso(card.due), int(correct)),
            )
        else:
            conn.execute(
                "UPDATE cards SET lesson = ?, card = ?, due = ?, last_correct = ?,"
                " reviews = reviews + 1 WHERE question_id = ?",
                (lesson, scheduler.card_to_json(card), _iso(card.due), int(correct), question_id),
            )
        row = conn.execute("SELECT reviews FROM cards WHERE question_id = ?", (question_id,))
        return CardInfo(question_id, lesson, card, card.due, bool(correct), row.fetchone()[0])

    def _rebuild(self, conn, question_id: str) -> CardInfo | None:
        rows = conn.execute(
            "SELECT lesson, correct, rating, reviewed_at FROM reviews WHERE question_id = ?"
            " ORDER BY reviewed_at, uuid",
            (question_id,),
        ).fetchall()
        if not rows:
            return None
        card = scheduler.rebuild(question_id, [(r[2], _parse(r[3])) for r in rows])
        lesson, correct = rows[-1][0], bool(rows[-1][1])
        conn.execute(
            "INSERT OR REPLACE INTO cards (question_id, lesson, card, due, last_correct, reviews)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            (question_id, lesson, scheduler.card_to_json(card), _iso(card.due), correct, len(rows)),
        )
        return CardInfo(question_id, lesson, card, card.due, correct, len(rows))

    def card(self, question_id: str) -> CardInfo | None:
        rows = self._read(
            "SELECT lesson, card, due, last_correct, reviews FROM cards WHERE question_id = ?",
            (question_id,),
        )
        if not rows:
            return None
        lesson, card, due, last, n = rows[0]
        return CardInfo(
            question_id, lesson, scheduler.card_from_json(card), _parse(due), bool(last), n
        )

    def cards(self, lesson: str | None = None) -> dict[str, CardInfo]:
        sql = "SELECT question_id, lesson, card, due, last_correct, reviews FROM cards"
        rows = self._read(sql + " WHERE lesson = ?", (lesson,)) if lesson else self._read(sql)
        return {
            q: CardInfo(q, les, scheduler.card_from_json(c), _parse(d), bool(last), n)
            for q, les, c, d, last, n in rows
        }

    def due(
        self, now: datetime | None = None, lesson: str | None = None, *, terms: bool = False
    ) -> list[str]:
        """Ids of cards due at `now`, most overdue first: questions, or with terms=True the
        glossary flashcards (`term:<term>`)."""
        sql = "SELECT question_id FROM cards WHERE due <= ? AND question_id "
        sql += "LIKE 'term:%'" if terms else "NOT LIKE 'term:%'"
        args: tuple = (_iso(now or _now()),)
        if lesson:
            sql += " AND lesson = ?"
            args += (lesson,)
        return [r[0] for r in self._read(sql + " ORDER BY due, question_id", args)]

    def reviews(self, question_id: str | None = None) -> list[dict]:
        """The review log, oldest first."""
        sql = "SELECT uuid, question_id, lesson, correct, answer, rating, reviewed_at FROM reviews"
        if question_id:
            rows = self._read(
                sql + " WHERE question_id = ? ORDER BY reviewed_at, id", (question_id,)
            )
        else:
            rows = self._read(sql + " ORDER BY reviewed_at, id")
        keys = ("uuid", "question_id", "lesson", "correct", "answer", "rating", "reviewed_at")
        out = [dict(zip(keys, r, strict=True)) for r in rows]
        for r in out:
            r["correct"] = bool(r["correct"])
        return out

    def review_count(self) -> int:
        return self._read("SELECT count(*) FROM reviews")[0][0]

    def mark_read(self, lesson: str, when: datetime | None = None) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR IGNORE INTO lessons_read (lesson, read_at) VALUES (?, ?)",
                (lesson, _iso(when or _now())),
            )

    def lessons_read(self) -> dict[str, datetime]:
        return {r[0]: _parse(r[1]) for r in self._read("SELECT lesson, read_at FROM lessons_read")}

    def record_exercise(
        self, exercise: str, lesson: str, passed: bool, when: datetime | None = None
    ) -> None:
        """The verdict of an exercise's latest check: `done` or `failing`."""
        at = _iso(when or _now())
        with self._write() as conn:
            conn.execute(
                "INSERT INTO exercises (exercise, lesson, status, checked_at, first_done_at)"
                " VALUES (?, ?, ?, ?, ?) ON CONFLICT (exercise) DO UPDATE SET"
                " lesson = excluded.lesson, status = excluded.status,"
                " checked_at = excluded.checked_at,"
                " first_done_at = coalesce(first_done_at, excluded.first_done_at)",
                (exercise, lesson, "done" if passed else "failing", at, at if passed else None),
            )

    def exercise_states(self) -> dict[str, str]:
        """Exercise id -> `done` or `failing` (never checked: absent)."""
        return dict(self._read("SELECT exercise, status FROM exercises"))

    def progress(self, catalog, now: datetime | None = None) -> dict:
        """`{reviews, due, lessons: [{id, reviews, due, mastery}]}` for `lab progress --json`.

        `reviews` counts every answer ever recorded (flashcards too); `due` counts the catalog's
        questions due now; a lesson's `mastery` is the share of its questions whose last answer
        was right and that are not due yet (0 for a lesson without questions).
        """
        now = now or _now()
        cards = self.cards()
        per_lesson = dict(self._read("SELECT lesson, count(*) FROM reviews GROUP BY lesson"))
        lessons, total_due = [], 0
        for lesson in catalog.lessons:
            ids = [q.id for q in lesson.quiz]
            due = sum(1 for q in ids if q in cards and cards[q].due <= now)
            known = sum(
                1 for q in ids if q in cards and cards[q].last_correct and cards[q].due > now
            )
            total_due += due
            lessons.append(
                {
                    "id": lesson.id,
                    "reviews": per_lesson.get(lesson.id, 0),
                    "due": due,
                    "mastery": round(known / len(ids), 4) if ids else 0.0,
                }
            )
        return {"reviews": self.review_count(), "due": total_due, "lessons": lessons}

    # --- runs -----------------------------------------------------------------------------

    def start_run(
        self,
        experiment: str,
        lesson: str,
        spec: dict,
        tweaks: dict,
        seed: int | None,
        device: str,
        torch_version: str,
    ) -> int:
        pid = os.getpid()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (uuid, experiment, lesson, spec, tweaks, seed, device,"
                " torch_version, status, started_at, host, pid, pid_start)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    str(uuidlib.uuid4()),
                    experiment,
                    lesson,
                    _json(spec),
                    _json(tweaks),
                    seed,
                    device,
                    torch_version,
                    _iso(_now()),
                    socket.gethostname(),
                    pid,
                    _process_start(pid),
                ),
            )
            return cur.lastrowid

    def add_epoch(self, run_id: int, epoch: int, metrics: dict) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_epochs (run_id, epoch, metrics) VALUES (?, ?, ?)",
                (run_id, int(epoch), _json(metrics)),
            )

    def add_points(self, run_id: int, points: list[tuple[int, str, float]]) -> None:
        """Add step losses; each series keeps at most MAX_POINTS_PER_SERIES, evenly thinned.

        Points are numbered per series; while a series holds too many, every other kept one is
        dropped and from then on only every `stride`-th new point is kept.
        """
        if not points:
            return
        with self._write() as conn:
            state: dict[str, list[int]] = {}  # series -> [seen, stride, kept]
            for step, series, value in points:
                if series not in state:
                    row = conn.execute(
                        "SELECT seen, stride, kept FROM run_series WHERE run_id = ? AND series = ?",
                        (run_id, series),
                    ).fetchone()
                    state[series] = list(row) if row else [0, 1, 0]
                seen, stride, kept = state[series]
                if seen % stride == 0:
                    value = float(value)
                    conn.execute(
                        "INSERT INTO run_points (run_id, series, seq, step, value)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (run_id, series, seen, int(step), None if math.isnan(value) else value),
                    )
                    kept += 1
                    if kept > MAX_POINTS_PER_SERIES:
                        stride *= 2
                        conn.execute(
                            "DELETE FROM run_points WHERE run_id = ? AND series = ?"
                            " AND seq % ? != 0",
                            (run_id, series, stride),
                        )
                        kept = conn.execute(
                            "SELECT count(*) FROM run_points WHERE run_id = ? AND series = ?",
                            (run_id, series),
                        ).fetchone()[0]
                state[series] = [seen + 1, stride, kept]
            for series, (seen, stride, kept) in state.items():
                conn.execute(
                    "INSERT OR REPLACE INTO run_series (run_id, series, seen, stride, kept)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (run_id, series, seen, stride, kept),
                )

    def finish_run(
        self, run_id: int, status: str, reason: str, metrics: dict, duration_s: float
    ) -> None:
        if status not in RUN_STATUSES - {"running"}:
            raise ValueError(f"unknown run status {status!r}")
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, reason = ?, metrics = ?, duration_s = ?,"
                " finished_at = ? WHERE id = ?",
                (status, reason or "", _json(metrics or {}), duration_s, _iso(_now()), run_id),
            )

    _RUN_COLUMNS = (
        "id, uuid, experiment, lesson, spec, tweaks, seed, device, torch_version, status,"
        " reason, metrics, started_at, finished_at, duration_s"
    )

    @staticmethod
    def _run(row: tuple) -> Run:
        return Run(
            id=row[0],
            uuid=row[1],
            experiment=row[2],
            lesson=row[3],
            spec=json.loads(row[4]),
            tweaks=json.loads(row[5]),
            seed=row[6],
            device=row[7],
            torch_version=row[8],
            status=row[9],
            reason=row[10],
            metrics=json.loads(row[11]),
            started_at=_parse(row[12]),
            finished_at=_parse(row[13]),
            duration_s=row[14],
        )

    def runs(self, experiment: str | None = None) -> list[Run]:
        """Runs, newest first, without their epochs and points."""
        sql = f"SELECT {self._RUN_COLUMNS} FROM runs"
        if experiment:
            rows = self._read(sql + " WHERE experiment = ? ORDER BY id DESC", (experiment,))
        else:
            rows = self._read(sql + " ORDER BY id DESC")
        return [self._run(r) for r in rows]

    def run(self, run_id: int) -> Run | None:
        rows = self._read(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            return None
        run = self._run(rows[0])
        run.epochs = [
            (e, json.loads(m))
            for e, m in self._read(
                "SELECT epoch, metrics FROM run_epochs WHERE run_id = ? ORDER BY epoch", (run_id,)
            )
        ]
        run.points = [
            (s, series, float("nan") if v is None else v)
            for s, series, v in self._read(
                "SELECT step, series, value FROM run_points WHERE run_id = ? ORDER BY series, seq",
                (run_id,),
            )
        ]
        return run

    def _stop_orphaned_runs(self) -> None:
        rows = self._read("SELECT id, host, pid, pid_start FROM runs WHERE status = 'running'")
        host = socket.gethostname()
        dead = [r[0] for r in rows if r[1] == host and not _alive(r[2], r[3])]
        if not dead:
            return
        try:
            with self._write() as conn:
                for run_id in dead:
                    conn.execute(
                        "UPDATE runs SET status = 'stopped', reason = ?, finished_at = ?"
                        " WHERE id = ? AND status = 'running'",
                        (STOPPED_REASON, _iso(_now()), run_id),
                    )
        except StoreError:
            pass  # busy or full: the next open tries again

    # --- export and import ----------------------------------------------------------------

    def export_json(self) -> dict:
        """Everything the learner made, as plain JSON: reviews, lessons read, runs."""
        runs = []
        for summary in reversed(self.runs()):
            run = self.run(summary.id)
            runs.append(
                {
                    "uuid": run.uuid,
                    "experiment": run.experiment,
                    "lesson": run.lesson,
                    "spec": run.spec,
                    "tweaks": run.tweaks,
                    "seed": run.seed,
                    "device": run.device,
                    "torch_version": run.torch_version,
                    "status": run.status,
                    "reason": run.reason,
                    "metrics": run.metrics,
                    "started_at": _iso(run.started_at),
                    "finished_at": _iso(run.finished_at) if run.finished_at else None,
                    "duration_s": run.duration_s,
                    "epochs": [[e, m] for e, m in run.epochs],
                    "points": [
                        [step, series, v if math.isfinite(v) else str(v)]
                        for step, series, v in run.points
                    ],
                }
            )
        return {
            "format": "lab-progress",
            "version": 1,
            "exported_at": _iso(_now()),
            "reviews": self.reviews(),
            "lessons_read": {k: _iso(v) for k, v in self.lessons_read().items()},
            "runs": runs,
        }

    def import_json(self, data: dict) -> dict[str, int]:
        """Merge an export: rows already here (same uuid) are skipped. Returns counts added."""
        if not isinstance(data, dict) or data.get("format") != "lab-progress":
            raise StoreError('not a lab progress export (no "format": "lab-progress")')
        if int(data.get("version", 0)) > 1:
            raise StoreError("this export was made by a newer lab; upgrade lab to import it")
        counts = {"reviews": 0, "lessons_read": 0, "runs": 0}
        try:
            reviews = list(data.get("reviews", []))
            runs = list(data.get("runs", []))
            read = dict(data.get("lessons_read", {}))
        except (TypeError, ValueError):
            raise StoreError("the export is malformed") from None
        with self._write() as conn:
            touched = set()
            for r in reviews:
                try:
                    when = datetime.fromisoformat(r["reviewed_at"])
                    row = (
                        str(r["uuid"]),
                        str(r["question_id"]),
                        str(r["lesson"]),
                        int(bool(r["correct"])),
                        str(r.get("answer", "")),
                        int(r["rating"]),
                        _iso(when),
                    )
                except (KeyError, TypeError, ValueError) as exc:
                    raise StoreError(f"a review in the export is malformed: {exc}") from None
                cur = conn.execute(
                    "INSERT OR IGNORE INTO reviews (uuid, question_id, lesson, correct, answer,"
                    " rating, reviewed_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                if cur.rowcount:
                    counts["reviews"] += 1
                    touched.add(row[1])
            for question_id in sorted(touched):
                self._rebuild(conn, question_id)
            for lesson, when in read.items():
                cur = conn.execute(
                    "INSERT OR IGNORE INTO lessons_read (lesson, read_at) VALUES (?, ?)",
                    (str(lesson), _iso(datetime.fromisoformat(when))),
                )
                counts["lessons_read"] += cur.rowcount
            for r in runs:
                try:
                    if conn.execute("SELECT 1 FROM runs WHERE uuid = ?", (r["uuid"],)).fetchone():
                        continue
                    cur = conn.execute(
                        "INSERT INTO runs (uuid, experiment, lesson, spec, tweaks, seed, device,"
                        " torch_version, status, reason, metrics, started_at, finished_at,"
                        " duration_s, host, pid) VALUES"
                        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0)",
                        (
                            str(r["uuid"]),
                            r["experiment"],
                            r.get("lesson", ""),
                            _json(r.get("spec", {})),
                            _json(r.get("tweaks", {})),
                            r.get("seed"),
                            r.get("device", ""),
                            r.get("torch_version", ""),
                            "stopped" if r["status"] == "running" else r["status"],
                            r.get("reason", "") or "",
                            _json(r.get("metrics", {})),
                            r["started_at"],
                            r.get("finished_at"),
                            r.get("duration_s"),
                        ),
                    )
                    run_id = cur.lastrowid
                    for epoch, metrics in r.get("epochs", []):
                        conn.execute(
                            "INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (?, ?, ?)",
                            (run_id, int(epoch), _json(metrics)),
                        )
                    seqs: dict[str, int] = {}
                    for step, series, value in r.get("points", []):
                        seq = seqs.get(series, 0)
                        seqs[series] = seq + 1
                        conn.execute(
                            "INSERT INTO run_points (run_id, series, seq, step, value)"
                            " VALUES (?, ?, ?, ?, ?)",
                            (run_id, series, seq, int(step), _real(value)),
                        )
                    for series, seen in seqs.items():
                        conn.execute(
                            "INSERT INTO run_series (run_id, series, seen, stride, kept)"
                            " VALUES (?, ?, ?, 1, ?)",
                            (run_id, series, seen, seen),
                        )
                except (KeyError, TypeError, ValueError) as exc:
                    raise StoreError(f"a run in the export is malformed: {exc}") from None
                counts["runs"] += 1
        return counts


class _Corrupt(Exception):
    """The database file is not a readable SQLite database."""
