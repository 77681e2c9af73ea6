"""Models from layer lists and builders; a layer that does not fit is named before training."""

from __future__ import annotations

import pytest
import torch
from pydantic import ValidationError

from lab.catalog.schema import ModelSpec
from lab.engine.events import Done, Start
from lab.engine.models import ModelError, build_model, check_shapes
from tests.engine.conftest import done_of, run_all, train_run


def _model(layers, sample=(4,), out=1):
    spec = ModelSpec.model_validate({"layers": layers}).model_dump(mode="json")
    return build_model(spec, sample, out)


def test_named_layers_become_an_ordered_dict_as_in_note_003():
    model = _model(
        [
            {"Linear": [1000, 100], "name": "line1"},
            {"ReLU": None, "name": "relu1"},
            {"Linear": [100, 10], "name": "line2"},
        ]
    )
    assert [name for name, _ in model.named_children()] == ["line1", "relu1", "line2"]
    assert model(torch.zeros(3, 1000)).shape == (3, 10)


def test_builders_fit_the_data_they_are_given():
    mlp = build_model({"builder": "mlp", "args": {"hidden": [32, 16]}}, (1, 8, 8), 10)
    assert mlp(torch.zeros(2, 1, 8, 8)).shape == (2, 10)
    cnn = build_model({"builder": "small-cnn", "args": {}}, (3, 32, 32), 10)
    assert cnn(torch.zeros(2, 3, 32, 32)).shape == (2, 10)
    with pytest.raises(ModelError, match="small-cnn needs images"):
        build_model({"builder": "small-cnn", "args": {}}, (2,), 2)
    with pytest.raises(ModelError, match="mlp takes no argument 'width'"):
        build_model({"builder": "mlp", "args": {"width": 3}}, (2,), 2)


def test_an_unknown_layer_is_caught_when_the_lesson_loads():
    with pytest.raises(ValidationError, match="unknown layer 'Linaer'"):
        ModelSpec.model_validate({"layers": [{"Linaer": [1, 1]}]})


def test_bad_layer_arguments_name_the_layer():
    with pytest.raises(ModelError, match=r"layer 1 \(Linear\)"):
        _model([{"Linear": {"in_features": 3, "out_size": 2}}])


def test_a_shape_mismatch_names_the_layer_and_the_shapes():
    model = _model([{"Linear": [64, 32]}, "ReLU", {"Linear": [16, 10]}])
    X, y = torch.zeros(5, 64), torch.zeros(5, dtype=torch.long)
    with pytest.raises(ModelError) as err:
        check_shapes(model, X, y, "cross_entropy", 10)
    message = str(err.value)
    assert message.startswith("layer 3 (Linear) cannot take input of shape [2, 32]")
    assert "\n" not in message


def test_the_output_must_fit_the_loss():
    model = _model([{"Linear": [4, 3]}])
    with pytest.raises(ModelError, match=r"outputs \[2, 3\].*10 classes"):
        check_shapes(
            model, torch.zeros(5, 4), torch.zeros(5, dtype=torch.long), "cross_entropy", 10
        )
    with pytest.raises(ModelError, match=r"targets for mse are \[N, 1\]"):
        check_shapes(model, torch.zeros(5, 4), torch.zeros(5, 1), "mse", None)


def test_a_run_with_a_misfit_layer_fails_before_it_starts():
    spec = {
        "dataset": {"name": "digits"},
        "model": {"layers": ["Flatten", {"Linear": [60, 10]}]},
        "loss": "cross_entropy",
    }
    events = run_all(train_run(spec))
    done = done_of(events)
    assert not any(isinstance(e, Start) for e in events)
    assert done.status == "failed" and done.traceback is None
    assert done.reason.startswith("layer 2 (Linear) cannot take input of shape [2, 64]")
    assert isinstance(done, Done)
