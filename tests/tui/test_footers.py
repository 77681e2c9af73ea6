"""Every screen's footer, read as the terminal shows it, at 60x20 and 80x24: each key it shows
is whole (no `q Qu`), `?` (help, which lists the rest) stays, and a modal's footer names its
own keys, not those of the screen under it."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from lab.catalog import load_catalog
from lab.tui.app import make_app
from lab.tui.screens.confirm import Confirm
from lab.tui.screens.pick import PickScreen
from lab.tui.screens.predict import PredictScreen
from lab.tui.widgets.footer import LabFooter, kept_keys
from tests.fake_worker import Workers
from tests.tui.pilot import wait_until
from tests.tui.test_exercise import FakeChecker

SIZES = [(60, 20), (80, 24)]


def footer_row(app) -> str:
    """The bottom row of the terminal, as the app draws it."""
    return app.screen._compositor.render_strips()[-1].text


def assert_whole_keys(app, where: str) -> list[str]:
    """The footer row holds exactly the shown keys, each whole, then at most the palette's."""
    footer = app.screen.query_one(LabFooter)
    shown = footer.shown_keys
    labels = [key.render().plain for key in shown if not key.has_class("-command-palette")]
    row = footer_row(app)
    assert labels, f"{where}: no key in the footer: {row!r}"
    keys = "".join(labels)
    assert row.startswith(keys), f"{where}: {row!r} is not {keys!r}"
    palette = [key.render().plain.strip() for key in shown if key.has_class("-command-palette")]
    rest = row[len(keys) :].strip()
    assert rest in ("", *(f"▏ {p}" for p in palette)), f"{where}: {row!r} ends in {rest!r}"
    assert len(row) <= app.size.width
    return labels


async def settle(pilot) -> None:
    """Until the screen's footer has laid its keys out on the bottom row (a few frames after the
    screen)."""
    app = pilot.app

    def laid_out() -> bool:
        footers = app.screen.query(LabFooter)
        shown = footers.first().shown_keys if footers else []
        return bool(shown) and footer_row(app).startswith(shown[0].render().plain)

    await wait_until(pilot, laid_out, 10, "the footer")
    await pilot.pause()


@pytest.mark.parametrize("size", SIZES)
async def test_every_screen_footer_shows_whole_keys(store, shipped_lessons, size):
    # the footers are the point: no checker process (torch imported) for the exercise screen
    app = make_app(
        load_catalog(), store=store, prewarm=False, checker=FakeChecker(), run_workers=Workers()
    )
    async with app.run_test(size=size) as pilot:
        await settle(pilot)
        assert " ? Help" in assert_whole_keys(app, "home")
        for name, open_screen in [
            ("lesson", lambda: app.open_lesson("linear-regression")),
            ("lesson without experiments", lambda: app.open_lesson("what-is-ml")),
            ("lesson with exercises", lambda: app.open_lesson("convolutional-networks")),
            ("glossary", app.action_glossary),
            ("quiz", lambda: app.open_quiz("linear-regression")),
            ("flashcards", app.open_flashcards),
            ("exercise", lambda: app.open_exercise("ex-train-loop")),
            ("help", app.action_help),
            ("a CNN's experiment", lambda: app.open_experiment("digits-cnn")),
            ("experiment", lambda: app.open_experiment("linear-regression")),
        ]:
            while len(app.screen_stack) > 1:
                app.pop_screen()
            open_screen()
            await settle(pilot)
            if name == "glossary":
                app.screen.set_focus(None)  # typing in the search box hides ? and q
                await settle(pilot)
            labels = assert_whole_keys(app, f"{name} at {size}")
            # typed into a text box, ? and q are text; on help, ? closes it as escape does
            if name != "help" and not isinstance(app.focused, Input):
                assert any(label.startswith(" ? ") for label in labels), f"{name}: {labels}"
                assert any(label.startswith(" q ") for label in labels), f"{name}: {labels}"
        experiment = app.screen
        await pilot.press("r")  # its first run asks the prediction first
        await wait_until(pilot, lambda: isinstance(app.screen, PredictScreen), 30)
        await settle(pilot)
        labels = assert_whole_keys(app, f"predict at {size}")
        assert labels == [" esc Skip, just run"], "the keys of the question, not the run's"
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is experiment, 10)
        app.push_screen(Confirm("A run is going. Stop it and go back?"))
        await settle(pilot)
        assert assert_whole_keys(app, f"confirm at {size}") == [" y Yes", " n No"]
        app.push_screen(PickScreen("Experiments", [("a", "one"), ("b", "two")]))
        await settle(pilot)
        assert assert_whole_keys(app, f"pick at {size}") == [" enter Choose", " esc Back"]


def test_keys_that_do_not_fit_go_palette_first_then_from_the_right():
    widths = [11, 7, 8, 9, 7, 7, 12]  # home at 60: c z f / ? q, then the palette
    always = [False, False, False, False, True, True, False]
    palette = [False] * 6 + [True]
    assert kept_keys(widths, always, palette, 80) == [True] * 7
    assert kept_keys(widths, always, palette, 60) == [True] * 6 + [False]
    assert kept_keys(widths, always, palette, 35) == [True, True, False, False, True, True, False]
    assert kept_keys(widths, always, palette, 10) == [False] * 4 + [True, True, False]
