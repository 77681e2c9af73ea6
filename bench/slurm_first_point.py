"""Provides the first point through Slurm: seconds from a run's start to its first point when
its worker is a job step (`[runner] kind = "slurm"`), on the tests' single-node cluster.

    .venv/bin/python bench/slurm_first_point.py [--runs 5] [--read 8]

Starts the cluster (root, `slurm-wlm` and `munge` installed), then sends bench-sized runs one
after the other and times each from `send` to its first Progress:
- slurm, cold: `SlurmRunner` as configured by default, the job's start, the worker's start and
  its `import torch` all in the time;
- slurm, warm: with `keep_warm`, as the experiment screen uses it: the held job step is asked
  for (`warm_up(run_soon=True)`), the learner reads for `--read` seconds, then presses r;
- local spawn: a worker spawned on this machine, for comparison.
Prints p50 and max of each.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def first_point(worker, spec: dict) -> float:
    from lab.engine.events import Done, Progress

    began = time.perf_counter()
    worker.send(spec)
    for event in worker.events():
        if isinstance(event, Progress):
            took = time.perf_counter() - began
            worker.stop()
            for _ in worker.events():
                pass
            return took
        if isinstance(event, Done):
            raise RuntimeError(f"the run ended before its first point: {event}")
    raise RuntimeError("no events")


def main(runs: int, read_s: float) -> None:
    from lab.config import SlurmConfig
    from lab.engine.client import RunProcess
    from lab.runs.runners import SlurmRunner
    from tests.engine.conftest import digits_mlp, train_run
    from tests.slurm import cluster

    why = cluster.missing()
    if why:
        print(f"skipped: {why}")
        return
    started = cluster.start(Path(tempfile.mkdtemp(prefix="lab-bench-slurm-")))
    os.environ["SLURM_CONF"] = str(started.conf)
    spec = train_run(digits_mlp(epochs=50, batch_size=64))
    try:
        held = SlurmRunner(SlurmConfig(keep_warm="10m"))

        def warm() -> RunProcess:
            held.warm_up(run_soon=True)
            time.sleep(read_s)
            return held.take()

        figures = {}
        for name, take in (
            ("slurm, cold", lambda: SlurmRunner(SlurmConfig()).take()),
            ("slurm, warm", warm),
            ("local spawn", RunProcess.spawn),
        ):
            times = [first_point(take(), spec) for _ in range(runs)]
            figures[name] = times
            print(f"{name:12} " + " ".join(f"{t:.2f}" for t in times))
        held.shutdown()
        print(f"cpus {os.cpu_count()}   load {os.getloadavg()[0]:.1f}")
        for name, times in figures.items():
            print(
                f"first point, {name}: p50 {statistics.median(times):.2f} s, max {max(times):.2f} s"
            )
    finally:
        started.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--read", type=float, default=8.0, help="seconds between two runs")
    os.environ.setdefault("LAB_HOME", tempfile.mkdtemp(prefix="lab-bench-"))
    args = parser.parse_args()
    main(args.runs, args.read)
