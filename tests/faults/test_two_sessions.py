"""Two sessions of one learner at once, as two SSH logins would be: each answers a quiz with
`lab quiz --plain` while it runs an experiment with `lab run`, all real `lab` processes on the
same LAB_HOME. Every answer is counted once, every run listed once and completed, and the
database passes its integrity check."""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import threading
import time

import pytest
from typer.testing import CliRunner

from tests.faults.conftest import GOOD
from tests.procs import lab_cmd, lab_env

# Beside other tests: the quizzes and runs of the two sessions start together and the runs
# outlast a quiz however loaded the machine is, so they overlap in any case.
pytestmark = pytest.mark.slow

QUIZ_ROUNDS = 3  # quiz processes one after another in each session, 5 answers each
RUNS_AT_ONCE = 1  # a `lab run` in each session, beside its quizzes (a worker start is slow)
LIMIT_S = 120
SPANS: list[tuple[float, float]] = []  # when each `lab` process of the test was alive
# A valid answer for each kind of prompt, whatever order the questions come in.
ANSWERS = {"number> ": "2", "numbers, like 1,3> ": "1,3", "t/f> ": "f", "answer> ": "lr"}


def _quiz(answered: list[int], errors: list[str]) -> None:
    """One `lab quiz --plain --all`, answering each prompt as it comes."""
    proc = subprocess.Popen(
        lab_cmd("--lessons", str(GOOD), "quiz", "--plain", "--all", "gd-example"),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=lab_env(),
    )
    seen, count, born = "", 0, time.monotonic()
    try:
        while char := proc.stdout.read(1):
            seen += char
            prompt = next((p for p in ANSWERS if seen.endswith(p)), None)
            if prompt is not None:
                proc.stdin.write(ANSWERS[prompt] + "\n")
                proc.stdin.flush()
                count += 1
                seen = ""
        proc.stdin.close()
        code = proc.wait(timeout=30)
        SPANS.append((born, time.monotonic()))
        stderr = proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
    if code != 0 or stderr.strip():
        errors.append(f"quiz exit {code}: {stderr.strip()}")
    answered.append(count)


def _run(run_ids: list[int], errors: list[str]) -> None:
    born = time.monotonic()
    result = subprocess.run(
        lab_cmd("--lessons", str(GOOD), "run", "gd-example-fit"),
        capture_output=True,
        text=True,
        env=lab_env(),
        timeout=LIMIT_S,
    )
    SPANS.append((born, time.monotonic()))
    found = re.findall(r"^run (\d+)$", result.stdout, re.MULTILINE)
    if result.returncode != 0 or len(found) != 1 or "completed:" not in result.stdout:
        errors.append(f"run exit {result.returncode}: {result.stdout[-300:]} {result.stderr}")
    run_ids.extend(int(x) for x in found)


def _most_at_once(spans: list[tuple[float, float]]) -> int:
    edges = sorted([(a, 1) for a, _ in spans] + [(b, -1) for _, b in spans])
    alive = most = 0
    for _, step in edges:
        alive += step
        most = max(most, alive)
    return most


def _session(name: str, answered, run_ids, errors) -> list[threading.Thread]:
    """One learner's login: quizzes one after another while runs go on, all at the same time."""

    def quizzes():
        for _ in range(QUIZ_ROUNDS):
            _quiz(answered, errors)

    return [threading.Thread(target=quizzes, name=f"{name}-quiz", daemon=True)] + [
        threading.Thread(target=_run, args=(run_ids, errors), name=f"{name}-run{i}", daemon=True)
        for i in range(RUNS_AT_ONCE)
    ]


def _lab_json(*args: str):
    """What the CLI says once the sessions have ended (read in this process)."""
    from lab.cli import app

    result = CliRunner().invoke(app, ["--lessons", str(GOOD), *args])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_two_sessions_quizzing_and_training_at_once_lose_and_double_nothing(lab_home, fresh_cli):
    SPANS.clear()
    answered: list[int] = []
    run_ids: list[int] = []
    errors: list[str] = []
    threads = [t for name in ("a", "b") for t in _session(name, answered, run_ids, errors)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(1.0, LIMIT_S - (time.perf_counter() - started)))
    elapsed = time.perf_counter() - started
    assert not any(t.is_alive() for t in threads), f"still running after {LIMIT_S} s"
    assert not errors, "\n".join(errors)
    assert answered == [5] * (2 * QUIZ_ROUNDS), answered  # every question, every round
    at_once = _most_at_once(SPANS)
    assert at_once >= 4, SPANS  # they did overlap
    given = sum(answered)

    progress = _lab_json("progress", "--json")
    [lesson] = [x for x in progress["lessons"] if x["id"] == "gd-example"]
    assert progress["reviews"] == lesson["reviews"] == given

    runs = _lab_json("runs", "--json")
    listed = [r["id"] for r in runs]
    assert sorted(listed) == sorted(run_ids) and len(set(listed)) == len(listed) == 2 * RUNS_AT_ONCE
    assert all(r["status"] == "completed" and r["reason"] == "trained 200 epochs" for r in runs)

    with sqlite3.connect(lab_home / "lab.db") as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = db.execute("SELECT count(*), count(DISTINCT uuid) FROM reviews").fetchone()
    assert integrity == "ok"
    assert rows == (given, given)
    print(
        f"\ntwo sessions, up to {at_once} lab processes at once: {given} answers given, "
        f"{progress['reviews']} counted; {len(run_ids)} runs, {len(listed)} listed, all "
        f"completed; integrity_check {integrity}; {elapsed:.1f} s"
    )
