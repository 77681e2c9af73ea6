"""Provides the training loop as a generator of events: `run_events(run_spec, control)`.

It knows nothing of who listens: the worker writes the events as JSON lines, tests read them
in-process. Exactly one `Done` ends every run, whatever happens.
"""

from __future__ import annotations

import copy
import math
import os
import time
import traceback
from collections.abc import Callable, Generator, Iterator
from typing import Any

import torch
from pydantic import ValidationError
from torch import nn

from lab.catalog import allowlists as allow
from lab.catalog.runspec import RunSpec, spec_error
from lab.catalog.schema import TrainSpec
from lab.engine.control import Control, as_control
from lab.engine.datasets import Data, DataError, load_data
from lab.engine.device import pick_device, release_memory, set_threads
from lab.engine.divergence import Diverged, DivergenceWatch, diverged_reason, rose_reason
from lab.engine.events import Done, EpochEnd, Event, Log, Progress, Queued, Start
from lab.engine.failures import out_of_memory, readable
from lab.engine.memory import Need, available_bytes, check_fits, estimate, size
from lab.engine.models import (
    ModelError,
    build_model,
    check_shapes,
    output_size,
    parameter_count,
    summary,
)
from lab.engine.parts import (
    EVAL_BATCH,
    evaluate,
    loader_batches,
    make_loss,
    make_optimizer,
    make_schedule,
    tensor_batches,
)
from lab.engine.scripted.base import ScriptError, Stopped
from lab.engine.views import ViewMaker
from lab.proc.slots import gpu_admission

SMOKE_SAMPLES = 64  # --smoke: this many samples, one epoch; enough to prove the wiring
PROGRESS_EVERY_S = 0.05  # at most ~20 progress events a second, however fast training runs
START_SAMPLES = 256  # the loss at the start (divergence is judged against it) averages these


def run_events(
    run_spec: RunSpec | dict[str, Any], control: Control | Callable[[], bool]
) -> Iterator[Event]:
    """Every event of one run, ending with exactly one `Done`; never raises. A run spec that
    arrives as JSON data is validated into the typed `RunSpec` first. `control` says when to
    stop (a plain `should_stop()` will do) and, for a `Control` fed commands, when to step."""
    control = as_control(control)
    done = False
    try:
        try:
            run = RunSpec.model_validate(run_spec)
        except ValidationError as exc:
            done = True
            yield Done("failed", f"the run spec is not valid: {spec_error(exc)}")
            return
        if isinstance(run.spec, TrainSpec):
            events = train(run, run.spec, control)
        else:
            from lab.engine.scripted import run_scripted

            events = run_scripted(run, run.spec, control)
        for event in events:
            done = isinstance(event, Done)
            yield event
            if done:
                return
        done = True
        yield Done("failed", "the run ended without a result (a bug in lab)")
    except Stopped as stop:
        done = True
        yield Done("stopped", stop.reason, stop.metrics)
    except Diverged as exc:
        done = True
        yield Done("diverged", exc.reason, exc.metrics)
    except (DataError, ModelError, ScriptError) as exc:
        done = True
        yield Done("failed", str(exc))
    except Exception as exc:
        if not done:
            done = True
            # Out of memory is the learner's to fix, not a bug: no traceback in front of them.
            trace = None if out_of_memory(exc) else traceback.format_exc()
            yield Done("failed", readable(exc), traceback=trace)
    finally:
        release_memory()


def warm_up() -> None:
    """Exercise what every run needs (the optimizers' lazy imports, autograd), so the worker
    pays for it while the learner reads, not when they press run."""
    set_threads(big=False)  # until the run says otherwise: a waiting worker takes one core
    model = nn.Linear(2, 1)
    optimizer = torch.optim.Adam(model.parameters())
    model(torch.zeros(1, 2)).sum().backward()
    optimizer.step()


class Reporter:
    """Turns per-step losses into Progress events: at most one per `every` seconds, each the
    mean of the steps since the previous one, so nothing is lost."""

    def __init__(self, series: str = "train", every: float = PROGRESS_EVERY_S):
        self.series, self.every = series, every
        self.total, self.count, self.samples = 0.0, 0, 0
        self.last = -math.inf  # the first step reports at once: the curve starts straight away
        self.since = time.perf_counter()

    def add(self, epoch: int, step: int, loss: float, samples: int) -> Progress | None:
        self.total += loss
        self.count += 1
        self.samples += samples
        if time.perf_counter() - self.last >= self.every:
            return self.flush(epoch, step)
        return None

    def flush(self, epoch: int, step: int) -> Progress | None:
        if not self.count:
            return None
        now = time.perf_counter()
        rate = self.samples / max(now - self.since, 1e-9)
        event = Progress(epoch, step, self.total / self.count, rate, self.series)
        self.total, self.count, self.samples = 0.0, 0, 0
        self.last = self.since = now
        return event


@torch.no_grad()
def start_loss(model: nn.Module, X, y, loss_fn, seed: int) -> float:
    """The loss before any update: a mean over up to START_SAMPLES training samples, in train
    mode (as the steps are) on a copy, so BatchNorm's statistics and the model stay untouched."""
    pick = torch.randperm(len(X), generator=torch.Generator().manual_seed(seed))
    pick = pick[:START_SAMPLES].to(X.device)
    twin = copy.deepcopy(model).train()
    value = loss_fn(twin(X[pick]), y[pick]).item()
    del twin
    return value


# --- the loop -------------------------------------------------------------------------------


def _gpu_admitted(
    need: Need, device: torch.device, control: Control
) -> Generator[Event, None, int | None]:
    """Wait in the GPU's line, first come first served, until the run's memory estimate fits in
    what is free (a class sharing one GPU: a run waits instead of running out of memory);
    `queued` events meanwhile. Returns the admission lock to let go of once the run is on the
    GPU; None when the run could never fit (check_fits says so)."""
    total = torch.cuda.get_device_properties(device).total_memory
    if need.total > total:
        return None
    line = gpu_admission(
        device.index or 0, lambda: (available_bytes(device) or 0) >= need.total, control.should_stop
    )
    try:
        while True:
            ahead, waited = next(line)
            said = f"{ahead} run{'s' if ahead != 1 else ''} ahead" if ahead else "not enough free"
            yield Queued("", f"waiting for GPU memory ({size(need.total)}): {said}", waited)
    except StopIteration as done:
        if done.value is None:
            raise Stopped({}, "stopped while it waited for GPU memory") from None
        return done.value


def train(run: RunSpec, spec: TrainSpec, control: Control) -> Iterator[Event]:
    """A declarative training run (`spec`: the run's spec), top to bottom."""
    num_epochs = run.epochs
    assert num_epochs is not None  # a training spec always says
    batch_size, seed, loss_name = spec.batch_size, spec.seed, spec.loss
    classify = spec.classification
    output = allow.LOSSES[loss_name].output  # what the model outputs: values, or classes
    device = pick_device(spec.device)

    # data and model, checked before anything trains (the data sets read the spec as JSON data)
    data: Data = load_data(run.to_json(), loss_name, subset=SMOKE_SAMPLES if run.smoke else None)
    out = output_size(data.y_train, loss_name, data.num_classes)
    sample_shape = tuple(data.X_train.shape[1:])
    on_device = 0 if device.type == "cpu" else _data_bytes(data)
    n_train, n_eval = len(data.X_train), max(len(X) for X, _ in data.splits().values())
    need = estimate(
        spec.model,
        sample_shape,
        out,
        min(batch_size, n_train),
        spec.optimizer,
        data_bytes=on_device,
        eval_batch=min(EVAL_BATCH, n_eval),
    )
    admitted = (yield from _gpu_admitted(need, device, control)) if device.type == "cuda" else None
    check_fits(need, device)  # refused in one line before a byte is allocated
    torch.manual_seed(seed)
    model = build_model(spec.model, sample_shape, out)
    check_shapes(model, data.X_train, data.y_train, loss_name, data.num_classes)
    big = parameter_count(model) > 500_000 or data.X_train[0].numel() > 1024
    set_threads(big)
    model.to(device)
    splits = {name: (X.to(device), y.to(device)) for name, (X, y) in data.splits().items()}
    X_train, y_train = splits["train"]
    yield Start(
        experiment=run.experiment,
        device=str(device),
        summary=summary(model, X_train[:2], device),
        parameters=parameter_count(model),
        spec=run.spec_json(),
        torch_version=torch.__version__,
    )
    loss_fn = make_loss(loss_name)
    views = ViewMaker(model, X_train, y_train, loss_name, classify)
    watch = DivergenceWatch(start_loss(model, X_train, y_train, loss_fn, seed))
    torch.manual_seed(seed)  # the summary's and start loss's passes must not shift the stream

    optimizer = make_optimizer(model.parameters(), spec.optimizer)
    schedule = make_schedule(optimizer, spec.schedule, num_epochs)
    shuffle_gen = torch.Generator().manual_seed(seed)
    loader = None
    if spec.loader == "dataloader":
        dataset = torch.utils.data.TensorDataset(data.X_train, data.y_train)
        loader = torch.utils.data.DataLoader(
            dataset, batch_size=batch_size, shuffle=spec.shuffle, generator=shuffle_gen
        )
    stopping = spec.early_stopping
    best_value, best_epoch = math.inf, 0
    best_state: dict[str, torch.Tensor] | None = None
    reporter = Reporter()
    metrics: dict[str, float] = {}
    step = 0
    if control.should_stop():  # also takes a pause sent with the spec: no update goes first
        raise Stopped(metrics, "stopped before the first step")

    for epoch in range(1, num_epochs + 1):
        model.train()
        epoch_loss, epoch_samples = 0.0, 0  # the epoch's train loss: a mean over its samples
        if loader is not None:
            batches = loader_batches(loader, device)
        else:
            batches = tensor_batches(X_train, y_train, batch_size, spec.shuffle, shuffle_gen)
        for X, y in batches:  # X: [batch, *sample shape], y: [batch] or [batch, targets]
            held = control.holding()
            if held:  # paused: the curve and views show every update, then wait
                progress = reporter.flush(epoch, step)
                if progress is not None:
                    yield progress
                if step and views.shown_step != step:
                    yield from views.views(step)
            if control.wait_turn():
                raise Stopped(metrics, f"stopped at epoch {epoch}, step {step}")
            if held:
                reporter.since = time.perf_counter()  # the rate leaves out the time held
            # forward
            y_hat = model(X)
            # loss
            loss = loss_fn(y_hat, y)
            # backward
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            # update
            optimizer.step()
            # report
            step += 1
            if admitted is not None:  # on the GPU now: the next run in line may measure
                os.close(admitted)
                admitted = None
            value = loss.item()
            if watch.diverged(value):
                lr = optimizer.param_groups[0]["lr"]
                yield from views.views(step)  # the moment it blew up, whatever the rate
                yield Done("diverged", diverged_reason(value, step, lr), metrics)
                return
            epoch_loss += value * len(X)  # a short last batch weighs only what it holds
            epoch_samples += len(X)
            progress = reporter.add(epoch, step, value, len(X))
            if progress is not None:
                yield progress
            # views (at a bounded rate: a picture every VIEW_EVERY_S at most)
            if views.due():
                yield from views.views(step)
            if control.should_stop():
                raise Stopped(metrics, f"stopped at epoch {epoch}, step {step}")

        progress = reporter.flush(epoch, step)
        if progress is not None:
            yield progress
        # measured while the weights changed, in train mode (dropout on): not the finished
        # model's train loss, which the end measures in eval mode
        metrics = {"train_loss": epoch_loss / max(epoch_samples, 1)}
        if watch.rose(metrics["train_loss"]):
            assert watch.first is not None  # what rose() judged against
            lr = optimizer.param_groups[0]["lr"]
            reason = rose_reason(watch.first, metrics["train_loss"], epoch, lr)
            yield EpochEnd(epoch, metrics)
            yield from views.views(step)
            yield Done("diverged", reason, metrics)
            return
        # (train accuracy comes once, at the end: a pass over the training set each epoch
        # would cost a third of an epoch for a CNN)
        if "val" in splits:
            val_loss, val_acc = evaluate(model, loss_fn, *splits["val"], output, need.eval_batch)
            metrics["val_loss"] = val_loss
            if val_acc is not None:
                metrics["val_accuracy"] = val_acc
        yield EpochEnd(epoch, metrics)
        if views.due():
            yield from views.views(step)
        if schedule is not None:
            schedule.step()

        if stopping:
            watched = metrics.get("val_loss", metrics["train_loss"])
            if watched < best_value - stopping.min_delta:
                best_value, best_epoch, best_state = watched, epoch, _copy_state(model)
            elif epoch - best_epoch >= stopping.patience:
                yield Log(f"early stopping at epoch {epoch}: no better than epoch {best_epoch}")
                break
        control.epoch_done()
        if control.should_stop():
            raise Stopped(metrics, f"stopped at epoch {epoch}, step {step}")

    # with early stopping on, the run ends on its best epoch's weights whether patience ran out
    # or the epochs did (the same as the loop a lesson writes by hand)
    restore = stopping and stopping.restore_best and best_epoch != epoch
    if restore and best_state is not None:
        model.load_state_dict(best_state)
        yield Log(f"restored epoch {best_epoch}'s weights, the best of the run")
    yield from views.views(step)  # the picture of the finished model, whatever the rate

    # final metrics: the finished model on every split
    final: dict[str, float] = {}
    for name, (X, y) in splits.items():
        split_loss, split_acc = evaluate(model, loss_fn, X, y, output, need.eval_batch)
        final[f"{name}_loss"] = split_loss
        if split_acc is not None:
            final[f"{name}_accuracy"] = split_acc
    reason = f"trained {epoch} epoch{'s' if epoch != 1 else ''}"
    yield Done("completed", reason, final)


def _data_bytes(data: Data) -> int:
    return sum(t.element_size() * t.numel() for pair in data.splits().values() for t in pair)


def _copy_state(model: nn.Module) -> dict[str, torch.Tensor]:
    return copy.deepcopy({k: v.detach().clone() for k, v in model.state_dict().items()})
