"""Provides RunStatus and GoalLine: epoch, step, speed, device, time left; the goal."""

from __future__ import annotations

import math
import re
import time

from rich.text import Text
from textual.content import Content
from textual.timer import Timer
from textual.widgets import Static

from lab.catalog.schema import Goal
from lab.engine.events import Queued, waiting_words
from lab.text import pack

STATUS_WORDS = {
    "idle": "ready",
    "starting": "starting",
    "running": "running",
    "stopping": "stopping",
    "completed": "completed",
    "stopped": "stopped",
    "diverged": "diverged",
    "failed": "failed",
}


PICTURE_WAIT_S = 1.0
"""How long the status line waits for the next picture of the model, while pictures come, before
it shows newer numbers than the picture's (a picture every 0.25 s; slower under load)."""


def format_duration(seconds: float) -> str:
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes, seconds = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {seconds:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_rate(samples_per_s: float) -> str:
    if samples_per_s >= 10_000:
        return f"{samples_per_s / 1000:,.0f}k samples/s"
    return f"{samples_per_s:,.0f} samples/s"


class QuietStatic(Static):
    """A Static that repaints only when its text changed, and lays the screen out again only
    when its height did (a layout of the whole screen costs far more than a repaint)."""

    def __init__(self, **kwargs) -> None:
        super().__init__("", markup=False, **kwargs)
        self._shown: Text | None = None

    def _height(self, text: Text) -> int:
        """The lines the text takes, within the widget's min-height and max-height."""
        # (Textual passes a widget's styles as the rules itself; its annotation wants a dict)
        height = Content(text.plain).get_height(self.styles, self.size.width)  # type: ignore[arg-type]
        low, high = self.styles.min_height, self.styles.max_height
        if low is not None and low.cells is not None:
            height = max(height, low.cells)
        if high is not None and high.cells is not None:
            height = min(height, high.cells)
        return height

    def show_text(self, text: Text) -> None:
        shown = self._shown
        if shown is not None and shown == text:
            return
        self._shown = text
        same_height = (
            shown is not None and self.size.width > 0 and self._height(shown) == self._height(text)
        )
        self.update(text, layout=not same_height)


class RunStatus(QuietStatic):
    """One or two lines: the run's state and numbers; a failed run's reason, in full, below."""

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.state = "idle"
        self.device = ""
        self.epoch = 0
        self.epochs = 0
        self.step = 0
        self.samples_per_s = 0.0
        self.reason = ""
        self.torch_loading = False
        self.paused = False
        self.waiting: Queued | None = None
        """The scheduler's last word while the run's job waits (a Slurm runner)."""
        self.held_at: int | None = None
        """The step the worker holds at, once it says so (paused is what the learner asked)."""
        self.started_at: float | None = None
        self.finished_in: float | None = None
        """Seconds spent training: from the start to the end, less the time paused."""
        self.paused_s = 0.0
        """Seconds the run was paused (stepping with n or N included) since it started."""
        self._paused_since: float | None = None
        self._shown_at = 0.0
        self._catch_up: Timer | None = None
        self._pictured_at = -math.inf
        self.show()

    def begin(self, device: str, epochs: int) -> None:
        self.state, self.device, self.epochs = "running", device, epochs
        self.epoch = self.step = 0
        self.samples_per_s = 0.0
        self.reason = ""
        self.started_at, self.finished_in = time.monotonic(), None
        self.paused_s = 0.0
        self._paused_since = self.started_at if self.paused else None  # started paused
        self.show()

    def starting(self, loading: bool) -> None:
        """A run was asked for: the last run's figures go; "loading PyTorch..." while its worker
        is still importing torch."""
        self.device, self.epoch, self.epochs, self.step, self.samples_per_s = "", 0, 0, 0, 0.0
        self.started_at = self.finished_in = self._paused_since = None
        self.paused_s, self._pictured_at = 0.0, -math.inf
        self.held_at = self.waiting = None
        self.torch_loading = loading
        self.set_state("starting")

    def set_state(self, state: str, reason: str = "") -> None:
        self.state, self.reason = state, reason
        # A stopped run's reason names the step it stopped at; progress, shown at most 20
        # times a second, may lag a few steps behind: one count, the reason's.
        said = re.search(r"\bstep ([\d,]+)", reason)
        if said:
            self.step = int(said.group(1).replace(",", ""))
        if state in ("completed", "stopped", "diverged", "failed") and self.started_at:
            self.finished_in = self.training_s()
        self.show()

    def set_paused(self, paused: bool) -> None:
        """The learner paused (or stepped, or resumed): "pausing..." until the worker holds."""
        now = time.monotonic()
        if paused and self._paused_since is None and self.started_at is not None:
            self._paused_since = now
        elif not paused and self._paused_since is not None:
            self.paused_s += now - self._paused_since
            self._paused_since = None
        self.paused, self.held_at = paused, None
        self.show()

    def queued(self, queued: Queued) -> None:
        """The run's job waits for Slurm: which job, why, for how long."""
        self.waiting = queued
        self.show()

    def held(self, step: int) -> None:
        """The worker holds the run after `step` updates."""
        if self.paused:
            self.held_at = self.step = step
            self.show()

    def progress(self, epoch: int, step: int, samples_per_s: float) -> None:
        self.epoch, self.step, self.samples_per_s = epoch, step, samples_per_s
        if self.paused:
            self.show()  # each step the learner asked for, at once
        else:
            self._show_soon()

    def epoch_done(self, epoch: int) -> None:
        self.epoch = max(self.epoch, epoch)
        self._show_soon()

    def pictured(self, step: int) -> None:
        """A picture of the model at `step` came (with the points up to it): the line shows
        the same moment, now. Pictures come four times a second: while they do, the line
        keeps in step with them (each one puts the half-second redraw below off)."""
        self.step = max(self.step, step)
        self._pictured_at = time.monotonic()
        self.show()

    def tick(self) -> None:
        """Each second of a run: the time left and the numbers that came since the line was
        drawn, unless pictures come (each draws the line at its own moment; newer numbers
        would run ahead of the picture on screen)."""
        if not self._pictures_come(time.monotonic()):
            self.show()

    def _pictures_come(self, now: float) -> bool:
        """A picture came within the last PICTURE_WAIT_S: the next is due."""
        return now - self._pictured_at < PICTURE_WAIT_S

    def _show_soon(self) -> None:
        """Numbers change 10 times a second; the line is redrawn at most twice (bytes on SSH),
        and the last numbers shown at the end of the half second, never left behind. While
        pictures come, the line waits a second for the next one before it goes on alone."""
        now = time.monotonic()
        wait = (PICTURE_WAIT_S if self._pictures_come(now) else 0.5) - (now - self._shown_at)
        if wait <= 0:
            self.show()
        elif self._catch_up is None and self.is_attached:
            self._catch_up = self.set_timer(wait, self.show)

    def training_s(self) -> float:
        """Seconds spent training so far: since the start, less the time paused."""
        if self.started_at is None:
            return 0.0
        now = time.monotonic()
        paused = self.paused_s + (
            now - self._paused_since if self._paused_since is not None else 0.0
        )
        return max(now - self.started_at - paused, 0.0)

    def time_left(self) -> float | None:
        if (
            self.state != "running"
            or self.paused
            or not self.started_at
            or not self.epochs
            or self.epoch < 1
        ):
            return None
        return self.training_s() / self.epoch * max(self.epochs - self.epoch, 0)

    def on_resize(self) -> None:
        self.show()  # its rows break between items, where the new width has them break

    def show(self) -> None:
        self._shown_at = time.monotonic()
        if self._catch_up is not None:
            self._catch_up.stop()
            self._catch_up = None
        word = STATUS_WORDS.get(self.state, self.state)
        if self.state == "starting" and self.torch_loading:
            word = "loading PyTorch..."
        if self.state == "starting" and self.waiting is not None:
            wait = self.waiting
            minutes, seconds = divmod(wait.waited_s, 60)
            waited = f"{minutes}:{seconds:02d}"
            word = f"{waiting_words(wait)}, {waited} (s cancels)"
        paused = self.paused and self.state in ("starting", "running")
        if paused and self.held_at is None:
            word = "pausing before the first step..." if self.state == "starting" else "pausing..."
        elif paused:
            word = f"paused at step {self.held_at:,} (n: one step, N: one epoch, p: resume)"
        style = {
            "completed": "bold green",
            "diverged": "bold red",
            "failed": "bold red",
            "stopped": "bold yellow",
            "running": "bold",
        }.get(self.state, "")
        if paused:
            style = "bold yellow"
        parts = [Text(word, style=style)]
        if self.state == "idle":
            parts += map(Text, ("r run", "p run paused", "[ ] smoothing", "l log scale"))
        elif self.state != "starting" or paused:
            if self.epochs:
                parts.append(Text(f"epoch {self.epoch}/{self.epochs}"))
            if not paused:  # (the word says it)
                parts.append(Text(f"step {self.step:,}"))
            if self.samples_per_s and not paused:  # one update at a time has no rate
                parts.append(Text(format_rate(self.samples_per_s)))
            if self.device:
                parts.append(Text(self.device))
            left = self.time_left()
            if left is not None:
                parts.append(Text(f"~{format_duration(left)} left"))
            if self.finished_in is not None:
                took = f"took {format_duration(self.finished_in)}"
                if self.paused_s >= 0.5:  # the time above is the training's alone
                    took += f", paused {format_duration(self.paused_s)}"
                parts.append(Text(took))
        rows = pack(parts, self.content_size.width or 10_000, " · ")
        text = Text("\n").join(Text(" · ").join(row) for row in rows)
        if self.reason:
            text.append("\n")
            bad = self.state in ("diverged", "failed")
            text.append(self.reason, style="bold red" if bad else "")
        self.show_text(text)
        self.set_class(self.state in ("diverged", "failed"), "-bad")


class GoalLine(QuietStatic):
    """The experiment's goal, ticked once the run's metrics reach it."""

    def __init__(self, goal: Goal | None, **kwargs) -> None:
        super().__init__(**kwargs)
        self.goal = goal
        self.reached = False
        self.value: float | None = None
        self.final = False
        self._shown_at = 0.0
        self.show()

    def reset(self) -> None:
        self.reached, self.value, self.final = False, None, False
        self.show()

    def judge(self, metrics: dict[str, float], final: bool = False) -> bool:
        if self.goal is None:
            return False
        was = self.reached
        if self.goal.metric in metrics:
            self.value = metrics[self.goal.metric]
            self.reached = self.goal.reached(metrics)
        self.final = self.final or final
        # Epochs can end 30 times a second: the value is shown at most twice a second (the
        # screen's clock shows the last one), being reached and the final value at once.
        if final or self.reached != was or time.monotonic() - self._shown_at >= 0.5:
            self.show()
        return self.reached

    def show(self) -> None:
        self._shown_at = time.monotonic()
        if self.goal is None:
            self.update("")
            self.display = False
            return
        text = Text()
        if self.reached:
            text.append("✓ ", style="bold green")
        else:
            text.append("○ ")
        text.append("goal: " + self.goal.describe())
        if self.value is not None:
            shown = f"{self.value:.4g}" if math.isfinite(self.value) else str(self.value)
            text.append(f" (now {shown})" if not self.final else f" (got {shown})")
            if self.reached:
                text.append(" reached", style="bold green")
        self.show_text(text)
        self.set_class(self.reached, "-reached")
