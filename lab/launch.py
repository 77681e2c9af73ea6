"""Provides the `lab` entry point: `lab glossary TERM` straight away, everything else via typer.

Typer builds its parameter adapters with pydantic on every call (~0.3 s here); the look-up a
learner types most should not pay for that.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def _glossary_args(argv: list[str]) -> tuple[str | None, bool, list[Path]] | None:
    """(term, --json, --lessons dirs) when argv is a plain glossary call, else None."""
    extra: list[Path] = []
    while argv and argv[0].startswith("--lessons"):
        if argv[0] == "--lessons" and len(argv) > 1:
            extra.append(Path(argv[1]))
            argv = argv[2:]
        elif argv[0].startswith("--lessons="):
            extra.append(Path(argv[0].split("=", 1)[1]))
            argv = argv[1:]
        else:
            return None
    if not argv or argv[0] != "glossary":
        return None
    rest = argv[1:]
    as_json = "--json" in rest
    words = [a for a in rest if a != "--json"]
    if len(words) > 1 or any(w.startswith("-") for w in words):
        return None  # --help and anything unusual: typer answers
    return (words[0] if words else None), as_json, extra


def main() -> None:
    try:
        _main()
    except BrokenPipeError:
        # The reader of stdout went away (`lab glossary | head`): end quietly, as `cat` does.
        # Python flushes stdout once more at exit and would complain again: point it at null.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)


def _main() -> None:
    fast = _glossary_args(sys.argv[1:])
    if fast:
        from lab import glossary, paths

        term, as_json, extra = fast
        try:
            code = glossary.show(term, as_json, paths.default_lesson_dirs(extra))
            sys.stdout.flush()
        except BrokenPipeError:
            # `lab glossary | head`: the reader has gone; end quietly, as a shell tool does
            # (stdout points at /dev/null so that the flush at exit raises nothing more).
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            code = 141
        sys.exit(code)
    from lab.cli import app

    app()
