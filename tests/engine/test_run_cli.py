"""`lab run` from the command line: a smoke run, the JSON events, refused settings, failures."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.cli import app, state

GOOD = str(Path(__file__).resolve().parents[1] / "fixtures" / "good")

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fresh_catalog(monkeypatch):
    monkeypatch.setattr(state, "_catalog", None)


def _lab(*args):
    return CliRunner().invoke(app, ["--lessons", GOOD, *args])


def test_a_smoke_run_prints_epochs_the_result_and_the_run_id():
    result = _lab("run", "gd-example-fit", "--smoke")
    assert result.exit_code == 0, result.output
    assert "gd-example-fit on cpu: 2 parameters" in result.output
    assert "epoch 1/1" in result.output
    assert "completed: trained 1 epoch" in result.output
    assert "run 1" in result.output.splitlines()[-1]


def test_json_prints_the_events_themselves():
    result = _lab("run", "gd-example-sweep", "--json", "--set", "w_step=0.5")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert events[0]["type"] == "start" and events[-1]["type"] == "done"
    assert events[-1]["metrics"]["best_w"] == 2.0
    assert sum(e["type"] == "progress" for e in events) == 9


def test_a_setting_out_of_range_is_refused_before_anything_runs():
    result = _lab("run", "gd-example-fit", "--set", "lr=5")
    assert result.exit_code == 2
    assert "lr must be between 0.0001 and 2, not 5" in result.output
    assert _lab("run", "gd-example-fit", "--set", "lr").exit_code == 2
    assert _lab("run", "no-such-experiment").exit_code == 2


def test_a_diverging_run_exits_1_with_the_reason():
    result = _lab("run", "gd-example-fit", "--set", "lr=2", "--epochs", "50")
    assert result.exit_code == 1
    assert "diverged: the loss " in result.output
    assert "try a smaller learning rate, e.g. 0.2" in result.output


def test_data_fetch_refuses_built_in_sets():
    result = CliRunner().invoke(app, ["data", "fetch", "digits"])
    assert result.exit_code == 2 and "built in" in result.output


def test_in_a_terminal_a_waiting_line_shows_at_once_and_gives_way_to_the_run():
    """A fresh worker spends seconds importing torch: the learner sees why, then the run."""
    import os
    import pty
    import subprocess
    import sys

    leader, follower = pty.openpty()
    lab = Path(sys.executable).with_name("lab")
    proc = subprocess.Popen(
        [str(lab), "--lessons", GOOD, "run", "gd-example-fit", "--smoke"],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env={**os.environ, "TERM": "xterm", "COLUMNS": "80"},
    )
    os.close(follower)
    out = b""
    while True:
        try:
            chunk = os.read(leader, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(leader)
    assert proc.wait(timeout=60) == 0
    text = out.decode()
    assert text.startswith("\rstarting: loading PyTorch and the data...")
    assert "\r\x1b[Kgd-example-fit on cpu: 2 parameters" in text
