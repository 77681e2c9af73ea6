"""Provides `snapshot`: what a teacher sees of one learner, as plain JSON, and `submit`, which
writes it into the class folder. Nothing else of the learner's leaves their LAB_HOME: no answers'
text, no code, no step losses."""

from __future__ import annotations

import getpass
import json
import os
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from lab import __version__
from lab.store.values import iso, utc_now

FORMAT = 1


def snapshot(catalog: Any, store: Any, now: datetime | None = None) -> dict[str, Any]:
    """The learner's progress: lessons read, recall per lesson, predictions, exercises, runs'
    final figures, and when they were last active."""
    from lab.quiz.predict import progress as prediction_progress
    from lab.quiz.progress import progress as quiz_progress

    figures = quiz_progress(catalog, store, now)
    read = {lesson: iso(when) for lesson, when in store.lessons_read().items()}
    exercises = store.exercise_log()
    runs = [
        {
            "experiment": run.experiment,
            "status": run.status,
            "reason": run.reason,
            "metrics": run.metrics,
            "finished_at": iso(run.finished_at) if run.finished_at else None,
        }
        for run in store.runs()
    ]
    reviews = store.reviews()
    stamps = [
        *read.values(),
        *(e["checked_at"] for e in exercises),
        *(r["finished_at"] for r in runs if r["finished_at"]),
        *(str(r["reviewed_at"]) for r in reviews),
    ]
    return {
        "format": FORMAT,
        "learner": getpass.getuser(),
        "written_at": iso(now or utc_now()),
        "lab_version": __version__,
        "last_active": max(stamps) if stamps else None,
        "lessons_read": read,
        "lessons": [
            {"id": x.id, "reviews": x.reviews, "seen": x.seen, "mastery": round(x.mastery, 3)}
            for x in figures.lessons
        ],
        "reviews": figures.reviews,
        "predictions": prediction_progress(catalog, store, now),
        "exercises": exercises,
        "runs": runs,
    }


def submit(data: dict[str, Any], folder: Path) -> Path:
    """Write `data` as `<folder>/<login>.json`, replacing the learner's earlier file at once (a
    reader never sees half a file). Readable by the folder's group: the teacher's."""
    target = folder / f"{getpass.getuser()}.json"
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", dir=folder)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(data, out, ensure_ascii=False, indent=1)
            out.write("\n")
        os.chmod(tmp, 0o640)
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return target
