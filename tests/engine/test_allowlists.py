"""Every name a lesson may use is implemented by the engine."""

from __future__ import annotations

import torch

from lab.catalog import allowlists as allow
from lab.engine import datasets, loop, models
from lab.engine.scripted import SCRIPTS


def test_every_data_set_is_implemented():
    implemented = set(datasets.SYNTHETIC_ARGS) | {"digits", "csv"} | set(datasets.DOWNLOADS)
    assert set(allow.DATASETS) == implemented


def test_every_layer_builder_loss_optimizer_and_schedule_is_implemented():
    assert set(models.LAYER_CLASSES) == set(allow.LAYERS)
    for name in allow.MODEL_BUILDERS:
        sample = (1, 8, 8)
        assert models.build_model({"builder": name, "args": {}}, sample, 3)(
            torch.zeros(2, *sample)
        ).shape == (2, 3)
    assert set(loop.LOSSES) == set(allow.LOSSES)
    params = [torch.nn.Parameter(torch.zeros(1))]
    for name in allow.OPTIMIZERS:
        assert loop.make_optimizer(params, {"name": name, "lr": 0.1})
    optimizer = loop.make_optimizer(params, {"name": "sgd", "lr": 0.1})
    for name in allow.SCHEDULES:
        assert loop.make_schedule(optimizer, {"name": name}, 10) is not None


def test_every_scripted_experiment_is_implemented():
    assert set(SCRIPTS) == set(allow.SCRIPTED)
