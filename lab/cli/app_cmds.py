"""Provides the commands that open the TUI: `lab` alone and `lab open ID`."""

from __future__ import annotations

import typer


def open_app(target: str | None = None) -> None:
    typer.echo(
        "lab: the full-screen app is not built yet. What works now: "
        "`lab lessons`, `lab glossary [TERM]`, `lab experiments`, `lab validate`.",
        err=True,
    )
