"""Provides `SlurmRunner`: each run's worker as a Slurm job step (`srun`), for a cluster whose
GPUs sit behind the scheduler. The login node imports no torch: the worker does, on the node.

The step is started through `python -m lab.runs.slurm_step`, which passes the worker's channel
through and adds what only the scheduler knows: `queued` events while the job waits, Slurm's
refusal as the run's failure, and `scancel` whenever the run ends before its job does.
"""

from __future__ import annotations

import shlex
import sys

from lab.config import SlurmConfig
from lab.engine.client import RunProcess
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


class SlurmRunner:
    """Workers started as Slurm job steps; implements `lab.runs.ports.WorkerSource`. Nothing
    is made ahead: a held allocation is a held GPU."""

    def __init__(self, config: SlurmConfig) -> None:
        self.argv = [sys.executable, "-m", "lab.runs.slurm_step", *srun_args(config)]

    def take(self) -> RunProcess:
        return RunProcess.spawn(self.argv, ready_pipe=False)

    def warm_up(self) -> None:
        pass

    def shutdown(self) -> None:
        pass
