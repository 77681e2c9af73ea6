"""Provides the solution screen: the reference solution of an exercise, shown after an attempt."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.content import Content
from textual.screen import Screen
from textual.widgets import Header, Static

from lab.exercises.session import SOLUTION_NOTE
from lab.tui.widgets.code_editor import CodeEditor
from lab.tui.widgets.footer import LabFooter


class SolutionScreen(Screen):
    """The reference solution, read-only; escape goes back to the exercise."""

    BINDINGS = [Binding("escape", "back", "Back")]

    def __init__(self, title: str, code: str) -> None:
        super().__init__()
        self.exercise_title = title
        self.code = code

    def compose(self) -> ComposeResult:
        yield Header(show_clock=False)
        yield Static(Content(SOLUTION_NOTE), id="solution-note")
        yield CodeEditor(self.code, read_only=True, id="solution-code")
        yield LabFooter()

    def on_mount(self) -> None:
        self.sub_title = f"Solution: {self.exercise_title}"
        self.query_one("#solution-code").focus()

    def action_back(self) -> None:
        self.app.pop_screen()
