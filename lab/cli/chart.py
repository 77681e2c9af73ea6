"""Provides the loss chart `lab run` prints at a run's end and `lab jobs follow` draws live."""

from __future__ import annotations

import re
from collections.abc import Sequence

from lab.table import terminal_width

HEIGHT = 18


def loss_chart(
    epoch_rows: Sequence[tuple[int, dict]], points: Sequence[tuple[int, str, float]] = ()
) -> str:
    """The train/val loss per epoch, else the step losses of each series, with plotext; empty
    while there are fewer than two points to join."""
    import plotext as plt

    from lab.runs.figures import EPOCH_TRAIN_CURVE

    curves: dict[str, tuple[list[float], list[float]]] = {}
    if len(epoch_rows) >= 2 and any("train_loss" in m for _, m in epoch_rows):
        for key in ("train_loss", "val_loss"):
            rows = [(e, m[key]) for e, m in epoch_rows if key in m]
            if rows:
                name = EPOCH_TRAIN_CURVE if key == "train_loss" else "val"
                curves[name] = ([e for e, _ in rows], [v for _, v in rows])
        xlabel = "epoch"
    else:
        for step, series, loss in points:
            xs, ys = curves.setdefault(series, ([], []))
            xs.append(step)
            ys.append(loss)
        xlabel = "step"
    curves = {k: v for k, v in curves.items() if len(v[0]) >= 2}
    if not curves:
        return ""
    plt.clear_figure()
    plt.theme("clear")
    width = min(terminal_width(), 100)
    plt.plotsize(width, HEIGHT)
    for (name, (xs, ys)), marker in zip(curves.items(), "*+ox#@%", strict=False):
        plt.plot(xs, [min(y, 1e30) for y in ys], label=name, marker=marker)
    plt.xlabel(xlabel)
    plt.title("loss")
    return re.sub(r"\x1b\[[0-9;]*m", "", plt.build()).rstrip()
