"""Provides the run spec: an experiment plus the learner's settings, checked, as a typed record.

The CLI's `--set` and the TUI's form both come through `parse_setting` and `build_run_spec`, so a
value outside its range is refused the same way everywhere, with the same message. `RunSpec` is
what crosses to the worker (as JSON) and what the engine validates again at its entry, so the
engine reads `run.spec.optimizer.lr` with the schema's defaults, never a default of its own.
"""

from __future__ import annotations

import copy
import math
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError, model_validator

from lab import paths
from lab.catalog.dotted import assign, dotted
from lab.catalog.schema import Experiment, Param, ScriptedSpec, TrainSpec

if TYPE_CHECKING:
    from lab.catalog.catalog import ExperimentEntry


def _spec_kind(spec: Any) -> str:
    # A scripted spec is named (`name: cost-sweep`); a training spec has a data set.
    if isinstance(spec, ScriptedSpec) or (isinstance(spec, dict) and "dataset" not in spec):
        return "scripted"
    return "train"


class RunSpec(BaseModel):
    """One run: which experiment, its checked spec, the learner's settings, where data lives."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    experiment: str
    lesson: str = ""
    lesson_dir: str = "."
    """The lesson file's folder: a CSV data set is read from here."""
    kind: Literal["train", "scripted"]
    spec: Annotated[
        Annotated[TrainSpec, Tag("train")] | Annotated[ScriptedSpec, Tag("scripted")],
        Discriminator(_spec_kind),
    ]
    tweaks: dict[str, Any] = {}
    """The settings the learner changed, as given: a run's label in lists and overlays."""
    smoke: bool = False
    """A tiny subset for one epoch: proves the wiring in seconds."""
    data_cache: str | None = None
    data_shared: str | None = None
    """LAB_DATA_DIR: a read-only folder of downloaded data sets, looked in first."""

    @model_validator(mode="after")
    def _kind_matches(self):
        if self.kind != ("train" if isinstance(self.spec, TrainSpec) else "scripted"):
            raise ValueError(f"kind {self.kind!r} does not match the spec")
        return self

    @property
    def train(self) -> TrainSpec | None:
        return self.spec if isinstance(self.spec, TrainSpec) else None

    @property
    def scripted(self) -> ScriptedSpec | None:
        return self.spec if isinstance(self.spec, ScriptedSpec) else None

    @property
    def seed(self) -> int | None:
        """The seed the run uses (a scripted run's only if it takes one)."""
        if self.train:
            return self.train.seed
        seed = self.scripted.resolved_args().get("seed")
        return int(seed) if isinstance(seed, (int, float)) else None

    @property
    def epochs(self) -> int | None:
        """How many epochs the run trains, when it says (1 under --smoke)."""
        if self.smoke:
            return 1
        if self.train:
            return self.train.epochs
        epochs = self.scripted.resolved_args().get("epochs")
        return int(epochs) if isinstance(epochs, (int, float)) else None

    def data_roots(self) -> list[Path]:
        """Where downloaded data sets are looked for: the shared folder, then the cache."""
        return [Path(p) for p in (self.data_shared, self.data_cache) if p]

    def spec_json(self) -> dict[str, Any]:
        """The spec as plain data, defaults filled in (a scripted run's arguments included)."""
        data = self.spec.model_dump(mode="json")
        if self.scripted:
            data["args"] = self.scripted.resolved_args()
        return data

    def to_json(self) -> dict[str, Any]:
        """What is sent to the worker: plain JSON data that validates back to this record."""
        return {**self.model_dump(mode="json"), "spec": self.spec_json()}


def spec_error(exc: ValidationError) -> str:
    """A validation error of a spec in one line: `optimizer.lr: must be greater than 0`."""
    err = exc.errors()[0]
    message = err["msg"].removeprefix("Value error, ")
    loc = [part for part in err["loc"] if part not in ("train", "scripted")]  # union tags
    where = dotted(loc)
    return f"{where}: {message}" if where else message


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


def build_run_spec(
    entry: ExperimentEntry,
    settings: dict[str, Any] | None = None,
    *,
    seed: int | None = None,
    epochs: int | None = None,
    device: str | None = None,
    smoke: bool = False,
) -> RunSpec:
    """The run the worker trains: the experiment's spec with checked settings applied."""
    exp = entry.experiment
    tweaks = {name: parse_setting(exp, name, raw) for name, raw in (settings or {}).items()}
    spec = copy.deepcopy(exp.spec_dict())
    for name, value in tweaks.items():
        assign(spec, exp.param_path(name), value)
    # --seed and --epochs: the training spec's own fields, or a scripted run's arguments
    where = spec if exp.train else spec["args"]
    for key, value in (("seed", seed), ("epochs", epochs)):
        if value is not None and key in where:
            where[key] = value
    if device:
        spec["device"] = device
    # The settings may have broken a rule the schema enforces (nesterov without momentum, ...).
    try:
        checked = (TrainSpec if exp.train else ScriptedSpec).model_validate(spec)
    except ValidationError as exc:
        raise SettingError(spec_error(exc)) from None
    shared = paths.shared_data_dir()
    return RunSpec(
        experiment=exp.id,
        lesson=entry.lesson,
        lesson_dir=str(entry.lesson_dir),
        kind="train" if exp.train else "scripted",
        spec=checked,
        tweaks=tweaks,
        smoke=smoke,
        data_cache=str(paths.data_cache()),
        data_shared=str(shared) if shared else None,
    )
