"""Every text question of the course, read by the grader: its own answers are right as written,
and no answer or choice of another question is right for it unless it says the same thing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.quiz.grading import grade

COURSE = Path(__file__).resolve().parents[2] / "lessons"

# What another question offers that is a right answer here too: (text question, what it offers).
SAME_ANSWER = {
    ("ml-label-name", "The label"),
    ("lin-name-bottom", "MSELoss"),
    ("gd-saddle-name", "A saddle point"),
    ("lr-name-layer", "nn.Linear"),
    ("logreg-logits-loss", "BCEWithLogitsLoss"),
    ("init-clip-name", "Gradient clipping"),
    ("dev-save-what", "The model's state_dict"),
    ("dev-save-what", "The optimizer's state_dict"),  # the prompt has the model's already
    ("tk-from-numpy-dtype", "torch.float64"),  # a choice of the dtype of torch.tensor([1, 2, 3])
}


@pytest.fixture(scope="module")
def questions():
    course = load_catalog([COURSE])
    found = [q for lesson in course.lessons for q in lesson.quiz]
    found += [e.experiment.predict for e in course.experiments() if e.experiment.predict]
    return found


def test_every_accepted_answer_is_right_as_written(questions):
    for q in questions:
        for written in q.answers if q.kind == "text" else []:
            result = grade(q, written)
            assert result.correct and not result.spelling, (q.id, written)


def test_no_other_answer_or_choice_is_right_unless_it_says_the_same(questions):
    offered = {(q.id, a) for q in questions if q.kind == "text" for a in q.answers}
    offered |= {(q.id, c) for q in questions if q.kind in ("single", "multiple") for c in q.choices}
    accepted = {
        (q.id, text)
        for q in questions
        if q.kind == "text"
        for source, text in offered
        if source != q.id and grade(q, text).correct
    }
    assert accepted == SAME_ANSWER
