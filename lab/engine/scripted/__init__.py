"""Provides the scripted experiments by name, and `run_scripted` that wraps one in Start/Done."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import torch

from lab.catalog import allowlists as allow
from lab.catalog.runspec import RunSpec
from lab.catalog.schema import ScriptedSpec
from lab.engine.control import Control
from lab.engine.device import pick_device, set_threads
from lab.engine.events import Done, Event, Start
from lab.engine.models import parameter_count, summary
from lab.engine.scripted.base import Context, Script
from lab.engine.scripted.basics import autograd, cost_sweep, manual_gd, tensor_tour
from lab.engine.scripted.checkpoints import save_resume
from lab.engine.scripted.data import dataloader_shapes, stratified_split
from lab.engine.scripted.distributed import ddp_batch_sizes, ddp_digits
from lab.engine.scripted.finetune import fine_tune
from lab.engine.scripted.parameters import freeze_layers, gradient_accumulation
from lab.engine.scripted.pipeline import end_to_end
from lab.engine.scripted.shift import covariate_shift
from lab.engine.scripted.tabular import tabular_prep
from lab.engine.scripted.toolkit import views_and_copies
from lab.engine.scripted.training import batch_modes, manual_vs_adam

SCRIPTS: dict[str, Callable[[dict[str, Any], Context], Script]] = {
    "tensor-tour": tensor_tour,
    "views-and-copies": views_and_copies,
    "cost-sweep": cost_sweep,
    "manual-gd": manual_gd,
    "autograd": autograd,
    "batch-modes": batch_modes,
    "dataloader-shapes": dataloader_shapes,
    "manual-vs-adam": manual_vs_adam,
    "stratified-split": stratified_split,
    "tabular-prep": tabular_prep,
    "ddp-digits": ddp_digits,
    "ddp-batch-sizes": ddp_batch_sizes,
    "covariate-shift": covariate_shift,
    "pipeline": end_to_end,
    "gradient-accumulation": gradient_accumulation,
    "freeze-layers": freeze_layers,
    "save-resume": save_resume,
    "fine-tune": fine_tune,
}


NAME_THEIR_MODEL = {"batch-modes", "manual-vs-adam", "covariate-shift", "pipeline", "fine-tune"}
"""Scripts that call `ctx.show_model` before their first event, a log line that comes before
any update (so a run paused from the start still waits for its first step)."""


def run_scripted(run: RunSpec, spec: ScriptedSpec, control: Control) -> Iterator[Event]:
    """A scripted run (`spec`: the run's spec), wrapped in its Start and Done."""
    set_threads(big=False)
    # Scripted experiments are small: the CPU is the clearest place to watch them.
    device = pick_device("cpu" if spec.device == "auto" else spec.device)
    ctx = Context(device, run.smoke, control, run)
    script = SCRIPTS[spec.name](spec.resolved_args(), ctx)
    # A script that names its model is drawn to its first event (a log line) before the start
    # is told, so the start carries the model's summary and size.
    first = [next(script)] if spec.name in NAME_THEIR_MODEL else []
    yield start_event(run, spec, str(device), ctx)
    yield from first
    metrics = yield from script
    yield Done("completed", f"{spec.name} finished", {k: float(v) for k, v in metrics.items()})


def start_event(run: RunSpec, spec: ScriptedSpec, device: str, ctx: Context) -> Start:
    """The run's start: the summary and size of the model the script named, else what the
    experiment does."""
    text, parameters = f"{spec.name}: {allow.SCRIPTED[spec.name]['about']}", 0
    if ctx.model is not None:
        model, inputs = ctx.model
        text, parameters = summary(model, inputs, ctx.device), parameter_count(model)
    return Start(
        experiment=run.experiment,
        device=device,
        summary=text,
        parameters=parameters,
        spec=run.spec_json(),
        torch_version=torch.__version__,
    )
