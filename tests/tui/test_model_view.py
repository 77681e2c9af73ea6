"""The model view draws each kind as characters that read without colour."""

from __future__ import annotations

import re

from lab.tui.view_drawing import (
    SHADES,
    ViewState,
    fit_legend,
    legend,
    legend_parts,
    render_boundary,
    render_cost,
    render_graph,
    render_surface,
    render_weights,
)


def test_boundary_shades_each_class_and_marks_points_at_their_place():
    data = {
        "x": [-1.0, 0.0, 1.0],
        "y": [-1.0, 1.0],
        "classes": [[0, 0, 1], [0, 1, 1]],  # row 0 is y = -1 (the bottom)
        "confidence": [[0.9, 0.9, 0.9], [0.9, 0.9, 0.9]],
    }
    points = {"x": [1.0], "y": [1.0], "label": [1]}
    lines = render_boundary(data, points, width=3, height=2, ascii=True).plain.splitlines()
    assert lines == [". x", "..+"] or lines == [".+x", "..+"]
    assert lines[0][2] == "x" and lines[1] == "..+"


def test_unsure_cells_are_left_blank_so_the_boundary_shows():
    data = {"x": [0.0, 1.0], "y": [0.0], "classes": [[0, 1]], "confidence": [[0.55, 0.95]]}
    assert render_boundary(data, None, 2, 1, ascii=True).plain == " +"


def test_surface_marks_the_bottom_and_the_path_ending_at_the_current_point():
    fixed = {
        "w_axis": [0.0, 1.0, 2.0, 3.0, 4.0],
        "b_axis": [-1.0, 0.0, 1.0],
        "cost": [[(w - 2) ** 2 + b * b for w in range(5)] for b in (-1, 0, 1)],
        "best": {"w": 2.0, "b": 0.0},
    }
    text = render_surface(fixed, [(0.0, 1.0), (1.0, 0.5), (4.0, -1.0)], 5, 3, ascii=True).plain
    rows = text.splitlines()
    assert rows[1][2] == "+"  # the bottom, middle row
    assert rows[0][0] == "o" and rows[2][4] == "@"


def test_cost_curve_dots_the_steps_and_marks_the_last():
    """Each step a dot, the latest an @: digits (`step % 10`) read as noise at lr=0.001."""
    fixed = {"curve": {"w": [0.0, 1.0, 2.0, 3.0, 4.0], "cost": [4.0, 1.0, 0.0, 1.0, 4.0]}}
    text = render_cost(fixed, [(0.0, 4.0), (1.0, 1.0), (2.0, 0.0)], 20, 8, ascii=True).plain
    assert text.count("o") == 2 and text.count("@") == 1
    assert not any(ch.isdigit() for ch in text)


def test_the_surface_shades_use_no_marker_character():
    """+ (the lowest point), o/• (the path) and @ (now) never stand for a level of cost."""
    assert not set(SHADES) & set("+o•@")


def test_graph_lists_values_then_gradients():
    data = {
        "phase": "after backward",
        "nodes": [
            {"name": "w", "value": 1.0, "grad": -4.5},
            {"name": "x", "value": [1.0, 2.0], "grad": None},
        ],
    }
    lines = render_graph(data, 60).plain.splitlines()
    assert lines[0] == "w  value 1  grad  -4.5"  # one line where value and grad fit
    assert lines[1] == "x  value [1, 2]  grad  -"
    lines = render_graph(data, 16).plain.splitlines()
    assert lines[:2] == ["w  value 1", "   grad  -4.5"]  # else two
    assert lines[-1] == "after backward, before this step's update"


def test_graph_draws_each_nodes_edges_from_its_inputs():
    """The autograd graph of y_hat = w*x + b and its loss: a table without edges was no graph
    to a learner who drew it as boxes and arrows."""
    node = {"name": "y_hat", "value": 1.0, "grad": 0.5, "inputs": ["w", "x", "b"]}
    lines = render_graph({"phase": "after backward", "nodes": [node]}, 60).plain.splitlines()
    assert lines[0] == "y_hat  ← w, x, b" and lines[1] == "       value 1  grad  0.5"


def test_weights_show_a_sparkline_of_each_layers_gradient():
    state = ViewState()
    for step, grad in enumerate([1e-1, 1e-2, 1e-3], start=1):
        layers = [{"name": "0 Linear", "weight": 0.5, "grad": grad}]
        state.add("weights", step, {"layers": layers})
    text = render_weights(state.weights, 60, 5, ascii=True).plain
    assert text.splitlines()[1].endswith("^-_")  # falling over the run: vanishing


def test_state_keeps_what_came_once():
    state = ViewState()
    state.add("fit", 1, {"x": [0.0], "y_hat": [1.0], "points": {"x": [0.0], "y": [1.0]}})
    state.add("fit", 2, {"x": [0.0], "y_hat": [2.0]})
    assert state.fixed["fit"]["points"] == {"x": [0.0], "y": [1.0]}
    assert state.latest["fit"]["y_hat"] == [2.0] and state.latest["fit"]["step"] == 2


def test_the_weights_heading_shortens_rather_than_being_cut():
    layer = {"name": "1 Linear", "weight": 0.118, "grad": 0.0207}
    history = [{"layers": [layer, {**layer, "name": "4 Linear"}]}] * 3
    narrow = render_weights(history, 44, 6, ascii=False).plain.splitlines()[0]
    wide = render_weights(history, 80, 6, ascii=False).plain.splitlines()[0]
    assert narrow.endswith("grad history") and len(narrow) <= 44
    assert wide.endswith("grad over the run")


def test_a_model_unsure_everywhere_still_shows_its_half_planes_and_the_line_between():
    """circles-activation with Identity: a straight boundary, 55% sure at most."""
    xs = [i / 10 for i in range(-10, 11)]
    classes = [[int(x > 0) for x in xs]]
    confidence = [[round(0.5 + abs(x) * 0.05, 3) for x in xs]]
    data = {"x": xs, "y": [0.0], "classes": classes, "confidence": confidence}
    row = render_boundary(data, None, len(xs), 1, ascii=True).plain
    assert re.fullmatch(r"\.{8,} {1,3}\+{8,}", row), row  # two halves, a thin line between
    # a confident model keeps the fixed cuts: 0.55 is unsure beside 0.95
    data = {"x": [0.0, 1.0], "y": [0.0], "classes": [[0, 1]], "confidence": [[0.55, 0.95]]}
    assert render_boundary(data, None, 2, 1, ascii=True).plain == " +"


def test_a_point_thrown_off_the_surface_is_an_arrow_at_its_edge():
    """gd-diverge at lr=1.5: after step 2, (w, b) is far outside the surface's grid."""
    fixed = {
        "w_axis": [0.0, 1.0, 2.0, 3.0, 4.0],
        "b_axis": [-1.0, 0.0, 1.0],
        "cost": [[(w - 2) ** 2 + b * b for w in range(5)] for b in (-1, 0, 1)],
    }
    rows = render_surface(fixed, [(0.0, 0.0), (40.0, 5.0)], 5, 3, ascii=True).plain.splitlines()
    assert rows[0][4] == ">" and "@" not in "".join(rows)  # top right, pointing right
    rows = render_surface(fixed, [(2.0, -1e9)], 5, 3, ascii=False).plain.splitlines()
    assert rows[2][2] == "↓"


def test_a_legend_short_of_rows_keeps_its_last_parts():
    parts = legend_parts("surface", ascii=True)
    assert fit_legend(parts, 80, 1) == [legend("surface", ascii=True)]
    assert fit_legend(parts, 30, 1) == ["+ lowest; o path; @ now"]
    assert fit_legend(parts, 30, 0) == []


async def test_the_v_hint_comes_when_v_goes_on_past_the_picture_already_drawn():
    """A run's last picture may be drawn before the run's end says `v` goes on to the accuracy
    plot: the title row gets its hint then, without waiting for another picture."""
    from textual.app import App

    from lab.tui.widgets.model_view import ModelView

    class One(App):
        def compose(self):
            yield ModelView(ascii=True)

    app = One()
    async with app.run_test(size=(60, 12)) as pilot:
        view = app.query_one(ModelView)
        view.add("weights", 3, {"layers": [{"name": "0 Linear", "weight": 0.6, "grad": 0.01}]})
        await pilot.pause()
        assert "(v" not in str(view.render()).splitlines()[0]
        view.more_after_last = True
        await pilot.pause()
        assert str(view.render()).splitlines()[0].endswith("(v: next)")
