"""Provides the command of `runners.SlurmRunner`: each run's worker as a Slurm job step (`srun`),
for a cluster whose GPUs sit behind the scheduler. The login node imports no torch: the worker
does, on the node.

The step is started through `python -m lab.runs.slurm_step`, which passes the worker's channel
through and adds what only the scheduler knows: `queued` events while the job waits, Slurm's
refusal as the run's failure, and `scancel` whenever the run ends before its job does.
"""

from __future__ import annotations

import shlex
import sys

from lab.config import SlurmConfig
from lab.runs.ports import RunnerError

WORKER = ["-m", "lab.engine.worker"]


def srun_args(config: SlurmConfig) -> list[str]:
    """srun's arguments for one run: one task, its resources from `[slurm]`, output unbuffered
    (events must flow as they are written), then the worker."""
    args = ["--ntasks=1", "--unbuffered"]
    for flag, value in (
        ("--partition", config.partition),
        ("--gres", config.gres),
        ("--mem", config.memory),
        ("--time", config.time),
        ("--account", config.account),
        ("--qos", config.qos),
    ):
        if value:
            args.append(f"{flag}={value}")
    if config.cpus:
        args.append(f"--cpus-per-task={config.cpus}")
    try:
        args += shlex.split(config.args)
    except ValueError as exc:
        raise RunnerError(f"[slurm] args (or LAB_SLURM_ARGS): {exc}") from None
    return [*args, sys.executable, *WORKER]


def step_argv(config: SlurmConfig) -> list[str]:
    """The command that starts one run's worker as a job step (`runners.SlurmRunner`'s)."""
    return [sys.executable, "-m", "lab.runs.slurm_step", *srun_args(config)]
