"""Provides the `.sbatch` file of `lab export --slurm`: the torchrun script beside it as a Slurm
job of N nodes, one torchrun agent per node starting G processes.

Its `#SBATCH` lines come from config.toml's `[slurm]` section (lab.config; its `args`, or
LAB_SLURM_ARGS, split like a shell, become one more `#SBATCH` line). A GPU `gres` there
asks every node for G GPUs (one per process, nccl); without one the G processes share the
node's CPUs (gloo). The job writes beside the script, named by its id: STEM-ID.out (what it
prints) and STEM-ID.metrics.jsonl (rank 0's JSON line per epoch, which `lab jobs follow` draws).
"""

from __future__ import annotations

import os
import re
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from lab.export.script import ExportError

if TYPE_CHECKING:
    from lab.catalog.runspec import RunSpec
    from lab.config import SlurmConfig

RDZV_PORT = 29500
"""torchrun's usual port; each job adds its id modulo 1000, so that two jobs sharing a node
do not meet at the same port."""


def sbatch_path(script: Path) -> Path:
    return script.with_suffix(".sbatch")


def metrics_path(sbatch: Path, job_id: str) -> Path:
    """The JSON lines the job with this id writes (LAB_METRICS_FILE in the .sbatch file)."""
    return sbatch.with_name(f"{sbatch.stem}-{job_id}.metrics.jsonl")


def output_path(sbatch: Path, job_id: str) -> Path:
    """What the job prints (its --output)."""
    return sbatch.with_name(f"{sbatch.stem}-{job_id}.out")


def job_name(experiment: str) -> str:
    """A job's name, by which `lab jobs` finds the jobs of exported scripts."""
    return f"lab-{experiment}"


def processes_per_node(
    run: RunSpec, nodes: int, gpus_per_node: int | None, settings: SlurmConfig
) -> int:
    """G: as given; else the count in a GPU gres; else the experiment's world_size spread
    over the nodes (ddp-digits: 2 on one node, as `lab run` trains it); else 1."""
    if gpus_per_node is not None:
        return gpus_per_node
    gpus = _gpu_gres(settings.gres)
    if gpus is not None and gpus[-1].isdigit():
        return int(gpus[-1])
    world = run.scripted.resolved_args().get("world_size") if run.scripted else None
    if world is None:
        return 1
    if world % nodes:
        raise ExportError(
            f"world_size {world} does not split evenly over {nodes} nodes; "
            "give --gpus-per-node (processes per node)"
        )
    return max(1, world // nodes)


def sbatch_text(
    run: RunSpec, script: Path, nodes: int, per_node: int, settings: SlurmConfig
) -> str:
    """The job file for `script` (an absolute path), the torchrun script of `run`."""
    sbatch = sbatch_path(script)
    gpus = _gpu_gres(settings.gres)
    world = nodes * per_node
    lines = [
        "#!/bin/bash",
        f"# {run.experiment} as a Slurm job: {nodes} node{'s' if nodes != 1 else ''} x "
        f"{per_node} process{'es' if per_node != 1 else ''} = a world of {world}, written by",
        f"# `lab export {run.experiment} --slurm`. Submit it with `lab jobs submit {sbatch.name}`",
        f"# (or `sbatch {sbatch.name}`) and watch it with `lab jobs follow ID`.",
        f"#SBATCH --job-name={job_name(run.experiment)}",
        f"#SBATCH --nodes={nodes}",
        "#SBATCH --ntasks-per-node=1",
    ]
    cpus = settings.cpus if settings.cpus else (per_node if gpus is None else None)
    if cpus:
        lines.append(f"#SBATCH --cpus-per-task={cpus}")
    if gpus is not None:
        count = gpus[:-1] if gpus[-1].isdigit() else gpus
        lines.append(f"#SBATCH --gres={':'.join([*count, str(per_node)])}")
    elif settings.gres:
        lines.append(f"#SBATCH --gres={settings.gres}")
    for option, value in (
        ("partition", settings.partition),
        ("mem", settings.memory),
        ("time", settings.time),
        ("account", settings.account),
        ("qos", settings.qos),
    ):
        if value:
            lines.append(f"#SBATCH --{option}={value}")
    lines.append(f"#SBATCH --output={output_path(sbatch, '%j')}")
    if settings.args:
        lines.append(f"#SBATCH {shlex.join(_split(settings.args))}")
    head, _, tail = str(metrics_path(sbatch, "\0")).partition("\0")
    metrics = f"{_in_double_quotes(head)}$SLURM_JOB_ID{_in_double_quotes(tail)}"
    lines += [
        "",
        "set -euo pipefail",
        "# srun starts one task per node, each task a torchrun agent that starts the node's",
        f"# {per_node} process{'es' if per_node != 1 else ''}. The agents meet at the first node "
        "(c10d rendezvous), count",
        "# themselves (--nnodes: one agent per task) and number the processes: RANK = the",
        f"# agent's rank x {per_node} + LOCAL_RANK, out of a WORLD_SIZE of {world}.",
        'first_node=$(scontrol show hostnames "$SLURM_JOB_NODELIST" | head -n1)',
        f"port=$(({RDZV_PORT} + SLURM_JOB_ID % 1000))  # a port of this job's own",
        "# rank 0 appends a JSON line per epoch here (`lab jobs follow` draws them)",
        f'export LAB_METRICS_FILE="${{LAB_METRICS_FILE:-{metrics}}}"',
        f"srun {shlex.quote(_torchrun())} \\",
        '    --nnodes="$SLURM_NTASKS" \\',
        f"    --nproc_per_node={per_node} \\",
        "    --rdzv_backend=c10d \\",
        '    --rdzv_endpoint="$first_node:$port" \\',
        '    --rdzv_id="$SLURM_JOB_ID" \\',
        f"    {shlex.quote(str(script))}",
    ]
    return "\n".join(lines) + "\n"


def _split(args: str) -> list[str]:
    try:
        return shlex.split(args)
    except ValueError as exc:  # an unclosed quote
        from lab.config import config_path

        where = (
            "LAB_SLURM_ARGS" if "LAB_SLURM_ARGS" in os.environ else f"{config_path()}: [slurm] args"
        )
        raise ExportError(f"{where} {args!r}: {exc}") from None


def _gpu_gres(gres: str | None) -> list[str] | None:
    """A gres asking for GPUs (`gpu`, `gpu:2`, `gpu:a100:2`) as its parts; else None."""
    parts = (gres or "").split(":")
    return parts if parts[0] == "gpu" and "," not in (gres or "") else None


def _torchrun() -> str:
    """The torchrun of the Python that lab runs in (its torch), else the one on PATH."""
    beside = Path(sys.executable).parent / "torchrun"
    return str(beside) if beside.is_file() else "torchrun"


def _in_double_quotes(text: str) -> str:
    """`text` escaped to stand for itself between double quotes in bash."""
    return re.sub(r'([\\"$`])', r"\\\1", text)
