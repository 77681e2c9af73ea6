"""Provides the database schema as forward migrations, and the step that applies them."""

from __future__ import annotations

import sqlite3

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
    # 3: answers the learner overruled ("I was right" after a text answer graded wrong)
    """
    ALTER TABLE reviews ADD COLUMN overruled INTEGER NOT NULL DEFAULT 0;
    """,
    # 4: code exercises, the verdict of each one's last check
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


def migrate(conn: sqlite3.Connection, version: int) -> None:
    """Apply every migration after `version`, inside the caller's transaction."""
    for step in range(version, VERSION):
        for statement in SCHEMA[step].split(";"):
            if statement.strip():
                conn.execute(statement)
        conn.execute(f"PRAGMA user_version = {step + 1}")
