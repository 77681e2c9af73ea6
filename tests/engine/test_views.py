"""The view data is right, not just drawn: boundaries, fits, cost surfaces and weight sizes
checked against what they mean, and their JSON form."""

from __future__ import annotations

import json

import pytest
import torch
from torch import nn

from lab.engine import views
from lab.engine.events import Start, View, from_json, to_json
from tests.engine.conftest import done_of, run_all, scripted_run, train_run


def _xor(n=400, seed=0):
    g = torch.Generator().manual_seed(seed)
    X = torch.rand(n, 2, generator=g) * 2 - 1
    y = ((X[:, 0] > 0) ^ (X[:, 1] > 0)).long()
    return X, y


def test_boundary_after_training_on_xor_predicts_xor_in_each_quadrant():
    torch.manual_seed(0)
    X, y = _xor()
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    for _ in range(300):
        optimizer.zero_grad()
        nn.functional.cross_entropy(model(X), y).backward()
        optimizer.step()

    data = views.boundary(model, X, y, "cross_entropy", first=True)

    assert data["x"] == sorted(data["x"]) and data["y"] == sorted(data["y"])
    assert len(data["classes"]) == len(data["y"]) and len(data["classes"][0]) == len(data["x"])

    def predicted(px, py):
        col = min(range(len(data["x"])), key=lambda i: abs(data["x"][i] - px))
        row = min(range(len(data["y"])), key=lambda i: abs(data["y"][i] - py))
        return data["classes"][row][col]

    for px, py in [(0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)]:
        assert predicted(px, py) == int((px > 0) ^ (py > 0)), (px, py)
    assert len(data["points"]["x"]) == views.MAX_POINTS
    assert all(0.5 <= c <= 1 for row in data["confidence"] for c in row)


def test_boundary_of_a_single_logit_model_thresholds_at_one_half():
    X = torch.tensor([[-1.0, 0.0], [1.0, 0.0]])
    y = torch.tensor([[0.0], [1.0]])
    model = nn.Linear(2, 1)
    with torch.no_grad():
        model.weight.copy_(torch.tensor([[5.0, 0.0]]))
        model.bias.zero_()
    data = views.boundary(model, X, y, "bce_with_logits", first=False)
    assert "points" not in data  # sent with the first view only
    for row in data["classes"]:
        assert row == [int(x > 0) for x in data["x"]]


def test_fit_is_the_models_prediction_along_the_input():
    model = nn.Linear(1, 1)
    with torch.no_grad():
        model.weight.fill_(2.0)
        model.bias.fill_(-1.0)
    X = torch.linspace(0, 3, 20).reshape(-1, 1)
    data = views.fit(model, X, 2 * X - 1, first=True)
    for x, y_hat in zip(data["x"], data["y_hat"], strict=True):
        assert abs(y_hat - (2 * x - 1)) < 1e-3 * max(1, abs(y_hat))
    assert len(data["points"]["x"]) == 20


def test_cost_surface_matches_the_mse_formula_at_each_grid_point():
    torch.manual_seed(1)
    X = torch.randn(50, 1)
    y = 3 * X + 0.5 + 0.1 * torch.randn(50, 1)
    layer = nn.Linear(1, 1)
    data = views.surface(layer, X, y, first=True, span={})
    for i in (0, 7, len(data["b_axis"]) - 1):
        for j in (0, 11, len(data["w_axis"]) - 1):
            w, b = data["w_axis"][j], data["b_axis"][i]
            direct = float(((w * X + b - y) ** 2).mean())
            assert abs(data["cost"][i][j] - direct) <= 2e-3 * max(1.0, direct), (i, j)
    # the least-squares bottom is where the cost is lowest
    best = data["best"]
    assert abs(best["w"] - 3) < 0.1 and abs(best["b"] - 0.5) < 0.1
    assert abs(data["w"] - float(layer.weight.detach())) < 1e-3


def test_weights_report_each_layers_rms_and_gradient():
    model = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 1))
    before = views.weights(model)
    assert [layer["grad"] for layer in before["layers"]] == [None, None]
    model(torch.randn(8, 3)).sum().backward()
    after = views.weights(model)["layers"]
    assert [layer["name"] for layer in after] == ["0 Linear", "2 Linear"]
    expected = float(model[0].weight.grad.pow(2).mean().sqrt())
    assert abs(after[0]["grad"] - expected) < 1e-3 * expected


def test_view_kinds_follow_the_data():
    classify_2d = views.view_kinds(nn.Linear(2, 2), torch.zeros(4, 2), "cross_entropy", True)
    assert classify_2d == ["boundary", "weights"]
    line = views.view_kinds(nn.Linear(1, 1), torch.zeros(4, 1), "mse", False)
    assert line == ["fit", "surface", "weights"]
    deep = nn.Sequential(nn.Linear(1, 8), nn.Tanh(), nn.Linear(8, 1))
    assert views.view_kinds(deep, torch.zeros(4, 1), "mse", False) == ["fit", "weights"]
    images = views.view_kinds(nn.Linear(64, 10), torch.zeros(4, 64), "cross_entropy", True)
    assert images == ["weights"]


def test_view_events_travel_as_flat_json():
    event = View("graph", 3, {"nodes": [{"name": "w", "value": 1.0, "grad": None}]})
    line = to_json(event)
    assert json.loads(line) == {
        "type": "view",
        "kind": "graph",
        "step": 3,
        "nodes": [{"name": "w", "value": 1.0, "grad": None}],
    }
    assert from_json(line) == event


def test_the_maker_sends_fixed_data_once_and_limits_its_rate():
    X, y = _xor(40)
    now = [100.0]
    maker = views.ViewMaker(nn.Linear(2, 2), X, y, "cross_entropy", True, clock=lambda: now[0])
    assert maker.due()
    first = maker.views(step=1)
    assert [v.kind for v in first] == ["boundary", "weights"]
    assert "points" in first[0].data
    now[0] += views.VIEW_EVERY_S / 2
    assert not maker.due()
    now[0] += views.VIEW_EVERY_S / 2
    assert maker.due()
    second = maker.views(step=2)
    assert "points" not in second[0].data


def test_the_graph_view_holds_the_analytic_gradients_at_the_first_step():
    events = run_all(scripted_run("autograd", {"lr": 0.01, "epochs": 2, "w0": 1.0, "b0": 0.5}))
    graphs = [e for e in events if isinstance(e, View) and e.kind == "graph"]
    forward, backward = graphs[0].data, graphs[1].data
    assert forward["phase"] == "after forward" and backward["phase"] == "after backward"
    assert all(node["grad"] is None for node in forward["nodes"])
    grads = {node["name"]: node["grad"] for node in backward["nodes"]}
    xs, ys, w, b = [1.0, 2.0, 3.0], [2.0, 4.0, 6.0], 1.0, 0.5
    errors = [w * x + b - y for x, y in zip(xs, ys, strict=True)]
    assert grads["w"] == pytest.approx(sum(2 * x * e for x, e in zip(xs, errors, strict=True)) / 3)
    assert grads["b"] == pytest.approx(sum(2 * e for e in errors) / 3)
    assert grads["loss"] == 1.0
    assert grads["y_hat = w*x + b"] == pytest.approx([2 * e / 3 for e in errors])
    assert grads["x"] is None  # x needs no gradient
    edges = {node["name"]: node["inputs"] for node in backward["nodes"]}
    assert edges["y_hat = w*x + b"] == ["w", "x", "b"] and edges["loss"] == ["y_hat", "y"]
    assert edges["w"] == [] and edges["x"] == []


def test_the_cost_view_matches_the_mse_formula_and_marks_each_step():
    events = run_all(scripted_run("manual-gd", {"lr": 0.05, "epochs": 5, "w0": 0.5}))
    costs = [e for e in events if isinstance(e, View) and e.kind == "cost"]
    curve = costs[0].data["curve"]
    for w, cost in zip(curve["w"], curve["cost"], strict=True):
        assert cost == pytest.approx(sum((x * w - y) ** 2 for x, y in [(1, 2), (2, 4), (3, 6)]) / 3)
    assert all("curve" not in c.data for c in costs[1:])
    assert [c.step for c in costs] == [1, 2, 3, 4, 5]
    walked = [c.data["w"] for c in costs]
    assert walked[0] == 0.5 and all(a < b < 2 for a, b in zip(walked, walked[1:], strict=False))


def test_a_declarative_run_on_xor_ends_with_a_boundary_that_is_xor():
    """Through the real loop: views come while it trains, and the last boundary (the finished
    model) predicts the XOR label at each quadrant's centre."""
    spec = {
        "dataset": {"name": "xor", "args": {"n": 400, "noise": 0.05}, "split": {"val": 0.2}},
        "model": {"layers": [{"Linear": [2, 16]}, "ReLU", {"Linear": [16, 2]}]},
        "loss": "cross_entropy",
        "optimizer": {"name": "adam", "lr": 0.05},
        "epochs": 30,
        "batch_size": 32,
        "seed": 0,
    }
    events = run_all(train_run(spec))
    assert done_of(events).status == "completed"
    shown = [e for e in events if isinstance(e, View)]
    assert {v.kind for v in shown} == {"boundary", "weights"}
    boundaries = [v for v in shown if v.kind == "boundary"]
    assert "points" in boundaries[0].data and all("points" not in b.data for b in boundaries[1:])
    last = boundaries[-1].data
    assert boundaries[-1].step == max(v.step for v in shown)

    def predicted(px, py):
        col = min(range(len(last["x"])), key=lambda i: abs(last["x"][i] - px))
        row = min(range(len(last["y"])), key=lambda i: abs(last["y"][i] - py))
        return last["classes"][row][col]

    for px, py in [(0.5, 0.5), (-0.5, 0.5), (-0.5, -0.5), (0.5, -0.5)]:
        assert predicted(px, py) == int((px > 0) ^ (py > 0)), (px, py)
    # each view comes after the Start and before the Done
    assert isinstance(events[0], Start) and not isinstance(events[-2], Start)
