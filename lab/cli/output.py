"""Provides plain-text tables for the CLI (the one copy lives in `lab.text`, which the glossary's
fast path uses without importing the CLI)."""

from __future__ import annotations

from lab.text import table

__all__ = ["table"]
