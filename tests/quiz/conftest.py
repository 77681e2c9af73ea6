"""Fixtures for the quiz tests: the fixture lesson's catalog, a fresh CLI state per test."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog

GOOD = Path(__file__).parents[1] / "fixtures" / "good"


@pytest.fixture
def catalog():
    return load_catalog([GOOD])


@pytest.fixture
def questions(catalog):
    return {q.kind: q for q in catalog.lesson("gd-example").quiz}


@pytest.fixture(autouse=True)
def fresh_cli_state():
    from lab.cli import state

    state._catalog = None
    yield
    state._catalog = None
