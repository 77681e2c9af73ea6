"""Fixtures for the store tests: a Store in the test's own LAB_HOME."""

from __future__ import annotations

import pytest

from lab.store import Store


@pytest.fixture
def store(lab_home):
    s = Store.open()
    yield s
    s.close()
