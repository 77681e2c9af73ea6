"""Provides the commands that open the TUI: `lab` alone and `lab open ID`."""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app, state


def open_app(target: str | None = None, settings: dict[str, str] | None = None) -> None:
    """Run the full-screen app, at `target` when given (a lesson, an experiment, `quiz[:LESSON]`),
    an experiment's form filled with `settings`.

    Textual and the app are imported here, not at the top: `lab glossary` and friends stay quick.
    """
    from lab.cli.run_cmds import configured_runner
    from lab.tui.app import make_app

    workers = configured_runner("open" if target else "")
    lab_app = make_app(state.catalog(), target=target, settings=settings, run_workers=workers)
    try:
        lab_app.run()
    finally:
        lab_app.cancel_hangup_exit()
    _submit_on_exit()
    code = lab_app.return_code or 0
    if code:
        raise typer.Exit(code)


def known_targets(catalog) -> list[str]:
    """Every id `lab open` takes, each once (a lesson and its experiment may share one)."""
    ids = [lesson.id for lesson in catalog.lessons]
    ids += [e.experiment.id for e in catalog.experiments()]
    ids += [e.exercise.id for e in catalog.exercises()]
    return list(dict.fromkeys(ids))


@app.command("open")
def open_cmd(
    target: Annotated[
        str, typer.Argument(metavar="ID", help="A lesson, experiment or exercise id.")
    ],
    settings: Annotated[
        list[str] | None,
        typer.Option(
            "--set", help="KEY=VALUE: an experiment's setting, filled in its form (repeatable)."
        ),
    ] = None,
) -> None:
    """Open the app straight at a lesson, an experiment or an exercise (ids as `lab lessons`,
    `lab experiments` and `lab exercises` print them); `lab open gd-diverge --set lr=1.5` fills
    in the settings."""
    catalog = state.catalog()
    if target not in known_targets(catalog):
        close = difflib.get_close_matches(target, known_targets(catalog), n=3, cutoff=0.5)
        hint = f"; did you mean {', '.join(close)}?" if close else "; see `lab lessons`"
        typer.echo(f"lab: no lesson, experiment or exercise {target!r}{hint}", err=True)
        raise typer.Exit(1)
    open_app(target, checked_settings(catalog, target, settings or []) or None)


def checked_settings(catalog, target: str, settings: list[str]) -> dict[str, str]:
    """`--set` values as typed, each checked as `lab run --set` checks it; a bad one ends the
    command in one line with status 2."""
    from lab.catalog.settings import SettingError, parse_setting, setting_pairs

    if not settings:
        return {}
    entry = catalog.experiment(target)
    try:
        if entry is None:
            raise SettingError(
                f"--set fills an experiment's settings; {target!r} is not an experiment"
            )
        pairs = setting_pairs(settings)
        for name, raw in pairs.items():
            parse_setting(entry.experiment, name, raw)
    except SettingError as exc:
        typer.echo(f"lab open: {exc}", err=True)
        raise typer.Exit(2) from None
    return pairs


def _submit_on_exit() -> None:
    """With `[class] submit = "on-exit"`, the teacher's snapshot is brought up to date as the app
    closes; a problem is one line, never a traceback."""
    from lab.config import ConfigError, load_config

    try:
        config = load_config()
    except ConfigError:
        return  # `lab config` says what is wrong; closing the app is not the moment
    if config.klass.submit != "on-exit" or not config.klass.folder:
        return
    from lab.classroom.snapshot import snapshot, submit
    from lab.store import Store, StoreError

    try:
        with Store.open_readonly() as store:
            data = snapshot(state.catalog(), store)
        submit(data, Path(config.klass.folder).expanduser())
    except (StoreError, OSError) as exc:
        typer.echo(f"lab: could not submit to the class folder: {exc}", err=True)
