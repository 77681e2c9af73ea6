"""The app as a whole: the factory, targets, quitting, SIGHUP, shutdown hooks, no store."""

from __future__ import annotations

import os
import signal

from typer.testing import CliRunner

from lab.tui.app import LabApp, make_app
from lab.tui.screens.glossary import GlossaryScreen
from lab.tui.screens.help import ConfirmQuit
from lab.tui.screens.home import HomeScreen
from lab.tui.screens.lesson import LessonScreen
from lab.tui.screens.quiz import QuizScreen


async def test_factory_opens_the_store_in_lab_home(catalog, lab_home):
    app = make_app(catalog)
    assert app.store is not None and app.store_error is None
    assert app.store.path.parent == lab_home
    app.store.close()


async def test_a_store_that_cannot_open_leaves_the_lab_readable(catalog, monkeypatch, tmp_path):
    blocked = tmp_path / "file"
    blocked.write_text("not a folder")
    monkeypatch.setenv("LAB_HOME", str(blocked / "home"))
    app = make_app(catalog)
    assert app.store is None and app.store_error
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert any("not saved" in str(n.message) for n in app._notifications)
        await pilot.press("enter")
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("m")  # nothing to store into; still fine
        await pilot.press("g")
        assert isinstance(app.screen, GlossaryScreen)


async def test_targets_open_straight_there(make):
    for target, screen in [
        ("gd-example", LessonScreen),
        ("quiz", QuizScreen),
        ("quiz:gd-example", QuizScreen),
    ]:
        app = make(target=target)
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            assert isinstance(app.screen, screen), target
            await pilot.press("escape")
            assert isinstance(app.screen, HomeScreen)


async def test_q_quits_at_once_when_nothing_runs(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("q")
        await pilot.pause()
    assert app.return_code == 0


async def test_q_asks_first_while_a_run_is_going(make):
    app = make()
    calls = []
    async with app.run_test(size=(80, 24)) as pilot:
        app.shutdown_hooks.append(lambda: calls.append("stopped"))
        app.run_in_progress = True
        await pilot.press("q")
        assert isinstance(app.screen, ConfirmQuit)
        await pilot.press("n")
        assert isinstance(app.screen, HomeScreen) and app.is_running
        await pilot.press("q")
        await pilot.press("y")
        await pilot.pause()
    assert calls == ["stopped"]


async def test_q_in_a_text_field_types_q(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g", "q")
        assert app.is_running
        assert app.screen.query_one("#glossary-search").value == "q"


async def test_sighup_runs_shutdown_hooks_and_exits(make):
    app = make()
    calls = []

    async def stop_worker():
        calls.append("stopped")

    async with app.run_test(size=(80, 24)) as pilot:
        app.shutdown_hooks.append(stop_worker)
        os.kill(os.getpid(), signal.SIGHUP)
        await pilot.pause(0.3)
    assert calls == ["stopped"]
    assert app.return_code == 129


async def test_hooks_run_once_even_if_one_fails(catalog):
    app = LabApp(catalog)
    calls = []
    app.shutdown_hooks += [lambda: 1 / 0, lambda: calls.append(1)]
    await app.run_shutdown_hooks()
    await app.run_shutdown_hooks()
    assert calls == [1]


def test_lab_open_unknown_id_suggests_close_matches(monkeypatch):
    from pathlib import Path

    from lab.cli import app as cli
    from lab.cli import state

    monkeypatch.setattr(state, "_catalog", None)
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "good"
    result = CliRunner().invoke(cli, ["--lessons", str(fixtures), "open", "gd-exampel"])
    assert result.exit_code == 1
    assert "did you mean gd-example" in result.output


def test_lab_open_suggests_an_id_a_lesson_and_its_experiment_share_once(shipped, monkeypatch):
    from lab.cli import app as cli
    from lab.cli import state

    monkeypatch.setattr(state, "_catalog", None)
    result = CliRunner().invoke(cli, ["open", "linear-regression-sgd"])
    assert result.exit_code == 1
    suggested = result.output.split("did you mean ")[1].rstrip("?\n").split(", ")
    assert suggested[0] == "linear-regression" and len(set(suggested)) == len(suggested)


async def test_no_color_is_honoured(make, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    app = make()
    assert app.no_color
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, LessonScreen)
