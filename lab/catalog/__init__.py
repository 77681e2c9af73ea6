"""Lessons as data: the schema, a safe loader with file:line errors, lookups and search.

The re-exports load lazily, so that light modules here (search, allowlists) can be imported
without pydantic and the lesson parser.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from lab.catalog.catalog import (
        Catalog,
        ExerciseEntry,
        ExperimentEntry,
        TermEntry,
        load_catalog,
    )
    from lab.catalog.loader import Problem

__all__ = ["Catalog", "ExerciseEntry", "ExperimentEntry", "Problem", "TermEntry", "load_catalog"]


def __getattr__(name: str):
    if name == "Problem":
        from lab.catalog.loader import Problem

        return Problem
    if name in __all__:
        from lab.catalog import catalog

        return getattr(catalog, name)
    raise AttributeError(name)
