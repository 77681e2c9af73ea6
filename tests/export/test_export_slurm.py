"""`lab export --slurm`: the .sbatch file beside the torchrun script, from LAB_HOME/config.toml.

No Slurm here: what the file says, that bash reads it, that a bad config.toml is one line, and
that the script writes its metrics file. tests/slurm runs the files on a real cluster.
"""

from __future__ import annotations

import json
import runpy
import subprocess

import pytest
from typer.testing import CliRunner

from lab.catalog.runspec import build_run_spec
from lab.export import export_script

CONFIG = """\
# the learner's cluster
[slurm]
partition = "gpu"
gres = "gpu:a100:1"
cpus = 8
memory = "32G"
time = "1:00:00"
account = "cs101"
qos = "normal"
args = "--constraint='a100 80gb' --exclusive"
"""


@pytest.fixture
def cli(shipped_lessons, monkeypatch):
    """`lab` on the shipped course, its cached catalog cleared for this test."""
    from lab.cli import app, state

    monkeypatch.setattr(state, "_catalog", None)
    monkeypatch.delenv("LAB_SLURM_ARGS", raising=False)

    def invoke(*args: str):
        return CliRunner().invoke(app, list(args))

    return invoke


def sbatch_lines(path) -> list[str]:
    return path.with_suffix(".sbatch").read_text().splitlines()


def test_the_sbatch_file_asks_for_what_config_toml_says(cli, lab_home, tmp_path):
    (lab_home / "config.toml").write_text(CONFIG)
    script = tmp_path / "jobs" / "digits.py"
    result = cli(
        "export", "ddp-digits", "--slurm", "--nodes", "2", "--gpus-per-node", "4", "-o", str(script)
    )
    assert result.exit_code == 0, result.output
    assert f"wrote {script} and digits.sbatch beside it" in result.output
    assert "import torch" in script.read_text()
    lines = sbatch_lines(script)
    assert lines[0] == "#!/bin/bash"
    assert [line for line in lines if line.startswith("#SBATCH")] == [
        "#SBATCH --job-name=lab-ddp-digits",
        "#SBATCH --nodes=2",
        "#SBATCH --ntasks-per-node=1",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --gres=gpu:a100:4",  # the gres's type, --gpus-per-node's count
        "#SBATCH --partition=gpu",
        "#SBATCH --mem=32G",
        "#SBATCH --time=1:00:00",
        "#SBATCH --account=cs101",
        "#SBATCH --qos=normal",
        f"#SBATCH --output={tmp_path}/jobs/digits-%j.out",
        "#SBATCH '--constraint=a100 80gb' --exclusive",
    ]
    text = "\n".join(lines)
    assert "srun " in text and "/torchrun \\\n" in text
    for part in (
        '--nnodes="$SLURM_NTASKS"',
        "--nproc_per_node=4",
        "--rdzv_backend=c10d",
        '--rdzv_endpoint="$first_node:$port"',
        f"    {script}",
        'first_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)',
        f'export LAB_METRICS_FILE="${{LAB_METRICS_FILE:-{tmp_path}/jobs/digits-$SLURM_JOB_ID.metrics.jsonl}}"',
    ):
        assert part in text, part
    assert subprocess.run(["bash", "-n", str(script.with_suffix(".sbatch"))]).returncode == 0


def test_without_config_the_job_runs_the_experiments_world_on_cpus(cli, tmp_path, monkeypatch):
    """ddp-digits trains on world_size (2) processes in `lab run`: the job does too by default,
    on the CPUs of one node, or one process on each of two; LAB_SLURM_ARGS adds arguments."""
    monkeypatch.setenv("LAB_SLURM_ARGS", "--reservation=class")
    one, two = tmp_path / "one.py", tmp_path / "two.py"
    assert cli("export", "ddp-digits", "--slurm", "-o", str(one)).exit_code == 0
    assert cli("export", "ddp-digits", "--slurm", "--nodes", "2", "-o", str(two)).exit_code == 0
    for path, nodes, per_node in ((one, 1, 2), (two, 2, 1)):
        lines = sbatch_lines(path)
        assert f"#SBATCH --nodes={nodes}" in lines
        assert f"#SBATCH --cpus-per-task={per_node}" in lines  # a CPU per process
        assert f"    --nproc_per_node={per_node} \\" in lines
        assert "#SBATCH --reservation=class" in lines
        assert not any("--gres" in line or "--partition" in line for line in lines)
    result = cli("export", "ddp-digits", "--slurm", "--nodes", "3", "-o", str(one))
    assert result.exit_code == 2
    assert result.output == (
        "lab export: world_size 2 does not split evenly over 3 nodes; give --gpus-per-node "
        "(processes per node)\n"
    )
    declarative = tmp_path / "mlp.py"
    assert cli("export", "digits-named-mlp", "--slurm", "-o", str(declarative)).exit_code == 0
    assert "    --nproc_per_node=1 \\" in sbatch_lines(declarative)


@pytest.mark.parametrize(
    ("config", "message"),
    [
        (
            '[slurm]\npartition = "gpu"\ncpus = "eight"\n',
            "config.toml:3: [slurm] cpus must be a whole number",
        ),
        (
            "[slurm\n",
            "config.toml: Expected ']' at the end of a table declaration (at line 1, column 7)",
        ),
        (
            '[slurm]\nargs = "--x=\'a"\n',
            'config.toml: [slurm] args "--x=\'a": No closing quotation',
        ),
    ],
)
def test_a_bad_config_toml_is_one_line_naming_the_file_and_the_setting(
    cli, lab_home, tmp_path, config, message
):
    (lab_home / "config.toml").write_text(config)
    result = cli("export", "ddp-digits", "--slurm", "-o", str(tmp_path / "x.py"))
    assert result.exit_code == 2
    assert result.output.count("\n") == 1, result.output
    assert result.output.startswith(f"lab export: {lab_home}/{message}"), result.output
    assert not (tmp_path / "x.py").exists()


@pytest.mark.slow
def test_the_script_writes_rank_0s_epochs_and_final_figures_to_lab_metrics_file(
    shipped_lessons, tmp_path, monkeypatch
):
    from lab.catalog import load_catalog
    from tests.procs import free_port

    # a world of one process, as `torchrun --nproc_per_node=1` would set it up
    monkeypatch.setenv("MASTER_ADDR", "127.0.0.1")
    monkeypatch.setenv("MASTER_PORT", str(free_port()))
    for name, value in {
        "RANK": "0",
        "LOCAL_RANK": "0",
        "WORLD_SIZE": "1",
        "LOCAL_WORLD_SIZE": "1",
    }.items():
        monkeypatch.setenv(name, value)
    metrics = tmp_path / "metrics.jsonl"
    monkeypatch.setenv("LAB_METRICS_FILE", str(metrics))
    run_spec = build_run_spec(load_catalog().experiment("digits-named-mlp"), epochs=2)
    path = tmp_path / "mlp_ddp.py"
    path.write_text(export_script(run_spec, distributed=True))
    final = runpy.run_path(str(path), run_name="__main__")["final"]
    lines = [json.loads(line) for line in metrics.read_text().splitlines()]
    assert [line.get("epoch") for line in lines] == [1, 2, None]
    assert lines[0]["epochs"] == 2 and set(lines[0]["metrics"]) == {
        "train_loss",
        "val_loss",
        "val_accuracy",
    }
    assert lines[-1] == {"final": final, "epochs": 2}
