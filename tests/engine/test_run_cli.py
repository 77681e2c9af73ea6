"""`lab run` from the command line: a smoke run, the JSON events, refused settings, failures.

The engine runs in this process (tests/fake_worker.py) where the output is the point; the
terminal test starts the real `lab` and its real worker."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.cli import app, state
from tests.fake_worker import InProcessWorker, use_runner

GOOD = str(Path(__file__).resolve().parents[1] / "fixtures" / "good")
LONG = Path(GOOD).with_name("long")

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def fresh_catalog(monkeypatch):
    monkeypatch.setattr(state, "_catalog", None)


@pytest.fixture(autouse=True)
def in_process(monkeypatch):
    """`lab run` takes its worker from the configured runner: here, the engine on a thread."""
    use_runner(monkeypatch, InProcessWorker)


def _lab(*args):
    return CliRunner().invoke(app, ["--lessons", GOOD, *args])


def test_a_smoke_run_prints_epochs_the_result_and_the_run_id():
    result = _lab("run", "gd-example-fit", "--smoke")
    assert result.exit_code == 0, result.output
    assert "gd-example-fit on cpu: 2 parameters" in result.output
    assert "epoch 1/1" in result.output
    assert "completed: trained 1 epoch" in result.output
    assert "run 1" in result.output.splitlines()[-1]


def test_a_scripted_run_with_no_model_of_its_own_tells_no_size():
    """The cost sweep trains no network: its first line says where it runs, not "0 parameters"."""
    result = _lab("run", "gd-example-sweep", "--set", "w_step=0.5")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == "gd-example-sweep on cpu"


def test_json_prints_the_events_themselves():
    result = _lab("run", "gd-example-sweep", "--json", "--set", "w_step=0.5")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    assert events[0]["type"] == "start" and events[-1]["type"] == "done"
    assert events[-1]["metrics"]["best_w"] == 2.0
    assert sum(e["type"] == "progress" for e in events) == 9


def test_json_prints_the_views_of_a_declarative_run():
    """y = 2x with one Linear(1, 1): the fit, the (w, b) cost surface and the weights, flat
    JSON like every event; the surface comes once, the last view is the finished model."""
    result = _lab("run", "gd-example-fit", "--json")
    assert result.exit_code == 0, result.output
    events = [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]
    views = [e for e in events if e["type"] == "view"]
    assert {v["kind"] for v in views} == {"fit", "surface", "weights"}
    surfaces = [v for v in views if v["kind"] == "surface"]
    assert "cost" in surfaces[0] and all("cost" not in s for s in surfaces[1:])
    assert surfaces[-1]["step"] == 200 and abs(surfaces[-1]["w"] - surfaces[0]["best"]["w"]) < 0.1
    assert events[-1]["type"] == "done"
    assert events.index(views[0]) > 0 and events[0]["type"] == "start"


def test_the_final_view_is_drawn_under_the_chart():
    """A classifier on the moons: after the loss chart, its last decision boundary, both
    predicted classes shaded and the training points of both classes on top."""
    result = CliRunner().invoke(
        app, ["--lessons", str(LONG), "run", "long-moons", "--epochs", "20"]
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    [at] = [i for i, line in enumerate(lines) if line.startswith("decision boundary at step")]
    assert at > [i for i, line in enumerate(lines) if "loss" in line][0]  # under the chart
    picture = "\n".join(lines[at + 1 : at + 17])
    assert {"+", "o", "x"} <= set(picture) and ("·" in picture or "." in picture)
    assert lines[at + 17].startswith("class ")  # the legend: what each character means
    assert lines[at + 18].startswith("completed: trained 20 epochs")


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


def test_a_run_that_fails_before_training_says_only_why_and_is_recorded(tmp_path):
    """MNIST not downloaded: one line saying so, no goal line, exit 1, and `lab runs` lists
    the run as failed with that reason."""
    text = (Path(GOOD) / "01-gradient-descent.yaml").read_text()
    old = "dataset: {name: linear-tiny, split: {val: 0, test: 0}}"
    assert old in text
    (tmp_path / "lesson.yaml").write_text(text.replace(old, "dataset: {name: mnist}", 1))
    result = CliRunner().invoke(app, ["--lessons", str(tmp_path), "run", "gd-example-fit"])
    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert lines[0].startswith("failed: MNIST is not downloaded on this machine")
    assert lines[1] == "run 1" and len(lines) == 2
    listed = json.loads(CliRunner().invoke(app, ["runs", "--json"]).output)
    assert [(r["status"], r["reason"]) for r in listed] == [("failed", lines[0][8:])]


def test_lab_runs_shows_the_training_time_and_the_seed():
    result = _lab("run", "gd-example-fit", "--epochs", "5", "--seed", "4")
    assert result.exit_code == 0, result.output
    [run] = json.loads(_lab("runs", "--json").output)
    assert run["seed"] == 4
    assert 0 < run["duration_s"] < 1  # five steps of one weight: not the start-up's seconds
    assert len(json.loads(_lab("runs", "show", "1", "--json").output)["points"]) == 5


def test_lab_run_and_runs_show_say_which_train_loss_each_figure_is():
    """Each epoch's train_loss (a mean over its steps as the weights change) and the final one
    (the finished model) share their key: both commands say which one they show."""
    from lab.runs.figures import epoch_train_loss, final_figures

    lines = _lab("run", "gd-example-fit", "--epochs", "3").output.splitlines()
    with _store() as store:
        spec = store.run(1).spec
    told = epoch_train_loss(spec)
    assert lines.count(told) == 1 and "train mode" not in told  # one Linear layer: no modes
    assert lines[lines.index(told) + 1].startswith("epoch 1/3  train_loss ")
    done = lines.index("completed: trained 3 epochs")
    assert (
        lines[done + 1] == final_figures("completed", spec) == "the finished model on each split:"
    )
    assert lines[done + 2].startswith("train_loss ")
    shown = _lab("runs", "show", "1").output
    assert "metrics   the finished model on each split: train_loss " in shown
    assert f"{told}\nepoch  train_loss" in shown
    # a stopped run's figures are its last epoch's
    with _store() as store:
        run_id = store.start_run("gd-example-fit", "gd", spec, {}, 0, "cpu", "2")
        store.add_epoch(run_id, 1, {"train_loss": 0.5})
        store.finish_run(run_id, "stopped", "stopped at epoch 2, step 2", {"train_loss": 0.5}, 1.0)
    shown = _lab("runs", "show", str(run_id)).output
    assert "metrics   as of the last finished epoch: train_loss 0.5" in shown
    # a scripted run's figures are named by what it measures
    assert _lab("run", "gd-example-sweep").exit_code == 0
    assert "each epoch's" not in _lab("runs", "show", "3").output


def _store():
    from lab import paths
    from lab.store import Store

    return Store.open(paths.db_path())


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


def test_metric_lines_wrap_between_whole_cells(monkeypatch):
    from lab.cli.run_cmds import _pack

    monkeypatch.setenv("COLUMNS", "30")
    cells = ["train_loss 0.1234", "train_accuracy 91.1%", "val_loss 0.705"]
    assert _pack(cells) == "train_loss 0.1234\n  train_accuracy 91.1%\n  val_loss 0.705"
    monkeypatch.setenv("COLUMNS", "80")
    assert _pack(cells) == "train_loss 0.1234  train_accuracy 91.1%  val_loss 0.705"
