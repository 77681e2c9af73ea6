"""Provides scripted experiments about training itself: batch-modes and manual-vs-adam."""

from __future__ import annotations

from collections import OrderedDict
from typing import Any

import torch
from torch import nn

from lab.engine.divergence import Diverged, DivergenceWatch, diverged_reason
from lab.engine.events import EpochEnd, Log, Progress
from lab.engine.scripted.base import Context, Script

LABELS = {"full": "full-batch", "minibatch": "mini-batch", "stochastic": "one-example"}


def batch_modes(args: dict[str, Any], ctx: Context) -> Script:
    """Full batch, mini-batch and one sample at a time, same data, same start: three curves."""
    seed, n = int(args["seed"]), int(args["n"])
    lr, batch_size = float(args["lr"]), int(args["batch_size"])
    num_epochs = ctx.limit(args["epochs"], smoke_n=2)
    gen = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 1, generator=gen) * 4 - 2  # [n, 1]
    y = 2 * X + 1 + 0.3 * torch.randn(n, 1, generator=gen)  # [n, 1]
    modes = {"full": n, "minibatch": batch_size, "stochastic": 1}
    models = {}
    for mode in modes:
        torch.manual_seed(seed)  # the same starting weights for every mode
        models[mode] = nn.Linear(1, 1)
    ctx.show_model(models["full"], X)
    optimizers = {mode: torch.optim.SGD(m.parameters(), lr=lr) for mode, m in models.items()}
    loss_fn = nn.MSELoss()
    yield Log(
        f"{n} samples; steps per epoch: full 1, minibatch {-(-n // batch_size)}, stochastic {n}"
    )
    with torch.no_grad():
        start_loss = loss_fn(models["full"](X), y).item()  # the same weights in every mode
    # A mode whose loss blows up is named in the log and the others go on (one example at a time
    # is the first to go, which is the lesson); when every mode has blown up, the run stops.
    watches = {mode: DivergenceWatch(start_loss) for mode in modes}
    steps = dict.fromkeys(modes, 0)
    blown: dict[str, str] = {}
    losses = dict.fromkeys(modes, start_loss)
    # the figures so far, which a stop reports: every mode's latest loss on the whole data set
    ctx.metrics.update({f"{mode}_loss": start_loss for mode in modes}, train_loss=start_loss)
    for epoch in range(1, num_epochs + 1):
        for mode, size in modes.items():
            model, optimizer = models[mode], optimizers[mode]
            order = torch.randperm(n, generator=gen)
            for start in range(0, n, size):
                ctx.before_update()
                index = order[start : start + size]
                # forward, loss, backward, update
                loss = loss_fn(model(X[index]), y[index])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
                steps[mode] += 1
                if ctx.stepping:  # the curves move once an epoch: say what each update did
                    what = f"{LABELS[mode]} update {steps[mode]}"
                    yield Log(f"{what}: loss {loss.item():.4g} on its batch (epoch {epoch})")
            # report: every mode's loss on the whole data set, so the curves compare
            with torch.no_grad():
                losses[mode] = loss_fn(model(X), y).item()
            ctx.metrics[f"{mode}_loss"] = losses[mode]
            if mode == "minibatch":
                ctx.metrics["train_loss"] = losses[mode]
            yield Progress(epoch, epoch, losses[mode], 0.0, series=mode)
            if mode not in blown and watches[mode].diverged(losses[mode]):
                what = f"the {LABELS[mode]} loss"
                blown[mode] = diverged_reason(losses[mode], steps[mode], lr, what)
                yield Log(blown[mode] + f" (epoch {epoch})")
        yield EpochEnd(epoch, {f"{mode}_loss": value for mode, value in losses.items()})
        ctx.epoch_done()
        if len(blown) == len(modes):
            raise Diverged(f"every mode diverged; {blown['full']}", ctx.metrics)
    return {**{f"{m}_loss": v for m, v in losses.items()}, "train_loss": losses["minibatch"]}


def manual_vs_adam(args: dict[str, Any], ctx: Context) -> Script:
    """A 1000-100-10 network on random data, updated by hand, then by optim.Adam."""
    seed, steps = int(args["seed"]), ctx.limit(args["steps"])
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(100, 1000, generator=gen)  # [batch_n, input_data]
    y = torch.randn(100, 10, generator=gen)  # [batch_n, output_data]
    loss_fn = nn.MSELoss()
    results = {}
    blown: dict[str, str] = {}
    for series, lr in (("manual", float(args["lr_manual"])), ("adam", float(args["lr_adam"]))):
        torch.manual_seed(seed)  # both start from the same weights
        models = nn.Sequential(
            OrderedDict(
                [
                    ("Line1", nn.Linear(1000, 100)),
                    ("Relu1", nn.ReLU()),
                    ("Line2", nn.Linear(100, 10)),
                ]
            )
        )
        ctx.show_model(models, x)
        optimizer = torch.optim.Adam(models.parameters(), lr=lr) if series == "adam" else None
        yield Log(f"{series}: lr={lr:g}" + (", optim.Adam" if optimizer else ", param -= lr*grad"))
        watch = DivergenceWatch()
        for step in range(1, steps + 1):
            ctx.before_update()
            # forward
            y_pred = models(x)
            # loss
            loss = loss_fn(y_pred, y)
            if watch.diverged(loss.item()):  # this series stops here; the other still runs
                results[series] = ctx.metrics[f"{series}_loss"] = loss.item()
                blown[series] = diverged_reason(loss.item(), step, lr, f"the {series} loss")
                yield Log(blown[series])
                break
            # backward
            models.zero_grad()
            loss.backward()
            # update
            if optimizer is None:
                with torch.no_grad():
                    for param in models.parameters():
                        assert param.grad is not None  # backward() filled it
                        # torch's stub says Tensor.__isub__ returns a Tensor; it returns self,
                        # the Parameter
                        param -= param.grad * lr  # type: ignore[misc]
            else:
                optimizer.step()
            # report
            value = loss.item()
            results[series] = value
            ctx.metrics[f"{series}_loss"] = value
            if series == "adam":  # the run's train_loss, as at its end
                ctx.metrics["train_loss"] = value
            yield Progress(1, step, value, 100.0, series=series)
        if series not in blown:
            yield Log(f"{series}: loss after {steps} steps = {results[series]:.4f}")
        ctx.epoch_done()  # each series counts as an epoch for stepping (N runs the rest of it)
    if len(blown) == 2:
        ctx.metrics["train_loss"] = results["adam"]
        raise Diverged(f"both diverged; {blown['manual']}", ctx.metrics)
    yield EpochEnd(1, {"manual_loss": results["manual"], "adam_loss": results["adam"]})
    return {
        "manual_loss": results["manual"],
        "adam_loss": results["adam"],
        "train_loss": results["adam"],
    }
