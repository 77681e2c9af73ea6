"""Provides reflow (lesson prose from YAML blocks, wrapped by the screen rather than the file)
and plain-text tables for the terminal: aligned columns, no colour, safe over any terminal."""

from __future__ import annotations

import re
import shutil

_OWN_LINE = re.compile(r"\s*[-*•]\s|\s{4}")
"""A bullet or an indented (code) line keeps its own line."""


def reflow(text: str) -> str:
    """Join the lines of each paragraph (blank lines between paragraphs are kept), so a column
    or a terminal of any width wraps the text itself, not where the YAML file broke it."""
    paragraphs = []
    for paragraph in re.split(r"\n\s*\n", text.strip("\n")):
        lines: list[str] = []
        for line in paragraph.splitlines():
            if lines and not _OWN_LINE.match(line):
                lines[-1] = f"{lines[-1]} {' '.join(line.split())}"
            elif line.strip():
                lines.append(line.rstrip() if _OWN_LINE.match(line) else " ".join(line.split()))
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


def table(headers: list[str], rows: list[list[object]]) -> str:
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    # The last column absorbs what the terminal lacks.
    room = shutil.get_terminal_size((100, 24)).columns - sum(widths[:-1]) - 2 * (len(widths) - 1)
    widths[-1] = max(10, min(widths[-1], room))
    out = []
    for n, row in enumerate(cells):
        parts = [
            c.ljust(w) if i < len(row) - 1 else _cut(c, w)
            for i, (c, w) in enumerate(zip(row, widths, strict=True))
        ]
        out.append("  ".join(parts).rstrip())
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def _cut(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`1 review`, `2 reviews`, `0 reviews` (`plural` when adding s will not do)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
