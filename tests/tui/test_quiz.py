"""Quiz: all five kinds by keyboard, feedback with the explanation, each answer stored at once."""

from __future__ import annotations

import pytest
from textual.widgets import Input

from lab.tui.screens.flashcards import FlashcardsScreen
from lab.tui.screens.quiz import ChoiceBoxes, QuizScreen
from lab.tui.widgets.footer import LabFooter

IDS = ["gd-ex-direction", "gd-ex-which", "gd-ex-always", "gd-ex-iters", "gd-ex-name"]


def _feedback(app) -> str:
    return str(app.screen.query_one("#quiz-feedback").render())


async def _saved(app, pilot) -> None:
    """Answers are saved on a thread: wait for them."""
    await app.workers.wait_for_complete()
    await pilot.pause()


def _order(app) -> list[str]:
    return [qid for _, qid in app.screen.session.queue]


async def _kind(pilot, app) -> str:
    await pilot.pause()
    return app.screen.question.kind


async def test_every_kind_answered_by_keyboard_and_stored(make, store):
    app = make(target="quiz:gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, QuizScreen)
        assert _order(app) == IDS
        # single: the second choice, by number
        assert await _kind(pilot, app) == "single"
        await pilot.press("2")
        assert "Right." in _feedback(app)
        assert "stepping against it" in _feedback(app)  # the explanation
        await _saved(app, pilot)
        assert len(store.reviews()) == 1  # stored the moment it was given
        await pilot.press("enter")  # the Next button
        # multiple: tick 1 and 3 with space, then enter checks
        assert await _kind(pilot, app) == "multiple"
        await pilot.press("space", "down", "down", "space", "enter")
        assert app.screen.query_one(ChoiceBoxes).disabled
        assert "Right." in _feedback(app)
        await pilot.press("enter")
        # true/false: t (wrong)
        assert await _kind(pilot, app) == "true_false"
        await pilot.press("t")
        assert "Not quite. The answer is: false" in _feedback(app)
        await pilot.press("enter")
        # numeric
        assert await _kind(pilot, app) == "numeric"
        assert isinstance(app.focused, Input)
        await pilot.press(*"600", "enter")
        assert "Right." in _feedback(app)
        await pilot.press("enter")
        # text
        assert await _kind(pilot, app) == "text"
        await pilot.press(*"Learning  Rate", "enter")
        assert "Right." in _feedback(app)
        await pilot.press("enter")
        await pilot.pause()
        await _saved(app, pilot)
        summary = str(app.screen.query_one("#quiz-summary").render())
        assert "Done: 4 of 5 right (80%)" in summary
        assert "A higher learning rate always trains faster." in summary
    log = store.reviews()
    assert [r["question_id"] for r in log] == [
        "gd-ex-direction",
        "gd-ex-which",
        "gd-ex-always",
        "gd-ex-iters",
        "gd-ex-name",
    ]
    assert [r["correct"] for r in log] == [True, True, False, True, True]


async def test_a_bad_number_asks_again(make, store):
    app = make(target="quiz:gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        app.screen.session.position = 3
        await app.screen.show_question()
        await pilot.pause()
        await pilot.press(*"lots", "enter")
        assert not app.screen.answered
        assert store.reviews() == []


async def test_nothing_due_offers_practice(make, store):
    for q in ["gd-ex-direction", "gd-ex-which", "gd-ex-always", "gd-ex-iters", "gd-ex-name"]:
        store.record_answer(q, "gd-example", correct=True, answer="x", rating=3)
    app = make(target="quiz")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        assert _order(app) == []
        assert "p to practise" in str(app.screen.query_one("#quiz-summary").render())
        await pilot.press("p")
        await pilot.pause()
        assert len(_order(app)) == 5


async def test_quiz_works_without_a_store(catalog):
    from lab.tui.app import LabApp

    app = LabApp(catalog, store=None, target="quiz:gd-example", store_error="read-only")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("2")
        assert "Right." in _feedback(app)


async def test_flashcards_reveal_and_grade(make, store):
    app = make(target="flashcards")
    async with app.run_test(size=(80, 24)) as pilot:
        assert isinstance(app.screen, FlashcardsScreen)
        assert [c.card_id for c in app.screen.deck] == ["term:gradient", "term:learning rate"]
        assert not app.screen.query_one("#card-grades").display
        head = str(app.screen.query_one("#card-head").render())
        assert head.endswith("·  1. Gradient descent, by example"), "the lesson, not its id"
        await pilot.press("space")
        assert "partial derivatives" in str(app.screen.query_one("#card-definition").render())
        assert str(app.screen.query_one("#grade-good").label) == "3 good 10m"
        assert str(app.screen.query_one("#grade-easy").label) == "4 easy 8d"
        await pilot.pause()
        grades, footer = app.screen.query_one("#card-grades"), app.screen.query_one(LabFooter)
        assert grades.region.bottom <= footer.region.y, "the footer hides no part of a button"
        await pilot.press("4")  # easy
        await pilot.press("space", "1")  # again: it comes back in this session
        await pilot.pause()
        assert "learning rate" in str(app.screen.query_one("#card-term").render())
        await pilot.press("space", "3")
        await pilot.pause()
        assert "No cards left" in str(app.screen.query_one("#card-term").render())
        await _saved(app, pilot)
    assert [(r["question_id"], r["rating"]) for r in store.reviews()] == [
        ("term:gradient", 4),
        ("term:learning rate", 1),
        ("term:learning rate", 3),
    ]


async def test_a_second_session_holding_the_write_lock_never_freezes_the_quiz(make, store):
    """The save waits on a thread for the other session (busy timeout 15 s); the screen moves on."""
    import sqlite3
    import time

    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # another lab session is writing
    app = make(target="quiz:gd-example")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            started = time.monotonic()
            await pilot.press("2")
            assert "Right." in _feedback(app)
            await pilot.press("enter")
            assert await _kind(pilot, app) == "multiple"
            assert time.monotonic() - started < 5, "the screen did not wait for the database"
            assert store.reviews() == [], "still waiting for the lock"
            other.execute("ROLLBACK")
            await _saved(app, pilot)
            assert [r["question_id"] for r in store.reviews()] == ["gd-ex-direction"]
    finally:
        other.close()


async def test_progress_changed_reaches_home_while_the_quiz_is_on_top(make, store):
    from textual.widgets import DataTable

    from lab.tui.screens.home import HomeScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        home = app.screen
        assert isinstance(home, HomeScreen)
        assert "none yet" in str(home.query_one("#reviews").render())
        app.open_quiz("gd-example")
        await pilot.pause()
        await pilot.press("2")
        await _saved(app, pilot)
        assert isinstance(app.screen, QuizScreen), "home refreshed under the quiz"
        row = [str(c) for c in home.query_one("#lessons", DataTable).get_row_at(0)]
        assert row[3] == "20%"
        assert "none due; the next at" in str(home.query_one("#reviews").render())


LONG_CHOICES = [
    "A learning rate far too large for the curvature of the loss surface here",
    "Zeroing the gradients of every parameter before each backward pass",
    "Inputs that were never normalised with some features in the thousands",
]


def _long_choice_catalog(tmp_path):
    from pathlib import Path

    from lab.catalog import load_catalog

    source = Path(__file__).resolve().parents[1] / "fixtures" / "good" / "01-gradient-descent.yaml"
    text = source.read_text().replace(
        "choices: [A learning rate far too large, Zeroing gradients every step, Exploding inputs]",
        "choices: [" + ", ".join(LONG_CHOICES) + "]",
    )
    assert LONG_CHOICES[0] in text
    (tmp_path / "01-gradient-descent.yaml").write_text(text)
    return load_catalog([tmp_path])


def _lines(widget) -> list[str]:
    from textual.geometry import Region

    region = Region(0, 0, *widget.outer_size)
    return [strip.text.rstrip() for strip in widget.render_lines(region)]


@pytest.mark.parametrize("width", [80, 60])
async def test_multiple_choice_wraps_and_ticks_read_without_colour(tmp_path, store, width):
    from lab.tui.app import make_app

    app = make_app(_long_choice_catalog(tmp_path), store=store, target="quiz:gd-example")
    app.prewarm = False
    async with app.run_test(size=(width, 24)) as pilot:
        await pilot.pause()
        app.screen.session.position = 1
        await app.screen.show_question()
        await pilot.pause()
        await pilot.press("space", "down", "down", "space")  # tick 1 and 3
        await pilot.pause()
        boxes = app.screen.query_one(ChoiceBoxes)
        text = "\n".join(_lines(boxes))
        assert "…" not in text
        words = " ".join(text.replace("▊", " ").replace("▎", " ").split())
        for n, choice in enumerate(LONG_CHOICES, start=1):
            box = "[ ]" if n == 2 else "[x]"
            assert f"{box} {n}. {choice}" in words, words
        assert max(len(line) for line in text.splitlines()) <= width
        await pilot.press("enter")  # enter checks; it does not toggle
        assert boxes.ticked == {0, 2}
        assert "Right." in _feedback(app)


async def test_o_says_i_was_right_after_a_wrong_text_answer(make, store):
    app = make(target="quiz:gd-example")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.session.position = 4
        await app.screen.show_question()
        await pilot.pause()
        await pilot.press(*"step size", "enter")
        assert "Not quite" in _feedback(app) and "o: I was right" in _feedback(app)
        await pilot.press("o")
        assert "Counted as right" in _feedback(app) and "I was right  ·" not in _feedback(app)
        await _saved(app, pilot)
        await pilot.press("enter")
        await _saved(app, pilot)
        assert "Done: 1 of 1 right" in str(app.screen.query_one("#quiz-summary").render())
    [review] = store.reviews()
    assert review["correct"] and review["overruled"] and review["answer"] == "step size"
    assert store.card("gd-ex-name").last_correct


async def test_the_summary_lists_missed_prompts_whole(tmp_path, store):
    from pathlib import Path

    from lab.catalog import load_catalog
    from lab.tui.app import make_app

    source = Path(__file__).resolve().parents[1] / "fixtures" / "good" / "01-gradient-descent.yaml"
    prompt = (
        "A higher learning rate always trains faster, whatever the model and whatever the "
        "data set you train it on."
    )
    text = source.read_text().replace(
        "prompt: A higher learning rate always trains faster.",
        "prompt: |\n      A higher learning rate always trains faster, whatever the model\n"
        "      and whatever the data set you train it on.",
    )
    (tmp_path / "01-gradient-descent.yaml").write_text(text)
    app = make_app(load_catalog([tmp_path]), store=store, target="quiz:gd-example", prewarm=False)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        app.screen.session.position = 2
        await app.screen.show_question()
        await pilot.pause()
        await pilot.press("t")  # wrong
        app.screen.session.position = len(app.screen.session.queue)
        await pilot.press("enter")
        await _saved(app, pilot)
        summary = app.screen.query_one("#quiz-summary")
        shown = " ".join(str(summary.render()).split())
        assert f"To look at again: - {prompt}" in shown
        assert summary.size.width <= 80


async def test_z_asks_lessons_read_and_l_takes_any_lesson(make, store):
    from lab.tui.screens.pick import PickScreen

    app = make()
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("z")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen) and _order(app) == []
        summary = str(app.screen.query_one("#quiz-summary").render())
        assert "no new questions from the lessons you have read" in summary
        await pilot.press("l")
        await pilot.pause()
        assert isinstance(app.screen, PickScreen)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, QuizScreen) and _order(app) == IDS
        head = str(app.screen.query_one("#quiz-head").render())
        assert head.startswith("question 1 of 5  ·  1. Gradient descent, by example  ·"), head
        await pilot.press("escape")
        store.mark_read("gd-example")
        await pilot.press("z")
        await pilot.pause()
        assert _order(app) == IDS, "new questions of a lesson read"


async def test_v_adds_reverse_cards(make, store):
    app = make(target="flashcards")
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press("v")
        await pilot.pause()
        assert "term:gradient|zh" in [c.card_id for c in app.screen.deck]
        app.screen.session.position = 2
        app.screen._show()
        assert "中文: 梯度" in str(app.screen.query_one("#card-term").render())
        await pilot.press("space")
        assert "gradient" in str(app.screen.query_one("#card-definition").render())
        await pilot.press("3")
        await _saved(app, pilot)
    assert [r["question_id"] for r in store.reviews()] == ["term:gradient|zh"]


async def test_flashcards_move_on_while_another_session_holds_the_write_lock(make, store):
    import sqlite3

    other = sqlite3.connect(store.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    app = make(target="flashcards")
    try:
        async with app.run_test(size=(80, 24)) as pilot:
            await pilot.pause()
            await pilot.press("space", "3")
            await pilot.pause()
            assert "learning rate" in str(app.screen.query_one("#card-term").render())
            assert store.reviews() == []
            other.execute("ROLLBACK")
            await _saved(app, pilot)
            assert [r["question_id"] for r in store.reviews()] == ["term:gradient"]
    finally:
        other.close()


@pytest.mark.parametrize("target", ["quiz:gd-example", "flashcards"])
async def test_a_save_that_fails_is_said_in_one_line_and_the_screen_goes_on(
    make, store, monkeypatch, target
):
    from lab.store.files import StoreError

    def full_disk(*args, **kwargs):
        raise StoreError("the disk is full")

    monkeypatch.setattr(store, "record_answer", full_disk)
    app = make(target=target)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause()
        await pilot.press(*(("2",) if target.startswith("quiz") else ("space", "3")))
        await _saved(app, pilot)
        said = [n.message for n in app._notifications]
        what = "Could not save the answer" if target.startswith("quiz") else "Could not save"
        assert said == [f"{what}: the disk is full"]
    assert store.reviews() == []
