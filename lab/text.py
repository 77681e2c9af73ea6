"""Provides reflow (lesson prose from YAML blocks, wrapped by the screen rather than the file)
and plural (a number with its noun), and wrapping by terminal cells, where a CJK
character takes two: of prose (wrap_cells, hanging) and of rows of short items (pack)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import TypeVar

T = TypeVar("T")

_OWN_LINE = re.compile(r"\s*[-*•]\s|\s{4}")
"""A bullet or an indented (code) line keeps its own line."""

_WORD = re.compile(r"(?:[^\s`]*`[^`]*`)+[^\s`]*|\S+")
"""A word to wrap. A code span in backticks is one word, spaces and all, together with what
touches it (a bracket, a comma)."""

_PIECES = re.compile(r"[^_\-/:]*[_\-/:]+|[^_\-/:]+")
"""The pieces of a word a line may break after: `_`, `-`, `/` or `:`."""


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
    """`text` in lines of at most `width` cells, broken at spaces but not inside a `code span`;
    a word longer than a line is broken after `_`, `-`, `/` or `:` inside it, and cut where
    nothing else will do. Lines after the first start with `indent`, the first with
    `first_indent` (default: `indent`)."""
    lines: list[str] = []
    line = indent if first_indent is None else first_indent
    bare = True  # nothing but the indent on this line yet

    def fits(piece: str, gap: str) -> bool:
        return cell_width(line) + len(gap) + cell_width(piece) <= width

    for word in _WORD.findall(text):
        gap = "" if bare else " "
        if fits(word, gap):
            line, bare = line + gap + word, False
            continue
        if not bare and cell_width(indent) + cell_width(word) <= width:
            lines.append(line)
            line, bare = indent + word, False
            continue
        for piece in _PIECES.findall(word):  # a word wider than a line: break inside it
            if not fits(piece, gap) and not bare:
                lines.append(line)
                line, bare, gap = indent, True, ""
            while not fits(piece, gap):
                take = _cut(piece, max(width - cell_width(line) - len(gap), 1))
                lines.append(line + gap + take)
                line, bare, gap, piece = indent, True, "", piece[len(take) :]
            line, bare, gap = line + gap + piece, False, ""  # the word goes on with no space
    if not bare:
        lines.append(line)
    return lines


def _cut(text: str, cells: int) -> str:
    """The longest start of `text` within `cells` cells (at least one character)."""
    taken = 0
    for i, ch in enumerate(text):
        taken += cell_width(ch)
        if taken > cells:
            return text[: max(i, 1)]
    return text


_MARKER = re.compile(r"\s*(?:[-*] |\d+\. )?")
"""A line's indent and list marker: its wrapped lines go under the text after them."""


def hanging(lines: list[str], width: int) -> list[str]:
    """Each line wider than `width` cells wrapped, its next lines under its text (after its
    indent and a `- ` or `1. ` marker); a line that fits is kept as it is (a tensor's columns
    stay aligned)."""
    out: list[str] = []
    for line in lines:
        if cell_width(line) <= width:
            out.append(line)
        else:
            marker = _MARKER.match(line)
            lead = marker.group() if marker else ""
            out += wrap_cells(line[len(lead) :], width, " " * cell_width(lead), lead)
    return out


def pack(items: Sequence[T], width: int, separator: str = "  ·  ") -> list[list[T]]:
    """The items in as few rows as hold them in `width` cells once joined by `separator`
    (measured by `str(item)`): a row breaks between two items, so none ends or starts with a
    separator; an item wider than a row gets a row of its own."""
    rows: list[list[T]] = []
    used = 0  # cells of the last row
    for item in items:
        cells = cell_width(str(item))
        if rows and used + cell_width(separator) + cells <= width:
            rows[-1].append(item)
            used += cell_width(separator) + cells
        else:
            rows.append([item])
            used = cells
    return rows


def labelled(label: str, value: str, width: int, label_width: int = 12) -> list[str]:
    """`  label:   value` lines within `width` cells, the value's wrapped lines under its start."""
    head = f"  {label}"
    return wrap_cells(
        value, width, " " * label_width, head + " " * (label_width - cell_width(head))
    )


def plural(n: int, word: str, words: str | None = None) -> str:
    """`1 experiment`, `2 experiments`, `1,200 cards` (`words` when adding an s is wrong)."""
    return f"{n:,} {word if n == 1 else (words or word + 's')}"
