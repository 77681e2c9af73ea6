"""Provides the drawing of the model's pictures as characters (rich Text, no textual): a
decision boundary, the fit, the cost surface with the parameters' path, a computational graph,
weight and gradient sizes. The experiment screen's ModelView and `lab run` both draw with it.

The worker sends each view as data (`lab.engine.views`); `ViewState` keeps the latest of each
kind, and `draw` turns one into characters that read the same without colour and over any
terminal. Colour, where there is some, only adds a tint.
"""

from __future__ import annotations

import math
import textwrap
from dataclasses import dataclass, field
from typing import Any

from rich.text import Text

TITLES = {
    "boundary": "decision boundary",
    "fit": "fit",
    "surface": "cost over (w, b)",
    "cost": "cost over w",
    "graph": "computational graph",
    "weights": "weights and gradients",
}
REGION_CHARS = "·+=~-:"
REGION_ASCII = ".+=~-:"
POINT_CHARS = "ox*#@%"
CLASS_TINTS = ("#1d3557", "#6b2d12", "#2d5016", "#4a1d57", "#57501d", "#1d5750")
SHADES = " .,:;-=*#%"
"""The cost surface's levels, low to high: none of them a marker drawn on it (+, o, •, @)."""
SPARK = "▁▂▃▄▅▆▇█"
SPARK_ASCII = "_.-~=^"
ONCE_KEYS = ("points", "cost", "w_axis", "b_axis", "best", "curve")
"""Data a kind sends with its first view only (the training points, the cost surface)."""
PATH_KINDS = ("cost", "surface")
"""Kinds whose every view is a point of a path: none may be dropped on the way."""


@dataclass
class ViewState:
    """The latest data of each view kind, with what came only once (points, surfaces) kept."""

    latest: dict[str, dict] = field(default_factory=dict)
    fixed: dict[str, dict] = field(default_factory=dict)
    path: list[tuple[float, float]] = field(default_factory=list)  # surface/cost: (w, b|cost)
    weights: list[dict] = field(default_factory=list)  # one entry per weights view

    def add(self, kind: str, step: int, data: dict[str, Any]) -> None:
        once = {k: data[k] for k in ONCE_KEYS if k in data}
        if once:
            self.fixed.setdefault(kind, {}).update(once)
        self.latest[kind] = {"step": step, **data}
        if kind == "surface":
            self.path.append((data["w"], data["b"]))
        elif kind == "cost" and "w" in data:
            self.path.append((data["w"], data.get("value", math.nan)))
        elif kind == "weights":
            self.weights.append(data)
            del self.weights[:-200]

    def kinds(self) -> list[str]:
        return list(self.latest)


def _resample(n_in: int, n_out: int) -> list[int]:
    return [min(n_in - 1, int((i + 0.5) * n_in / n_out)) for i in range(n_out)]


def render_boundary(data: dict, points: dict | None, width: int, height: int, ascii: bool) -> Text:
    """The input plane, top row = largest y: each cell's predicted class as a shade, the
    training points as their class's marker."""
    regions = REGION_ASCII if ascii else REGION_CHARS
    xs, ys, classes = data["x"], data["y"], data["classes"]
    confidence = data.get("confidence")
    cols, rows = _resample(len(xs), width), _resample(len(ys), height)[::-1]
    marks: dict[tuple[int, int], int] = {}
    if points:
        x_lo, x_hi, y_lo, y_hi = xs[0], xs[-1], ys[0], ys[-1]
        for px, py, label in zip(points["x"], points["y"], points["label"], strict=True):
            col = int((px - x_lo) / (x_hi - x_lo or 1) * (width - 1) + 0.5)
            row = height - 1 - int((py - y_lo) / (y_hi - y_lo or 1) * (height - 1) + 0.5)
            if 0 <= col < width and 0 <= row < height:
                marks[(row, col)] = int(label)
    shown, tinted = _confidence_cuts(confidence)
    cells: list[list[tuple[str, str]]] = []
    for r, grid_row in enumerate(rows):
        row = list[tuple[str, str]]()  # (a name the loop above held a number in)
        for c, grid_col in enumerate(cols):
            k = int(classes[grid_row][grid_col])
            sure = confidence[grid_row][grid_col] if confidence else 1.0
            tint = CLASS_TINTS[k % len(CLASS_TINTS)]
            style = f"on {tint}" if sure >= tinted else "on grey15"
            if (r, c) in marks:
                label = marks[(r, c)]
                row.append((POINT_CHARS[label % len(POINT_CHARS)], f"bold white {style}"))
            else:
                row.append((regions[k % len(regions)] if sure >= shown else " ", f"dim {style}"))
        cells.append(row)
    return _grid_text(cells)


SHOWN_AT, TINTED_AT = 0.6, 0.75
"""A cell this sure of its class shows its class's character, and this sure its tint."""


def _confidence_cuts(confidence: list[list[float]] | None) -> tuple[float, float]:
    """The confidence at which a cell shows its class, and its tint: SHOWN_AT and TINTED_AT,
    lowered for a model unsure everywhere (a straight line on the rings is 55% sure at
    most) to the same place in its own range, so its half-planes and their line still show."""
    if not confidence:
        return SHOWN_AT, TINTED_AT
    flat = [c for row in confidence for c in row]
    lo, hi = min(flat), max(flat)

    # a binary model's confidence starts at 0.5: the cut's place between 0.5 and 1
    def cut(at: float) -> float:
        return min(at, lo + (hi - lo) * (at - 0.5) / 0.5)

    return cut(SHOWN_AT), cut(TINTED_AT)


def _grid_text(cells: list[list[tuple[str, str]]]) -> Text:
    """Rows of (character, style) as one Text, each run of one style a single span: a cell
    per span made each repaint of a boundary several times the bytes."""
    text = Text()
    for r, row in enumerate(cells):
        start = 0
        for c in range(1, len(row) + 1):
            if c == len(row) or row[c][1] != row[start][1]:
                text.append("".join(char for char, _ in row[start:c]), style=row[start][1])
                start = c
        if r < len(cells) - 1:
            text.append("\n")
    return text


class _Canvas:
    """A character grid with data coordinates: what plotext would do, for a few hundred points."""

    def __init__(self, width: int, height: int, x_range, y_range):
        self.width, self.height = width, height
        self.x_lo, self.x_hi = x_range
        self.y_lo, self.y_hi = y_range
        self.cells: dict[tuple[int, int], tuple[str, str]] = {}

    def cell(self, x: float, y: float) -> tuple[int, int] | None:
        if not (math.isfinite(x) and math.isfinite(y)):
            return None
        col = int((x - self.x_lo) / (self.x_hi - self.x_lo or 1) * (self.width - 1) + 0.5)
        row = (
            self.height
            - 1
            - int((y - self.y_lo) / (self.y_hi - self.y_lo or 1) * (self.height - 1) + 0.5)
        )
        if 0 <= col < self.width and 0 <= row < self.height:
            return row, col
        return None

    def put(self, x: float, y: float, char: str, style: str = "") -> None:
        where = self.cell(x, y)
        if where is not None:
            self.cells[where] = (char, style)

    def put_or_point(self, x: float, y: float, char: str, style: str, ascii: bool) -> None:
        """`char` at (x, y); a point off the grid, an arrow at the edge towards it (a diverged
        run's weights thrown out of the picture)."""
        if self.cell(x, y) is not None or math.isnan(x) or math.isnan(y):
            self.put(x, y, char, style)
            return
        # how far past each edge, in widths of the grid: the larger says where it went
        over = {
            "right": (x - self.x_hi) / (self.x_hi - self.x_lo or 1),
            "left": (self.x_lo - x) / (self.x_hi - self.x_lo or 1),
            "up": (y - self.y_hi) / (self.y_hi - self.y_lo or 1),
            "down": (self.y_lo - y) / (self.y_hi - self.y_lo or 1),
        }
        side = max(over, key=lambda k: over[k])
        arrows = dict(zip(over, "><^v" if ascii else "→←↑↓", strict=True))
        edge = (min(max(x, self.x_lo), self.x_hi), min(max(y, self.y_lo), self.y_hi))
        self.put(*edge, arrows[side], style)

    def text(self) -> Text:
        return _grid_text(
            [
                [self.cells.get((r, c), (" ", "")) for c in range(self.width)]
                for r in range(self.height)
            ]
        )


def _range(values: list[float]) -> tuple[float, float]:
    finite = [v for v in values if math.isfinite(v)]
    if not finite:
        return 0.0, 1.0
    lo, hi = min(finite), max(finite)
    pad = (hi - lo) * 0.05 or 1.0
    return lo - pad, hi + pad


def render_fit(data: dict, points: dict | None, width: int, height: int, ascii: bool) -> Text:
    """The model's current prediction line, and the data points drawn over it (a point the
    line passes through must still show)."""
    xs, y_hat = data["x"], data["y_hat"]
    ys = list(points["y"]) if points else []
    canvas = _Canvas(width, height, (xs[0], xs[-1]), _range(ys or y_hat))
    for x, y in zip(xs, y_hat, strict=True):
        canvas.put(x, y, "*" if ascii else "━", "bold yellow")
    for x, y in zip(points["x"] if points else [], ys, strict=False):
        canvas.put(x, y, "o" if ascii else "•", "bold cyan")
    return canvas.text()


def render_surface(
    fixed: dict, path: list[tuple[float, float]], width: int, height: int, ascii: bool
) -> Text:
    """The MSE cost over (w, b) as shades (darker = lower, on a log scale), the path of the
    parameters as dots and where they are now as @; the least-squares bottom as +."""
    w_axis, b_axis, cost = fixed["w_axis"], fixed["b_axis"], fixed["cost"]
    flat = [c for row in cost for c in row if math.isfinite(c)]
    lo, hi = math.log1p(min(flat)), math.log1p(max(flat))
    cols, rows = _resample(len(w_axis), width), _resample(len(b_axis), height)[::-1]
    canvas = _Canvas(width, height, (w_axis[0], w_axis[-1]), (b_axis[0], b_axis[-1]))
    for r, i in enumerate(rows):
        for c, j in enumerate(cols):
            level = (math.log1p(cost[i][j]) - lo) / (hi - lo or 1)
            canvas.cells[(r, c)] = (SHADES[min(len(SHADES) - 1, int(level * len(SHADES)))], "dim")
    best = fixed.get("best")
    if best:
        canvas.put(best["w"], best["b"], "+", "bold green")
    for w, b in path[:-1]:
        canvas.put(w, b, "o" if ascii else "•", "yellow")
    if path:
        canvas.put_or_point(*path[-1], "@", "bold red", ascii)
    return canvas.text()


def render_cost(fixed: dict, path: list, width: int, height: int, ascii: bool) -> Text:
    """Cost against w (the curve once), each gradient-descent step a dot on it as it comes,
    the latest an @."""
    curve = fixed["curve"]
    ws, costs = curve["w"], curve["cost"]
    steps = [(w, c) for w, c in path if math.isfinite(w) and math.isfinite(c)]
    canvas = _Canvas(width, height, _range(ws + [w for w, _ in steps]), _range(costs))
    for w, c in zip(ws, costs, strict=True):
        canvas.put(w, c, "." if ascii else "·", "dim")
    for w, c in steps[:-1]:
        canvas.put(w, c, "o" if ascii else "•", "yellow")
    if steps:
        canvas.put(*steps[-1], "@", "bold red")
    return canvas.text()


def _number(value) -> str:
    if value is None:
        return "-"
    if isinstance(value, list):
        return "[" + ", ".join(f"{v:.3g}" for v in value) + "]"
    return f"{value:.4g}"


def render_graph(data: dict, width: int) -> Text:
    """Each node of the expression, inputs first: what it is computed from (its edges, `←`),
    its value after the forward pass and its gradient (d loss / d node) once backward has
    run, on one line where they fit; then the moment the numbers are from."""
    text = Text()
    name_w = max(len(node["name"]) for node in data["nodes"])
    for node in data["nodes"]:
        has_grad = node.get("grad") is not None
        pad = f"{'':<{name_w}}  "
        value = f"value {_number(node['value'])}"
        grad = Text(f"grad  {_number(node.get('grad'))}", style="bold" if has_grad else "dim")
        inputs = node.get("inputs")
        head = f"{node['name']:<{name_w}}  "
        if inputs:
            text.append(f"{head}← {', '.join(inputs)}"[:width] + "\n")
            head = pad
        if len(head) + len(value) + 2 + len(grad) <= width:
            text.append(head + value + "  ")
            text.append_text(grad)
            text.append("\n")
        else:
            text.append((head + value)[:width] + "\n")
            grad.truncate(width - len(pad))
            text.append(pad)
            text.append_text(grad)
            text.append("\n")
    if data.get("phase"):
        text.append(f"{data['phase']}, before this step's update", style="italic")
    return text


def render_weights(history: list[dict], width: int, height: int, ascii: bool) -> Text:
    """Per layer: the size (root mean square) of its weights and gradients now, and a sparkline
    of the gradient's size over the run on a log scale (vanishing: falls; exploding: climbs)."""
    spark = SPARK_ASCII if ascii else SPARK
    text = Text()
    if not history:
        return text
    layers = history[-1]["layers"]
    name_w = min(max((len(layer["name"]) for layer in layers), default=4), 16)
    head = f"{'layer':<{name_w}}  {'|w|':>8}  {'|grad|':>8}  "
    # the sparkline's heading, as long as the width allows
    trend = next((t for t in ("grad over the run", "grad history") if len(head + t) <= width), "")
    text.append((head + trend)[:width] + "\n", style="bold")
    room = max(width - name_w - 24, 4)
    for i, layer in enumerate(layers[: max(height - 1, 1)]):
        grads = [h["layers"][i]["grad"] for h in history if i < len(h["layers"])]
        grads = [g for g in grads if g is not None and g > 0][-room:]
        line = f"{layer['name'][:name_w]:<{name_w}}  {layer['weight']:>8.3g}  "
        line += f"{layer['grad']:>8.3g}  " if layer["grad"] is not None else f"{'-':>8}  "
        text.append(line)
        if grads:
            logs = [math.log10(g) for g in grads]
            lo, hi = min(logs), max(logs)
            text.append(
                "".join(spark[int((v - lo) / (hi - lo or 1) * (len(spark) - 1))] for v in logs)
            )
        text.append("\n")
    return text


def describe(kind: str, step: int | None) -> str:
    """The picture's title: `decision boundary at step 120`."""
    return f"{TITLES.get(kind, kind)} at step {step}"


def legend_parts(kind: str, ascii: bool) -> list[str]:
    """What the characters of a picture mean, a part per marker or shade (none where nothing
    needs saying); the ones read first come first."""
    dot = "o" if ascii else "•"
    if kind == "boundary":
        regions = REGION_ASCII if ascii else REGION_CHARS
        return [
            f"class {regions[0]} 0, {regions[1]} 1, blank: unsure",
            f"points {POINT_CHARS[0]} 0, {POINT_CHARS[1]} 1",
        ]
    if kind == "surface":
        return [f"cost: {SHADES[1]} low, {SHADES[-1]} high", "+ lowest", f"{dot} path", "@ now"]
    if kind == "cost":
        return [f"{'.' if ascii else '·'} the cost", f"{dot} each step's w", "@ now"]
    if kind == "fit":
        return [f"{dot} the data", f"{'*' if ascii else '━'} the model's prediction"]
    return []


def legend(kind: str, ascii: bool) -> str:
    """The legend in a line, as `lab run` prints it under the picture."""
    return "; ".join(legend_parts(kind, ascii))


def fit_legend(parts: list[str], width: int, rows: int) -> list[str]:
    """The legend wrapped to `width` in at most `rows` rows: the first parts give way when
    it needs more (the markers on a picture say more than its shades)."""
    for first in range(len(parts)):
        lines = textwrap.wrap("; ".join(parts[first:]), width)
        if len(lines) <= rows:
            return lines
    return []


def draw(state: ViewState, kind: str, width: int, height: int, ascii: bool) -> Text:
    """The latest view of `kind` drawn in `width` x `height` characters."""
    data, fixed = state.latest[kind], state.fixed.get(kind, {})
    if kind == "boundary":
        return render_boundary(data, fixed.get("points"), width, height, ascii)
    if kind == "fit":
        return render_fit(data, fixed.get("points"), width, height, ascii)
    if kind == "surface":
        return render_surface(fixed, state.path, width, height, ascii)
    if kind == "cost":
        return render_cost(fixed, state.path, width, height, ascii)
    if kind == "graph":
        return render_graph(data, width)
    return render_weights(state.weights, width, height, ascii)
