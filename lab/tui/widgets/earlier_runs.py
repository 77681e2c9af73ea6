"""Provides EarlierRuns: an experiment's stored runs, newest first, to overlay on its plots."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from textual import on
from textual.message import Message
from textual.widgets import SelectionList
from textual.widgets.selection_list import Selection

from lab.runs.session import describe_tweaks
from lab.tui.widgets.loss_plot import Curve, Overlay


class EarlierRuns(SelectionList[Any]):
    """The runs of one experiment in the store; space overlays one (hidden while there are none)."""

    @dataclass
    class OverlaysChosen(Message):
        """The learner chose which earlier runs to draw under the current one."""

        loss: list[Overlay]
        accuracy: list[Overlay]

    def __init__(self, store: Any, experiment: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.store, self.experiment = store, experiment
        self._overlaid: set[Any] = set()

    def reload(self) -> None:
        """Read the list again (a run was just recorded); what was overlaid stays chosen."""
        if self.store is None:
            return
        try:
            runs = list(self.store.runs(self.experiment))
        except Exception:  # noqa: BLE001 - no history is no reason to fail the screen
            return
        self.clear_options()
        for run in runs:
            self.add_option(Selection(run_label(run), run.id, run.id in self._overlaid))
        self.display = self.option_count > 0

    @on(SelectionList.SelectedChanged)
    def _chosen(self, event: SelectionList.SelectedChanged) -> None:
        event.stop()
        self._overlaid = set(self.selected)
        loss: list[Overlay] = []
        accuracy: list[Overlay] = []
        for run_id in self.selected:
            try:
                run = self.store.run(run_id)
            except Exception:  # noqa: BLE001
                continue
            if run is None:
                continue
            label = f"#{run_id} {describe_tweaks(run.tweaks)}"
            loss_curves, acc_curves = curves_of(run)
            loss.append(Overlay(label, loss_curves))
            if acc_curves:
                accuracy.append(Overlay(label, acc_curves))
        self.post_message(self.OverlaysChosen(loss, accuracy))


def run_label(run: Any) -> str:
    """`#3 lr=0.5 · completed 0.0123`: id, settings, how it ended, its final training loss."""
    loss = (run.metrics or {}).get("train_loss")
    shown = f" {loss:.3g}" if isinstance(loss, (int, float)) and math.isfinite(loss) else ""
    return f"#{run.id} {describe_tweaks(run.tweaks)} · {run.status or '?'}{shown}"


def curves_of(run: Any) -> tuple[dict[str, Curve], dict[str, Curve]]:
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
