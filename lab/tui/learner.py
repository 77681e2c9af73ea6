"""Provides what the screens ask of the learner's store, and sensible answers when there is none."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class LessonProgress:
    """What the home screen shows for one lesson."""

    read: bool = False
    mastery: float | None = None  # 0..1 over the lesson's questions; None before any answer
    runs: int = 0


def all_progress(store: Any, catalog: Any) -> dict[str, LessonProgress]:
    """Each lesson's progress; empty when there is no store or it fails."""
    if store is None:
        return {}
    try:
        summary = store.progress(catalog)
        read = store.lessons_read()
        runs = Counter(run.lesson for run in store.runs())
    except Exception:  # noqa: BLE001 - a progress glitch must not break reading
        return {}
    out = {}
    for row in summary["lessons"]:
        lesson = row["id"]
        out[lesson] = LessonProgress(
            read=lesson in read,
            mastery=row["mastery"] if row["reviews"] else None,
            runs=runs.get(lesson, 0),
        )
    return out


def mark_read(store: Any, lesson_id: str) -> bool:
    """Record that the lesson was read; False when it could not be stored."""
    if store is None:
        return False
    try:
        store.mark_read(lesson_id)
    except Exception:  # noqa: BLE001
        return False
    return True
