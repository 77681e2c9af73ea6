"""Provides reflow (lesson prose from YAML blocks, wrapped by the screen rather than the file)
and count (a number with its noun, singular or plural)."""

from __future__ import annotations

import re

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


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`1 review`, `2 reviews`, `0 reviews` (`plural` when adding s will not do)."""
    return f"{n} {noun if n == 1 else plural or noun + 's'}"
