"""Prints the time from saving an exercise file to its result printed by `lab watch`.

`lab watch linear-model` runs as a learner would start it; once its first result is out (the
checking server has imported torch), the learner's file is saved N times, alternating two wrong
versions, then once with the solution; each time the clock runs from the write to the end of
the printed result. Aim: under 1 s with the warm checker on a 2-core machine.

Then a cold `lab check ex-mse` (a new process, as a learner types it) against
`python -c "import torch"` on the same machine, the median of COLD_RUNS each: the checker
imports torch, so that is the floor; the aim is within 1.5 times it.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

N = 10
COLD_RUNS = 3
ROOT = Path(__file__).resolve().parents[1]


def read_result(out, marker: str) -> None:
    """Read up to the end of the result that shows `marker` (older results are skipped)."""
    seen = False
    for line in out:
        seen = seen or marker in line
        if seen and line.rstrip().endswith(" s)"):
            return
    raise SystemExit("lab watch ended early")


def main() -> None:
    sys.path.insert(0, str(ROOT))
    from lab.catalog import load_catalog

    solution = load_catalog([ROOT / "lessons"]).exercise("ex-mse").exercise.solution
    # two wrong versions, each known by what its first check prints, and the solution
    versions = [
        (solution.replace(".mean()", ".sum()"), "returned 4.0, expected 2.0"),
        (solution.replace(".mean()", ".mean().sqrt()"), "returned 1.41421, expected 2.0"),
    ]
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAB_HOME": home, "LAB_SHIPPED_LESSONS": str(ROOT / "lessons")}
        watch = subprocess.Popen(
            [sys.executable, "-m", "lab", "watch", "linear-model"],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=env,
        )
        assert watch.stdout is not None
        started = time.perf_counter()
        read_result(watch.stdout, "FAIL")
        print(
            f"first result (torch imported in the checker): {time.perf_counter() - started:.1f} s"
        )
        mine = Path(home) / "exercises" / "linear-model" / "ex-mse.py"
        times = []
        for i in range(N + 1):
            text, marker = (solution, "done: ") if i == N else versions[i % 2]
            time.sleep(0.5)  # a learner types between saves
            t0 = time.perf_counter()
            mine.write_text(text)
            read_result(watch.stdout, marker)
            times.append(time.perf_counter() - t0)
        watch.wait(10)
    ms = [t * 1000 for t in times]
    print(f"save to result: p50 {statistics.median(ms):.0f} ms, max {max(ms):.0f} ms (n={len(ms)})")
    cold(solution)


def cold(solution: str) -> None:
    """A cold `lab check` against a bare `import torch`, each in a new process."""
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAB_HOME": home, "LAB_SHIPPED_LESSONS": str(ROOT / "lessons")}
        mine = Path(home) / "mine.py"
        mine.write_text(solution)
        check = [sys.executable, "-m", "lab", "check", "ex-mse", "--file", str(mine)]
        torch_only = [sys.executable, "-c", "import torch"]
        checks, imports = [], []
        for _ in range(COLD_RUNS):  # interleaved: a load change hits both alike
            imports.append(_seconds(torch_only, env))
            checks.append(_seconds(check, env))
    c, t = statistics.median(checks), statistics.median(imports)
    print(f"cold lab check: {c:.2f} s; python -c 'import torch': {t:.2f} s; {c / t:.2f}x")


def _seconds(command: list[str], env: dict) -> float:
    t0 = time.perf_counter()
    subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - t0


if __name__ == "__main__":
    main()
