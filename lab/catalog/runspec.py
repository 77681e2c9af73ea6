"""Provides the run spec: an experiment plus the learner's settings, checked, as plain JSON data.

The CLI's `--set` and the TUI's form both come through `parse_setting` and `build_run_spec`, so a
value outside its range is refused the same way everywhere, with the same message.
"""

from __future__ import annotations

import copy
import math
from typing import Any

from pydantic import ValidationError

from lab import paths
from lab.catalog.catalog import ExperimentEntry
from lab.catalog.schema import Experiment, Param, ScriptedSpec, TrainSpec


class SettingError(ValueError):
    """A setting the learner gave that cannot be used; the message says why and what fits."""


def describe_range(param: Param) -> str:
    if param.choices is not None:
        return "one of " + ", ".join(str(c) for c in param.choices)
    if param.min is not None and param.max is not None:
        return f"between {param.min:g} and {param.max:g}"
    if param.min is not None:
        return f"at least {param.min:g}"
    if param.max is not None:
        return f"at most {param.max:g}"
    return "any value"


def parse_setting(experiment: Experiment, name: str, raw: Any) -> Any:
    """Turn a learner's value (text from a form or `--set`) into the parameter's type, checked."""
    if name not in experiment.params:
        known = ", ".join(experiment.params) or "none"
        raise SettingError(f"{experiment.id} has no setting {name!r}; settings: {known}")
    param = experiment.params[name]
    default = experiment.defaults()[name]
    value = _coerce(name, raw, default)
    if param.choices is not None:
        if value not in param.choices:
            raise SettingError(f"{name} must be {describe_range(param)}, not {raw!r}")
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        low = param.min is not None and value < param.min
        high = param.max is not None and value > param.max
        if low or high:
            raise SettingError(f"{name} must be {describe_range(param)}, not {raw}")
    return value


def _coerce(name: str, raw: Any, default: Any) -> Any:
    text = str(raw).strip()
    if isinstance(default, bool):
        folded = text.casefold()
        if folded in ("true", "yes", "on", "1"):
            return True
        if folded in ("false", "no", "off", "0"):
            return False
        raise SettingError(f"{name} must be true or false, not {text!r}")
    if isinstance(default, int):
        try:
            number = float(text)
        except ValueError:
            raise SettingError(f"{name} must be a whole number, not {text!r}") from None
        if not math.isfinite(number) or number != int(number):
            raise SettingError(f"{name} must be a whole number, not {text!r}")
        return int(number)
    if isinstance(default, float):
        try:
            number = float(text)
        except ValueError:
            raise SettingError(f"{name} must be a number, not {text!r}") from None
        if not math.isfinite(number):
            raise SettingError(f"{name} must be a finite number, not {text!r}")
        return number
    if not text:
        raise SettingError(f"{name} cannot be empty")
    return text


def build_run_spec(
    entry: ExperimentEntry,
    settings: dict[str, Any] | None = None,
    *,
    seed: int | None = None,
    epochs: int | None = None,
    device: str | None = None,
    smoke: bool = False,
) -> dict[str, Any]:
    """The JSON the worker runs: the experiment's spec with checked settings applied."""
    exp = entry.experiment
    tweaks = {name: parse_setting(exp, name, raw) for name, raw in (settings or {}).items()}
    spec = copy.deepcopy(exp.spec_dict())
    for name, value in tweaks.items():
        _assign(spec, exp.param_path(name), value)
    if exp.train:
        if seed is not None:
            spec["seed"] = seed
        if epochs is not None:
            spec["epochs"] = epochs
    elif seed is not None and "seed" in spec["args"]:
        spec["args"]["seed"] = seed
    elif epochs is not None and "epochs" in spec["args"]:
        spec["args"]["epochs"] = epochs
    if device:
        spec["device"] = device
    # The settings may have broken a rule the schema enforces (nesterov without momentum, ...).
    model = TrainSpec if exp.train else ScriptedSpec
    try:
        model.model_validate(spec)
    except ValidationError as exc:
        err = exc.errors()[0]
        where = ".".join(str(p) for p in err["loc"])
        raise SettingError(f"{where}: {err['msg'].removeprefix('Value error, ')}") from None
    shared = paths.shared_data_dir()
    return {
        "experiment": exp.id,
        "lesson": entry.lesson,
        "lesson_dir": str(entry.lesson_dir),
        "kind": "train" if exp.train else "scripted",
        "spec": spec,
        "tweaks": tweaks,
        "smoke": smoke,
        "data_cache": str(paths.data_cache()),
        "data_shared": str(shared) if shared else None,
    }


def _assign(spec: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node: Any = spec
    for part in parts[:-1]:
        node = node[int(part)] if isinstance(node, list) else node[part]
    last = parts[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value
