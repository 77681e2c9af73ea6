"""Provides the progress figures a learner reads: per lesson, mastery (expected recall now),
questions due and answers given; flashcards their own figure; and what is due next.

Mastery is the fsrs retrievability (the chance of recalling the answer now) averaged over the
lesson's questions, a question never answered, or last answered wrong, counting 0. It falls
slowly as time passes and rises with each right answer; a wrong answer drops it at once.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime, timezone

from lab.quiz import cards as flashcards
from lab.store import recall


@dataclass(frozen=True)
class LessonFigures:
    """One lesson's figures; recall figures are 0 to 1."""

    id: str
    reviews: int
    """Answers given to the lesson's questions (flashcards not counted)."""
    due: int
    """Questions due now."""
    seen: int
    """Questions answered at least once."""
    mastery: float
    cards: float
    """Expected recall of the lesson's flashcards, the same way."""
    cards_seen: int


@dataclass(frozen=True)
class Progress:
    lessons: list[LessonFigures]
    reviews: int
    """Every answer ever recorded, flashcards too."""
    due: int
    """Questions due now, across the catalog."""
    next_due: datetime | None
    """When the next question falls due, when none is due now."""

    def lesson(self, lesson_id: str) -> LessonFigures | None:
        return next((x for x in self.lessons if x.id == lesson_id), None)

    def to_json(self) -> dict:
        return {
            "reviews": self.reviews,
            "due": self.due,
            "next_due": self.next_due.isoformat() if self.next_due else None,
            "lessons": [
                {k: round(v, 4) if isinstance(v, float) else v for k, v in asdict(x).items()}
                for x in self.lessons
            ],
        }


def _mean_recall(ids: list[str], cards: dict, now: datetime) -> float:
    if not ids:
        return 0.0
    known = [cards[i] for i in ids if i in cards and cards[i].last_correct]
    return sum(recall.recall(c.card, now) for c in known) / len(ids)


def progress(catalog, store, now: datetime | None = None) -> Progress:
    """The figures for every lesson of `catalog` from the store's cards and review log."""
    now = now or datetime.now(timezone.utc)
    cards = store.cards()
    answers = store.answer_counts()
    lessons, due_now, future = [], 0, []
    for lesson in catalog.lessons:
        ids = [q.id for q in lesson.quiz]
        seen = [cards[q] for q in ids if q in cards]
        due = sum(1 for c in seen if c.due <= now)
        future += [c.due for c in seen if c.due > now]
        due_now += due
        every = flashcards.lesson_cards(catalog, lesson.id, tuple(flashcards.LANGUAGES))
        # reverse cards count once the learner has taken them up
        card_ids = [c.card_id for c in every if c.language is None or c.card_id in cards]
        lessons.append(
            LessonFigures(
                id=lesson.id,
                reviews=answers.get(lesson.id, 0),
                due=due,
                seen=len(seen),
                mastery=_mean_recall(ids, cards, now),
                cards=_mean_recall(card_ids, cards, now),
                cards_seen=sum(1 for c in card_ids if c in cards),
            )
        )
    next_due = min(future) if future and not due_now else None
    return Progress(lessons, store.review_count(), due_now, next_due)
