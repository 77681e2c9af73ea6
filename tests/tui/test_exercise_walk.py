"""Tests what a learner met on the exercise screen in their second week (walk 3): a save here
never writes silently over a change made to the file elsewhere."""

from __future__ import annotations

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
