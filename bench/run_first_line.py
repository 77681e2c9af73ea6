"""Provides a benchmark: seconds from starting `lab run` to its first line (the run's Start).

    .venv/bin/python bench/run_first_line.py [--repeats 3]

Runs one epoch of three experiments whose data come from different places (a built-in set that
needs no scikit-learn, scikit-learn's moons, the digits) and prints the best and the worst time
to the first line of each, and the CPU time the whole command took (steadier than the wall
time on a busy machine). A fresh `lab run` pays for every import its run needs, and only those.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from _long_lesson import write_lesson  # noqa: E402

CASES = [
    ("gd-example-fit (linear-tiny)", ROOT / "tests" / "fixtures" / "good", "gd-example-fit"),
    ("bench-moons (scikit-learn)", None, "bench-moons"),
]


def first_line(lessons: Path, experiment: str, env: dict[str, str]) -> tuple[float, float]:
    """(seconds to the first line, CPU seconds of the whole `lab run` with its worker)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    cmd = [sys.executable, "-m", "lab", "--lessons", str(lessons), "run", experiment]
    started = time.perf_counter()
    process = subprocess.Popen(
        [*cmd, "--epochs", "1"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, env=env
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    elapsed = time.perf_counter() - started
    process.stdout.read()
    process.wait()
    if not line:
        raise RuntimeError(f"`lab run {experiment}` printed nothing")
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
    return elapsed, cpu


def main(repeats: int) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="lab-first-line-"))
    bench = write_lesson(tmp / "lessons")
    env = {**os.environ, "LAB_HOME": str(tmp / "home")}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH")) if p)
    print(f"cpus {os.cpu_count()}   load {os.getloadavg()[0]:.1f}   best and worst of {repeats}")
    for title, lessons, experiment in CASES:
        runs = [first_line(lessons or bench, experiment, env) for _ in range(repeats)]
        times, cpu = [t for t, _ in runs], min(c for _, c in runs)
        print(
            f"{title:30s} first line after {min(times):5.2f} s (worst {max(times):5.2f} s); "
            f"{cpu:4.1f} CPU-s in all"
        )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    main(parser.parse_args().repeats)
