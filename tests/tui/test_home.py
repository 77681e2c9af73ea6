"""Home screen: the lessons in order with progress; enter opens one, `c` continues."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey

from lab.tui.screens.home import HomeScreen
from lab.tui.screens.lesson import LessonScreen
from lab.tui.screens.quiz import QuizScreen
from tests.tui.pilot import wait_until


async def test_home_lists_lessons(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert isinstance(app.screen, HomeScreen)
        table = app.screen.query_one("#lessons", DataTable)
        assert table.row_count == 1
        assert "Gradient descent, by example" in str(table.get_row_at(0)[1])


FIRST_SCREEN = """
import asyncio, sys
from pathlib import Path
from lab.catalog import load_catalog
from lab.tui.app import make_app

async def main():
    app = make_app(load_catalog([Path(sys.argv[1])]), prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        print(type(app.screen).__name__, "torch" in sys.modules)

asyncio.run(main())
"""


def test_first_screen_appears_without_importing_torch():
    # In a fresh interpreter: other tests in this process may have imported torch.
    fixtures = Path(__file__).resolve().parents[1] / "fixtures" / "good"
    out = subprocess.run(
        [sys.executable, "-c", FIRST_SCREEN, str(fixtures)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["HomeScreen", "False"]


async def test_enter_opens_the_lesson_and_escape_comes_back(make):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("enter")
        assert isinstance(app.screen, LessonScreen)
        assert app.screen.lesson_id == "gd-example"
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_continue_opens_the_next_unfinished_step(make, store):
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        line = app.screen.query_one("#continue")
        said = "Continue (c): read lesson 1 of 1, Gradient descent, by example"
        assert said in str(line.render())
        await pilot.press("c")
        assert isinstance(app.screen, LessonScreen)
        await pilot.press("m", "escape")  # the lesson was read: its quiz is next
        await pilot.pause()
        said = "Continue (c): the quiz of lesson 1 of 1, Gradient descent, by example"
        assert said in str(line.render())
        await pilot.press("c")
        assert isinstance(app.screen, QuizScreen)


async def test_progress_shows_read_and_mastery(make, store, catalog):
    store.mark_read("gd-example")
    store.record_answer("gd-ex-direction", "gd-example", correct=True, answer="1", rating=3)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        row = [str(c) for c in app.screen.query_one("#lessons", DataTable).get_row_at(0)]
        assert row[2] == "✓"
        assert row[3] == "20%"  # one of five questions known


async def test_flashcards_leave_the_quiz_mastery_alone(make, store):
    store.record_answer("term:gradient", "gd-example", correct=True, answer="good", rating=3)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        row = [str(c) for c in app.screen.query_one("#lessons", DataTable).get_row_at(0)]
        assert row[3] == "-", "no question answered yet"


async def test_home_says_how_many_reviews_are_due(make, store):
    from datetime import datetime, timedelta, timezone

    past = datetime.now(timezone.utc) - timedelta(days=30)
    for q in ("gd-ex-direction", "gd-ex-which"):
        store.record_answer(q, "gd-example", correct=True, answer="1", rating=3, reviewed_at=past)
    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert "Reviews: 2 due now (z)" in str(app.screen.query_one("#reviews").render())


async def test_quiz_and_flashcard_keys(make):
    from lab.tui.screens.flashcards import FlashcardsScreen
    from lab.tui.screens.quiz import QuizScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        assert isinstance(app.screen, QuizScreen)
        await pilot.press("escape")
        await pilot.press("f")
        assert isinstance(app.screen, FlashcardsScreen)
        await pilot.press("escape")
        assert isinstance(app.screen, HomeScreen)


async def test_a_short_terminal_keeps_its_rows_for_the_lessons(make):
    app = make()
    async with app.run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert not app.screen.query_one("#lesson-summary").display
        assert app.screen.query_one("#lessons", DataTable).size.height >= 4
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert app.screen.query_one("#lesson-summary").display


async def test_a_narrow_terminal_shortens_titles_not_the_progress(make):
    app = make()
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.pause()
        table = app.screen.query_one("#lessons")
        assert table.virtual_size.width <= table.scrollable_content_region.width
        assert table.columns[ColumnKey("title")].width < 42
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        assert table.columns[ColumnKey("title")].width == 42


@pytest.mark.parametrize(
    "line_id, size, rows",
    [
        (
            "continue",
            (60, 20),
            ["Continue (c): read lesson 1 of 1, Gradient descent, by", "example"],
        ),
        ("reviews", (40, 16), ["Reviews: none yet (a lesson's quiz", "starts them)"]),
    ],
)
async def test_the_lines_over_the_table_wrap_whole_when_narrow(make, line_id, size, rows):
    app = make()
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        line = app.screen.query_one(f"#{line_id}")
        shown = [strip.text.strip() for strip in line.render_lines(line.region.reset_offset)]
        assert shown == rows


async def test_the_counts_under_the_table_wrap_between_counts(make):
    app = make()
    async with app.run_test(size=(40, 16)) as pilot:
        await pilot.pause()
        box = app.screen.query_one("#lesson-summary")
        shown = [strip.text.strip() for strip in box.render_lines(box.region.reset_offset)]
        assert shown[-2:] == ["2 new terms · 5 questions", "2 experiments · 0 exercises"], shown


async def test_a_cut_title_and_the_counts_show_whole_under_the_table(store, shipped_lessons):
    from lab.catalog import load_catalog
    from lab.tui.app import make_app

    catalog = load_catalog()
    row = [lesson.id for lesson in catalog.lessons].index("linear-model")
    number = catalog.lessons[row].order
    app = make_app(catalog, store=store, prewarm=False)
    async with app.run_test(size=(60, 20)) as pilot:
        await pilot.press(*["down"] * row)  # the lesson whose title the table cuts at 60 columns
        await pilot.pause()
        await pilot.pause(0.1)
        box = app.screen.query_one("#lesson-summary")
        shown = [strip.text.rstrip() for strip in box.render_lines(box.region.reset_offset)]
        assert shown[1] == f" {number}. The linear model and its cost", shown
        assert shown[-1].strip().endswith("1 exercise"), "the counts stay on the last row"
        assert shown[-2].endswith("…"), "a summary cut short says so"
        table = app.screen.query_one("#lessons", DataTable)
        assert str(table.get_row_at(row)[1]) == "The linear model and its …", "cut, and says so"
        await pilot.resize_terminal(100, 30)
        await pilot.pause()
        await pilot.pause(0.1)
        shown = [strip.text.rstrip() for strip in box.render_lines(box.region.reset_offset)]
        assert f"{number}. The linear model" not in "\n".join(shown), "a title shown whole"
        assert str(table.get_row_at(row)[1]) == "The linear model and its cost"


async def test_home_warms_the_run_workers_once_it_is_drawn(make):
    """`r` on the first experiment waited for torch's import (4.5-5.4 s at load 1-2) when the
    workers started warming only as the experiment opened."""
    from tests.fake_worker import Workers

    workers = Workers()
    app = make(prewarm=True, run_workers=workers)
    async with app.run_test(size=(80, 24)) as pilot:
        await wait_until(pilot, lambda: isinstance(app.screen, HomeScreen), 10, "home")
        assert workers.warm_ups == []  # the screen first
        # not for a run soon: on a cluster, home holds no allocation
        await wait_until(pilot, lambda: workers.warm_ups == [False], 5, "the warm-up")
