"""`lab jobs` without a real cluster: `follow` on a terminal keeps the chart and a status line
under the epoch lines, redrawn in place as epochs arrive (Slurm's answers stood in for); with no
Slurm installed every command says so in one line. tests/slurm/test_jobs.py uses a real one."""

from __future__ import annotations

import json

from lab.cli import jobs_cmds
from lab.export import jobs


def test_the_chart_is_redrawn_in_place_as_epochs_arrive(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(jobs_cmds, "POLL_S", 0)
    monkeypatch.setenv("COLUMNS", "60")
    sbatch = tmp_path / "digits.sbatch"
    job = jobs.Job("7", "lab-digits", str(sbatch), "RUNNING", "0:01", "node1")
    written = []

    def epoch(n: int) -> None:
        line = {"epoch": n, "epochs": 3, "metrics": {"train_loss": 2.0 / n, "val_loss": 2.1 / n}}
        written.append(line)

    def find(job_id: str):
        assert job_id == "7"
        if len(written) < 3:
            epoch(len(written) + 1)
            state = "RUNNING"
        else:
            written.append({"final": {"train_loss": 0.6, "test_accuracy": 0.9}, "epochs": 3})
            state = "COMPLETED"
        job.metrics.write_text("".join(json.dumps(line) + "\n" for line in written))
        return jobs.Job("7", "lab-digits", str(sbatch), state, "0:02", "node1")

    monkeypatch.setattr(jobs, "find", find)
    follower = jobs_cmds._Follower(job, tty=True)
    follower.watch()
    out = capsys.readouterr().out
    assert out.startswith("job 7 RUNNING on node1 elapsed 0:01\n\x1b[1F\x1b[J")
    # the epoch lines stay; each new one comes above a redrawn chart
    assert (
        out.count("epoch 1/3  train_loss 2") == 1 and out.count("epoch 3/3  train_loss 0.6667") == 1
    )
    assert out.count("\x1b[J") >= 3 and out.count("┤") > 3 * 5
    end = out.rsplit("\x1b[J", 1)[1].splitlines()
    assert end[-3:] == [
        "job 7 COMPLETED on node1 elapsed 0:02",
        "the finished model on each split:",
        "train_loss 0.6  test_accuracy 90.0%",
    ]
    assert "epoch" in end[-4] and any("loss" in line for line in end)  # the final chart


def test_elsewhere_the_epoch_lines_come_then_the_end_and_why_it_failed(tmp_path, capsys):
    sbatch = tmp_path / "digits.sbatch"
    job = jobs.Job("8", "lab-digits", str(sbatch), "FAILED", "0:09", "node1")
    job.metrics.write_text(
        json.dumps({"epoch": 1, "epochs": 3, "metrics": {"train_loss": 2.0}}) + "\n"
    )
    job.output.write_text("Traceback (most recent call last):\nRuntimeError: CUDA out of memory\n")
    jobs_cmds._Follower(job, tty=False).watch()
    captured = capsys.readouterr()
    assert "\x1b[" not in captured.out
    assert captured.out.splitlines() == [
        "epoch 1/3  train_loss 2",
        "job 8 FAILED on node1 elapsed 0:09",
    ]
    assert captured.err.endswith("RuntimeError: CUDA out of memory\n")


def test_without_slurm_lab_jobs_says_so_in_one_line(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from lab.cli import app

    monkeypatch.setenv("PATH", str(tmp_path))  # no squeue, no sbatch
    for args in (["jobs"], ["jobs", "follow", "3"], ["jobs", "submit", __file__]):
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 1, result.output
        name = "sbatch" if "submit" in args else "squeue"
        assert result.output == (
            f"lab jobs: Slurm's commands are not installed here (no {name}): "
            "run this on your cluster's login node\n"
        )


def test_a_machine_without_slurms_configuration_says_what_ended_squeue(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from lab.cli import app

    empty = tmp_path / "slurm.conf"
    empty.touch()
    monkeypatch.setenv("SLURM_CONF", str(empty))  # the real squeue, reading no configuration
    result = CliRunner().invoke(app, ["jobs"])
    assert result.exit_code == 1, result.output
    assert result.output == "lab jobs: squeue: Unable to process configuration file\n"


def test_a_slurm_complaint_is_what_ended_the_command_else_its_errors():
    from lab.export.jobs import one_line

    no_configuration = (  # squeue on a machine with Slurm's commands and no cluster
        "squeue: error: resolve_ctls_from_dns_srv: res_nsearch error: Unknown host\n"
        "squeue: error: fetch_config: DNS SRV lookup failed\n"
        "squeue: error: _establish_config_source: failed to fetch config\n"
        "squeue: fatal: Could not establish a configuration source\n"
    )
    assert one_line(no_configuration, "squeue") == (
        "squeue: Could not establish a configuration source"
    )
    refused = "sbatch: error: Batch job submission failed: Invalid partition name specified\n"
    assert one_line(refused, "sbatch") == (
        "sbatch: Batch job submission failed: Invalid partition name specified"
    )
