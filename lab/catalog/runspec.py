"""Provides the run spec: an experiment plus the learner's settings, checked, as a typed record.

The CLI's `--set` and the TUI's form both come through `parse_setting` (lab/catalog/settings.py)
and `build_run_spec`, so a value outside its range is refused the same way everywhere, with the
same message. `RunSpec` is what crosses to the worker (as JSON) and what the engine validates
again at its entry, so the engine reads `run.spec.optimizer.lr` with the schema's defaults, never
a default of its own.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Tag, ValidationError, model_validator

from lab import paths
from lab.catalog.dotted import assign, dotted
from lab.catalog.schema import ScriptedSpec, TrainSpec
from lab.catalog.settings import SettingError, parse_setting

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
        if isinstance(self.spec, TrainSpec):
            return self.spec.seed
        seed = self.spec.resolved_args().get("seed")
        return int(seed) if isinstance(seed, (int, float)) else None

    @property
    def epochs(self) -> int | None:
        """How many epochs the run trains, when it says (1 under --smoke)."""
        if self.smoke:
            return 1
        if isinstance(self.spec, TrainSpec):
            return self.spec.epochs
        epochs = self.spec.resolved_args().get("epochs")
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
