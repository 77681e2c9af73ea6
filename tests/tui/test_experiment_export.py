"""`x` on the experiment screen: the current settings as a plain PyTorch script, written beside
the learner's exercises, and a notification that says where."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.export import default_path
from lab.tui.widgets.param_form import ParamInput
from tests.tui.pilot import app_with_workers, open_experiment, wait_until

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "good"


@pytest.fixture
def lessons():
    catalog = load_catalog([FIXTURES])
    assert not catalog.problems, catalog.problems
    return catalog


def notes(app) -> list[str]:
    return [str(n.message) for n in app._notifications]


async def test_x_writes_the_script_for_the_current_settings_and_says_where(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        screen.query_one("#param-lr", ParamInput).value = "0.02"  # the experiment has 0.05
        await pilot.pause()
        await pilot.press("x")
        path = default_path("gd-example-fit")
        await wait_until(pilot, lambda: any(str(path) in n for n in notes(app)), 30, "the note")
        text = path.read_text(encoding="utf-8")
        ast.parse(text)
        assert "lr = 0.02\n" in text and "with lr=0.02." in text
        assert "import lab" not in text and "from lab" not in text
        assert path.parent.name == "exports"  # not among the exercise folders
        assert "Run it with `python gd_example_fit.py`" in text
        assert not app.run_in_progress  # exporting trains nothing


async def test_x_on_a_demonstration_says_why_and_writes_nothing(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(app, pilot, "gd-example-sweep")
        await pilot.press("x")
        await wait_until(pilot, lambda: notes(app), 30, "the note")
        assert "is a scripted demonstration" in notes(app)[-1]
        assert not default_path("gd-example-sweep").exists()


async def test_x_with_a_refused_setting_writes_nothing(lessons, store):
    app = app_with_workers(lessons, store)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        screen.query_one("#param-lr", ParamInput).value = "5"
        await pilot.pause()
        await pilot.press("x")
        await pilot.pause()
        assert notes(app) == ["Fix the setting marked in red first."]
        assert not default_path("gd-example-fit").exists()


async def test_x_again_keeps_a_script_the_learner_changed(lessons, store):
    app = app_with_workers(lessons, store)
    path = default_path("gd-example-fit")
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await open_experiment(app, pilot, "gd-example-fit")
        await pilot.press("x")
        await wait_until(pilot, lambda: len(notes(app)) == 1, 30, "the first note")
        await pilot.press("x")  # the same settings: the same script, nothing to keep
        await wait_until(pilot, lambda: len(notes(app)) == 2, 30, "the second note")
        assert list(path.parent.glob("*.bak-*")) == []
        path.write_text(path.read_text(encoding="utf-8") + "# my own notes\n", encoding="utf-8")
        screen.query_one("#param-lr", ParamInput).value = "0.02"
        await pilot.pause()
        await pilot.press("x")
        await wait_until(pilot, lambda: len(notes(app)) == 3, 30, "the third note")
        (kept,) = path.parent.glob("gd_example_fit.bak-*.py")
        assert kept.read_text(encoding="utf-8").endswith("# my own notes\n")
        assert "lr = 0.02\n" in path.read_text(encoding="utf-8")
        assert f"kept as {kept.name}" in notes(app)[-1]


async def test_x_on_ddp_digits_says_to_run_it_with_torchrun(store, shipped_lessons):
    """ddp-digits exports its torchrun script: the note says torchrun, the file is named so."""
    app = app_with_workers(load_catalog(), store)
    async with app.run_test(size=(80, 24)) as pilot:
        await open_experiment(app, pilot, "ddp-digits")
        await pilot.press("x")
        path = default_path("ddp-digits", distributed=True)
        await wait_until(pilot, lambda: any(str(path) in n for n in notes(app)), 30, "the note")
        assert path.name == "ddp_digits_ddp.py"
        assert any(f"run it with: torchrun --nproc_per_node=2 {path}" in n for n in notes(app))
