"""Provides PickScreen: a small modal list to choose one item by keyboard (a term, a run)."""

from __future__ import annotations

from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Vertical
from textual.content import Content
from textual.screen import ModalScreen
from textual.widgets import Label, OptionList
from textual.widgets.option_list import Option

from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.inline_text import inline_text


class PickList(OptionList):
    """An OptionList whose footer says what enter does (the list's own binding hides it)."""

    BINDINGS = [Binding("enter", "select", "Choose", key_display="enter")]


class PickScreen(ModalScreen[str | None]):
    """Choose one of `items` (id, label); dismisses with the id, or None on escape."""

    BINDINGS = [Binding("escape", "cancel", "Back")]

    def __init__(self, title: str, items: list[tuple[str, str]]) -> None:
        super().__init__()
        self.title_text = title
        self.items = items

    def compose(self) -> ComposeResult:
        with Vertical(id="pick"):
            yield Label(Content(self.title_text), id="pick-title")
            yield PickList(
                *[Option(inline_text(label), id=item_id) for item_id, label in self.items],
                id="pick-list",
            )
        yield LabFooter()

    def on_mount(self) -> None:
        self.query_one(PickList).focus()

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        event.stop()
        self.dismiss(event.option.id)

    def action_cancel(self) -> None:
        self.dismiss(None)
