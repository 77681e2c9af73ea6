"""A learner's settings (`--set` and the form) are checked before anything runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from lab.catalog import load_catalog
from lab.catalog.runspec import SettingError, build_run_spec, parse_setting

GOOD = Path(__file__).resolve().parents[1] / "fixtures" / "good"


@pytest.fixture(scope="module")
def fit():
    return load_catalog([GOOD]).experiment("gd-example-fit")


@pytest.mark.parametrize(
    ("name", "raw", "message"),
    [
        ("lr", "nan", "lr must be a finite number, not 'nan'"),
        ("lr", "inf", "lr must be a finite number, not 'inf'"),
        ("lr", "-inf", "lr must be a finite number, not '-inf'"),
        ("lr", "fast", "lr must be a number, not 'fast'"),
        ("lr", "", "lr must be a number, not ''"),
        ("lr", "5", "lr must be between 0.0001 and 2, not 5"),
        ("lr", "0", "lr must be between 0.0001 and 2, not 0"),
        ("epochs", "2.5", "epochs must be a whole number, not '2.5'"),
        ("epochs", "nan", "epochs must be a whole number, not 'nan'"),
        ("epochs", "1e9", "epochs must be between 1 and 500, not 1e9"),
        ("epochs", "-1", "epochs must be between 1 and 500, not -1"),
        ("momentum", "0.9", "gd-example-fit has no setting 'momentum'; settings: lr, epochs"),
    ],
)
def test_bad_settings_are_refused_with_a_message(fit, name, raw, message):
    with pytest.raises(SettingError) as refused:
        parse_setting(fit.experiment, name, raw)
    assert str(refused.value) == message
    with pytest.raises(SettingError):
        build_run_spec(fit, {name: raw})


def test_good_settings_land_in_the_spec_with_their_types(fit):
    spec = build_run_spec(fit, {"lr": " 0.5 ", "epochs": "20.0"})["spec"]
    assert spec["optimizer"]["lr"] == 0.5 and isinstance(spec["optimizer"]["lr"], float)
    assert spec["epochs"] == 20 and isinstance(spec["epochs"], int)
