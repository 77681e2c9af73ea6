"""The training vocabulary (lab/catalog/allowlists.py) is what torch, the engine and the docs say:
every name resolves in torch, every one is implemented, and docs/lesson-format.md lists each."""

from __future__ import annotations

import importlib
import inspect
import re
from pathlib import Path

import pytest
import torch

from lab.catalog import allowlists as allow
from lab.catalog.schema import OptimizerSpec, ScheduleSpec
from lab.engine import models, parts
from lab.engine.datasets import load_arrays
from lab.engine.memory import optimizer_copies
from lab.engine.scripted import SCRIPTS

DOCS = (Path(__file__).resolve().parents[2] / "docs" / "lesson-format.md").read_text()


def test_every_loss_is_a_torch_loss_the_engine_makes():
    for name, loss in allow.LOSSES.items():
        assert issubclass(getattr(torch.nn, loss.torch_name), torch.nn.modules.loss._Loss), name
        assert type(parts.make_loss(name)).__name__ == loss.torch_name
        assert loss.output in allow.OUTPUTS


@pytest.mark.parametrize("settings_on", [True, False], ids=["settings-on", "settings-off"])
@pytest.mark.parametrize("name", list(allow.OPTIMIZERS))
def test_every_optimizer_is_torchs_given_its_settings_and_keeps_the_state_the_memory_check_counts(
    name, settings_on
):
    """One step: the weight-sized tensors torch keeps per parameter are those the table names
    (and a momentum buffer with momentum on), which the memory estimate counts."""
    entry = allow.OPTIMIZERS[name]
    cls = getattr(torch.optim, entry.torch_name)
    assert issubclass(cls, torch.optim.Optimizer)
    takes = inspect.signature(cls).parameters
    assert all(key in takes and key in OptimizerSpec.model_fields for key in entry.settings)
    on = {"momentum": 0.9, "nesterov": True, "weight_decay": 0.01} if settings_on else {}
    spec = {"name": name, "lr": 0.1, **{key: on[key] for key in entry.settings if key in on}}
    weight = torch.nn.Parameter(torch.ones(3, 2))
    optimizer = parts.make_optimizer([weight], spec)
    assert type(optimizer) is cls
    for key in on.keys() & set(entry.settings):
        assert optimizer.param_groups[0][key] == on[key], (name, key)
    weight.sum().backward()
    optimizer.step()
    state = optimizer.state[weight].items()
    kept = {k for k, v in state if isinstance(v, torch.Tensor) and v.shape == weight.shape}
    momentum = {"momentum_buffer"} if "momentum" in on and "momentum" in entry.settings else set()
    assert kept == set(entry.state) | momentum, name
    copies, what = optimizer_copies(spec)
    assert copies == len(kept) and (what == "") == (copies == 0), (name, what)


def test_every_schedule_is_torchs_given_its_settings():
    optimizer = parts.make_optimizer([torch.nn.Parameter(torch.zeros(1))], {"name": "sgd"})
    for name, entry in allow.SCHEDULES.items():
        cls = getattr(torch.optim.lr_scheduler, entry.torch_name)
        takes = inspect.signature(cls).parameters
        assert all(key in takes and key in ScheduleSpec.model_fields for key in entry.settings)
        assert entry.epochs_as is None or entry.epochs_as in takes
        assert type(parts.make_schedule(optimizer, {"name": name}, 10)) is cls


def test_every_layer_and_activation_is_a_torch_module_and_every_builder_builds():
    for name in [*allow.LAYERS, *allow.ACTIVATIONS.values()]:
        assert issubclass(getattr(torch.nn, name), torch.nn.Module), name
    assert set(models.LAYER_CLASSES) == set(allow.LAYERS)
    sample = (1, 8, 8)
    for name in allow.MODEL_BUILDERS:
        for activation in allow.ACTIVATIONS if name == "mlp" else [None]:
            args = {"activation": activation} if activation else {}
            model = models.build_model({"builder": name, "args": args}, sample, 3)
            assert model(torch.zeros(2, *sample)).shape == (2, 3)


def test_every_download_is_a_torchvision_set_in_the_folder_torchvision_uses():
    import torchvision.datasets  # here, not at the top: 3 s in every xdist worker's collection

    for name, download in allow.DOWNLOADS.items():
        cls = getattr(torchvision.datasets, download.torch_name)
        # MNIST and its kin keep their files under the class's name, CIFAR under base_folder
        assert download.folder == getattr(cls, "base_folder", cls.__name__), name


def test_every_generated_set_is_a_function_of_its_arguments():
    synthetic = importlib.import_module("lab.engine.datasets.synthetic")
    for name, defaults in allow.DATASET_ARGS.items():
        if name not in allow.SYNTHETIC_DATASETS:
            continue
        make = getattr(synthetic, allow.synthetic_function(name))
        assert set(inspect.signature(make).parameters) - {"seed"} == set(defaults), name
        arrays = load_arrays(name, {}, seed=0)
        assert arrays.X.dtype == "float32" and len(arrays.X) == len(arrays.y), name


def test_every_scripted_experiment_is_implemented():
    assert set(SCRIPTS) == set(allow.SCRIPTED)


def _documented(first_column: str, second_column: str) -> bool:
    row = rf"^\| `{re.escape(first_column)}` \| `{re.escape(second_column)}` \|"
    return re.search(row, DOCS, re.MULTILINE) is not None


def test_the_lesson_format_lists_every_name_with_its_torch_class():
    tables = [
        (allow.LOSSES, "nn."),
        (allow.OPTIMIZERS, "torch.optim."),
        (allow.SCHEDULES, "lr_scheduler."),
        (allow.DOWNLOADS, "torchvision.datasets."),
    ]
    missing = [
        f"{name} -> {prefix}{entry.torch_name}"
        for table, prefix in tables
        for name, entry in table.items()
        if not _documented(name, prefix + entry.torch_name)
    ]
    missing += [
        f"{name} -> nn.{cls}"
        for name, cls in allow.ACTIVATIONS.items()
        if not _documented(name, f"nn.{cls}")
    ]
    assert not missing, "docs/lesson-format.md has no row for " + ", ".join(missing)
