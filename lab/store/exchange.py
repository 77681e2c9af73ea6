"""Provides export and import: everything the learner made as plain JSON, merged by uuid."""

from __future__ import annotations

import math
from datetime import datetime

from lab.store.exercises import ExerciseLog
from lab.store.files import StoreError
from lab.store.reviews import ReviewLog
from lab.store.runs import RunHistory
from lab.store.values import iso, real_or_none, to_json, utc_now


class Exchange(ReviewLog, RunHistory, ExerciseLog):
    """`export_json` and `import_json`."""

    def export_json(self) -> dict:
        """Everything the learner made, as plain JSON: reviews, lessons read, runs."""
        runs = []
        for summary in reversed(self.runs()):
            run = self.run(summary.id)
            assert run is not None  # listed just above
            runs.append(
                {
                    "uuid": run.uuid,
                    "experiment": run.experiment,
                    "lesson": run.lesson,
                    "spec": run.spec,
                    "tweaks": run.tweaks,
                    "seed": run.seed,
                    "device": run.device,
                    "torch_version": run.torch_version,
                    "status": run.status,
                    "reason": run.reason,
                    "metrics": run.metrics,
                    "started_at": iso(run.started_at),
                    "finished_at": iso(run.finished_at) if run.finished_at else None,
                    "duration_s": run.duration_s,
                    "epochs": [[e, m] for e, m in run.epochs],
                    "points": [
                        [step, series, v if math.isfinite(v) else str(v)]
                        for step, series, v in run.points
                    ],
                }
            )
        return {
            "format": "lab-progress",
            "version": 1,
            "exported_at": iso(utc_now()),
            "reviews": self.reviews(),
            "lessons_read": {k: iso(v) for k, v in self.lessons_read().items()},
            "runs": runs,
        }

    def import_json(self, data: dict) -> dict[str, int]:
        """Merge an export: rows already here (same uuid) are skipped. Returns counts added."""
        if not isinstance(data, dict) or data.get("format") != "lab-progress":
            raise StoreError('not a lab progress export (no "format": "lab-progress")')
        if int(data.get("version", 0)) > 1:
            raise StoreError("this export was made by a newer lab; upgrade lab to import it")
        counts = {"reviews": 0, "lessons_read": 0, "runs": 0}
        try:
            reviews = list(data.get("reviews", []))
            runs = list(data.get("runs", []))
            read = dict(data.get("lessons_read", {}))
        except (TypeError, ValueError):
            raise StoreError("the export is malformed") from None
        with self._write() as conn:
            touched = set()
            for r in reviews:
                try:
                    when = datetime.fromisoformat(r["reviewed_at"])
                    row = (
                        str(r["uuid"]),
                        str(r["question_id"]),
                        str(r["lesson"]),
                        int(bool(r["correct"])),
                        str(r.get("answer", "")),
                        int(r["rating"]),
                        iso(when),
                        int(bool(r.get("overruled", False))),
                    )
                except (KeyError, TypeError, ValueError) as exc:
                    raise StoreError(f"a review in the export is malformed: {exc}") from None
                cur = conn.execute(
                    "INSERT OR IGNORE INTO reviews (uuid, question_id, lesson, correct, answer,"
                    " rating, reviewed_at, overruled) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    row,
                )
                if not cur.rowcount and row[-1]:
                    # here already, overruled since in the other copy: overrule it here too
                    cur = conn.execute(
                        "UPDATE reviews SET correct = 1, rating = ?, overruled = 1"
                        " WHERE uuid = ? AND overruled = 0",
                        (row[5], row[0]),
                    )
                    if cur.rowcount:
                        touched.add(row[1])
                elif cur.rowcount:
                    counts["reviews"] += 1
                    touched.add(row[1])
            for question_id in sorted(touched):
                self._rebuild(conn, question_id)
            for lesson, when in read.items():
                cur = conn.execute(
                    "INSERT OR IGNORE INTO lessons_read (lesson, read_at) VALUES (?, ?)",
                    (str(lesson), iso(datetime.fromisoformat(when))),
                )
                counts["lessons_read"] += cur.rowcount
            for r in runs:
                try:
                    if conn.execute("SELECT 1 FROM runs WHERE uuid = ?", (r["uuid"],)).fetchone():
                        continue
                    cur = conn.execute(
                        "INSERT INTO runs (uuid, experiment, lesson, spec, tweaks, seed, device,"
                        " torch_version, status, reason, metrics, started_at, finished_at,"
                        " duration_s, host, pid) VALUES"
                        " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '', 0)",
                        (
                            str(r["uuid"]),
                            r["experiment"],
                            r.get("lesson", ""),
                            to_json(r.get("spec", {})),
                            to_json(r.get("tweaks", {})),
                            r.get("seed"),
                            r.get("device", ""),
                            r.get("torch_version", ""),
                            "stopped" if r["status"] == "running" else r["status"],
                            r.get("reason", "") or "",
                            to_json(r.get("metrics", {})),
                            r["started_at"],
                            r.get("finished_at"),
                            r.get("duration_s"),
                        ),
                    )
                    run_id = cur.lastrowid
                    for epoch, metrics in r.get("epochs", []):
                        conn.execute(
                            "INSERT INTO run_epochs (run_id, epoch, metrics) VALUES (?, ?, ?)",
                            (run_id, int(epoch), to_json(metrics)),
                        )
                    seqs: dict[str, int] = {}
                    for step, series, value in r.get("points", []):
                        seq = seqs.get(series, 0)
                        seqs[series] = seq + 1
                        conn.execute(
                            "INSERT INTO run_points (run_id, series, seq, step, value)"
                            " VALUES (?, ?, ?, ?, ?)",
                            (run_id, series, seq, int(step), real_or_none(value)),
                        )
                    for series, seen in seqs.items():
                        conn.execute(
                            "INSERT INTO run_series (run_id, series, seen, stride, kept)"
                            " VALUES (?, ?, ?, 1, ?)",
                            (run_id, series, seen, seen),
                        )
                except (KeyError, TypeError, ValueError) as exc:
                    raise StoreError(f"a run in the export is malformed: {exc}") from None
                counts["runs"] += 1
        return counts
