"""Tests that every choice the course offers (quiz questions and predictions) is written whole:
one cut at a line of its lesson file ("The gradient, computed when the loss was", walk 3) reads
as a choice and nothing says a word is missing."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog

COURSE = Path(__file__).resolve().parents[2] / "lessons"

NO_LAST_WORD = {
    "an",
    "the",
    "of",
    "at",
    "by",
    "for",
    "with",
    "from",
    "when",
    "while",
    "and",
    "or",
    "but",
    "than",
    "whose",
    "if",
    "because",
    "its",
    "their",
    "your",
    "our",
    "into",
    "onto",
}
"""Words an English phrase does not end on: a choice that ends on one was cut short. (Not `a`:
in the course it is also a tensor's name.)"""
VERBS = {"is", "are", "was", "were", "be", "been", "has", "have", "had"}
PRONOUNS = {"it", "they", "he", "she", "we", "you", "i", "this", "that", "these", "there"}


def cut_short(choice: str) -> bool:
    """A choice that stops where its sentence cannot: on a comma, an article, a preposition, or
    a verb such as "was" after a noun ("as it was" ends a sentence; "when the loss was" not)."""
    words = [w.lower().strip("`'\"") for w in choice.split()]
    if choice.rstrip().endswith((",", ":", ";", "-")) or words[-1] in NO_LAST_WORD:
        return True
    return words[-1] in VERBS and len(words) > 1 and words[-2] not in PRONOUNS


@pytest.fixture(scope="module")
def choices():
    course = load_catalog([COURSE])
    questions = [q for lesson in course.lessons for q in lesson.quiz]
    questions += [e.experiment.predict for e in course.experiments() if e.experiment.predict]
    return [(q.id, choice) for q in questions for choice in getattr(q, "choices", [])]


def test_no_choice_is_cut_short(choices):
    assert len(choices) > 300  # the course's choices were read
    cut = [(qid, choice) for qid, choice in choices if cut_short(choice)]
    assert not cut, cut


def test_the_choice_walk_3_met_reads_as_cut():
    assert cut_short("The gradient, computed when the loss was")
    assert not cut_short("The gradient, computed when the loss was computed")
    assert not cut_short("The learning rate must stay as it was")
