"""Provides where the lab keeps things: LAB_HOME, the data cache, the database, the lessons."""

from __future__ import annotations

import os
from collections.abc import Iterable
from pathlib import Path


def lab_home() -> Path:
    """The learner's own folder: LAB_HOME, else the platform's user data directory."""
    env = os.environ.get("LAB_HOME")
    if env:
        return Path(env).expanduser()
    from platformdirs import user_data_dir

    return Path(user_data_dir("lab", appauthor=False))


def ensure_home() -> Path:
    """LAB_HOME, created private (0700, whatever the umask) if it is not there: on a shared
    server a learner's answers, code and runs are theirs alone."""
    home = lab_home()
    if not home.is_dir():
        home.mkdir(parents=True, exist_ok=True)
        os.chmod(home, 0o700)
    return home


def db_path() -> Path:
    return lab_home() / "lab.db"


def data_cache() -> Path:
    """Where downloaded data sets go, per user."""
    return lab_home() / "data"


def shared_data_dir() -> Path | None:
    """A read-only folder of data sets a teacher fetched once for everyone (LAB_DATA_DIR)."""
    env = os.environ.get("LAB_DATA_DIR")
    return Path(env).expanduser() if env else None


def builtin_lessons_dir() -> Path:
    """The shipped lessons: inside the package when installed, at the repo root when editable.

    LAB_SHIPPED_LESSONS replaces them with another folder (a teacher's own course, or tests).
    """
    env = os.environ.get("LAB_SHIPPED_LESSONS")
    if env:
        return Path(env).expanduser()
    here = Path(__file__).resolve().parent
    packaged = here / "lessons"
    if packaged.is_dir():
        return packaged
    return here.parent / "lessons"


def extra_lesson_dirs() -> list[Path]:
    """Lesson packs named by LAB_LESSONS, a path list like PATH."""
    env = os.environ.get("LAB_LESSONS", "")
    return [Path(p).expanduser() for p in env.split(os.pathsep) if p]


def default_lesson_dirs(extra: Iterable[Path] = ()) -> list[Path]:
    """The shipped lessons, then LAB_LESSONS, then `--lessons` folders."""
    return [builtin_lessons_dir(), *extra_lesson_dirs(), *extra]


def lesson_files(dirs: Iterable[Path]) -> list[Path]:
    """The `*.yaml` / `*.yml` files of each folder (or the files themselves), in name order."""
    files: list[Path] = []
    for d in dirs:
        if d.is_file():
            files.append(d)
        elif d.is_dir():
            files.extend(sorted([*d.glob("*.yaml"), *d.glob("*.yml")]))
    return files
