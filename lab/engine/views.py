"""Provides the pictures of a model while it trains, as plain data for `View` events.

The worker computes them (a decision boundary's grid, a fitted curve, the cost surface under
the parameters, each layer's weight and gradient size); the screen only draws. What does not
change during a run (the training points, the cost surface) is sent with the first view of its
kind only, and a run sends at most one set of views every `VIEW_EVERY_S` seconds.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any

import torch
from torch import nn

from lab.catalog import allowlists as allow
from lab.engine.events import View

VIEW_EVERY_S = 0.25
GRID_X, GRID_Y = 40, 24  # the boundary's and surface's grid: about what a side panel shows
CURVE_POINTS = 60
MAX_POINTS = 200  # training points drawn under a boundary or a fit
MARGIN = 0.1  # the plane shown reaches this fraction past the data on each side


def _r(value: float) -> float:
    """Four significant digits: enough for a terminal, a fraction of the JSON."""
    return float(f"{value:.4g}") if math.isfinite(value) else value


def _axis(values: torch.Tensor, count: int) -> torch.Tensor:
    low, high = float(values.min()), float(values.max())
    pad = (high - low) * MARGIN or 1.0
    return torch.linspace(low - pad, high + pad, count)


def _sample(n: int, limit: int, seed: int = 0) -> torch.Tensor:
    if n <= limit:
        return torch.arange(n)
    return torch.randperm(n, generator=torch.Generator().manual_seed(seed))[:limit].sort().values


def view_kinds(model: nn.Module, X: torch.Tensor, loss: str, classify: bool) -> list[str]:
    """The views that teach something for this model and data, best first."""
    kinds = []
    features = X[0].numel()
    if classify and X.dim() == 2 and features == 2:
        kinds.append("boundary")
    if not classify and X.dim() == 2 and features == 1:
        kinds.append("fit")
        if _single_linear(model) is not None and loss == "mse":
            kinds.append("surface")
    kinds.append("weights")
    return kinds


def _single_linear(model: nn.Module) -> nn.Linear | None:
    """The model's only trainable layer when it is y = w*x + b, else None."""
    layers = [m for m in model.modules() if any(p.requires_grad for p in m.parameters(False))]
    if len(layers) == 1 and isinstance(layers[0], nn.Linear) and layers[0].weight.numel() == 1:
        return layers[0] if layers[0].bias is not None else None
    return None


@torch.no_grad()
def boundary(model: nn.Module, X: torch.Tensor, y: torch.Tensor, loss: str, first: bool) -> dict:
    """The input plane's grid with the class the model predicts at each point (and its
    confidence), rows ascending in y; the training points with the first view only."""
    xs, ys = _axis(X[:, 0].cpu(), GRID_X), _axis(X[:, 1].cpu(), GRID_Y)
    grid_y, grid_x = torch.meshgrid(ys, xs, indexing="ij")
    plane = torch.stack([grid_x.flatten(), grid_y.flatten()], dim=1).to(X.device, X.dtype)
    was_training = model.training
    model.eval()
    y_hat = model(plane)
    model.train(was_training)
    output = allow.LOSSES[loss].output
    if output == "classes":
        probs = torch.softmax(y_hat, dim=1)
        confidence, classes = probs.max(dim=1)
    else:
        p = torch.sigmoid(y_hat) if output == "logit" else y_hat.clamp(0, 1)
        p = p.reshape(-1)
        classes = (p > 0.5).long()
        confidence = torch.where(classes == 1, p, 1 - p)
    data: dict[str, Any] = {
        "x": [_r(v) for v in xs.tolist()],
        "y": [_r(v) for v in ys.tolist()],
        "classes": classes.reshape(GRID_Y, GRID_X).tolist(),
        "confidence": [
            [round(c, 2) for c in row] for row in confidence.reshape(GRID_Y, GRID_X).tolist()
        ],
    }
    if first:
        data["points"] = _points(X, y)
    return data


def _points(X: torch.Tensor, y: torch.Tensor) -> dict:
    pick = _sample(len(X), MAX_POINTS).to(X.device)
    labels = y[pick].reshape(len(pick), -1)[:, 0]
    return {
        "x": [_r(v) for v in X[pick, 0].tolist()],
        "y": [_r(v) for v in (X[pick, 1] if X.shape[1] > 1 else labels).tolist()],
        "label": [_r(v) for v in labels.tolist()],
    }


@torch.no_grad()
def fit(model: nn.Module, X: torch.Tensor, y: torch.Tensor, first: bool) -> dict:
    """The model's prediction along the input's range; the data points with the first view."""
    xs = _axis(X[:, 0].cpu(), CURVE_POINTS)
    was_training = model.training
    model.eval()
    y_hat = model(xs.reshape(-1, 1).to(X.device, X.dtype)).reshape(-1)
    model.train(was_training)
    data: dict[str, Any] = {
        "x": [_r(v) for v in xs.tolist()],
        "y_hat": [_r(v) for v in y_hat.tolist()],
    }
    if first:
        pick = _sample(len(X), MAX_POINTS).to(X.device)
        data["points"] = {
            "x": [_r(v) for v in X[pick, 0].tolist()],
            "y": [_r(v) for v in y[pick].reshape(-1).tolist()],
        }
    return data


@torch.no_grad()
def surface(layer: nn.Linear, X: torch.Tensor, y: torch.Tensor, first: bool, span: dict) -> dict:
    """Where (w, b) is now on the MSE cost surface; the surface itself with the first view.

    The cost of y_hat = w*x + b is a quadratic in (w, b), so the grid is computed from five
    sums over the data instead of a pass per grid point."""
    w, b = float(layer.weight.reshape(())), float(layer.bias.reshape(()))
    data: dict[str, Any] = {"w": _r(w), "b": _r(b)}
    if first:
        x, t = X.reshape(-1).double().cpu(), y.reshape(-1).double().cpu()
        n = len(x)
        sx, sxx, st, stt, sxt = x.sum(), (x * x).sum(), t.sum(), (t * t).sum(), (x * t).sum()
        # the least-squares solution marks the bottom; the grid spans it and the start
        w_best = float((n * sxt - sx * st) / (n * sxx - sx * sx)) if n * sxx != sx * sx else w
        b_best = float((st - w_best * sx) / n)
        ws = _span(w, w_best, GRID_X)
        bs = _span(b, b_best, GRID_Y)
        B, W = torch.meshgrid(bs.double(), ws.double(), indexing="ij")  # rows: b; columns: w
        cost = (W * W * sxx + 2 * W * B * sx + n * B * B - 2 * W * sxt - 2 * B * st + stt) / n
        data.update(
            w_axis=[_r(v) for v in ws.tolist()],
            b_axis=[_r(v) for v in bs.tolist()],
            cost=[[_r(c) for c in row] for row in cost.tolist()],
            best={"w": _r(w_best), "b": _r(b_best)},
        )
        span.update(w=(float(ws[0]), float(ws[-1])), b=(float(bs[0]), float(bs[-1])))
    return data


def _span(start: float, best: float, count: int) -> torch.Tensor:
    low, high = min(start, best), max(start, best)
    pad = max(high - low, 1.0) * 0.5
    return torch.linspace(low - pad, high + pad, count)


def weights(model: nn.Module) -> dict:
    """Per layer with parameters: the root-mean-square of its weights and of their gradients
    (vanishing gradients shrink towards 0 in the first layers; exploding ones grow)."""
    layers = []
    for name, module in model.named_modules():
        weight = getattr(module, "weight", None)
        if not isinstance(weight, torch.Tensor) or weight.dim() < 2:
            continue  # norms have 1-D weights; Linear and Conv layers are what we watch
        grad = weight.grad
        layers.append(
            {
                "name": f"{name} {type(module).__name__}".strip(),
                "weight": _r(float(weight.detach().pow(2).mean().sqrt())),
                "grad": None if grad is None else _r(float(grad.pow(2).mean().sqrt())),
            }
        )
    return {"layers": layers}


class ViewMaker:
    """Decides which views a run shows and emits them at a bounded rate."""

    def __init__(
        self,
        model: nn.Module,
        X: torch.Tensor,
        y: torch.Tensor,
        loss: str,
        classify: bool,
        clock: Callable[[], float] = time.perf_counter,
    ):
        self.model, self.X, self.y, self.loss = model, X, y, loss
        self.kinds = view_kinds(model, X, loss, classify)
        self.sent: set[str] = set()
        self.clock = clock
        self.last = -math.inf
        self.shown_step: int | None = None  # the step the last views showed
        self.span: dict = {}

    def due(self) -> bool:
        return self.clock() - self.last >= VIEW_EVERY_S

    def views(self, step: int) -> list[View]:
        """One view of each kind, now (the caller decides when: `due()` or at an epoch's end)."""
        self.last, self.shown_step = self.clock(), step
        out = []
        for kind in self.kinds:
            first = kind not in self.sent
            self.sent.add(kind)
            if kind == "boundary":
                data = boundary(self.model, self.X, self.y, self.loss, first)
            elif kind == "fit":
                data = fit(self.model, self.X, self.y, first)
            elif kind == "surface":
                layer = _single_linear(self.model)
                assert layer is not None  # (a kind only for such a model: view_kinds)
                data = surface(layer, self.X, self.y, first, self.span)
            else:
                data = weights(self.model)
            out.append(View(kind, step, data))
        return out
