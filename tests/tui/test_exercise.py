"""Exercise screen: open from a lesson, edit, save and check, hints, the solution after an
attempt, reset with a confirmation. A fake checker answers at once (or when told to) except in
the one test that runs the real checking process."""

from __future__ import annotations

import contextlib
import sys
import threading
from pathlib import Path

import pytest
from textual.widgets import Markdown

from lab.catalog import load_catalog
from lab.catalog.exercise_schema import Exercise
from lab.exercises.result import CheckOutcome, Result
from lab.tui.app import make_app
from lab.tui.screens.confirm import Confirm
from lab.tui.screens.exercise import ExerciseScreen
from lab.tui.screens.home import HomeScreen
from lab.tui.screens.lesson import LessonScreen
from lab.tui.screens.pick import PickScreen
from lab.tui.screens.solution import SolutionScreen
from lab.tui.widgets.check_results import CheckResults
from lab.tui.widgets.code_editor import CodeEditor
from tests.tui.pilot import wait_until

LESSONS = Path(__file__).parent / "exercise_lessons"
SOLVED = "def mean(xs):\n    return sum(xs) / len(xs)\n"
STARTER = "def mean(xs):\n    return 0.0\n"


class FakeChecker:
    """An `ExerciseChecker` that passes a file holding the solution's line; `hold` makes checks
    wait to be released."""

    def __init__(self) -> None:
        self.sources: list[str] = []
        self.hold: threading.Event | None = None

    def check(self, exercise: Exercise, path: Path, source: str | None = None) -> Result:
        source = path.read_text() if source is None else source
        self.sources.append(source)
        if self.hold is not None:
            self.hold.wait(10)
        if "sum(xs) / len(xs)" in source:
            return Result(checks=[CheckOutcome("mean([1, 2, 3])", True)])
        if "raise" in source:
            return Result(
                error="ZeroDivisionError: division by zero\n  ex-mean.py, line 2, in mean"
            )
        return Result(
            checks=[
                CheckOutcome(
                    "mean([1, 2, 3])",
                    False,
                    "returned 0.0, expected 2.0: did you divide the sum by the length?",
                ),
                CheckOutcome("mean([4.0])", True),
            ]
        )

    def close(self) -> None:
        pass


@pytest.fixture
def ex_catalog():
    return load_catalog([LESSONS])


@pytest.fixture
def checker():
    return FakeChecker()


@pytest.fixture
def ex_app(ex_catalog, store, checker):
    def build(target: str | None = "ex-mean", **kwargs):
        kwargs.setdefault("checker", checker)
        return make_app(ex_catalog, store=store, target=target, prewarm=False, **kwargs)

    return build


def learner_file(lab_home: Path, exercise: str = "ex-mean") -> Path:
    return lab_home / "exercises" / "sums" / f"{exercise}.py"


async def open_screen(pilot) -> ExerciseScreen:
    await wait_until(pilot, lambda: isinstance(pilot.app.screen, ExerciseScreen), 5)
    await pilot.pause()
    return pilot.app.screen


async def save_and_wait(pilot, screen: ExerciseScreen) -> None:
    await pilot.press("ctrl+s")
    await wait_until(pilot, lambda: not screen.checking, 10, "the check")
    await pilot.pause()


def results_text(screen: ExerciseScreen) -> str:
    return screen.query_one("#ex-checks", CheckResults).text()


def footer_keys(app) -> set[str]:
    return {
        b.binding.key for b in app.screen.active_bindings.values() if b.binding.show and b.enabled
    }


async def test_x_in_a_lesson_lists_its_exercises_opens_one_n_the_next(ex_app, lab_home):
    app = ex_app(target="sums")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("x")
        assert isinstance(app.screen, PickScreen)
        assert [i for i, _ in app.screen.items] == ["ex-mean", "ex-total"]
        await pilot.press("enter")
        screen = await open_screen(pilot)
        assert screen.exercise_id == "ex-mean"
        assert learner_file(lab_home).read_text() == STARTER  # made from the starter
        assert screen.editor.text == STARTER
        info = str(screen.query_one("#ex-info").render())
        assert "ex-mean.py" in info and "not started" in info
        task = screen.query_one("#ex-task-text", Markdown).source
        assert "Write `mean(xs)`" in task
        await pilot.press("n")  # the next exercise takes this one's place
        await wait_until(pilot, lambda: getattr(app.screen, "exercise_id", "") == "ex-total", 5)
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_edit_save_shows_each_check_then_done_counts_at_home(
    ex_app, lab_home, checker, store
):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("e")
        assert isinstance(app.focused, CodeEditor)
        await pilot.press("down", "down", "x")  # typed into the file, not taken as a key
        assert "x" not in footer_keys(app) and "q" not in footer_keys(app)
        assert "● unsaved" in str(screen.query_one("#ex-info").render())
        await save_and_wait(pilot, screen)
        assert learner_file(lab_home).read_text() == STARTER + "x"
        assert checker.sources == [STARTER + "x"]
        text = results_text(screen)
        assert "1 of 2 checks failed" in text
        assert "✗ mean([1, 2, 3])\nreturned 0.0, expected 2.0: did you divide" in text
        assert "✓ mean([4.0])" in text
        assert screen.session.state == "failing"

        screen.editor.load_text("def mean(xs):\n    raise ValueError\n")
        await save_and_wait(pilot, screen)
        assert "ZeroDivisionError: division by zero\n  ex-mean.py, line 2" in results_text(screen)

        screen.editor.load_text(SOLVED)
        await save_and_wait(pilot, screen)
        assert "the check passed" in results_text(screen)
        assert "done" in str(screen.query_one("#ex-info").render())
        assert store.exercise_states() == {"ex-mean": "done"}

        await pilot.press("escape", "escape")  # leave the editor, then the exercise
        assert isinstance(app.screen, HomeScreen)
        await pilot.pause()
        table = app.screen.query_one("#lessons")
        assert str(table.get_cell("sums", "code")) == "1/2"


async def test_keys_type_into_the_editor_and_escape_gives_them_back(ex_app, lab_home):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        assert {"e", "h", "s", "ctrl+s", "q"} <= footer_keys(app)
        await pilot.press("e", "down", "down", "h", "s", "q", "r", "question_mark")
        assert screen.editor.text.endswith("hsqr?")
        assert isinstance(app.screen, ExerciseScreen) and app.is_running
        assert footer_keys(app) == {"ctrl+s", "escape"}
        await pilot.press("ctrl+z")
        assert screen.editor.text == STARTER  # undone
        await pilot.press("z", "escape")
        assert not isinstance(app.focused, CodeEditor)
        assert "h" in footer_keys(app)
        await pilot.press("escape")  # back: the unsaved edit is saved, not lost
        assert not isinstance(app.screen, ExerciseScreen)
        assert learner_file(lab_home).read_text() == STARTER + "z"


async def test_hints_come_one_at_a_time(ex_app):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        hints = screen.query_one("#ex-hints", Markdown)
        assert not hints.display
        await pilot.press("h")
        assert hints.display
        assert "Hint 1 of 2" in hints.source and "Hint 2" not in hints.source
        await pilot.press("h")
        assert "Hint 2 of 2" in hints.source
        await pilot.press("h")
        await pilot.pause()
        assert any("No more hints" in n.message for n in app._notifications)


async def test_a_hint_is_scrolled_into_view_at_60x20(store, shipped_lessons, checker):
    app = make_app(
        load_catalog(), store=store, target="ex-train-loop", prewarm=False, checker=checker
    )
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await open_screen(pilot)
        task = screen.query_one("#ex-task")
        await pilot.press("h")
        await pilot.pause()
        await pilot.pause(0.1)
        hints = screen.query_one("#ex-hints", Markdown)
        shown = task.region.intersection(hints.region)
        assert shown.height >= min(hints.region.height, task.region.height), (task, hints)


async def test_solution_only_after_a_real_attempt(ex_app):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("s")
        assert isinstance(app.screen, ExerciseScreen)
        assert any("Check your code once first" in n.message for n in app._notifications)
        await save_and_wait(pilot, screen)
        await pilot.press("s")
        assert isinstance(app.screen, SolutionScreen)
        assert app.screen.query_one("#solution-code", CodeEditor).text == SOLVED
        assert "Looking at a solution" in str(app.screen.query_one("#solution-note").render())
        await pilot.press("escape")
        assert app.screen is screen


async def test_reset_asks_then_keeps_the_old_file(ex_app, lab_home):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        screen.editor.load_text("def mean(xs):\n    return 1.5  # mine\n")
        await pilot.press("r")
        assert isinstance(app.screen, Confirm)
        await pilot.press("n")
        assert app.screen is screen and "mine" in screen.editor.text
        await pilot.press("r", "y")
        await pilot.pause()
        assert screen.editor.text == STARTER
        assert learner_file(lab_home).read_text() == STARTER
        backups = list(learner_file(lab_home).parent.glob("ex-mean.bak-*.py"))
        assert [b.read_text() for b in backups] == ["def mean(xs):\n    return 1.5  # mine\n"]


async def test_the_app_answers_while_a_check_runs(ex_app, checker):
    checker.hold = threading.Event()
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: checker.sources, 5, "the check to start")
        assert "checking" in results_text(screen)
        await pilot.press("h")  # keys still work while the checker is busy
        assert "Hint 1" in screen.query_one("#ex-hints", Markdown).source
        screen.editor.load_text(SOLVED)
        await pilot.press("ctrl+s")  # a save during a check: checked once more after it
        checker.hold.set()
        await wait_until(pilot, lambda: len(checker.sources) == 2 and not screen.checking, 10)
        await pilot.pause()
        assert checker.sources[1] == SOLVED
        assert "the check passed" in results_text(screen)


async def test_a_file_that_is_not_utf8_is_shown_and_left_alone(ex_app, lab_home):
    path = learner_file(lab_home)
    path.parent.mkdir(parents=True)
    path.write_bytes(b"def mean(xs):\n    return 0.0  # caf\xe9\n")
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        assert screen.editor.read_only
        assert "not UTF-8" in str(screen.query_one("#ex-info").render())
        await pilot.press("e", "x", "escape")
    assert path.read_bytes() == b"def mean(xs):\n    return 0.0  # caf\xe9\n"


@pytest.mark.slow
async def test_the_real_checker_passes_the_solution(ex_catalog, store, lab_home, warm_checker):
    app = make_app(ex_catalog, store=store, target="ex-mean", prewarm=False, checker=warm_checker)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.checking, 60, "the real checker")
        assert "mean" in results_text(screen) and "✗" in results_text(screen)
        screen.editor.load_text(SOLVED)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: not screen.checking, 30, "the real checker")
        await pilot.pause()
        assert "✓" in results_text(screen) and "✗" not in results_text(screen)
        assert screen.session.state == "done"


async def test_the_line_under_the_result_follows_a_smaller_terminal(ex_app, lab_home):
    """Only the result's frame shrinks, not what it holds: the line under it still tells what
    is out of sight."""
    learner_file(lab_home).parent.mkdir(parents=True, exist_ok=True)
    learner_file(lab_home).write_text("def mean(xs):\n    return sum(xs)\n")
    app = ex_app()
    async with app.run_test(size=(80, 40)) as pilot:
        screen = await open_screen(pilot)
        await save_and_wait(pilot, screen)
        more = screen.query_one("#ex-more")
        assert not more.display  # the four lines fit at 80x40
        await pilot.resize_terminal(80, 16)
        await wait_until(pilot, lambda: more.display, 5, "the line under the result")
        hidden = screen.query_one("#ex-result").max_scroll_y
        assert f"↓ {hidden} more line" in str(more.render())


def test_snapshot_a_failed_check(snap_compare, ex_app, lab_home, monkeypatch):
    """80x24: the task, the file (as ~/exercises/...) failing, the editor with the learner's
    code and line numbers, one check failed with its message and one passed; the footer's keys."""
    monkeypatch.setenv("HOME", str(lab_home))

    async def check(pilot):
        screen = await open_screen(pilot)
        screen.editor.load_text("def mean(xs):\n    return sum(xs)\n")
        await save_and_wait(pilot, screen)

    assert snap_compare(ex_app(), terminal_size=(80, 24), run_before=check)


async def test_own_editor_hands_over_the_terminal_then_the_file_is_checked(
    ex_app, lab_home, checker, monkeypatch
):
    writer = f"{sys.executable} -c \"import sys; open(sys.argv[1], 'w').write({SOLVED!r})\""
    monkeypatch.setenv("VISUAL", writer)
    suspended = []
    app = ex_app()
    # a headless test app cannot give up a terminal: what matters is that it asks to
    monkeypatch.setattr(app, "suspend", lambda: suspended.append(1) or contextlib.nullcontext())
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("o")
        await wait_until(pilot, lambda: checker.sources and not screen.checking, 10)
        await pilot.pause()
        assert suspended == [1]
        assert screen.editor.text == SOLVED == learner_file(lab_home).read_text()
        assert checker.sources == [SOLVED]
        assert "the check passed" in results_text(screen)


async def test_a_save_from_another_editor_is_loaded_and_checked(ex_app, lab_home, checker):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        learner_file(lab_home).write_text(SOLVED)  # as an editor in another terminal would
        await wait_until(pilot, lambda: checker.sources and not screen.checking, 10)
        await pilot.pause()
        assert screen.editor.text == SOLVED
        assert "the check passed" in results_text(screen)
