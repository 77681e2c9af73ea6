"""The yes/no question shows which button has focus in its text, so without colour too."""

from __future__ import annotations

from textual.app import App

from lab.tui.screens.confirm import Confirm


def button_row(app) -> str:
    rows = [strip.text for strip in app.screen._compositor.render_strips()]
    return next(row for row in rows if "Stop, go back" in row)


async def test_the_focused_button_is_marked_without_colour(monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    answers = []
    app = App()
    async with app.run_test(size=(80, 24)) as pilot:
        app.push_screen(
            Confirm("A run is going. Stop it and go back?", "Stop, go back", "Keep running"),
            answers.append,
        )
        await pilot.pause()
        row = button_row(app)
        assert "> Keep running <" in row and "> Stop, go back <" not in row, row
        await pilot.press("shift+tab")
        await pilot.pause()
        row = button_row(app)
        assert "> Stop, go back <" in row and "> Keep running <" not in row, row
        await pilot.press("enter")  # enter presses the button marked
        await pilot.pause()
    assert answers == [True]
