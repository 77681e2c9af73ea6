"""Help: `?` from any screen lists every key; escape or `?` closes it."""

from __future__ import annotations

import pytest

from lab.tui.screens.help import KEYS, HelpScreen


@pytest.mark.parametrize("target", [None, "gd-example", "quiz:gd-example", "flashcards"])
async def test_question_mark_opens_help_everywhere(make, target):
    app = make(target=target)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        before = type(app.screen)
        await pilot.press("question_mark")
        assert isinstance(app.screen, HelpScreen)
        await pilot.press("escape")
        assert type(app.screen) is before


async def test_help_lists_every_key(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("question_mark")
        keys = app.screen.query_one("#help-keys")
        shown = str(keys.render())
        width = keys.content_region.width
        assert all(len(line) <= width for line in shown.splitlines()), "none wraps to column 0"
        text = " ".join(shown.split())
        for _title, rows in KEYS:
            for key, what in rows:
                assert key in text and " ".join(what.split()) in text
        for key in ["?", "escape", "q", "g", "/", "r", "s", "tab", "ctrl+p"]:
            assert key in text
        await pilot.resize_terminal(60, 20)
        await pilot.pause()
        shown = str(keys.render())
        assert all(len(line) <= keys.content_region.width for line in shown.splitlines())
        await pilot.press("question_mark")
        assert not isinstance(app.screen, HelpScreen)
