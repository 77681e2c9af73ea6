"""Provides the `lab` command: the TUI with no arguments, and subcommands for scripts and SSH."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated

# Plain help text: rich's import alone costs ~0.2 s on every command, and over SSH plain is safer.
os.environ.setdefault("TYPER_USE_RICH", "0")

import typer  # noqa: E402

from lab import __version__
from lab.cli import state

app = typer.Typer(
    name="lab",
    help="A terminal learning lab for deep learning with PyTorch.",
    invoke_without_command=True,
    no_args_is_help=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"lab {__version__}")
        raise typer.Exit()


@app.callback()
def main_callback(
    ctx: typer.Context,
    lessons: Annotated[
        list[Path] | None,
        typer.Option(
            "--lessons", metavar="DIR", help="Extra lesson folder (repeatable); LAB_LESSONS too."
        ),
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print version.")
    ] = False,
) -> None:
    """Lessons, glossary, quizzes and live PyTorch experiments in your terminal.

    Run `lab` alone to open the app.
    """
    state.extra_lesson_dirs = list(lessons or [])
    if ctx.invoked_subcommand is None:
        from lab.cli.app_cmds import open_app

        open_app()


# Each module registers its commands on `app`.
from lab.cli import (  # noqa: E402, F401
    app_cmds,
    catalog_cmds,
    class_cmds,
    exercise_cmds,
    export_cmds,
    jobs_cmds,
    progress_cmds,
    run_cmds,
    runs_cmds,
    serve_cmds,
)
