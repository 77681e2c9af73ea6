"""What the global quiz and the flashcards start with: due first, then the lessons read."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.quiz import scheduler
from lab.quiz.session import FlashcardSession, QuizSession
from lab.store import Store

GOOD = Path(__file__).parents[1] / "fixtures" / "good"
T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
SECOND = """
id: second
title: Epochs
order: 2
summary: One pass over the data.
sections:
  - title: Epochs
    body: An [[epoch]] is one pass.
glossary:
  - term: epoch
    short: One pass over the training set.
    definition: Every sample seen once.
    translations: {zh: 轮次}
quiz:
  - id: second-q
    kind: true_false
    prompt: An epoch sees every sample once.
    answer: true
    explanation: That is what an epoch is.
"""


@pytest.fixture
def two_lessons(tmp_path):
    (tmp_path / "02-second.yaml").write_text(SECOND)
    catalog = load_catalog([GOOD, tmp_path])
    assert [x.id for x in catalog.lessons] == ["gd-example", "second"], catalog.problems
    return catalog


def test_the_global_quiz_asks_due_ones_then_new_ones_of_lessons_read(two_lessons):
    with Store.open() as store:
        assert QuizSession(two_lessons, store, clock=lambda: T0).total == 0, "nothing read yet"
        store.mark_read("second")
        session = QuizSession(two_lessons, store, clock=lambda: T0)
        assert [q for _, q in session.queue] == ["second-q"]
        store.record_answer("gd-ex-iters", "gd-example", True, "600", 3, T0 - timedelta(days=9))
        session = QuizSession(two_lessons, store, clock=lambda: T0)
        assert [q for _, q in session.queue] == ["gd-ex-iters", "second-q"], "due ones from any"
        anyway = QuizSession(two_lessons, store, unread=True, clock=lambda: T0)
        assert anyway.total == 6
        one = QuizSession(two_lessons, store, "gd-example", clock=lambda: T0)
        assert one.total == 5, "a lesson named is taken whole, read or not"


def test_flashcards_start_with_the_lessons_read_and_add_reverse_cards(two_lessons):
    with Store.open() as store:
        store.mark_read("second")
        ids = [c.card_id for c in scheduler.order_cards(two_lessons, store, now=T0)]
        assert ids == ["term:epoch", "term:gradient", "term:learning rate"]
        cards = FlashcardSession(two_lessons, store, languages=("zh",), clock=lambda: T0)
        assert [c.card_id for c in cards.queue] == [
            "term:epoch",
            "term:epoch|zh",
            "term:gradient",
            "term:learning rate",
            "term:gradient|zh",
            "term:learning rate|zh",
        ]
        reverse = cards.queue[1]
        assert reverse.front == "中文: 轮次" and reverse.back.startswith("epoch\n")
        assert "中文: 梯度" in cards.queue[2].back and "français: gradient" in cards.queue[2].back
