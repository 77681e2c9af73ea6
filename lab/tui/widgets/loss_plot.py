"""Provides CurvePlot: live curves of a run and of earlier runs, drawn off the event loop."""

from __future__ import annotations

import itertools
import math
import os
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field

from rich.text import Text
from textual import work
from textual.app import RenderResult
from textual.geometry import Region
from textual.message import Message
from textual_plotext import PlotextPlot
from textual_plotext.plot import Plot

from lab.tui.smoothing import downsample, ema

MAX_REDRAWS_PER_S = 5
"""A fast run adds points 20 times a second; the plot shows them at most this often (10/s
repainting whole plots measured 42 KB/s at 100x30 with braille; 5/s repainting only the rows
that changed, 16 KB/s)."""

_DRAWING = threading.Lock()
"""One plot draws at a time: two drawing threads starve the event loop of the GIL twice over."""

_MOUNTED = itertools.count()
"""Plots mounted one after another take turns: the second one's clock runs half a period
later, so the loss and accuracy plots are not drawn (and repainted) back to back."""

CURRENT_COLORS = {"train": "cyan", "val": "orange"}
OVERLAY_COLORS = ("green", "magenta", "blue", "red", "yellow")
LEGEND_COLORS = {"orange": "dark_orange"}
"""plotext colour names that rich spells otherwise (the legend is drawn by rich)."""

# Every series has its own marker, so the curves stay apart without colour. The current run's
# train curve is a line; validation, measured once an epoch, is a point at each epoch, so it
# never paints over the train line between epochs. Earlier runs have a pair each.
BRAILLE_MARKERS = {"train": "braille", "val": "●"}
ASCII_MARKERS = {"train": "*", "val": "o"}
# Not dots: a line of "·" reads as braille in a terminal font.
BRAILLE_OVERLAY_MARKERS = (("+", "×"), ("#", "◇"), ("~", "□"), ("=", "△"), ("%", "▽"))
ASCII_OVERLAY_MARKERS = (("+", "x"), ("-", "#"), ("~", "%"), (":", "="), (".", "@"))
# The current run's other series (a distributed run's ranks), each its own marker too.
BRAILLE_MORE_MARKERS = ("▲", "■", "◆", "★")
ASCII_MORE_MARKERS = ("^", "&", "$", "!")
MAX_OVERLAYS = len(OVERLAY_COLORS)
"""Earlier runs drawn at once: each has a colour and a marker pair no other series has."""
POINT_SERIES = ("val",)
"""Series measured once an epoch: drawn as points, not joined by a line."""
BRAILLE_SAMPLE = "⠤⠤"
"""How a braille line looks in the legend."""


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


@dataclass(frozen=True)
class Line:
    """One curve as plotext draws it: downsampled points, colour, marker, legend label, and
    whether its points are joined."""

    xs: tuple[float, ...]
    ys: tuple[float, ...]
    color: str
    marker: str
    label: str
    joined: bool = True
    earlier: bool = False
    """An earlier run's curve (the y axis may cut it: `y_top`)."""


@dataclass(frozen=True)
class PictureSpec:
    """Everything one picture of the plot is drawn from, copied on the event loop so that a
    thread can draw it while the app goes on adding points."""

    version: int
    """Counts the changes to data and view; a picture of an older version is never shown."""
    width: int
    height: int
    theme: str
    ascii: bool
    smoothing: float
    log_scale: bool
    title: str
    xlabel: str
    curves: tuple[tuple[str, str, str, bool, list[float], list[float], bool], ...]
    """(colour, marker, label, joined, xs, ys, earlier) of each curve in drawing order:
    earlier runs first, the current run's on top."""
    bounds: tuple[float, float] | None = None
    """Values the y axis never goes past (an accuracy: 0 and 1)."""


@dataclass(frozen=True)
class Picture:
    """A drawn picture: the lines it was drawn from and its text, row by row."""

    version: int
    frame: tuple[int, int, str]
    """(width, height, theme) it was drawn for."""
    key: tuple
    """What it shows: title, axis label, scale, markers and the lines drawn."""
    rows: tuple[str, ...]
    """The ANSI text of each row, to tell which rows changed since the last picture."""
    text: Text


@dataclass
class PictureDrawn(Message):
    """A thread drew a picture of the plot."""

    picture: Picture


def prepare_lines(spec: PictureSpec) -> tuple[Line, ...]:
    """Smooth, drop what a log axis cannot show, and downsample each curve to the plot's width:
    at most one point per braille dot (two per cell) or per cell with plain markers."""
    buckets = max(spec.width - 8, 10) * (1 if spec.ascii else 2)
    lines = []
    for color, marker, label, joined, xs, ys, earlier in spec.curves:
        if spec.smoothing:
            ys = ema(ys, spec.smoothing)
        if spec.log_scale:
            kept = [(x, y) for x, y in zip(xs, ys, strict=True) if y > 0]
            xs, ys = [p[0] for p in kept], [p[1] for p in kept]
        xs, ys = downsample(xs, ys, buckets)
        if xs:
            lines.append(Line(tuple(xs), tuple(ys), color, marker, label, joined, earlier))
    return tuple(lines)


SQUASH = 10
"""An earlier run reaching more than this many times as high as the current run (above the
lowest point drawn) is cut at the top: a diverged run's 3,567 left a healthy run a flat line."""


def y_limits(
    lines: tuple[Line, ...], bounds: tuple[float, float] | None = None
) -> tuple[float, float] | None:
    """The y axis's ends where plotext's own would not do: cut at the top when an earlier run
    would squash the current one (`y_top`), kept within `bounds` (one accuracy of 0.98 put
    ticks up to 1.26). None: plotext's."""
    ys = [y for line in lines for y in line.ys if math.isfinite(y)]
    if not ys:
        return None
    low, high = min(ys), y_top(lines) or max(ys)
    if bounds is None:
        return None if high == max(ys) else (low, high)
    pad = (high - low) * 0.1 or 0.05
    return max(low - pad, bounds[0]), min(high + pad, bounds[1])


def y_top(lines: tuple[Line, ...]) -> float | None:
    """Where the y axis ends when an earlier run would squash the current one; else None (the
    axis takes in every curve). The bottom is never cut: lower is what runs are compared on."""
    now = [y for line in lines if not line.earlier for y in line.ys if math.isfinite(y)]
    every = [y for line in lines for y in line.ys if math.isfinite(y)]
    if not now:
        return None
    low, high = min(every), max(now)
    if max(every) - low <= SQUASH * (high - low):
        return None
    return high + ((high - low) * 0.1 or abs(high) * 0.5 or 1.0)


def fit_title(title: str, width: int) -> str:
    """The title cut to what plotext shows (it drops a title longer than the width less 4)."""
    room = max(width - 4, 1)
    return title if len(title) <= room else title[: room - 1].rstrip(" ·") + "…"


def integer_ticks(lines: tuple[Line, ...], width: int) -> list[int]:
    """Whole-number ticks (steps and epochs count) at a round spacing, about one per 10
    columns."""
    xs = [x for line in lines for x in line.xs]
    if not xs:
        return []
    low, high = math.ceil(min(xs)), math.floor(max(xs))
    if high < low:
        return []
    wanted = max(2, width // 10)
    finer: list[int] = []
    for spacing in (m * 10**k for k in range(20) for m in (1, 2, 5)):
        first = math.ceil(low / spacing) * spacing
        ticks = list(range(first, high + 1, spacing))
        if (high - low) / spacing < wanted:
            # a spacing wider than the range may leave no multiple in it: one step finer then
            return ticks or finer or [low]
        finer = ticks
    return [low]


LEGEND_ROWS_MAX = 3
"""Rows the legend may take from the plot; entries beyond them end in `…`."""
PLOT_ROWS_MIN = 6
"""The fewest rows a plot is drawn in: its title, the frame's top, two rows of data, the x axis
and its ticks. With one row of data its y axis had one number, and every point sat beside it
(digits-cnn's accuracy at 60x20: 0.52 to 0.97, all at `1.000`). Shorter, it shows TOO_SMALL;
a legend that would leave it shorter is left out."""
PLOT_COLS_MIN = 20
"""The fewest columns a plot is drawn in: narrower, the y axis's numbers leave no room for a
curve."""
TOO_SMALL = "curve: no room"
"""Short enough for the one row and 16 columns a crowded chart may get (a 40x12 terminal)."""


def _sample(line: Line) -> str:
    if line.marker == "braille":
        return BRAILLE_SAMPLE
    return line.marker * 2 if line.joined else line.marker


def legend_rows(lines: tuple[Line, ...], xlabel: str, width: int) -> list[Text]:
    """The legend under the plot, where it covers no curve: each series' marker and label
    (an earlier run's train and val share one label), wrapped to the width, with the x axis's
    name at the end of the last row. Where the rows allowed cannot hold every label, earlier
    runs are named by their number alone (`#3`), so that every marker still shows."""
    # The current run first (train, then val), then earlier runs in their order.
    ordered = sorted(lines, key=lambda line: line.label not in CURRENT_COLORS)
    by_label = {line.label: line for line in ordered}
    entries: list[tuple[Text, str]] = []  # (markers, label)
    for line in ordered:
        earlier = line.label not in CURRENT_COLORS
        if earlier and line.label.endswith(" val") and line.label[:-4] in by_label:
            continue  # shown with its run's train entry
        style = LEGEND_COLORS.get(line.color, line.color)
        markers = Text(_sample(line), style=style)
        val = by_label.get(f"{line.label} val")
        if val is not None and earlier:
            markers.append(_sample(val), style=style)
        entries.append((markers, line.label))
    rows = _legend_layout([m + f" {label}" for m, label in entries], xlabel, width)
    if len(rows) > LEGEND_ROWS_MAX:
        short = [label if label in CURRENT_COLORS else label.split()[0] for _, label in entries]
        rows = _legend_layout(
            [m + f" {s}" for (m, _), s in zip(entries, short, strict=True)], xlabel, width
        )
    if len(rows) > LEGEND_ROWS_MAX:
        rows = rows[:LEGEND_ROWS_MAX]
        rows[-1].truncate(width - 1)
        rows[-1].append("…")
    for row in rows:
        row.truncate(width)
    return rows


def _legend_layout(entries: list[Text], xlabel: str, width: int) -> list[Text]:
    """`entries` two spaces apart in rows of `width`, the x axis's name right-aligned last."""
    axis = Text(f"x: {xlabel}", style="dim")
    rows: list[Text] = []
    row = Text(" ")
    for entry in entries:
        if len(row) > 1 and len(row) + 2 + len(entry) > width:
            rows.append(row)
            row = Text(" ")
        if len(row) > 1:
            row.append("  ")
        row.append_text(entry)
    if len(row) + 2 + len(axis) > width and len(row) > 1:
        rows.append(row)
        row = Text(" ")
    row.append(" " * max(width - len(row) - len(axis), 0))
    row.append_text(axis)
    rows.append(row)
    return rows


def draw_picture(plt: Plot, spec: PictureSpec, shown: Picture | None = None) -> Picture:
    """The picture of `spec`, drawn with plotext on `plt` (which nothing else may use
    meanwhile); `shown` again, under the new version, when the lines it would draw are the
    lines it shows: a point that moves no dot redraws nothing."""
    frame = (spec.width, spec.height, spec.theme)
    key: tuple = ()
    if spec.height < PLOT_ROWS_MIN or spec.width < PLOT_COLS_MIN:
        return Picture(spec.version, frame, key, (TOO_SMALL,), Text(TOO_SMALL))
    try:
        lines = prepare_lines(spec)
        key = (spec.title, spec.xlabel, spec.log_scale, spec.ascii, lines)
        if shown is not None and shown.frame == frame and shown.key == key:
            return Picture(spec.version, frame, key, shown.rows, shown.text)
        legend = legend_rows(lines, spec.xlabel, spec.width)
        if spec.height - len(legend) < PLOT_ROWS_MIN:
            legend = []  # too short for both: the curves first
        height = spec.height - len(legend)
        plt.clear_data()
        plt.clear_figure()
        plt.plotsize(spec.width, height)
        plt._set_size(spec.width, height)  # as PlotextPlot.render does (its issue 5)
        plt.theme(spec.theme)
        plt.title(fit_title(spec.title, spec.width))
        if spec.log_scale and lines:  # plotext fails on a log axis with nothing on it
            plt.yscale("log")
        limits = None if spec.log_scale or not lines else y_limits(lines, spec.bounds)
        if limits is not None:
            plt.ylim(*limits)
        ticks = integer_ticks(lines, spec.width)
        if ticks:
            plt.xticks(ticks, [f"{t:,}" for t in ticks])  # type: ignore[arg-type]  # stub: list[float]
        for line in lines:
            xs, ys = list(line.xs), list(line.ys)
            single = len(xs) == 1 or all(math.isclose(x, xs[0]) for x in xs)
            if line.joined and not single:
                plt.plot(xs, ys, marker=line.marker, color=line.color)
            else:
                plt.scatter(xs, ys, marker=line.marker, color=line.color)
        ansi = plt.build().removesuffix("\n")
    except Exception as exc:  # noqa: BLE001 - a plotting bug must not end the session
        ansi = f"(the plot could not be drawn: {exc})"
        return Picture(spec.version, frame, key, (ansi,), Text(ansi))
    rows = (*ansi.split("\n"), *(row.markup for row in legend))
    text = Text("\n").join([Text.from_ansi(ansi), *legend])
    return Picture(spec.version, frame, key, rows, text)


def changed_rows(old: Sequence[object], new: Sequence[object]) -> list[tuple[int, int]]:
    """Runs of rows that differ between two pictures, as (first row, number of rows)."""
    runs: list[tuple[int, int]] = []
    for y in range(max(len(old), len(new))):
        if y < len(old) and y < len(new) and old[y] == new[y]:
            continue
        if runs and runs[-1][0] + runs[-1][1] == y:
            runs[-1] = (runs[-1][0], runs[-1][1] + 1)
        else:
            runs.append((y, 1))
    return runs


class CurvePlot(PlotextPlot):
    """Curves of the current run (train, val) over earlier runs, smoothed, optionally log-scale.

    Adding points only counts a new version of the data. A timer, at most `MAX_REDRAWS_PER_S`
    times a second, copies the curves and lets a thread smooth them, downsample them to the
    plot's width and draw them with plotext; the event loop only swaps the finished picture in
    and repaints the rows that changed. So a fast run neither stalls the keyboard nor sends
    more bytes to the terminal as it speeds up. A first picture, a resize, a new theme or
    `redraw()` draw at once on the event loop.
    """

    def __init__(
        self,
        what: str,
        xlabel: str,
        *,
        ascii: bool | None = None,
        smoothable: bool = True,
        bounds: tuple[float, float] | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(id=id, classes=classes)
        self.what = what
        self.xlabel = xlabel
        self.ascii = ascii_by_default() if ascii is None else ascii
        self.smoothable = smoothable
        self.bounds = bounds
        self.smoothing = 0.0
        self.log_scale = False
        self.curves: dict[str, Curve] = {}
        self.overlays: list[Overlay] = []
        self.note = ""
        self.redraws = 0
        """Pictures shown so far (the benchmark reads this)."""
        self._version = 0
        self._picture: Picture | None = None
        self._drawing = False
        self._draw_now = False
        self._thread_plt = Plot()  # used by one drawing thread at a time, never by render()
        self.auto_links = False  # a plot has no links: its repaints skip looking for them

    def on_mount(self) -> None:
        super().on_mount()
        if next(_MOUNTED) % 2:
            self.set_timer(1 / MAX_REDRAWS_PER_S / 2, self._start_clock)
        else:
            self._start_clock()

    def _start_clock(self) -> None:
        self.set_interval(1 / MAX_REDRAWS_PER_S, self._redraw_if_stale, name="plot-redraw")

    # --- data in ---------------------------------------------------------------------------

    def _changed(self) -> None:
        self._version += 1

    def clear_run(self) -> None:
        self.curves = {}
        self.note = ""
        self._changed()

    def add_points(self, series: str, points: list[tuple[float, float]]) -> None:
        curve = self.curves.setdefault(series, Curve())
        for x, y in points:
            curve.xs.append(x)
            curve.ys.append(y)
        self._changed()

    def set_overlays(self, overlays: list[Overlay]) -> None:
        self.overlays = list(overlays)
        self._changed()

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
        self._changed()

    def set_note(self, note: str) -> None:
        self.note = note
        self._changed()

    @property
    def point_count(self) -> int:
        return sum(len(c.xs) for c in self.curves.values())

    @property
    def stale(self) -> bool:
        """True while the picture on screen is older than the data."""
        return self._picture is None or self._picture.version != self._version

    # --- drawing ---------------------------------------------------------------------------

    def _title(self) -> str:
        parts = [self.what]
        if self.smoothable and self.smoothing:
            parts.append(f"smoothing {self.smoothing:g}")
        if self.log_scale:
            parts.append("log")
        if self.note:
            parts.append(self.note)
        return " · ".join(parts)

    def _frame(self) -> tuple[int, int, str]:
        width, height = self.size
        return width, height, self._get_plotext_theme_name(self.app.theme)

    def _spec(self) -> PictureSpec:
        """The data and view as they are now; lists are copied (cheap), nothing computed."""
        markers = ASCII_MARKERS if self.ascii else BRAILLE_MARKERS
        more = iter(ASCII_MORE_MARKERS if self.ascii else BRAILLE_MORE_MARKERS)
        pairs = ASCII_OVERLAY_MARKERS if self.ascii else BRAILLE_OVERLAY_MARKERS
        curves = []
        for i, overlay in enumerate(self.overlays):
            color = OVERLAY_COLORS[i % len(OVERLAY_COLORS)]
            # An earlier run with a train series draws it and its val, one marker of its pair
            # each (a distributed run's ranks, whose mean is its train, are left out); a
            # scripted run its own series.
            pair = pairs[i % len(pairs)]
            names = list(overlay.curves)
            if "train" in overlay.curves:
                names = [name for name in ("train", "val") if name in overlay.curves]
            for k, name in enumerate(names):
                curve = overlay.curves[name]
                joined = name not in POINT_SERIES
                marker = pair[0] if joined and k == 0 else pair[1]
                label = overlay.label if name == "train" else f"{overlay.label} {name}"
                xs, ys = list(curve.xs), list(curve.ys)
                curves.append((color, marker, label, joined, xs, ys, True))
        # The sparser of the current curves is drawn last, so a point an epoch is never painted
        # over by the line; a curve as dense as another leaves it most of its cells anyway.
        current = sorted(self.curves.items(), key=lambda item: -len(item[1].xs))
        # the run's main line (train, or a scripted run's first series) is a line; any other
        # (a distributed run's ranks) a marker of its own
        lines = [name for name in self.curves if name not in POINT_SERIES]
        main = "train" if "train" in self.curves else next(iter(lines), None)
        for name, curve in current:
            color = CURRENT_COLORS.get(name, "white")
            if name in markers or name == main:
                marker = markers.get(name, markers["train"])
            else:
                marker = next(more, markers["train"])
            joined = name not in POINT_SERIES
            curves.append((color, marker, name, joined, list(curve.xs), list(curve.ys), False))
        width, height, theme = self._frame()
        return PictureSpec(
            version=self._version,
            width=width,
            height=height,
            theme=theme,
            ascii=self.ascii,
            smoothing=self.smoothing if self.smoothable else 0.0,
            log_scale=self.log_scale,
            title=self._title(),
            xlabel=self.xlabel,
            curves=tuple(curves),
            bounds=self.bounds,
        )

    def _redraw_if_stale(self) -> None:
        if self.stale and not self._drawing and self.size.area:
            self._drawing = True
            self.draw_in_thread(self._spec(), self._picture)

    @work(
        thread=True,
        group="plot",
        exit_on_error=False,
        description="Smooth, downsample and draw a plot's curves off the event loop",
    )
    def draw_in_thread(self, spec: PictureSpec, shown: Picture | None) -> None:
        with _DRAWING:
            picture = draw_picture(self._thread_plt, spec, shown)
        self.post_message(PictureDrawn(picture))

    def on_picture_drawn(self, message: PictureDrawn) -> None:
        self._drawing = False
        picture, shown = message.picture, self._picture
        if self._draw_now or picture.frame != self._frame():
            return  # redraw() was asked for, or a resize or new theme: drawn at the repaint
        if shown is not None and picture.version <= shown.version:
            return  # the event loop drew newer data meanwhile
        self._picture = picture
        if shown is None or shown.frame != picture.frame:
            self.redraws += 1
            self.refresh()
            return
        if shown.rows is picture.rows:
            return  # same picture, newer version: nothing to send to the terminal
        self.redraws += 1
        width = picture.frame[0]
        for first, count in changed_rows(shown.rows, picture.rows):
            self.refresh(Region(0, first, width, count))

    def redraw(self) -> None:
        """Draw the data as it is now, on the event loop, at the next repaint (tests use this)."""
        self._draw_now = True
        self.refresh()

    def render(self) -> RenderResult:
        picture = self._picture
        if self._draw_now or picture is None or picture.frame != self._frame():
            # First picture, a resize, a new theme or redraw(): draw now, at the right size.
            self._draw_now = False
            picture = self._picture = draw_picture(self.plt, self._spec())
            self.redraws += 1
        return picture.text
