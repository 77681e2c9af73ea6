"""Provides ModelView: the panel of the experiment screen that shows the picture of the model
while it trains. It keeps every view the run sends (`ViewState`) and draws the chosen kind
(`v` cycles) with `lab.tui.view_drawing`.
"""

from __future__ import annotations

from typing import Any

from rich.text import Span, Text
from textual.geometry import Region
from textual.reactive import reactive
from textual.widget import Widget

from lab.tui.view_drawing import ViewState, describe, draw, fit_legend, legend_parts
from lab.tui.widgets.loss_plot import changed_rows

PICTURE_ROWS_MIN = 3
"""Rows a picture keeps whatever its legend needs (the legend gives way first)."""


class ModelView(Widget):
    """The picture of the model; `cycle()` moves to the next kind the run sends.

    A new view repaints only the rows whose characters or styles changed (as the loss plot
    does): a boundary that has settled costs the terminal its title row, not the whole panel."""

    DEFAULT_CSS = """
    ModelView { height: 1fr; }
    """

    kind: reactive[str | None] = reactive(None)

    def __init__(self, ascii: bool = False, **kwargs) -> None:
        super().__init__(**kwargs)
        self.ascii = ascii
        self.state = ViewState()
        self._more_after_last = False
        self._picture: tuple[tuple[int, ...], Text, list[tuple[str, tuple[Span, ...]]]] | None = (
            None
        )

    @property
    def more_after_last(self) -> bool:
        """True where `v` goes on past the last kind (to the accuracy plot): the title says so."""
        return self._more_after_last

    @more_after_last.setter
    def more_after_last(self, more: bool) -> None:
        if more != self._more_after_last:
            self._more_after_last = more
            self.repaint(only_changed=True)  # the title row: the picture is drawn and kept

    def reset(self) -> None:
        self.state = ViewState()
        self.kind = None
        self.repaint()

    def add(self, kind: str, step: int, data: dict[str, Any]) -> None:
        self.state.add(kind, step, data)
        if self.kind is None:
            self.kind = kind
        if kind == self.kind:
            self.repaint(only_changed=True)

    def set_ascii(self, ascii: bool) -> None:
        self.ascii = ascii
        self.repaint()

    def choose(self, kind: str) -> None:
        self.kind = kind
        self.repaint()

    def cycle(self) -> str | None:
        kinds = self.state.kinds()
        if kinds:
            self.kind = (
                kinds[(kinds.index(self.kind) + 1) % len(kinds)] if self.kind in kinds else kinds[0]
            )
            self.repaint()
        return self.kind

    def title(self, width: int) -> str:
        """`fit at step 300  (v: next)`, the hint shortened to fit `width`."""
        if self.kind is None:
            return "model view"
        more = len(self.state.kinds()) > 1 or self.more_after_last
        title = describe(self.kind, self.state.latest[self.kind].get("step"))
        hints = ("  (v: next)", "  (v)", "") if more else ("",)
        return next((title + h for h in hints if len(title + h) <= width), title)

    def repaint(self, only_changed: bool = False) -> None:
        """Draw the picture again; with `only_changed`, send the terminal only changed rows."""
        shown = self._picture
        if not only_changed or shown is None or shown[0] != tuple(self.size):
            self._picture = None
            self.refresh()
            return
        size, text, rows = self._draw()
        self._picture = size, text, rows
        for first, count in changed_rows(shown[2], rows):
            self.refresh(Region(0, first, size[0], count))

    def _draw(self) -> tuple[tuple[int, ...], Text, list[tuple[str, tuple[Span, ...]]]]:
        text = self.picture()
        rows = [(line.plain, tuple(line.spans)) for line in text.split("\n", allow_blank=True)]
        return tuple(self.size), text, rows

    def picture(self) -> Text:
        """The title row, the chosen view drawn to the widget's size, and what its characters
        mean under it (where the panel has rows for both)."""
        width, height = max(self.size.width, 10), max(self.size.height - 1, 3)
        text = Text(self.title(width)[:width] + "\n", style="bold")
        if self.kind is None:
            return text + Text("appears once a run starts", style="dim")
        key = fit_legend(legend_parts(self.kind, self.ascii), width, height - PICTURE_ROWS_MIN)
        picture = draw(self.state, self.kind, width, height - len(key), self.ascii)
        return Text("\n").join([text + picture, *(Text(row, style="dim") for row in key)])

    def render(self) -> Text:
        if self._picture is None or self._picture[0] != tuple(self.size):
            self._picture = self._draw()
        return self._picture[1]
