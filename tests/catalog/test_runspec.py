"""A learner's settings (`--set` and the form) are checked before anything runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from lab.catalog import load_catalog
from lab.catalog.runspec import RunSpec, build_run_spec, spec_error
from lab.catalog.settings import SettingError, parse_setting, setting_pairs

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
    run = build_run_spec(fit, {"lr": " 0.5 ", "epochs": "20.0"})
    assert run.train.optimizer.lr == 0.5 and isinstance(run.train.optimizer.lr, float)
    assert run.train.epochs == 20 and run.epochs == 20
    assert run.tweaks == {"lr": 0.5, "epochs": 20}


def test_the_run_spec_crosses_as_json_and_comes_back_the_same(fit):
    """What the worker gets validates back into the same typed record, defaults filled in
    (the engine reads `weight_decay` and the split sizes from the schema, never its own)."""
    run = build_run_spec(fit, {"lr": "0.5"}, seed=7)
    wire = json.loads(json.dumps(run.to_json()))
    assert wire["spec"]["optimizer"]["weight_decay"] == 0.0
    assert wire["spec"]["dataset"]["split"] == {"val": 0.0, "test": 0.0, "stratify": True}
    again = RunSpec.model_validate(wire)
    assert again == run and again.seed == 7


def test_a_scripted_run_takes_seed_and_epochs_among_its_arguments():
    entry = load_catalog([GOOD]).experiment("gd-example-sweep")
    run = build_run_spec(entry, seed=3, epochs=4)
    assert run.scripted and run.seed is None and run.epochs is None  # cost-sweep takes neither
    assert run.to_json()["spec"]["args"] == {"w_min": 0.0, "w_max": 4.0, "w_step": 0.1}


def test_a_broken_run_spec_is_refused_in_one_line_naming_the_field():
    wire = {"experiment": "x", "kind": "train", "spec": {"dataset": {"name": "moons"}}}
    wire["spec"].update(model={"builder": "mlp"}, loss="mse", optimizer={"lr": -1})
    with pytest.raises(ValidationError) as refused:
        RunSpec.model_validate(wire)
    assert spec_error(refused.value) == "spec.optimizer.lr: Input should be greater than 0"
    wire["kind"] = "scripted"
    with pytest.raises(ValidationError, match="kind 'scripted' does not match the spec"):
        RunSpec.model_validate({**wire, "spec": {**wire["spec"], "optimizer": {}}})


LESSON = GOOD / "01-gradient-descent.yaml"


@pytest.mark.parametrize(
    ("old", "new", "expected"),
    [
        (
            "dataset: {name: linear-tiny, split: {val: 0, test: 0}}",
            "dataset: {name: moons, args: {noize: 0.1}}",
            "66:36: experiments[0].train.dataset.args: moons takes no argument 'noize'; "
            "it takes n, noise, seed",
        ),
        (
            "dataset: {name: linear-tiny, split: {val: 0, test: 0}}",
            "dataset: {name: digits, args: {n: 10}}",
            "66:37: experiments[0].train.dataset.args: digits takes no argument 'n'; "
            "it takes no arguments",
        ),
        (
            "dataset: {name: linear-tiny, split: {val: 0, test: 0}}",
            "dataset: {name: csv, args: {train: a.csv}}",
            "66:34: experiments[0].train.dataset.args: csv needs `train` (a file) and `label`",
        ),
        (
            "layers:\n          - Linear: [1, 1]",
            "builder: mlp\n        args: {hiden: [8]}",
            "69:15: experiments[0].train.model.args: mlp takes no argument 'hiden'; "
            "it takes hidden, activation, dropout",
        ),
        (
            "layers:\n          - Linear: [1, 1]",
            "builder: mlp\n        args: {activation: relu6}",
            "69:15: experiments[0].train.model.args: mlp: activation must be one of relu, tanh",
        ),
    ],
)
def test_validate_refuses_unknown_data_set_and_builder_arguments(tmp_path, old, new, expected):
    """`lab validate` names the file, line and field of an argument the engine would refuse
    only when the learner pressed r."""
    from lab.catalog.loader import load_file

    text = LESSON.read_text()
    assert old in text
    path = tmp_path / "lesson.yaml"
    path.write_text(text.replace(old, new, 1))
    _, problems = load_file(path)
    shown = [str(p).removeprefix(f"{path}:") for p in problems]
    assert len(shown) == 1 and shown[0].startswith(expected), shown


def test_set_options_become_pairs_and_a_missing_equals_sign_is_refused():
    assert setting_pairs([" lr = 1.5", "epochs=3", "note=a=b"]) == {
        "lr": "1.5",
        "epochs": "3",
        "note": "a=b",
    }
    for bad in ("lr", "=1.5"):
        with pytest.raises(SettingError, match="--set takes KEY=VALUE"):
            setting_pairs([bad])
