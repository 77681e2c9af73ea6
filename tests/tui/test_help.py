"""Help: `?` from any screen lists every key; escape or `?` closes it."""

from __future__ import annotations

import importlib
import pkgutil
import re

import pytest
from textual.dom import DOMNode

import lab.tui
from lab.tui.screens.help import KEYS, HelpScreen

SECTION_OF_MODULE = {
    "lab.tui.app": "Everywhere",
    "lab.tui.screens.help": "Everywhere",
    "lab.tui.screens.home": "Home",
    "lab.tui.screens.lesson": "Lesson",
    "lab.tui.screens.exercise": "Exercise",
    "lab.tui.screens.solution": "Exercise",
    "lab.tui.screens.experiment": "Experiment",
    "lab.tui.screens.predict": "Prediction",
    "lab.tui.screens.glossary": "Glossary",
    "lab.tui.screens.pick": "Everywhere",
    "lab.tui.screens.quiz": "Quiz",
    "lab.tui.screens.flashcards": "Flashcards",
}
"""The help section that lists the keys of each module's screens and widgets."""

SAYS_ITS_OWN_KEYS = {"Confirm"}
"""A yes/no question: its buttons name their keys."""


def _bound_keys() -> dict[str, set[str]]:
    """Every key a screen or widget of the lab binds, as the help writes it, per help section."""
    for module in pkgutil.walk_packages(lab.tui.__path__, "lab.tui."):
        importlib.import_module(module.name)
    found: dict[str, set[str]] = {}
    todo = [DOMNode]
    while todo:
        cls = todo.pop()
        todo.extend(cls.__subclasses__())
        bindings = cls.__dict__.get("BINDINGS", [])
        if not cls.__module__.startswith("lab.") or cls.__name__ in SAYS_ITS_OWN_KEYS:
            continue
        section = SECTION_OF_MODULE.get(cls.__module__, f"{cls.__module__} (no section)")
        for binding in bindings:
            for key in binding.key.split(","):
                found.setdefault(section, set()).add(binding.key_display or key)
    return found


def _listed(rows: list[tuple[str, str]]) -> set[str]:
    """The keys in the key column: 'up / down, enter' holds up, down and enter; '1-9' each digit."""
    keys = set()
    for column, _what in rows:
        for word in column.replace(",", " ").split():
            digits = re.fullmatch(r"(\d)-(\d)", word)
            keys |= (
                {str(d) for d in range(int(digits[1]), int(digits[2]) + 1)} if digits else {word}
            )
    return keys


def test_every_key_a_screen_binds_is_in_its_help_section():
    """A binding added to a screen, and not to the help, fails here."""
    listed = {title: _listed(rows) for title, rows in KEYS}
    bound = _bound_keys()
    assert {"Everywhere", "Home", "Lesson", "Experiment", "Quiz"} <= set(bound)
    missing = {
        section: sorted(keys - listed.get(section, set()) - listed["Everywhere"])
        for section, keys in bound.items()
    }
    assert not {section: keys for section, keys in missing.items() if keys}


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


async def test_help_shows_every_row_unwrapped_at_80_and_60_columns(make):
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
