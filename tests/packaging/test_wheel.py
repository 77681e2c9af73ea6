"""A built wheel carries the lessons: `lab lessons` works with no source tree on the path."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2]


@pytest.mark.slow
def test_wheel_installs_and_finds_its_lessons(tmp_path, shipped_lessons):
    dist = tmp_path / "dist"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "build",
            "--wheel",
            "--no-isolation",
            "--outdir",
            str(dist),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    (wheel,) = dist.glob("lab-*.whl")
    target = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(target),
            str(wheel),
        ],
        check=True,
        capture_output=True,
        timeout=240,
    )
    # The dev venv's packages for the dependencies, the wheel's copy of lab, never the source tree.
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(target), sysconfig.get_paths()["purelib"]]),
    }
    code = "import sys; sys.argv = ['lab', 'lessons', '--json']; import lab.launch, lab; print(lab.__file__, file=sys.stderr); lab.launch.main()"
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr.strip().startswith(str(target)), out.stderr
    assert json.loads(out.stdout), "no lessons found from the wheel"
    in_wheel = sorted(
        p.relative_to(target / "lab").as_posix() for p in (target / "lab" / "lessons").rglob("*.*")
    )
    in_tree = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "lessons").rglob("*.*"))
    assert in_wheel == in_tree
