"""Provides where a learner stands in the course, as the screens ask it: each lesson's progress, the
next step ("Continue"), and the store's answers, with sensible ones when there is no store."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING

from lab.quiz.progress import progress

if TYPE_CHECKING:
    from lab.catalog import Catalog, ExerciseEntry
    from lab.store import Store


def lesson_name(catalog: Catalog, lesson_id: str) -> str:
    """`7. Linear regression with torch.nn`: how a screen names a lesson (its id if unknown)."""
    lesson = catalog.lesson(lesson_id)
    return f"{lesson.order}. {lesson.title}" if lesson else lesson_id


@dataclass(frozen=True)
class LessonProgress:
    """What the home screen shows for one lesson."""

    read: bool = False
    mastery: float | None = None  # expected recall 0..1 (lab.quiz.progress); None before any answer
    runs: int = 0
    exercises_done: int = 0
    due: int = 0
    """Quiz questions due now."""
    seen: int = 0
    """Quiz questions answered at least once."""


@dataclass(frozen=True)
class HomeFigures:
    """Everything the home screen shows from the store."""

    lessons: dict[str, LessonProgress] = field(default_factory=dict)
    due: int = 0
    next_due: datetime | None = None
    done: frozenset[str] = frozenset()
    """The ids of the exercises done."""


@dataclass(frozen=True)
class NextStep:
    """What "Continue" opens: `target` as `LabApp.open_target` takes it, and what it says."""

    target: str
    text: str


def next_step(catalog: Catalog, figures: HomeFigures) -> NextStep | None:
    """The first unfinished step in course order: a lesson unread, a quiz due or never taken,
    an exercise not done; reviews due in any lesson read come first. None when all is done."""
    lessons = catalog.lessons
    where = {x.id: f"lesson {i} of {len(lessons)}, {x.title}" for i, x in enumerate(lessons, 1)}
    for lesson in lessons:
        p = figures.lessons.get(lesson.id, LessonProgress())
        if p.read and p.due:
            return NextStep(f"quiz:{lesson.id}", f"review {where[lesson.id]} ({p.due} due)")
    for lesson in lessons:
        p = figures.lessons.get(lesson.id, LessonProgress())
        if not p.read:
            return NextStep(lesson.id, f"read {where[lesson.id]}")
        if lesson.quiz and p.seen < len(lesson.quiz):
            return NextStep(f"quiz:{lesson.id}", f"the quiz of {where[lesson.id]}")
        for entry in catalog.exercises(lesson.id):
            if entry.exercise.id not in figures.done:
                title = entry.exercise.title
                return NextStep(entry.exercise.id, f"exercise {title!r} of {where[lesson.id]}")
    return None


def home_figures(store: Store | None, catalog: Catalog) -> HomeFigures:
    """Each lesson's progress and the reviews due; empty when there is no store or it fails."""
    if store is None:
        return HomeFigures()
    try:
        figures = progress(catalog, store)
        read = store.lessons_read()
        runs = Counter(run.lesson for run in store.runs())
        done = exercises_done(store, catalog.exercises())
    except Exception:  # noqa: BLE001 - a progress glitch must not break reading
        return HomeFigures()
    lessons = {
        x.id: LessonProgress(
            read=x.id in read,
            mastery=x.mastery if x.seen else None,
            runs=runs.get(x.id, 0),
            exercises_done=sum(1 for e in catalog.exercises(x.id) if e.exercise.id in done),
            due=x.due,
            seen=x.seen,
        )
        for x in figures.lessons
    }
    return HomeFigures(lessons, figures.due, figures.next_due, frozenset(done))


def exercises_done(store: Store | None, entries: list[ExerciseEntry]) -> set[str]:
    """The ids among `entries` whose last check passed; empty without a store."""
    if store is None:
        return set()
    try:
        states = store.exercise_states()
    except Exception:  # noqa: BLE001 - a progress glitch must not break reading
        return set()
    return {e.exercise.id for e in entries if states.get(e.exercise.id) == "done"}


def mark_read(store: Store | None, lesson_id: str) -> bool:
    """Record that the lesson was read; False when it could not be stored."""
    if store is None:
        return False
    try:
        store.mark_read(lesson_id)
    except Exception:  # noqa: BLE001
        return False
    return True
