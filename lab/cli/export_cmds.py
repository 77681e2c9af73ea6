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
        text = export_script(run_spec, distributed=distributed)
    except ExportError as exc:
        typer.echo(f"lab export: {exc}", err=True)
        raise typer.Exit(2) from None
    if output is None:
        typer.echo(text, nl=False)
        return
    try:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        typer.echo(f"lab export: cannot write {output}: {exc.strerror or exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"wrote {output}; run it with `{run_command(run_spec, output, distributed)}`")
