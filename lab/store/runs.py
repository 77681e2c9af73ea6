"""Provides the run history: each run of an experiment, its epochs and its step losses."""

from __future__ import annotations

import json
import math
import os
import socket
import uuid as uuidlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from lab.store.base import StoreBase
from lab.store.files import StoreError
from lab.store.values import iso, parse_time, to_json, utc_now

MAX_POINTS_PER_SERIES = 2000
"""Step losses kept per series of a run; beyond it every other point is dropped."""
STOPPED_REASON = "the lab was closed or killed during the run"
RUN_STATUSES = {"running", "completed", "stopped", "diverged", "failed"}


@dataclass
class Run:
    """One run of an experiment, with its epochs and step losses when read by `Store.run`."""

    id: int
    uuid: str
    experiment: str
    lesson: str
    spec: dict
    tweaks: dict
    seed: int | None
    device: str
    torch_version: str
    status: str
    reason: str
    metrics: dict
    started_at: datetime
    finished_at: datetime | None
    duration_s: float | None
    epochs: list[tuple[int, dict]] = field(default_factory=list)
    points: list[tuple[int, str, float]] = field(default_factory=list)


def process_start(pid: int) -> str | None:
    """When process `pid` started (clock ticks since boot, Linux), to tell a reused pid apart."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    return stat.rsplit(")", 1)[-1].split()[19]


def alive(pid: int, started: str | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return False  # someone else's process: not this learner's lab
    except OSError:
        return False
    if started is not None:
        now = process_start(pid)
        if now is not None and now != started:
            return False  # the pid was reused
    return True


class RunHistory(StoreBase):
    """Runs: started, given epochs and points as they come, finished; read back newest first."""

    def start_run(
        self,
        experiment: str,
        lesson: str,
        spec: dict,
        tweaks: dict,
        seed: int | None,
        device: str,
        torch_version: str,
    ) -> int:
        pid = os.getpid()
        with self._write() as conn:
            cur = conn.execute(
                "INSERT INTO runs (uuid, experiment, lesson, spec, tweaks, seed, device,"
                " torch_version, status, started_at, host, pid, pid_start)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'running', ?, ?, ?, ?)",
                (
                    str(uuidlib.uuid4()),
                    experiment,
                    lesson,
                    to_json(spec),
                    to_json(tweaks),
                    seed,
                    device,
                    torch_version,
                    iso(utc_now()),
                    socket.gethostname(),
                    pid,
                    process_start(pid),
                ),
            )
            assert cur.lastrowid is not None  # an INSERT's row
            return cur.lastrowid

    def add_epoch(self, run_id: int, epoch: int, metrics: dict) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT OR REPLACE INTO run_epochs (run_id, epoch, metrics) VALUES (?, ?, ?)",
                (run_id, int(epoch), to_json(metrics)),
            )

    def add_points(self, run_id: int, points: list[tuple[int, str, float]]) -> None:
        """Add step losses; each series keeps at most MAX_POINTS_PER_SERIES, evenly thinned.

        Points are numbered per series; while a series holds too many, every other kept one is
        dropped and from then on only every `stride`-th new point is kept.
        """
        if not points:
            return
        with self._write() as conn:
            state: dict[str, list[int]] = {}  # series -> [seen, stride, kept]
            for step, series, value in points:
                if series not in state:
                    row = conn.execute(
                        "SELECT seen, stride, kept FROM run_series WHERE run_id = ? AND series = ?",
                        (run_id, series),
                    ).fetchone()
                    state[series] = list(row) if row else [0, 1, 0]
                seen, stride, kept = state[series]
                if seen % stride == 0:
                    value = float(value)
                    conn.execute(
                        "INSERT INTO run_points (run_id, series, seq, step, value)"
                        " VALUES (?, ?, ?, ?, ?)",
                        (run_id, series, seen, int(step), None if math.isnan(value) else value),
                    )
                    kept += 1
                    if kept > MAX_POINTS_PER_SERIES:
                        stride *= 2
                        conn.execute(
                            "DELETE FROM run_points WHERE run_id = ? AND series = ?"
                            " AND seq % ? != 0",
                            (run_id, series, stride),
                        )
                        kept = conn.execute(
                            "SELECT count(*) FROM run_points WHERE run_id = ? AND series = ?",
                            (run_id, series),
                        ).fetchone()[0]
                state[series] = [seen + 1, stride, kept]
            for series, (seen, stride, kept) in state.items():
                conn.execute(
                    "INSERT OR REPLACE INTO run_series (run_id, series, seen, stride, kept)"
                    " VALUES (?, ?, ?, ?, ?)",
                    (run_id, series, seen, stride, kept),
                )

    def finish_run(
        self, run_id: int, status: str, reason: str, metrics: dict, duration_s: float
    ) -> None:
        if status not in RUN_STATUSES - {"running"}:
            raise ValueError(f"unknown run status {status!r}")
        with self._write() as conn:
            conn.execute(
                "UPDATE runs SET status = ?, reason = ?, metrics = ?, duration_s = ?,"
                " finished_at = ? WHERE id = ?",
                (status, reason or "", to_json(metrics or {}), duration_s, iso(utc_now()), run_id),
            )

    _RUN_COLUMNS = (
        "id, uuid, experiment, lesson, spec, tweaks, seed, device, torch_version, status,"
        " reason, metrics, started_at, finished_at, duration_s"
    )

    @staticmethod
    def _run(row: tuple) -> Run:
        return Run(
            id=row[0],
            uuid=row[1],
            experiment=row[2],
            lesson=row[3],
            spec=json.loads(row[4]),
            tweaks=json.loads(row[5]),
            seed=row[6],
            device=row[7],
            torch_version=row[8],
            status=row[9],
            reason=row[10],
            metrics=json.loads(row[11]),
            started_at=parse_time(row[12]),
            finished_at=parse_time(row[13]) if row[13] else None,
            duration_s=row[14],
        )

    def runs(self, experiment: str | None = None) -> list[Run]:
        """Runs, newest first, without their epochs and points."""
        sql = f"SELECT {self._RUN_COLUMNS} FROM runs"
        if experiment:
            rows = self._read(sql + " WHERE experiment = ? ORDER BY id DESC", (experiment,))
        else:
            rows = self._read(sql + " ORDER BY id DESC")
        return [self._run(r) for r in rows]

    def run(self, run_id: int) -> Run | None:
        rows = self._read(f"SELECT {self._RUN_COLUMNS} FROM runs WHERE id = ?", (run_id,))
        if not rows:
            return None
        run = self._run(rows[0])
        run.epochs = [
            (e, json.loads(m))
            for e, m in self._read(
                "SELECT epoch, metrics FROM run_epochs WHERE run_id = ? ORDER BY epoch", (run_id,)
            )
        ]
        run.points = [
            (s, series, float("nan") if v is None else v)
            for s, series, v in self._read(
                "SELECT step, series, value FROM run_points WHERE run_id = ? ORDER BY series, seq",
                (run_id,),
            )
        ]
        return run

    def _stop_orphaned_runs(self) -> None:
        rows = self._read("SELECT id, host, pid, pid_start FROM runs WHERE status = 'running'")
        host = socket.gethostname()
        dead = [r[0] for r in rows if r[1] == host and not alive(r[2], r[3])]
        if not dead:
            return
        try:
            with self._write() as conn:
                for run_id in dead:
                    conn.execute(
                        "UPDATE runs SET status = 'stopped', reason = ?, finished_at = ?"
                        " WHERE id = ? AND status = 'running'",
                        (STOPPED_REASON, iso(utc_now()), run_id),
                    )
        except StoreError:
            pass  # busy or full: the next open tries again
