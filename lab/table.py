"""Provides plain-text tables (CLI and glossary fast path): aligned columns, no colour."""

from __future__ import annotations

import shutil


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
