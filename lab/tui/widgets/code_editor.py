"""Provides CodeEditor: Textual's code editor for a learner's Python file, escape to leave it:
Python highlighting (tree-sitter), line numbers, undo (ctrl+z) and redo (ctrl+y)."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea


class CodeEditor(TextArea):
    """A Python code editor: tab indents, enter keeps the indent (one more after a `:`),
    escape gives the keys back to the screen (read-only, it takes no keys, so escape is the
    screen's as usual)."""

    class Left(Message):
        """The learner pressed escape in the editor: the screen takes the keys again."""

    def __init__(self, text: str = "", *, read_only: bool = False, **kwargs) -> None:
        super().__init__(
            text,
            language="python",
            theme="monokai",
            soft_wrap=False,
            tab_behavior="indent",
            show_line_numbers=True,
            read_only=read_only,
            max_checkpoints=200,
            **kwargs,
        )

    async def _on_key(self, event: events.Key) -> None:
        if event.key == "escape" and not self.read_only:
            # TextArea's own escape moves focus to the next widget, which in a screen of
            # panels is arbitrary; the screen decides where the keys go instead.
            event.stop()
            event.prevent_default()
            self.post_message(self.Left())
            return
        if event.key == "enter" and not self.read_only:
            event.stop()
            event.prevent_default()
            self.replace("\n" + self.next_indent(), *self.selection)
            return
        await super()._on_key(event)

    def next_indent(self) -> str:
        """The indent a new line at the cursor starts with: the line's own, one level more
        after a `:` (a `for`, an `if`, a `def` opens a block)."""
        row, column = self.selection.start
        before = self.document.get_line(row)[:column]
        indent = before[: len(before) - len(before.lstrip())]
        if before.rstrip().endswith(":"):
            indent += " " * self.indent_width
        return indent
