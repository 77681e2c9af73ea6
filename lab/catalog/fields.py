"""Provides the field types every part of the lesson format shares: text, slugs, numbers, the
strict base model, allow-list checks, and a `torch.nn` layer (experiments and exercises both
write layers).
"""

from __future__ import annotations

import math
from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from lab.catalog import allowlists as allow

SLUG = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


def _scalar_to_text(value: Any) -> Any:
    # A plain `2024` or `1.5` where text is expected is read as text, as the author meant.
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return value


Text = Annotated[str, BeforeValidator(_scalar_to_text), Field(min_length=1)]
Slug = Annotated[str, Field(pattern=SLUG, max_length=80)]


def _one_line(value: str) -> str:
    if "\n" in value.strip():
        raise ValueError("must be a single line")
    return value.strip()


OneLine = Annotated[Text, AfterValidator(_one_line)]


def _finite(value: float) -> float:
    if not math.isfinite(value):
        raise ValueError("must be a finite number")
    return value


Number = Annotated[float, AfterValidator(_finite)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


def _unknown(kind: str, name: str, known) -> ValueError:
    return ValueError(f"unknown {kind} {name!r}; known: {', '.join(sorted(known))}")


def allowed(kind: str, known) -> AfterValidator:
    """A field validator: the value must be one of `known` (an allow-list)."""

    def known_name(name: str) -> str:
        if name not in known:
            raise _unknown(kind, name, known)
        return name

    return AfterValidator(known_name)


class LayerSpec(Strict):
    """One `torch.nn` layer: its allow-listed type, positional and keyword arguments, a name."""

    type: str
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    name: Slug | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_yaml_shape(cls, data: Any) -> Any:
        # Authors write `- ReLU`, `- Linear: [64, 10]`, `- Dropout: {p: 0.2}`, with `name:` beside.
        if isinstance(data, str):
            return {"type": data}
        if isinstance(data, dict) and "type" not in data:
            rest = {k: v for k, v in data.items() if k != "name"}
            if len(rest) != 1:
                raise ValueError(
                    "a layer is one mapping like `Linear: [64, 10]`, optionally with `name:`"
                )
            ((layer, value),) = rest.items()
            out: dict[str, Any] = {"type": layer}
            if "name" in data:
                out["name"] = data["name"]
            if isinstance(value, list):
                out["args"] = value
            elif isinstance(value, dict):
                out["kwargs"] = value
            elif value is not None:
                out["args"] = [value]
            return out
        return data

    @model_validator(mode="after")
    def _known(self):
        if self.type not in allow.LAYERS:
            raise _unknown("layer", self.type, allow.LAYERS)
        for value in [*self.args, *self.kwargs.values()]:
            if isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0:
                raise ValueError(f"{self.type}: sizes and rates cannot be negative ({value})")
        return self
