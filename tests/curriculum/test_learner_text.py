"""Learner-facing text never points at the source notes the course was written from.

The learner never sees those notes, so "note 003" or "the notes" means nothing to them: every
string of every lesson file (titles, bodies, glossary, questions, experiment prompts) and the
experiment summaries the engine prints must say it in the course's own words.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from lab.catalog import allowlists

LESSONS = Path(__file__).resolve().parents[2] / "lessons"

# "note 003", "the notes", "some notes", "the note's", "notes'"; but not "Note that" or
# "note the loss", which are ordinary English.
MENTIONS_THE_NOTES = re.compile(
    r"\bnotes?\s+\d{3}\b|\b(?:the|some|source|these|our|my)\s+notes?\b|\bnotes?'",
    re.IGNORECASE,
)


def _strings(node, where):
    if isinstance(node, str):
        yield where, node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, f"{where}.{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _strings(value, f"{where}[{i}]")


def _lesson_strings():
    for path in sorted(LESSONS.glob("*.yaml")):
        yield from _strings(yaml.safe_load(path.read_text(encoding="utf-8")), path.name)


def _engine_strings():
    for name, entry in allowlists.SCRIPTED.items():
        yield f"allowlists.SCRIPTED[{name!r}]", entry["about"]
    for name, about in allowlists.DATASETS.items():
        yield f"allowlists.DATASETS[{name!r}]", about


@pytest.mark.parametrize("where, text", [("made up", "As note 003 says"),
                                         ("made up", "the notes' data set")])  # fmt: skip
def test_the_pattern_catches_a_mention(where, text):
    assert MENTIONS_THE_NOTES.search(text)


def test_the_pattern_lets_ordinary_english_through():
    for text in ("Note that an iteration happens", "Set epochs to 1 and note the loss"):
        assert not MENTIONS_THE_NOTES.search(text)


def test_no_learner_facing_text_mentions_the_notes():
    found = [
        f"{where}: {match.group(0)!r}"
        for where, text in [*_lesson_strings(), *_engine_strings()]
        if (match := MENTIONS_THE_NOTES.search(text))
    ]
    assert found == []


# "lesson 14", "Lesson 7's", "lessons 13 and 16", "the next lesson": numbers and neighbours
# change when lessons are reordered; a lesson names another by its title.
NAMES_A_LESSON_BY_PLACE = re.compile(
    r"\blessons?\s+\d+|\b(?:next|previous|last)\s+lesson\b", re.IGNORECASE
)


@pytest.mark.parametrize(
    "text", ["as lesson 7 explains", "Lesson 14's early stopping", "(the next lesson)"]
)
def test_the_place_pattern_catches_a_lesson_number(text):
    assert NAMES_A_LESSON_BY_PLACE.search(text)


def test_lessons_name_other_lessons_by_title_not_by_place():
    assert NAMES_A_LESSON_BY_PLACE.search("The lesson *Training well*") is None
    found = [
        f"{where}: {match.group(0)!r}"
        for where, text in _lesson_strings()
        if (match := NAMES_A_LESSON_BY_PLACE.search(text))
    ]
    assert found == []


def test_the_code_never_points_at_the_notes():
    """The notes are not in the repository either: a comment that cites one explains nothing."""
    code = Path(__file__).resolve().parents[2] / "lab"
    found = [
        f"{path.relative_to(code.parent)}:{n}: {match.group(0)!r}"
        for path in sorted(code.rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if (match := MENTIONS_THE_NOTES.search(line))
    ]
    assert found == []
