"""Real processes: two sessions at once lose nothing; SIGKILL mid-write loses nothing acknowledged.

After each kill the interrupted run is marked stopped and the database passes integrity_check.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from lab.store import STOPPED_REASON, Store

WRITER = Path(__file__).with_name("writer.py")
ROOT = Path(__file__).parents[2]


def _spawn(db, name, answers, runs, *extra):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, str(WRITER), str(db), name, str(answers), str(runs), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )


def test_two_sessions_at_once_record_every_answer_and_run_once(lab_home):
    db = lab_home / "lab.db"
    answers, runs = 150, 5
    procs = [_spawn(db, name, answers, runs) for name in ("a", "b")]
    outs = [p.communicate(timeout=60) for p in procs]
    for p, (_, err) in zip(procs, outs, strict=True):
        assert p.returncode == 0, err
    acked = [
        line.split()[1] for out, _ in outs for line in out.splitlines() if line.startswith("ack")
    ]
    run_ids = [
        int(line.split()[1])
        for out, _ in outs
        for line in out.splitlines()
        if line.startswith("run")
    ]
    assert len(acked) == 2 * answers and len(run_ids) == 2 * runs
    with Store.open(db) as store:
        log = store.reviews()
        assert sorted(r["uuid"] for r in log) == sorted(acked), "every answer once"
        cards = store.cards()
        assert sum(c.reviews for c in cards.values()) == 2 * answers
        recorded = store.runs()
        assert sorted(r.id for r in recorded) == sorted(run_ids)
        assert all(r.status == "completed" for r in recorded)
        for name in ("a", "b"):
            first = min(r.id for r in recorded if r.experiment == f"exp-{name}")
            run = store.run(first)
            assert len(run.points) == answers and len(run.epochs) == answers // 10
        assert store.integrity_check() == "ok"
    print(f"two sessions: {len(acked)} answers given, {len(log)} recorded; {len(run_ids)} runs")


def test_sigkill_mid_write_loses_nothing_acknowledged(lab_home):
    db = lab_home / "lab.db"
    acked: list[str] = []
    interrupted: list[int] = []
    kills = 5
    for k in range(kills):
        proc = _spawn(db, f"k{k}", 0, 1, "forever")
        started = proc.stdout.readline()
        assert started.startswith("started"), proc.stderr.read()
        interrupted.append(int(started.split()[1]))
        deadline = time.monotonic() + 0.3 + 0.1 * k
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            if line.startswith("ack"):
                acked.append(line.split()[1])
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        acked += [line.split()[1] for line in out.splitlines() if line.startswith("ack")]
        assert proc.returncode == -signal.SIGKILL
        with Store.open(db) as store:
            assert store.integrity_check() == "ok"
            uuids = {r["uuid"] for r in store.reviews()}
            missing = [a for a in acked if a not in uuids]
            assert not missing, f"{len(missing)} acknowledged answers lost after kill {k + 1}"
            run = store.run(interrupted[-1])
            assert (run.status, run.reason) == ("stopped", STOPPED_REASON)
            assert sum(c.reviews for c in store.cards().values()) == len(uuids)
    print(f"kills survived: {kills}; acknowledged answers kept: {len(acked)}/{len(acked)}")
    assert len(acked) > kills * 10
