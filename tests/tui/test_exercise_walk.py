"""Tests what a learner met on the exercise screen in their second week (walk 3): a save here
never writes silently over a change made to the file elsewhere; a result taller than its rows
says so and how to read the rest."""

from __future__ import annotations

import pytest

from lab.exercises.result import CheckOutcome, Result
from tests.tui import test_exercise as base
from tests.tui.pilot import wait_until
from tests.tui.test_exercise import SOLVED, learner_file, open_screen

# the exercise screen's fixtures: its lessons, a fake checker, the app
ex_catalog, checker, ex_app = base.ex_catalog, base.checker, base.ex_app

OUTSIDE = "def mean(xs):\n    return 0.0  # written from the shell\n"


async def edit_then_change_on_disk(pilot, screen, lab_home) -> None:
    """Edits in the editor, not saved; then the file changes from another terminal."""
    await pilot.press("e")
    screen.editor.text = SOLVED
    await pilot.pause()
    assert screen.unsaved
    path = learner_file(lab_home)
    path.write_text(OUTSIDE)
    await wait_until(pilot, lambda: screen.changed_on_disk, 5)
    await pilot.pause(1.2)  # the screen looked at the disk: told, nothing loaded
    assert screen.editor.text == SOLVED
    assert any("changed on disk" in str(n.message) for n in pilot.app._notifications)


async def test_ctrl_s_asks_before_saving_over_a_change_made_elsewhere(ex_app, lab_home, checker):
    from lab.tui.screens.confirm import Confirm

    app = ex_app()
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await open_screen(pilot)
        path = learner_file(lab_home)
        await edit_then_change_on_disk(pilot, screen, lab_home)
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), 5)
        await pilot.press("n")  # cancel: both stay as they are
        await pilot.pause()
        assert path.read_text() == OUTSIDE and screen.editor.text == SOLVED
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: isinstance(app.screen, Confirm), 5)
        await pilot.press("y")  # save mine: theirs is kept beside it
        await wait_until(pilot, lambda: not screen.checking and checker.sources, 10)
        assert path.read_text() == SOLVED
        [kept] = path.parent.glob("ex-mean.bak-*.py")
        assert kept.read_text() == OUTSIDE


async def test_leaving_keeps_a_change_made_elsewhere_aside(ex_app, lab_home, checker):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await edit_then_change_on_disk(pilot, screen, lab_home)
        await pilot.press("escape", "escape")  # out of the editor, then back: it saves
        await wait_until(pilot, lambda: app.screen is not screen, 5)
    path = learner_file(lab_home)
    assert path.read_text() == SOLVED
    [kept] = path.parent.glob("ex-mean.bak-*.py")
    assert kept.read_text() == OUTSIDE


class LongResult(base.FakeChecker):
    """Three failed checks whose messages wrap: more than the result's rows at 80x24."""

    def check(self, exercise, path, source=None) -> Result:
        self.sources.append(path.read_text())
        why = "returned 1.0, expected 1.93333: the new w is w - lr * gradient, " * 2
        return Result(checks=[CheckOutcome(f"mean(case {n})", False, why) for n in range(3)])


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
async def test_a_result_taller_than_its_rows_says_so_and_m_scrolls_it(ex_catalog, store, size):
    from lab.tui.app import make_app

    app = make_app(ex_catalog, store=store, target="ex-mean", prewarm=False, checker=LongResult())
    async with app.run_test(size=size) as pilot:
        screen = await open_screen(pilot)
        more = screen.query_one("#ex-more")
        await pilot.press("ctrl+s")
        await wait_until(pilot, lambda: more.display, 10, "the line under the result")
        assert "more lines of the result: m" in str(more.render())
        assert more.region.bottom <= screen.query_one("LabFooter").region.y  # on the screen
        result = screen.query_one("#ex-result")
        await pilot.press("m")
        await pilot.pause()
        assert result.scroll_y > 0
        while "back to the top" not in str(more.render()):
            await pilot.press("m")
            await pilot.pause()
        assert result.scroll_y == result.max_scroll_y  # the last check's message is in sight
        await pilot.press("m")
        await pilot.pause()
        assert result.scroll_y == 0
        # while editing, the task keeps more than a line (its examples), the hint its key
        await pilot.press("e")
        await pilot.pause()
        assert screen.query_one("#ex-task").size.height >= 4
        assert "escape, then m" in str(more.render())


async def test_quitting_with_edits_not_saved_saves_them(ex_app, lab_home):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("e", *"# mine")
        assert screen.unsaved
    assert learner_file(lab_home).read_text().startswith("# mine")


async def test_enter_in_the_editor_keeps_the_indent_and_opens_a_block_after_a_colon(ex_app):
    app = ex_app()
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_screen(pilot)
        await pilot.press("e")
        screen.editor.text = "def mean(xs):"
        screen.editor.cursor_location = (0, len("def mean(xs):"))
        await pilot.press("enter", *"total = 0", "enter", *"for x in xs:", "enter", *"total += x")
        await pilot.press("enter", "ctrl+z")
        assert screen.editor.text == (
            "def mean(xs):\n    total = 0\n    for x in xs:\n        total += x"
        )
