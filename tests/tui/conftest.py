"""Fixtures for the app tests: the fixture lessons, a store in a temporary LAB_HOME, the app."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "good"


@pytest.fixture
def catalog():
    return load_catalog([FIXTURES])


@pytest.fixture
def make(catalog, store):
    """Build the app as the CLI does, with the test's own store; its runs' workers are the
    engine in this process (`tests.fake_worker.Workers`) unless the test gives others."""
    from lab.tui.app import make_app
    from tests.fake_worker import Workers

    def build(target: str | None = None, **kwargs):
        kwargs.setdefault("prewarm", False)
        kwargs.setdefault("run_workers", Workers())
        return make_app(catalog, store=kwargs.pop("store", store), target=target, **kwargs)

    return build
