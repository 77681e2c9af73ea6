"""Provides the fsrs memory model behind each card: review, rebuild from the log, recall now.

A card's state is a cache of its review log (the log is the truth; export/import rebuilds from
it). fsrs is pinned >=6.3,<7; fuzzing is off so that replaying the log gives the same card.
"""

from __future__ import annotations

import hashlib
from datetime import datetime

from fsrs import Card, Rating, ReviewLog, Scheduler

from lab.store.values import utc

# Fuzzing off: the same answers at the same times give the same due dates (tests, rebuilds).
SCHEDULER = Scheduler(enable_fuzzing=False)


def card_id(question_id: str) -> int:
    """A stable integer id for fsrs, derived from the question id."""
    return int.from_bytes(hashlib.sha256(question_id.encode()).digest()[:6], "big")


def new_card(question_id: str) -> Card:
    return Card(card_id=card_id(question_id))


def review(card: Card, rating: int | Rating, when: datetime) -> Card:
    new, _log = SCHEDULER.review_card(card, Rating(int(rating)), utc(when))
    return new


def rebuild(question_id: str, reviews: list[tuple[int, datetime]]) -> Card:
    """The card as the review log (rating, when; any order) says it should be."""
    card = new_card(question_id)
    logs = [
        ReviewLog(card.card_id, Rating(int(r)), utc(when), None)
        for r, when in sorted(reviews, key=lambda x: utc(x[1]))
    ]
    return SCHEDULER.reschedule_card(card, logs) if logs else card


def recall(card: Card, when: datetime) -> float:
    """The chance (0 to 1) that the learner recalls the card at `when`: fsrs retrievability,
    with the time since the last review in fractional days (fsrs's own method counts whole
    days, so a card would stay at 100 % all day)."""
    if card.last_review is None or not card.stability:
        return 0.0
    decay = -SCHEDULER.parameters[20]
    factor = 0.9 ** (1 / decay) - 1
    days = max(0.0, (utc(when) - utc(card.last_review)).total_seconds() / 86_400)
    return float((1 + factor * days / card.stability) ** decay)


def card_to_json(card: Card) -> str:
    return card.to_json()


def card_from_json(text: str) -> Card:
    return Card.from_json(text)
