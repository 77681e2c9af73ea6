"""End to end: the real `lab` in tmux at 80x24, driven by keys, then checked from the CLI."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from lab.proc.child import children

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(shutil.which("tmux") is None, reason="tmux is not installed"),
]

ROOT = Path(__file__).resolve().parents[2]
LAB = Path(sys.executable).parent / "lab"
FIXTURES = ROOT / "tests" / "fixtures" / "good"


class Tmux:
    """One tmux server of our own (its own socket), one 80x24 window running `lab`."""

    def __init__(self, socket: Path, env: dict[str, str]):
        self.socket = socket
        self.env = env

    def tmux(self, *args: str, check: bool = True) -> str:
        out = subprocess.run(
            ["tmux", "-S", str(self.socket), *args],
            capture_output=True,
            text=True,
            check=check,
            env=self.env,
        )
        return out.stdout

    def start(self, command: str) -> None:
        # stderr is left alone: Textual draws on it.
        self.tmux("new-session", "-d", "-x", "80", "-y", "24", "-s", "lab", command)

    def start_lab(self, lessons: Path) -> None:
        """`lab` on a plain xterm with these lessons, this test's LAB_HOME and no shipped course."""
        env = self.env
        self.start(
            f"env LAB_HOME={env['LAB_HOME']} LAB_SHIPPED_LESSONS={env['LAB_SHIPPED_LESSONS']} "
            f"TERM=xterm {LAB} --lessons {lessons}"
        )

    def quit(self, timeout: float) -> None:
        """Press q and see `lab` end within `timeout` seconds."""
        self.keys("q")
        deadline = time.monotonic() + timeout
        while self.alive() and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not self.alive(), self.screen()

    def screen(self) -> str:
        return self.tmux("capture-pane", "-p", "-t", "lab", check=False)

    def keys(self, *keys: str) -> None:
        for key in keys:
            self.tmux("send-keys", "-t", "lab", key)
            # a lone Escape needs a pause, or the next key reads as alt+key
            time.sleep(0.5 if key == "Escape" else 0.15)

    def wait_for(self, text: str, timeout: float = 20.0) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            shown = self.screen()
            if text in shown:
                return shown
            time.sleep(0.2)
        raise AssertionError(f"{text!r} never appeared; the screen was:\n{self.screen()}")

    def alive(self) -> bool:
        return (
            subprocess.run(
                ["tmux", "-S", str(self.socket), "has-session", "-t", "lab"],
                capture_output=True,
                env=self.env,
            ).returncode
            == 0
        )

    def kill(self) -> None:
        self.tmux("kill-server", check=False)


@pytest.fixture
def tmux(tmp_path, lab_home):
    # the suite's pinned environment (tests/environment.py), less pytest's own variables
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    session = Tmux(tmp_path / "tmux.sock", env)
    yield session
    session.kill()


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().split(") ")[-1][0] != "Z"
    except FileNotFoundError:
        return False


def _lab(env: dict[str, str], *args: str, lessons: Path = FIXTURES) -> subprocess.CompletedProcess:
    return subprocess.run(
        [str(LAB), "--lessons", str(lessons), *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )


# One start of `lab` for the whole session: each start imports Textual and warms a worker that
# imports torch, the most of what an end-to-end test costs.
def test_read_look_up_answer_run_predict_quit_then_the_cli_has_it_all(tmux):
    env = tmux.env
    tmux.start_lab(FIXTURES)
    tmux.wait_for("Continue (c)")
    # open a lesson
    tmux.keys("Enter")
    tmux.wait_for("The update rule")
    # look a term up: the lesson's terms, then the glossary
    tmux.keys("t")
    tmux.wait_for("Terms in this lesson")
    tmux.keys("Enter")
    tmux.wait_for("partial derivatives")
    tmux.keys("Escape", "Escape")
    tmux.wait_for("Continue (c)")
    # answer a question
    tmux.keys("z")
    tmux.wait_for("question 1 of 5")
    tmux.keys("2")
    tmux.wait_for("Right.")
    tmux.keys("Escape")
    tmux.wait_for("Continue (c)")
    # run an experiment to completion and see the curve
    tmux.keys("Enter")
    tmux.wait_for("The update rule")
    tmux.keys("e")
    tmux.wait_for("Fit y = 2x with SGD")
    tmux.keys("Enter")
    tmux.wait_for("Linear regression on the notes")
    tmux.keys("r")
    shown = tmux.wait_for("completed", timeout=120)
    assert "train" in shown and "step" in shown  # the curve's legend and its axis
    tmux.keys("Escape")
    tmux.wait_for("The update rule")
    # predict before a run, see the verdict after it
    tmux.keys("e")
    tmux.wait_for("The cost over w")
    tmux.keys("Down", "Enter")
    tmux.wait_for("Try every w from 0 to 4")
    tmux.keys("r")
    shown = tmux.wait_for("Predict, then run")
    assert "this run: w_step = 0.3" in shown and "1. 2.0, the true best" in shown
    tmux.keys("1")  # 2.0, the true best: the misconception
    shown = tmux.wait_for("Not quite.", timeout=120)  # the verdict, once the run has ended
    assert "You predicted: 2.0, the true best" in shown
    assert "A sweep only knows the values it tries." in shown
    tmux.keys("Escape")
    tmux.wait_for("2.1) reached")  # the run, under the verdict, bears the key out: best_w 2.1
    tmux.keys("Escape", "Escape")
    tmux.wait_for("Continue (c)")
    # quit; the CLI sees the answer, the prediction and the runs
    tmux.quit(timeout=15)
    result = _lab(env, "progress", "--json")
    assert result.returncode == 0, result.stderr
    progress = json.loads(result.stdout)
    [prediction] = progress["predictions"]
    assert prediction["id"] == "gd-example-sweep-predict"
    assert prediction["experiment"] == "gd-example-sweep"
    assert prediction["lesson"] == "gd-example"
    assert prediction["last_correct"] is False and prediction["reviews"] == 1
    # the quiz answer and the prediction, each a review scheduled by fsrs
    assert progress["reviews"] == 2
    lesson = next(x for x in progress["lessons"] if x["id"] == "gd-example")
    assert lesson["reviews"] == 2
    runs = _lab(env, "runs")
    assert runs.returncode == 0, runs.stderr
    assert "gd-example-fit" in runs.stdout and "gd-example-sweep" in runs.stdout
    assert runs.stdout.count("completed") == 2


# Beside other tests: it counts lab's own processes (the pane's and their children) and gives
# them 20 s to end, load or not.
def test_hangup_mid_run_stops_it_and_keeps_the_answer(tmux, tmp_path):
    """The SSH connection drops (tmux kills the pane: SIGHUP) while a long run trains."""
    lessons = tmp_path / "lessons"
    lessons.mkdir()
    text = (FIXTURES / "01-gradient-descent.yaml").read_text()
    text = text.replace("epochs: {min: 1, max: 500}", "epochs: {min: 1, max: 10000}")
    text = text.replace("epochs: 200", "epochs: 10000")
    # 1,000 steps an epoch: a forked worker starts at once, and 10,000 one-step epochs could
    # end before the screen is looked at
    text = text.replace("{name: linear-tiny,", "{name: linear, args: {n: 3000},")
    (lessons / "01-gradient-descent.yaml").write_text(text)
    env = tmux.env
    tmux.start_lab(lessons)
    tmux.wait_for("Continue (c)")
    tmux.keys("z")  # no lesson read yet: nothing new to ask; `l` takes any lesson's quiz
    tmux.wait_for("any lesson's quiz")
    tmux.keys("l")
    tmux.wait_for("Take the quiz of which lesson?")
    tmux.keys("Enter")
    tmux.wait_for("question 1 of 5")
    tmux.keys("2")
    tmux.wait_for("Right.")
    tmux.keys("Escape")
    tmux.wait_for("Continue (c)")
    tmux.keys("Enter", "e")
    tmux.wait_for("Fit y = 2x with SGD")
    tmux.keys("Enter")
    tmux.wait_for("Linear regression on the notes")
    tmux.keys("r")
    tmux.wait_for("running", timeout=60)
    time.sleep(1)
    lab_pid = int(tmux.tmux("display-message", "-p", "-t", "lab", "#{pane_pid}").strip())
    family = [lab_pid, *children(lab_pid)]  # lab and its training workers
    assert len(family) > 1
    tmux.kill()  # SIGHUP to everything in the pane
    deadline = time.monotonic() + 20
    while any(_running(pid) for pid in family) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not [pid for pid in family if _running(pid)], "lab or a worker outlived the hangup"
    deadline = time.monotonic() + 20
    runs = ""
    while time.monotonic() < deadline:
        runs = _lab(env, "runs", lessons=lessons).stdout
        if "stopped" in runs:
            break
        time.sleep(0.5)
    assert "stopped" in runs, runs
    progress = json.loads(_lab(env, "progress", "--json", lessons=lessons).stdout)
    assert progress["reviews"] == 1
