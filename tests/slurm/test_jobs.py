"""`lab export --slurm` and `lab jobs` on a real Slurm cluster (tests/slurm/cluster.py).

ddp-digits exported for Slurm ends with the figures of `lab run ddp-digits` (same seed, 3
epochs), as a one-node job of 2 processes submitted with `sbatch --wait`, and as a job of two
"nodes" on this one machine: 2 tasks, each a torchrun agent of one process, meeting by the c10d
rendezvous. `lab jobs` lists them, follows them to their final figures, cancels one, and shows
Slurm's refusal of a bad partition in one line.
"""

from __future__ import annotations

import json
import subprocess
import time

import pytest
from typer.testing import CliRunner

from lab.catalog.runspec import build_run_spec
from lab.engine.loop import run_events

pytestmark = pytest.mark.slow

TOLERANCE = 1e-4  # as tests/distributed/test_export_ddp.py compares torchrun with lab run
EPOCHS = 3


@pytest.fixture(scope="module")
def lab_run_figures(tmp_path_factory):
    """`lab run ddp-digits --epochs 3`'s final metrics (in this process, as the export tests)."""
    from lab.catalog import load_catalog

    with pytest.MonkeyPatch.context() as mp:
        mp.delenv("LAB_SHIPPED_LESSONS", raising=False)
        mp.setenv("LAB_THREADS", "1")
        run_spec = build_run_spec(load_catalog().experiment("ddp-digits"), epochs=EPOCHS)
        done = list(run_events(run_spec, lambda: False))[-1]
    assert done.status == "completed", done.reason
    return done.metrics


@pytest.fixture
def lab(shipped_lessons, monkeypatch):
    """`lab ARGS...` in this process, on the shipped course."""
    from lab.cli import app, state

    monkeypatch.setattr(state, "_catalog", None)
    monkeypatch.delenv("LAB_SLURM_ARGS", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    return invoke


def final_figures(metrics_file) -> dict[str, float]:
    return json.loads(metrics_file.read_text().splitlines()[-1])["final"]


def assert_same_figures(got: dict, expected: dict) -> None:
    """Every split's loss and accuracy as `lab run` ends (which also reports world_size and
    rank_weight_gap, figures of its own launcher)."""
    assert set(got) == {f"{s}_{m}" for s in ("train", "val", "test") for m in ("loss", "accuracy")}
    for key, value in got.items():
        assert abs(value - expected[key]) <= TOLERANCE, (key, value, expected[key])


def test_the_exported_job_under_sbatch_wait_ends_like_lab_run(
    slurm, lab, lab_run_figures, tmp_path
):
    script = tmp_path / "ddp_digits.py"
    exported = lab("export", "ddp-digits", "--slurm", "--epochs", str(EPOCHS), "-o", str(script))
    assert exported.exit_code == 0, exported.output
    started = time.perf_counter()
    submitted = subprocess.run(
        ["sbatch", "--parsable", str(script.with_suffix(".sbatch"))],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert submitted.returncode == 0, submitted.stderr
    job_id = submitted.stdout.strip()
    # what `sbatch --wait` does, without its 8-10 s between looks
    state = "PENDING"
    while state in ("PENDING", "CONFIGURING", "RUNNING", "COMPLETING"):
        assert time.perf_counter() - started < 240, "the job never ended"
        time.sleep(0.2)
        state = slurm.run("squeue", "-h", "-t", "all", "-j", job_id, "-o", "%T").stdout.strip()
    job_s = time.perf_counter() - started
    output = tmp_path / f"ddp_digits-{job_id}.out"
    assert state == "COMPLETED", state + output.read_text()
    figures = final_figures(tmp_path / f"ddp_digits-{job_id}.metrics.jsonl")
    print(f"\nlab run:         {lab_run_figures}\nsbatch (1 x 2):  {figures}  {job_s:.1f} s")
    assert_same_figures(figures, lab_run_figures)
    assert "completed: trained 3 epochs" in output.read_text()

    # submitted with plain sbatch, found by its name
    listed = lab("jobs")
    assert listed.exit_code == 0, listed.output
    rows = [line.split() for line in listed.output.splitlines()[2:]]
    assert [job_id, "lab-ddp-digits", "COMPLETED"] in [row[:3] for row in rows], listed.output
    followed = lab("jobs", "follow", job_id)
    assert followed.exit_code == 0, followed.output
    lines = followed.output.splitlines()
    assert [line.split()[1] for line in lines if line.startswith("epoch ")] == ["1/3", "2/3", "3/3"]
    assert "epoch" in followed.output and "loss" in followed.output  # the chart's labels
    assert lines[-3].startswith(f"job {job_id} COMPLETED on ")
    assert lines[-2] == "the finished model on each split:"
    assert lines[-1].startswith("train_loss ") and "test_accuracy" in lines[-1]


def test_two_nodes_on_one_machine_meet_by_rendezvous_and_end_like_lab_run(
    slurm, lab, lab_run_figures, tmp_path
):
    script = tmp_path / "two.py"
    exported = lab(
        "export",
        "ddp-digits",
        "--slurm",
        "--nodes",
        "2",
        "--epochs",
        str(EPOCHS),
        "-o",
        str(script),
    )
    assert exported.exit_code == 0, exported.output
    # one machine stands for two: two tasks on it instead of one on each of two nodes
    sbatch = str(script.with_suffix(".sbatch"))
    submitted = lab("jobs", "submit", sbatch, "--nodes=1", "--ntasks=2", "--ntasks-per-node=2")
    assert submitted.exit_code == 0, submitted.output
    job_id = submitted.output.split()[2]
    assert submitted.output == (
        f"submitted job {job_id} (lab-ddp-digits); watch it with `lab jobs follow {job_id}`\n"
    )
    started = time.perf_counter()
    followed = lab("jobs", "follow", job_id)
    job_s = time.perf_counter() - started
    output = (tmp_path / f"two-{job_id}.out").read_text()
    assert followed.exit_code == 0, followed.output + output
    figures = final_figures(tmp_path / f"two-{job_id}.metrics.jsonl")
    print(f"\nlab run:         {lab_run_figures}\n2 'nodes' x 1:   {figures}  {job_s:.1f} s")
    assert_same_figures(figures, lab_run_figures)
    # both agents joined one rendezvous: a world of 2, not two worlds of 1
    assert output.count("completed: trained 3 epochs") == 1
    listed = [json.loads(line) for line in lab("jobs", "--json").output.splitlines()]
    assert {"id": job_id, "state": "COMPLETED", "sbatch": sbatch} in [
        {key: job[key] for key in ("id", "state", "sbatch")} for job in listed
    ]


def test_a_job_is_cancelled_and_a_bad_partition_is_refused_in_one_line(
    slurm, lab, lab_home, tmp_path
):
    sleeper = tmp_path / "sleeper.sbatch"
    # its output beside it: by default Slurm writes slurm-ID.out where it was submitted (here,
    # the checkout)
    sleeper.write_text(
        f"#!/bin/bash\n#SBATCH --job-name=lab-sleeper\n#SBATCH --output={tmp_path}/%j.out\n"
        "sleep 120\n"
    )
    job_id = lab("jobs", "submit", str(sleeper)).output.split()[2]
    assert job_id in slurm.jobs()
    cancelled = lab("jobs", "cancel", job_id)
    assert (cancelled.exit_code, cancelled.output) == (0, f"cancelled job {job_id}\n")
    deadline = time.monotonic() + 10
    while slurm.jobs() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert slurm.jobs() == []
    again = lab("jobs", "cancel", job_id)
    assert (again.exit_code, again.output) == (
        1,
        f"lab jobs: job {job_id} has already ended (CANCELLED)\n",
    )
    assert lab("jobs", "cancel", "999999").exit_code == 2

    # a job lab saw running that Slurm has forgotten (after MinJobAge; no accounting here)
    record = lab_home / "jobs.json"
    rows = json.loads(record.read_text())
    record.write_text(json.dumps([*rows, {**rows[0], "id": "999999", "state": "RUNNING"}]))
    listed = [json.loads(line) for line in lab("jobs", "--json").output.splitlines()]
    assert [(job["id"], job["state"]) for job in listed if job["id"] in (job_id, "999999")] == [
        (job_id, "CANCELLED"),
        ("999999", "ENDED"),
    ]

    refused = lab("jobs", "submit", str(sleeper), "--partition=nope")
    assert refused.exit_code == 1
    assert refused.output == (
        "lab jobs: sbatch: invalid partition specified: nope; "
        "Batch job submission failed: Invalid partition name specified\n"
    )
