"""Provides `Separated`: short items in a row, `a  ·  b  ·  c`, that wrap between items."""

from __future__ import annotations

from textual.content import Content
from textual.css.styles import RulesMap
from textual.strip import Strip
from textual.style import Style
from textual.visual import RenderOptions, Visual

from lab.text import cell_width, pack


class Separated(Visual):
    """Items joined by a separator. Where they do not fit the width, the row breaks between two
    items, so no line ends or starts with a separator (a plain wrap left `(e)  ·` dangling)."""

    def __init__(self, items: list[str], separator: str = "  ·  ") -> None:
        self.items = items
        self.separator = separator

    def __str__(self) -> str:
        return self.separator.join(self.items)

    def content(self, width: int) -> Content:
        rows = pack(self.items, width, self.separator)
        return Content("\n".join(self.separator.join(row) for row in rows))

    def render_strips(
        self, width: int, height: int | None, style: Style, options: RenderOptions
    ) -> list[Strip]:
        return self.content(width).render_strips(width, height, style, options)

    def get_optimal_width(self, rules: RulesMap, container_width: int) -> int:
        return cell_width(self.separator.join(self.items))

    def get_height(self, rules: RulesMap, width: int) -> int:
        return self.content(width).get_height(rules, width)
