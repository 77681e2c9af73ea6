"""Provides Confirm: a small modal yes/no question (y, n or escape, or the two buttons)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Button, Label

from lab.tui.widgets.footer import LabFooter


class MarkedButton(Button):
    """A button that shows it has focus with `>` and `<` around its label, not by colour
    alone: enter presses the one marked, with NO_COLOR or on a monochrome terminal too."""

    def __init__(self, label: str, **kwargs) -> None:
        super().__init__(Content(self._marked(label, False)), **kwargs)
        self.plain_label = label

    @staticmethod
    def _marked(label: str, focused: bool) -> str:
        # As wide either way: the buttons do not move when focus does.
        return f"> {label} <" if focused else f"  {label}  "

    def on_focus(self) -> None:
        self.label = Content(self._marked(self.plain_label, True))

    def on_blur(self) -> None:
        self.label = Content(self._marked(self.plain_label, False))


class Confirm(ModalScreen[bool]):
    """Asks `question`; dismisses with True for yes, False for no or escape. "No" has focus."""

    BINDINGS = [
        Binding("y", "answer(True)", "Yes"),
        Binding("n", "answer(False)", "No"),
        Binding("escape", "answer(False)", "No"),
    ]

    def __init__(self, question: str, yes: str = "Yes", no: str = "No") -> None:
        super().__init__()
        self.question = question
        self.yes = yes
        self.no = no

    def compose(self) -> ComposeResult:
        with Vertical(id="confirm"):
            yield Label(Content(f"{self.question} (y/n)"), id="confirm-question")
            with Horizontal(id="confirm-buttons"):
                yield MarkedButton(self.yes, id="yes", variant="error")
                yield MarkedButton(self.no, id="no", variant="primary")
        yield LabFooter()

    def on_mount(self) -> None:
        self.query_one("#no", Button).focus()

    def on_button_pressed(self, event: Button.Pressed) -> None:
        self.dismiss(event.button.id == "yes")

    def action_answer(self, value: bool) -> None:
        self.dismiss(value)
