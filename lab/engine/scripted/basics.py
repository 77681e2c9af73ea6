"""Provides the scripted experiments of the first lessons: tensor-tour, cost-sweep, manual-gd,
autograd."""

from __future__ import annotations

from typing import Any

import torch

from lab.engine.divergence import Diverged, DivergenceWatch, diverged_reason
from lab.engine.events import EpochEnd, Log, Progress, View
from lab.engine.scripted.base import Context, Script, ScriptError

# The first lessons' data set: y = 2x.
X_DATA = [1.0, 2.0, 3.0]
Y_DATA = [2.0, 4.0, 6.0]
PAIRS = list(zip(X_DATA, Y_DATA, strict=True))


def tensor_tour(args: dict[str, Any], ctx: Context) -> Script:
    """Tensors, shapes, dtypes and broadcasting, each checked against plain Python."""
    torch.manual_seed(int(args["seed"]))
    checks: list[tuple[str, float]] = []

    a = torch.arange(6.0).reshape(2, 3)  # [2, 3]
    yield Log(f"a = torch.arange(6.0).reshape(2, 3): shape {list(a.shape)}, dtype {a.dtype}")
    plain = [[float(r * 3 + c) for c in range(3)] for r in range(2)]
    checks.append(("reshape matches nested lists", _gap(a.tolist(), plain)))

    b = torch.tensor([10.0, 20.0, 30.0])  # [3] broadcasts over a's rows
    yield Log(f"a + b broadcasts [2, 3] + [3] -> {list((a + b).shape)}")
    plain = [[x + y for x, y in zip(row, [10.0, 20.0, 30.0], strict=True)] for row in a.tolist()]
    checks.append(("broadcast add", _gap((a + b).tolist(), plain)))

    m = torch.randn(3, 4)
    prod = a @ m  # [2, 3] @ [3, 4] -> [2, 4]
    yield Log(f"a @ m: [2, 3] @ [3, 4] -> {list(prod.shape)}")
    rows, cols = a.tolist(), m.tolist()
    plain = [[sum(r[k] * cols[k][j] for k in range(3)) for j in range(4)] for r in rows]
    checks.append(("matrix product", _gap(prod.tolist(), plain)))

    s = a.sum(dim=0)  # [3]
    yield Log(f"a.sum(dim=0) -> shape {list(s.shape)}: {s.tolist()}")
    checks.append(("sum over rows", _gap(s.tolist(), [3.0, 5.0, 7.0])))

    i = torch.tensor([1, 2, 3])
    yield Log(f"torch.tensor([1, 2, 3]).dtype is {i.dtype}; (i / 2).dtype is {(i / 2).dtype}")
    checks.append(("integer division makes floats", 0.0 if (i / 2).dtype.is_floating_point else 1))

    passed = 0
    for step, (name, error) in enumerate(checks, start=1):
        ctx.before_update()
        ok = error < 1e-4
        passed += ok
        yield Log(f"{'ok ' if ok else 'FAIL'} {name} (max error {error:.2g})")
        yield Progress(epoch=1, step=step, loss=error, samples_per_s=0.0, series="error")
    return {"checks_passed": float(passed), "max_error": max(e for _, e in checks)}


def _gap(a, b) -> float:
    flat_a, flat_b = torch.tensor(a).flatten(), torch.tensor(b).flatten()
    return float((flat_a - flat_b).abs().max())


def mse_cost(w: float) -> float:
    """The MSE cost of y_hat = w * x on the first lessons' data set."""
    return sum((x * w - y) ** 2 for x, y in PAIRS) / len(X_DATA)


def cost_curve(w_min: float, w_max: float, count: int = 41) -> dict:
    """The cost at `count` values of w from w_min to w_max, for the cost view."""
    ws = [w_min + (w_max - w_min) * i / (count - 1) for i in range(count)]
    return {"w": ws, "cost": [mse_cost(w) for w in ws]}


def cost_sweep(args: dict[str, Any], ctx: Context) -> Script:
    """Try every w on a grid for y = w * x; the MSE cost against w."""
    w_min, w_max, w_step = float(args["w_min"]), float(args["w_max"]), float(args["w_step"])
    if w_step <= 0 or w_max < w_min:
        raise ScriptError(
            f"cost-sweep needs w_max >= w_min and w_step > 0, not w_min {w_min:g}, "
            f"w_max {w_max:g}, w_step {w_step:g}"
        )
    count = int(round((w_max - w_min) / w_step)) + 1
    best_w, min_cost = w_min, float("inf")
    for i in range(count):
        ctx.before_update()
        w = round(w_min + i * w_step, 10)
        # cost: the mean of squared errors over the data set
        cost = mse_cost(w)
        if cost < min_cost:
            best_w, min_cost = w, cost
        ctx.metrics.update(best_w=best_w, min_cost=min_cost)
        yield Log(f"w={w:.4g} cost={cost:.4g}")
        yield Progress(epoch=0, step=i, loss=cost, samples_per_s=0.0, series="cost")
        first = {"curve": cost_curve(w_min, w_max)} if i == 0 else {}
        yield View("cost", i, {"w": w, "value": cost, **first})
    yield Log(f"lowest cost {min_cost:.4g} at w = {best_w:.4g}")
    return {"best_w": best_w, "min_cost": min_cost}


def manual_gd(args: dict[str, Any], ctx: Context) -> Script:
    """Gradient descent by hand on y = w * x: grad = mean(2x(xw - y)), w = w - lr * grad."""
    lr, w = float(args["lr"]), float(args["w0"])
    num_epochs = ctx.limit(args["epochs"])
    n = len(X_DATA)
    watch = DivergenceWatch()
    for epoch in range(1, num_epochs + 1):
        ctx.before_update()
        # forward and cost
        cost = mse_cost(w)
        if watch.diverged(cost):  # stop before the floats overflow
            raise Diverged(diverged_reason(cost, epoch, lr, "the cost"), ctx.metrics)
        # the step on the cost curve, before the update moves w
        first = {"curve": cost_curve(min(w, 2.0) - 1.5, max(w, 2.0) + 1.5)} if epoch == 1 else {}
        yield View("cost", epoch, {"w": w, "value": cost, **first})
        # gradient of the cost with respect to w, by hand
        grad = sum(2 * x * (x * w - y) for x, y in PAIRS) / n
        # update
        w -= lr * grad
        # report
        ctx.metrics.update(w=w, train_loss=cost)
        yield Progress(epoch=epoch, step=epoch, loss=cost, samples_per_s=0.0)
        yield EpochEnd(epoch, {"train_loss": cost, "w": w})
        yield Log(f"epoch {epoch}: w={w:.4f} loss={cost:.4g}")
        ctx.epoch_done()
    return {"w": w, "train_loss": mse_cost(w)}


def graph_nodes(
    nodes: dict[str, torch.Tensor], phase: str, inputs: dict[str, list[str]] | None = None
) -> dict:
    """Each node's value and gradient (None before backward) as plain numbers or lists, and
    the nodes each is computed from (the graph's edges)."""

    def plain(t: torch.Tensor | None):
        if t is None:
            return None
        values = [round(v, 6) for v in t.detach().reshape(-1).tolist()]
        return values[0] if len(values) == 1 else values

    inputs = inputs or {}
    return {
        "phase": phase,
        "nodes": [
            {"name": k, "value": plain(t), "grad": plain(t.grad), "inputs": inputs.get(k, [])}
            for k, t in nodes.items()
        ],
    }


def autograd(args: dict[str, Any], ctx: Context) -> Script:
    """y = w*x + b with requires_grad: backward() fills .grad, we update, then grad.zero_()."""
    x = torch.tensor(X_DATA)
    y = torch.tensor(Y_DATA)
    w = torch.tensor([float(args["w0"])], requires_grad=True)
    b = torch.tensor([float(args["b0"])], requires_grad=True)
    lr = float(args["lr"])
    num_epochs = ctx.limit(args["epochs"])
    yield Log(f"w = {w.item()} and b = {b.item()} with requires_grad=True; w.grad is {w.grad}")
    watch = DivergenceWatch()
    for epoch in range(1, num_epochs + 1):
        ctx.before_update()
        # forward
        y_hat = w * x + b
        # loss
        loss = ((y_hat - y) ** 2).mean()
        if watch.diverged(loss.item()):
            raise Diverged(diverged_reason(loss.item(), epoch, lr), ctx.metrics)
        y_hat.retain_grad()  # only for the graph view: autograd keeps leaves' gradients alone
        loss.retain_grad()
        nodes = {"x": x, "y": y, "w": w, "b": b, "y_hat = w*x + b": y_hat, "loss": loss}
        edges = {"y_hat = w*x + b": ["w", "x", "b"], "loss": ["y_hat", "y"]}
        yield View("graph", epoch, graph_nodes(nodes, "after forward", edges))
        # backward: autograd fills w.grad and b.grad
        loss.backward()
        w_grad, b_grad = w.grad, b.grad
        assert w_grad is not None and b_grad is not None  # backward() filled the leaves'
        yield View("graph", epoch, graph_nodes(nodes, "after backward", edges))
        if epoch == 1:
            yield Log(f"after backward(): w.grad={w_grad.item():.4f} b.grad={b_grad.item():.4f}")
        # update, outside the graph
        with torch.no_grad():
            w -= lr * w_grad
            b -= lr * b_grad
        # gradients add up unless cleared
        w_grad.zero_()
        b_grad.zero_()
        # report
        value = loss.item()
        ctx.metrics.update(w=w.item(), b=b.item(), train_loss=value)
        yield Progress(epoch=epoch, step=epoch, loss=value, samples_per_s=0.0)
        yield EpochEnd(epoch, {"train_loss": value, "w": w.item(), "b": b.item()})
        yield Log(f"epoch {epoch}: w={w.item():.4f} b={b.item():.4f} loss={value:.4g}")
        ctx.epoch_done()
    with torch.no_grad():
        final = ((w * x + b - y) ** 2).mean().item()
    return {"w": w.item(), "b": b.item(), "train_loss": final}
