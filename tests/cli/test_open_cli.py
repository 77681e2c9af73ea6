"""`lab open ID --set KEY=VALUE`: settings checked as `lab run --set` checks them, then given to
the app; a bad one is refused in one line with status 2 before the app starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from lab.cli import app, app_cmds, state

FIXTURES = Path(__file__).parents[1] / "fixtures" / "good"
runner = CliRunner()


@pytest.fixture
def opened(monkeypatch):
    calls = []
    monkeypatch.setattr(
        app_cmds, "open_app", lambda target, settings=None: calls.append((target, settings))
    )
    return calls


def lab(*args: str):
    state._catalog = None
    return runner.invoke(app, ["--lessons", str(FIXTURES), *args])


def test_settings_reach_the_app_as_typed(opened):
    result = lab("open", "gd-example-fit", "--set", "lr=0.3", "--set", "epochs=20")
    assert result.exit_code == 0, result.output
    assert opened == [("gd-example-fit", {"lr": "0.3", "epochs": "20"})]


@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("lr=9", "lab open: lr must be "),
        ("speed=1", "lab open: gd-example-fit has no setting 'speed'; settings: "),
        ("lr", "lab open: --set takes KEY=VALUE, not 'lr'"),
    ],
)
def test_a_bad_setting_is_refused_in_one_line(opened, setting, said):
    result = lab("open", "gd-example-fit", "--set", setting)
    assert result.exit_code == 2
    assert result.stderr.startswith(said) and result.stderr.count("\n") == 1
    assert opened == []


def test_settings_on_a_lesson_are_refused(opened):
    result = lab("open", "gd-example", "--set", "lr=0.3")
    assert result.exit_code == 2
    assert "is not an experiment" in result.stderr and opened == []
