"""Provides the teacher's check of exercises: each solution must pass, each starter must fail."""

from __future__ import annotations

from pathlib import Path

from lab.exercises.checker import Checker


def exercise_problems(entries, checker: Checker) -> list:
    """`Problem`s (file:line:col) for exercises whose solution fails, whose starter passes, or
    whose known mistake (a misconception's variant) is not named when a learner makes it."""
    problems = []
    for entry in entries:
        ex = entry.exercise
        solved = checker.check(ex, Path(f"{ex.id}-solution.py"), ex.solution)
        if solved.error:
            first = solved.error.splitlines()[0]
            problems.append(entry.problem(("solution",), f"the solution fails: {first}"))
        for outcome in solved.failed_checks:
            loc = ("checks", outcome.index) if outcome.index >= 0 else ("solution",)
            first = outcome.message.splitlines()[0] if outcome.message else "failed"
            problems.append(entry.problem(loc, f"the solution fails this check: {first}"))
        for i, mistake in enumerate(ex.misconceptions):
            if mistake.solution is not None:
                problem = _unnamed(checker, ex, mistake)
                if problem:
                    problems.append(entry.problem(("misconceptions", i, "solution"), problem))
        started = checker.check(ex, Path(f"{ex.id}.py"), ex.starter)
        if started.passed:
            problems.append(
                entry.problem(
                    ("starter",),
                    "the starter code passes every check: it must fail one, or there is "
                    "nothing to do",
                )
            )
    return problems


def _unnamed(checker: Checker, ex, mistake) -> str | None:
    """Why a misconception's variant, checked as a learner's file, is not named; or None."""
    result = checker.check(ex, Path(f"{ex.id}-mistake.py"), mistake.solution)
    if result.error:
        return f"this variant cannot be checked: {result.error.splitlines()[0]}"
    if result.passed:
        return "this variant passes every check: no check tells the mistake apart"
    said = mistake.message.strip().split("{times}")[0]
    if not any(c.message.startswith(said) for c in result.failed_checks):
        return "no failing check names this mistake (another misconception matches first?)"
    return None
