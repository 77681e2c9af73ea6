"""Mastery is the expected recall now (fsrs retrievability), averaged over a lesson's questions."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from lab.quiz.progress import progress
from lab.store import Store

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=timezone.utc)
IDS = ["gd-ex-direction", "gd-ex-which", "gd-ex-always", "gd-ex-iters", "gd-ex-name"]


def _lesson(catalog, store, when):
    return progress(catalog, store, when).lesson("gd-example")


def test_mastery_is_expected_recall_and_does_not_collapse_when_cards_fall_due(catalog):
    with Store.open() as store:
        assert _lesson(catalog, store, T0).mastery == 0, "nothing answered: 0"
        for qid in IDS[:3]:
            store.record_answer(qid, "gd-example", True, "x", 3, T0)
        store.record_answer(IDS[3], "gd-example", False, "x", 1, T0)
        now = _lesson(catalog, store, T0 + timedelta(seconds=1))
        assert now.mastery == pytest.approx(0.6, abs=1e-3), "3 right of 5: 60 %"
        # ten minutes later the new cards are due again, yet the learner still knows them
        later = _lesson(catalog, store, T0 + timedelta(minutes=10))
        assert later.due == 4
        assert 0.59 < later.mastery < 0.6
        week = _lesson(catalog, store, T0 + timedelta(days=7))
        assert 0.3 < week.mastery < later.mastery, "it fades with time"
        store.record_answer(IDS[3], "gd-example", True, "600", 3, T0 + timedelta(days=7))
        assert _lesson(catalog, store, T0 + timedelta(days=7)).mastery > week.mastery


def test_flashcards_have_their_own_figure(catalog):
    with Store.open() as store:
        store.record_answer("term:gradient", "gd-example", True, "good", 3, T0)
        store.record_answer("term:learning rate", "gd-example", False, "again", 1, T0)
        figures = _lesson(catalog, store, T0 + timedelta(seconds=1))
        assert figures.mastery == 0 and figures.seen == 0 and figures.reviews == 0
        assert figures.cards == pytest.approx(0.5, abs=1e-3) and figures.cards_seen == 2
        store.record_answer("term:gradient|zh", "gd-example", True, "good", 3, T0)
        assert _lesson(catalog, store, T0).cards_seen == 3, "a reverse card counts once taken"
        assert progress(catalog, store, T0).reviews == 3


def test_the_next_due_time_is_given_when_none_is_due(catalog):
    with Store.open() as store:
        info = store.record_answer(IDS[0], "gd-example", True, "1", 3, T0)
        figures = progress(catalog, store, T0 + timedelta(minutes=1))
        assert figures.due == 0 and figures.next_due == info.due
        figures = progress(catalog, store, info.due)
        assert figures.due == 1 and figures.next_due is None
