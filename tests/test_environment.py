"""The suite passes in any learner's shell: a slice of it (snapshots, which see colour and theme,
and `lab` driven in tmux, which inherits the environment) run under settings a learner may have."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

A_LEARNERS_SHELL = {
    "NO_COLOR": "1",
    "TERM": "dumb",
    "LANG": "C.UTF-8",
    "LC_ALL": "C",
    "COLUMNS": "200",
    "TEXTUAL_THEME": "nord",
    "LAB_ASCII": "1",
    "EDITOR": "false",
}

SLICE = [
    "tests/tui/test_snapshots.py::test_home",
    "tests/tui/test_experiment_snapshot.py::test_experiment_boundary_view",
    "tests/e2e/test_exercise_watch.py",
]


@pytest.mark.e2e
@pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed")
def test_a_slice_of_the_suite_passes_in_a_learners_shell(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(A_LEARNERS_SHELL)
    report = tmp_path / "snapshot_report.html"
    # on an xdist worker, as `make test` runs: workers inherit the controller's environment
    args = ["-q", "-n", "1", "-p", "no:cacheprovider", f"--snapshot-report={report}", *SLICE]
    out = subprocess.run(
        [sys.executable, "-m", "pytest", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert out.returncode == 0, out.stdout[-4000:] + out.stderr[-2000:]
    assert "3 passed" in out.stdout, out.stdout[-2000:]
