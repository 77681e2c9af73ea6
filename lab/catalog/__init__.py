"""Lessons as data: the schema, a safe loader with file:line errors, lookups and search."""

from lab.catalog.catalog import Catalog, ExperimentEntry, TermEntry, load_catalog
from lab.catalog.loader import Problem

__all__ = ["Catalog", "ExperimentEntry", "Problem", "TermEntry", "load_catalog"]
