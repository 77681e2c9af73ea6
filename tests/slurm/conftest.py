"""Fixtures: a real Slurm cluster per test session (per pytest-xdist worker), and per test."""

from __future__ import annotations

import os

import pytest

from tests.slurm import cluster


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """The session's cluster. Where Slurm cannot start, the test is skipped with the reason;
    under CI=true it fails instead: CI installs Slurm, and a suite that skips it proves nothing."""
    why = cluster.missing()
    if why is not None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI=true but {why}", pytrace=False)
        pytest.skip(why)
    started = cluster.start(tmp_path_factory.mktemp("slurm"))
    yield started
    started.stop()


@pytest.fixture
def slurm(slurm_cluster, monkeypatch):
    """The cluster, with SLURM_CONF set for the test; the test's jobs are cancelled after it."""
    monkeypatch.setenv("SLURM_CONF", str(slurm_cluster.conf))
    yield slurm_cluster
    slurm_cluster.cancel_all()
