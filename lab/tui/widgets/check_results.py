"""Provides CheckResults: the outcome of checking a learner's file, one line per check.

Passed and failed are told by a mark (✓ / ✗) as well as a colour, so they read the same with
NO_COLOR. A failed check's message sits under it, indented even where it wraps, as `lab check`
prints it. Everything shown is the checker's text, never markup.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.containers import Vertical
from textual.content import Content
from textual.widgets import Static

if TYPE_CHECKING:
    from lab.exercises.result import Result

OUTPUT_LINES = 8
"""At most this many lines of what the learner's code printed (the checker caps it too)."""


def result_rows(result: Result) -> list[Static]:
    """A checker `Result` as rows: the summary, each check, the error, the printed output."""
    head_style = "bold $text-success" if result.passed else "bold $text-error"
    rows = [Static(Content.styled(result.summary(), head_style), classes="check-head")]
    for outcome in result.checks:
        if outcome.passed:
            mark = Content.styled("✓ ", "$text-success")
        else:
            mark = Content.styled("✗ ", "$text-error")
        rows.append(Static(mark + Content(outcome.name), classes="check"))
        if not outcome.passed and outcome.message:
            rows.append(Static(Content(outcome.message), classes="check-detail"))
    if result.error and "\n" in result.error.strip():
        # the first line is the summary; the rest is the learner's trimmed traceback
        detail = result.error.strip().split("\n", 1)[1]
        rows.append(Static(Content.styled(detail, "$text-error"), classes="check-detail"))
    output = (result.output or "").rstrip()
    if output:
        lines = output.splitlines()
        shown = "\n".join(lines[:OUTPUT_LINES])
        if len(lines) > OUTPUT_LINES:
            shown += f"\n… {len(lines) - OUTPUT_LINES} more lines"
        rows.append(Static(Content.styled("your code printed:", "$text-muted"), classes="check"))
        rows.append(Static(Content(shown), classes="check-detail"))
    return rows


class CheckResults(Vertical):
    """What the last check said; `checking()` while one runs."""

    def text(self) -> str:
        """Everything shown, as plain text (for tests and the curious)."""
        return "\n".join(str(row.render()) for row in self.query(Static))

    def _show(self, rows: list[Static]) -> None:
        self.remove_children()
        self.mount_all(rows)

    def show_nothing(self, text: str) -> None:
        self._show([Static(Content.styled(text, "$text-muted"))])

    def checking(self, seconds: float) -> None:
        text = f"checking… {seconds:.0f} s" if seconds >= 1 else "checking…"
        rows = self.query(".checking")
        if rows:
            rows.first(Static).update(Content.styled(text, "italic $text-muted"))
        else:
            self._show([Static(Content.styled(text, "italic $text-muted"), classes="checking")])

    def show(self, result: Result) -> None:
        self._show(result_rows(result))
