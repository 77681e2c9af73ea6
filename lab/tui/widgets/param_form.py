"""Provides ParamForm: a field per tweakable hyperparameter, its error shown beside it."""

from __future__ import annotations

from typing import Any

from textual import events, on
from textual.app import ComposeResult
from textual.containers import Horizontal, Vertical
from textual.widgets import Input, Label, Static

from lab.catalog.schema import Experiment
from lab.catalog.settings import SettingError, describe_range, parse_setting

NUMBER_CHARS = set("0123456789.eE+-")


class ParamInput(Input):
    """A compact field for one setting. For a number it lets letters through to the screen, so
    `r` and `s` run and stop even while the field has focus."""

    def __init__(self, name: str, value: str, numeric: bool, **kwargs: Any) -> None:
        super().__init__(value=value, compact=True, **kwargs)
        self.param = name
        self.numeric = numeric

    def check_consume_key(self, key: str, character: str | None = None) -> bool:
        if self.numeric and character is not None and character.isprintable():
            return character in NUMBER_CHARS
        return super().check_consume_key(key, character)

    async def _on_key(self, event: events.Key) -> None:
        if (
            self.numeric
            and event.is_printable
            and event.character is not None
            and event.character not in NUMBER_CHARS
        ):
            # Not ours: Input's own handler must not type it; the key bubbles on to the
            # screen's bindings.
            event.prevent_default()


class ParamForm(Vertical):
    """The experiment's params with their defaults; `settings()` gives the checked values."""

    def __init__(
        self, experiment: Experiment, values: dict[str, str] | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.experiment = experiment
        self.defaults = experiment.defaults()
        self.values = values or {}
        """Text to start fields with instead of their defaults (`lab open ID --set`)."""
        self.errors: dict[str, str] = {}

    def compose(self) -> ComposeResult:
        if not self.experiment.params:
            yield Static("This experiment has no settings to change.", classes="hint")
        # Every name on one line (`batch_size` must not wrap into its field), fields aligned.
        name_width = max((len(name) for name in self.experiment.params), default=0) + 1
        for name, param in self.experiment.params.items():
            default = self.defaults[name]
            numeric = isinstance(default, (int, float)) and not isinstance(default, bool)
            with Horizontal(classes="param-row"):
                label = Label(name, classes="param-name")
                label.styles.width = name_width
                yield label
                shown = self.values.get(name, _show(default))
                field = ParamInput(name, shown, numeric, id=f"param-{name}")
                field.tooltip = f"{param.help + ' · ' if param.help else ''}{describe_range(param)}"
                yield field
                yield Static("", id=f"error-{name}", classes="param-error", markup=False)

    @on(Input.Changed)
    def _check_one(self, event: Input.Changed) -> None:
        if isinstance(event.input, ParamInput):
            self.validate(event.input.param)

    def validate(self, name: str) -> Any:
        """Parse one field; show or clear its error. Returns the value, or None when refused."""
        field = self.query_one(f"#param-{name}", ParamInput)
        error = self.query_one(f"#error-{name}", Static)
        try:
            value = parse_setting(self.experiment, name, field.value)
        except SettingError as exc:
            self.errors[name] = str(exc)
            error.update(str(exc))
            field.add_class("-invalid")
            return None
        self.errors.pop(name, None)
        error.update("")
        field.remove_class("-invalid")
        return value

    def settings(self) -> dict[str, Any] | None:
        """The settings that differ from the defaults, checked; None if any field is refused
        (its error is shown and the first bad field takes focus)."""
        changed: dict[str, Any] = {}
        for name in self.experiment.params:
            value = self.validate(name)
            if name in self.errors:
                continue
            if value != self.defaults[name]:
                changed[name] = value
        if self.errors:
            first = next(iter(self.errors))
            self.query_one(f"#param-{first}", ParamInput).focus()
            return None
        return changed

    def fill(self, settings: dict[str, Any]) -> None:
        """Show these settings and every other field at its default (a prediction's run)."""
        for name in self.experiment.params:
            value = settings.get(name, self.defaults[name])
            self.query_one(f"#param-{name}", ParamInput).value = _show(value)

    def set_locked(self, locked: bool) -> None:
        """Fields are read-only while a run goes: what runs is what the form shows."""
        for field in self.query(ParamInput):
            field.disabled = locked


def _show(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)
