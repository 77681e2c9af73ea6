"""Provides `lab runs`: the run history, one run in detail, and a run's metrics as CSV."""

from __future__ import annotations

import csv
import io
import json
from typing import Annotated

import typer

from lab.cli import app
from lab.cli.progress_cmds import fail, open_store

USAGE = "usage: lab runs [EXPERIMENT] | lab runs show ID | lab runs export ID [--csv|--json]"


def _run_json(run, full: bool) -> dict:
    data = {
        "id": run.id,
        "experiment": run.experiment,
        "lesson": run.lesson,
        "status": run.status,
        "reason": run.reason,
        "seed": run.seed,
        "device": run.device,
        "torch_version": run.torch_version,
        "tweaks": run.tweaks,
        "metrics": run.metrics,
        "started_at": run.started_at.isoformat(),
        "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        "duration_s": run.duration_s,
    }
    if full:
        data["spec"] = run.spec
        data["epochs"] = [{"epoch": e, **m} for e, m in run.epochs]
        data["points"] = [
            [s, series, v if v == v and abs(v) != float("inf") else str(v)]
            for s, series, v in run.points
        ]
    return data


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


def _main_metric(metrics: dict) -> str:
    for key in ("val_loss", "train_loss", "loss", "val_acc", "best_w"):
        if key in metrics:
            return f"{key} {_fmt(metrics[key])}"
    return ""


def _parse_id(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        fail(f"run id must be a number, not {text!r} (see `lab runs`)", 2)


@app.command()
def runs(
    args: Annotated[
        list[str] | None,
        typer.Argument(metavar="[EXPERIMENT | show ID | export ID]", help="What to show."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
    as_csv: Annotated[bool, typer.Option("--csv", help="export: CSV (the default).")] = False,
    points: Annotated[
        bool, typer.Option("--points", help="export: the step losses instead of the epochs.")
    ] = False,
) -> None:
    """The run history, newest first: `lab runs [EXPERIMENT]`, `lab runs show ID`,
    `lab runs export ID --csv` (per-epoch metrics; `--points` for step losses)."""
    args = list(args or [])
    if args and args[0] in ("show", "export"):
        if len(args) != 2:
            fail(USAGE, 2)
        run_id = _parse_id(args[1])
        store = open_store(reading=True)
        with store:
            run = store.run(run_id)
        if run is None:
            fail(f"no run {run_id} (see `lab runs`)")
        if args[0] == "show":
            _show(run, as_json)
        else:
            _export(run, as_json and not as_csv, points)
        return
    if len(args) > 1:
        fail(USAGE, 2)
    store = open_store(reading=True)
    with store:
        found = store.runs(args[0] if args else None)
    if as_json:
        typer.echo(json.dumps([_run_json(r, False) for r in found], indent=2))
        return
    if not found:
        which = f" of {args[0]}" if args else ""
        typer.echo(f"No runs{which} yet. Start one with `lab run EXPERIMENT`.")
        return
    from lab.table import table

    rows = [
        [
            r.id,
            r.experiment,
            r.status,
            r.started_at.astimezone().strftime("%Y-%m-%d %H:%M"),
            f"{r.duration_s:.1f}s" if r.duration_s is not None else "",
            _main_metric(r.metrics) or r.reason,
        ]
        for r in found
    ]
    typer.echo(table(["id", "experiment", "status", "started", "time", "result"], rows))


def _show(run, as_json: bool) -> None:
    if as_json:
        typer.echo(json.dumps(_run_json(run, True), indent=2))
        return
    from lab.runs.figures import epoch_train_loss, final_figures, trains_declaratively
    from lab.table import table, terminal_width
    from lab.text import labelled, plural, wrap_cells

    width = terminal_width()

    def field(name: str, value: str) -> list[str]:
        return labelled(name, value, width)

    lines = wrap_cells(
        f"run {run.id}: {run.experiment} ({run.lesson}) {run.status}", width, "  ", ""
    )
    lines += field("started", f"{run.started_at.astimezone():%Y-%m-%d %H:%M:%S}")
    if run.duration_s is not None:
        lines += field("duration", f"{run.duration_s:.1f}s")
    if run.reason:
        lines += field("reason", run.reason)
    lines += field("device", f"{run.device} · torch {run.torch_version} · seed {run.seed}")
    if run.tweaks:
        lines += field("tweaks", ", ".join(f"{k}={v}" for k, v in run.tweaks.items()))
    if run.metrics:
        figures = ", ".join(f"{k} {_fmt(v)}" for k, v in run.metrics.items())
        what = final_figures(run.status, run.spec)
        lines += field("metrics", f"{what} {figures}" if what else figures)
    typer.echo("\n".join(lines))
    if run.epochs:
        keys = sorted({k for _, m in run.epochs for k in m})
        rows = [[e, *[_fmt(m.get(k)) for k in keys]] for e, m in run.epochs]
        typer.echo("")
        if trains_declaratively(run.spec) and "train_loss" in keys:
            typer.echo("\n".join(wrap_cells(epoch_train_loss(run.spec), width)))
        typer.echo(table(["epoch", *keys], rows))
    typer.echo(f"\n{plural(len(run.points), 'step loss point')} kept")


def _export(run, as_json: bool, points: bool) -> None:
    if as_json:
        typer.echo(json.dumps(_run_json(run, True), indent=2))
        return
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if points:
        writer.writerow(["step", "series", "loss"])
        for step, series, value in run.points:
            writer.writerow([step, series, repr(value)])
    else:
        keys = sorted({k for _, m in run.epochs for k in m})
        writer.writerow(["epoch", *keys])
        for epoch, metrics in run.epochs:
            writer.writerow([epoch, *[metrics.get(k, "") for k in keys]])
    typer.echo(out.getvalue(), nl=False)
