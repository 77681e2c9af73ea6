"""Provides what to ask and in which order (due first, then new), and the grades a learner gives.

The fsrs memory model itself (reviewing a card, rebuilding it from the log) lives with the
store's cards, in `lab.store.recall`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from fsrs import Rating

from lab.quiz.cards import Flashcard, lesson_cards
from lab.store.values import utc

GRADES = {"again": Rating.Again, "hard": Rating.Hard, "good": Rating.Good, "easy": Rating.Easy}
"""Flashcard grades, as the learner names them."""


def rating_for(correct: bool) -> Rating:
    """A quiz answer's rating: wrong is Again, right is Good."""
    return Rating.Good if correct else Rating.Again


def order_questions(
    catalog,
    store,
    lesson: str | None = None,
    now: datetime | None = None,
    practice: bool = False,
    *,
    unread: bool = False,
) -> list[tuple[str, str]]:
    """(lesson id, question id) pairs to ask: due ones first (most overdue first) across every
    lesson or one, then new ones in teaching order; with `practice`, then every other one.

    Across every lesson, new questions come only from lessons already read (every lesson when
    there is no store to say which were read), unless `unread` is set."""
    now = now or datetime.now(timezone.utc)
    lessons = [catalog.lesson(lesson)] if lesson else catalog.lessons
    lessons = [x for x in lessons if x is not None]
    known = {q.id: x.id for x in lessons for q in x.quiz}
    cards = store.cards() if store is not None else {}
    due = sorted((c.due, qid) for qid, c in cards.items() if qid in known and c.due <= utc(now))
    order = [(known[qid], qid) for _, qid in due]
    fresh = lessons
    if lesson is None and store is not None and not unread:
        read = store.lessons_read()
        fresh = [x for x in lessons if x.id in read]
    order += [(x.id, q.id) for x in fresh for q in x.quiz if q.id not in cards]
    if practice:
        asked = {qid for _, qid in order}
        order += [(x.id, q.id) for x in lessons for q in x.quiz if q.id not in asked]
    return order


def order_cards(
    catalog,
    store,
    lesson: str | None = None,
    now: datetime | None = None,
    practice: bool = False,
    languages: tuple[str, ...] = (),
) -> list[Flashcard]:
    """Flashcards to review: due first (most overdue first), then new ones of the lessons read,
    then new ones of the other lessons, in teaching order; with `practice`, every other one.
    `languages` adds reverse cards (see `lab.quiz.cards`)."""
    now = now or datetime.now(timezone.utc)
    lessons = [catalog.lesson(lesson)] if lesson else catalog.lessons
    lessons = [x for x in lessons if x is not None]
    read = store.lessons_read() if store is not None else {}
    lessons = [x for x in lessons if x.id in read] + [x for x in lessons if x.id not in read]
    deck = [card for x in lessons for card in lesson_cards(catalog, x.id, languages)]
    cards = store.cards() if store is not None else {}
    due = sorted(
        (cards[c.card_id].due, n)
        for n, c in enumerate(deck)
        if c.card_id in cards and cards[c.card_id].due <= utc(now)
    )
    order = [deck[n] for _, n in due]
    order += [c for c in deck if c.card_id not in cards]
    if practice:
        order += [c for c in deck if c not in order]
    return order
