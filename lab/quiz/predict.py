"""Provides predictions: an experiment's question before a run, graded and stored as a review.

A prediction is a quiz question of an experiment (`predict:` in the lesson file). It is asked the
first time the learner runs the experiment, and again whenever fsrs says it is due; the answer is
graded by `lab.quiz.grading` and recorded with `Store.record_answer` under the question's id, so it
is scheduled like any quiz answer. The catalog links the id to its experiment
(`Catalog.prediction`), which is how a due prediction leads back to the experiment. The TUI and
tests drive `PredictionSession`; nothing here imports textual.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from lab.quiz import grading, scheduler

if TYPE_CHECKING:
    from lab.catalog import Catalog, ExperimentEntry
    from lab.store import Store


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class Verdict:
    """The graded prediction: shown once the run has ended."""

    correct: bool
    feedback: str
    """"Right." or "Not quite. The answer is: ...", then the explanation."""
    answer: str
    """What the learner predicted, as they read it (a choice's text, true, a number)."""
    stored: bool
    """False when the answer could not be saved (see `PredictionSession.store_error`)."""
    due: datetime | None = None


class PredictionSession:
    """One visit's prediction for one experiment: whether to ask, the answer, the verdict.

    `store` may be None (progress cannot be saved): the prediction is still asked and graded.
    """

    def __init__(self, entry: ExperimentEntry, store: Store | None = None, *, clock=_now):
        question = entry.experiment.predict
        if question is None:
            raise ValueError(f"experiment {entry.experiment.id!r} asks no prediction")
        self.entry = entry
        self.question = question
        self.store = store
        self.clock = clock
        self.asked = False
        self.verdict: Verdict | None = None
        self.store_error: str | None = None

    def wanted(self) -> bool:
        """Ask before this run: the experiment has a prediction not yet asked on this visit,
        never answered before or due again."""
        if self.question is None or self.asked:
            return False
        if self.store is None:
            return True
        from lab.store import StoreError

        try:
            card = self.store.card(self.question.id)
        except StoreError:
            return True
        return card is None or card.due <= self.clock()

    def settings(self) -> dict[str, Any]:
        """The settings of the run the prediction is about (the others at their defaults)."""
        return dict(self.question.settings) if self.question else {}

    def describe_settings(self) -> str:
        """`lr = 1.5, epochs = 300`, or that the run uses the experiment's own settings."""
        settings = self.settings()
        if not settings:
            return "the experiment's own settings"
        return ", ".join(
            f"{name} = {value:g}" if _number(value) else f"{name} = {value}"
            for name, value in settings.items()
        )

    def skip(self) -> None:
        """Not answered (escape): the run starts anyway; asked again on a later visit."""
        self.asked = True

    def answer_text(self, text: str) -> Verdict:
        """Parse what the learner typed (raises grading.AnswerError to ask again), then answer."""
        return self.answer(grading.parse_answer(self.question, text))

    def answer(self, answer: Any) -> Verdict:
        """Grade the prediction (an index, a bool or a number) and store it at once."""
        question = self.question
        self.asked = True
        correct, feedback, _ = grading.grade(question, answer)
        stored, due = False, None
        if self.store is not None:
            from lab.store import StoreError

            try:
                info = self.store.record_answer(
                    question.id,
                    self.entry.lesson,
                    correct,
                    grading.answer_text(question, answer),
                    int(scheduler.rating_for(correct)),
                    self.clock(),
                )
                stored, due = True, info.due
            except StoreError as exc:
                self.store_error = str(exc)
        self.verdict = Verdict(correct, feedback, _shown(question, answer), stored, due)
        return self.verdict

    def take_verdict(self) -> Verdict | None:
        """The verdict to show now that a run has ended, once."""
        verdict, self.verdict = self.verdict, None
        return verdict


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _shown(question: Any, answer: Any) -> str:
    if question.kind == "single":
        return question.choices[answer]
    return grading.answer_text(question, answer)


def due_predictions(
    catalog: Catalog, store: Store | None, now: datetime | None = None
) -> list[ExperimentEntry]:
    """Experiments whose prediction was missed and is due again (fsrs: a minute after the
    miss), most overdue first; empty without a store or when it fails. A right one that is due
    is asked again at the experiment's next run, but does not call the learner back."""
    if store is None:
        return []
    from lab.store import StoreError

    now = now or _now()
    try:
        cards = store.cards()
    except StoreError:
        return []
    due = sorted(
        (info.due, qid)
        for qid, info in cards.items()
        if not info.last_correct and info.due <= now and catalog.prediction(qid) is not None
    )
    return [entry for _, qid in due if (entry := catalog.prediction(qid)) is not None]


def progress(catalog: Catalog, store: Store | None, now: datetime | None = None) -> list[dict]:
    """Every answered prediction for `lab progress --json`:
    `[{id, experiment, lesson, last_correct, reviews, due, due_now}]`, in teaching order."""
    if store is None:
        return []
    now = now or _now()
    cards = store.cards()
    out = []
    for entry in catalog.predictions():
        predict = entry.experiment.predict
        assert predict is not None  # predictions() lists the experiments that ask one
        qid = predict.id
        info = cards.get(qid)
        if info is None:
            continue
        out.append(
            {
                "id": qid,
                "experiment": entry.experiment.id,
                "lesson": entry.lesson,
                "last_correct": info.last_correct,
                "reviews": info.reviews,
                "due": info.due.isoformat(),
                "due_now": info.due <= now,
            }
        )
    return out
