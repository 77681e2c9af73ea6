"""Provides `read_class`: one row per learner from a folder of snapshots, with who is stuck.

The learner's name is the file's owner (its uid), never what the file says: a learner can write
only their own file in a sticky folder, but could write any name inside it. A file whose contents
claim another name is reported under its owner, flagged. A damaged or half-written file is a row
of its own; the others still show.
"""

from __future__ import annotations

import json
import pwd
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

STUCK_DAYS = 2
"""An exercise failing this long, never passed, is a learner stuck on it."""
INACTIVE_DAYS = 7
LOW_RECALL = 0.5
"""Mastery (expected recall) under this, in a lesson with at least MIN_SEEN questions seen."""
MIN_SEEN = 3


@dataclass
class LearnerRow:
    learner: str
    file: str
    last_active: datetime | None = None
    lessons_read: int = 0
    mastery: float | None = None
    """Mean expected recall over the lessons with questions seen."""
    exercises_done: int = 0
    exercises_failing: int = 0
    predictions: str = ""
    """Right of answered, e.g. "5/7"."""
    runs: int = 0
    flags: list[str] = field(default_factory=list)

    @property
    def stuck(self) -> bool:
        return bool(self.flags)

    def to_json(self) -> dict[str, Any]:
        return {
            "learner": self.learner,
            "file": self.file,
            "last_active": self.last_active.isoformat() if self.last_active else None,
            "lessons_read": self.lessons_read,
            "mastery": self.mastery,
            "exercises_done": self.exercises_done,
            "exercises_failing": self.exercises_failing,
            "predictions": self.predictions,
            "runs": self.runs,
            "flags": self.flags,
        }


def owner(path: Path) -> str:
    uid = path.stat().st_uid
    try:
        return pwd.getpwuid(uid).pw_name
    except KeyError:
        return f"uid {uid}"


def read_class(
    folder: Path, lesson: str | None = None, now: datetime | None = None
) -> list[LearnerRow]:
    """A row per `*.json` file of `folder`, sorted by learner."""
    now = now or datetime.now(UTC)
    rows = []
    for path in sorted(folder.glob("*.json")):
        row = LearnerRow(learner=owner(path), file=path.name)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict):
                raise ValueError("not a snapshot")
            _fill(row, data, lesson, now)
        except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
            row.flags.append(f"damaged file: {_short(exc)}")
        rows.append(row)
    return sorted(rows, key=lambda r: r.learner)


def _fill(row: LearnerRow, data: dict[str, Any], lesson: str | None, now: datetime) -> None:
    claimed = data.get("learner")
    if claimed and claimed != row.learner:
        row.flags.append(f"file says it is {claimed!r}")
    if data.get("last_active"):
        row.last_active = _time(data["last_active"])
    read = data.get("lessons_read", {})
    lessons = [x for x in data.get("lessons", []) if lesson in (None, x["id"])]
    exercises = [x for x in data.get("exercises", []) if lesson in (None, x["lesson"])]
    predictions = [x for x in data.get("predictions", []) if lesson in (None, x["lesson"])]
    runs = data.get("runs", [])
    row.lessons_read = sum(1 for x in read if lesson in (None, x))
    seen = [x for x in lessons if x["seen"]]
    if seen:
        row.mastery = round(sum(x["mastery"] for x in seen) / len(seen), 3)
    row.exercises_done = sum(1 for x in exercises if x["status"] == "done")
    row.exercises_failing = sum(1 for x in exercises if x["status"] == "failing")
    if predictions:
        right = sum(1 for x in predictions if x["last_correct"])
        row.predictions = f"{right}/{len(predictions)}"
    row.runs = len(runs)
    for x in exercises:
        if x["status"] == "failing" and not x.get("first_done_at"):
            days = (now - _time(x["checked_at"])).days
            if days >= STUCK_DAYS:
                row.flags.append(f"{x['id']} failing for {days} days")
    for x in seen:
        if x["seen"] >= MIN_SEEN and x["mastery"] < LOW_RECALL:
            row.flags.append(f"low recall in {x['id']} ({round(100 * x['mastery'])}%)")
    if row.last_active is None or now - row.last_active >= timedelta(days=INACTIVE_DAYS):
        row.flags.append(
            "never active"
            if row.last_active is None
            else f"inactive {(now - row.last_active).days} days"
        )


def _time(text: str) -> datetime:
    when = datetime.fromisoformat(text)
    return when if when.tzinfo else when.replace(tzinfo=UTC)


def _short(exc: Exception) -> str:
    if isinstance(exc, json.JSONDecodeError):
        return f"not JSON (line {exc.lineno}: {exc.msg})"
    if isinstance(exc, KeyError):
        return f"no {exc.args[0]!r} field"
    return str(exc).splitlines()[0] if str(exc) else type(exc).__name__
