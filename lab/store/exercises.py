"""Provides ExerciseLog: the verdict of each code exercise's latest check (done or failing)."""

from __future__ import annotations

from datetime import datetime

from lab.store.base import StoreBase
from lab.store.values import iso, utc_now

_STATUS = "CASE WHEN first_done_at IS NULL THEN status ELSE 'done' END"


class ExerciseLog(StoreBase):
    def record_exercise(
        self, exercise: str, lesson: str, passed: bool, when: datetime | None = None
    ) -> None:
        """The verdict of an exercise's latest check; `first_done_at` keeps the first pass."""
        at = iso(when or utc_now())
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
        """Exercise id -> `done` (passed once: a later failing check keeps it done) or
        `failing` (never passed); never checked: absent."""
        return dict(self._read(f"SELECT exercise, {_STATUS} FROM exercises"))

    def exercise_log(self) -> list[dict]:
        """Every checked exercise: id, lesson, status (as `exercise_states` says it), when last
        checked, when first done."""
        rows = self._read(
            f"SELECT exercise, lesson, {_STATUS}, checked_at, first_done_at FROM exercises"
            " ORDER BY exercise"
        )
        keys = ("id", "lesson", "status", "checked_at", "first_done_at")
        return [dict(zip(keys, row, strict=True)) for row in rows]
