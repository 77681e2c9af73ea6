"""Provides the curve arithmetic the plots need: bias-corrected EMA smoothing and downsampling."""

from __future__ import annotations

import math
from collections.abc import Sequence


def ema(values: Sequence[float], weight: float) -> list[float]:
    """Exponential moving average with bias correction (note 001), `weight` from 0 to 0.99.

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
    pairs = [(x, y) for x, y in zip(xs, ys, strict=True) if math.isfinite(x) and math.isfinite(y)]
    if buckets < 1:
        return [], []
    if len(pairs) <= buckets:
        return [p[0] for p in pairs], [p[1] for p in pairs]
    low, high = pairs[0][0], pairs[0][0]
    for x, _ in pairs:
        low, high = min(low, x), max(high, x)
    span = high - low
    if span == 0:
        return [low], [math.fsum(y for _, y in pairs) / len(pairs)]
    sum_x = [0.0] * buckets
    sum_y = [0.0] * buckets
    count = [0] * buckets
    for x, y in pairs:
        i = min(int((x - low) / span * buckets), buckets - 1)
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
