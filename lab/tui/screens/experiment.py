"""Provides the experiment screen: settings, run and stop, live curves, the goal, earlier runs."""

from __future__ import annotations

import contextlib
import gc
import math
import re
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.message import Message
from textual.screen import Screen
from textual.widgets import Footer, Header, Label, SelectionList, Static
from textual.widgets.selection_list import Selection
from textual.worker import get_current_worker

from lab.catalog.catalog import ExperimentEntry
from lab.catalog.runspec import SettingError, build_run_spec
from lab.engine.events import Done, EpochEnd, Log, Progress, Start
from lab.text import reflow
from lab.tui.messages import ProgressChanged
from lab.tui.screens.predict import PredictionStep
from lab.tui.smoothing import step_smoothing
from lab.tui.warm import warm_workers
from lab.tui.widgets.loss_plot import CurvePlot, Overlay
from lab.tui.widgets.param_form import ParamForm
from lab.tui.widgets.run_status import GoalLine, RunStatus

POINT_BATCH_S = 0.1
"""Progress events are gathered this long before they cross to the screen as one message."""

ACTIVE = ("starting", "running", "stopping")

_frozen = False


def freeze_long_lived() -> None:
    """Once a process, before its first run: move every object the app holds so far (some
    100,000: Textual, the catalog, caches) out of the collector's reach. A full collection of
    them stalled the event loop for 150-250 ms mid-run; now it walks what came after."""
    global _frozen
    if not _frozen:
        gc.freeze()
        _frozen = True


# --- messages: the run reader posts these; the screen's handlers draw and record --------------


@dataclass
class RunStarted(Message):
    """The worker began the run: device, model summary, the spec it runs."""

    start: Start


@dataclass
class PointsArrived(Message):
    """Loss points since the last batch (at most ~10 batches a second)."""

    points: list[Progress]


@dataclass
class EpochFinished(Message):
    """Epochs ended (usually one; many when epochs are short), with their metrics."""

    epochs: list[EpochEnd]
    steps: list[int]
    """The last training step of each epoch: where its validation loss is drawn."""


@dataclass
class LogArrived(Message):
    """The worker said something for the learner."""

    text: str


@dataclass
class RunFinished(Message):
    """The run ended: completed, stopped, diverged or failed, with the reason."""

    done: Done


@dataclass
class RunRecorded(Message):
    """The store holds a run's end: the earlier-runs list can offer it for overlay."""

    run_id: Any


@dataclass
class Write:
    """Points and epochs of a run for the store, and its end when the run is over."""

    run_id: Any
    points: list[tuple[int, str, float]] = field(default_factory=list)
    epochs: list[tuple[int, dict[str, float]]] = field(default_factory=list)
    finish: tuple[str, str, dict[str, float], float] | None = None
    """(status, reason, metrics, duration in seconds)."""


def describe_tweaks(tweaks: dict[str, Any] | None) -> str:
    """A run's label: the settings it changed (`lr=0.5 epochs=20`), or `defaults`."""
    if not tweaks:
        return "defaults"
    return " ".join(f"{k}={v:g}" if isinstance(v, float) else f"{k}={v}" for k, v in tweaks.items())


def condense_summary(summary: str) -> str:
    """torchinfo's 90-column table cut to its layer rows (`Linear: 1-1 [1, 1] 2`), so it
    fits a narrow column; any other text is kept as it is."""
    lines = summary.strip().splitlines()
    bars = [i for i, line in enumerate(lines) if line.startswith("====")]
    if len(bars) < 3:
        return summary.strip() or "(no summary)"
    rows = []
    for line in lines[bars[1] + 1 : bars[2]]:
        cells = [c.strip() for c in re.split(r"\s{2,}", line.strip()) if c.strip()]
        rows.append(" ".join(cells))
    return "\n".join(rows) or "(no layers)"


def _field(obj: Any, name: str, default: Any = None) -> Any:
    if isinstance(obj, dict):
        return obj.get(name, default)
    return getattr(obj, name, default)


class ExperimentScreen(Screen):
    """One experiment: read it, change settings, run it, watch and compare the curves."""

    BINDINGS = [
        Binding("r", "run", "Run"),
        Binding("s", "stop", "Stop"),
        Binding("left_square_bracket", "smoothing(-1)", "Smooth-", key_display="["),
        Binding("right_square_bracket", "smoothing(1)", "Smooth+", key_display="]"),
        Binding("l", "log_scale", "Log"),
        Binding("c", "compare", "Compare"),
        Binding("a", "ascii", "ASCII plot", show=False),
        Binding("escape", "back", "Back"),
    ]

    def __init__(self, experiment_id: str | ExperimentEntry) -> None:
        super().__init__()
        self._entry_or_id = experiment_id
        self.entry: ExperimentEntry | None = None
        self.state = "idle"
        self.worker: Any = None
        self.run_id: Any = None
        self.tweaks: dict[str, Any] = {}
        self.last_metrics: dict[str, float] = {}
        self.started_at = 0.0
        self._val_from_progress = False
        self._unsaved: list[tuple[int, str, float]] = []
        self._unsaved_epochs: list[tuple[int, dict[str, float]]] = []
        self._overlaid: set[Any] = set()
        self._hook_registered = False
        self.prediction = PredictionStep(self)
        # The store's writes, oldest first, one at a time (points are numbered as they arrive),
        # off the event loop: one thread takes them in the order they were queued.
        self._writer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="lab-store")

    # --- state the app reads ----------------------------------------------------------------

    @property
    def run_in_progress(self) -> bool:
        """True from `r` until the run's Done: the app asks before quitting."""
        return self.state in ACTIVE

    @property
    def store(self) -> Any:
        return getattr(self.app, "store", None)

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        entry = self._entry_or_id
        if isinstance(entry, str):
            entry = self.app.catalog.experiment(entry)
        self.entry = entry
        yield Header(show_clock=False)
        if entry is None:
            yield Static(f"No experiment is called {self._entry_or_id!r}.", markup=False)
            yield Footer()
            return
        exp = entry.experiment
        with Horizontal(id="exp-body"):
            with VerticalScroll(id="exp-side"):
                yield Static(exp.title, id="exp-title", markup=False)
                yield Static(reflow(exp.description), id="exp-description", markup=False)
                if exp.try_this:
                    tips = Text("Try this:\n", style="bold")
                    for tip in exp.try_this:
                        tips.append(f"• {reflow(tip)}\n", style="")
                    yield Static(tips.rstrip() or tips, id="exp-try")
                yield GoalLine(exp.goal, id="exp-goal")
                yield Label("Settings", classes="exp-heading")
                yield ParamForm(exp, id="exp-form")
                yield Label("Earlier runs (space: overlay)", classes="exp-heading")
                yield SelectionList[Any](id="exp-runs")
                yield Label("Model", classes="exp-heading")
                yield Static("(shown when a run starts)", id="exp-summary", markup=False)
                yield Static("", id="exp-log", markup=False)
            with Vertical(id="exp-main"):
                yield RunStatus(id="exp-status")
                yield CurvePlot("loss", "step", id="loss-plot")
                yield CurvePlot("accuracy", "epoch", smoothable=False, id="acc-plot")
        yield Footer()

    def on_mount(self) -> None:
        if self.entry is None:
            return
        self.title = self.entry.experiment.title
        train = self.entry.experiment.train
        self.query_one("#acc-plot", CurvePlot).display = bool(train and train.classification)
        self.query_one("#exp-runs", SelectionList).display = False
        self.load_earlier_runs()
        hooks = getattr(self.app, "shutdown_hooks", None)
        if hooks is not None and not self._hook_registered:
            hooks.append(self.shutdown)
            self._hook_registered = True
        if getattr(self.app, "prewarm", True):
            warm_workers(self.app).warm_up()  # torch imports while the learner reads
        self.set_interval(1.0, self._tick_status, name="status-clock")
        self.set_interval(1.0, self._flush_soon, name="store-flush")

    def on_unmount(self) -> None:
        # Leaving the screen ends its run: the reader is cancelled with the screen.
        self.shutdown(reason="the learner left the experiment screen")
        hooks = getattr(self.app, "shutdown_hooks", None)
        if hooks is not None and self.shutdown in hooks:
            hooks.remove(self.shutdown)

    def _tick_status(self) -> None:
        # Each second of a run: the time left, and numbers that arrived since the last showing
        # (both lines show at most twice a second); an unchanged line is not repainted.
        if self.state == "running":
            self.query_one(RunStatus).show()
            self.query_one(GoalLine).show()

    # --- actions ----------------------------------------------------------------------------

    def action_back(self) -> None:
        if self.run_in_progress:
            self.notify("A run is going: press s to stop it first.", severity="warning")
            return
        self.app.pop_screen()

    def action_run(self) -> None:
        if self.entry is None:
            return
        if self.run_in_progress:
            self.notify("A run is already going (s stops it).", severity="warning")
            return
        if self.prediction.ask(then_run=self.action_run):  # predict first; it runs after
            return
        form = self.query_one(ParamForm)
        settings = form.settings()
        if settings is None:
            self.notify("Fix the setting marked in red first.", severity="error")
            return
        status = self.query_one(RunStatus)
        try:
            spec = build_run_spec(self.entry, settings)
        except SettingError as exc:
            status.set_state("failed", str(exc))
            return
        self.tweaks = dict(spec.get("tweaks") or {})
        self.state = "starting"
        self.run_id = None
        self.last_metrics = {}
        self._val_from_progress = False
        self._unsaved = []
        self._unsaved_epochs = []
        form.set_locked(True)
        status.set_state("starting", "")
        self.query_one(GoalLine).reset()
        label = describe_tweaks(self.tweaks)
        for plot in self.query(CurvePlot):
            plot.clear_run()
            plot.set_note(f"this run: {label}")
        self.query_one("#exp-log", Static).update("")
        freeze_long_lived()
        self.worker = warm_workers(self.app).take()
        self.read_run(self.worker, spec)

    def action_stop(self) -> None:
        if self.state not in ("starting", "running") or self.worker is None:
            return
        self.state = "stopping"
        self.query_one(RunStatus).set_state("stopping", "")
        self.worker.stop()

    def action_smoothing(self, direction: int) -> None:
        plot = self.query_one("#loss-plot", CurvePlot)
        plot.set_view(smoothing=step_smoothing(plot.smoothing, direction))
        self.notify(f"smoothing {plot.smoothing:g}", timeout=1.5)

    def action_log_scale(self) -> None:
        plot = self.query_one("#loss-plot", CurvePlot)
        plot.set_view(log_scale=not plot.log_scale)

    def action_ascii(self) -> None:
        for plot in self.query(CurvePlot):
            plot.set_view(ascii=not plot.ascii)

    def action_compare(self) -> None:
        runs = self.query_one("#exp-runs", SelectionList)
        if runs.option_count == 0:
            self.notify("No earlier runs of this experiment yet.", timeout=2)
            return
        runs.display = True
        if runs.highlighted is None:
            runs.highlighted = 0
        runs.focus()

    # --- reading the run: a Textual worker that only posts messages ---------------------------

    @work(
        thread=True,
        exclusive=True,
        group="run",
        exit_on_error=False,
        description="Read a training run's events and post them to the experiment screen",
    )
    def read_run(self, worker: Any, spec: dict[str, Any]) -> None:
        # A plain thread blocks on the worker's pipe and posts batches (post_message is
        # thread-safe): one hop per batch, not per event, so a run that finishes 200 epochs in
        # a tenth of a second becomes a handful of messages, not 400.
        me = get_current_worker()
        points: list[Progress] = []
        epochs: list[EpochEnd] = []
        steps: list[int] = []
        last_step = 0
        flushed = time.monotonic()

        def flush() -> None:
            nonlocal points, epochs, steps, flushed
            if points:
                self.post_message(PointsArrived(points))
            if epochs:
                self.post_message(EpochFinished(epochs, steps))
            points, epochs, steps, flushed = [], [], [], time.monotonic()

        try:
            worker.send(spec)
            for event in worker.events():
                if me.is_cancelled:
                    return
                if isinstance(event, Progress):
                    points.append(event)
                    if event.series == "train":
                        last_step = max(last_step, event.step)
                elif isinstance(event, EpochEnd):
                    epochs.append(event)
                    steps.append(last_step)
                if isinstance(event, (Progress, EpochEnd)):
                    if time.monotonic() - flushed >= POINT_BATCH_S:
                        flush()
                    continue
                flush()
                if isinstance(event, Start):
                    self.post_message(RunStarted(event))
                elif isinstance(event, Log):
                    self.post_message(LogArrived(event.text))
                elif isinstance(event, Done):
                    self.post_message(RunFinished(event))
                    return
            flush()
            self.post_message(RunFinished(Done("failed", "the worker ended without a result")))
        except Exception as exc:  # noqa: BLE001 - the learner sees it; the screen stays usable
            flush()
            reason = f"could not talk to the training process: {exc}"
            self.post_message(RunFinished(Done("failed", reason)))
            with contextlib.suppress(Exception):
                worker.kill()

    # --- handlers: draw and record ----------------------------------------------------------

    def on_run_started(self, message: RunStarted) -> None:
        start = message.start
        if self.state == "starting":
            self.state = "running"
        epochs = int(_field(start.spec, "epochs", 0) or 0)
        self.started_at = time.monotonic()
        status = self.query_one(RunStatus)
        status.begin(start.device, epochs)
        if self.state == "stopping":
            status.set_state("stopping", "")
        summary = condense_summary(start.summary)
        self.query_one("#exp-summary", Static).update(
            f"{summary}\n{start.parameters:,} parameters · torch {start.torch_version}"
        )
        store = self.store
        if store is not None and self.entry is not None:
            try:
                self.run_id = store.start_run(
                    experiment=self.entry.experiment.id,
                    lesson=self.entry.lesson,
                    spec=start.spec,
                    tweaks=self.tweaks,
                    seed=_field(start.spec, "seed"),
                    device=start.device,
                    torch_version=start.torch_version,
                )
            except Exception as exc:  # noqa: BLE001 - the run goes on unrecorded
                self.run_id = None
                self.notify(f"This run is not saved: {exc}", severity="warning", markup=False)

    def on_points_arrived(self, message: PointsArrived) -> None:
        by_series: dict[str, list[tuple[float, float]]] = {}
        for p in message.points:
            by_series.setdefault(p.series, []).append((p.step, p.loss))
            self._unsaved.append((p.step, p.series, p.loss))
            if p.series == "val":
                self._val_from_progress = True
        plot = self.query_one("#loss-plot", CurvePlot)
        for series, points in by_series.items():
            plot.add_points(series, points)
        last = message.points[-1]
        self.query_one(RunStatus).progress(last.epoch, last.step, last.samples_per_s)

    def on_epoch_finished(self, message: EpochFinished) -> None:
        loss = self.query_one("#loss-plot", CurvePlot)
        acc = self.query_one("#acc-plot", CurvePlot)
        for epoch, step in zip(message.epochs, message.steps, strict=True):
            metrics = epoch.metrics
            self.last_metrics = dict(metrics)
            val = metrics.get("val_loss")
            if val is not None and not self._val_from_progress:
                loss.add_points("val", [(step, val)])
                self._unsaved.append((step, "val", val))
            for key, series in (("train_accuracy", "train"), ("val_accuracy", "val")):
                if key in metrics:
                    acc.add_points(series, [(epoch.epoch, metrics[key])])
            self._unsaved_epochs.append((epoch.epoch, dict(metrics)))
        self.query_one(RunStatus).epoch_done(message.epochs[-1].epoch)
        self.query_one(GoalLine).check(self.last_metrics)

    def on_log_arrived(self, message: LogArrived) -> None:
        self.query_one("#exp-log", Static).update(message.text)

    def on_run_finished(self, message: RunFinished) -> None:
        done = message.done
        metrics = {**self.last_metrics, **(done.metrics or {})}
        self.last_metrics = metrics
        recorded = self._record_finish(done.status, done.reason, metrics)
        self.state = done.status
        self.worker = None
        status = self.query_one(RunStatus)
        reason = done.reason
        if done.status == "failed" and done.traceback and not reason:
            reason = done.traceback.strip().splitlines()[-1]
        status.set_state(done.status, reason)
        reached = self.query_one(GoalLine).check(metrics, final=True)
        self.query_one(ParamForm).set_locked(False)
        plot = self.query_one("#loss-plot", CurvePlot)
        if done.status in ("diverged", "failed"):
            plot.set_note(f"{done.status}: see above")
            self.notify(reason or done.status, title=f"Run {done.status}", severity="error")
        elif done.status == "completed" and reached:
            self.notify("Goal reached.", timeout=3)
        if not recorded:  # else once the store has it (on_run_recorded)
            self.post_message(ProgressChanged())
        if getattr(self.app, "prewarm", True):
            warm_workers(self.app).warm_up()
        self.prediction.reveal()

    # --- the store ----------------------------------------------------------------------------

    def _flush_soon(self) -> None:
        """Every second of a run: hand what arrived to the store, off the event loop."""
        if self.run_id is None or not (self._unsaved or self._unsaved_epochs):
            return
        self._queue_write(Write(self.run_id, *self._take_unsaved()))

    def _take_unsaved(self) -> tuple[list, list]:
        points, self._unsaved = self._unsaved, []
        epochs, self._unsaved_epochs = self._unsaved_epochs, []
        return points, epochs

    def _queue_write(self, write: Write) -> None:
        self._writer.submit(self._write_one, self.store, write)

    def _write_one(self, store: Any, write: Write) -> None:
        _write(store, write)
        if write.finish is not None:
            self.post_message(RunRecorded(write.run_id))

    def on_run_recorded(self, message: RunRecorded) -> None:
        self.load_earlier_runs()
        self.post_message(ProgressChanged())

    def _record_finish(self, status: str, reason: str, metrics: dict[str, float]) -> bool:
        """Queue the run's last points and its end; False when there is nothing to record."""
        points, epochs = self._take_unsaved()
        if self.store is None or self.run_id is None:
            return False
        run_id, self.run_id = self.run_id, None
        duration = time.monotonic() - self.started_at if self.started_at else 0.0
        finite = {k: v for k, v in metrics.items() if isinstance(v, (int, float))}
        finish = (status, reason, finite, duration)
        self._queue_write(Write(run_id, points, epochs, finish))
        return True

    def shutdown(self, reason: str = "the app closed while the run went on") -> None:
        """Stop the worker and record the run as stopped (app exit, SIGHUP, leaving)."""
        worker, self.worker = self.worker, None
        if worker is not None:
            with contextlib.suppress(Exception):
                worker.stop()
                worker.close()
        if self.state in ACTIVE:
            self.state = "stopped"
            self._record_finish("stopped", reason, self.last_metrics)
        self._writer.shutdown(wait=True)  # the app may be ending: every queued write lands first

    # --- earlier runs -------------------------------------------------------------------------

    def load_earlier_runs(self) -> None:
        store = self.store
        runs_list = self.query_one("#exp-runs", SelectionList)
        if store is None or self.entry is None:
            return
        try:
            runs = list(store.runs(self.entry.experiment.id))
        except Exception:  # noqa: BLE001 - no history is no reason to fail the screen
            return
        runs_list.clear_options()
        for run in runs:
            run_id = _field(run, "id", _field(run, "run_id"))
            if run_id is None:
                continue
            label = self._run_label(run)
            runs_list.add_option(Selection(label, run_id, run_id in self._overlaid))
        runs_list.display = runs_list.option_count > 0

    def _run_label(self, run: Any) -> str:
        run_id = _field(run, "id", _field(run, "run_id"))
        tweaks = _field(run, "tweaks") or {}
        status = _field(run, "status") or "?"
        metrics = _field(run, "metrics") or {}
        loss = metrics.get("train_loss") if isinstance(metrics, dict) else None
        shown = f" {loss:.3g}" if isinstance(loss, (int, float)) and math.isfinite(loss) else ""
        return f"#{run_id} {describe_tweaks(tweaks)} · {status}{shown}"

    @on(SelectionList.SelectedChanged, "#exp-runs")
    def _overlay_chosen(self, event: SelectionList.SelectedChanged) -> None:
        chosen = list(event.selection_list.selected)
        self._overlaid = set(chosen)
        loss_overlays: list[Overlay] = []
        acc_overlays: list[Overlay] = []
        for run_id in chosen:
            try:
                run = self.store.run(run_id)
            except Exception:  # noqa: BLE001
                continue
            if run is None:
                continue
            label = f"#{run_id} {describe_tweaks(_field(run, 'tweaks') or {})}"
            loss, acc = _curves_of(run)
            loss_overlays.append(Overlay(label, loss))
            if acc:
                acc_overlays.append(Overlay(label, acc))
        self.query_one("#loss-plot", CurvePlot).set_overlays(loss_overlays)
        self.query_one("#acc-plot", CurvePlot).set_overlays(acc_overlays)


def _write(store: Any, write: Write) -> None:
    """Record points, epochs and the end; a store that fails loses them, never the run on
    screen."""
    if store is None or write.run_id is None:
        return
    with contextlib.suppress(Exception):
        if write.points:
            points = [(int(s), series, float(v)) for s, series, v in write.points]
            store.add_points(write.run_id, points)
        for number, metrics in write.epochs:
            store.add_epoch(write.run_id, number, metrics)
    if write.finish is not None:
        with contextlib.suppress(Exception):
            store.finish_run(write.run_id, *write.finish)


def _curves_of(run: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """The loss curves (by step) and accuracy curves (by epoch) of a stored run."""
    from lab.tui.widgets.loss_plot import Curve

    loss: dict[str, Curve] = {}
    for point in _field(run, "points") or []:
        if isinstance(point, dict):
            step, series, value = point.get("step"), point.get("series"), point.get("loss")
        else:
            step, series, value = point
        curve = loss.setdefault(series or "train", Curve())
        curve.xs.append(float(step))
        curve.ys.append(float(value))
    acc: dict[str, Curve] = {}
    for epoch in _field(run, "epochs") or []:
        if isinstance(epoch, dict):
            number, metrics = epoch.get("epoch"), epoch.get("metrics", epoch)
        else:
            number, metrics = epoch
        for key, series in (("train_accuracy", "train"), ("val_accuracy", "val")):
            if isinstance(metrics, dict) and metrics.get(key) is not None:
                curve = acc.setdefault(series, Curve())
                curve.xs.append(float(number))
                curve.ys.append(float(metrics[key]))
    return loss, acc
