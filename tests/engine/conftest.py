"""Shared helpers for the engine tests: run specs built through the real schema, a LAB_HOME."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from lab.catalog.schema import ScriptedSpec, TrainSpec


@pytest.fixture(autouse=True)
def engine_home(tmp_path, monkeypatch):
    """Every engine test gets its own LAB_HOME and no shared data folder."""
    monkeypatch.setenv("LAB_HOME", str(tmp_path / "home"))
    monkeypatch.delenv("LAB_DATA_DIR", raising=False)
    monkeypatch.setenv("LAB_THREADS", "1")
    return tmp_path / "home"


def train_run(
    spec: dict[str, Any],
    *,
    smoke: bool = False,
    lesson_dir: Path | str = ".",
    data_cache: Path | str | None = None,
    data_shared: Path | str | None = None,
) -> dict[str, Any]:
    """A run spec like build_run_spec makes, from a TrainSpec given as YAML-shaped data."""
    checked = TrainSpec.model_validate(spec).model_dump(mode="json")
    return {
        "experiment": "test-experiment",
        "lesson": "test-lesson",
        "lesson_dir": str(lesson_dir),
        "kind": "train",
        "spec": checked,
        "tweaks": {},
        "smoke": smoke,
        "data_cache": str(data_cache) if data_cache else "/nonexistent-cache",
        "data_shared": str(data_shared) if data_shared else None,
    }


def scripted_run(name: str, args: dict | None = None, *, smoke: bool = False) -> dict[str, Any]:
    spec = ScriptedSpec.model_validate({"name": name, "args": args or {}})
    data = spec.model_dump(mode="json")
    data["args"] = spec.resolved_args()
    return {
        "experiment": name,
        "lesson": "test-lesson",
        "lesson_dir": ".",
        "kind": "scripted",
        "spec": data,
        "tweaks": {},
        "smoke": smoke,
        "data_cache": "/nonexistent-cache",
        "data_shared": None,
    }


def digits_mlp(**overrides: Any) -> dict[str, Any]:
    spec = {
        "dataset": {"name": "digits"},
        "model": {"builder": "mlp", "args": {"hidden": [64]}},
        "loss": "cross_entropy",
        "optimizer": {"name": "adam", "lr": 0.01},
        "epochs": 5,
        "batch_size": 32,
        "seed": 0,
    }
    spec.update(overrides)
    return spec


def short_last_batch(**overrides: Any) -> dict[str, Any]:
    """y = 2x on three samples in batches of two: each epoch ends on a batch of one."""
    spec = {
        "dataset": {"name": "linear-tiny", "split": {"val": 0, "test": 0}},
        "model": {"layers": [{"Linear": [1, 1]}]},
        "loss": "mse",
        "optimizer": {"name": "sgd", "lr": 0.02},
        "epochs": 3,
        "batch_size": 2,
    }
    spec.update(overrides)
    return spec


def run_all(run_spec: dict[str, Any], should_stop=lambda: False) -> list:
    from lab.engine.loop import run_events

    return list(run_events(run_spec, should_stop))


def done_of(events: list):
    from lab.engine.events import Done

    dones = [e for e in events if isinstance(e, Done)]
    assert len(dones) == 1, dones
    assert events[-1] is dones[0]
    return dones[0]
