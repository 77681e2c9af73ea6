"""Provides grading for every question kind, and parsing of what a learner typed into an answer."""

from __future__ import annotations

import math
import re
from typing import Any, NamedTuple

from lab.quiz.text_answers import text_match


class Grade(NamedTuple):
    """The verdict on one answer: right or not, and feedback with the explanation.

    `spelling` is the accepted answer as the lesson writes it when a text answer was right but
    misspelt by one letter (the feedback says "check the spelling: ..."), else empty.
    """

    correct: bool
    feedback: str
    spelling: str = ""


class AnswerError(ValueError):
    """What the learner typed is not an answer to this kind of question; ask again."""


TRUE_WORDS = {"t", "true", "y", "yes", "1", "vrai", "v", "对", "是"}
FALSE_WORDS = {"f", "false", "n", "no", "0", "faux", "错", "否"}


def right_answer(question) -> str:
    """The right answer as a learner would read it (choices numbered from 1)."""
    kind = question.kind
    if kind == "single":
        return f"{question.answer + 1}. {question.choices[question.answer]}"
    if kind == "multiple":
        return "; ".join(f"{i + 1}. {question.choices[i]}" for i in sorted(question.answers))
    if kind == "true_false":
        return "true" if question.answer else "false"
    if kind == "numeric":
        tol = f" (± {question.tolerance:g})" if question.tolerance else ""
        return f"{question.answer:g}{tol}"
    return question.answers[0]


def is_correct(question, answer: Any) -> bool:
    """Whether `answer` (an index, a set of indexes, a bool, a number or text) is right."""
    kind = question.kind
    if kind == "single":
        return (
            isinstance(answer, int) and not isinstance(answer, bool) and answer == question.answer
        )
    if kind == "multiple":
        try:
            chosen = {int(a) for a in answer}
        except (TypeError, ValueError):
            return False
        return chosen == set(question.answers)
    if kind == "true_false":
        return isinstance(answer, bool) and answer == question.answer
    if kind == "numeric":
        try:
            value = parse_number(answer) if isinstance(answer, str) else float(answer)
        except (TypeError, ValueError):
            return False
        if not math.isfinite(value):
            return False
        # a hair of slack so that 0.1 + 0.2 style rounding never marks a right answer wrong
        slack = question.tolerance + 1e-9 * max(1.0, abs(question.answer))
        return abs(value - question.answer) <= slack
    if kind == "text":
        return isinstance(answer, str) and text_match(question, answer)[0]
    raise ValueError(f"unknown question kind {kind!r}")


def grade(question, answer: Any) -> Grade:
    """Grade `answer` and say why, with the question's explanation."""
    spelling = ""
    if question.kind == "text" and isinstance(answer, str):
        correct, spelling = text_match(question, answer)
    else:
        correct = is_correct(question, answer)
    if spelling:
        head = f"Right; check the spelling: {spelling}"
    elif correct:
        head = "Right."
    else:
        head = f"Not quite. The answer is: {right_answer(question)}"
    return Grade(correct, f"{head}\n{question.explanation.strip()}", spelling)


def parse_number(text: str) -> float:
    """A number as a learner types it: `1e-3`, `60,000`, `60 000`, `1_000`, or `0,69` with a
    decimal comma. Raises ValueError when it is none."""
    cleaned = text.strip().replace("_", "").replace(" ", "")
    if re.fullmatch(r"[-+]?[1-9]\d{0,2}(,\d{3})+(\.\d*)?", cleaned):
        cleaned = cleaned.replace(",", "")  # 60,000
    elif re.fullmatch(r"[-+]?\d*,\d+", cleaned):
        cleaned = cleaned.replace(",", ".")  # 0,69
    return float(cleaned)


def parse_answer(question, text: str) -> Any:
    """Turn what the learner typed into an answer for `grade` (choices count from 1)."""
    raw = text.strip()
    if not raw:
        raise AnswerError("type an answer")
    kind = question.kind
    if kind in ("single", "multiple"):
        n = len(question.choices)
        parts = [p for p in re.split(r"[\s,;]+", raw) if p]
        try:
            numbers = [int(p) for p in parts]
        except ValueError:
            raise AnswerError(f"type the number of a choice, 1 to {n}") from None
        bad = [x for x in numbers if not 1 <= x <= n]
        if bad:
            raise AnswerError(f"{bad[0]} is not a choice; choices are 1 to {n}")
        if kind == "single":
            if len(numbers) != 1:
                raise AnswerError("choose one answer")
            return numbers[0] - 1
        return {x - 1 for x in numbers}
    if kind == "true_false":
        word = raw.casefold()
        if word in TRUE_WORDS:
            return True
        if word in FALSE_WORDS:
            return False
        raise AnswerError("type true or false (t/f)")
    if kind == "numeric":
        try:
            value = parse_number(raw)
        except ValueError:
            raise AnswerError("type a number, like 600 or 0.5 or 1e-3") from None
        if not math.isfinite(value):
            raise AnswerError("type a finite number")
        return value
    return raw


def answer_text(question, answer: Any) -> str:
    """How an answer is written in the review log (choices counted from 0, as in lessons)."""
    if question.kind == "multiple":
        return ",".join(str(i) for i in sorted(answer))
    if question.kind == "true_false":
        return "true" if answer else "false"
    if question.kind == "numeric":
        return f"{float(answer):g}"
    return str(answer)
