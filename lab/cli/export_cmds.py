"""Provides `lab export`: an experiment as a standalone PyTorch script (no torch imported here)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app


@app.command()
def export(
    experiment: Annotated[str, typer.Argument(help="The experiment's id (see `lab experiments`).")],
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE, checked against its range (repeatable)."),
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Train for this many epochs.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed: same seed, same losses.")] = None,
    device: Annotated[
        str | None, typer.Option(help="cpu, cuda, mps: fixed in the script (default: the best).")
    ] = None,
    distributed: Annotated[
        bool, typer.Option("--distributed", help="A script for `torchrun --nproc_per_node=N`.")
    ] = False,
    slurm: Annotated[
        bool,
        typer.Option(
            "--slurm",
            help="The torchrun script and a FILE.sbatch beside it that runs it on Slurm "
            "(#SBATCH lines from [slurm] in LAB_HOME/config.toml); see `lab jobs --help`.",
        ),
    ] = False,
    nodes: Annotated[int, typer.Option(help="--slurm: nodes, one torchrun agent each.", min=1)] = 1,
    gpus_per_node: Annotated[
        int | None,
        typer.Option(
            help="--slurm: processes per node, each with a GPU when [slurm] gres asks for "
            "GPUs (default: the gres's count, else the experiment's world_size, else 1).",
            min=1,
        ),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="Write here instead of printing it.")
    ] = None,
) -> None:
    """Write a plain PyTorch script that trains like `lab run` (no import of lab)."""
    from lab.cli.run_cmds import cli_run_spec
    from lab.export import ExportError, export_script, run_command

    _, run_spec = cli_run_spec(
        "export", experiment, settings, seed=seed, epochs=epochs, device=device
    )
    try:
        name = output.name if output is not None else None
        text = export_script(run_spec, distributed=distributed or slurm, filename=name)
    except ExportError as exc:
        typer.echo(f"lab export: {exc}", err=True)
        raise typer.Exit(2) from None
    if slurm:
        _export_for_slurm(run_spec, text, output, nodes, gpus_per_node)
        return
    if output is None:
        typer.echo(text, nl=False)
        return
    _write(output, text)
    typer.echo(f"wrote {output}; run it with `{run_command(run_spec, output, distributed)}`")


def _export_for_slurm(run_spec, text: str, output: Path | None, nodes: int, gpus: int | None):
    from lab.config import ConfigError, load_config
    from lab.export import ExportError, default_path
    from lab.export.slurm import processes_per_node, sbatch_path, sbatch_text

    script = (output or default_path(run_spec.experiment, distributed=True)).resolve()
    try:
        settings = load_config().slurm
        per_node = processes_per_node(run_spec, nodes, gpus, settings)
        job = sbatch_text(run_spec, script, nodes, per_node, settings)
    except (ConfigError, ExportError) as exc:
        typer.echo(f"lab export: {exc}", err=True)
        raise typer.Exit(2) from None
    _write(script, text)
    sbatch = sbatch_path(script)
    _write(sbatch, job)
    typer.echo(f"wrote {script} and {sbatch.name} beside it; submit it with")
    typer.echo(f"`lab jobs submit {sbatch}` and watch it with `lab jobs follow ID`")


def _write(path: Path, text: str) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"lab export: cannot write {path}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
