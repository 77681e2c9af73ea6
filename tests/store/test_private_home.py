"""A learner's LAB_HOME is private on a shared server: made 0700, the database 0600, whatever
the umask."""

from __future__ import annotations

import os
import stat

import pytest

from lab import paths
from lab.store import Store


@pytest.fixture
def loose_umask():
    old = os.umask(0o022)  # the common default: folders 0755, files 0644
    yield
    os.umask(old)


def _mode(path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_a_new_home_and_its_database_are_private(lab_home, monkeypatch, loose_umask):
    home = lab_home / "new" / "home"
    monkeypatch.setenv("LAB_HOME", str(home))
    with Store.open() as store:
        store.mark_read("tensors")
    assert _mode(home) == 0o700
    made = [p for p in home.iterdir() if p.name.startswith("lab.db")]
    assert made and all(_mode(p) == 0o600 for p in made), {p.name: oct(_mode(p)) for p in made}


def test_a_home_the_learner_made_keeps_its_mode(lab_home, monkeypatch, loose_umask):
    home = lab_home / "mine"
    home.mkdir(mode=0o750)
    monkeypatch.setenv("LAB_HOME", str(home))
    assert paths.ensure_home() == home and _mode(home) == 0o750
