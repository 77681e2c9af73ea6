"""Snapshots at 80x24: what a learner sees on home, a lesson, the glossary and a quiz question."""

from __future__ import annotations

SIZE = (80, 24)


def test_home(snap_compare, make):
    """The fixture lesson listed with its (empty) progress and the continue line."""
    assert snap_compare(make(), terminal_size=SIZE)


def test_lesson(snap_compare, make):
    """The gradient descent lesson: summary, its one section with two term links, key bar."""

    async def settle(pilot):
        await pilot.pause(0.3)

    assert snap_compare(make(target="gd-example"), terminal_size=SIZE, run_before=settle)


def test_glossary(snap_compare, make):
    """The glossary at 'gradient': definition, 中文 and français translations, see-also."""

    async def open_term(pilot):
        pilot.app.show_term("gradient")
        await pilot.pause()

    assert snap_compare(make(), terminal_size=SIZE, run_before=open_term)


def test_quiz_question(snap_compare, make):
    """The first question of the lesson's quiz, answered right: feedback and explanation."""

    async def answer(pilot):
        await pilot.pause()
        await pilot.press("2")
        await pilot.pause()

    assert snap_compare(make(target="quiz:gd-example"), terminal_size=SIZE, run_before=answer)
