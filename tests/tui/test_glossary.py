"""Glossary: search as you type over names, aliases and translations; see-also; the palette."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from lab.tui.screens.glossary import GlossaryScreen
from lab.tui.screens.home import HomeScreen


def _results(screen) -> list[str]:
    results = screen.query_one("#glossary-results", OptionList)
    return [results.get_option_at_index(i).id for i in range(results.option_count)]


async def test_g_opens_the_glossary_with_every_term(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, GlossaryScreen)
        assert _results(app.screen) == ["gradient", "learning rate"]
        assert isinstance(app.focused, Input)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_slash_searches_from_home(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash")
        assert isinstance(app.screen, GlossaryScreen)
        assert isinstance(app.focused, Input)


async def test_typing_matches_aliases_and_translations(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.press(*"lr")
        assert _results(app.screen)[0] == "learning rate"
        assert app.screen.current.term.term == "learning rate"
        app.screen.query_one(Input).value = "梯度"
        await pilot.pause()
        assert _results(app.screen)[0] == "gradient"
        app.screen.query_one(Input).value = "taux d'apprentissage"
        await pilot.pause()
        assert app.screen.current.term.term == "learning rate"


async def test_definition_shows_translations(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.show_term("gradient")
        await pilot.pause()
        text = str(app.screen.query_one("#glossary-definition").render())
        assert "partial derivatives" in text
        assert "梯度" in text
        assert "français  gradient" in text


async def test_see_also_is_followed_by_keyboard(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        app.show_term("gradient")
        await pilot.pause()
        assert app.focused.id == "glossary-results"  # opened at a term: its list has focus
        await pilot.press("enter")  # results -> see-also
        assert app.focused.id == "see-also"
        await pilot.press("enter")
        assert app.screen.current.term.term == "learning rate"


async def test_command_palette_finds_a_term(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("ctrl+p")
        await pilot.pause()
        await pilot.press(*"learning")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "learning rate"
