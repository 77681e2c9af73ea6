"""covariate-shift: the same test digits, as they are and moved, scored by the same model."""

from __future__ import annotations

import pytest
import torch

from lab.engine.events import EpochEnd, Log
from lab.engine.scripted.shift import shift_right
from tests.engine.conftest import done_of, run_all, scripted_run


def test_shift_right_moves_the_columns_and_wraps_nothing_round():
    images = torch.tensor([[[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]]])  # [1, 1, 2, 4]
    assert shift_right(images, 1).tolist() == [[[[0, 1, 2, 3], [0, 5, 6, 7]]]]
    assert shift_right(images, 3).tolist() == [[[[0, 0, 0, 1], [0, 0, 0, 5]]]]
    assert torch.equal(shift_right(images, 0), images)


def test_the_unmoved_test_set_scores_the_same_twice():
    done = done_of(run_all(scripted_run("covariate-shift", {"pixels": 0, "epochs": 3})))
    assert done.status == "completed", done.reason
    assert done.metrics["shifted_accuracy"] == done.metrics["test_accuracy"]
    assert done.metrics["accuracy_drop"] == 0.0


def test_one_pixel_to_the_right_costs_a_good_model_much_of_its_accuracy():
    events = run_all(scripted_run("covariate-shift", {"pixels": 1, "epochs": 8}))
    done = done_of(events)
    metrics = done.metrics
    assert metrics["test_accuracy"] > 0.93
    assert metrics["shifted_accuracy"] < 0.75
    assert metrics["accuracy_drop"] == pytest.approx(
        metrics["test_accuracy"] - metrics["shifted_accuracy"]
    )
    assert len([e for e in events if isinstance(e, EpochEnd)]) == 8
    assert any(
        isinstance(e, Log) and e.text.startswith("test accuracy by shift: 0 px") for e in events
    )


def test_a_shift_as_wide_as_the_image_is_refused_in_one_line():
    done = done_of(run_all(scripted_run("covariate-shift", {"pixels": 8})))
    assert done.status == "failed"
    assert done.reason == "pixels must lie between 0 and 7, not 8"
