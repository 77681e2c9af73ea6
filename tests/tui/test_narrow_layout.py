"""Narrow terminals: the header gives the title its icon's and clock's room (a lesson's place
and title read whole at 80 columns, most at 60), and at 60 columns the experiment's side column
narrows so that the plots keep more than half the width."""

from __future__ import annotations

from lab.catalog import load_catalog
from lab.tui.app import HEADER_ICON
from tests.tui.pilot import app_with_workers, open_experiment


def top_row(app) -> str:
    return app.screen._compositor.render_strips()[0].text.strip()


async def test_lesson_titles_read_whole_in_the_header(store, shipped_lessons):
    catalog = load_catalog()
    longest = max(catalog.lessons, key=lambda lesson: len(lesson.title))
    app = app_with_workers(catalog, store)
    async with app.run_test(size=(80, 24)) as pilot:
        app.open_lesson(longest.id)
        await pilot.pause()
        assert top_row(app).endswith(f"· {longest.title}"), top_row(app)
        app.pop_screen()
        await pilot.resize_terminal(60, 20)
        app.open_lesson("linear-regression")
        await pilot.pause()
        total = len(catalog.lessons)
        number = [lesson.id for lesson in catalog.lessons].index("linear-regression") + 1
        assert top_row(app) == f"lab — lesson {number} of {total} · Linear regression with torch.nn"
        await pilot.resize_terminal(120, 30)
        await pilot.pause()
        assert top_row(app).startswith(HEADER_ICON), "wide terminals keep the header's icon"


async def test_the_experiment_plots_keep_most_of_60_columns(store, shipped_lessons):
    app = app_with_workers(load_catalog(), store)
    async with app.run_test(size=(60, 20)) as pilot:
        screen = await open_experiment(app, pilot, "linear-regression")
        plot = screen.query_one("#loss-plot")
        assert plot.size.width >= 34, plot.size
        await pilot.resize_terminal(80, 24)
        await pilot.pause()
        assert screen.query_one("#exp-side").outer_size.width == 34  # full width at 80 again
