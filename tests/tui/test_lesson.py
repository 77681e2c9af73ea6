"""Lesson screen: text shown as text, term links, the lesson's terms, quiz and experiments."""

from __future__ import annotations

from textual.widgets import Markdown

from lab.catalog import load_catalog
from lab.tui.app import make_app
from lab.tui.screens.glossary import GlossaryScreen
from lab.tui.screens.lesson import LessonScreen
from lab.tui.screens.pick import PickScreen
from lab.tui.screens.quiz import QuizScreen
from lab.tui.widgets.lesson_text import lesson_markdown, link_terms

HOSTILE = """\
id: hostile
title: "[bold]Markup[/bold] in a title"
order: 1
summary: "[@click=app.quit]summary[/]"
sections:
  - title: Tricks
    body: |
      Literal [bold]not bold[/bold] and [@click=app.quit]click me[/] here.
      A [[gradient]] link and a [[gradient|shown name]].
glossary:
  - term: gradient
    short: The slope.
    definition: Partial derivatives.
"""


def test_links_become_term_links():
    md = link_terms("the [[gradient]] and the [[learning rate|rate]]")
    assert md == "the [gradient](term:gradient) and the [rate](term:learning%20rate)"


def _visible_text(screen) -> str:
    return "\n".join(str(block._content) for block in screen.query("MarkdownBlock"))


async def test_lesson_text_is_never_markup(tmp_path, store):
    (tmp_path / "01-hostile.yaml").write_text(HOSTILE)
    catalog = load_catalog([tmp_path])
    assert not catalog.problems, catalog.problems
    assert "\\[@click=app.quit\\]" in lesson_markdown(catalog.lesson("hostile"))
    app = make_app(catalog, store=store, target="hostile")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        assert isinstance(app.screen, LessonScreen)
        text = _visible_text(app.screen)
        assert "[bold]not bold[/bold]" in text
        assert "[@click=app.quit]click me[/]" in text
        assert "[@click=app.quit]summary[/]" in text
        assert app.screen.sub_title == "1. [bold]Markup[/bold] in a title"
        assert app.is_running


async def test_clicking_a_term_link_opens_it(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        md = app.screen.query_one("#lesson-text", Markdown)
        md.post_message(Markdown.LinkClicked(md, "term:learning%20rate"))
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "learning rate"


async def test_t_lists_the_lessons_terms_by_keyboard(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("t")
        assert isinstance(app.screen, PickScreen)
        await pilot.press("down", "enter")
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "learning rate"
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_reaching_the_end_marks_it_read(make, store):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.8)  # the short lesson fits: it is read once shown
        assert "gd-example" in store.lessons_read()


async def test_m_marks_read(make, store):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("m")
        assert app.screen.read
        assert "gd-example" in store.lessons_read()


async def test_z_opens_the_lessons_quiz(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        assert isinstance(app.screen, QuizScreen)
        assert app.screen.lesson == "gd-example"


async def test_e_offers_the_lessons_experiments(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("e")
        assert isinstance(app.screen, PickScreen)
        assert [i for i, _ in app.screen.items] == ["gd-example-fit", "gd-example-sweep"]
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)


async def test_glossary_search_and_palette_from_a_lesson(make):
    app = make(target="gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("g")
        assert isinstance(app.screen, GlossaryScreen)
        await pilot.press("escape", "slash")
        assert isinstance(app.screen, GlossaryScreen)
        assert app.focused.id == "glossary-search"
        await pilot.press("escape", "ctrl+p")
        await pilot.pause()
        await pilot.press(*"grad")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GlossaryScreen)
        assert app.screen.current.term.term == "gradient"
        await pilot.press("escape")
        assert isinstance(app.screen, LessonScreen)
