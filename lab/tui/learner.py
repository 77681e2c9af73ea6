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
    exercises_done: int = 0


def all_progress(store: Any, catalog: Any) -> dict[str, LessonProgress]:
    """Each lesson's progress; empty when there is no store or it fails."""
    if store is None:
        return {}
    try:
        summary = store.progress(catalog)
        read = store.lessons_read()
        runs = Counter(run.lesson for run in store.runs())
        done = exercises_done(store, catalog.exercises())
    except Exception:  # noqa: BLE001 - a progress glitch must not break reading
        return {}
    out = {}
    for row in summary["lessons"]:
        lesson = row["id"]
        out[lesson] = LessonProgress(
            read=lesson in read,
            mastery=row["mastery"] if row["reviews"] else None,
            runs=runs.get(lesson, 0),
            exercises_done=sum(1 for e in catalog.exercises(lesson) if e.exercise.id in done),
        )
    return out


def exercises_done(store: Any, entries: list[Any]) -> set[str]:
    """The ids among `entries` whose last check passed; empty without a store."""
    if store is None:
        return set()
    try:
        states = store.exercise_states()
    except Exception:  # noqa: BLE001 - a progress glitch must not break reading
        return set()
    return {e.exercise.id for e in entries if states.get(e.exercise.id) == "done"}


def mark_read(store: Any, lesson_id: str) -> bool:
    """Record that the lesson was read; False when it could not be stored."""
    if store is None:
        return False
    try:
        store.mark_read(lesson_id)
    except Exception:  # noqa: BLE001
        return False
    return True
