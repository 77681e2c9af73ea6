"""A real `lab quiz --plain` killed mid-quiz: every answer it acknowledged is kept; Ctrl+C ends
it with the summary and exit status 130, as `lab run` does."""

from __future__ import annotations

import os
import signal
import subprocess
import time
from pathlib import Path

from lab.store import Store
from tests.procs import lab_cmd, lab_env

GOOD = Path(__file__).parents[1] / "fixtures" / "good"


def _read_until(proc, marker: str, timeout: float = 30) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while marker not in seen:
        assert time.monotonic() < deadline, seen
        char = proc.stdout.read(1)
        assert char, seen
        seen += char
    return seen


def _plain_quiz() -> subprocess.Popen:
    """A real `lab quiz --plain gd-example` in its own interpreter, on pipes."""
    return subprocess.Popen(
        lab_cmd("--lessons", str(GOOD), "quiz", "--plain", "gd-example"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=lab_env(),
    )


def test_sigkill_mid_quiz_keeps_every_answer_given(lab_home):
    proc = _plain_quiz()
    try:
        _read_until(proc, "number> ")
        proc.stdin.write("2\n")
        proc.stdin.flush()
        _read_until(proc, "numbers, like 1,3> ")  # the first feedback is printed: it was stored
        proc.stdin.write("1,3\n")
        proc.stdin.flush()
        _read_until(proc, "t/f> ")
        # the learner is thinking about question 3 when the connection dies hard
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
    with Store.open() as store:
        assert store.integrity_check() == "ok"
        log = store.reviews()
        assert [r["question_id"] for r in log] == ["gd-ex-direction", "gd-ex-which"]
        assert all(r["correct"] for r in log)


def test_ctrl_c_ends_the_plain_quiz_with_130_and_keeps_the_answers(lab_home):
    proc = _plain_quiz()
    try:
        _read_until(proc, "number> ")
        proc.stdin.write("2\n")
        proc.stdin.flush()
        _read_until(proc, "numbers, like 1,3> ")
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, (out, err)
    assert "Done: 1 of 1 right" in out and "Traceback" not in err
    assert Path(lab_home / "lab.db").exists()
