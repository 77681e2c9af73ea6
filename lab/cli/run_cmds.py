"""Provides `lab run` (train an experiment from the command line) and `lab data fetch`."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Annotated

import typer

from lab.cli import app, state
from lab.table import terminal_width

if TYPE_CHECKING:
    from lab.tui.view_drawing import ViewState

EPOCH_LINES = 30  # a longer run prints about this many epoch lines, evenly spaced
VIEW_ROWS = 16  # the final picture of the model under the loss chart


@app.command()
def run(
    experiment: Annotated[str, typer.Argument(help="The experiment's id (see `lab experiments`).")],
    settings: Annotated[
        list[str] | None,
        typer.Option("--set", help="KEY=VALUE, checked against its range (repeatable)."),
    ] = None,
    epochs: Annotated[int | None, typer.Option(help="Train for this many epochs.", min=1)] = None,
    seed: Annotated[int | None, typer.Option(help="Random seed: same seed, same losses.")] = None,
    device: Annotated[str | None, typer.Option(help="auto, cpu, cuda, cuda:1, mps.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print events as JSON lines.")] = False,
    smoke: Annotated[bool, typer.Option(help="Tiny subset, one epoch.")] = False,
) -> None:
    """Run an experiment: one line per epoch, then the loss chart and the run's id."""
    entry, run_spec = cli_run_spec(
        "run", experiment, settings, seed=seed, epochs=epochs, device=device, smoke=smoke
    )

    from lab.runs.session import RunSession
    from lab.store import Store

    printer = _Printer(run_spec, as_json, entry.experiment.goal)
    session = RunSession(
        run_spec,
        configured_runner("run", ahead=False).take(),
        open_store=Store.open,
        on_warning=lambda text: typer.echo(f"lab run: {text}", err=True),
    )
    printer.waiting()
    interrupted = False
    while session.done is None:
        try:
            for event in session.events():
                printer.show(event, session)
        except KeyboardInterrupt:
            if interrupted:  # a second Ctrl+C: do not wait any longer
                printer.show(session.kill("stopped by Ctrl+C"), session)
            interrupted = True
            session.stop()
    session.worker.wait(5)
    session.wait_recorded(10)
    if session.run_id is not None and not as_json:
        typer.echo(f"run {session.run_id}")
    if session.done.status == "completed":
        raise typer.Exit(0)
    raise typer.Exit(130 if interrupted or session.done.status == "stopped" else 1)


def cli_run_spec(command: str, experiment: str, settings: list[str] | None, **options):
    """The experiment and its run spec from `--set KEY=VALUE` and the options, as `lab run` and
    `lab export` take them; an unknown id or a bad setting ends `lab COMMAND` in one line with
    status 2."""
    from lab.catalog.runspec import build_run_spec
    from lab.catalog.settings import SettingError, setting_pairs

    entry = state.catalog().experiment(experiment)
    if entry is None:
        typer.echo(f"lab {command}: no experiment {experiment!r}; see `lab experiments`", err=True)
        raise typer.Exit(2)
    try:
        return entry, build_run_spec(entry, setting_pairs(settings or []), **options)
    except SettingError as exc:
        typer.echo(f"lab {command}: {exc}", err=True)
        raise typer.Exit(2) from None


def configured_runner(command: str, ahead: bool = True):
    """The runner the settings name; a bad one ends `lab COMMAND` in one line with status 2."""
    from lab.runs.ports import RunnerError
    from lab.runs.runners import runner

    try:
        return runner(ahead=ahead)
    except RunnerError as exc:
        typer.echo(f"{' '.join(filter(None, ('lab', command)))}: {exc}", err=True)
        raise typer.Exit(2) from None


class _Printer:
    """Shows a run's events as lines (or JSON lines); the session keeps its record."""

    def __init__(self, run_spec, as_json: bool, goal=None):
        self.as_json, self.goal = as_json, goal
        self.epochs = run_spec.epochs
        self.spec = run_spec.spec_json() if run_spec.train is not None else None
        self.told_epoch_loss = False  # what an epoch's train_loss is, said once
        self.tty = sys.stdout.isatty() and not as_json
        self.transient = False  # a line the next output replaces is on the terminal
        self.epoch_rows: list[tuple[int, dict]] = []
        self.points: list[tuple[int, str, float]] = []
        self.views: ViewState | None = None  # once the run sends a picture of the model
        self.queue_said = ""  # what the scheduler last said while the run's job waited

    def show(self, event, session) -> None:
        from lab.engine.events import (
            Done,
            EpochEnd,
            Log,
            Progress,
            Queued,
            Start,
            View,
            to_json,
            waiting_words,
        )
        from lab.runs.figures import epoch_train_loss, figure, final_figures

        if isinstance(event, Progress):
            self.points.append((event.step, event.series, event.loss))
        elif isinstance(event, EpochEnd):
            self.epoch_rows.append((event.epoch, event.metrics))
        if self.as_json:
            typer.echo(to_json(event))
            return
        if isinstance(event, View):
            self._keep_view(event)
        if isinstance(event, Queued):
            minutes, seconds = divmod(event.waited_s, 60)
            said = waiting_words(event)
            if self.tty:
                self._transient(f"{said}, {minutes}:{seconds:02d}")
            elif said != self.queue_said:  # a line when the reason changes, not every second
                typer.echo(said)
            self.queue_said = said
        elif isinstance(event, Start):
            self._clear()
            # a scripted experiment with no one model of its own has no size to tell
            size = f": {event.parameters:,} parameters" if event.parameters else ""
            where = event.device
            if event.runner == "slurm":
                where = f"{event.device} on {event.node or 'a node'} (Slurm job {event.job})"
            typer.echo(f"{event.experiment} on {where}{size}")
        elif isinstance(event, Progress) and self.tty:
            of = f"/{self.epochs}" if self.epochs else ""
            self._transient(f"  epoch {event.epoch}{of}  step {event.step}  loss {event.loss:.4g}")
        elif isinstance(event, EpochEnd) and self._worth_a_line(event.epoch):
            self._clear()
            if self.spec and "train_loss" in event.metrics and not self.told_epoch_loss:
                self.told_epoch_loss = True
                self._echo_wrapped(epoch_train_loss(self.spec))
            of = f"/{self.epochs}" if self.epochs else ""
            cells = [figure(k, v) for k, v in event.metrics.items()]
            typer.echo(_pack([f"epoch {event.epoch}{of}", *cells]))
        elif isinstance(event, Log):
            self._clear()
            typer.echo(event.text)
        elif isinstance(event, Done):
            self._clear()
            chart = self._chart()
            if chart:
                typer.echo(chart)
            if self.views is not None and event.status != "failed":
                typer.echo(self._final_view(self.views))
            typer.echo(f"{event.status}: {event.reason}")  # one line, whole: scripts grep it
            what = final_figures(event.status, self.spec)
            if event.metrics and what:
                typer.echo(what)
            if event.metrics:
                typer.echo(_pack([figure(k, v) for k, v in event.metrics.items()]))
            # after a failure, only why it failed: the goal was never in reach
            if self.goal is not None and event.status != "failed":
                typer.echo(self._goal_line(session.metrics))
            if event.traceback and event.status == "failed":
                typer.echo(event.traceback.rstrip(), err=True)

    def _echo_wrapped(self, text: str) -> None:
        from lab.text import wrap_cells

        typer.echo("\n".join(wrap_cells(text, terminal_width())))

    def _keep_view(self, event) -> None:
        from lab.tui.view_drawing import ViewState

        if self.views is None:
            self.views = ViewState()
        self.views.add(event.kind, event.step, event.data)

    def _final_view(self, views: ViewState) -> str:
        """The last picture of the run's first kind (its boundary, fit, ...) as plain text."""
        from lab.tui.view_drawing import describe, draw, legend

        kind = views.kinds()[0]
        width = min(terminal_width(), 80)
        ascii = "utf" not in (sys.stdout.encoding or "").casefold()
        picture = draw(views, kind, width, VIEW_ROWS, ascii).plain
        lines = [describe(kind, views.latest[kind]["step"])]
        lines += [line.rstrip() for line in picture.splitlines()]
        return "\n".join([*lines, legend(kind, ascii)]).rstrip()

    def _goal_line(self, metrics: dict) -> str:
        value = metrics.get(self.goal.metric)  # shown as the goal is written: 0.95, not 95%
        if self.goal.reached(metrics):
            return f"goal reached: {self.goal.describe()} ({value:.4g})"
        got = "" if value is None else f", got {value:.4g}"
        return f"goal not reached: {self.goal.describe()}{got}"

    def _worth_a_line(self, epoch: int) -> bool:
        """Every epoch up to EPOCH_LINES of them; beyond that, evenly spaced ones and the last."""
        total = self.epochs or 0
        if total <= EPOCH_LINES:
            return True
        return epoch == 1 or epoch == total or epoch % -(-total // EPOCH_LINES) == 0

    def waiting(self) -> None:
        """A line for the seconds a fresh worker spends importing torch and loading the data."""
        if self.tty:
            self._transient("starting: loading PyTorch and the data...")

    def _transient(self, line: str) -> None:
        sys.stdout.write("\r" + line[: terminal_width() - 1] + "\x1b[K")
        sys.stdout.flush()
        self.transient = True

    def _clear(self) -> None:
        if self.transient:
            sys.stdout.write("\r\x1b[K")
            self.transient = False

    def _chart(self) -> str:
        from lab.cli.chart import loss_chart

        return loss_chart(self.epoch_rows, self.points)


def _pack(cells: list[str]) -> str:
    """Cells two spaces apart, on as many lines of the terminal's width as they need (a cell
    is never split); lines after the first are indented."""
    from lab.text import pack

    rows = pack(cells, terminal_width() - 2, "  ")  # (room for the indent on every line)
    return "\n".join(("  " if i else "") + "  ".join(row) for i, row in enumerate(rows))


data_app = typer.Typer(help="Data sets that need the network once: fetch them into the cache.")
app.add_typer(data_app, name="data")


@data_app.command("fetch")
def data_fetch(
    name: Annotated[str, typer.Argument(help="mnist, fashion-mnist or cifar10.")],
) -> None:
    """Download a data set into the data cache, with progress; safe to interrupt."""
    from lab.catalog.allowlists import DOWNLOAD_DATASETS

    if name not in DOWNLOAD_DATASETS:
        typer.echo(
            f"lab data fetch: {name!r} is not downloaded; fetch one of "
            f"{', '.join(DOWNLOAD_DATASETS)} (the others are built in)",
            err=True,
        )
        raise typer.Exit(2)
    from lab import paths
    from lab.engine.datasets import DataError, fetch

    try:
        where = fetch(name, paths.data_cache())
    except DataError as exc:
        typer.echo(f"lab data fetch: {exc}", err=True)
        raise typer.Exit(1) from None
    typer.echo(f"{name} is ready in {where}")
