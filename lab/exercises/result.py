"""Provides the result of checking a learner's file: each check passed or failed, with a message."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field


@dataclass(frozen=True)
class CheckOutcome:
    name: str
    passed: bool
    message: str = ""
    """Why it failed, for a beginner: what came back, what was expected, the likely mistake."""
    index: int = -1
    """Its place in the exercise's `checks` (-1: not one of them)."""


@dataclass
class Result:
    checks: list[CheckOutcome] = field(default_factory=list)
    error: str | None = None
    """Set when the file could not be checked to the end: a syntax error, a file that is not
    UTF-8, an exception while loading, the time limit, a crash. The learner reads it as is."""
    output: str = ""
    """What the learner's code printed (capped)."""
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.checks) and all(c.passed for c in self.checks)

    @property
    def failed_checks(self) -> list[CheckOutcome]:
        return [c for c in self.checks if not c.passed]

    def summary(self) -> str:
        """One line: `all 4 checks passed`, `1 of 4 checks failed`, or the error's first line."""
        if self.error:
            return self.error.splitlines()[0]
        n = len(self.checks)
        if self.passed:
            return f"all {n} checks passed" if n != 1 else "the check passed"
        return f"{len(self.failed_checks)} of {n} checks failed"

    def to_json(self) -> dict:
        data = asdict(self)
        data["passed"] = self.passed
        return data
