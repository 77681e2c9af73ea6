"""Runs every shipped experiment at its default settings; prints its time, end and goal.

Aim: each completes in under 60 s on 2 CPU cores and reaches its goal. Experiments whose data
set must be downloaded are reported as skipped when it is not there. LAB_HOME is temporary.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time


def main() -> int:
    os.environ["LAB_HOME"] = tempfile.mkdtemp(prefix="lab-bench-")
    only = set(sys.argv[1:])
    from lab.catalog import load_catalog
    from lab.catalog.runspec import build_run_spec
    from lab.engine.events import Done
    from lab.engine.loop import run_events

    catalog = load_catalog()
    slow_or_missed = 0
    print(f"{'experiment':34} {'seconds':>8}  {'status':10} goal")
    for entry in catalog.experiments():
        exp = entry.experiment
        if only and exp.id not in only:
            continue
        start = time.perf_counter()
        done = [e for e in run_events(build_run_spec(entry), lambda: False) if isinstance(e, Done)][
            -1
        ]
        seconds = time.perf_counter() - start
        if done.status == "failed" and "lab data fetch" in done.reason:
            print(f"{exp.id:34} {'-':>8}  {'skipped':10} (data set not downloaded)")
            continue
        reached = exp.goal.reached(done.metrics) if exp.goal else None
        value = done.metrics.get(exp.goal.metric) if exp.goal else None
        goal = (
            f"{exp.goal.describe()}: {value:.4g} {'reached' if reached else 'MISSED'}"
            if exp.goal
            else "none"
        )
        if done.status != "completed" or not reached or seconds > 60:
            slow_or_missed += 1
            goal += f"  <- {done.reason}" if done.status != "completed" else ""
        print(f"{exp.id:34} {seconds:8.1f}  {done.status:10} {goal}", flush=True)
    print(f"{slow_or_missed} experiment(s) over 60 s, not completed, or missing their goal")
    return 1 if slow_or_missed else 0


if __name__ == "__main__":
    sys.exit(main())
