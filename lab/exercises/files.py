"""Provides the learner's exercise files under LAB_HOME/exercises/: made once, never overwritten."""

from __future__ import annotations

import os
from datetime import datetime
from pathlib import Path

from lab import paths


def exercises_dir() -> Path:
    return paths.lab_home() / "exercises"


def exercise_path(entry) -> Path:
    """`LAB_HOME/exercises/<lesson>/<exercise id>.py`."""
    return exercises_dir() / entry.lesson / f"{entry.exercise.id}.py"


def ensure_file(entry) -> bool:
    """Create the learner's file from the starter code unless it exists; True when created."""
    path = exercise_path(entry)
    paths.ensure_home()
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        with path.open("x", encoding="utf-8") as f:  # "x": never replaces a file, even in a race
            f.write(entry.exercise.starter)
    except FileExistsError:
        return False
    return True


def reset_file(entry) -> Path | None:
    """Put the starter back; the learner's file is kept beside it. Returns the backup's path."""
    backup = keep_aside(exercise_path(entry))
    ensure_file(entry)
    return backup


def keep_aside(path: Path) -> Path | None:
    """Move the learner's file (if there is one) to `NAME.bak-STAMP.py` beside it, so that
    what replaces it loses nothing. Returns the backup's path."""
    if not path.exists():
        return None
    stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
    backup = path.with_name(f"{path.stem}.bak-{stamp}.py")
    n = 1
    while backup.exists():
        n += 1
        backup = path.with_name(f"{path.stem}.bak-{stamp}-{n}.py")
    os.replace(path, backup)
    return backup
