"""Provides `lab jobs`: the Slurm jobs of exported scripts, listed, submitted, followed live
(the loss chart of `lab run`, from the job's metrics file) and cancelled."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app

POLL_S = 0.5

jobs_app = typer.Typer(
    help="""The Slurm jobs of scripts exported with `lab export ID --slurm -o FILE.py`.

    That writes FILE.py (a torchrun script) and FILE.sbatch beside it. `lab jobs submit
    FILE.sbatch` submits it with sbatch and keeps a record in LAB_HOME/jobs.json; a job
    submitted with plain `sbatch FILE.sbatch` is listed too while Slurm holds it (its name
    starts with lab-). The job writes FILE-ID.out (what it prints) and, from rank 0,
    FILE-ID.metrics.jsonl: one JSON line per epoch, then the final figures. `lab jobs follow
    ID` draws them as they come.

    Run `lab jobs` alone to list the jobs: id, name, state, elapsed time, nodes (or why it
    waits).""",
    invoke_without_command=True,
    no_args_is_help=False,
)
app.add_typer(jobs_app, name="jobs")


@jobs_app.callback()
def jobs_list(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per job.")] = False,
) -> None:
    """List the jobs of exported scripts (with no command)."""
    if ctx.invoked_subcommand is not None:
        return
    from lab.export.jobs import jobs
    from lab.table import table

    found = _or_fail(jobs)
    if as_json:
        for job in found:
            typer.echo(json.dumps(job.as_json()))
        return
    if not found:
        typer.echo("no jobs yet: `lab export ID --slurm`, then `lab jobs submit FILE.sbatch`")
        return
    rows = [[job.id, job.name, job.state, job.elapsed, job.nodes] for job in found]
    typer.echo(table(["id", "name", "state", "elapsed", "nodes"], rows))


@jobs_app.command(context_settings={"allow_extra_args": True, "ignore_unknown_options": True})
def submit(
    ctx: typer.Context,
    sbatch: Annotated[Path, typer.Argument(help="The .sbatch file `lab export --slurm` wrote.")],
) -> None:
    """Submit FILE.sbatch with sbatch (more sbatch options after the file); lab records it."""
    from lab.export.jobs import submit as submit_job

    job = _or_fail(submit_job, sbatch, list(ctx.args))
    typer.echo(f"submitted job {job.id} ({job.name}); watch it with `lab jobs follow {job.id}`")


@jobs_app.command()
def cancel(job_id: Annotated[str, typer.Argument(help="The job's id (see `lab jobs`).")]) -> None:
    """End a job (scancel), waiting or running."""
    from lab.export.jobs import cancel as cancel_job

    job = _known(job_id)
    if not job.active:
        typer.echo(f"lab jobs: job {job_id} has already ended ({job.state})", err=True)
        raise typer.Exit(1)
    _or_fail(cancel_job, job)
    typer.echo(f"cancelled job {job_id}")


@jobs_app.command()
def follow(job_id: Annotated[str, typer.Argument(help="The job's id (see `lab jobs`).")]) -> None:
    """Draw a job's loss curve as its epochs end, then its final state and figures."""
    job = _known(job_id)
    view = _Follower(job, sys.stdout.isatty())
    try:
        view.watch()
    except KeyboardInterrupt:
        view.erase()
        typer.echo(f"stopped following job {job_id}; it goes on (`lab jobs cancel {job_id}`)")
        raise typer.Exit(130) from None
    raise typer.Exit(0 if view.job.state == "COMPLETED" else 1)


class _Follower:
    """Reads the job's metrics file and Slurm's state until the job ends. On a terminal the
    chart and a status line stay under the epoch lines, redrawn as they change; elsewhere
    only the epoch lines come as they arrive, and the chart at the end."""

    def __init__(self, job, tty: bool):
        self.job, self.tty = job, tty
        self.offset = 0
        self.epoch_rows: list[tuple[int, dict]] = []
        self.final: dict | None = None
        self.drawn = 0  # lines of the live block now on the terminal
        self.shown = ""  # that block's text

    def watch(self) -> None:
        from lab.export.jobs import find

        while True:
            self._read()
            if not self.job.active:
                break
            self._draw_live()
            time.sleep(POLL_S)
            self.job = _or_fail(find, self.job.id) or self.job
        self._read()  # the lines written just before it ended
        self.erase()
        self._end()

    def _read(self) -> None:
        from lab.export.jobs import read_metrics
        from lab.runs.figures import figure

        lines, self.offset = read_metrics(self.job.metrics, self.offset)
        for line in lines:
            if "final" in line:
                self.final = line["final"]
            elif "epoch" in line:
                self.erase()
                self.epoch_rows.append((line["epoch"], line["metrics"]))
                cells = [figure(k, v) for k, v in line["metrics"].items()]
                typer.echo("  ".join([f"epoch {line['epoch']}/{line.get('epochs', '?')}", *cells]))

    def _status(self) -> str:
        job = self.job
        where = job.nodes if job.nodes.startswith("(") else f"on {job.nodes}" if job.nodes else ""
        elapsed = f"elapsed {job.elapsed}" if job.elapsed else ""
        return " ".join(filter(None, [f"job {job.id} {job.state}", where, elapsed]))

    def _draw_live(self) -> None:
        if not self.tty:
            return
        from lab.cli.chart import loss_chart

        text = "\n".join([*filter(None, [loss_chart(self.epoch_rows)]), self._status()])
        if self.drawn and text == self.shown:
            return
        self.erase()
        sys.stdout.write(text + "\n")
        sys.stdout.flush()
        self.shown, self.drawn = text, text.count("\n") + 1

    def erase(self) -> None:
        if self.drawn:
            sys.stdout.write(f"\x1b[{self.drawn}F\x1b[J")
            sys.stdout.flush()
            self.drawn = 0

    def _end(self) -> None:
        from lab.cli.chart import loss_chart
        from lab.runs.figures import figure

        chart = loss_chart(self.epoch_rows)
        if chart:
            typer.echo(chart)
        typer.echo(self._status())
        if self.final:
            typer.echo("the finished model on each split:")
            typer.echo("  ".join(figure(k, v) for k, v in self.final.items()))
        elif self.job.state != "COMPLETED":
            tail = _tail(self.job.output, 12)
            if tail:
                typer.echo(f"the end of {self.job.output}:\n{tail}", err=True)


def _tail(path: Path, lines: int) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return ""


def _known(job_id: str):
    from lab.export.jobs import find

    job = _or_fail(find, job_id)
    if job is None:
        typer.echo(f"lab jobs: no job {job_id} of an exported script; see `lab jobs`", err=True)
        raise typer.Exit(2)
    return job


def _or_fail(call, *args):
    """call(*args), or Slurm's complaint in one line and exit status 1."""
    from lab.export.jobs import SlurmError

    try:
        return call(*args)
    except SlurmError as exc:
        typer.echo(f"lab jobs: {exc}", err=True)
        raise typer.Exit(1) from None
