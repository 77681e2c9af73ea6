"""Provides quiz and flashcard sessions: the next question, each answer stored at once, a summary.

The TUI and `lab quiz --plain` both drive these. Checking an answer (`check`, `rate`) never
touches the database; saving it (`save`) may wait for another lab session holding the write
lock, so a front-end with an event loop calls `save` and `overrule` from a thread. The plain
front-end calls `answer` / `grade`, which do both.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from lab.quiz import grading, scheduler
from lab.quiz.cards import Flashcard
from lab.store import StoreError, recall
from lab.text import plural, reflow


@dataclass
class Outcome:
    """What happened to one answer."""

    question_id: str
    lesson: str
    correct: bool
    feedback: str
    answer: str
    """The answer as the review log writes it."""
    stored: bool = False
    """False until saved, and when the answer could not be saved (see `store_error`)."""
    due: datetime | None = None
    overruled: bool = False
    """The learner said "I was right" after a text answer was marked wrong."""
    can_overrule: bool = False
    review_uuid: str = field(default_factory=lambda: str(uuid.uuid4()))


@dataclass
class Summary:
    asked: int
    right: int
    wrong: int
    unsaved: int
    due_left: int
    """Questions of this quiz still due after the session."""
    next_due: datetime | None
    missed: list[str] = field(default_factory=list)
    """Ids of questions answered wrong."""
    missed_prompts: list[str] = field(default_factory=list)
    """Their prompts, each as one paragraph, to wrap to the screen."""

    def headline(self) -> str:
        if not self.asked:
            return "No questions answered."
        return (
            f"Done: {self.right} of {self.asked} right ({round(100 * self.right / self.asked)}%)."
        )

    def describe(self) -> str:
        """The summary as paragraphs (the missed prompts as `- ` items): wrap them to fit."""
        parts = [self.headline()]
        if self.missed_prompts:
            parts.append("To look at again:\n" + "\n".join(f"- {p}" for p in self.missed_prompts))
        if self.due_left:
            parts.append(f"{self.due_left} still due.")
        elif self.next_due:
            parts.append(f"Next review due {self.next_due.astimezone():%Y-%m-%d %H:%M}.")
        if self.unsaved:
            parts.append(f"{plural(self.unsaved, 'answer')} could not be saved.")
        return "\n\n".join(parts)


def _now() -> datetime:
    return datetime.now(timezone.utc)


def _prompt_line(question) -> str:
    return " ".join(reflow(question.prompt).split())


class QuizSession:
    """Questions due first, then new ones, across every lesson or one.

    Across lessons, new questions come only from the lessons read, unless `unread` is set;
    `practice` adds every other question after those. `store` may be None (progress cannot be
    saved): the quiz still runs, nothing is stored.
    """

    def __init__(
        self,
        catalog,
        store=None,
        lesson: str | None = None,
        *,
        practice: bool = False,
        unread: bool = False,
        limit: int | None = None,
        now: datetime | None = None,
        clock=_now,
    ):
        self.catalog = catalog
        self.store = store
        self.lesson = lesson
        self.clock = clock
        self.store_error: str | None = None
        self._lock = threading.Lock()
        try:
            self.queue = scheduler.order_questions(
                catalog, store, lesson, now or clock(), practice, unread=unread
            )
        except StoreError as exc:  # every question in teaching order, and say why
            self.store_error = str(exc)
            self.queue = scheduler.order_questions(catalog, None, lesson, practice=practice)
        if limit is not None:
            self.queue = self.queue[:limit]
        self.total = len(self.queue)
        self.position = 0
        self.outcomes: list[Outcome] = []
        self._questions = {
            q.id: q for les in catalog.lessons for q in les.quiz if lesson in (None, les.id)
        }

    @property
    def has_questions(self) -> bool:
        """Whether this quiz has any question at all (due, new or neither)."""
        return bool(self._questions)

    @property
    def current(self):
        """The question to ask now, or None when the session is over."""
        if self.position >= len(self.queue):
            return None
        return self._questions[self.queue[self.position][1]]

    def question(self, question_id: str):
        """One of this quiz's questions by id (the one an outcome answered)."""
        return self._questions[question_id]

    @property
    def current_lesson(self) -> str | None:
        return self.queue[self.position][0] if self.position < len(self.queue) else None

    def grade(self, answer: Any) -> Outcome:
        """Grade the current question's answer (already parsed) and move on; not saved yet."""
        question, lesson = self.current, self.current_lesson
        if question is None or lesson is None:
            raise RuntimeError("the quiz is over")
        result = grading.grade(question, answer)
        outcome = Outcome(
            question.id,
            lesson,
            result.correct,
            result.feedback,
            grading.answer_text(question, answer),
            can_overrule=question.kind == "text" and not result.correct,
        )
        self.outcomes.append(outcome)
        self.position += 1
        return outcome

    def save(self, outcome: Outcome) -> bool:
        """Store the answer (blocking: up to the busy timeout); True when it is stored."""
        if self.store is None:
            return False
        with self._lock:
            if outcome.stored:
                return True
            try:
                info = self.store.record_answer(
                    outcome.question_id,
                    outcome.lesson,
                    outcome.correct,
                    outcome.answer,
                    int(scheduler.rating_for(outcome.correct)),
                    self.clock(),
                    outcome.review_uuid,
                    overruled=outcome.overruled,
                )
            except StoreError as exc:
                self.store_error = str(exc)
                return False
            outcome.stored, outcome.due = True, info.due
            return True

    def overrule(self, outcome: Outcome) -> bool:
        """The learner says a text answer marked wrong was right: count it right, marked as
        overruled in the review log. True when that is stored (or nothing is saved at all)."""
        if not outcome.can_overrule:
            raise ValueError("only a text answer marked wrong can be overruled")
        with self._lock:
            outcome.correct, outcome.overruled, outcome.can_overrule = True, True, False
            if self.store is None or not outcome.stored:
                return self.store is None  # `save` stores it as right
            try:
                info = self.store.overrule(outcome.review_uuid, int(scheduler.rating_for(True)))
            except StoreError as exc:
                self.store_error = str(exc)
                outcome.stored = False
                return False
            outcome.due = info.due if info else outcome.due
            return True

    def answer(self, answer: Any) -> Outcome:
        """Grade, move on and store at once (for front-ends without an event loop)."""
        outcome = self.grade(answer)
        self.save(outcome)
        return outcome

    def answer_text(self, text: str) -> Outcome:
        """Parse what the learner typed (raises grading.AnswerError to ask again), then answer."""
        return self.answer(grading.parse_answer(self.current, text))

    def summary(self) -> Summary:
        right = [o for o in self.outcomes if o.correct]
        missed = [o.question_id for o in self.outcomes if not o.correct]
        unsaved = sum(1 for o in self.outcomes if not o.stored) if self.store is not None else 0
        due_left, next_due = 0, None
        if self.store is not None:
            try:
                now = self.clock()
                ids = set(self._questions)
                due_left = len([q for q in self.store.due(now, self.lesson) if q in ids])
                cards = self.store.cards(self.lesson)
                future = [c.due for q, c in cards.items() if q in ids and c.due > now]
                next_due = min(future) if future else None
            except StoreError:
                pass
        return Summary(
            len(self.outcomes),
            len(right),
            len(missed),
            unsaved,
            due_left,
            next_due,
            missed,
            [_prompt_line(self._questions[q]) for q in missed],
        )


@dataclass
class Rated:
    """One flashcard grade, to save."""

    card: Flashcard
    grade: str
    stored: bool = False


def format_interval(span: timedelta) -> str:
    """`10m`, `3h`, `4d`, `2mo`: how long until a card comes back, as Anki shows it."""
    minutes = max(1, round(span.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes}m"
    if minutes < 24 * 60:
        return f"{round(minutes / 60)}h"
    days = round(minutes / (24 * 60))
    if days < 31:
        return f"{days}d"
    if days < 365:
        return f"{round(days / 30.4)}mo"
    return f"{days / 365:.1f}y"


class FlashcardSession:
    """Glossary flashcards: a card shown, its back revealed, graded again to easy.

    Due cards first, then new ones from lessons read, then the rest; with `languages` ("zh",
    "fr"), reverse cards (that name shown, the term recalled) follow each lesson's terms. A card
    graded "again" comes back at the end of this session.
    """

    def __init__(
        self,
        catalog,
        store=None,
        lesson: str | None = None,
        *,
        practice: bool = False,
        languages: tuple[str, ...] = (),
        limit: int | None = None,
        clock=_now,
    ):
        self.catalog = catalog
        self.store = store
        self.clock = clock
        self.store_error: str | None = None
        self._lock = threading.Lock()
        try:
            self.queue = scheduler.order_cards(catalog, store, lesson, clock(), practice, languages)
        except StoreError as exc:
            self.store_error = str(exc)
            self.queue = scheduler.order_cards(catalog, None, lesson, None, practice, languages)
        if limit is not None:
            self.queue = self.queue[:limit]
        self.position = 0
        self.results: list[Rated] = []

    @property
    def current_card(self) -> Flashcard | None:
        """The card to show now, or None when done."""
        return self.queue[self.position] if self.position < len(self.queue) else None

    @property
    def current(self):
        """The current card's TermEntry, or None when done."""
        card = self.current_card
        return card.entry if card else None

    @property
    def again(self) -> int:
        """Cards graded "again" in this session."""
        return sum(1 for r in self.results if r.grade == "again")

    def intervals(self) -> dict[str, str]:
        """For each grade, when the current card would come back (`10m`, `4d`)."""
        card = self.current_card
        if card is None:
            return {}
        now = self.clock()
        state = None
        if self.store is not None:
            try:
                info = self.store.card(card.card_id)
                state = info.card if info else None
            except StoreError:
                state = None
        state = state or recall.new_card(card.card_id)
        return {
            name: format_interval(recall.review(state, rating, now).due - now)
            for name, rating in scheduler.GRADES.items()
        }

    def rate(self, grade: str) -> Rated:
        """Take the current card's grade and move on; "again" puts it back at the end."""
        card = self.current_card
        if card is None:
            raise RuntimeError("no flashcards left")
        key = grade.strip().casefold()
        if key not in scheduler.GRADES:
            raise grading.AnswerError("grade with again, hard, good or easy")
        rated = Rated(card, key)
        self.results.append(rated)
        self.position += 1
        if key == "again":
            self.queue.append(card)
        return rated

    def save(self, rated: Rated) -> bool:
        """Store a grade (blocking: up to the busy timeout); True when stored."""
        if self.store is None:
            return False
        with self._lock:
            try:
                self.store.record_answer(
                    rated.card.card_id,
                    rated.card.lesson,
                    rated.grade != "again",
                    rated.grade,
                    int(scheduler.GRADES[rated.grade]),
                    self.clock(),
                )
            except StoreError as exc:
                self.store_error = str(exc)
                return False
            rated.stored = True
            return True

    def grade(self, grade: str) -> bool:
        """Rate the current card and store it at once; True if stored."""
        return self.save(self.rate(grade))
