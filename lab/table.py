"""Provides plain-text tables (CLI and glossary fast path): aligned columns that wrap to fit
the terminal, no colour, safe over any terminal."""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

from lab.text import cell_width, wrap_cells

GAP = "  "
WORD_MAX = 20


def terminal_width() -> int:
    """Columns to fill: COLUMNS, else the terminal's, also when stdout is a pipe (`lab runs |
    head` still lands on it), else 80."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    for stream in (sys.stdout, sys.stderr, sys.stdin):
        try:
            return os.get_terminal_size(stream.fileno()).columns
        except (AttributeError, ValueError, OSError):
            continue
    return 80


def table(
    headers: list[str],
    rows: Sequence[Sequence[object]],
    width: int | None = None,
    limits: list[int | None] | None = None,
) -> str:
    """Columns as wide as their cells (at most their `limits`), narrowed (widest first) to fit
    `width` (the terminal's): a narrowed column wraps its cells at spaces, `_` and `-`, and a
    wrapped row's other cells stay blank on its next lines. Widths count terminal cells (a CJK
    character takes two)."""
    width = terminal_width() if width is None else width
    cells = [[str(c) for c in headers], *[[str(c) for c in row] for row in rows]]
    n = len(headers)
    widths = [max(cell_width(r[i]) for r in cells) for i in range(n)]
    widths = [min(w, limit or w) for w, limit in zip(widths, limits or [None] * n, strict=True)]
    # A column gives up room down to its longest word (ids stay whole), up to WORD_MAX cells;
    # prose wraps first. Past that, the widest column narrows and cuts inside words, but not
    # inside its heading's words (`question` over `s`) until nothing else is left.
    heads = [max([4, *(cell_width(word) for word in header.split())]) for header in headers]
    floors = [max(heads[i], min(_longest_word(cells, i), WORD_MAX)) for i in range(n)]
    room = width - len(GAP) * (n - 1)
    for floor in (floors, heads, [4] * n):
        while sum(widths) > room:
            i = max(range(n), key=lambda i: (widths[i] - floor[i], widths[i]))
            if widths[i] <= floor[i]:
                break
            widths[i] -= 1
    out = []
    for k, row in enumerate(cells):
        wrapped = [wrap_cells(c, w) or [""] for c, w in zip(row, widths, strict=True)]
        for line in range(max(len(w) for w in wrapped)):
            parts = [
                _pad(w[line] if line < len(w) else "", widths[i]) for i, w in enumerate(wrapped)
            ]
            out.append(GAP.join(parts).rstrip())
        if k == 0:
            out.append(GAP.join("-" * w for w in widths))
    return "\n".join(out)


def _longest_word(cells: list[list[str]], column: int) -> int:
    return max((cell_width(w) for row in cells[1:] for w in row[column].split()), default=0)


def _pad(text: str, width: int) -> str:
    return text + " " * max(width - cell_width(text), 0)
