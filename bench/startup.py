"""Prints the wall time of `lab glossary epoch` next to `python -c "import typer"`, and the ratio.

Both are measured in the same run, alternating, best of N, with LAB_HOME in a temporary folder.
Aim: the ratio at most 1.5.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time

N = 15


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=False)
    return time.perf_counter() - start


def main() -> None:
    with tempfile.TemporaryDirectory() as home:
        env = {**os.environ, "LAB_HOME": home}
        baseline_cmd = [sys.executable, "-c", "import typer"]
        lab_cmd = [sys.executable, "-m", "lab", "glossary", "epoch"]
        wall(lab_cmd, env)  # warm the file cache and .pyc files
        base, lab = [], []
        for _ in range(N):
            base.append(wall(baseline_cmd, env))
            lab.append(wall(lab_cmd, env))
    for name, times in (("import typer", base), ("lab glossary epoch", lab)):
        best, median = min(times) * 1000, statistics.median(times) * 1000
        print(f"{name:22} best {best:6.0f} ms  median {median:6.0f} ms")
    print(f"{'ratio (best)':22} {min(lab) / min(base):.2f}x   (aim: <= 1.5x)")


if __name__ == "__main__":
    main()
