"""Provides CodeEditor: Textual's code editor for a learner's Python file, escape to leave it:
Python highlighting (tree-sitter), line numbers, undo (ctrl+z) and redo (ctrl+y)."""

from __future__ import annotations

from textual import events
from textual.message import Message
from textual.widgets import TextArea


class CodeEditor(TextArea):
    """A Python code editor: tab indents, escape gives the keys back to the screen (read-only,
    it takes no keys, so escape is the screen's as usual)."""

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
        await super()._on_key(event)
