"""Glossary: search as you type over names, aliases and translations; see-also; the palette."""

from __future__ import annotations

from textual.widgets import Input, OptionList

from lab.tui.screens.glossary import GlossaryScreen
from lab.tui.screens.home import HomeScreen
from tests.tui.pilot import palette_choose


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
        await palette_choose(pilot, "learning", "term: learning rate")
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "learning rate"


async def test_nothing_matching_says_so_before_the_suggestions(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g", *"xyzzy")
        await pilot.pause()
        nomatch = app.screen.query_one("#glossary-nomatch")
        assert nomatch.display and "no term matches 'xyzzy'" in str(nomatch.render())
        assert _results(app.screen), "suggestions follow"
        app.screen.query_one(Input).value = "gradient"
        await pilot.pause()
        assert not nomatch.display


async def test_each_term_is_one_line_and_its_lesson_has_number_and_title(store, shipped_lessons):
    from lab.catalog import load_catalog
    from lab.tui.app import make_app

    catalog = load_catalog()
    app = make_app(catalog, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        await pilot.pause()
        results = app.screen.query_one("#glossary-results", OptionList)
        longest = max(len(e.term.term) for e in catalog.terms())
        assert longest <= results.content_region.width, "at 80 columns every term fits"
        app.screen.query_one("#glossary-list").styles.width = 16  # and where one does not:
        await pilot.pause()
        wrapped = [catalog.terms()[i].term.term for i, line in results._lines if line > 0]
        assert not wrapped, f"every term on one line: {wrapped}"
        app.show_term("gradient")
        await pilot.pause()
        text = str(app.screen.query_one("#glossary-definition").render())
        lesson = catalog.lesson(catalog.term("gradient").lesson)
        assert f"lesson: {lesson.order}. {lesson.title}" in text
        assert "`" not in text, "backticks render as code"


async def test_the_palette_finds_lessons_experiments_and_commands(store, shipped_lessons):
    from lab.catalog import load_catalog
    from lab.tui.app import make_app
    from lab.tui.commands import LabCommands
    from lab.tui.screens.experiment import ExperimentScreen
    from lab.tui.screens.lesson import LessonScreen

    app = make_app(load_catalog(), store=store, prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        places = {text: help_text for text, _, help_text, _ in LabCommands(app.screen)._places()}
        where = places["experiment: Push the learning rate until training diverges (gd-diverge)"]
        assert where == "in lesson 5. Gradient descent", "the lesson by number and title"
        for query, hit, screen, check in (
            ("tensors", "(tensors)", LessonScreen, lambda s: s.lesson_id.endswith("tensors")),
            ("digits cnn", "cnn", ExperimentScreen, lambda s: "cnn" in s.entry.experiment.id),
            ("glossary", "glossary:", GlossaryScreen, lambda s: True),
        ):
            await palette_choose(pilot, query, hit)
            assert isinstance(app.screen, screen), (query, app.screen)
            assert check(app.screen), query
            await pilot.press("escape")
            await pilot.pause()


async def test_ctrl_c_in_the_search_box_names_ctrl_q(make):
    """q types into the box (`lrq`): the key to name there is ctrl+q, which quits."""
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("slash", *"lr", "ctrl+c")
        await pilot.pause()
        assert [n.message for n in app._notifications] == ["Press ctrl+q to quit."]
        assert app.check_action("quit_lab", ()) is False  # the footer offers no q there
        await pilot.press("tab")  # the results list: q is a key again
        await pilot.press("ctrl+c")
        await pilot.pause()
        assert [n.message for n in app._notifications][-1] == "Press q to quit."


async def test_the_palette_help_lines_wrap_where_the_terminal_wraps(store, shipped_lessons):
    """A lesson's summary keeps no line break of its YAML file ("learn a mapping from" /
    "hand-made features, ..." at 80 columns)."""
    from lab.catalog import load_catalog
    from lab.tui.app import make_app
    from lab.tui.commands import LabCommands

    catalog = load_catalog()
    assert any("\n" in lesson.summary.strip() for lesson in catalog.lessons)
    app = make_app(catalog, store=store, prewarm=False)
    async with app.run_test(size=(80, 24)):
        helps = [help_text for _, _, help_text, _ in LabCommands(app.screen)._places()]
        assert not [h for h in helps if "\n" in h]
