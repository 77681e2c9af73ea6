"""The lesson in the README is a real one: it validates, and its experiment trains to its goal."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.cli import app, state
from tests.fake_worker import InProcessWorker, use_runner

README = Path(__file__).resolve().parents[2] / "README.md"

pytestmark = pytest.mark.slow


@pytest.fixture
def readme_lesson(tmp_path, monkeypatch, shipped_lessons):
    monkeypatch.setattr(state, "_catalog", None)
    # `lab run` trains in this process: the lesson is the point here, not the worker process
    use_runner(monkeypatch, InProcessWorker)
    block = re.search(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert block, "the README shows a lesson"
    folder = tmp_path / "my-lessons"
    folder.mkdir()
    (folder / "gradient-descent.yaml").write_text(block.group(1), encoding="utf-8")
    return folder


def test_the_readme_lesson_validates_and_its_experiment_reaches_its_goal(readme_lesson):
    checked = CliRunner().invoke(app, ["validate", str(readme_lesson)])
    assert checked.exit_code == 0, checked.output
    run = CliRunner().invoke(app, ["--lessons", str(readme_lesson), "run", "fit-y-2x"])
    assert run.exit_code == 0, run.output
    assert "completed" in run.output and "goal reached" in run.output, run.output


def test_the_readme_lesson_diverges_as_its_try_this_says(readme_lesson):
    run = CliRunner().invoke(
        app, ["--lessons", str(readme_lesson), "run", "fit-y-2x", "--set", "lr=1.5"]
    )
    assert run.exit_code == 1, run.output
    assert "diverged" in run.output and "try a smaller learning rate" in run.output
    assert "goal not reached: train_loss ≤ 0.01" in run.output
