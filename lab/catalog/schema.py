"""Provides the lesson format as pydantic models: lessons, glossary terms, questions, experiments.

Every model rejects unknown keys. Names of data sets, layers, losses, optimizers and scripted
experiments are checked against `allowlists`, so a typo is caught when the file loads.
"""

from __future__ import annotations

import math
import re
from typing import Annotated, Any, Literal

from pydantic import (
    Field,
    ValidationInfo,
    field_validator,
    model_validator,
)

from lab.catalog import allowlists as allow
from lab.catalog.dotted import MISSING, lookup
from lab.catalog.exercise_schema import Exercise
from lab.catalog.fields import (
    LayerSpec,
    Number,
    OneLine,
    Slug,
    Strict,
    Text,
    allowed,
)

LINK = re.compile(r"\[\[([^\[\]|]+)(?:\|[^\[\]]*)?\]\]")

# --- lessons -----------------------------------------------------------------------------


class Section(Strict):
    """A titled piece of Markdown; `[[term]]` or `[[term|shown text]]` links to the glossary."""

    title: OneLine
    body: Text


class Translations(Strict):
    zh: Text | None = None
    fr: Text | None = None


class Term(Strict):
    """A glossary entry."""

    term: OneLine
    aliases: list[OneLine] = []
    short: OneLine
    """One line, shown in lists and tooltips."""
    definition: Text
    translations: Translations = Translations()
    see_also: list[OneLine] = []


# --- questions ---------------------------------------------------------------------------


class QuestionBase(Strict):
    id: Slug
    prompt: Text
    explanation: Text
    """Why the answer is right; shown after every answer, right or wrong."""


class SingleChoice(QuestionBase):
    kind: Literal["single"]
    choices: list[Text] = Field(min_length=2)
    answer: int
    """Index of the right choice, counting from 0."""

    @model_validator(mode="after")
    def _answer_in_range(self):
        if not 0 <= self.answer < len(self.choices):
            raise ValueError(
                f"answer {self.answer} is out of range: choices are numbered 0 to "
                f"{len(self.choices) - 1}"
            )
        return self


class MultipleChoice(QuestionBase):
    kind: Literal["multiple"]
    choices: list[Text] = Field(min_length=2)
    answers: list[int] = Field(min_length=1)
    """Indexes of every right choice, counting from 0."""

    @model_validator(mode="after")
    def _answers_in_range(self):
        bad = [a for a in self.answers if not 0 <= a < len(self.choices)]
        if bad:
            raise ValueError(
                f"answers {bad} out of range: choices are numbered 0 to {len(self.choices) - 1}"
            )
        if len(set(self.answers)) != len(self.answers):
            raise ValueError("answers lists the same choice twice")
        return self


class TrueFalse(QuestionBase):
    kind: Literal["true_false"]
    answer: bool


class Numeric(QuestionBase):
    kind: Literal["numeric"]
    answer: Number
    tolerance: Annotated[Number, Field(ge=0)] = 0.0
    """Absolute tolerance: an answer within it counts as right."""


class ShortText(QuestionBase):
    kind: Literal["text"]
    answers: list[Text] = Field(min_length=1)
    """Accepted answers; compared ignoring case and spacing."""


Question = Annotated[
    SingleChoice | MultipleChoice | TrueFalse | Numeric | ShortText,
    Field(discriminator="kind"),
]


class PredictSettings(Strict):
    settings: dict[str, Any] = {}
    """The experiment's settings for the run the prediction is about (the rest stay default)."""


class PredictSingle(SingleChoice, PredictSettings):
    pass


class PredictTrueFalse(TrueFalse, PredictSettings):
    pass


class PredictNumeric(Numeric, PredictSettings):
    pass


Prediction = Annotated[
    PredictSingle | PredictTrueFalse | PredictNumeric, Field(discriminator="kind")
]
"""A question asked before an experiment's first run; the run shows whether it was right."""

# --- experiments -------------------------------------------------------------------------


class Split(Strict):
    """Fractions held out for validation and test; the rest trains. Stratified when it can be."""

    val: Annotated[Number, Field(ge=0, lt=1)] = 0.15
    test: Annotated[Number, Field(ge=0, lt=1)] = 0.15
    stratify: bool = True

    @model_validator(mode="after")
    def _leaves_training(self):
        if self.val + self.test >= 0.95:
            raise ValueError("val + test must leave at least 5% of the data for training")
        return self


class DatasetSpec(Strict):
    name: Annotated[str, allowed("data set", allow.DATASETS)]
    args: dict[str, Any] = {}
    """Data set parameters: sizes, noise, seed, the CSV's file and label column, ..."""
    split: Split = Split()
    normalize: Literal["none", "standard", "minmax"] = "none"
    subset: Annotated[int, Field(gt=0)] | None = None
    """Use only this many samples (drawn from the seed): keeps big data sets quick."""

    @field_validator("args")
    @classmethod
    def _known_args(cls, args: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        name = info.data.get("name")
        if name not in allow.DATASET_ARGS:
            return args  # the name is refused on its own
        known = dict(allow.DATASET_ARGS[name])
        if name in allow.SYNTHETIC_DATASETS:
            known["seed"] = None
        refusal = allow.unknown_arg(name, args, known)
        if refusal:
            raise ValueError(refusal)
        if name == "csv" and any(key not in args for key in allow.CSV_REQUIRED):
            raise ValueError("csv needs `train` (a file) and `label` (a column name)")
        return args


class ModelSpec(Strict):
    """Either a list of layers (named ones become an OrderedDict) or a named builder."""

    layers: list[LayerSpec] = []
    builder: Annotated[str, allowed("model builder", allow.MODEL_BUILDERS)] | None = None
    args: dict[str, Any] = {}

    @field_validator("args")
    @classmethod
    def _known_args(cls, args: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        builder = info.data.get("builder")
        if builder not in allow.BUILDER_ARGS:
            return args
        refusal = allow.unknown_arg(builder, args, allow.BUILDER_ARGS[builder])
        if refusal:
            raise ValueError(refusal)
        if builder == "mlp" and args.get("activation", "relu") not in allow.ACTIVATIONS:
            raise ValueError(f"mlp: activation must be one of {', '.join(allow.ACTIVATIONS)}")
        return args

    def resolved_args(self) -> dict[str, Any]:
        """The builder's arguments with its defaults filled in."""
        return {**allow.BUILDER_ARGS[self.builder], **self.args} if self.builder else {}

    @model_validator(mode="after")
    def _one_way(self):
        if bool(self.layers) == bool(self.builder):
            raise ValueError("give either `layers` or `builder`")
        names = [layer.name for layer in self.layers if layer.name]
        if len(names) != len(set(names)):
            raise ValueError("two layers share a name")
        if names and len(names) != len(self.layers):
            raise ValueError("name every layer or none (they become an OrderedDict)")
        return self


class OptimizerSpec(Strict):
    name: Annotated[str, allowed("optimizer", allow.OPTIMIZERS)] = "sgd"
    lr: Annotated[Number, Field(gt=0)] = 0.01
    momentum: Annotated[Number, Field(ge=0, lt=1)] = 0.0
    nesterov: bool = False
    weight_decay: Annotated[Number, Field(ge=0)] = 0.0

    @model_validator(mode="after")
    def _nesterov(self):
        takes = allow.OPTIMIZERS[self.name].settings
        if self.nesterov and ("nesterov" not in takes or self.momentum == 0):
            raise ValueError("nesterov needs the sgd optimizer with momentum > 0")
        return self


class ScheduleSpec(Strict):
    name: Annotated[str, allowed("schedule", allow.SCHEDULES)]
    step_size: Annotated[int, Field(gt=0)] = 10
    gamma: Annotated[Number, Field(gt=0, le=1)] = 0.5


class EarlyStopping(Strict):
    patience: Annotated[int, Field(ge=1)] = 5
    min_delta: Annotated[Number, Field(ge=0)] = 0.0
    restore_best: bool = True


class TrainSpec(Strict):
    """A declarative training run: everything the engine needs, nothing it has to guess."""

    dataset: DatasetSpec
    model: ModelSpec
    loss: Annotated[str, allowed("loss", allow.LOSSES)]
    optimizer: OptimizerSpec = OptimizerSpec()
    schedule: ScheduleSpec | None = None
    epochs: Annotated[int, Field(ge=1, le=10_000)] = 10
    batch_size: Annotated[int, Field(ge=1)] = 32
    shuffle: bool = True
    seed: int = 0
    early_stopping: EarlyStopping | None = None
    loader: Literal["tensor", "dataloader"] = "tensor"
    """`tensor` batches by indexing tensors (fast); `dataloader` uses torch's DataLoader."""
    device: str = "auto"

    @property
    def classification(self) -> bool:
        return allow.LOSSES[self.loss].classify


class ScriptedSpec(Strict):
    """An experiment that is not plain training, run by name with its arguments."""

    name: Annotated[str, allowed("scripted experiment", allow.SCRIPTED)]
    args: dict[str, Any] = {}
    device: str = "auto"

    @field_validator("args")
    @classmethod
    def _known_args(cls, args: dict[str, Any], info: ValidationInfo) -> dict[str, Any]:
        name = info.data.get("name")
        if name in allow.SCRIPTED:
            refusal = allow.unknown_arg(name, args, allow.SCRIPTED[name]["args"])
            if refusal:
                raise ValueError(refusal)
        return args

    def resolved_args(self) -> dict[str, Any]:
        return {**allow.SCRIPTED[self.name]["args"], **self.args}


class Goal(Strict):
    """What the learner aims for: a metric of the run's end at least or at most a value."""

    metric: str
    at_least: Number | None = None
    at_most: Number | None = None

    @model_validator(mode="after")
    def _one_bound(self):
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least and at_most")
        return self

    def reached(self, metrics: dict[str, float]) -> bool:
        value = metrics.get(self.metric)
        if value is None or not math.isfinite(value):
            return False
        if self.at_least is not None:
            return value >= self.at_least
        assert self.at_most is not None  # _one_bound: one of the two is given
        return value <= self.at_most

    def describe(self) -> str:
        if self.at_least is not None:
            return f"{self.metric} ≥ {self.at_least:g}"
        return f"{self.metric} ≤ {self.at_most:g}"


class Param(Strict):
    """A hyperparameter the learner may change, within a range or among choices."""

    path: str | None = None
    """Dotted path into the spec; defaults from the name (lr -> optimizer.lr)."""
    min: Number | None = None
    max: Number | None = None
    choices: list[Any] | None = None
    log: bool = False
    """Suggest values on a log scale (learning rates)."""
    help: OneLine | None = None

    @model_validator(mode="after")
    def _range(self):
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"min {self.min:g} is above max {self.max:g}")
        if self.log and self.min is not None and self.min <= 0:
            raise ValueError("a log-scale range needs min > 0")
        return self


class Experiment(Strict):
    id: Slug
    title: OneLine
    description: Text
    try_this: list[Text] = []
    # train and scripted come first: the goal's check reads them (fields validate in order)
    train: TrainSpec | None = None
    scripted: ScriptedSpec | None = None
    goal: Goal | None = None
    params: dict[str, Param] = {}
    predict: Prediction | None = None

    @field_validator("goal")
    @classmethod
    def _goal_metric(cls, goal: Goal | None, info: ValidationInfo) -> Goal | None:
        if "train" not in info.data or "scripted" not in info.data:
            return goal  # the run's spec is invalid and already reported
        scripted = info.data["scripted"]
        known = allow.metrics_for_scripted(scripted.name) if scripted else allow.TRAIN_METRICS
        if goal and goal.metric not in known:
            raise ValueError(
                f"no metric {goal.metric!r}; this experiment reports {', '.join(known)}"
            )
        return goal

    @model_validator(mode="after")
    def _consistent(self):
        if (self.train is None) == (self.scripted is None):
            raise ValueError("give either `train` or `scripted`")
        spec = self.spec_dict()
        for name, param in self.params.items():
            path = self.param_path(name)
            value = lookup(spec, path)
            if value is MISSING:
                raise ValueError(f"params.{name}: {path!r} is not a setting of this experiment")
            if isinstance(value, (dict, list)):
                raise ValueError(f"params.{name}: {path!r} is not a single value")
            if param.choices is None and isinstance(value, (int, float)):
                if param.min is not None and value < param.min:
                    raise ValueError(f"params.{name}: default {value} is below min {param.min:g}")
                if param.max is not None and value > param.max:
                    raise ValueError(f"params.{name}: default {value} is above max {param.max:g}")
        return self

    @property
    def kind(self) -> str:
        return f"scripted:{self.scripted.name}" if self.scripted else "train"

    def metrics(self) -> tuple[str, ...]:
        if self.scripted:
            return allow.metrics_for_scripted(self.scripted.name)
        return allow.TRAIN_METRICS

    def param_path(self, name: str) -> str:
        param = self.params[name]
        if param.path:
            return param.path
        if self.scripted:
            return f"args.{name}"
        return allow.KNOWN_PARAM_PATHS.get(name, name)

    def spec_dict(self) -> dict[str, Any]:
        """The run's spec as plain data, defaults filled in (scripted args included)."""
        if self.scripted:
            data = self.scripted.model_dump(mode="json")
            data["args"] = self.scripted.resolved_args()
            return data
        assert self.train is not None  # _consistent: one of the two is given
        return self.train.model_dump(mode="json")

    def defaults(self) -> dict[str, Any]:
        spec = self.spec_dict()
        return {name: lookup(spec, self.param_path(name)) for name in self.params}


class Lesson(Strict):
    id: Slug
    title: OneLine
    order: int
    summary: Text
    prerequisites: list[Slug] = []
    sections: list[Section] = Field(min_length=1)
    glossary: list[Term] = []
    quiz: list[Question] = []
    experiments: list[Experiment] = []
    exercises: list[Exercise] = []

    def links(self) -> list[str]:
        """Every `[[term]]` the lesson's sections link to, in order."""
        return [m.group(1).strip() for s in self.sections for m in LINK.finditer(s.body)]
