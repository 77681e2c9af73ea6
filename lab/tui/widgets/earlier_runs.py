"""Provides EarlierRuns: an experiment's stored runs, newest first, to overlay on its plots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from rich.segment import Segment
from rich.style import Style
from textual import on
from textual.message import Message
from textual.strip import Strip
from textual.widgets import OptionList, SelectionList
from textual.widgets._toggle_button import ToggleButton
from textual.widgets.selection_list import Selection

from lab.runs.session import describe_tweaks
from lab.tui.widgets.loss_plot import MAX_OVERLAYS, Curve, Overlay

if TYPE_CHECKING:
    from lab.store import Run, Store


class EarlierRuns(SelectionList[int]):
    """The runs of one experiment in the store; space overlays one (hidden while there are none)."""

    @dataclass
    class OverlaysChosen(Message):
        """The learner chose which earlier runs to draw under the current one."""

        loss: list[Overlay]
        accuracy: list[Overlay]

    def __init__(self, store: Store | None, experiment: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store, self.experiment = store, experiment
        self._overlaid: set[int] = set()
        self._loaded = False
        self.numbers: dict[int, int] = {}
        """Store id -> the run's number in this experiment (#1 is its first run)."""

    def reload(self) -> None:
        """Read the list again (a run was just recorded); what was overlaid stays chosen. The
        first time, the newest run is overlaid, so the screen opens with its curves."""
        if self.store is None:
            return
        try:
            runs = list(self.store.runs(self.experiment))
        except Exception:  # noqa: BLE001 - no history is no reason to fail the screen
            return
        if not self._loaded and runs:
            self._overlaid = {runs[0].id}
        self._loaded = True
        self.numbers = {run.id: len(runs) - i for i, run in enumerate(runs)}  # newest first
        self.clear_options()
        for run in runs:
            label = run_label(run, self.numbers[run.id])
            self.add_option(Selection(label, run.id, run.id in self._overlaid))
        self.display = self.option_count > 0
        if self._overlaid:
            self._chosen()

    def render_line(self, y: int) -> Strip:
        # SelectionList draws a box on every line and takes line y to be option y: a label
        # wrapped onto a second line would get a box, another option's. Here the box is drawn
        # on an option's first line only, and ticked or not shows without colour too.
        line = OptionList.render_line(self, y)
        _, scroll_y = self.scroll_offset
        lines = self._lines
        if not 0 <= scroll_y + y < len(lines):
            return line
        index, offset = lines[scroll_y + y]
        base = next(iter(line)).style or self.rich_style
        if offset:
            return Strip([Segment(" " * self._get_left_gutter_width(), base), *line])
        selection = self.get_option_at_index(index)
        ticked = selection.value in self._selected
        component = "selection-list--button" + ("-selected" if ticked else "")
        if self.highlighted == index:
            component += "-highlighted"
        button = self.get_component_rich_style(component) + Style(meta={"option": index})
        side = Style.from_color(button.bgcolor, base.bgcolor) + Style(meta={"option": index})
        return Strip(
            [
                Segment(ToggleButton.BUTTON_LEFT, side),
                Segment("X" if ticked else " ", button),
                Segment(ToggleButton.BUTTON_RIGHT, side),
                Segment(" ", base),
                *line,
            ]
        )

    @on(SelectionList.SelectedChanged)
    def _selected_changed(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        if len(self.selected) > MAX_OVERLAYS:
            # Each earlier run drawn has markers of its own: no more runs than marker pairs.
            for value in set(self.selected) - self._overlaid:
                self.deselect(value)  # posts SelectedChanged again, with the runs kept
            self.notify(
                f"At most {MAX_OVERLAYS} earlier runs at once: untick one first (space).",
                severity="warning",
                markup=False,
            )
            return
        self._chosen()

    def _chosen(self) -> None:
        self._overlaid = set(self.selected)
        loss: list[Overlay] = []
        accuracy: list[Overlay] = []
        for run_id in self.selected:
            if self.store is None:  # (no store lists no runs)
                break
            try:
                run = self.store.run(run_id)
            except Exception:  # noqa: BLE001
                continue
            if run is None:
                continue
            label = f"#{self.numbers.get(run_id, run_id)} {describe_tweaks(run.tweaks)}"
            loss_curves, acc_curves = curves_of(run)
            # Both plots get every run, in the same order, so that a run has the same markers
            # in each (a run without accuracy draws nothing there).
            loss.append(Overlay(label, loss_curves))
            accuracy.append(Overlay(label, acc_curves))
        self.post_message(self.OverlaysChosen(loss, accuracy))


RESULTS = (
    ("val_accuracy", "val acc"),
    ("test_accuracy", "test acc"),
    ("train_accuracy", "acc"),
    ("val_loss", "val loss"),
    ("train_loss", "loss"),
)
"""The figure that says how a run went, the first a run has: accuracy, else loss."""


def run_result(metrics: dict[str, Any] | None) -> str:
    """`val acc 97.2%` or `loss 0.0123`: the final figure that best says how a run went; else
    the first loss a scripted run reports (`manual loss 1.06`: manual-vs-adam stopped before
    its Adam series)."""
    metrics = metrics or {}
    named = [(key, name) for key, name in RESULTS if key in metrics]
    named += [
        (key, key[:-5].replace("_", " ") + " loss") for key in metrics if key.endswith("_loss")
    ]
    for key, name in named:
        value = metrics[key]
        if isinstance(value, (int, float)) and math.isfinite(value):
            shown = f"{value:.1%}" if key.endswith("accuracy") else f"{value:.3g}"
            return f"{name} {shown}"
    return ""


def run_label(run: Run, number: int) -> str:
    """`#2 completed, val acc 97.2% · lr=0.5`: its number in the experiment, how it ended, its
    result, then the settings it changed (the list wraps a long label rather than cut it)."""
    result = run_result(run.metrics) if run.status in ("completed", "stopped") else ""
    head = f"#{number} {run.status or '?'}" + (f", {result}" if result else "")
    return f"{head} · {describe_tweaks(run.tweaks)}"


def curves_of(run: Run) -> tuple[dict[str, Curve], dict[str, Curve]]:
    """The loss curves (by step) and accuracy curves (by epoch) of a stored run."""
    loss: dict[str, Curve] = {}
    for step, series, value in run.points:
        curve = loss.setdefault(series or "train", Curve())
        curve.xs.append(float(step))
        curve.ys.append(float(value))
    accuracy: dict[str, Curve] = {}
    for number, metrics in run.epochs:
        for key, series in (("train_accuracy", "train"), ("val_accuracy", "val")):
            if metrics.get(key) is not None:
                curve = accuracy.setdefault(series, Curve())
                curve.xs.append(float(number))
                curve.ys.append(float(metrics[key]))
    return loss, accuracy
