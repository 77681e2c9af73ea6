"""Provides `lab serve`: the app in a browser (one `lab` process per tab)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app, state
from lab.cli.progress_cmds import fail


@app.command("serve")
def serve_cmd(
    target: Annotated[
        str | None,
        typer.Argument(
            metavar="[ID]", help="Open each tab at this lesson, experiment or exercise."
        ),
    ] = None,
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port to listen on.")] = 8000,
    socket: Annotated[
        Path | None,
        typer.Option(metavar="PATH", help="Listen on this Unix socket instead (a proxy's)."),
    ] = None,
    base_url: Annotated[
        str,
        typer.Option(metavar="PATH", help="The path a proxy serves lab under, e.g. /user/x/lab/."),
    ] = "/",
    token: Annotated[
        str | None, typer.Option(help="The page's token (default: a new random one).")
    ] = None,
    no_token: Annotated[
        bool,
        typer.Option(
            "--no-token", help="No token: only on localhost or a socket, behind a login proxy."
        ),
    ] = False,
) -> None:
    """Serve the app to a browser: each tab runs its own `lab`, closed with the tab. Listens on
    localhost; another address needs the token, which the printed address carries."""
    from lab.serve.server import LabServer, ServeError, app_command, new_token

    if no_token and token:
        fail("--token and --no-token: choose one")
    if target:
        from lab.cli.app_cmds import known_targets

        if target not in known_targets(state.catalog()):
            fail(f"no lesson, experiment or exercise {target!r} (see lab lessons)")
    try:
        server = LabServer(
            app_command(state.extra_lesson_dirs, target),
            host=host,
            port=port,
            socket=socket,
            base_url=base_url,
            token=None if no_token else (token or new_token()),
        )
    except ServeError as exc:
        fail(str(exc))
    try:
        server.serve()
    except OSError as exc:
        fail(f"cannot listen on {socket or f'{host}:{port}'}: {exc.strerror or exc}")
