"""Provides `lab config`, `lab submit` and `lab class report`: the settings in force, a learner's
snapshot for the teacher, and the teacher's one-row-per-learner view of a class folder."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Annotated

import typer

from lab.cli import app, state
from lab.cli.progress_cmds import fail, open_store

class_app = typer.Typer(
    name="class",
    help="For a teacher: what the class's learners submitted (`lab class report DIR`).",
    no_args_is_help=True,
    rich_markup_mode=None,
)
app.add_typer(class_app)


def _config():
    from lab.config import ConfigError, load_config

    try:
        return load_config()
    except ConfigError as exc:
        fail(str(exc))


@app.command("config")
def config_cmd() -> None:
    """Print the settings in force: LAB_HOME/config.toml (or LAB_CONFIG), then the environment
    (LAB_RUNNER, LAB_SLURM_ARGS) over it."""
    from lab.config import describe

    typer.echo(describe(_config()))


@app.command("submit")
def submit_cmd(
    to: Annotated[
        Path | None,
        typer.Option("--to", metavar="DIR", help="The class folder (default: [class] folder)."),
    ] = None,
) -> None:
    """Write a snapshot of your progress (lessons read, recall per lesson, predictions,
    exercises, runs' final figures, last active) as <login>.json into the class folder. Nothing
    else leaves your LAB_HOME: no answers' text, no code."""
    from lab.classroom.snapshot import snapshot, submit

    configured = _config().klass.folder
    folder = to or (Path(configured).expanduser() if configured else None)
    if folder is None:
        fail("no class folder: pass --to DIR, or set [class] folder in config.toml (lab config)")
    if not folder.is_dir():
        fail(f"{folder} is not a folder (ask your teacher for the class folder's path)")
    store = open_store(reading=True)
    with store:
        data = snapshot(state.catalog(), store)
    try:
        written = submit(data, folder)
    except OSError as exc:
        fail(f"cannot write into {folder}: {exc.strerror or exc}")
    typer.echo(f"submitted {written}")


COLUMNS = ("learner", "active", "read", "recall", "done", "failing", "predicted", "runs")


@class_app.command("report")
def report_cmd(
    folder: Annotated[Path, typer.Argument(metavar="DIR", help="The class folder.")],
    lesson: Annotated[
        str | None, typer.Option("--lesson", metavar="ID", help="Only this lesson's figures.")
    ] = None,
    sort: Annotated[
        str, typer.Option("--sort", help=f"Sort by one of: {', '.join(COLUMNS)}, stuck.")
    ] = "learner",
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON for scripts.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="Print CSV for a spreadsheet.")] = False,
) -> None:
    """One row per learner who submitted, with who is stuck: an exercise failing for days, a
    lesson with low recall, no activity for a week. Names come from each file's owner."""
    from lab.classroom.report import read_class
    from lab.table import table
    from lab.text import plural

    if not folder.is_dir():
        fail(f"{folder} is not a folder")
    if sort not in (*COLUMNS, "stuck"):
        fail(f"--sort must be one of {', '.join(COLUMNS)}, stuck; not {sort!r}")
    rows = read_class(folder, lesson)
    cells = {row.learner: _cells(row) for row in rows}
    if sort == "stuck":
        rows.sort(key=lambda r: (not r.stuck, r.learner))
    elif sort != "learner":
        at = COLUMNS.index(sort)
        rows.sort(key=lambda r: (cells[r.learner][at] == "", cells[r.learner][at]), reverse=True)
    if as_json:
        typer.echo(json.dumps([row.to_json() for row in rows], indent=2))
        return
    if as_csv:
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([*COLUMNS, "flags"])
        for row in rows:
            writer.writerow([*cells[row.learner], "; ".join(row.flags)])
        typer.echo(out.getvalue().rstrip("\n"))
        return
    if not rows:
        typer.echo(f"no snapshots in {folder} yet (learners write them with `lab submit`)")
        return
    typer.echo(table(list(COLUMNS), [cells[row.learner] for row in rows]))
    stuck = [row for row in rows if row.stuck]
    if not stuck:
        typer.echo(f"\n{plural(len(rows), 'learner')}; none with something to look at.")
    else:
        typer.echo(f"\n{plural(len(rows), 'learner')}; {len(stuck)} with something to look at:")
    for row in stuck:
        typer.echo(f"  {row.learner}: {'; '.join(row.flags)}")


def _cells(row) -> list:
    return [
        row.learner,
        row.last_active.strftime("%Y-%m-%d") if row.last_active else "",
        row.lessons_read,
        f"{round(100 * row.mastery)}%" if row.mastery is not None else "",
        row.exercises_done,
        row.exercises_failing,
        row.predictions,
        row.runs,
    ]
