"""Provides fsrs scheduling: cards, reviews, rebuilds from the log, and what to ask (due, then new).

fsrs is pinned >=6.3,<7; fuzzing is off so that replaying the review log gives the same card.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

from fsrs import Card, Rating, ReviewLog, Scheduler

# Fuzzing off: the same answers at the same times give the same due dates (tests, rebuilds).
SCHEDULER = Scheduler(enable_fuzzing=False)

GRADES = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
"""Flashcard grades, as the learner names them."""


def rating_for(correct: bool) -> Rating:
    """A quiz answer's rating: wrong is Again, right is Good."""
    return Rating.Good if correct else Rating.Again


def card_id(question_id: str) -> int:
    """A stable integer id for fsrs, derived from the question id."""
    return int.from_bytes(hashlib.sha256(question_id.encode()).digest()[:6], "big")


def new_card(question_id: str) -> Card:
    return Card(card_id=card_id(question_id))


def _utc(when: datetime) -> datetime:
    if when.tzinfo is None:
        return when.replace(tzinfo=timezone.utc)
    return when.astimezone(timezone.utc)


def review(card: Card, rating: int | Rating, when: datetime) -> Card:
    new, _log = SCHEDULER.review_card(card, Rating(int(rating)), _utc(when))
    return new


def rebuild(question_id: str, reviews: list[tuple[int, datetime]]) -> Card:
    """The card as the review log (rating, when; any order) says it should be."""
    card = new_card(question_id)
    logs = [
        ReviewLog(card.card_id, Rating(int(r)), _utc(when), None)
        for r, when in sorted(reviews, key=lambda x: _utc(x[1]))
    ]
    return SCHEDULER.reschedule_card(card, logs) if logs else card


def card_to_json(card: Card) -> str:
    return card.to_json()


def card_from_json(text: str) -> Card:
    return Card.from_json(text)


def order_questions(
    catalog, store, lesson: str | None = None, now: datetime | None = None, practice: bool = False
) -> list[tuple[str, str]]:
    """(lesson id, question id) pairs to ask: due ones first (most overdue first) across every
    lesson or one, then new ones in teaching order; with `practice`, then every other one."""
    now = now or datetime.now(timezone.utc)
    lessons = [catalog.lesson(lesson)] if lesson else catalog.lessons
    lessons = [x for x in lessons if x is not None]
    known = {q.id: x.id for x in lessons for q in x.quiz}
    cards = store.cards() if store is not None else {}
    due = sorted((c.due, qid) for qid, c in cards.items() if qid in known and c.due <= _utc(now))
    order = [(known[qid], qid) for _, qid in due]
    order += [(x.id, q.id) for x in lessons for q in x.quiz if q.id not in cards]
    if practice:
        asked = {qid for _, qid in order}
        order += [(x.id, q.id) for x in lessons for q in x.quiz if q.id not in asked]
    return order


def order_terms(
    catalog, store, lesson: str | None = None, now: datetime | None = None, practice: bool = False
) -> list[str]:
    """Glossary terms to review as flashcards: due first, then new, like questions."""
    now = now or datetime.now(timezone.utc)
    entries = [e for e in catalog.terms() if lesson is None or e.lesson == lesson]
    cards = store.cards() if store is not None else {}
    names = {f"term:{e.term.term}": e.term.term for e in entries}
    due = sorted((c.due, k) for k, c in cards.items() if k in names and c.due <= _utc(now))
    order = [names[k] for _, k in due]
    order += [n for k, n in names.items() if k not in cards]
    if practice:
        order += [n for n in names.values() if n not in order]
    return order
