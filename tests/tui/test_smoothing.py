"""Tests the plot's curve arithmetic against the formulas it implements."""

from __future__ import annotations

import math

import pytest

from lab.tui.smoothing import downsample, ema, step_smoothing


def reference_ema(values, weight):
    """The closed form: a weighted mean of the values so far, weights w^(t-i), normalised."""
    out = []
    for t in range(1, len(values) + 1):
        weights = [weight ** (t - i) for i in range(1, t + 1)]
        out.append(sum(w * x for w, x in zip(weights, values[:t], strict=True)) / sum(weights))
    return out


@pytest.mark.parametrize("weight", [0.3, 0.6, 0.9, 0.99])
def test_ema_matches_the_closed_form(weight):
    values = [3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0]
    assert ema(values, weight) == pytest.approx(reference_ema(values, weight))


def test_bias_correction_keeps_a_constant_curve_constant():
    # Without the correction the first points would start near 0, not at 2.
    assert ema([2.0] * 20, 0.99) == pytest.approx([2.0] * 20)


def test_first_point_is_the_first_value():
    assert ema([5.0, 0.0], 0.9)[0] == pytest.approx(5.0)


def test_weight_zero_is_no_smoothing():
    assert ema([1.0, 7.0, 3.0], 0.0) == [1.0, 7.0, 3.0]


def test_weight_out_of_range_is_refused():
    with pytest.raises(ValueError):
        ema([1.0], 1.0)
    with pytest.raises(ValueError):
        ema([1.0], -0.1)


def test_non_finite_values_pass_through_without_poisoning_the_average():
    out = ema([1.0, math.inf, 1.0, math.nan], 0.5)
    assert out[0] == 1.0 and out[2] == pytest.approx(1.0)
    assert math.isinf(out[1]) and math.isnan(out[3])


def test_downsample_keeps_short_curves_and_drops_non_finite_points():
    assert downsample([1, 2, 3], [1.0, math.inf, 3.0], 10) == ([1, 3], [1.0, 3.0])


def test_downsample_to_buckets_averages_each_bucket():
    xs = list(range(100))
    ys = [float(x) for x in xs]
    out_x, out_y = downsample(xs, ys, 10)
    assert len(out_x) == 10
    assert out_x[0] == pytest.approx(4.5) and out_y[0] == pytest.approx(4.5)
    assert out_y[-1] == pytest.approx(94.5)


def test_downsample_never_exceeds_the_bucket_count():
    xs = [x * x for x in range(1000)]  # uneven spacing
    out_x, out_y = downsample(xs, [1.0] * 1000, 37)
    assert 0 < len(out_x) <= 37 and len(out_x) == len(out_y)
    assert out_x == sorted(out_x)


def test_downsample_of_one_repeated_x():
    assert downsample([3, 3, 3], [1.0, 2.0, 3.0], 2) == ([3], [2.0])


def test_smoothing_steps_clamp_at_both_ends():
    assert step_smoothing(0.0, -1) == 0.0
    assert step_smoothing(0.99, +1) == 0.99
    assert step_smoothing(0.0, +1) == 0.3
    assert step_smoothing(0.9, +1) == 0.95
    assert step_smoothing(0.95, -1) == 0.9
