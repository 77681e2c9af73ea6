"""Provides the curve arithmetic the plots need: bias-corrected EMA smoothing and downsampling."""

from __future__ import annotations

import math
from collections.abc import Sequence


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with bias correction (as Adam corrects its moments), `weight`
    from 0 to 0.99.

    v_t = weight * v_(t-1) + (1 - weight) * x_t, starting from v_0 = 0, shown as
    v_t / (1 - weight^t) so the first points are not dragged toward zero. A weight of 0 returns
    the values unchanged. A value that is not finite (a diverged loss) is passed through as it
    is and does not enter the average, so one inf does not hide every later point.
    """
    if not 0 <= weight < 1:
        raise ValueError(f"smoothing weight must be in [0, 1), not {weight}")
    if weight == 0:
        return list(values)
    out: list[float] = []
    average = 0.0
    power = 1.0  # weight ** t for the t finite values seen so far
    for x in values:
        if not math.isfinite(x):
            out.append(x)
            continue
        average = weight * average + (1 - weight) * x
        power *= weight
        out.append(average / (1 - power))
    return out


def downsample(
    xs: Sequence[float], ys: Sequence[float], buckets: int
) -> tuple[list[float], list[float]]:
    """At most `buckets` points: the x range cut into equal buckets, each the mean of its points.

    Points that are not finite are dropped (a plot cannot draw them). With no more finite points
    than buckets, the finite points come back unchanged.
    """
    if len(xs) != len(ys):
        raise ValueError("xs and ys differ in length")
    if buckets < 1:
        return [], []
    # The plot calls this five times a second on every curve: loops that C can run are kept in
    # C (map, min, max), and the usual curve, all finite, skips the filtering.
    finite = math.isfinite
    if all(map(finite, xs)) and all(map(finite, ys)):
        fx, fy = list(xs), list(ys)
    else:
        kept = [(x, y) for x, y in zip(xs, ys, strict=True) if finite(x) and finite(y)]
        fx, fy = [p[0] for p in kept], [p[1] for p in kept]
    if len(fx) <= buckets:
        return fx, fy
    low, high = min(fx), max(fx)
    span = high - low
    if span == 0:
        return [low], [math.fsum(fy) / len(fy)]
    last = buckets - 1
    sum_x = [0.0] * buckets
    sum_y = [0.0] * buckets
    count = [0] * buckets
    for x, y in zip(fx, fy, strict=True):
        i = int((x - low) / span * buckets)
        if i > last:
            i = last
        sum_x[i] += x
        sum_y[i] += y
        count[i] += 1
    out_x = [sum_x[i] / count[i] for i in range(buckets) if count[i]]
    out_y = [sum_y[i] / count[i] for i in range(buckets) if count[i]]
    return out_x, out_y


def smoothing_steps() -> tuple[float, ...]:
    """The smoothing weights the keys step through, finer near 1 where it matters."""
    return (0.0, 0.3, 0.6, 0.8, 0.9, 0.95, 0.99)


def step_smoothing(current: float, direction: int) -> float:
    """The next weight up (direction > 0) or down from `current`, clamped to 0..0.99."""
    steps = smoothing_steps()
    if direction > 0:
        return next((s for s in steps if s > current + 1e-9), steps[-1])
    return next((s for s in reversed(steps) if s < current - 1e-9), steps[0])
