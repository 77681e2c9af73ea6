"""tabular-prep: the house sales it generates are the lesson's CSV files, its preparation learns
from the training rows only, and prepared columns beat raw ones on the test houses."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest

from lab.engine.events import Log, Progress
from lab.engine.scripted.tabular import Preparation, house_sets, relative_error
from tests.engine.conftest import done_of, run_all, scripted_run

DATA = Path(__file__).parents[2] / "lessons" / "data"


def row(area="", rooms="3", neighbourhood="suburbs", year_built="1990", price="200"):
    return {
        "area": area,
        "rooms": rooms,
        "neighbourhood": neighbourhood,
        "year_built": year_built,
        "price": price,
    }


def test_the_lessons_csv_files_hold_the_generated_houses():
    for name, rows in zip(("train", "test"), house_sets(), strict=True):
        with (DATA / f"houses_{name}.csv").open(newline="", encoding="utf-8") as f:
            assert list(csv.DictReader(f)) == rows
    train, test = house_sets()
    assert (len(train), len(test)) == (300, 100)
    assert any(r["area"] == "" for r in train) and any(r["year_built"] == "" for r in train)


def test_the_preparation_learns_from_the_training_rows_only():
    train = [row(area="100"), row(area="200"), row(area="")]
    prep = Preparation(train)
    # the missing area is filled with the training mean, 150; the spread is that of 100, 200, 150
    std = np.std([100.0, 200.0, 150.0])
    features = prep.features([row(area="1000"), row(area="")])
    assert features[0, 0] == pytest.approx((1000 - 150) / std)
    assert features[1, 0] == pytest.approx(0.0)  # imputed with the mean: standardised to 0
    assert features[:, 1:3].tolist() == [[0, 0], [0, 0]]  # constant columns: centred, not / 0
    # one indicator column, for the only column with a missing training value
    assert features[:, 3:4].tolist() == [[0.0], [1.0]] and features.shape[1] == 4 + 1


def test_neighbourhoods_become_one_column_each_and_unknown_is_one_of_them():
    train = [row(area="90", neighbourhood=n) for n in ("centre", "suburbs", "")]
    prep = Preparation(train)
    assert prep.categories == ["", "centre", "suburbs"]
    one_hot = prep.features([row(area="90", neighbourhood=n) for n in ("suburbs", "", "harbour")])
    assert one_hot[:, -3:].tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 0]]
    codes = Preparation(train, skip=("one-hot",)).features(
        [row(area="90", neighbourhood="suburbs")]
    )
    assert codes[0, -1] == 3.0  # the alphabetical code: centre, outskirts, riverside, suburbs


def test_relative_error_is_the_mean_share_of_the_price():
    assert relative_error(np.array([110.0, 150.0]), np.array([100.0, 200.0])) == pytest.approx(
        (0.1 + 0.25) / 2
    )


def test_prepared_columns_beat_raw_ones_on_the_test_houses():
    events = run_all(scripted_run("tabular-prep"))
    done = done_of(events)
    assert done.status == "completed", done.reason
    assert done.metrics["prepared_error"] < 0.2 < 0.25 < done.metrics["raw_error"]
    assert {e.series for e in events if isinstance(e, Progress)} == {"raw", "prepared"}
    assert any(isinstance(e, Log) and "raw: 4 columns, prepared: 10" in e.text for e in events)


def test_the_run_prepares_both_series_from_the_training_rows_alone(monkeypatch):
    from lab.engine.scripted import tabular

    fitted_on = []

    class Recorded(tabular.Preparation):
        def __init__(self, train, skip=()):
            fitted_on.append(train)
            super().__init__(train, skip)

    monkeypatch.setattr(tabular, "Preparation", Recorded)
    done = done_of(run_all(scripted_run("tabular-prep", smoke=True)))
    assert done.status == "completed", done.reason
    assert fitted_on == [house_sets()[0]] * 2


def test_an_unknown_step_to_skip_is_refused_in_one_line():
    done = done_of(run_all(scripted_run("tabular-prep", {"skip": "scaling"}, smoke=True)))
    assert done.status == "failed" and done.traceback is None
    assert "skip is one of none, impute, one-hot, standardise, log-target" in done.reason
