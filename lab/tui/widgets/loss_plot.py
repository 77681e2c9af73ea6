"""Provides CurvePlot: live curves of a run and of earlier runs, redrawn at a bounded rate."""

from __future__ import annotations

import math
import os
from dataclasses import dataclass, field

from rich.text import Text
from textual.app import RenderResult
from textual_plotext import PlotextPlot

from lab.tui.smoothing import downsample, ema

MAX_REDRAWS_PER_S = 5
"""A fast run adds points 20 times a second; the plot shows them at most this often
(10/s measured 42 KB/s at 100x30 with braille; the aim is under 30 KB/s)."""

CURRENT_COLORS = {"train": "cyan", "val": "orange"}
OVERLAY_COLORS = ("green", "magenta", "blue", "red", "yellow")
ASCII_MARKERS = {"train": "*", "val": "o"}
ASCII_OVERLAY_MARKERS = ("+", "x", "#", "%", "=")


def ascii_by_default(env: dict[str, str] | None = None) -> bool:
    """Plain ASCII markers where braille will not render: LAB_ASCII=1, the Linux console, or a
    locale that is not UTF-8. LAB_ASCII=0 forces braille."""
    env = os.environ if env is None else env
    forced = env.get("LAB_ASCII", "").strip().casefold()
    if forced:
        return forced not in ("0", "false", "no", "off")
    if env.get("TERM", "") == "linux":
        return True
    locale = env.get("LC_ALL") or env.get("LC_CTYPE") or env.get("LANG") or ""
    return "utf-8" not in locale.casefold() and "utf8" not in locale.casefold()


@dataclass
class Curve:
    """One line to draw: its points, in order of x."""

    xs: list[float] = field(default_factory=list)
    ys: list[float] = field(default_factory=list)


@dataclass
class Overlay:
    """An earlier run's curves, drawn dimmer under the current run, with the run's label."""

    label: str
    curves: dict[str, Curve]


class CurvePlot(PlotextPlot):
    """Curves of the current run (train, val) over earlier runs, smoothed, optionally log-scale.

    Adding points only marks the plot stale; a timer redraws it at most `MAX_REDRAWS_PER_S`
    times a second, each curve downsampled to the plot's width, so the bytes sent to the
    terminal do not grow with the run's speed.
    """

    def __init__(
        self,
        what: str,
        xlabel: str,
        *,
        ascii: bool | None = None,
        smoothable: bool = True,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.what = what
        self.xlabel = xlabel
        self.ascii = ascii_by_default() if ascii is None else ascii
        self.smoothable = smoothable
        self.smoothing = 0.0
        self.log_scale = False
        self.curves: dict[str, Curve] = {}
        self.overlays: list[Overlay] = []
        self.note = ""
        self._stale = True
        self.redraws = 0

    def on_mount(self) -> None:
        super().on_mount()
        self.set_interval(1 / MAX_REDRAWS_PER_S, self._redraw_if_stale, name="plot-redraw")
        self.redraw()

    def on_resize(self) -> None:
        self._stale = True

    # --- data in ---------------------------------------------------------------------------

    def clear_run(self) -> None:
        self.curves = {}
        self.note = ""
        self._stale = True

    def add_points(self, series: str, points: list[tuple[float, float]]) -> None:
        curve = self.curves.setdefault(series, Curve())
        for x, y in points:
            curve.xs.append(x)
            curve.ys.append(y)
        self._stale = True

    def set_overlays(self, overlays: list[Overlay]) -> None:
        self.overlays = list(overlays)
        self._stale = True

    def set_view(
        self,
        *,
        smoothing: float | None = None,
        log_scale: bool | None = None,
        ascii: bool | None = None,
    ) -> None:
        if smoothing is not None:
            self.smoothing = smoothing
        if log_scale is not None:
            self.log_scale = log_scale
        if ascii is not None:
            self.ascii = ascii
        self._stale = True

    def set_note(self, note: str) -> None:
        self.note = note
        self._stale = True

    @property
    def point_count(self) -> int:
        return sum(len(c.xs) for c in self.curves.values())

    # --- drawing ---------------------------------------------------------------------------

    def _redraw_if_stale(self) -> None:
        if self._stale:
            self.redraw()

    def _prepared(self, curve: Curve) -> tuple[list[float], list[float]]:
        ys = ema(curve.ys, self.smoothing) if self.smoothable and self.smoothing else curve.ys
        xs = curve.xs
        if self.log_scale:
            kept = [(x, y) for x, y in zip(xs, ys, strict=True) if y > 0]
            xs, ys = [p[0] for p in kept], [p[1] for p in kept]
        # Braille has two dots per cell across; plain markers one.
        width = max(self.size.width - 8, 10) * (1 if self.ascii else 2)
        return downsample(xs, ys, width)

    def _title(self) -> str:
        parts = [self.what]
        if self.smoothable and self.smoothing:
            parts.append(f"smoothing {self.smoothing:g}")
        if self.log_scale:
            parts.append("log")
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)

    def redraw(self) -> None:
        """Rebuild the plot from the data now (the timer calls this; tests may too)."""
        self._stale = False
        self.redraws += 1
        lines: list[tuple[list[float], list[float], str, str, str]] = []
        for i, overlay in enumerate(self.overlays):
            color = OVERLAY_COLORS[i % len(OVERLAY_COLORS)]
            marker = ASCII_OVERLAY_MARKERS[i % len(ASCII_OVERLAY_MARKERS)]
            for name, curve in overlay.curves.items():
                xs, ys = self._prepared(curve)
                if xs:
                    label = overlay.label if name == "train" else f"{overlay.label} {name}"
                    lines.append((xs, ys, color, marker, label))
        for name, curve in self.curves.items():
            xs, ys = self._prepared(curve)
            if xs:
                color = CURRENT_COLORS.get(name, "white")
                lines.append((xs, ys, color, ASCII_MARKERS.get(name, "*"), name))
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        plt.title(self._title())
        plt.xlabel(self.xlabel)
        if self.log_scale and lines:  # plotext fails on a log axis with nothing on it
            plt.yscale("log")
        for line in lines:
            self._draw(*line)
        self.refresh()

    def render(self) -> RenderResult:
        try:
            return super().render()
        except Exception as exc:  # noqa: BLE001 - a plotting bug must not end the session
            return Text(f"(the plot could not be drawn: {exc})")

    def _draw(self, xs: list[float], ys: list[float], color: str, marker: str, label: str) -> None:
        if self.ascii:
            self.plt.plot(xs, ys, marker=marker, color=color, label=label)
        elif len(xs) == 1 or all(math.isclose(x, xs[0]) for x in xs):
            self.plt.scatter(xs, ys, marker="braille", color=color, label=label)
        else:
            self.plt.plot(xs, ys, marker="braille", color=color, label=label)
