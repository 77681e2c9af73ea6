"""Provides quiz and flashcard sessions: the next question, each answer stored at once, a summary.

The TUI and `lab quiz --plain` both drive these.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from lab.quiz import grading, scheduler


@dataclass
class Outcome:
    """What happened to one answer."""

    correct: bool
    feedback: str
    stored: bool
    """False when the answer could not be saved (see `QuizSession.store_error`)."""
    due: datetime | None = None


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

    def describe(self) -> str:
        if not self.asked:
            text = "No questions answered."
        else:
            text = f"{self.right} of {self.asked} right."
        if self.missed:
            text += f" Missed: {', '.join(self.missed)}."
        if self.due_left:
            text += f" {self.due_left} still due."
        elif self.next_due:
            text += f" Next review due {self.next_due.astimezone().strftime('%Y-%m-%d %H:%M')}."
        if self.unsaved:
            text += f" {self.unsaved} answer(s) could not be saved."
        return text


def _now() -> datetime:
    return datetime.now(timezone.utc)


class QuizSession:
    """Questions due first, then new ones, across every lesson or one.

    `store` may be None (progress cannot be saved): the quiz still runs, nothing is stored.
    """

    def __init__(
        self,
        catalog,
        store=None,
        lesson: str | None = None,
        *,
        practice: bool = False,
        limit: int | None = None,
        now: datetime | None = None,
        clock=_now,
    ):
        self.catalog = catalog
        self.store = store
        self.lesson = lesson
        self.clock = clock
        self.store_error: str | None = None
        self.queue = scheduler.order_questions(catalog, store, lesson, now or clock(), practice)
        if limit is not None:
            self.queue = self.queue[:limit]
        self.total = len(self.queue)
        self.position = 0
        self.results: list[tuple[str, bool, bool]] = []  # question id, correct, stored
        self._questions = {
            q.id: q for les in catalog.lessons for q in les.quiz if lesson in (None, les.id)
        }

    @property
    def current(self):
        """The question to ask now, or None when the session is over."""
        if self.position >= len(self.queue):
            return None
        return self._questions[self.queue[self.position][1]]

    @property
    def current_lesson(self) -> str | None:
        return self.queue[self.position][0] if self.position < len(self.queue) else None

    def next(self):
        return self.current

    def answer(self, answer: Any) -> Outcome:
        """Grade the current question's answer (already parsed), store it, move on."""
        question = self.current
        if question is None:
            raise RuntimeError("the quiz is over")
        lesson = self.current_lesson
        result = grading.grade(question, answer)
        correct, feedback = result.correct, result.feedback
        stored, due = self._store(question.id, lesson, correct, question, answer)
        self.results.append((question.id, correct, stored))
        self.position += 1
        return Outcome(correct, feedback, stored, due)

    def answer_text(self, text: str) -> Outcome:
        """Parse what the learner typed (raises grading.AnswerError to ask again), then answer."""
        return self.answer(grading.parse_answer(self.current, text))

    def skip(self) -> None:
        self.position += 1

    def _store(self, qid, lesson, correct, question, answer):
        if self.store is None:
            return False, None
        from lab.store import StoreError

        try:
            info = self.store.record_answer(
                qid,
                lesson,
                correct,
                grading.answer_text(question, answer),
                int(scheduler.rating_for(correct)),
                self.clock(),
            )
        except StoreError as exc:
            self.store_error = str(exc)
            return False, None
        return True, info.due

    def summary(self) -> Summary:
        right = sum(1 for _, c, _ in self.results if c)
        missed = [q for q, c, _ in self.results if not c]
        unsaved = sum(1 for _, _, s in self.results if not s) if self.store is not None else 0
        due_left, next_due = 0, None
        if self.store is not None:
            from lab.store import StoreError

            try:
                now = self.clock()
                ids = set(self._questions)
                due_left = len([q for q in self.store.due(now, self.lesson) if q in ids])
                cards = self.store.cards(self.lesson)
                future = [c.due for q, c in cards.items() if q in ids and c.due > now]
                next_due = min(future) if future else None
            except StoreError:
                pass
        return Summary(len(self.results), right, len(missed), unsaved, due_left, next_due, missed)


class FlashcardSession:
    """Glossary terms as flashcards: term shown, definition revealed, graded again to easy."""

    def __init__(
        self,
        catalog,
        store=None,
        lesson: str | None = None,
        *,
        practice: bool = False,
        limit: int | None = None,
        clock=_now,
    ):
        self.catalog = catalog
        self.store = store
        self.clock = clock
        self.store_error: str | None = None
        self.queue = scheduler.order_terms(catalog, store, lesson, clock(), practice)
        if limit is not None:
            self.queue = self.queue[:limit]
        self.position = 0
        self.results: list[tuple[str, str, bool]] = []  # term, grade, stored

    @property
    def current(self):
        """The TermEntry to show now, or None when done."""
        if self.position >= len(self.queue):
            return None
        return self.catalog.term(self.queue[self.position])

    def grade(self, grade: str) -> bool:
        """Record 'again', 'hard', 'good' or 'easy' for the current term; True if stored."""
        entry = self.current
        if entry is None:
            raise RuntimeError("no flashcards left")
        key = grade.strip().casefold()
        if key not in scheduler.GRADES:
            raise grading.AnswerError("grade with again, hard, good or easy")
        rating = scheduler.GRADES[key]
        stored = False
        if self.store is not None:
            from lab.store import StoreError

            try:
                self.store.record_answer(
                    f"term:{entry.term.term}",
                    entry.lesson,
                    key != "again",
                    key,
                    int(rating),
                    self.clock(),
                )
                stored = True
            except StoreError as exc:
                self.store_error = str(exc)
        self.results.append((entry.term.term, key, stored))
        self.position += 1
        return stored
