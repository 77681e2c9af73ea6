"""Provides what the `lab` callback learned from global options, for the subcommands."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab.catalog import Catalog

extra_lesson_dirs: list[Path] = []


def catalog() -> Catalog:
    """The catalog with `--lessons` folders added; loaded once per command."""
    global _catalog
    if _catalog is None:
        from lab import paths
        from lab.catalog import load_catalog

        _catalog = load_catalog(paths.default_lesson_dirs(extra_lesson_dirs))
    return _catalog


_catalog: Catalog | None = None
