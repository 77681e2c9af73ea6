"""Shared fixtures: every test gets its own LAB_HOME, so no test touches a learner's data."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def lab_home(tmp_path_factory, monkeypatch):
    home = tmp_path_factory.mktemp("lab_home")
    monkeypatch.setenv("LAB_HOME", str(home))
    monkeypatch.delenv("LAB_LESSONS", raising=False)
    monkeypatch.delenv("LAB_DATA_DIR", raising=False)
    return home
