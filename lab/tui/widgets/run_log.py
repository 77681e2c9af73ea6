"""Provides RunLog: what a run says for the learner (`Log` events), its first lines kept.

A scripted run logs what it shows first ("w.grad is None", the first gradients), then a line per
epoch: the tips point at the first lines, so they stay, with the latest few under them.
"""

from __future__ import annotations

from collections import deque

from textual.content import Content
from textual.widgets import Static


class RunLog(Static):
    """The log of the current run under a "Log" heading; hidden until the run says something."""

    FIRST = 6
    """Lines kept from the start of the run."""
    LAST = 3
    """Latest lines kept after them, below a line that counts the ones left out."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", **kwargs)
        self.first: list[str] = []
        self.last: deque[str] = deque(maxlen=self.LAST)
        self.count = 0

    def on_mount(self) -> None:
        self.display = False

    def clear(self) -> None:
        self.first, self.count = [], 0
        self.last.clear()
        self.display = False

    def add(self, text: str) -> None:
        for line in text.splitlines() or [""]:
            self.count += 1
            if len(self.first) < self.FIRST:
                self.first.append(line)
            else:
                self.last.append(line)
        self.update(self.shown())
        self.display = True

    def lines(self) -> list[str]:
        """The lines shown: the first ones, how many are left out, the latest ones."""
        left_out = self.count - len(self.first) - len(self.last)
        gap = [f"… {left_out:,} more line{'s' if left_out != 1 else ''} …"] if left_out else []
        return [*self.first, *gap, *self.last]

    def shown(self) -> Content:
        return Content("\n").join([Content.styled("Log", "bold"), *map(Content, self.lines())])
