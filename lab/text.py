"""Provides reflow (lesson prose from YAML blocks, wrapped by the screen rather than the file)
and wrapping by terminal cells, where a CJK character takes two."""

from __future__ import annotations

import re
import unicodedata

_OWN_LINE = re.compile(r"\s*[-*•]\s|\s{4}")
"""A bullet or an indented (code) line keeps its own line."""

_PIECES = re.compile(r"[^\s_\-/:]*[_\-/:]+|[^\s_\-/:]+|\s+")
"""What a line may break after: spaces, and `_`, `-`, `/` or `:` inside a word."""


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


def cell_width(text: str) -> int:
    """Terminal cells the text takes: two for wide (CJK) characters, none for combining marks."""
    width = 0
    for ch in text:
        if unicodedata.combining(ch):
            continue
        width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def wrap_cells(
    text: str, width: int, indent: str = "", first_indent: str | None = None
) -> list[str]:
    """`text` in lines of at most `width` cells, broken at spaces (or after `_-/:`),
    a piece longer than a line cut where the line ends. Lines after the first start with
    `indent`, the first with `first_indent` (default: `indent`)."""
    first = indent if first_indent is None else first_indent
    lines: list[str] = []
    line, used = first, cell_width(first)
    for piece in _PIECES.findall(" ".join(text.split())):
        size = cell_width(piece)
        if piece.isspace():
            if used > cell_width(indent if lines else first):
                line, used = line + " ", used + 1
            continue
        if used + size > width and line.strip():
            lines.append(line.rstrip())
            line, used = indent, cell_width(indent)
        while used + size > width and size > 1:  # longer than a whole line: cut it
            take, taken = "", 0
            for ch in piece:
                if used + taken + cell_width(ch) > width:
                    break
                take, taken = take + ch, taken + cell_width(ch)
            if not take:
                break
            lines.append(line + take)
            line, used = indent, cell_width(indent)
            piece, size = piece[len(take) :], size - taken
        line, used = line + piece, used + size
    if line.strip():
        lines.append(line.rstrip())
    return lines


def labelled(label: str, value: str, width: int, label_width: int = 12) -> list[str]:
    """`  label:   value` lines within `width` cells, the value's wrapped lines under its start."""
    head = f"  {label}"
    return wrap_cells(
        value, width, " " * label_width, head + " " * (label_width - cell_width(head))
    )


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 experiment`, `2 experiments`, `1,200 cards` (`words` when adding an s is wrong)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
