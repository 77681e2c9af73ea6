"""Scheduling: due questions first (most overdue first), then new ones; sessions store each answer."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from fsrs import Rating

from lab.quiz import scheduler
from lab.quiz.session import FlashcardSession, QuizSession
from lab.store import Store, StoreError, recall

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
IDS = ["gd-ex-direction", "gd-ex-which", "gd-ex-always", "gd-ex-iters", "gd-ex-name"]


def test_ratings():
    assert scheduler.rating_for(True) == Rating.Good
    assert scheduler.rating_for(False) == Rating.Again
    assert [scheduler.GRADES[g] for g in ("again", "hard", "good", "easy")] == list(Rating)


def test_new_questions_come_in_teaching_order(catalog):
    with Store.open() as store:
        order = scheduler.order_questions(catalog, store, "gd-example", T0)
    assert order == [("gd-example", q) for q in IDS]


def test_due_first_then_new_and_not_yet_due_left_out(catalog):
    with Store.open() as store:
        store.record_answer("gd-ex-iters", "gd-example", True, "600", 3, T0 - timedelta(days=3))
        store.record_answer("gd-ex-which", "gd-example", False, "0", 1, T0 - timedelta(days=2))
        store.record_answer("gd-ex-name", "gd-example", True, "lr", 3, T0 - timedelta(seconds=5))
        due = [q for _, q in scheduler.order_questions(catalog, store, None, T0)]
        assert due == ["gd-ex-iters", "gd-ex-which"], "new ones only from lessons read"
        anyway = scheduler.order_questions(catalog, store, None, T0, unread=True)
        store.mark_read("gd-example")
        order = [q for _, q in scheduler.order_questions(catalog, store, None, T0)]
        assert order == ["gd-ex-iters", "gd-ex-which", "gd-ex-direction", "gd-ex-always"]
        assert [q for _, q in anyway] == order
        assert store.due(T0) == ["gd-ex-iters", "gd-ex-which"]
        practice = [q for _, q in scheduler.order_questions(catalog, store, None, T0, True)]
        assert practice == order + ["gd-ex-name"]
        assert scheduler.order_questions(catalog, store, "no-such-lesson", T0) == []


def test_a_right_answer_waits_longer_than_a_wrong_one():
    card = recall.new_card("q")
    right = recall.review(card, Rating.Good, T0)
    wrong = recall.review(card, Rating.Again, T0)
    assert right.due > wrong.due > T0
    again = recall.review(
        recall.review(right, Rating.Good, right.due), Rating.Good, T0 + timedelta(days=1)
    )
    assert again.due - T0 > timedelta(days=1)
    rebuilt = recall.rebuild("q", [(Rating.Good, T0)])
    assert rebuilt.due == right.due and rebuilt.card_id == recall.card_id("q")


def test_a_session_stores_each_answer_at_once_and_sums_up(catalog):
    clock = [T0]
    with Store.open() as store:
        session = QuizSession(catalog, store, "gd-example", clock=lambda: clock[0])
        assert session.total == 5 and session.current.id == "gd-ex-direction"
        out = session.answer_text("2")
        assert out.correct and out.stored and out.due > T0
        assert store.review_count() == 1, "stored the moment it is given"
        assert not session.answer_text("1").correct  # multiple: wrong
        assert store.card("gd-ex-which").last_correct is False
        session.answer(False)
        session.answer(600)
        session.answer("lr")
        assert session.current is None
        summary = session.summary()
        assert (summary.asked, summary.right, summary.wrong, summary.unsaved) == (5, 4, 1, 0)
        assert summary.missed == ["gd-ex-which"] and summary.due_left == 0
        assert "4 of 5 right" in summary.describe()
        clock[0] = T0 + timedelta(hours=1)
        later = QuizSession(catalog, store, "gd-example", clock=lambda: clock[0])
        assert later.current.id == "gd-ex-which", "the missed one comes back first"


def test_a_session_without_a_store_still_quizzes(catalog):
    session = QuizSession(catalog, None, "gd-example")
    out = session.answer_text("2")
    assert out.correct and not out.stored
    assert session.summary().unsaved == 0


def test_flashcards_are_graded_and_stored_as_term_cards(catalog):
    with Store.open() as store:
        clock = iter(T0 + timedelta(seconds=n) for n in range(100))
        cards = FlashcardSession(catalog, store, "gd-example", clock=lambda: next(clock))
        assert [c.card_id for c in cards.queue] == ["term:gradient", "term:learning rate"]
        assert cards.current.term.term == "gradient"
        assert cards.intervals() == {"again": "1m", "hard": "6m", "good": "10m", "easy": "8d"}
        assert cards.grade("good")
        cards.grade("again")
        assert cards.current.term.term == "learning rate", "again: it comes back this session"
        assert cards.intervals()["good"] == "10m" and cards.intervals()["again"] == "1m"
        cards.grade("good")
        assert cards.current is None
        assert store.card("term:gradient").last_correct
        assert [r["answer"] for r in store.reviews("term:learning rate")] == ["again", "good"]
        assert store.due(T0 + timedelta(minutes=5), terms=True) == []
        assert store.due(T0 + timedelta(minutes=15), terms=True) == [
            "term:gradient",
            "term:learning rate",
        ]
        assert store.due(T0 + timedelta(days=5)) == [], "flashcards are not questions"


def test_a_full_disk_mid_quiz_keeps_the_quiz_going_and_says_so(catalog):
    with Store.open() as store:
        session = QuizSession(catalog, store, "gd-example", clock=lambda: T0)
        assert session.answer_text("2").stored
        pages = store._conn.execute("PRAGMA page_count").fetchone()[0]
        store._conn.execute(f"PRAGMA max_page_count = {pages}")
        filled = 0
        for size in (300, 10, 0):  # fill what room is left, to the last byte: the disk is full
            with pytest.raises(StoreError, match="full"):
                for i in range(10_000):
                    store.record_answer(f"filler-{size}-{i}", "other", True, "x" * size, 3, T0)
                    filled += 1
        outcomes = [session.answer_text(a) for a in ("1,3", "f", "600", "lr")]
        assert all(o.correct for o in outcomes)
        assert not any(o.stored for o in outcomes)
        assert "full" in session.store_error and "\n" not in session.store_error
        summary = session.summary()
        assert (summary.asked, summary.right, summary.unsaved) == (5, 5, 4)
        assert "4 answers could not be saved" in summary.describe()
        assert store.integrity_check() == "ok"
        assert store.review_count() == 1 + filled


def test_a_text_answer_marked_wrong_can_be_overruled_before_or_after_it_is_saved(catalog):
    with Store.open() as store:
        session = QuizSession(catalog, store, "gd-example", clock=lambda: T0)
        session.position = 4  # the text question
        saved = session.answer_text("step size")
        assert not saved.correct and saved.can_overrule and saved.stored
        assert session.overrule(saved) and saved.correct and saved.overruled
        session.position = 4
        pending = session.grade("the step")
        session.overrule(pending)  # the learner is quicker than the save
        assert session.save(pending)
        log = store.reviews("gd-ex-name")
        assert [(r["correct"], r["overruled"]) for r in log] == [(True, True), (True, True)]
        assert session.summary().right == 2
        session.position = 0
        with pytest.raises(ValueError):
            session.overrule(session.answer_text("1"))  # a choice cannot be overruled
