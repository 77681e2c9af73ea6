"""Provides `LabScreen`: a Textual screen whose `self.app` is the lab app to the type checker,
so that screens read `self.app.catalog` or call `self.app.open_lesson` as typed attributes."""

from __future__ import annotations

from typing import TYPE_CHECKING, TypeVar

from textual.screen import Screen

if TYPE_CHECKING:
    from textual import getters

    from lab.tui.app import LabApp

ResultType = TypeVar("ResultType")


class LabScreen(Screen[ResultType]):
    """A screen of `LabApp`; at run time exactly a `Screen`."""

    if TYPE_CHECKING:
        app = getters.app(LabApp)
