"""The store, the quiz and their commands import neither torch nor textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

FIXTURES = Path(__file__).parents[1] / "fixtures" / "good"


def _heavy(code: str) -> str:
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def test_modules_import_no_torch_or_textual():
    code = (
        "import sys, lab.store, lab.quiz.grading, lab.quiz.scheduler, lab.quiz.session\n"
        "import lab.cli.progress_cmds, lab.cli.runs_cmds\n"
        "print(sorted(m for m in ('torch', 'textual') if m in sys.modules))"
    )
    assert _heavy(code) == "[]"


def test_progress_and_plain_quiz_commands_import_no_torch_or_textual(lab_home):
    for args in (
        ["progress", "--json"],
        ["runs"],
        ["quiz", "--plain", "gd-example", "--limit", "1"],
    ):
        code = (
            "import sys, io\n"
            "sys.stdin = io.StringIO('2\\n')\n"
            "from lab.cli import app\n"
            "try:\n"
            f"    app(['--lessons', {str(FIXTURES)!r}, *{args!r}])\n"
            "except SystemExit:\n"
            "    pass\n"
            "print(sorted(m for m in ('torch', 'textual') if m in sys.modules))"
        )
        assert _heavy(code) == "[]", args
