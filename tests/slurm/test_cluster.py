"""The test cluster itself: a job step and a batch job run on this host and end."""

from __future__ import annotations

import socket

import pytest

pytestmark = pytest.mark.slow


def test_a_step_and_a_batch_job_run_on_this_host(slurm, tmp_path):
    node = socket.gethostname().split(".")[0]
    assert slurm.run("srun", "-N1", "hostname").stdout.strip() == node
    out = tmp_path / "job.out"
    submitted = slurm.run(
        "sbatch",
        "--wait",
        "--parsable",
        "--cpus-per-task=2",
        f"--output={out}",
        "--wrap",
        "echo $SLURM_CPUS_ON_NODE",
    )
    assert submitted.stdout.strip().isdigit()
    assert out.read_text().strip() == "2"
    assert slurm.jobs() == []
