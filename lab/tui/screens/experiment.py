"""Provides the experiment screen: settings, run and stop, live curves, the goal, earlier runs."""

from __future__ import annotations

import gc
from typing import Any

from rich.text import Text
from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, Vertical, VerticalScroll
from textual.content import Content
from textual.widgets import Header, Label, Static
from textual.worker import get_current_worker

from lab.catalog import allowlists as allow
from lab.catalog.catalog import ExperimentEntry
from lab.catalog.runspec import build_run_spec
from lab.catalog.settings import SettingError
from lab.runs.figures import end_of_run
from lab.runs.ports import RunWorker
from lab.runs.session import CLOSE_WAIT_S, RunSession, describe_tweaks
from lab.text import reflow
from lab.tui.messages import ProgressChanged
from lab.tui.run_reader import (
    EpochFinished,
    LogArrived,
    PointsArrived,
    RecordFailed,
    RunFinished,
    RunHeld,
    RunQueued,
    RunRecorded,
    RunStarted,
    ViewsArrived,
    read_run,
)
from lab.tui.screens.base import LabScreen
from lab.tui.screens.confirm import Confirm
from lab.tui.screens.predict import PredictionStep
from lab.tui.smoothing import step_smoothing
from lab.tui.widgets.earlier_runs import EarlierRuns
from lab.tui.widgets.footer import LabFooter
from lab.tui.widgets.inline_text import inline_text
from lab.tui.widgets.loss_plot import CurvePlot
from lab.tui.widgets.model_view import ModelView
from lab.tui.widgets.param_form import ParamForm
from lab.tui.widgets.run_log import RunLog
from lab.tui.widgets.run_status import GoalLine, RunStatus

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


class ExperimentScreen(LabScreen):
    """One experiment: read it, change settings, run it, watch and compare the curves.

    A run is a headless `RunSession` (the one `lab run` drives): the screen starts it, reads it
    through `read_run` on a thread and draws what arrives; the session records it."""

    # A short terminal gives the loss curve more rows than the panel under it (a narrow one
    # narrows the side column: the app's breakpoints).
    VERTICAL_BREAKPOINTS = [(0, "-short"), (24, "-tall")]
    BINDINGS = [
        Binding("r", "run", "Run"),
        Binding("s", "stop", "Stop"),
        Binding("p", "pause", "Pause"),
        # n and N are named by the paused status line and the help: the footer fits 80 columns
        Binding("n", "step", "Step", show=False),
        Binding("N", "step_epoch", "Epoch", key_display="N", show=False),
        # [ ] and l are named on the status line (and in help): the footer keeps 80 columns
        Binding("left_square_bracket", "smoothing(-1)", "Smooth-", key_display="[", show=False),
        Binding("right_square_bracket", "smoothing(1)", "Smooth+", key_display="]", show=False),
        Binding("l", "log_scale", "Log", show=False),
        Binding("c", "compare", "Compare"),
        Binding("x", "export", "Export"),
        Binding("a", "ascii", "ASCII plot", show=False),
        Binding("v", "next_view", "View"),
        Binding("escape", "back", "Back"),
    ]

    def __init__(
        self, experiment_id: str | ExperimentEntry, settings: dict[str, str] | None = None
    ) -> None:
        super().__init__()
        self._entry_or_id = experiment_id
        self._settings = settings or {}  # `lab open ID --set`: the form starts with these
        self.entry: ExperimentEntry | None = None
        self.state = "idle"
        self.session: RunSession | None = None
        self._earlier: list[RunSession] = []
        """Ended runs whose last writes may still be on their way to the store."""
        self.last_metrics: dict[str, float] = {}
        self.last_epoch: dict[str, float] = {}
        self.results = ""
        """The figures the last run ended with (`lab.runs.figures.end_of_run`)."""
        self.paused = False
        """The learner paused the run (p, n or N) and has not resumed it."""
        self._hook_registered = False
        self.prediction = PredictionStep(self)

    # --- state the app reads ----------------------------------------------------------------

    @property
    def run_in_progress(self) -> bool:
        """True from `r` until the run's Done: the app asks before quitting."""
        return self.state in ACTIVE

    @property
    def store(self) -> Any:
        return self.app.store

    @property
    def worker(self) -> RunWorker | None:
        """The current run's worker process (None before the first run)."""
        return self.session.worker if self.session is not None else None

    @property
    def run_id(self) -> int | None:
        """The current run's id in the store, once its start is written."""
        return self.session.run_id if self.session is not None else None

    # --- layout -----------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        entry: str | ExperimentEntry | None = self._entry_or_id
        if isinstance(entry, str):
            entry = self.app.catalog.experiment(entry)
        self.entry = entry
        yield Header(show_clock=False)
        if entry is None:
            yield Static(f"No experiment is called {self._entry_or_id!r}.", markup=False)
            yield LabFooter()
            return
        exp = entry.experiment
        with Horizontal(id="exp-body"):
            with VerticalScroll(id="exp-side"):
                yield Static(exp.title, id="exp-title", markup=False)
                yield Static(inline_text(reflow(exp.description)), id="exp-description")
                if exp.try_this:
                    yield Static(id="exp-try")
                yield GoalLine(exp.goal, id="exp-goal")
                yield RunLog(id="exp-log")
                yield Label("Settings", classes="exp-heading")
                yield ParamForm(exp, self._settings, id="exp-form")
                yield Label("Earlier runs (space: overlay)", classes="exp-heading")
                yield EarlierRuns(self.store, exp.id, id="exp-runs")
                yield Label("Model", classes="exp-heading")
                yield Static("(shown when a run starts)", id="exp-summary", markup=False)
            with Vertical(id="exp-main"):
                yield RunStatus(id="exp-status")
                yield CurvePlot("loss", "step", id="loss-plot")
                yield CurvePlot(
                    "accuracy", "epoch", smoothable=False, bounds=(0.0, 1.0), id="acc-plot"
                )
                yield ModelView(id="model-view")
                yield Static("", id="exp-results", markup=False)
        yield LabFooter()

    def on_mount(self) -> None:
        if self.entry is None:
            return
        self.title = self.entry.experiment.title
        self._show_tips(not self.prediction.pending())
        self.query_one("#acc-plot", CurvePlot).display = self._has_accuracy
        view = self.query_one(ModelView)
        view.display = False  # until a run sends a picture
        view.ascii = self.query_one("#loss-plot", CurvePlot).ascii
        view.more_after_last = self._has_accuracy
        self.query_one("#exp-results").display = False  # until a run ends with figures
        runs = self.query_one(EarlierRuns)
        runs.display = False
        runs.reload()
        if not self._hook_registered:
            self.app.shutdown_hooks.append(self.shutdown)
            self._hook_registered = True
        if self.app.prewarm:
            self.app.run_workers.warm_up(run_soon=True)  # torch imports while the learner reads
        self.set_interval(1.0, self._tick_status, name="status-clock")

    def on_unmount(self) -> None:
        # Leaving the screen ends its run: the reader is cancelled with the screen.
        self.shutdown(reason="the learner left the experiment screen")
        self.app.run_workers.release()  # a worker held for this screen (on a cluster) goes
        if self.shutdown in self.app.shutdown_hooks:
            self.app.shutdown_hooks.remove(self.shutdown)

    def _tick_status(self) -> None:
        # Each second of a run: the time left, and numbers that arrived since the last showing
        # (both lines show at most twice a second); an unchanged line is not repainted.
        status = self.query_one(RunStatus)
        if (
            self.state == "starting"
            and status.torch_loading
            and (self.worker is None or self.worker.ready)
        ):
            status.starting(loading=False)
        if self.state == "running":
            status.tick()
            self.query_one(GoalLine).show()

    def _show_tips(self, shown: bool) -> None:
        """The experiment's "Try this" tips; until the prediction is answered (or skipped), a
        line saying they come after it: a tip often tells what the prediction asks."""
        tips = self.entry.experiment.try_this if self.entry is not None else []
        if not tips:
            return
        if shown:
            lines = [inline_text(f"• {reflow(tip)}") for tip in tips]
        else:
            lines = [Content.styled("(shown after your prediction: r asks it first)", "dim")]
        self.query_one("#exp-try", Static).update(
            Content("\n").join([Content.styled("Try this:", "bold"), *lines])
        )

    @property
    def _has_accuracy(self) -> bool:
        train = self.entry.experiment.train if self.entry is not None else None
        return bool(train and train.classification)

    def _show_below_loss(self, which: str) -> None:
        """The pane under the loss plot shows the model view, the accuracy plot or the figures
        a run ended with."""
        self.query_one(ModelView).display = which == "view"
        self.query_one("#acc-plot", CurvePlot).display = which == "accuracy"
        self.query_one("#exp-results").display = which == "results"

    def _titled_results(self) -> Text:
        title, _, table = self.results.partition("\n")
        return Text(title + "\n", style="bold") + Text(table)

    def _below_loss_panes(self) -> list[tuple[str, str | None]]:
        """What `v` steps through: each picture of the model, the accuracy plot, the figures."""
        panes: list[tuple[str, str | None]] = [
            ("view", kind) for kind in self.query_one(ModelView).state.kinds()
        ]
        if self._has_accuracy:
            panes.append(("accuracy", None))
        if self.results:
            panes.append(("results", None))
        return panes

    # --- actions ----------------------------------------------------------------------------

    def action_back(self) -> None:
        if not self.run_in_progress:
            self.app.pop_screen()
            return

        def answered(stop: bool | None) -> None:
            if stop and self.app.screen is self:  # leaving stops the run (on_unmount)
                self.app.pop_screen()
                self.app.notify("The run was stopped and kept in its experiment's runs.")

        question = "A run is going. Stop it and go back?"
        self.app.push_screen(Confirm(question, yes="Stop, go back", no="Keep running"), answered)

    def action_run(self) -> None:
        self._run(paused=False)

    def _run(self, paused: bool) -> None:
        """Start a run; `paused`: held before its first update (p with no run going)."""
        if self.entry is None:
            return
        if self.run_in_progress:
            self.notify("A run is already going (s stops it).", severity="warning")
            return
        if self.prediction.ask(then_run=lambda: self._run(paused)):  # predict first
            return
        self._show_tips(True)
        form = self.query_one(ParamForm)
        settings = form.settings()
        if settings is None:
            self.notify("Fix the setting marked in red first.", severity="error")
            return
        status = self.query_one(RunStatus)
        try:
            run = build_run_spec(self.entry, settings)
        except SettingError as exc:
            status.set_state("failed", str(exc))
            return
        self._set_state("starting")
        self.last_metrics, self.last_epoch = {}, {}
        form.set_locked(True)
        self.query_one(GoalLine).reset()
        label = describe_tweaks(run.tweaks)
        for plot in self.query(CurvePlot):
            plot.clear_run()
            plot.set_note(f"this run: {label}")
        self.query_one(RunLog).clear()
        self.query_one(ModelView).reset()
        self.results = ""
        if self.query_one("#exp-results").display:  # the last run's figures give way
            self._show_below_loss("accuracy" if self._has_accuracy else "none")
        freeze_long_lived()
        worker = self.app.run_workers.take()
        status.starting(loading=not worker.ready)
        if self.session is not None:
            self._earlier = [s for s in (*self._earlier, self.session) if not s.wait_recorded(0)]
        self.session = RunSession(
            run,
            worker,
            store=self.store,
            on_recorded=lambda run_id: self.post_message(RunRecorded(run_id)),
            on_warning=lambda text: self.post_message(RecordFailed(text)),
        )
        if paused:  # held by the session until the spec goes, then sent with it
            self.session.pause()
            self._set_paused(True)
        self.read_session(self.session)

    def action_stop(self) -> None:
        if self.state not in ("starting", "running") or self.session is None:
            return
        self._set_state("stopping")
        self.query_one(RunStatus).set_state("stopping", "")
        self.session.stop()

    STEPPING = ("pause", "step", "step_epoch")

    def _steerable(self) -> RunSession | None:
        """The run p, n and N act on now: one going that can pause, else None (a distributed
        run's processes wait on each other: it says so instead)."""
        if self.state not in ("starting", "running") or self.session is None:
            return None
        return self.session if self._pausable() else None

    def _pausable(self) -> bool:
        scripted = self.entry.experiment.scripted if self.entry else None
        if scripted is not None and not allow.SCRIPTED[scripted.name].get("pausable", True):
            self.notify(
                "A distributed run cannot pause or step: its processes wait on each other. "
                "s stops it.",
                markup=False,
            )
            return False
        return True

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        # Stepping means something only while a run goes: hidden otherwise. p with no run
        # going starts one paused, to watch its first updates one by one.
        if action in self.STEPPING:
            return self.state in ("starting", "running") or (
                action == "pause" and self.state != "stopping"
            )
        if action == "stop":  # nothing to stop: its place in the footer goes to p
            return self.state in ("starting", "running")
        return True

    def _set_state(self, state: str) -> None:
        self.state = state
        if state not in ("starting", "running"):
            self._set_paused(False)
        self.refresh_bindings()

    def _set_paused(self, paused: bool) -> None:
        self.paused = paused
        self.query_one(RunStatus).set_paused(paused)

    def action_pause(self) -> None:
        if self.state not in ("starting", "running", "stopping"):
            if self._pausable():
                self._run(paused=True)
            return
        session = self._steerable()
        if session is None:
            return
        if self.paused:
            session.resume()
        else:
            session.pause()
        self._set_paused(not self.paused)

    def action_step(self) -> None:
        session = self._steerable()
        if session is None:
            return
        session.step()
        self._set_paused(True)

    def action_step_epoch(self) -> None:
        session = self._steerable()
        if session is None:
            return
        session.step_epoch()
        self._set_paused(True)

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
        self.query_one(ModelView).set_ascii(self.query_one("#loss-plot", CurvePlot).ascii)

    def action_next_view(self) -> None:
        """The next pane under the loss: the model's pictures, the accuracy plot, the figures."""
        view = self.query_one(ModelView)
        panes = self._below_loss_panes()
        if view.display:
            now: tuple[str, str | None] | None = ("view", view.kind)
        elif self.query_one("#acc-plot").display:
            now = ("accuracy", None)
        elif self.query_one("#exp-results").display:
            now = ("results", None)
        else:
            now = None
        if not panes or panes == [now]:
            started = self.state != "idle"
            self.notify(
                "This run sends no picture of the model."
                if started and self.state not in ACTIVE
                else "The picture of the model appears once a run starts.",
                timeout=2,
            )
            return
        which, kind = panes[(panes.index(now) + 1) % len(panes)] if now in panes else panes[0]
        if kind is not None:
            view.choose(kind)
        self._show_below_loss(which)

    def action_export(self) -> None:
        """Write the current settings as a plain PyTorch script (`lab export`) for the learner."""
        if self.entry is None:
            return
        settings = self.query_one(ParamForm).settings()
        if settings is None:
            self.notify("Fix the setting marked in red first.", severity="error")
            return
        try:
            run = build_run_spec(self.entry, settings)
        except SettingError as exc:
            self.notify(str(exc), severity="error", markup=False)
            return
        self.write_export(run)

    @work(thread=True, group="export")
    def write_export(self, run) -> None:
        """Off the event loop: the script goes through `ruff format` and onto the disk; a
        script the learner has changed since is kept beside it."""
        from lab.exercises.files import keep_aside
        from lab.export import ExportError, default_path, export_script, for_torchrun, run_command

        path = default_path(run.experiment, distributed=for_torchrun(run))
        kept = None
        try:
            text = export_script(run)
            path.parent.mkdir(parents=True, exist_ok=True)
            if path.exists() and path.read_text(encoding="utf-8") != text:
                kept = keep_aside(path)
            path.write_text(text, encoding="utf-8")
        except (ExportError, OSError) as exc:
            why = str(exc) if isinstance(exc, ExportError) else f"cannot write {path}: {exc}"
            self.app.call_from_thread(self.notify, why, severity="error", markup=False)
            return
        message = f"Wrote {path}\nrun it with: {run_command(run, path)}"
        if kept is not None:
            message += f"\nthe earlier one is kept as {kept.name}"
        self.app.call_from_thread(self.notify, message, title="Exported", markup=False)

    def action_compare(self) -> None:
        runs = self.query_one(EarlierRuns)
        if runs.option_count == 0:
            self.notify("No earlier runs of this experiment yet.", timeout=2)
            return
        runs.display = True
        if runs.highlighted is None:
            runs.highlighted = 0
        runs.focus()

    @work(
        thread=True,
        exclusive=True,
        group="run",
        exit_on_error=False,
        description="Read a training run's events and post them to the experiment screen",
    )
    def read_session(self, session: RunSession) -> None:
        me = get_current_worker()
        read_run(session, self.post_message, lambda: me.is_cancelled)

    # --- handlers: draw -----------------------------------------------------------------------

    def on_run_started(self, message: RunStarted) -> None:
        start = message.start
        if self.state == "starting":
            self._set_state("running")
        status = self.query_one(RunStatus)
        epochs = self.session.run.epochs if self.session is not None else None
        where = start.device
        if start.runner == "slurm":
            where = f"{start.device} on {start.node or 'a node'} (Slurm job {start.job})"
        status.begin(where, epochs or 0)
        if self.state == "stopping":
            status.set_state("stopping", "")
        size = f"{start.parameters:,} parameters · " if start.parameters else ""
        self.query_one("#exp-summary", Static).update(
            f"{start.summary.strip()}\n{size}torch {start.torch_version}"
        )

    def on_points_arrived(self, message: PointsArrived) -> None:
        by_series: dict[str, list[tuple[float, float]]] = {}
        for p in message.points:
            by_series.setdefault(p.series, []).append((p.step, p.loss))
        plot = self.query_one("#loss-plot", CurvePlot)
        for series, points in by_series.items():
            plot.add_points(series, points)
        last = message.points[-1]
        self.query_one(RunStatus).progress(last.epoch, last.step, last.samples_per_s)

    def on_epoch_finished(self, message: EpochFinished) -> None:
        loss = self.query_one("#loss-plot", CurvePlot)
        acc = self.query_one("#acc-plot", CurvePlot)
        if message.val_points:
            loss.add_points("val", [(step, value) for step, _, value in message.val_points])
        for epoch in message.epochs:
            self.last_metrics = self.last_epoch = dict(epoch.metrics)
            for key, series in (("train_accuracy", "train"), ("val_accuracy", "val")):
                if key in epoch.metrics:
                    acc.add_points(series, [(epoch.epoch, epoch.metrics[key])])
        self.query_one(RunStatus).epoch_done(message.epochs[-1].epoch)
        self.query_one(GoalLine).judge(self.last_metrics)

    def on_views_arrived(self, message: ViewsArrived) -> None:
        view = self.query_one(ModelView)
        first = not view.state.kinds()
        for event in message.views:
            view.add(event.kind, event.step, event.data)
        self.query_one(RunStatus).pictured(message.views[-1].step)
        # A run's first picture takes the pane, unless it is only the weights' sizes of a
        # classifier: its accuracy teaches more.
        if first and not view.display and (view.kind != "weights" or not self._has_accuracy):
            self._show_below_loss("view")

    def on_run_queued(self, message: RunQueued) -> None:
        if self.state == "starting":
            self.query_one(RunStatus).queued(message.queued)

    def on_run_held(self, message: RunHeld) -> None:
        self.query_one(RunStatus).held(message.step)

    def on_log_arrived(self, message: LogArrived) -> None:
        log = self.query_one(RunLog)
        log.add(message.text)
        if log.count == 1:
            self._show_log()

    def _show_log(self) -> None:
        """Scroll the side column to the log (its first line, and again at the run's end: the
        moments the learner looks at the run), unless its heading is in sight already."""
        if self.query_one(RunLog).count:
            self.call_after_refresh(self._bring_log_into_sight)

    def _bring_log_into_sight(self) -> None:
        # The log's heading at the top: scrolled only as far as the log's end (the least
        # scroll), a log taller than the column hid its first lines, and text above it that
        # grew a line later (the goal judged) pushed them further out.
        side, log = self.query_one("#exp-side"), self.query_one(RunLog)
        if not side.region.contains(log.region.x, log.region.y):
            side.scroll_to_widget(log, animate=False, top=True)

    def on_run_finished(self, message: RunFinished) -> None:
        done = message.done
        if self.session is not None:
            self.last_metrics = dict(self.session.metrics)
        self._set_state(done.status)
        status = self.query_one(RunStatus)
        reason = done.reason
        if done.status == "failed" and done.traceback and not reason:
            reason = done.traceback.strip().splitlines()[-1]
        spec = self.session.run.spec_json() if self.session is not None else None
        self.results = end_of_run(done.status, spec, done.metrics, self.last_epoch)
        self.query_one("#exp-results", Static).update(self._titled_results())
        self.query_one(ModelView).more_after_last = self._has_accuracy or bool(self.results)
        # the figures take the accuracy plot's place (it holds them now); a picture of the
        # model, or a loss plot alone, stays: v shows them
        if self.results and self.query_one("#acc-plot").display:
            self._show_below_loss("results")
        if done.status == "completed" and self.query_one("#exp-results").display:
            reason = ""  # "trained 8 epochs": the status line says as much; rows for figures
        status.set_state(done.status, reason)
        reached = self.query_one(GoalLine).judge(self.last_metrics, final=True)
        self.query_one(ParamForm).set_locked(False)
        self._show_log()
        plot = self.query_one("#loss-plot", CurvePlot)
        if done.status in ("diverged", "failed"):
            plot.set_note(f"{done.status}: see above")
            self.notify(reason or done.status, title=f"Run {done.status}", severity="error")
        elif done.status == "completed" and reached:
            self.notify("Goal reached.", timeout=3)
        if self.store is None:  # else once the store has it (on_run_recorded)
            self.post_message(ProgressChanged())
        if self.app.prewarm:
            self.app.run_workers.warm_up(run_soon=True)
        self.prediction.reveal()

    def on_record_failed(self, message: RecordFailed) -> None:
        self.notify(f"This run: {message.text}", severity="warning", markup=False)

    def on_run_recorded(self, message: RunRecorded) -> None:
        self.query_one(EarlierRuns).reload()
        self.post_message(ProgressChanged())

    @on(EarlierRuns.OverlaysChosen)
    def _overlay(self, message: EarlierRuns.OverlaysChosen) -> None:
        self.query_one("#loss-plot", CurvePlot).set_overlays(message.loss)
        self.query_one("#acc-plot", CurvePlot).set_overlays(message.accuracy)

    def shutdown(self, reason: str = "the app closed while the run went on") -> None:
        """Stop the worker and record the run as stopped (app exit, SIGHUP, leaving); every
        write of this run and of the earlier ones lands first."""
        if self.session is None:
            return
        if self.state in ACTIVE:
            self.state = "stopped"
        self.session.close(reason)
        for earlier in self._earlier:
            earlier.wait_recorded(CLOSE_WAIT_S)
