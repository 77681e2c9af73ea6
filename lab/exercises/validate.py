"""Provides the teacher's check of exercises: each solution must pass, each starter must fail."""

from __future__ import annotations

from pathlib import Path

from lab.exercises.checker import Checker


def exercise_problems(entries, checker: Checker) -> list:
    """`Problem`s (file:line:col) for exercises whose solution fails or whose starter passes."""
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
