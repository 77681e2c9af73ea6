"""Provides the learner's Slurm jobs of exported scripts (`lab jobs`): submitting a .sbatch file,
the record of jobs in LAB_HOME/jobs.json, their state from Slurm, and the metrics they write.

A job of an exported script is named `lab-EXPERIMENT` and runs FILE.sbatch, so lab finds it in
`squeue` also when the learner submitted it with plain `sbatch`, and knows its metrics file from
the .sbatch file's path (lab.export.slurm). Slurm forgets an ended job after MinJobAge (5 minutes
by default) unless the cluster keeps accounting (then `sacct` still knows it): the record keeps
the last state lab saw, and a job that ended unseen is "ENDED".
"""

from __future__ import annotations

import json
import os
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path

from lab.export.slurm import metrics_path, output_path
from lab.paths import lab_home

ACTIVE = {"PENDING", "CONFIGURING", "RUNNING", "COMPLETING", "SUSPENDED", "REQUEUED", "RESIZING"}
"""The states of a job that has not ended (squeue's names)."""
UNSEEN_END = "ENDED"
"""The state of a job Slurm forgot before lab saw how it ended."""


class SlurmError(RuntimeError):
    """A Slurm command failed or is missing; its message in one line."""


@dataclass
class Job:
    id: str
    name: str
    sbatch: str
    """The .sbatch file's path: the job's output and metrics files are named after it."""
    state: str = "PENDING"
    elapsed: str = ""
    nodes: str = ""
    """The node list once it runs; while it waits, Slurm's reason (Resources, Priority, ...)."""

    @property
    def active(self) -> bool:
        return self.state in ACTIVE

    @property
    def metrics(self) -> Path:
        return metrics_path(Path(self.sbatch), self.id)

    @property
    def output(self) -> Path:
        return output_path(Path(self.sbatch), self.id)

    def as_json(self) -> dict:
        return {**asdict(self), "metrics": str(self.metrics), "output": str(self.output)}


def submit(sbatch: Path, args: list[str]) -> Job:
    """`sbatch [args] FILE`, recorded; Slurm's refusal (a bad partition, a quota) as SlurmError."""
    sbatch = sbatch.resolve()
    if not sbatch.is_file():
        raise SlurmError(f"no file {sbatch}")
    out = _slurm("sbatch", "--parsable", *args, str(sbatch))
    job = Job(out.split(";")[0].strip(), _job_name(sbatch), str(sbatch))
    _save({**_load(), job.id: job})
    return job


def jobs() -> list[Job]:
    """Every recorded job, and every `lab-` job of this user that Slurm holds, with the state
    Slurm gives now (the record keeps it)."""
    known = _load()
    live = {job.id: job for job in _squeue() if job.id in known or job.name.startswith("lab-")}
    known.update(live)
    unseen = [job for job in known.values() if job.active and job.id not in live]
    ended = {job.id: job for job in _sacct([job.id for job in unseen])}
    for job in unseen:
        end = ended.get(job.id)
        if end is None:
            job.state = UNSEEN_END
        else:
            job.state, job.elapsed, job.nodes = end.state, end.elapsed, end.nodes
    _save(known)
    return sorted(known.values(), key=lambda job: int(job.id.split("_")[0]))


def find(job_id: str) -> Job | None:
    return next((job for job in jobs() if job.id == job_id), None)


def cancel(job: Job) -> None:
    _slurm("scancel", job.id)


def read_metrics(path: Path, offset: int) -> tuple[list[dict], int]:
    """The whole JSON lines written to `path` after byte `offset`, and the offset after them."""
    try:
        with path.open("rb") as f:
            f.seek(offset)
            data = f.read()
    except FileNotFoundError:
        return [], offset
    complete = data[: data.rfind(b"\n") + 1]
    lines = [json.loads(line) for line in complete.decode("utf-8").splitlines() if line.strip()]
    return lines, offset + len(complete)


def one_line(stderr: str, program: str) -> str:
    """A Slurm command's complaint in one line: what ended it (its `fatal:` lines) if it says,
    else its `sbatch: error: X` lines joined by `; `."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    lines = [line for line in lines if line.startswith(f"{program}: fatal: ")] or lines
    for prefix in (f"{program}: error: ", f"{program}: fatal: ", f"{program}: "):
        lines = [line.removeprefix(prefix) for line in lines]
    return f"{program}: {'; '.join(lines) or 'failed with no message'}"


def _slurm(*command: str) -> str:
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=60)
    except FileNotFoundError:
        raise SlurmError(
            f"Slurm's commands are not installed here (no {command[0]}): "
            "run this on your cluster's login node"
        ) from None
    except subprocess.TimeoutExpired:
        raise SlurmError(f"{command[0]}: the Slurm controller did not answer in 60 s") from None
    if result.returncode != 0:
        raise SlurmError(one_line(result.stderr, command[0]))
    return result.stdout


def _squeue() -> list[Job]:
    """This user's jobs that Slurm holds: waiting, running, or ended less than MinJobAge ago."""
    out = _slurm("squeue", "--me", "--noheader", "--states=all", "--format=%i|%j|%T|%M|%N|%r|%o")
    found = []
    for line in out.splitlines():
        parts = line.split("|", 6)
        if len(parts) == 7:
            job_id, name, state, elapsed, nodes, reason, command = parts
            where = f"({reason})" if state == "PENDING" and reason != "None" else nodes
            found.append(Job(job_id, name, command, state, elapsed, where))
    return found


def _sacct(ids: list[str]) -> list[Job]:
    """The jobs' end from Slurm's accounting, on a cluster that keeps it (else none)."""
    if not ids:
        return []
    try:
        out = _slurm(
            "sacct",
            "--noheader",
            "--parsable2",
            "--allocations",
            f"--jobs={','.join(ids)}",
            "--format=JobID,JobName,State,Elapsed,NodeList",
        )
    except SlurmError:  # "Slurm accounting storage is disabled"
        return []
    found = []
    for line in out.splitlines():
        parts = line.split("|")
        if len(parts) == 5:
            job_id, name, state, elapsed, nodes = parts
            # sacct says "CANCELLED by 0"; the state is the first word
            found.append(Job(job_id, name, "", state.split()[0], elapsed, nodes))
    return found


def _job_name(sbatch: Path) -> str:
    for line in sbatch.read_text(encoding="utf-8", errors="replace").splitlines():
        if line.startswith("#SBATCH") and "--job-name=" in line:
            return line.split("--job-name=", 1)[1].split()[0]
    return sbatch.name


def _record_path() -> Path:
    return lab_home() / "jobs.json"


def _load() -> dict[str, Job]:
    try:
        data = json.loads(_record_path().read_text(encoding="utf-8"))
        return {row["id"]: Job(**row) for row in data}
    except (FileNotFoundError, json.JSONDecodeError, TypeError, KeyError):
        return {}  # no record yet, or a damaged one: Slurm still knows its recent jobs


def _save(known: dict[str, Job]) -> None:
    path = _record_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [asdict(job) for job in sorted(known.values(), key=lambda job: job.id)]
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(rows, indent=1) + "\n", encoding="utf-8")
    os.replace(tmp, path)
