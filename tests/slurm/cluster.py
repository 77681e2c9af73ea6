"""Provides a real single-node Slurm cluster for tests: munged, slurmctld and slurmd in a folder
of their own, started in about a second as root and stopped by their PIDs.

Everything the cluster writes is under its folder (the controller's state, slurmd's spool, the
logs) but munged's files: its own socket (slurm.conf's `AuthInfo=socket=...`, so that each
pytest-xdist worker runs a cluster of its own beside the others and beside a system munged) in
a folder of /tmp, as munged wants every folder above its socket open to all, which pytest's
temporary folders are not. The node is this host (`hostname -s`) with 2 CPUs, whatever the
machine has (`SlurmdParameters=config_overrides`). Clients reach it through `SLURM_CONF` (`Cluster.env`).
The daemons get SIGTERM when the process that started them ends, even by SIGKILL (Linux's
PR_SET_PDEATHSIG). The node's slurmd logs errors about the PMIx library at start: harmless here.
"""

from __future__ import annotations

import ctypes  # noqa: F401  (die_with_parent imports it in preexec_fn, where a first import fails)
import functools
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from lab.proc.child import die_with_parent
from tests.procs import free_port

PROGRAMS = (
    "munged",
    "slurmctld",
    "slurmd",
    "sbatch",
    "srun",
    "sinfo",
    "squeue",
    "scancel",
    "scontrol",
)
KEY = Path("/etc/munge/munge.key")
CPUS = 2


def missing() -> str | None:
    """Why a cluster cannot start here (a program not installed, not root), or None."""
    absent = [name for name in PROGRAMS if shutil.which(name) is None]
    if absent:
        return (
            f"Slurm is not installed here (no {', '.join(absent)}); "
            "install it with `apt-get install -y slurm-wlm munge`"
        )
    if os.geteuid() != 0:
        return "a test Slurm cluster starts as root only (slurmd runs jobs as their user)"
    return None


@dataclass
class Cluster:
    root: Path
    munge: Path
    procs: list[subprocess.Popen] = field(default_factory=list)

    @property
    def conf(self) -> Path:
        return self.root / "slurm.conf"

    @property
    def env(self) -> dict[str, str]:
        """The environment of a client of this cluster (sbatch, srun, `lab jobs`)."""
        return {**os.environ, "SLURM_CONF": str(self.conf)}

    def run(self, *command: str, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(
            command, env=self.env, capture_output=True, text=True, check=check, timeout=60
        )

    def jobs(self) -> list[str]:
        """The ids of the jobs pending or running."""
        return self.run("squeue", "-h", "-o", "%i").stdout.split()

    def cancel_all(self, timeout: float = 15) -> None:
        """Cancel every job and wait until the queue is empty."""
        if not self.jobs():
            return
        self.run("scancel", "--full", "--user", "root", check=False)
        deadline = time.monotonic() + timeout
        while self.jobs() and time.monotonic() < deadline:
            time.sleep(0.2)

    def logs(self) -> str:
        """The end of each daemon's log, for a failure's message."""
        out = []
        for log in sorted((self.root / "log").glob("*.log")):
            lines = log.read_text(errors="replace").splitlines()[-15:]
            out.append(f"--- {log.name}\n" + "\n".join(lines))
        return "\n".join(out)

    def stop(self) -> None:
        try:
            if len(self.procs) == 3:  # all three started: the controller takes commands
                self.cancel_all()
        finally:
            for proc in reversed(self.procs):  # slurmd, slurmctld, then munged
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            shutil.rmtree(self.munge, ignore_errors=True)


def start(root: Path, timeout: float = 30) -> Cluster:
    """A cluster of one node in `root` (created), up and idle; stop it with `.stop()`."""
    node = socket.gethostname().split(".")[0]
    root.mkdir(parents=True, exist_ok=True)
    for sub in ("state", "spool", "log"):
        (root / sub).mkdir()
    munge = Path(tempfile.mkdtemp(prefix="lab-munge-"))
    shutil.chown(munge, "munge", "munge")
    munge.chmod(0o755)
    if not KEY.exists():
        subprocess.run(["mungekey", "--create", "--keyfile", str(KEY)], check=True)
        shutil.chown(KEY, "munge", "munge")
        KEY.chmod(0o600)
    (root / "slurm.conf").write_text(
        _conf(root, munge / "socket", node, free_port(), free_port()), encoding="utf-8"
    )
    cluster = Cluster(root, munge)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    # the daemons end with this process, even one killed by SIGKILL
    dies_with_us = functools.partial(die_with_parent, os.getpid(), signal.SIGTERM)
    munged = [
        "munged",
        "--foreground",
        f"--socket={munge / 'socket'}",
        f"--pid-file={munge / 'pid'}",
        f"--seed-file={munge / 'seed'}",
        f"--key-file={KEY}",
    ]
    try:
        with (root / "log" / "munged.log").open("w") as log:
            cluster.procs.append(
                subprocess.Popen(
                    munged,
                    user="munge",
                    group="munge",
                    stdout=log,
                    stderr=subprocess.STDOUT,
                    preexec_fn=dies_with_us,
                )
            )
        _wait(lambda: (munge / "socket").exists(), timeout, "munged never made its socket")
        for daemon in ("slurmctld", "slurmd"):
            cluster.procs.append(
                subprocess.Popen(
                    [daemon, "-D", "-f", str(cluster.conf)],
                    env=cluster.env,
                    preexec_fn=dies_with_us,
                    **quiet,
                )
            )
        _wait(lambda: _idle(cluster), timeout, "the node never became idle")
    except TimeoutError as exc:
        logs = cluster.logs()
        cluster.stop()
        raise TimeoutError(f"{exc}\n{logs}") from None
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _idle(cluster: Cluster) -> bool:
    for proc in cluster.procs:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args[0]} exited with {proc.returncode}\n{cluster.logs()}")
    states = cluster.run("sinfo", "-h", "-o", "%T", check=False).stdout.split()
    return states == ["idle"]


def _wait(ready, timeout: float, message: str) -> None:
    deadline = time.monotonic() + timeout
    while not ready():
        if time.monotonic() > deadline:
            raise TimeoutError(message)
        time.sleep(0.05)


def _conf(root: Path, socket: Path, node: str, ctld_port: int, slurmd_port: int) -> str:
    return f"""\
ClusterName=labtest
# Job ids of its own: an exported job's rendezvous port follows its id, and the clusters of
# the suite's workers share this host's ports.
FirstJobId={1000 + ctld_port % 1000}
SlurmctldHost={node}
SlurmctldPort={ctld_port}
SlurmdPort={slurmd_port}
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket={socket}
SlurmUser=root
SlurmdUser=root
StateSaveLocation={root / "state"}
SlurmdSpoolDir={root / "spool"}
SlurmctldPidFile={root / "slurmctld.pid"}
SlurmdPidFile={root / "slurmd.pid"}
SlurmctldLogFile={root / "log" / "slurmctld.log"}
SlurmdLogFile={root / "log" / "slurmd.log"}
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MpiDefault=none
ReturnToService=2
SlurmdParameters=config_overrides
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
NodeName={node} CPUs={CPUS} RealMemory=1000 State=UNKNOWN
PartitionName=debug Nodes={node} Default=YES MaxTime=INFINITE State=UP
"""
