"""Provides CheckResults: the outcome of checking a learner's file, one line per check.

Passed and failed are told by a mark (✓ / ✗) as well as a colour, so they read the same with
NO_COLOR. Everything shown is the checker's text, never markup.
"""

from __future__ import annotations

from typing import Any

from textual.content import Content
from textual.widgets import Static

OUTPUT_LINES = 8
"""At most this many lines of what the learner's code printed (the checker caps it too)."""


def result_content(result: Any) -> Content:
    """A checker `Result` as text: the summary, each check, the error, the printed output."""
    parts: list[Content] = []
    head_style = "bold $text-success" if result.passed else "bold $text-error"
    parts.append(Content.styled(result.summary(), head_style))
    for outcome in result.checks:
        mark = (
            Content.styled("✓ ", "$text-success")
            if outcome.passed
            else Content.styled("✗ ", "$text-error")
        )
        line = (
            outcome.name
            if outcome.passed or not outcome.message
            else (f"{outcome.name}: {outcome.message}")
        )
        parts.append(mark + Content(line))
    if result.error:
        parts.append(Content.styled(result.error.rstrip(), "$text-error"))
    output = (result.output or "").rstrip()
    if output:
        lines = output.splitlines()
        shown = "\n".join(lines[:OUTPUT_LINES])
        more = f"\n… {len(lines) - OUTPUT_LINES} more lines" if len(lines) > OUTPUT_LINES else ""
        parts.append(Content.styled("printed:", "$text-muted"))
        parts.append(Content(shown + more))
    return Content("\n").join(parts)


class CheckResults(Static):
    """What the last check said; `checking()` while one runs."""

    def show_nothing(self, text: str) -> None:
        self.update(Content.styled(text, "$text-muted"))
        self.set_class(False, "-passed", "-failed")

    def checking(self, seconds: float) -> None:
        text = f"checking… {seconds:.0f} s" if seconds >= 1 else "checking…"
        self.update(Content.styled(text, "italic $text-muted"))
        self.set_class(False, "-passed", "-failed")

    def show(self, result: Any) -> None:
        self.update(result_content(result))
        self.set_class(bool(result.passed), "-passed")
        self.set_class(not result.passed, "-failed")
