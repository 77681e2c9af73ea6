"""Provides what the store knows of its file: the filesystem under it, its health, and what a
failed SQLite call means for the learner."""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

FULL_CHECK_BYTES = 8_000_000
"""Up to this size the whole database is checked on open (about 0.1 s); above, the tables
holding answers and runs (not the step losses)."""
CHECKED_TABLES = ("reviews", "cards", "lessons_read", "runs", "run_epochs", "exercises")
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


class StoreError(Exception):
    """The progress database cannot be used; the message is one line for the learner."""


class Corrupt(Exception):
    """The database file is not a readable SQLite database."""


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


def writable(folder: Path) -> bool:
    return os.access(folder, os.W_OK)


def usable_file(path: Path) -> bool:
    return path.is_file() and os.access(path, os.R_OK | os.W_OK)


def health(conn: sqlite3.Connection, path: Path) -> str | None:
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


def is_corruption(exc: sqlite3.Error) -> bool:
    """Whether SQLite says the file itself is damaged (not busy, full or unreachable: those
    pass, and a learner's database must never be set aside for them)."""
    low = str(exc).lower()
    return any(w in low for w in ("not a database", "malformed", "corrupt", "encrypted"))


def message(exc: sqlite3.Error, path: Path) -> str:
    text = str(exc)
    low = text.lower()
    if "full" in low:
        return f"cannot save progress: the disk holding {path.parent} is full"
    if "readonly" in low or "read-only" in low or "unable to open" in low:
        return f"cannot save progress: {path.parent} is not writable"
    if "locked" in low or "busy" in low:
        return "the progress database is busy (another lab session is writing); try again"
    return f"progress database error ({path}): {text}"
