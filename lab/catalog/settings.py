"""Provides a learner's settings: `--set KEY=VALUE` and the form's fields, read and checked
against an experiment's `params` (type, range, choices), one message for each refusal.
"""

from __future__ import annotations

import math
from typing import Any

from lab.catalog.schema import Experiment, Param


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


def setting_pairs(settings: list[str]) -> dict[str, str]:
    """`--set KEY=VALUE` options as {key: value text}; one without `=` or a key is refused."""
    pairs = {}
    for text in settings:
        key, sep, value = text.partition("=")
        if not sep or not key.strip():
            raise SettingError(f"--set takes KEY=VALUE, not {text!r}")
        pairs[key.strip()] = value.strip()
    return pairs


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
